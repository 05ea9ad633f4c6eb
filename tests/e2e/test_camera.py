"""The camera mode (issue 16) in Chromium with a fake camera playing a test clip (scripts/camera_clip.py): the
real getUserMedia, the real MediaStreamTrackProcessor, the real models in the camera worker. Speed is the
benchmark's (scripts/bench/camera.py), not asserted here."""

from contextlib import contextmanager
import json
import math

START_CAMERA = """async () => {
  const { Camera } = await import('./camera.js');
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  document.body.append(video);
  const probe = window.cameraProbe = { frames: [], stops: [], video };
  probe.camera = new Camera({ barcode: true, onFrame: (frame) => probe.frames.push(frame),
                              onStop: (message) => probe.stops.push(message) });
  await probe.camera.start(video);
}"""


def test_the_camera_follows_the_face_with_eyes_on_the_eyes_and_is_released(open_camera_app, server_url, camera_clip):
    app = open_camera_app(server_url)
    page = app.page
    page.evaluate(START_CAMERA)
    page.wait_for_function("window.cameraProbe.frames.length >= 45 || window.cameraProbe.stops.length > 0",
                           timeout=60_000)
    probe = page.evaluate("({frames: window.cameraProbe.frames, stops: window.cameraProbe.stops,"
                          " live: window.cameraProbe.video.srcObject.getVideoTracks()[0].readyState})")
    assert probe["stops"] == [] and probe["live"] == "live"
    truth = json.loads(camera_clip.with_suffix(".json").read_text())["images"]
    frames = probe["frames"][5:]  # (the first frames may be the camera's start-up)
    errors = []
    for frame in frames:
        assert 0 <= frame["frame"] < len(truth), frame["frame"]  # the barcode read back
        (face,) = [face for face in truth[frame["frame"]]["faces"] if not face.get("ignore")]
        distance = math.dist(face["right_eye"], face["left_eye"])
        found = [max(math.dist(f["right"]["centre"], face["right_eye"]), math.dist(f["left"]["centre"], face["left_eye"]))
                 / distance for f in frame["faces"]]
        errors.append(min(found, default=math.inf))
    assert len(frames) >= 40 and len({frame["frame"] for frame in frames}) >= 30  # new frames, not one repeated
    share = sum(error <= 0.10 for error in errors) / len(errors)
    assert share >= 0.9, sorted(errors)[-10:]
    assert all(len(frame["faces"]) <= 1 for frame in frames)  # one face, never a second on it
    # Leaving the mode turns the camera off (its light goes out) and stops the worker.
    assert page.evaluate("""() => { const probe = window.cameraProbe; const track = probe.video.srcObject.getVideoTracks()[0];
                                    probe.camera.stop(); return [track.readyState, probe.camera.worker]; }""") == ["ended", None]
    count = page.evaluate("window.cameraProbe.frames.length")
    page.wait_for_timeout(500)
    assert page.evaluate("window.cameraProbe.frames.length") == count and app.errors == []


def drawn_eyes(page) -> dict:
    """The googly eyes the last display frame drew (x, y, radius), the share of opaque canvas pixels in a square
    of half side 0.6 r round each (~1 where a googly eye is drawn, 0 where none is), and the last analysed
    frame's eyes, read together (no display frame in between)."""
    return page.evaluate("""() => {
      const context = document.querySelector('#camera-canvas').getContext('2d');
      const { eyes, last } = window.googly.camera();
      const coverage = eyes.map(([x, y, r]) => {
        const half = Math.max(2, Math.round(0.6 * r));
        const pixels = context.getImageData(Math.round(x) - half, Math.round(y) - half, 2 * half, 2 * half).data;
        let opaque = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 200) opaque += 1;
        return opaque / (pixels.length / 4);
      });
      return { eyes, coverage, found: last.faces.flatMap((face) => [face.right.centre, face.left.centre]) };
    }""")


def test_the_camera_button_shows_googly_eyes_on_the_face_and_a_snapshot_becomes_a_photo(open_camera_app, server_url):
    app = open_camera_app(server_url)
    page = app.page
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().analysed >= 20 && window.googly.camera().faces >= 1", timeout=60_000)
    page.wait_for_timeout(300)
    state = page.evaluate("window.googly.camera()")
    assert state["open"] and state["live"] and state["drawn"] > 10 and state["message"] == ""
    # the front (fake) camera is shown mirrored, the video and the eyes together
    assert "mirrored" in page.get_attribute("#camera-stage", "class")
    # a googly eye drawn on each eye of the face: where the last analysed frame found it, carried forward at
    # the face's speed for the time since (at most 100 ms: within half an eye distance here)
    drawn = drawn_eyes(page)
    assert len(drawn["eyes"]) == 2 and min(drawn["coverage"]) > 0.9, drawn
    (right, left) = drawn["found"]
    distance = math.dist(right, left)
    for (x, y, radius), found in zip(drawn["eyes"], drawn["found"]):
        assert math.dist((x, y), found) < 0.5 * distance and 0.2 * distance < radius < 0.3 * distance  # gamma 0.5
    page.click("#camera-snapshot")
    page.click("#camera-close")
    state = page.evaluate("window.googly.camera()")
    assert not state["open"] and not state["live"] and not page.is_visible("#camera")
    (result,) = app.wait_for_results(1)
    assert result["ok"] and result["name"].startswith("camera-") and result["name"].endswith(".jpg")
    assert result["faces"] == 1 and result["googlyEyes"] == 2
    assert app.errors == []


def test_the_pupils_move_with_the_head_and_stay_in_their_eyes(open_camera_app, server_url):
    """The clip's face pans, zooms and rolls: its eyes' acceleration pushes the pupils (physics.js), which
    roll about inside their eyes rather than sitting still at the bottom."""
    app = open_camera_app(server_url)
    page = app.page
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().faces >= 1 && window.googly.camera().analysed >= 10", timeout=60_000)
    samples = []
    for _ in range(30):
        state = page.evaluate("window.googly.camera()")
        if state["slots"]:  # the face's two pupils (its slot's), eye radii from each eye's centre
            slot = state["slots"][0]
            samples.append(state["pupils"][4 * slot:4 * slot + 4])
        page.wait_for_timeout(50)
    assert len(samples) >= 20
    reach = state["reach"][2 * slot:2 * slot + 2]
    for eye in (0, 1):
        xs = [sample[2 * eye] for sample in samples]
        ys = [sample[2 * eye + 1] for sample in samples]
        assert max(xs) - min(xs) > 0.05 or max(ys) - min(ys) > 0.05, (xs, ys)  # moving
        assert all(math.hypot(x, y) <= reach[eye] + 1e-9 for x, y in zip(xs, ys))  # inside the eye


def test_hiding_the_tab_turns_the_camera_off_and_coming_back_on(open_camera_app, server_url):
    app = open_camera_app(server_url)
    page = app.page
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().analysed >= 5", timeout=60_000)
    hide = """(hidden) => { Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
                            document.dispatchEvent(new Event('visibilitychange')); }"""
    page.evaluate(hide, True)
    assert page.evaluate("window.googly.camera().live") is False
    assert "hidden" in page.text_content("#camera-status")
    before = page.evaluate("window.googly.camera().analysed")
    page.evaluate(hide, False)
    page.wait_for_function(f"window.googly.camera().live && window.googly.camera().analysed > {before + 5}", timeout=60_000)


@contextmanager
def app_in_chromium(playwright, url: str, flags: list[str]):
    """The app, ready, in a Chromium of its own launched with these flags (a camera set-up of its own)."""
    from scripts.common import CHROMIUM, CHROMIUM_ARGS

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + flags, headless=True)
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=180_000)
        yield page
    finally:
        browser.close()


def camera_message_on(page) -> tuple[str, bool]:
    """Use camera clicked: the message the mode shows, and whether it offers Try again."""
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().message !== ''", timeout=60_000)
    return page.text_content("#camera-status"), page.is_visible("#camera-retry")


def camera_message(playwright, server_url, flags) -> tuple[str, bool]:
    with app_in_chromium(playwright, server_url, flags) as page:
        return camera_message_on(page)


def test_no_camera_and_a_denied_camera_get_clear_messages(playwright, server_url):
    message, retry = camera_message(playwright, server_url, ["--use-fake-device-for-media-stream=device-count=0",
                                                             "--use-fake-ui-for-media-stream"])
    assert message.startswith("No camera was found") and retry
    # A camera, but nobody says yes to the page's request (no fake UI): the browser denies it.
    message, retry = camera_message(playwright, server_url, ["--use-fake-device-for-media-stream"])
    assert "blocked" in message and "site settings" in message and retry


def record(page, seconds: float) -> None:
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().analysed >= 10 && window.googly.camera().faces >= 1", timeout=60_000)
    page.click("#camera-record")
    page.wait_for_timeout(int(seconds * 1000))
    page.click("#camera-record")


def clip_metadata(page) -> dict:
    """The newest clip card's <video>, once the browser has read it: its length and size."""
    page.wait_for_function("document.querySelector('.result.clip video')?.readyState >= 1", timeout=30_000)
    return page.evaluate("""async () => {
      const video = document.querySelector('.result.clip video');
      if (video.duration === Infinity) {  // a WebM without a duration in its header: seek to the end to learn it
        video.currentTime = 1e9;
        await new Promise((resolve) => video.addEventListener('timeupdate', resolve, { once: true }));
      }
      return { duration: video.duration, width: video.videoWidth, height: video.videoHeight };
    }""")


def test_record_makes_a_clip_card_that_plays_and_downloads(open_camera_app, server_url):
    app = open_camera_app(server_url)
    page = app.page
    record(page, 2.5)
    page.wait_for_function("window.googly.clips.length === 1", timeout=30_000)
    (clip,) = page.evaluate("window.googly.clips")
    assert clip["mime"] == "video/mp4" and clip["name"].endswith(".mp4") and clip["bytes"] > 10_000
    meta = clip_metadata(page)
    assert abs(meta["duration"] - clip["seconds"]) < 0.5 and 2.2 < meta["duration"] < 3.5, meta
    assert (meta["width"], meta["height"]) == (640, 480)  # the camera's frame, not scaled up
    page.click("#camera-close")
    saved = app.download(".result.clip .download-clip")
    assert saved.name == clip["name"] and saved.data[4:8] == b"ftyp" and len(saved.data) == clip["bytes"]
    assert app.errors == []


def test_without_h264_the_clip_is_webm_and_without_any_encoder_it_says_so(open_camera_app, server_url):
    app = open_camera_app(server_url + "?video=vp9")
    record(app.page, 1.5)
    app.page.wait_for_function("window.googly.clips.length === 1", timeout=30_000)
    (clip,) = app.page.evaluate("window.googly.clips")
    assert clip["mime"] == "video/webm" and clip["name"].endswith(".webm")
    assert 1.0 < clip_metadata(app.page)["duration"] < 2.6
    app.page.click("#camera-close")
    app = open_camera_app(server_url + "?video=none")
    record(app.page, 0.5)
    app.page.wait_for_function("document.querySelector('#camera-status').textContent.includes('cannot record')", timeout=10_000)
    assert app.page.evaluate("window.googly.clips") == [] and app.page.evaluate("window.googly.camera().live")


def test_the_camera_mode_works_offline(camera_browser):
    """Network off (the browser told so, the server gone): the camera mode, its worker and models, and a
    recording (its muxer) all come from the service worker's cache."""
    from conftest import SITE, AppPage
    from scripts.serve import start_server
    from test_offline import OFFLINE_READY, reload_offline, wait_until

    server, url = start_server(SITE, port=0, prefix="/googly-eyes/")
    context = camera_browser.new_context()
    try:
        app = AppPage(context, url).open()
        wait_until(app.page, OFFLINE_READY)
        from_network = reload_offline(app, server)
        record(app.page, 1.0)
        app.page.wait_for_function("window.googly.clips.length === 1", timeout=30_000)
        assert app.page.evaluate("window.googly.camera().analysed") >= 10
        assert from_network == [] and app.foreign_requests() == [] and app.errors == []
    finally:
        context.close()
        server.server_close()


def test_a_camera_that_goes_away_mid_stream_says_so(open_camera_app, server_url):
    app = open_camera_app(server_url)
    page = app.page
    page.click("#camera-button")
    page.wait_for_function("window.googly.camera().analysed >= 5", timeout=60_000)
    # what Chromium fires on the track when the camera is unplugged or taken by the system
    page.evaluate("document.querySelector('#camera-video').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended'))")
    page.wait_for_function("window.googly.camera().message !== ''", timeout=10_000)
    assert "stopped" in page.text_content("#camera-status") and page.is_visible("#camera-retry")
    assert page.evaluate("window.googly.camera().live") is False
    page.click("#camera-retry")  # the way back
    page.wait_for_function("window.googly.camera().live && window.googly.camera().analysed >= 10", timeout=60_000)


def test_an_insecure_page_is_told_the_camera_needs_https(playwright, site):
    """Served over plain http from a name that is not localhost, the page is not a secure context: browsers
    give it no camera at all."""
    from scripts.serve import start_server

    server, url = start_server(site, port=0, prefix="/", isolation_headers=False)
    port = url.split(":")[2].split("/")[0]
    flags = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             "--host-resolver-rules=MAP googly.test 127.0.0.1"]
    try:
        with app_in_chromium(playwright, f"http://googly.test:{port}/", flags) as page:
            assert page.evaluate("window.isSecureContext") is False
            message, _ = camera_message_on(page)
            assert "secure page" in message
    finally:
        server.shutdown()


def test_switch_camera_shows_with_two_cameras_and_uses_the_other(playwright, server_url):
    """Two fake cameras (Chromium's own moving test pattern: a file feeds only one camera)."""
    flags = ["--use-fake-device-for-media-stream=device-count=2", "--use-fake-ui-for-media-stream"]
    with app_in_chromium(playwright, server_url, flags) as page:
        page.click("#camera-button")
        page.wait_for_function("window.googly.camera().analysed >= 5", timeout=60_000)
        page.wait_for_selector("#camera-switch", state="visible", timeout=10_000)
        device = "document.querySelector('#camera-video').srcObject?.getVideoTracks()[0].getSettings().deviceId"
        first = page.evaluate(device)
        old_track = page.evaluate_handle("document.querySelector('#camera-video').srcObject.getVideoTracks()[0]")
        page.click("#camera-switch")
        page.wait_for_function(f"{device} && {device} !== {first!r}", timeout=30_000)
        assert old_track.evaluate("(track) => track.readyState") == "ended"  # the first camera let go
        before = page.evaluate("window.googly.camera().analysed")
        page.wait_for_function(f"window.googly.camera().analysed > {before + 5}", timeout=60_000)

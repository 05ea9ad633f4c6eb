"""The camera mode (issue 16) in Chromium with a fake camera playing a test clip (scripts/camera_clip.py): the
real getUserMedia, the real MediaStreamTrackProcessor, the real models in the camera worker. Speed is the
benchmark's (scripts/bench/camera.py), not asserted here."""

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


def eye_coverage(page) -> list[float]:
    """For each eye of the last analysed frame, the share of opaque canvas pixels in the square of half side
    0.15 eye distances around it (well inside a googly eye: its radius is gamma / 2 eye distances, 0.35 by
    default): ~1 where a googly eye is drawn on it, 0 where none is."""
    return page.evaluate("""() => {
      const canvas = document.querySelector('#camera-canvas');
      const context = canvas.getContext('2d');
      const { last } = window.googly.camera();
      const out = [];
      for (const face of last.faces) {
        const distance = Math.hypot(face.left.centre[0] - face.right.centre[0], face.left.centre[1] - face.right.centre[1]);
        const half = Math.max(2, Math.round(0.15 * distance));
        for (const eye of [face.right, face.left]) {
          const [x, y] = eye.centre.map(Math.round);
          const pixels = context.getImageData(x - half, y - half, 2 * half, 2 * half).data;
          let opaque = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 200) opaque += 1;
          out.push(opaque / (pixels.length / 4));
        }
      }
      return out;
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
    # a googly eye on each eye of the face (drawn where the face is now: within a few px of the last frame's eyes)
    coverage = eye_coverage(page)
    assert len(coverage) == 2 and min(coverage) > 0.8, coverage
    page.click("#camera-snapshot")
    page.click("#camera-close")
    state = page.evaluate("window.googly.camera()")
    assert not state["open"] and not state["live"] and not page.is_visible("#camera")
    (result,) = app.wait_for_results(1)
    assert result["ok"] and result["name"].startswith("camera-") and result["name"].endswith(".jpg")
    assert result["faces"] == 1 and result["googlyEyes"] == 2
    assert app.errors == []


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


def camera_message(playwright, server_url, flags) -> tuple[str, bool]:
    from scripts.common import CHROMIUM, CHROMIUM_ARGS

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + flags, headless=True)
    try:
        page = browser.new_page()
        page.goto(server_url)
        page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=120_000)
        page.click("#camera-button")
        page.wait_for_function("window.googly.camera().message !== ''", timeout=60_000)
        return page.text_content("#camera-status"), page.is_visible("#camera-retry")
    finally:
        browser.close()


def test_no_camera_and_a_denied_camera_get_clear_messages(playwright, server_url):
    message, retry = camera_message(playwright, server_url, ["--use-fake-device-for-media-stream=device-count=0",
                                                             "--use-fake-ui-for-media-stream"])
    assert message.startswith("No camera was found") and retry
    # A camera, but nobody says yes to the page's request (no fake UI): the browser denies it.
    message, retry = camera_message(playwright, server_url, ["--use-fake-device-for-media-stream"])
    assert "blocked" in message and "site settings" in message and retry

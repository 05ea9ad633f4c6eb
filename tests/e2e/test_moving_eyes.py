"""Googly eyes that move, in real headless Chromium with the real models: animated downloads in every
format, decoded again (Pillow for GIF, WebP and APNG; the browser's own <video> and the MP4's boxes for
video), the ZIP of animations, Cancel; and the editor's live wobble.

What is checked is what a person gets: frame count, frame rate, size and loop as asked; only the pupils
move (every pixel that changes between frames is inside a googly eye, and in every eye some do); the
last frame leads into the first like any other frame.
"""

import base64
import io
import json
import math
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conftest import AppPage
from support import FIXTURES

ASTRONAUT = FIXTURES / "astronaut.jpg"  # 512 x 512, one face
TIMEOUT_MS = 120_000


def choose(app, **choice):
    """Set the editor's animation choices (they apply to every Animation button)."""
    app.page.evaluate("""(choice) => {
        const ids = {motion: '#animation-motion', seconds: '#animation-seconds', size: '#animation-size', format: '#animation-format'};
        for (const [name, value] of Object.entries(choice)) {
            const control = document.querySelector(ids[name]);
            control.value = String(value);
            control.dispatchEvent(new Event('input'));
        }
    }""", choice)


def eyes_at(app, name: str, scale: float) -> list[tuple[float, float, float]]:
    """The googly eyes of a photo (centre x, y and radius) in the animation's pixels."""
    eyes = app.page.evaluate("(name) => window.googly.photos.find((p) => p.name === name).result.eyes", name)
    return [(eye["centre"][0] * scale, eye["centre"][1] * scale, eye["radius"] * scale) for eye in eyes]


def inside_eyes(shape, eyes, margin=1.5) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    return [np.hypot(xx - x, yy - y) <= r + margin for x, y, r in eyes]


def check_only_pupils_move(frames: list[np.ndarray], eyes, level: int):
    """Every pixel that changes (by more than `level`) between consecutive frames lies in a googly eye; in
    every eye some pixels change; the last frame leads into the first like an ordinary frame."""
    discs = inside_eyes(frames[0].shape, eyes)
    anywhere = np.any(discs, axis=0)
    moved = np.zeros(frames[0].shape[:2], bool)
    steps = []
    for a, b in zip(frames, frames[1:] + frames[:1]):
        changed = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > level
        moved |= changed
        steps.append(int(changed.sum()))
    assert not (moved & ~anywhere).any(), f"{int((moved & ~anywhere).sum())} pixels outside the eyes changed"
    for disc in discs:
        assert (moved & disc).sum() > 10, "a pupil did not move"
    assert steps[-1] <= max(steps[:-1]), (steps[-1], steps[:-1])  # the seam is no bigger a jump than any frame


@pytest.fixture(scope="module")
def astronaut_app(browser, server_url):
    context = browser.new_context(accept_downloads=True)
    app = AppPage(context, server_url).open()
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    yield app
    foreign = app.foreign_requests()
    context.close()
    assert foreign == []


def animation_of(app, name="astronaut.jpg"):
    download = app.download(app.page.locator("#results .result").filter(has_text=name).locator(".download-animation"))
    record = app.page.evaluate("window.googly.animations.at(-1)")
    assert record["ok"], record
    return download, record


@pytest.mark.parametrize("format, extension, pillow_format", [("gif", ".gif", "GIF"), ("webp", ".webp", "WEBP"),
                                                             ("apng", ".png", "PNG")])
def test_picture_formats_loop_with_the_frames_asked_for_and_only_pupils_move(astronaut_app, format, extension, pillow_format):
    app = astronaut_app
    choose(app, format=format, seconds=2, size=360, motion="shake")
    download, record = animation_of(app)
    assert download.name == f"astronaut.googly{extension}"
    image = Image.open(io.BytesIO(download.data))
    assert image.format == pillow_format and image.size == (360, 360)
    assert image.n_frames == 50 == record["frames"]  # 2 s at 25 fps
    assert image.info.get("loop") == 0  # forever
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(np.asarray(frame.convert("RGB")))  # (loads it: then its info has its duration)
        durations.append(frame.info.get("duration"))
    assert all(duration == 40 for duration in durations), durations
    lossy = format == "webp"
    check_only_pupils_move(frames, eyes_at(app, "astronaut.jpg", 360 / 512), level=40 if lossy else 0)


def mp4_boxes(data: bytes, path: list[bytes]) -> bytes:
    """The body of the box at `path` (first match at each level)."""
    body = data
    for kind in path:
        position = 0
        while position < len(body):
            size, found = struct.unpack(">I4s", body[position:position + 8])
            if found == kind:
                body = body[position + 8:position + size]
                break
            position += size
        else:
            raise AssertionError(f"no {kind} box")
    return body


VIDEO_PAGE = """async ([b64, type]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const video = document.createElement('video');
    video.muted = true;
    video.src = URL.createObjectURL(new Blob([bytes], {type}));
    await new Promise((resolve, reject) => { video.onloadeddata = resolve; video.onerror = () => reject(new Error('the video does not decode')); });
    const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const context = canvas.getContext('2d');
    const frames = [];
    for (const t of [0.05, 0.35, 0.65, 0.95, 1.25, 1.55, 1.85]) {
        video.currentTime = t;
        await new Promise((resolve) => { video.onseeked = resolve; });
        context.drawImage(video, 0, 0);
        frames.push(Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data));
    }
    return {width: video.videoWidth, height: video.videoHeight, duration: video.duration, frames};
}"""


def test_mp4_is_h264_at_30_fps_and_plays_in_the_browser(astronaut_app):
    app = astronaut_app
    choose(app, format="mp4", seconds=2, size=360, motion="shake")
    download, record = animation_of(app)
    assert download.name == "astronaut.googly.mp4" and record["format"] == "mp4"
    data = download.data
    # the boxes: H.264 (avc1), 60 samples of 1/30 s
    stsd = mp4_boxes(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    assert stsd[12:16] == b"avc1"
    timescale = struct.unpack(">I", mp4_boxes(data, [b"moov", b"trak", b"mdia", b"mdhd"])[12:16])[0]
    stts = mp4_boxes(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    entries = struct.unpack(">I", stts[4:8])[0]
    runs = [struct.unpack(">II", stts[8 + 8 * i:16 + 8 * i]) for i in range(entries)]
    assert sum(count for count, _ in runs) == 60
    assert all(abs(delta / timescale - 1 / 30) < 1e-3 for _, delta in runs), (runs, timescale)
    check_video_plays(app, data, "video/mp4")


def check_video_plays(app, data: bytes, mime: str):
    """The browser plays it: right size and length, pupils moving, the photo still (up to compression)."""
    page = app.context.new_page()  # a plain page: no CSP, the video from a blob: URL
    played = page.evaluate(VIDEO_PAGE, [base64.b64encode(data).decode(), mime])
    page.close()
    assert (played["width"], played["height"]) == (360, 360)
    assert abs(played["duration"] - 2.0) < 0.05
    frames = [np.array(frame, np.uint8).reshape(360, 360, 4)[:, :, :3] for frame in played["frames"]]
    eyes = eyes_at(app, "astronaut.jpg", 360 / 512)
    discs = np.any(inside_eyes(frames[0].shape, eyes, margin=3), axis=0)
    changes = [np.abs(a.astype(int) - b.astype(int)).max(axis=2) for a, b in zip(frames, frames[1:])]
    inside = sum(int((change[discs] > 60).sum()) for change in changes)
    outside = sum(int((change[~discs] > 60).sum()) for change in changes)
    assert inside > 100 and outside < 0.001 * discs.size * len(changes), (inside, outside)


def test_without_h264_the_video_is_webm_and_without_any_encoder_the_page_says_so(open_app, server_url):
    app = open_app(server_url + "?video=vp9")  # as a browser without an H.264 encoder
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    choose(app, format="mp4", seconds=2, size=360)
    download, record = animation_of(app)
    assert download.name == "astronaut.googly.webm" and record["format"] == "webm"
    assert download.data[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
    assert "WebM" in app.page.locator("#status").inner_text()
    check_video_plays(app, download.data, "video/webm")

    app = open_app(server_url + "?video=none")  # no video encoder at all
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    choose(app, format="mp4", seconds=1, size=360)
    app.page.locator("#results .result .download-animation").click()
    app.page.wait_for_function("window.googly.animations.length === 1", timeout=TIMEOUT_MS)
    assert app.page.evaluate("window.googly.animations[0]")["error"] == "codec-missing"
    assert "cannot make videos" in app.page.locator("#status").inner_text()
    choose(app, format="gif")  # and the other formats still work
    assert animation_of(app)[0].name == "astronaut.googly.gif"


def test_download_all_as_animations_makes_a_zip_of_them_with_their_motion(astronaut_app):
    app = astronaut_app
    choose(app, format="gif", seconds=1, size=360, motion="drop")
    download = app.download("#download-all-animations")
    assert download.name.startswith("googly-eyes-animations-") and download.name.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(archive.namelist()) == ["astronaut.googly.gif", "detections.json"]
    gif = Image.open(io.BytesIO(archive.read("astronaut.googly.gif")))
    assert gif.n_frames == 25
    notes = json.loads(archive.read("detections.json"))["images"][0]["animation"]
    assert notes["motion"] == "drop" and notes["frames"] == 25 and notes["fps"] == 25
    assert len(notes["physics"]["eyes"]) == 2


def test_cancel_stops_an_animation_and_the_next_one_works(astronaut_app):
    app = astronaut_app
    choose(app, format="apng", seconds=6, size=1080, motion="jiggle")
    app.page.locator("#results .result .edit").click()
    memory_before = app.page.evaluate("window.googlyMemory()")["malloc_bytes"]
    before = len(app.page.evaluate("window.googly.animations"))
    downloads = []
    def keep(download):
        downloads.append(download)
    app.page.on("download", keep)
    app.page.click("#editor-animation")
    app.page.wait_for_function("document.querySelector('#animation-progress progress').value >= 6", timeout=TIMEOUT_MS)
    app.page.click("#cancel-animation")
    app.page.wait_for_function(f"window.googly.animations.length > {before}", timeout=TIMEOUT_MS)
    record = app.page.evaluate("window.googly.animations.at(-1)")
    assert record == {**record, "ok": False, "error": "cancelled"}
    assert app.page.locator("#animation-progress").is_hidden()
    assert "cancelled" in app.page.locator("#status").inner_text()
    assert downloads == []
    app.page.remove_listener("download", keep)
    # and let go of what it had made (frames, the encoder's output): the worker's heap is back within 8 MB
    memory_after = app.page.evaluate("window.googlyMemory()")["malloc_bytes"]
    assert memory_after - memory_before < 8_000_000, (memory_before, memory_after)
    # the worker is free and makes the next one
    choose(app, format="gif", seconds=1, size=360)
    with app.page.expect_download() as info:
        app.page.click("#editor-animation")
    assert info.value.suggested_filename == "astronaut.googly.gif"
    app.page.click("#editor-close")


# ---- The editor's live wobble ----------------------------------------------------------------------

def wobble(app) -> dict:
    return app.page.evaluate("window.googly.wobble()")


def eye_pixels(app) -> bytes:
    """The live canvas's pixels around the eyes (its own resolution)."""
    return bytes(app.page.evaluate("""() => {
        const canvas = document.querySelector('#wobble-canvas');
        const eyes = window.googly.photos[0].result.eyes;
        const xs = eyes.map((e) => e.centre[0]), ys = eyes.map((e) => e.centre[1]), r = Math.max(...eyes.map((e) => e.radius)) + 2;
        const scale = canvas.width / window.googly.photos[0].result.width;
        const left = Math.floor((Math.min(...xs) - r) * scale), top = Math.floor((Math.min(...ys) - r) * scale);
        const width = Math.ceil((Math.max(...xs) - Math.min(...xs) + 2 * r) * scale), height = Math.ceil((Math.max(...ys) - Math.min(...ys) + 2 * r) * scale);
        return Array.from(canvas.getContext('2d').getImageData(left, top, width, height).data);
    }"""))


def open_editor_with_wobble(app):
    app.page.locator("#results .result .edit").first.click()
    app.page.click("#wobble")
    app.page.wait_for_function("!document.querySelector('#wobble-canvas').hidden && window.googly.wobble().drawn > 0",
                               timeout=TIMEOUT_MS)


def test_wobble_moves_the_pupils_live_and_stops_when_switched_off(open_app, server_url):
    app = open_app(server_url)
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    open_editor_with_wobble(app)
    assert app.page.locator("#overlay").is_hidden()  # no handles while it wobbles
    seen = set()
    for _ in range(6):  # the pupils fall from where the still picture had them, and bounce
        seen.add(eye_pixels(app))
        app.page.wait_for_timeout(60)
    assert len(seen) >= 3, wobble(app)
    app.page.wait_for_function("!window.googly.wobble().running", timeout=TIMEOUT_MS)  # at rest: the loop idles
    rest = wobble(app)
    reach = app.page.evaluate("window.googly.photos[0].result.eyes.map((e) => 1 - e.pupil_radius / e.radius)")
    for i, limit in enumerate(reach):  # settled at the bottom of each eye
        assert abs(rest["pupils"][2 * i]) < 0.05 and abs(rest["pupils"][2 * i + 1] - limit) < 0.02, (rest, reach)
    # Shake: they fly again
    app.page.click("#shake")
    app.page.wait_for_timeout(150)
    shaken = wobble(app)
    assert shaken["frames"] > rest["frames"] and shaken["pupils"] != rest["pupils"]
    # a fling: the photo follows the pointer and springs back, and the pupils move
    box = app.page.locator("#wobble-canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    app.page.mouse.move(x, y)
    app.page.mouse.down()
    app.page.mouse.move(x + 60, y, steps=5)
    moved = app.page.evaluate("document.querySelector('#stage').style.transform")
    assert moved.startswith("translate(") and not moved.startswith("translate(0px")
    app.page.mouse.up()
    app.page.wait_for_function("!window.googly.wobble().running", timeout=TIMEOUT_MS)
    back = app.page.evaluate("(() => { const m = new DOMMatrix(getComputedStyle(document.querySelector('#stage')).transform);"
                             " return [m.m41, m.m42]; })()")
    assert max(map(abs, back)) < 0.5, back  # sprung back
    # Before / after shows the photo without googly eyes, wobbling or not
    app.page.click("#compare")
    assert app.page.locator("#wobble-canvas").is_hidden()
    app.page.click("#compare")
    assert app.page.locator("#wobble-canvas").is_visible()
    # switched off: the still picture and its handles again, and no more frames
    app.page.click("#wobble")
    assert app.page.locator("#wobble-canvas").is_hidden() and app.page.locator("#overlay").is_visible()
    frames = wobble(app)["frames"]
    app.page.wait_for_timeout(300)
    assert wobble(app)["frames"] == frames and not wobble(app)["running"]


def test_with_reduced_motion_nothing_moves_until_the_person_does(open_app, server_url):
    app = open_app(server_url, reduced_motion="reduce")
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    open_editor_with_wobble(app)
    assert "less motion" in app.page.locator("#stage-hint").inner_text()
    first = eye_pixels(app)
    app.page.wait_for_timeout(500)
    assert eye_pixels(app) == first and not wobble(app)["running"]  # already at rest: no motion by itself
    app.page.click("#shake")
    app.page.wait_for_timeout(120)
    assert eye_pixels(app) != first


def test_share_animation_hands_the_animation_made_to_the_share_sheet(open_app, server_url):
    from test_ways_in_and_out import SHARE_SHEET_STAND_IN

    app = open_app(server_url, init_script=SHARE_SHEET_STAND_IN)
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    choose(app, format="gif", seconds=1, size=360)
    app.page.locator("#results .result .edit").click()
    assert app.page.locator("#share-animation").is_hidden()  # nothing made yet
    made = app.download("#editor-animation")
    app.page.click("#share-animation")
    app.page.wait_for_function("window.sharedWithTheSheet.length === 1", timeout=TIMEOUT_MS)
    [shared] = app.page.evaluate("window.sharedWithTheSheet")
    assert (shared["name"], shared["type"]) == ("astronaut.googly.gif", "image/gif")
    assert base64.b64decode(shared["data"]) == made.data
    assert app.errors == []


def test_in_look_at_mode_the_pupils_follow_the_pointer(open_app, server_url):
    app = open_app(server_url)
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    app.page.locator("#results .result .edit").click()
    app.page.locator('input[name="pupil_mode"][value="look_at"]').check()
    app.page.wait_for_function("window.googly.photos[0].settings?.pupil_mode === 'look_at' && !window.googly.photos[0].rendering")
    app.page.click("#wobble")
    app.page.wait_for_function("window.googly.wobble().drawn > 0", timeout=TIMEOUT_MS)
    box = app.page.locator("#wobble-canvas").bounding_box()
    for x, sign in ((box["x"] + 5, -1), (box["x"] + box["width"] - 5, 1)):  # the pointer at the left, then the right edge
        app.page.mouse.move(x, box["y"] + box["height"] * 0.2)
        app.page.wait_for_timeout(700)
        pupils = wobble(app)["pupils"]
        assert all(sign * pupils[2 * i] > 0.15 for i in range(len(pupils) // 2)), (sign, pupils)


def test_a_photo_the_browser_cannot_decode_is_animated_from_pillow(open_app, server_url):
    """TIFF: the browser cannot decode it, so the worker decodes it with Pillow; the animation is the same."""
    buffer = io.BytesIO()
    Image.open(ASTRONAUT).save(buffer, "TIFF")
    app = open_app(server_url)
    app.drop([("astronaut.tif", buffer.getvalue())])
    app.wait_for_results(1)
    choose(app, format="gif", seconds=1, size=360, motion="jiggle")
    download, record = animation_of(app, "astronaut.tif")
    assert download.name == "astronaut.googly.gif" and record["timings"]["decode"] > 0
    image = Image.open(io.BytesIO(download.data))
    assert image.size == (360, 360) and image.n_frames == 25
    frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]
    check_only_pupils_move(frames, eyes_at(app, "astronaut.tif", 360 / 512), level=0)
    # the photo itself is there (the fixture's colours, not a blank canvas)
    reference = np.asarray(Image.open(ASTRONAUT).convert("RGB").resize((360, 360)), int)
    assert np.abs(frames[0].astype(int) - reference).mean() < 12


# ---- The eye-shaped style, moving ------------------------------------------------------------------------

def test_eye_shaped_googly_eyes_wobble_and_animate_inside_their_ellipses(open_app, server_url):
    app = open_app(server_url)
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    app.page.locator("#results .result .edit").first.click()
    app.page.locator("#controls label", has=app.page.locator('input[name="style"][value="eye_shaped"]')).click()
    app.page.wait_for_function("() => { const p = window.googly.photos[0]; return p.settings && "
                               "p.settings.style === 'eye_shaped' && !p.rendering && p.result.eyes[0].aspect < 1; }",
                               timeout=TIMEOUT_MS)
    eyes = app.page.evaluate("window.googly.photos[0].result.eyes")
    assert all(0.4 < eye["aspect"] < 1 for eye in eyes), eyes

    # an animated GIF: every changed pixel lies in an eye's ellipse (plus a pixel and a half)
    choose(app, format="gif", seconds=1, size=360, motion="shake")
    app.page.click("#editor-close")
    download, record = animation_of(app)
    frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(Image.open(io.BytesIO(download.data)))]
    size, k = frames[0].shape[0], frames[0].shape[0] / 512
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    inside = np.zeros((size, size), bool)
    for eye in eyes:
        t = math.radians(eye["tilt_degrees"])
        dx, dy = xx - eye["centre"][0] * k, yy - eye["centre"][1] * k
        u, v = dx * math.cos(t) + dy * math.sin(t), -dx * math.sin(t) + dy * math.cos(t)
        inside |= (u / (eye["radius"] * k + 1.5)) ** 2 + (v / (eye["radius"] * eye["aspect"] * k + 1.5)) ** 2 <= 1
    moved = np.zeros((size, size), bool)
    for a, b in zip(frames, frames[1:]):
        moved |= np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 0
    assert moved.sum() > 20 and not (moved & ~inside).any(), int((moved & ~inside).sum())

    # the live wobble draws them too
    open_editor_with_wobble(app)
    assert wobble(app)["drawn"] > 0
    assert app.errors == []

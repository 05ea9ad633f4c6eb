"""The background in real headless Chromium with the real model: fetched only when first used, and each mode
changing only the background's pixels of what a person downloads (the face as it was; a transparent PNG
for "remove")."""

import io

import numpy as np
from PIL import Image

from support import FIXTURES
from test_editor import choose, download_json, editor_download, open_editor, settle

ASTRONAUT = FIXTURES / "astronaut.jpg"
COFFEE = FIXTURES / "coffee_no_face.jpg"
SEGMENTATION = "models/selfie_segmentation."


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def inner(box, margin=0.2):
    """The middle of a face box: the face itself (a box's corners can be background, beside the chin)."""
    x0, y0, x1, y1 = box
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    return np.s_[round(y0 + dy):round(y1 - dy), round(x0 + dx):round(x1 - dx)]


def difference(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(a.convert("RGB"), int) - np.asarray(b.convert("RGB"), int)).max(axis=2)


def face_pixels(face: dict, size: tuple[int, int]) -> np.ndarray:
    """The middle of the face without its googly eyes and their sparkles (drawn by the browser's canvas in
    one download and by Pillow in the other, and JPEG rings differently round them)."""
    mask = np.zeros(size[::-1], bool)
    mask[inner(face["box"])] = True
    ys, xs = np.mgrid[:size[1], :size[0]]
    for eye in face["googly_eyes"].values():
        (x, y), radius = eye["centre"], eye["radius"]
        mask &= np.hypot(xs + 0.5 - x, ys + 0.5 - y) > 1.8 * radius
    return mask


def astronaut_in_the_editor(open_app, server_url):
    app = open_app(server_url)
    app.drop([("astronaut.jpg", ASTRONAUT.read_bytes())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1, record
    open_editor(app, "astronaut.jpg")
    return app


def model_requests(app) -> list[str]:
    return [url for url in app.requests if SEGMENTATION in url]


def test_each_background_mode_changes_only_the_background_and_the_model_comes_when_first_used(open_app, server_url):
    app = open_app(server_url)
    app.drop([("astronaut.jpg", ASTRONAUT.read_bytes())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1, record
    assert model_requests(app) == []  # not at boot, not for a photo: most visits never need it
    face = download_json(app, "astronaut.jpg")["images"][0]["faces"][0]
    middle = face_pixels(face, (512, 512))

    open_editor(app, "astronaut.jpg")
    kept = decoded(editor_download(app))
    assert app.page.is_hidden("#background-colour-label") and app.page.is_hidden("#background-photo")

    choose(app, "background", "blur")
    settle(app, 0, "p.settings && p.settings.background === 'blur'")
    assert [url.rsplit("/", 1)[1] for url in model_requests(app)] == ["selfie_segmentation.fp16.onnx"]
    blurred = decoded(editor_download(app))
    changed = difference(kept, blurred)
    assert changed[middle].max() <= 12  # the face: as it was (both are JPEGs)
    assert changed[:60, :150].mean() > 4  # the flag in the corner: blurred
    assert app.page.evaluate("window.googly.photos[0].result.people") == 1
    assert app.page.is_hidden("#background-status")

    choose(app, "background", "colour")
    assert app.page.is_visible("#background-colour-label")
    app.page.fill("#background-colour", "#ff00ff")
    settle(app, 0, "p.settings && p.settings.background_colour === '#ff00ff'")
    coloured = decoded(editor_download(app))
    assert difference(kept, coloured)[middle].max() <= 12
    corner = np.asarray(coloured.convert("RGB"), int)[:40, :120].reshape(-1, 3)
    assert np.abs(corner - (255, 0, 255)).max() <= 12
    assert download_json(app, "astronaut.jpg")["settings"]["background_colour"] == "#ff00ff"

    choose(app, "background", "remove")
    settle(app, 0, "p.settings && p.settings.background === 'remove'")
    download = app.download("#editor-download")
    assert download.name == "astronaut.googly.png"
    png = decoded(download.data)
    assert png.mode == "RGBA" and png.size == kept.size
    alpha = np.asarray(png.getchannel("A"))
    assert alpha[:40, :120].max() == 0 and alpha[middle].min() == 255
    assert difference(kept, png)[middle].max() <= 12
    assert 0.2 < (alpha > 127).mean() < 0.8

    # "Photo" asks for the photo first (the look changes once one is chosen), then puts it behind her.
    with app.page.expect_file_chooser() as chooser:
        app.page.locator("#controls label", has=app.page.locator('input[name="background"][value="photo"]')).click()
    chooser.value.set_files(str(COFFEE))
    settle(app, 0, "p.settings && p.settings.background === 'photo'")
    assert "coffee_no_face.jpg" in app.page.inner_text("#background-photo")
    swapped = decoded(editor_download(app))
    assert difference(kept, swapped)[middle].max() <= 12
    assert difference(kept, swapped)[:60, :150].mean() > 20
    assert len(model_requests(app)) == 1  # fetched once
    assert app.errors == []


def test_a_photo_without_people_keeps_its_background_and_says_why(open_app, server_url):
    app = open_app(server_url)
    app.drop([("coffee.jpg", COFFEE.read_bytes())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 0, record
    open_editor(app, "coffee.jpg")
    choose(app, "background", "remove")
    settle(app, 0, "p.settings && p.settings.background === 'remove' && p.result.people === 0")
    assert "No people found" in app.page.inner_text("#background-status")
    after = decoded(app.download("#editor-download").data)  # a PNG, as "remove" always gives
    changed = difference(decoded(COFFEE.read_bytes()), after)  # Pillow here and in wasm decode a JPEG a little
    assert after.mode == "RGB" and changed.mean() < 2 and np.percentile(changed, 99) <= 10  # differently
    assert app.page.is_visible("#background-status")
    assert app.errors == []


def test_an_animation_and_the_wobble_carry_the_background(open_app, server_url):
    app = astronaut_in_the_editor(open_app, server_url)
    choose(app, "background", "colour")
    app.page.fill("#background-colour", "#0000ff")
    settle(app, 0, "p.settings && p.settings.background_colour === '#0000ff'")
    app.page.evaluate("""() => { for (const [id, value] of [['#animation-format', 'gif'], ['#animation-seconds', '1'],
        ['#animation-size', '360']]) { const control = document.querySelector(id); control.value = value;
        control.dispatchEvent(new Event('input')); } }""")
    gif = decoded(app.download("#editor-animation").data)
    assert gif.format == "GIF" and gif.n_frames > 10 and gif.size == (360, 360)
    corner = np.asarray(gif.convert("RGB"), int)[:20, :60].reshape(-1, 3)
    assert np.abs(corner - (0, 0, 255)).max() <= 24  # the GIF's palette, near enough
    app.page.check("#wobble")
    app.page.wait_for_function("window.googly.wobble().frames > 3", timeout=60_000)
    painted = app.page.evaluate("""() => { const canvas = document.querySelector('#wobble-canvas');
        return Array.from(canvas.getContext('2d').getImageData(4, 4, 1, 1).data); }""")
    assert max(abs(a - b) for a, b in zip(painted[:3], (0, 0, 255))) <= 6  # the base is a JPEG
    assert app.errors == []


def test_a_model_that_cannot_be_fetched_or_a_bad_background_photo_says_so_and_the_app_goes_on(open_app, server_url):
    app = astronaut_in_the_editor(open_app, server_url)
    # Offline on first use (the model never fetched): a clear message; the photo keeps its look.
    app.page.route("**/models/selfie_segmentation*", lambda route: route.abort())
    choose(app, "background", "blur")
    app.page.wait_for_function("() => { const p = window.googly.photos[0]; return !p.rendering && p.result.problem; }",
                               timeout=60_000)
    status = app.page.inner_text("#background-status")
    assert "background model could not be loaded" in status and "connection" in status
    # Back online: choosing again works.
    app.page.unroute("**/models/selfie_segmentation*")
    choose(app, "background", "colour")
    settle(app, 0, "p.settings && p.settings.background === 'colour' && !p.result.problem && p.result.people === 1")
    assert app.page.is_hidden("#background-status")
    # A file that is not a photo, chosen as the background: said, and the look stays as it was.
    with app.page.expect_file_chooser() as chooser:
        app.page.locator("#controls label", has=app.page.locator('input[name="background"][value="photo"]')).click()
    chooser.value.set_files(files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}])
    app.page.wait_for_function("document.querySelector('#background-status').textContent.includes('notes.jpg')")
    assert "notes.jpg" in app.page.inner_text("#background-status")
    assert app.page.is_checked('input[name="background"][value="colour"]')
    assert app.page.evaluate("window.googly.photos[0].settings.background") == "colour"
    assert [error for error in app.errors if "Failed to load resource" not in error] == [], app.errors

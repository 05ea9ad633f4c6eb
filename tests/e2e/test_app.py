"""The app in real headless Chromium against the built site: boot, drop, look, download, offline, sub-path."""

import io
import json
import math

import numpy as np
from PIL import Image

from support import FACES_DEV, run

DEV_THREE = FACES_DEV / "images" / "afw_1130084326.jpg"  # eyes 66-75 px apart


def native_result(path, models):
    from googly_eyes.pipeline import process_photo

    return run(process_photo(path.read_bytes(), path.name, models))


def assert_googly_eyes_painted(result: Image.Image, original: Image.Image, faces: list[dict]) -> None:
    """At every googly eye, opposite its pupil, the download is white where the photo was not; the pupil dark."""
    pixels, before = np.asarray(result, float), np.asarray(original, float)
    for face in faces:
        for side in ("right", "left"):
            eye = face["googly_eyes"][side]
            (cx, cy), (px, py), radius = eye["centre"], eye["pupil_centre"], eye["radius"]
            norm = math.hypot(px - cx, py - cy) or 1.0
            x = int(cx - (px - cx) / norm * radius * 0.5)
            y = int(cy - (py - cy) / norm * radius * 0.5)
            assert pixels[y, x].min() > 225, (face["box"], side, pixels[y, x])
            pupil = pixels[int(py), int(px)]
            assert pupil.max() < 80, (face["box"], side, pupil)
    assert np.abs(pixels - before).mean() > 0.1  # something was painted


def card_button(app, card_index: int, link_class: str):
    return app.page.locator("#results .result").nth(card_index).locator(f".{link_class}")


def test_boot_shows_progress_then_ready(open_app, server_url):
    app = open_app(server_url)
    assert app.page.locator("#boot-text").inner_text().startswith("Ready in")
    assert app.page.locator("#boot-progress").get_attribute("value") == "3"
    info = app.page.evaluate("window.googly.info")
    assert info["model"].endswith(".onnx") and info["threads"] in (1, 2)
    assert app.page.evaluate("crossOriginIsolated") is True  # serve.py sends COOP/COEP
    assert app.errors == []


def test_dropped_group_photo_gets_googly_eyes_on_the_eyes(open_app, server_url, models, group_photo, tmp_path):
    # PNG, so the browser and CPython decode the same pixels: Pyodide's Pillow and the native wheel link
    # different libjpeg builds whose JPEG decodes differ by a grey level here and there, enough to flip
    # a face whose score sits at the detector's threshold. The pipeline itself must agree exactly.
    photo = tmp_path / f"{group_photo.stem}.png"
    Image.open(group_photo).convert("RGB").save(photo)
    app = open_app(server_url)
    app.drop([photo])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3, record

    name, image_bytes = app.download(card_button(app, 0, "download-image"))
    _, json_bytes = app.download(card_button(app, 0, "download-json"))
    original = Image.open(photo).convert("RGB")
    result = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    assert name == f"{photo.stem}.googly.png" and result.size == original.size
    detections = json.loads(json_bytes)["images"][0]
    assert len(detections["faces"]) == record["faces"]
    # The eyes were located by the face landmarker in the browser: eyelid contours and outlines.
    for face in detections["faces"]:
        assert face["presence"] >= 0.5
        assert all(len(face["eyes"][side]["contour"]) == 16 for side in ("right", "left"))
        assert all(len(face["eyes"][side]["outline"]) == 16 for side in ("right", "left"))

    assert_googly_eyes_painted(result, original, detections["faces"])

    # The browser's detections are the native pipeline's: same faces, eyes within 0.5 px.
    native = native_result(photo, models).detections()["images"][0]["faces"]
    assert [round(f["score"], 3) for f in native] == [round(f["score"], 3) for f in detections["faces"]]
    for browser_face, native_face in zip(detections["faces"], native):
        for key in ("right_eye", "left_eye"):
            assert math.dist(browser_face[key], native_face[key]) <= 0.5, (key, browser_face, native_face)
        # the expressions too: the blendshapes model ran in the page
        assert len(browser_face["expressions"]["scores"]) == 51
        for key in ("smile", "blink_right", "blink_left", "surprise"):
            assert abs(browser_face["expressions"][key] - native_face["expressions"][key]) <= 0.05, key
    assert app.errors == []


# (x, y) on the upright photo (w x h) -> on the photo turned counter-clockwise (as a phone held sideways
# and a photo upside down arrive when their pixels are turned and no EXIF tag says so)
TURNED = {"sideways": (Image.Transpose.ROTATE_90, lambda x, y, w, h: (y, w - x)),
          "upside-down": (Image.Transpose.ROTATE_180, lambda x, y, w, h: (w - x, h - y))}


def test_sideways_and_upside_down_group_photos_get_googly_eyes_on_the_eyes(open_app, server_url, models,
                                                                         group_photo, tmp_path):
    upright = tmp_path / "upright.png"
    Image.open(group_photo).convert("RGB").save(upright)
    width, height = Image.open(upright).size
    expected = native_result(upright, models).detections()["images"][0]["faces"]
    assert len(expected) >= 3
    photos = []
    for label, (transpose, _) in TURNED.items():
        photos.append(tmp_path / f"{label}.png")
        Image.open(upright).transpose(transpose).save(photos[-1])
    app = open_app(server_url)
    app.drop(photos)
    records = app.wait_for_results(2)
    for index, (label, (_, move)) in enumerate(TURNED.items()):
        record = next(r for r in records if r["name"] == f"{label}.png")
        assert record["ok"] and record["faces"] >= len(expected), record
        card = app.page.locator("#results .result").filter(has_text=f"{label}.png")
        name, image_bytes = app.download(card.locator(".download-image"))
        _, json_bytes = app.download(card.locator(".download-json"))
        assert name == f"{label}.googly.png"
        faces = json.loads(json_bytes)["images"][0]["faces"]
        # every face of the upright photo is found turned, each eye where the turn puts it (the subject's
        # right eye still "right_eye"), within a tenth of the eye distance
        for face in expected:
            right, left = (move(*face[key], width, height) for key in ("right_eye", "left_eye"))
            tolerance = 0.1 * math.dist(right, left)
            assert any(math.dist(f["right_eye"], right) <= tolerance and math.dist(f["left_eye"], left) <= tolerance
                       for f in faces), (label, face["box"])
        turned = Image.open(photos[index]).convert("RGB")
        assert_googly_eyes_painted(Image.open(io.BytesIO(image_bytes)).convert("RGB"), turned, faces)
    assert app.errors == []


def test_eyes_match_hand_annotations_in_the_browser(open_app, server_url, faces_dev):
    """On an annotated dev photo of three people, each gets googly eyes on the annotated eyes."""
    app = open_app(server_url)
    app.drop([DEV_THREE])
    app.wait_for_results(1)
    _, json_bytes = app.download(card_button(app, 0, "download-json"))
    faces = json.loads(json_bytes)["images"][0]["faces"]
    truth = next(image for image in faces_dev["images"] if image["file"].endswith(DEV_THREE.name))["faces"]
    visible = [t for t in truth if not t.get("ignore") and t.get("eyes_visible", True) and t.get("right_eye")]
    hits = 0
    for t in visible:
        distance = math.dist(t["right_eye"], t["left_eye"])
        errors = [max(math.dist(f["right_eye"], t["right_eye"]), math.dist(f["left_eye"], t["left_eye"])) / distance
                  for f in faces]
        hits += bool(errors) and min(errors) <= 0.25
    assert len(visible) == 3 and hits == 3, (hits, len(visible))


def test_picker_takes_several_files_and_bad_ones_say_why(open_app, server_url, tmp_path, group_photo):
    photo = group_photo
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"these are not pixels")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    plain = tmp_path / "sky.png"
    Image.new("RGB", (300, 200), (90, 150, 230)).save(plain)

    app = open_app(server_url)
    app.page.set_input_files("#file-input", [str(photo), str(notes), str(empty), str(plain)])
    records = app.wait_for_results(4)
    by_name = {record["name"]: record for record in records}
    assert len(by_name) == 4  # every file in is a result or an error: none lost
    assert by_name[photo.name]["ok"] and by_name[photo.name]["faces"] >= 3
    assert by_name["notes.jpg"]["error"] == "not-an-image" and "notes.jpg" in by_name["notes.jpg"]["message"]
    assert by_name["empty.png"]["error"] == "empty-file"
    assert by_name["sky.png"]["ok"] and by_name["sky.png"]["faces"] == 0
    bad_card = app.page.locator("#results .result.error").filter(has_text="notes.jpg")
    assert bad_card.locator(".message").is_visible()
    assert not bad_card.locator(".actions").is_visible()  # nothing to download from a file we could not read
    texts = app.page.locator("#results .result .message").all_inner_texts()
    assert any("No faces found" in text for text in texts)
    assert any("notes.jpg is not an image" in text for text in texts)
    # The status names the last photo: the engine takes photos in the order they were picked.
    status = app.page.locator("#status").inner_text()
    assert "sky.png" in status, status


def test_works_with_the_network_off_after_loading(open_app, server_url, group_photo):
    app = open_app(server_url)
    app.context.set_offline(True)
    app.drop([group_photo])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3


def test_works_under_a_sub_path_as_on_github_pages(open_app, subpath_url, group_photo):
    assert subpath_url.endswith("/googly-eyes/")
    app = open_app(subpath_url)
    app.drop([group_photo])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3
    assert all("/googly-eyes/" in url for url in app.requests if not url.startswith(("blob:", "data:")))


def test_photos_dropped_while_loading_wait_and_are_processed(browser, server_url, group_photo):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server_url, wait_until="domcontentloaded")
    data = list(group_photo.read_bytes())
    page.evaluate("""(data) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(data)], 'early.jpg'));
        document.querySelector('#drop-zone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", data)
    assert page.evaluate("window.googly.readyMs") is None  # dropped before the app was ready
    page.wait_for_function("window.googly.results.length >= 1", timeout=180_000)
    assert page.evaluate("window.googly.results[0].ok") is True
    context.close()


def test_canvas_export_matches_the_pillow_export(open_app, server_url, group_photo, tmp_path):
    """Downloads are composited by the browser (canvas) from layers Python paints; the Pillow path is
    the fallback for what the browser cannot decode. Same photo, same look: the same pixels (PNG in
    and out, so both decoders see identical pixels; 2 levels of blending/rounding tolerance)."""
    photo = tmp_path / "group.png"
    Image.open(group_photo).convert("RGB").save(photo)
    tiff = tmp_path / "scan.tiff"
    Image.open(group_photo).convert("RGB").save(tiff)
    downloads = {}
    for path in ("canvas", "pillow"):
        app = open_app(f"{server_url}?export={path}")
        app.drop([photo, tiff])
        assert all(record["ok"] for record in app.wait_for_results(2))
        app.page.select_option("#output-format", "png")
        for index in range(2):
            name, data = app.download(card_button(app, index, "download-image"))
            downloads[path, name] = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=int)
        paths = {record["name"]: record["path"] for record in app.page.evaluate("window.googly.exports")}
        # The browser cannot decode TIFF: that photo always takes the Pillow path.
        assert paths == {"group.png": path, "scan.tiff": "pillow"}
    canvas, pillow = downloads["canvas", "group.googly.png"], downloads["pillow", "group.googly.png"]
    assert canvas.shape == pillow.shape
    assert np.abs(canvas - pillow).max() <= 2
    assert (canvas != np.asarray(Image.open(photo), dtype=int)).any(axis=2).sum() > 100  # eyes are there

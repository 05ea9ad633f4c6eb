"""Every way a photo comes in and goes out, and tidying the gallery, in real headless Chromium with the
real models: rotate by hand (and undo it), remove a photo and clear all (the worker's memory let go),
long names; paste, drops from other pages, the share target; Share, Copy image, photo information.

Each check ends in what a person gets: the downloaded file's pixels, size and EXIF, the detections
JSON, the cards on the page, the worker's own memory report.
"""

import base64
import io
import json
import math

import numpy as np
from PIL import Image

from support import FIXTURES

ASTRONAUT = FIXTURES / "astronaut.jpg"
TIMEOUT_MS = 60_000


def card(app, name: str):
    return app.page.locator("#results .result").filter(has_text=name)


def photo(app, name: str, field: str):
    """A field of the page's record of the photo called `name` (window.googly.photos)."""
    return app.page.evaluate("([name, field]) => { const p = window.googly.photos.find((p) => p.name === name);"
                             " return p ? JSON.parse(JSON.stringify(p[field])) : undefined; }", [name, field])


def wait_settled(app, name: str, expect: str = "true"):
    """Until the photo is neither being analysed again nor rendered, and `expect` (JS of `p`) holds."""
    app.page.wait_for_function(
        f"() => {{ const p = window.googly.photos.find((p) => p.name === {json.dumps(name)});"
        f" return p && p.result && !p.turning && !p.rendering && ({expect}); }}", timeout=TIMEOUT_MS)


def download_json(app, name: str) -> dict:
    if app.page.evaluate("document.querySelector('#editor').open"):
        app.page.click("#editor-close")
    return json.loads(app.download(card(app, name).locator(".download-json")).data)


def download_image(app, name: str) -> Image.Image:
    if app.page.evaluate("document.querySelector('#editor').open"):
        app.page.click("#editor-close")
    return Image.open(io.BytesIO(app.download(card(app, name).locator(".download-image")).data))


def eye_centres(document: dict) -> list[tuple[str, list[float]]]:
    image = document["images"][0]
    eyes = [(f"{side}", eye["centre"]) for face in image["faces"] for side, eye in sorted(face["googly_eyes"].items())]
    return eyes + [(eye["key"], eye["centre"]) for eye in image["added_googly_eyes"]]


# ---- Rotate by hand -------------------------------------------------------------------------------

def test_rotate_right_and_left_find_the_faces_again_and_undo_brings_the_photo_back(open_app, server_url, tmp_path):
    wide = tmp_path / "astronaut-wide.jpg"  # not square, so a quarter turn shows in the size
    Image.open(ASTRONAUT).crop((0, 0, 512, 400)).save(wide, quality=95)
    app = open_app(server_url)
    app.drop([wide])
    [record] = app.wait_for_results(1)
    width, height = record["width"], record["height"]
    assert (width, height) == (512, 400)
    upright = download_json(app, wide.name)
    [(_, right), (_, left)] = eye_centres(upright)[:2]
    card(app, wide.name).locator(".edit").click()
    # an eye added by hand at a known point must turn with the photo
    app.page.evaluate("""() => { const p = window.googly.photos[0];
        p.edits = {eyes: {}, added: [{key: 'a1', centre: [100, 40], radius: 20}]}; }""")

    app.page.click("#rotate-right")
    wait_settled(app, wide.name, f"p.result.width === {height} && p.turn === 1")
    assert "Rotated right" in app.page.locator("#status").inner_text() or "rotated" in app.page.locator("#status").inner_text()
    turned = download_json(app, wide.name)
    image = turned["images"][0]
    assert (image["width"], image["height"], image["rotated_by_hand_degrees"]) == (height, width, 90)
    [face] = image["faces"]
    # found again in the turned photo: each eye where a clockwise turn puts it ((x, y) -> (h - y, x)),
    # the subject's right eye still the right one
    eye_distance = math.dist(right, left)
    for found, before in ((face["right_eye"], upright["images"][0]["faces"][0]["right_eye"]),
                          (face["left_eye"], upright["images"][0]["faces"][0]["left_eye"])):
        assert math.dist(found, [height - before[1], before[0]]) < 0.1 * eye_distance, (found, before)
    assert image["added_googly_eyes"][0]["centre"] == [height - 40, 100]
    downloaded = download_image(app, wide.name)
    assert downloaded.size == (height, width)
    # the download is the original turned, googly eyes aside: compare a corner away from the face
    original = Image.open(wide).convert("RGB").transpose(Image.Transpose.ROTATE_270)
    corner = (0, height - 120, 120, height)
    difference = np.abs(np.asarray(downloaded.convert("RGB").crop(corner), float) - np.asarray(original.crop(corner), float))
    assert difference.mean() < 6, difference.mean()

    # Rotate left twice from there: a quarter turn left of upright; Undo twice: upright again
    card(app, wide.name).locator(".edit").click()
    app.page.click("#rotate-left")
    app.page.click("#rotate-left")  # clicked before the first analysis is back: the turns coalesce
    wait_settled(app, wide.name, f"p.turn === 3 && p.result.width === {height}")
    left_turned = download_json(app, wide.name)["images"][0]
    assert left_turned["rotated_by_hand_degrees"] == 270
    assert left_turned["added_googly_eyes"][0]["centre"] == [40, width - 100]
    card(app, wide.name).locator(".edit").click()
    for _ in range(3):
        app.page.click("#undo")
    wait_settled(app, wide.name, f"p.turn === 0 && p.result.width === {width}")
    back = download_json(app, wide.name)
    assert back["images"][0]["rotated_by_hand_degrees"] == 0
    assert back["images"][0]["faces"][0]["right_eye"] == upright["images"][0]["faces"][0]["right_eye"]
    assert download_image(app, wide.name).size == (width, height)
    # and Redo turns it right again
    card(app, wide.name).locator(".edit").click()
    app.page.click("#redo")
    wait_settled(app, wide.name, f"p.turn === 1 && p.result.width === {height}")
    assert app.errors == []


# ---- Gallery housekeeping ---------------------------------------------------------------------------

def worker_memory(app) -> dict:
    return app.page.evaluate("window.googlyMemory()")


def test_remove_one_and_clear_all_let_the_worker_memory_go(open_app, server_url, group_photo):
    app = open_app(server_url)
    before = worker_memory(app)
    names = [f"party {index}.jpg" for index in range(4)]
    app.drop([(name, group_photo.read_bytes()) for name in names])
    app.wait_for_results(len(names))
    full = worker_memory(app)
    assert full["photos"] == 4 and full["previews"] >= 1
    assert full["malloc_bytes"] > before["malloc_bytes"] + 4e6, (before, full)

    # the card's close button
    card(app, names[0]).locator(".remove").click()
    assert card(app, names[0]).count() == 0
    assert "party 0.jpg removed" in app.page.locator("#status").inner_text()
    # Delete on a focused card, and focus moves on to a card still there
    card(app, names[1]).locator(".edit").focus()
    app.page.keyboard.press("Delete")
    assert card(app, names[1]).count() == 0
    assert app.page.evaluate("document.activeElement.closest('.result')?.textContent.includes('party')")
    assert worker_memory(app)["photos"] == 2
    assert app.page.locator("#batch-text").inner_text() == "All 2 done"

    # Clear all asks first (more than one photo); declining keeps everything
    app.page.once("dialog", lambda dialog: dialog.dismiss())
    app.page.click("#clear-all")
    assert app.page.locator("#results .result").count() == 2
    app.page.once("dialog", lambda dialog: dialog.accept())
    app.page.click("#clear-all")
    assert app.page.locator("#results .result").count() == 0 and app.page.locator("#batch").is_hidden()
    after = worker_memory(app)
    print(f"worker malloc in use: before {before['malloc_bytes'] / 1e6:.1f} MB, 4 photos {full['malloc_bytes'] / 1e6:.1f} MB,"
          f" cleared {after['malloc_bytes'] / 1e6:.1f} MB; wasm heap {full['wasm_bytes'] / 1e6:.0f} MB")
    assert after["photos"] == 0 and after["previews"] == 0
    # malloc's bytes in use are back near the level before the photos (the wasm heap itself never shrinks)
    assert after["malloc_bytes"] < before["malloc_bytes"] + 0.25 * (full["malloc_bytes"] - before["malloc_bytes"]), (before, full, after)

    # the page goes on: a photo dropped now is analysed as usual
    app.drop([ASTRONAUT])
    app.page.wait_for_function("window.googly.photos.length === 1 && window.googly.photos[0].status === 'done'", timeout=TIMEOUT_MS)
    assert worker_memory(app)["photos"] == 1
    assert app.errors == []


def test_a_photo_removed_while_it_waits_is_never_analysed(open_app, server_url, group_photo):
    app = open_app(server_url)
    app.drop([("first.jpg", group_photo.read_bytes()), ("second.jpg", group_photo.read_bytes())])
    card(app, "second.jpg").locator(".remove").click()  # still waiting behind the first
    app.wait_for_results(1)
    app.page.wait_for_timeout(500)
    assert [r["name"] for r in app.page.evaluate("window.googly.results")] == ["first.jpg"]
    assert worker_memory(app)["photos"] == 1
    assert app.errors == []


def test_a_long_unicode_name_is_cut_on_screen_but_whole_for_screen_readers(open_app, server_url):
    name = "Ünïcödé 家族の写真 🎉 " * 8 + "summer.jpg"
    app = open_app(server_url)
    app.drop([(name, ASTRONAUT.read_bytes())])
    app.wait_for_results(1)
    label = card(app, "summer.jpg").locator(".name")
    assert label.evaluate("(element) => element.scrollWidth > element.clientWidth")  # cut (ellipsis)
    assert label.get_attribute("title") == name and label.text_content() == name
    assert card(app, "summer.jpg").locator(".remove").get_attribute("aria-label") == f"Remove {name}"
    # the card keeps its width: nothing sticks out of the gallery
    assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert app.page.evaluate("getComputedStyle(document.querySelector('.result .name')).textOverflow") == "ellipsis"
    assert app.errors == []


# ---- Ways in ----------------------------------------------------------------------------------------

def test_paste_with_ctrl_v_and_the_paste_button_add_the_clipboard_image(open_app, server_url):
    app = open_app(server_url)
    app.context.grant_permissions(["clipboard-read", "clipboard-write"])
    assert app.page.locator("#paste-button").is_visible()
    put_on_clipboard = """(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        return navigator.clipboard.write([new ClipboardItem({'image/png': new Blob([bytes], {type: 'image/png'})})]); }"""
    png = io.BytesIO()
    Image.open(ASTRONAUT).save(png, "PNG")
    app.page.evaluate(put_on_clipboard, base64.b64encode(png.getvalue()).decode())
    app.page.locator("body").click(position={"x": 5, "y": 5})
    app.page.keyboard.press("Control+V")  # the browser's own paste event, with the clipboard's image
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1 and record["name"].startswith("Pasted image ") and record["name"].endswith(".png")
    app.page.click("#paste-button")  # the async Clipboard API
    records = app.wait_for_results(2)
    assert records[1]["ok"] and records[1]["faces"] == 1 and records[1]["name"].startswith("Pasted image ")
    assert records[1]["name"] != records[0]["name"]  # even when both came within one second
    # text on the clipboard: nothing added, and the page says why
    app.page.evaluate("navigator.clipboard.writeText('just words')")
    app.page.click("#paste-button")
    app.page.wait_for_function("document.querySelector('#status').textContent.includes('no image on the clipboard')")
    app.page.keyboard.press("Control+V")
    assert app.page.evaluate("window.googly.photos.length") == 2
    # in a text field, Ctrl+V pastes text as usual
    card(app, records[0]["name"]).locator(".edit").click()
    app.page.fill("#seed", "")
    app.page.focus("#seed")
    app.page.keyboard.press("Control+V")
    assert app.page.evaluate("window.googly.photos.length") == 2
    assert app.errors == []


def drop_transfer(app, data: dict[str, str]):
    """A drop carrying only these strings (no files), as a drag from another page can."""
    app.page.evaluate("""(data) => {
        const transfer = new DataTransfer();
        for (const [type, value] of Object.entries(data)) transfer.setData(type, value);
        for (const type of ['dragenter', 'dragover', 'drop']) {
            document.querySelector('#drop-zone').dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        } }""", data)


def test_an_image_dragged_from_another_page_is_taken_from_the_drop_never_fetched(open_app, server_url):
    app = open_app(server_url)
    # only a link to another site: nothing fetched (open_app checks no request left the origin), and a message
    drop_transfer(app, {"text/uri-list": "https://example.com/photo.jpg", "text/html": '<img src="https://example.com/photo.jpg">'})
    status = app.page.locator("#status").inner_text()
    assert "Only a link to the image arrived" in status and "Save the image" in status
    assert app.page.evaluate("window.googly.photos.length") == 0
    # an image the drop carries inline (a data: URL) is decoded here
    url = "data:image/jpeg;base64," + base64.b64encode(ASTRONAUT.read_bytes()).decode()
    drop_transfer(app, {"text/uri-list": url, "text/html": f'<img src="{url}">'})
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1 and record["name"].startswith("Dropped image ") and record["name"].endswith(".jpg")
    assert app.errors == []


def test_the_share_target_opens_photos_shared_from_another_app(open_app, server_url, group_photo):
    app = open_app(server_url)
    manifest = app.page.evaluate("fetch('./manifest.webmanifest').then((r) => r.json())")
    target = manifest["share_target"]
    assert (target["action"], target["method"], target["enctype"]) == ("./share-target", "POST", "multipart/form-data")
    app.page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=120_000)
    # What the system's share sheet sends: a multipart POST to the action, handled by the service worker
    # (there is no server behind it: the static server would answer a POST with an error).
    landed = app.page.evaluate("""async ([name, data]) => {
        const form = new FormData();
        form.append('photos', new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, {type: 'image/jpeg'}));
        form.append('photos', new File([new TextEncoder().encode('not a photo')], 'notes.jpg', {type: 'image/jpeg'}));
        const response = await fetch('./share-target', {method: 'POST', body: form});
        return {url: response.url, redirected: response.redirected, status: response.status}; }""",
        ["Family — 2024.jpg", base64.b64encode(group_photo.read_bytes()).decode()])
    assert landed["redirected"] and landed["status"] == 200 and landed["url"].endswith("?shared=2"), landed
    app.page.goto(landed["url"])
    records = app.wait_for_results(2)
    assert [(r["name"], r["ok"]) for r in records] == [("Family — 2024.jpg", True), ("notes.jpg", False)]
    assert records[0]["faces"] >= 3
    assert "?shared" not in app.page.url  # taken once: a reload does not add them again
    assert app.page.evaluate("caches.open('googly-shared').then((cache) => cache.keys()).then((keys) => keys.length)") == 0
    # a share with no files (a link): the page says what to do
    app.page.evaluate("fetch('./share-target', {method: 'POST', body: new FormData()})")
    app.page.goto(server_url + "?shared=0")
    app.page.wait_for_function("document.querySelector('#status').textContent.includes('only a link or text was shared')")


def test_avif_is_decoded_by_the_browser_and_heic_says_how_to_get_a_jpeg(open_app, server_url):
    app = open_app(server_url)
    app.drop([FIXTURES / "astronaut.avif", FIXTURES / "astronaut.heic"])
    records = app.wait_for_results(2)
    avif, heic = (next(r for r in records if r["name"] == name) for name in ("astronaut.avif", "astronaut.heic"))
    # Chromium decodes AVIF (Pillow here cannot): the photo is processed like any other
    assert avif["ok"] and avif["faces"] == 1 and avif["decodedFrom"] == "AVIF", avif
    name, data = app.download(card(app, "astronaut.avif").locator(".download-image"))
    assert name == "astronaut.googly.jpg" and Image.open(io.BytesIO(data)).size == (512, 512)
    # Chromium cannot decode HEIC (Safari can, through the same code): the message says what to do
    assert not heic["ok"] and heic["error"] == "unsupported-format" and heic["decodedFrom"] is None, heic
    text = card(app, "astronaut.heic").locator(".message").inner_text()
    assert "HEIC photo, which this browser cannot decode" in text and "Most Compatible" in text and "Safari" in text
    assert app.errors == []


# ---- Ways out ---------------------------------------------------------------------------------------

def test_copy_image_puts_the_full_photo_with_googly_eyes_on_the_clipboard_as_png(open_app, server_url):
    app = open_app(server_url)
    app.context.grant_permissions(["clipboard-read", "clipboard-write"])
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    assert card(app, ASTRONAUT.name).locator(".share").is_hidden()  # Chromium on Linux cannot share files
    card(app, ASTRONAUT.name).locator(".copy-image").click()
    app.page.wait_for_function("document.querySelector('#status').textContent.includes('is on the clipboard')", timeout=TIMEOUT_MS)
    copied = app.page.evaluate("""async () => {
        const [item] = await navigator.clipboard.read();
        const blob = await item.getType('image/png');
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let text = ''; for (const byte of bytes) text += String.fromCharCode(byte);
        return {types: item.types, data: btoa(text)}; }""")
    assert copied["types"] == ["image/png"]
    image = Image.open(io.BytesIO(base64.b64decode(copied["data"])))
    assert image.format == "PNG" and image.size == (512, 512)
    # the same pixels as the PNG download (googly eyes included)
    app.page.select_option("#output-format", "png")
    downloaded = Image.open(io.BytesIO(app.download(card(app, ASTRONAUT.name).locator(".download-image")).data))
    difference = np.abs(np.asarray(image.convert("RGB"), float) - np.asarray(downloaded.convert("RGB"), float))
    assert difference.max() <= 2, difference.max()  # the clipboard may re-encode the PNG; pixels stay
    original = np.asarray(Image.open(ASTRONAUT).convert("RGB"), float)
    assert np.abs(np.asarray(image.convert("RGB"), float) - original).max() > 100  # googly eyes are on it
    assert app.errors == []


# The system share sheet does not exist in Chromium on Linux: this stand-in for navigator.share (set
# before the page loads) records what the page hands it, so the test checks the file the page shares.
SHARE_SHEET_STAND_IN = """
    window.sharedWithTheSheet = [];
    navigator.canShare = (data) => Array.isArray(data.files) && data.files.length > 0;
    navigator.share = async (data) => {
        for (const file of data.files) {
            const bytes = new Uint8Array(await file.arrayBuffer());
            let text = ''; for (const byte of bytes) text += String.fromCharCode(byte);
            window.sharedWithTheSheet.push({name: file.name, type: file.type, data: btoa(text)});
        }
    };
"""


def test_share_hands_the_full_resolution_file_to_the_share_sheet(open_app, server_url):
    app = open_app(server_url, init_script=SHARE_SHEET_STAND_IN)
    app.drop([ASTRONAUT])
    app.wait_for_results(1)
    app.page.click("#results .result .share")
    app.page.wait_for_function("window.sharedWithTheSheet.length === 1", timeout=TIMEOUT_MS)
    [shared] = app.page.evaluate("window.sharedWithTheSheet")
    assert (shared["name"], shared["type"]) == ("astronaut.googly.jpg", "image/jpeg")
    app.page.wait_for_function("document.querySelector('#status').textContent.includes('astronaut.googly.jpg shared')")
    downloaded = app.download(card(app, ASTRONAUT.name).locator(".download-image")).data
    assert base64.b64decode(shared["data"]) == downloaded
    assert app.errors == []


def test_downloads_keep_the_date_and_camera_never_the_location_unless_told_to_keep_nothing(open_app, server_url):
    exif = Image.Exif()
    exif.update({0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0132: "2024:07:14 18:03:11", 0x013B: "Ada",
                 0x8298: "(c) Ada", 0x010E: "At home, 12 Secret Street", 0x0112: 6})
    exif[0x8769] = {0x9003: "2024:07:14 18:03:10"}
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    stored = Image.open(ASTRONAUT).convert("RGB").crop((0, 0, 512, 400)).transpose(Image.Transpose.ROTATE_90)
    source = io.BytesIO()
    stored.save(source, "JPEG", quality=92, exif=exif)  # stored sideways; orientation 6 shows it upright
    app = open_app(server_url)
    app.drop([("holiday.jpg", source.getvalue())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1 and (record["width"], record["height"]) == (512, 400)
    for fmt, expected_format in (("auto", "JPEG"), ("webp", "WEBP"), ("png", "PNG")):
        app.page.select_option("#output-format", fmt)
        image = download_image(app, "holiday.jpg")
        assert image.format == expected_format and image.size == (512, 400)
        written = image.getexif()
        assert {tag: written.get(tag) for tag in (0x010F, 0x0110, 0x0132, 0x013B, 0x8298)} == {
            0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0132: "2024:07:14 18:03:11", 0x013B: "Ada", 0x8298: "(c) Ada"}, fmt
        assert written.get_ifd(0x8769).get(0x9003) == "2024:07:14 18:03:10"
        assert written[0x0112] == 1 and 0x8825 not in written and not written.get_ifd(0x8825) and 0x010E not in written
    assert app.page.evaluate("window.googly.exports.every((e) => e.path === 'canvas')")  # the browser's files
    # "Remove all photo information": nothing at all, and the choice is remembered
    app.page.check("#remove-info")
    for fmt in ("jpeg", "webp", "png"):
        app.page.select_option("#output-format", fmt)
        image = download_image(app, "holiday.jpg")
        assert not image.getexif() and "exif" not in image.info, fmt
    app.page.reload()
    app.page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=TIMEOUT_MS)
    assert app.page.is_checked("#remove-info")
    assert app.errors == []

"""Batches in real headless Chromium: the summary with progress, "Download all" as one ZIP (web/zip.js)."""

import datetime
import io
import json
import zipfile

from PIL import Image, ImageOps

from support import REPO

ASTRONAUT = REPO / "tests" / "fixtures" / "astronaut.jpg"
UNICODE_NAME = "Üñí.cödé.holiday.2024.jpg"


def zip_module(app, expression: str):
    """Evaluate `expression` in the page with `zip` bound to web/zip.js (its pure functions)."""
    return app.page.evaluate(f"import('./zip.js').then(async (zip) => {expression})")


def test_zip_writer_pieces(open_app, server_url):
    app = open_app(server_url)
    assert zip_module(app, "zip.crc32(new TextEncoder().encode('123456789'))") == 0xCBF43926
    assert zip_module(app, "zip.crc32(new Uint8Array(0))") == 0
    assert zip_module(app, "zip.uniqueNames(['photo.googly.jpg', 'photo.googly.jpg', 'PHOTO.googly.jpg', "
                           "'a/b\\\\c.googly.png', '..', 'x.y.z', 'x.y.z', 'noext', 'noext'])") == [
        "photo.googly.jpg", "photo (2).googly.jpg", "PHOTO (3).googly.jpg", "c.googly.png", "photo",
        "x.y.z", "x.y (2).z", "noext", "noext (2)"]
    assert zip_module(app, "zip.dosDateTime(new Date(2024, 6, 9, 13, 45, 31))") == {
        "time": (13 << 11) | (45 << 5) | 15, "date": (44 << 9) | (7 << 5) | 9}
    assert zip_module(app, "zip.zipFileName(new Date(2024, 0, 5))") == "googly-eyes-2024-01-05.zip"
    # Above 4 GB, a clear refusal before any byte is read (no ZIP64).
    message = zip_module(app, """{
        try { zip.checkZipFits([{name: 'a.jpg', size: 3e9}, {name: 'b.jpg', size: 2e9}]); return 'accepted'; }
        catch (error) { return error instanceof zip.ZipTooLargeError ? error.message : String(error); } }""")
    assert "4 GB" in message and "5.0 GB" in message
    assert zip_module(app, "zip.checkZipFits([{name: 'a.jpg', size: 4e9}])") < 2 ** 32
    # A small archive: Python reads it back; empty entries and an empty archive are valid too.
    data = zip_module(app, """{
        const blob = await zip.makeZip([{name: 'ä/b.txt', data: 'hello'}, {name: 'empty', data: new Uint8Array(0)}],
                                       new Date(2024, 1, 29, 23, 59, 58));
        return Array.from(new Uint8Array(await blob.arrayBuffer())); }""")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["ä/b.txt", "empty"]
        assert archive.read("ä/b.txt") == b"hello" and archive.read("empty") == b""
        assert archive.getinfo("empty").date_time == (2024, 2, 29, 23, 59, 58)
        assert all(info.flag_bits & 0x800 and info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    empty = zip_module(app, "zip.makeZip([]).then(async (b) => Array.from(new Uint8Array(await b.arrayBuffer())))")
    assert zipfile.ZipFile(io.BytesIO(bytes(empty))).namelist() == []
    assert app.errors == []


def test_download_all_zips_every_result(open_app, server_url, group_photo):
    group = group_photo.read_bytes()
    dropped = [("party.jpg", group), ("party.jpg", group), (UNICODE_NAME, ASTRONAUT.read_bytes()),
               ("broken.jpg", b"these are not pixels")]
    app = open_app(server_url)
    assert app.page.locator("#batch").is_hidden()
    app.drop(dropped)
    assert app.page.locator("#download-all").is_disabled()
    records = app.wait_for_results(len(dropped))
    assert [r["name"] for r in records] == [name for name, _ in dropped]  # finished in the order dropped
    assert [r["ok"] for r in records] == [True, True, True, False]

    # The summary counts, with the progress bar full, and the final announcement.
    page = app.page
    assert page.locator("#batch-text").inner_text() == "All 4 done · 1 could not be read"
    assert page.locator("#batch-progress").evaluate("(bar) => [bar.value, bar.max]") == [4, 4]
    assert "All 4 done" in page.locator("#status").inner_text()

    # "Download all": one ZIP named for today, with every successful result under a unique name.
    button = page.locator("#download-all")
    assert button.is_enabled()
    today = datetime.date.today()
    zip_name, zip_data = app.download(button)
    assert zip_name in {f"googly-eyes-{day:%Y-%m-%d}.zip" for day in (today, today + datetime.timedelta(days=1))}
    archive = zipfile.ZipFile(io.BytesIO(zip_data))
    assert archive.testzip() is None
    expected = ["party.googly.jpg", "party (2).googly.jpg", "Üñí.cödé.holiday.2024.googly.jpg"]
    assert archive.namelist() == expected + ["detections.json"]
    for entry in archive.infolist():
        assert entry.flag_bits & 0x800 and entry.compress_type == zipfile.ZIP_STORED, entry
        assert abs(datetime.datetime(*entry.date_time) - datetime.datetime.now()) < datetime.timedelta(minutes=10)

    # Each image: the original size, and the very bytes of its card's own "Download image".
    cards = page.locator("#results .result")
    in_drop_order = [cards.nth(i) for i in reversed(range(cards.count()))]  # new cards go first
    originals = [group, group, ASTRONAUT.read_bytes()]
    for name, card, original in zip(expected, in_drop_order, originals):
        single = app.download(card.locator(".download-image"))
        data = archive.read(name)
        assert data == single.data, name
        size = ImageOps.exif_transpose(Image.open(io.BytesIO(original))).size
        assert Image.open(io.BytesIO(data)).size == size, name
        Image.open(io.BytesIO(data)).load()

    # detections.json: every photo's detections, each tied to its name in the ZIP.
    detections = json.loads(archive.read("detections.json"))
    assert [image["zip_file"] for image in detections["images"]] == expected
    assert [image["file"] for image in detections["images"]] == ["party.jpg", "party.jpg", UNICODE_NAME]
    assert [len(image["faces"]) for image in detections["images"]] == [r["faces"] for r in records[:3]]

    # The bad file is not in the ZIP and is still on the page, with its message.
    assert not any("broken" in name for name in archive.namelist())
    bad = in_drop_order[3]
    assert bad.locator(".name").inner_text() == "broken.jpg"
    assert "broken.jpg is not an image" in bad.locator(".message").inner_text()

    # Without detections.json: just the images.
    page.locator("#zip-json").uncheck()
    assert zipfile.ZipFile(io.BytesIO(app.download(button).data)).namelist() == expected
    assert app.errors == []


def test_summary_counts_while_working(open_app, server_url, group_photo):
    app = open_app(server_url)
    app.drop([("one.jpg", group_photo.read_bytes()), ("two.jpg", b"nope")])
    app.page.wait_for_function("document.querySelector('#batch-text').textContent.startsWith('1 of 2 done')"
                               " || window.googly.results.length === 2")
    app.wait_for_results(2)
    assert app.page.locator("#batch-text").inner_text() == "All 2 done · 1 could not be read"
    # A second drop extends the same batch.
    app.drop([("three.jpg", b"nope again")])
    app.wait_for_results(3)
    assert app.page.locator("#batch-text").inner_text() == "All 3 done · 2 could not be read"
    assert app.page.locator("#download-all").is_enabled()

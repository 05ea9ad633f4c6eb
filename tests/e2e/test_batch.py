"""Batches in real headless Chromium: the summary with progress, "Download all" as one ZIP (client-zip,
names and messages from web/download-all.js)."""

import datetime
import io
import json
import zipfile

import numpy as np
from PIL import Image, ImageOps

from support import REPO

ASTRONAUT = REPO / "tests" / "fixtures" / "astronaut.jpg"
UNICODE_NAME = "Üñí.cödé.holiday.2024.jpg"
# Would leaving the page now ask first? (A cancelled beforeunload is what makes the browser ask.)
ASKS_BEFORE_LEAVING = """() => {
    const leaving = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(leaving);
    return leaving.defaultPrevented; }"""


def download_all_module(app, expression: str):
    """Evaluate `expression` in the page with `names` bound to web/download-all.js (its pure functions)."""
    return app.page.evaluate(f"import('./download-all.js').then(async (names) => {expression})")


def test_zip_names_and_messages(open_app, server_url):
    app = open_app(server_url)
    raw = ("['photo.googly.jpg', 'photo.googly.jpg', 'PHOTO.googly.jpg', 'a/b\\\\c.googly.png', '..', "
           "'x.y.z', 'x.y.z', 'noext', 'noext']")
    expected = ["photo.googly.jpg", "photo (2).googly.jpg", "PHOTO (3).googly.jpg", "c.googly.png", "photo",
                "x.y.z", "x.y (2).z", "noext", "noext (2)"]
    assert download_all_module(app, f"names.uniqueNames({raw})") == expected
    # Handed out one at a time, as photos reach the ZIP stream: the same names.
    assert download_all_module(app, f"{{ const unique = new names.UniqueNames(); "
                                    f"return {raw}.map((name) => unique.take(name)); }}") == expected
    assert download_all_module(app, "names.zipFileName(new Date(2024, 0, 5))") == "googly-eyes-2024-01-05.zip"
    assert download_all_module(app, "names.failureList(['a.jpg is empty.', 'b.jpg: boom'])") == "a.jpg is empty. b.jpg: boom."
    assert download_all_module(app, "names.failureList(['a', 'b', 'c', 'd', 'e'])") == "a. b. c. And 2 more."
    # Out of memory is named as such, with how far it got; so is a ZIP the browser could not keep;
    # anything else is passed on as it is.
    memory = download_all_module(app, "names.zipFailureMessage(new RangeError('Array buffer allocation failed'), 7, 31.4e6)")
    assert memory.startswith("There was not enough memory for the ZIP (it stopped after 7 photo(s), 31 MB).")
    kept = download_all_module(app, "names.zipFailureMessage(null, 70, 300e6)")
    assert kept.startswith("The browser could not keep the ZIP (after 70 photo(s), 300 MB): it may be short of memory")
    assert download_all_module(app, "names.zipFailureMessage(new TypeError('boom'), 0, 0)") == "The ZIP could not be made: boom"
    # The vendored client-zip loads under the page's CSP; Python reads what it makes: UTF-8 names,
    # an empty entry, the date given.
    data = app.page.evaluate("""import('./vendor/client-zip/index.js').then(async ({ downloadZip }) => {
        const when = new Date(2024, 1, 29, 23, 59, 58);
        const blob = await downloadZip([{ name: 'ä/b.txt', input: 'hello', lastModified: when },
                                        { name: 'empty', input: new Uint8Array(0), lastModified: when }]).blob();
        return Array.from(new Uint8Array(await blob.arrayBuffer())); })""")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["ä/b.txt", "empty"]
        assert archive.read("ä/b.txt") == b"hello" and archive.read("empty") == b""
        assert archive.getinfo("empty").date_time == (2024, 2, 29, 23, 59, 58)
        assert all(info.flag_bits & 0x800 and info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
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

    # With eye masks: each photo's eyes beside it, white inside every visible eye's outline, black elsewhere.
    page.locator("#zip-masks").check()
    archive = zipfile.ZipFile(io.BytesIO(app.download(button).data))
    masks = [name.replace(".jpg", ".eyes.png") for name in expected]
    assert archive.namelist() == [entry for pair in zip(expected, masks) for entry in pair]
    for mask_name, image in zip(masks, detections["images"]):
        mask = np.asarray(Image.open(io.BytesIO(archive.read(mask_name))).convert("L")) > 127
        assert mask.shape == (image["height"], image["width"])
        eyes = [eye for face in image["faces"] for eye in face["eyes"].values() if eye["visible"] and "outline" in eye]
        assert eyes and all(mask[int(eye["centre"][1]), int(eye["centre"][0])] for eye in eyes)
        area = sum(polygon_area(eye["outline"]) for eye in eyes)
        assert abs(mask.sum() - area) <= 0.15 * area + 4 * len(eyes) * 10  # the outlines' area, give or take their rim
    assert app.errors == []


def polygon_area(points) -> float:
    x, y = np.asarray(points, float).T
    return 0.5 * abs(x @ np.roll(y, -1) - y @ np.roll(x, -1))


def test_download_all_leaves_out_a_photo_it_cannot_make(open_app, server_url, group_photo):
    app = open_app(server_url)
    app.drop([("party.jpg", group_photo.read_bytes()), ("astronaut.jpg", ASTRONAUT.read_bytes())])
    app.wait_for_results(2)
    page = app.page
    # The astronaut's file goes bad after it was analysed (as if it changed on disk): its export fails.
    page.evaluate("window.googly.photos[1].file = new File([new TextEncoder().encode('gone')], 'astronaut.jpg')")
    with page.expect_download() as info:
        # While the ZIP is being made (from the click on), leaving the page asks first.
        assert page.evaluate(f"() => {{ document.querySelector('#download-all').click(); return ({ASKS_BEFORE_LEAVING})(); }}")
    archive = zipfile.ZipFile(info.value.path())
    assert archive.testzip() is None
    assert archive.namelist() == ["party.googly.jpg", "detections.json"]
    assert [image["file"] for image in json.loads(archive.read("detections.json"))["images"]] == ["party.jpg"]
    message = page.locator("#batch-message")
    message.wait_for(state="visible")
    assert "is ready: 1 photo(s). Left out, as they could not be made: astronaut.jpg" in message.inner_text()
    assert page.locator("#status").inner_text() == message.inner_text()
    assert page.evaluate(ASKS_BEFORE_LEAVING) is False  # done: leaving is free again
    assert [record["ok"] for record in page.evaluate("window.googly.exports")] == [True, False]

    # When no photo can be made there is no ZIP, and the message says why.
    page.evaluate("window.googly.photos[0].file = new File([new Uint8Array(0)], 'party.jpg')")
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.locator("#download-all").click()
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('No photo could be made')")
    status = page.locator("#status").inner_text()
    assert "party.jpg" in status and "astronaut.jpg" in status
    assert status.startswith("No photo could be made, so there is no ZIP: ")
    assert message.inner_text() == status and downloads == []
    assert page.locator("#download-all").is_enabled()
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


def test_the_first_googly_eyes_show_before_the_small_faces_are_found(open_app, server_url, group_photo):
    """The faces the whole-photo look finds get their googly eyes on the card at once, with "looking for
    small faces…"; the complete result then replaces them."""
    app = open_app(server_url)
    app.page.evaluate("""() => { window.__early = []; new MutationObserver(() => {
        const card = document.querySelector('#results .result');
        if (card && card.classList.contains('early')) window.__early.push({
            summary: card.querySelector('.summary').textContent, image: card.querySelector('.frame img').src });
    }).observe(document.querySelector('#results'), { subtree: true, attributes: true, childList: true }); }""")
    app.drop([("party.jpg", group_photo.read_bytes())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["earlyMs"] is not None and 0 < record["earlyMs"] < record["totalMs"], record
    seen = app.page.evaluate("window.__early")
    assert seen and "so far · looking for small faces…" in seen[0]["summary"] and seen[0]["image"].startswith("blob:")
    card = app.page.locator("#results .result").first
    assert "early" not in card.get_attribute("class") and "looking" not in card.locator(".summary").inner_text()
    assert app.errors == []

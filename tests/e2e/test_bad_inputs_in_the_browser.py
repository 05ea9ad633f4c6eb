"""The bad-input corpus (scripts/make_bad_inputs.py) dropped at once into the real app in headless Chromium,
then a hundred small photos at once: every file ends as a result or a clear message, and the app goes on.
"""

import io

import pytest
from PIL import Image

from scripts import make_bad_inputs
from support import FIXTURES

# What the page may log as an error while it works through the corpus: nothing yet (a photo that cannot be
# used is a card with a message, not a console error).
EXPECTED_CONSOLE_ERRORS: tuple[str, ...] = ()
HINT_WORDS = ("drop it again", "Use a JPEG", "save it again", "Resize it")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-inputs")
    return folder, make_bad_inputs.make_corpus(folder, big=True)


def outcome(record: dict) -> str:
    if record["ok"]:
        return "ok" if record["faces"] else "ok-no-faces"
    return record["error"]


def test_the_whole_corpus_dropped_at_once(open_app, server_url, corpus):
    folder, entries = corpus
    app = open_app(server_url)
    dialogs = []
    app.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    app.drop([folder / entry["file"] for entry in entries])
    records = app.wait_for_results(len(entries))

    # Count in = results + listed errors, and each file ends as the manifest says (matched by name: three
    # files share the name holiday.jpg; the page finishes them in the order dropped).
    assert len(records) == len(entries)
    assert sum(r["ok"] for r in records) + sum(not r["ok"] for r in records) == len(entries)
    got = [(r["name"], outcome(r)) for r in records]
    expected = [(entry["name"], entry["expect"]) for entry in entries]
    assert [pair for pair in got if pair not in expected] == [], "unexpected outcomes"
    assert sorted(got) == sorted(expected)
    for record in records:
        if not record["ok"]:
            assert record["name"] in record["message"], record

    page = app.page
    assert page.locator("#batch-text").inner_text() == \
        f"All {len(entries)} done · {sum(not r['ok'] for r in records)} could not be read"
    # Every error card names the file and says what to do; names are text, never markup.
    cards = page.locator("#results .result")
    assert cards.count() == len(entries)
    errors = page.locator("#results .result.error")
    assert errors.count() == sum(not r["ok"] for r in records)
    for index in range(errors.count()):
        card = errors.nth(index)
        name, message = card.locator(".name").inner_text(), card.locator(".message").inner_text()
        assert name in message and any(words in message for words in HINT_WORDS), (name, message)
    assert page.locator("#results b, #results img[src='x']").count() == 0 and dialogs == []
    names = [cards.nth(i).locator(".name").text_content() for i in range(cards.count())]
    assert sorted(names) == sorted(entry["name"] for entry in entries)

    # The app still works: a good photo dropped afterwards gets googly eyes.
    app.drop([("after.jpg", (FIXTURES / "astronaut.jpg").read_bytes())])
    after = app.wait_for_results(len(entries) + 1)[-1]
    assert after["name"] == "after.jpg" and after["ok"] and after["faces"] == 1 and after["googlyEyes"] == 2, after
    unexpected = [error for error in app.errors if not any(known in error for known in EXPECTED_CONSOLE_ERRORS)]
    assert unexpected == []


def test_a_hundred_small_photos_at_once(open_app, server_url):
    face = Image.open(FIXTURES / "astronaut.jpg").convert("RGB").resize((160, 160), Image.Resampling.LANCZOS)
    photos = []
    for index in range(100):
        buffer = io.BytesIO()
        face.rotate(index % 7 - 3).save(buffer, "JPEG", quality=80)
        photos.append((f"small-{index:03d}.jpg", buffer.getvalue()))
    app = open_app(server_url)
    app.drop(photos)
    records = app.wait_for_results(100)
    assert len(records) == 100 and all(r["ok"] for r in records), [r for r in records if not r["ok"]][:3]
    assert sorted(r["name"] for r in records) == [name for name, _ in photos]
    assert app.page.locator("#batch-text").inner_text() == "All 100 done"
    assert app.errors == []

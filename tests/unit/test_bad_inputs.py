"""The bad-input corpus (scripts/make_bad_inputs.py) through the real CPython pipeline.

Every file ends as a result or as a PhotoError with the manifest's code, a message naming the file
and a hint saying what to do: never any other exception.
"""

import json
import math
from pathlib import Path

import pytest

from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import process_photo
from scripts import make_bad_inputs
from support import run

REQUIRED_KINDS = [
    "empty file", "truncated JPEG", "random bytes named .jpg", "PDF", "text file", "SVG", "HEIC (iPhone)", "AVIF",
    "1x1 image", "1x50000 image", "50000x1 image", "16-bit greyscale PNG (I;16)", "CMYK JPEG", "palette PNG",
    "transparent PNG", "animated GIF", "animated WebP", "greyscale JPEG",
    *[f"EXIF orientation {k}" for k in range(1, 9)], "corrupt EXIF (garbage block)", "decompression bomb (PNG)",
    "50 MP photo", "70 MP photo (over the 64 MP limit)", "photo without faces", "BMP", "TIFF", "GIF (still)",
    "WebP (still)", "JPEG named .png", "PNG named .jpg", "duplicate name (1 of 3)", "unicode name",
    "name with spaces and brackets", "name with several dots", "very long name",
]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    return folder, make_bad_inputs.make_corpus(folder, big=True)


def outcome(folder: Path, entry: dict, models):
    """("ok" | "ok-no-faces" | error code, the Result or the PhotoError)."""
    try:
        result = run(process_photo((folder / entry["file"]).read_bytes(), entry["name"], models))
    except PhotoError as error:
        return error.code, error
    return ("ok" if result.faces else "ok-no-faces"), result


def check(entry: dict, got: str, value) -> list[str]:
    """What is wrong with one file's outcome (nothing: an empty list)."""
    problems = []
    if got != entry["expect"]:
        detail = f"{value.message} | {value.hint}" if isinstance(value, PhotoError) else f"{len(value.faces)} faces"
        problems.append(f"{entry['file']}: expected {entry['expect']}, got {got} ({detail})")
    if isinstance(value, PhotoError):
        if entry["name"] not in value.message:
            problems.append(f"{entry['file']}: the message does not name the file: {value.message!r}")
        if not value.hint.strip():
            problems.append(f"{entry['file']}: no hint saying what to do")
    else:
        if value.image.size != value.photo.size or value.image.mode not in ("RGB", "RGBA"):
            problems.append(f"{entry['file']}: result {value.image.size} {value.image.mode}, photo {value.photo.size}")
        if value.faces and not value.eyes:
            problems.append(f"{entry['file']}: faces but no googly eyes")
        data, mime, download = value.encode()
        if not data or not download.endswith(".googly." + mime.split("/")[1].replace("jpeg", "jpg")):
            problems.append(f"{entry['file']}: download {download} ({mime}, {len(data)} bytes)")
    return problems


def test_the_corpus_covers_every_kind_the_issue_asks_for(corpus):
    folder, entries = corpus
    kinds = {entry["kind"] for entry in entries}
    assert len(kinds) >= 30
    assert [kind for kind in REQUIRED_KINDS if kind not in kinds] == []
    assert sorted(json.loads((folder / "manifest.json").read_text()), key=str) == sorted(entries, key=str)
    for entry in entries:
        assert (folder / entry["file"]).stat().st_size == entry["bytes"]
        assert entry["expect"] in ("ok", "ok-no-faces", "empty-file", "not-an-image", "unsupported-format",
                                   "corrupt", "too-large"), entry
    assert sum(entry["name"] == "holiday.jpg" for entry in entries) == 3
    assert sum(entry["bytes"] for entry in entries) < 20e6


def test_the_corpus_is_deterministic(corpus, tmp_path):
    folder, entries = corpus
    again = make_bad_inputs.make_corpus(tmp_path, big=False)
    assert {e["file"] for e in again} == {e["file"] for e in entries if not e["big"]}
    for entry in again:
        assert (tmp_path / entry["file"]).read_bytes() == (folder / entry["file"]).read_bytes(), entry["file"]


def test_every_file_ends_as_a_result_or_a_clear_message(corpus, models):
    folder, entries = corpus
    problems = []
    for entry in entries:
        if entry["big"]:
            continue  # test_big_photos
        got, value = outcome(folder, entry, models)  # any other exception fails the test here
        problems += check(entry, got, value)
    assert problems == []


def test_big_photos(corpus, models):
    """The 50 MP photo is analysed on a reduced copy and painted at full size (about 4 s of the file's
    runtime); the 70 MP one is refused before it is decoded."""
    folder, entries = corpus
    big = [entry for entry in entries if entry["big"]]
    assert [entry["expect"] for entry in big] == ["ok", "too-large"]
    problems = []
    for entry in big:
        got, value = outcome(folder, entry, models)
        problems += check(entry, got, value)
        if entry["expect"] == "ok" and got == "ok":
            assert value.photo.size == make_bad_inputs.BIG_50MP
            assert all(eye.radius > 100 for eye in value.eyes)  # painted at full size
        if got == "too-large":
            assert "70 MP" in value.message and "64 MP" in value.message
    assert problems == []


def test_every_exif_orientation_finds_the_same_eyes(corpus, models):
    folder, entries = corpus
    eyes = {}
    for entry in entries:
        if entry["kind"].startswith("EXIF orientation"):
            result = run(process_photo((folder / entry["file"]).read_bytes(), entry["name"], models))
            orientation = int(entry["kind"].rsplit(" ", 1)[1])
            assert result.photo.orientation == orientation
            assert result.photo.size == (512, 400), entry["file"]  # upright, whatever was stored
            assert len(result.faces) == 1, entry["file"]
            face = result.faces[0]
            eyes[orientation] = (face.right_eye, face.left_eye)
    assert sorted(eyes) == list(range(1, 9))
    for orientation, (right, left) in eyes.items():
        for got, upright in ((right, eyes[1][0]), (left, eyes[1][1])):
            distance = math.dist(got, upright)
            assert distance < 3.0, (orientation, got, upright)


def test_damaged_exif_never_costs_the_photo(corpus, models):
    folder, entries = corpus
    damaged = [entry for entry in entries if entry["kind"].startswith("corrupt EXIF")]
    assert damaged, "the corpus has no photo with damaged EXIF: this test would check nothing"
    for entry in damaged:
        result = run(process_photo((folder / entry["file"]).read_bytes(), entry["name"], models))
        assert result.faces and 1 <= result.photo.orientation <= 8, entry["file"]

"""Photo information in downloads: the date taken, camera, artist and copyright kept; the GPS location
and everything else dropped; orientation 1; written into JPEG, PNG and WebP without touching pixels."""

import io
import struct

import numpy as np
from PIL import Image
import pytest

from googly_eyes.metadata import EXIF_IFD, kept_exif, with_exif
from googly_eyes.photo import encode_photo, load_photo

GPS_IFD = 0x8825
KEPT = {0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0132: "2024:07:14 18:03:11", 0x013B: "Ada Lovelace",
        0x8298: "(c) 2024 Ada Lovelace"}
KEPT_TAKEN = {0x9003: "2024:07:14 18:03:10", 0x9011: "+02:00"}
DROPPED = {0x010E: "Our holiday at home, 12 Secret Street", 0x0131: "PhotoEditor 9"}


def original_exif() -> Image.Exif:
    exif = Image.Exif()
    for tag, value in {**KEPT, **DROPPED}.items():
        exif[tag] = value
    exif[0x0112] = 6
    exif[EXIF_IFD] = {**KEPT_TAKEN, 0x829A: 0.004}  # + exposure time (dropped)
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    return exif


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def kept() -> bytes:
    data = saved(Image.new("RGB", (40, 30), (200, 100, 50)), "JPEG", exif=original_exif())
    source = Image.open(io.BytesIO(data)).getexif()
    assert source.get_ifd(EXIF_IFD)[0x9003] and source.get_ifd(GPS_IFD)[1] == "N"  # the original has them all
    block = kept_exif(Image.open(io.BytesIO(data)))
    assert block is not None and block[:2] in (b"II", b"MM")
    return block


def picture(mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (30, 40, len(mode)), dtype=np.uint8), mode)


FILES = {  # name: (mime, encoded without EXIF, first RIFF chunk for WebP)
    "jpeg": ("image/jpeg", lambda: saved(picture(), "JPEG", quality=90)),
    "jpeg without JFIF": ("image/jpeg", lambda: saved(picture(), "JPEG", quality=90)[:2]
                          + saved(picture(), "JPEG", quality=90)[20:]),
    "png": ("image/png", lambda: saved(picture(), "PNG")),
    "png with alpha": ("image/png", lambda: saved(picture("RGBA"), "PNG")),
    "webp lossy": ("image/webp", lambda: saved(picture(), "WEBP", quality=80)),
    "webp lossless": ("image/webp", lambda: saved(picture(), "WEBP", lossless=True)),
    "webp lossy with alpha": ("image/webp", lambda: saved(picture("RGBA"), "WEBP", quality=80)),
}


def exif_blocks(data: bytes, mime: str) -> int:
    """How many EXIF blocks the file holds."""
    if mime == "image/jpeg":
        return data.count(b"\xff\xe1") and data.count(b"Exif\x00\x00")
    if mime == "image/png":
        return data.count(b"eXIf")
    return data.count(b"EXIF")


@pytest.mark.parametrize("name", FILES)
def test_the_kept_tags_go_into_each_format_and_nothing_else_does(kept, name):
    mime, make = FILES[name]
    plain = make()
    if name == "jpeg without JFIF":
        assert plain[2:4] != b"\xff\xe0"
    if name == "webp lossy":
        assert plain[12:16] == b"VP8 "  # the simple format: the VP8X header is made here
    if name == "webp lossless":
        assert plain[12:16] == b"VP8L"
    written = with_exif(plain, mime, kept)
    image = Image.open(io.BytesIO(written))
    image.load()
    assert np.array_equal(np.asarray(image), np.asarray(Image.open(io.BytesIO(plain))))  # pixels untouched
    Image.open(io.BytesIO(written)).verify()
    exif = image.getexif()
    assert {tag: exif.get(tag) for tag in KEPT} == KEPT and exif[0x0112] == 1
    assert {tag: exif.get_ifd(EXIF_IFD).get(tag) for tag in KEPT_TAKEN} == KEPT_TAKEN
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert not set(DROPPED) & set(exif) and 0x829A not in exif.get_ifd(EXIF_IFD)
    assert exif_blocks(written, mime) == 1
    twice = with_exif(written, mime, kept)  # written again: still one block, the same picture
    assert exif_blocks(twice, mime) == 1
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(twice))), np.asarray(image))
    if mime == "image/webp":
        size = struct.unpack("<I", written[4:8])[0]
        assert size == len(written) - 8 and written[12:16] == b"VP8X"


def test_without_photo_information_the_file_is_as_it_was():
    plain = saved(picture(), "JPEG")
    assert with_exif(plain, "image/jpeg", None) is plain
    assert kept_exif(Image.open(io.BytesIO(plain))) is None
    only_gps = Image.Exif()
    only_gps[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0)}
    only_gps[0x0112] = 3
    assert kept_exif(Image.open(io.BytesIO(saved(picture(), "JPEG", exif=only_gps)))) is None


@pytest.mark.filterwarnings("ignore::UserWarning")  # the test's own Image.open reads the damaged block too
@pytest.mark.parametrize("block", [
    b"Exif\x00\x00" + b"\x13\x37garbage that is not TIFF at all" * 3,
    b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00\x0f\x01\x02\x00",  # an IFD cut short
    b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x0f\x00\x02\xff\xff\xff\xff\x00\x00\x00\x08",  # count past the end
])
def test_damaged_exif_blocks_give_no_information_and_no_error(block):
    plain = saved(picture(), "JPEG")
    damaged = plain[:2] + b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block + plain[2:]
    assert kept_exif(Image.open(io.BytesIO(damaged))) is None
    load_photo(damaged, "damaged.jpg")  # the photo itself still opens


def test_files_it_cannot_edit_are_refused_plainly(kept):
    with pytest.raises(ValueError, match="not a JPEG"):
        with_exif(b"GIF89a...", "image/jpeg", kept)
    with pytest.raises(ValueError, match="image/gif"):
        with_exif(b"GIF89a...", "image/gif", kept)
    with pytest.raises(ValueError, match="not a PNG"):
        with_exif(b"\xff\xd8\xff", "image/png", kept)


def test_a_photo_and_its_download_carry_the_kept_information(kept):
    data = saved(picture(), "JPEG", exif=original_exif())
    photo = load_photo(data, "holiday.jpg")
    assert photo.exif == kept and photo.size == (30, 40)  # orientation 6 applied to the pixels
    for fmt in ("JPEG", "PNG", "WEBP"):
        exif = Image.open(io.BytesIO(encode_photo(photo.image, fmt, 90, photo.exif))).getexif()
        assert exif[0x0110] == "Canon EOS 5D" and exif[0x0112] == 1 and GPS_IFD not in exif
        assert not Image.open(io.BytesIO(encode_photo(photo.image, fmt, 90))).getexif()

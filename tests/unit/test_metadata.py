"""Photo information in downloads: the date taken, camera, artist and copyright kept; the GPS location
and everything else dropped; orientation 1; written into JPEG, PNG and WebP without touching pixels."""

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageCms
import pytest

from googly_eyes.metadata import EXIF_IFD, kept_exif, with_exif
from googly_eyes.photo import encode_photo, load_photo

GPS_IFD = 0x8825
KEPT = {0x010F: "Canon", 0x0110: "Canon EOS 5D", 0x0132: "2024:07:14 18:03:11", 0x013B: "Ada Lovelace",
        0x8298: "(c) 2024 Ada Lovelace"}
KEPT_TAKEN = {0x9003: "2024:07:14 18:03:10", 0x9011: "+02:00"}
DROPPED = {0x010E: "Our holiday at home, 12 Secret Street", 0x0131: "PhotoEditor 9"}
MIMES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


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


def picture(mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (30, 40, len(mode)), dtype=np.uint8), mode)


def read_exif(data: bytes) -> Image.Exif:
    """The EXIF of an encoded file."""
    return Image.open(io.BytesIO(data)).getexif()


def parsed(block: bytes) -> Image.Exif:
    """kept_exif's block as Pillow reads it."""
    exif = Image.Exif()
    exif.load(block)
    return exif


# Each container walked on its own terms, so a stray "Exif" in compressed data cannot fool a count.

def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of each segment before the scan."""
    segments, position = [], 2
    while data[position + 1] != 0xDA:
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        segments.append((data[position + 1], data[position + 4:position + 2 + length]))
        position += 2 + length
    return segments


def png_chunks(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        kinds.append(data[position + 4:position + 8])
        position += 12 + length
    return kinds


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 12
    while position < len(data):
        size = struct.unpack("<I", data[position + 4:position + 8])[0]
        chunks.append((data[position:position + 4], data[position + 8:position + 8 + size]))
        position += 8 + size + (size & 1)
    return chunks


def exif_blocks(data: bytes, mime: str) -> int:
    """How many EXIF blocks the file holds."""
    if mime == "image/jpeg":
        return sum(marker == 0xE1 and body.startswith(b"Exif\x00\x00") for marker, body in jpeg_segments(data))
    if mime == "image/png":
        return png_chunks(data).count(b"eXIf")
    return [kind for kind, _ in riff_chunks(data)].count(b"EXIF")


def without_app0(data: bytes) -> bytes:
    assert data[2:4] == b"\xff\xe0"
    return data[:2] + data[4 + struct.unpack(">H", data[4:6])[0]:]


@pytest.fixture(scope="module")
def kept() -> bytes:
    data = saved(Image.new("RGB", (40, 30), (200, 100, 50)), "JPEG", exif=original_exif())
    source = read_exif(data)
    assert source.get_ifd(EXIF_IFD)[0x9003] and source.get_ifd(GPS_IFD)[1] == "N"  # the original has them all
    block = kept_exif(Image.open(io.BytesIO(data)))
    assert block is not None and block[:2] in (b"II", b"MM")
    return block


FILES = {  # name: (mime, the file as an encoder writes it, without EXIF)
    "jpeg": ("image/jpeg", lambda: saved(picture(), "JPEG", quality=90)),
    "jpeg without JFIF": ("image/jpeg", lambda: without_app0(saved(picture(), "JPEG", quality=90))),
    "png": ("image/png", lambda: saved(picture(), "PNG")),
    "png with alpha": ("image/png", lambda: saved(picture("RGBA"), "PNG")),
    "webp lossy": ("image/webp", lambda: saved(picture(), "WEBP", quality=80)),
    "webp lossless": ("image/webp", lambda: saved(picture(), "WEBP", lossless=True)),
    "webp lossless with alpha": ("image/webp", lambda: saved(picture("RGBA"), "WEBP", lossless=True)),
    "webp lossy with alpha": ("image/webp", lambda: saved(picture("RGBA"), "WEBP", quality=80)),
}
FIRST_WEBP_CHUNK = {"webp lossy": b"VP8 ", "webp lossless": b"VP8L", "webp lossless with alpha": b"VP8L",
                    "webp lossy with alpha": b"VP8X"}  # the first two kinds are the simple format


@pytest.mark.parametrize("name", FILES)
def test_the_kept_tags_go_into_each_format_and_nothing_else_does(kept, name):
    mime, make = FILES[name]
    plain = make()
    if name in FIRST_WEBP_CHUNK:
        assert plain[12:16] == FIRST_WEBP_CHUNK[name]  # so each WebP path is really taken
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


def test_jpeg_exif_comes_first_or_right_after_jfif(kept):
    plain = saved(picture(), "JPEG")
    assert [marker for marker, _ in jpeg_segments(with_exif(plain, "image/jpeg", kept))][:2] == [0xE0, 0xE1]
    assert jpeg_segments(with_exif(without_app0(plain), "image/jpeg", kept))[0][0] == 0xE1


@pytest.mark.parametrize("mode, lossless", [("RGB", False), ("RGB", True), ("RGBA", True), ("RGBA", False)])
def test_webp_gets_an_extended_header_that_matches_the_picture(kept, mode, lossless):
    written = with_exif(saved(picture(mode), "WEBP", lossless=lossless), "image/webp", kept)
    assert struct.unpack("<I", written[4:8])[0] == len(written) - 8
    chunks = riff_chunks(written)
    kind, header = chunks[0]
    assert kind == b"VP8X" and chunks[-1][0] == b"EXIF"
    canvas = int.from_bytes(header[4:7], "little") + 1, int.from_bytes(header[7:10], "little") + 1
    assert canvas == (40, 30)
    assert header[0] == 0x08 | (0x10 if mode == "RGBA" else 0)  # EXIF, and alpha only with alpha


def test_webp_keeps_its_colour_profile_and_loses_its_xmp(kept):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = saved(picture(), "WEBP", icc_profile=icc, xmp=b"<x:xmpmeta>GPS 52.5</x:xmpmeta>")
    assert riff_chunks(plain)[0][1][0] & 0x24 == 0x24  # ICC and XMP flags
    written = with_exif(plain, "image/webp", kept)
    kinds = [kind for kind, _ in riff_chunks(written)]
    assert b"XMP " not in kinds and b"ICCP" in kinds and b"xmpmeta" not in written
    assert riff_chunks(written)[0][1][0] & 0x2C == 0x28  # ICC and EXIF on, XMP off
    assert Image.open(io.BytesIO(written)).info["icc_profile"] == icc


@pytest.mark.parametrize("fmt", MIMES)
def test_a_block_the_encoder_wrote_is_replaced_not_added_to(kept, fmt):
    plain = saved(picture(), fmt, exif=original_exif())
    assert read_exif(plain).get_ifd(GPS_IFD)  # the encoder's own block, GPS and all
    written = with_exif(plain, MIMES[fmt], kept)
    assert exif_blocks(written, MIMES[fmt]) == 1
    exif = read_exif(written)
    assert GPS_IFD not in exif and exif[0x0112] == 1 and exif[0x0110] == "Canon EOS 5D"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_photo_information_is_read_from_other_formats_too(fmt):
    # Bytes, not the Exif object: Pillow 10.2's TIFF writer cannot take an Exif built with sub-IFD dicts.
    block = kept_exif(Image.open(io.BytesIO(saved(picture(), fmt, exif=original_exif().tobytes()))))
    exif = parsed(block)
    assert exif.get_ifd(EXIF_IFD)[0x9003] == KEPT_TAKEN[0x9003]
    assert exif[0x0110] == "Canon EOS 5D" and exif[0x0112] == 1 and GPS_IFD not in exif


def test_text_beyond_ascii_is_kept_byte_for_byte():
    source = Image.Exif()
    source[0x013B] = "Zoë Ångström".encode()  # UTF-8, as most editors write it
    source[0x8298] = "© 2024".encode("latin-1")
    block = kept_exif(Image.open(io.BytesIO(saved(picture(), "JPEG", exif=source))))
    assert "Zoë Ångström".encode() + b"\x00" in block and "© 2024".encode("latin-1") + b"\x00" in block


def test_blank_and_odd_values_are_not_kept():
    source = Image.Exif()
    source[0x0132] = "    :  :     :  :  "  # the EXIF spec's "unknown" date
    source[EXIF_IFD] = {0x9003: 7, 0x9004: "2024:07:14 18:03:10"}  # a number where a date belongs
    exif = parsed(kept_exif(Image.open(io.BytesIO(saved(picture(), "JPEG", exif=source)))))
    assert 0x0132 not in exif and dict(exif.get_ifd(EXIF_IFD)) == {0x9004: "2024:07:14 18:03:10"}
    source[EXIF_IFD] = {0x9003: 7}
    assert kept_exif(Image.open(io.BytesIO(saved(picture(), "JPEG", exif=source)))) is None


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


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_a_damaged_block_read_lazily_warns_nobody(fmt):
    """PNG and WebP blocks are parsed by getexif(), inside kept_exif: Pillow's warning stays there."""
    cut_short = b"II*\x00\x08\x00\x00\x00\x05\x00\x0f\x01\x02\x00"
    image = Image.open(io.BytesIO(with_exif(saved(picture(), fmt), MIMES[fmt], cut_short)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert kept_exif(image) is None
    assert not caught


@pytest.mark.parametrize("error", [SyntaxError("not a TIFF file"), struct.error("unpack requires 4 bytes"),
                                   KeyError(0x8769), OSError("Corrupt EXIF data")])
def test_whatever_pillow_raises_on_a_block_costs_only_the_information(error):
    image = picture()

    def broken() -> Image.Exif:
        raise error

    image.getexif = broken
    assert kept_exif(image) is None


JPEG, PNG, WEBP = (saved(picture(), fmt) for fmt in MIMES)


@pytest.mark.parametrize("mime, data, message", [
    ("image/jpeg", b"GIF89a...", "not a JPEG"),
    ("image/gif", b"GIF89a...", "image/gif"),
    ("image/png", b"\xff\xd8\xff", "not a PNG"),
    ("image/webp", JPEG, "not a WebP"),
    ("image/jpeg", JPEG[:40], "JPEG file"),  # cut inside its headers
    ("image/jpeg", JPEG[:4] + b"\x00\x01" + JPEG[6:], "damaged segment"),
    ("image/png", PNG[:-20], "cut short"),
    ("image/webp", WEBP[:-10], "cut short"),
    ("image/webp", WEBP[:16] + b"\xff\xff\x00\x00" + WEBP[20:], "damaged chunk"),
])
def test_files_it_cannot_edit_are_refused_plainly(kept, mime, data, message):
    with pytest.raises(ValueError, match=message):
        with_exif(data, mime, kept)


def test_a_photo_and_its_download_carry_the_kept_information(kept):
    data = saved(picture(), "JPEG", exif=original_exif())
    photo = load_photo(data, "holiday.jpg")
    assert photo.exif == kept and photo.size == (30, 40)  # orientation 6 applied to the pixels
    for fmt in MIMES:
        exif = read_exif(encode_photo(photo.image, fmt, 90, photo.exif))
        assert exif[0x0110] == "Canon EOS 5D" and exif[0x0112] == 1 and GPS_IFD not in exif
        assert not read_exif(encode_photo(photo.image, fmt, 90))

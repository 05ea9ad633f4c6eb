"""Decoding what people drop, with a clear message for what we cannot use; naming and encoding downloads."""

import io

import numpy as np
import pytest
from PIL import Image

from googly_eyes import config
from googly_eyes.photo import PhotoError, encode_photo, load_photo, output_format, output_name


def encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def marked_image(size=(60, 40)) -> Image.Image:
    """Grey with a red block in the top-left corner, to see where a rotation moves it."""
    image = Image.new("RGB", size, (128, 128, 128))
    image.paste((255, 0, 0), (0, 0, 12, 8))
    return image


@pytest.mark.parametrize("orientation, size, red_at", [
    (1, (60, 40), (2, 2)),      # as stored
    (3, (60, 40), (57, 37)),    # rotated 180
    (6, (40, 60), (37, 2)),     # phone held upright: rotate 90 clockwise for display
    (8, (40, 60), (2, 57)),     # rotate 90 counter-clockwise
    (2, (60, 40), (57, 2)),     # mirrored
])
def test_exif_orientation_is_applied_so_the_photo_looks_as_the_user_sees_it(orientation, size, red_at):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(marked_image(), "JPEG", exif=exif, quality=95)
    photo = load_photo(data, "phone.jpg")
    assert photo.size == size and photo.orientation == orientation and photo.source_format == "JPEG"
    red = np.asarray(photo.image)[red_at[1], red_at[0]]
    assert red[0] > 200 and red[1] < 60, red


@pytest.mark.parametrize("turn, size, red_at", [
    (1, (40, 60), (37, 2)),     # Rotate right: the top-left corner goes to the top right
    (2, (60, 40), (57, 37)),
    (3, (40, 60), (2, 57)),     # Rotate left: to the bottom left
    (-1, (40, 60), (2, 57)),    # -1 is the same as 3
])
def test_a_turn_by_hand_comes_after_the_exif_orientation(turn, size, red_at):
    data = encoded(marked_image(), "PNG")
    photo = load_photo(data, "scan.png", turn=turn)
    assert photo.size == size and photo.turn == turn % 4
    red = np.asarray(photo.image)[red_at[1], red_at[0]]
    assert red[0] > 200 and red[1] < 60, red
    # on a photo the EXIF already turns upright (6: 90 clockwise), one more clockwise turn is 180 in all
    exif = Image.Exif()
    exif[0x0112] = 6
    phone = load_photo(encoded(marked_image(), "JPEG", exif=exif, quality=95), "phone.jpg", turn=1)
    assert phone.size == (60, 40) and np.asarray(phone.image)[37, 57][0] > 200
    # reduced for analysis, the full size is the turned one
    big = load_photo(encoded(marked_image((600, 400)), "JPEG", exif=exif), "big.jpg", max_pixels=70_000, turn=turn)
    assert big.size == ((400, 600) if turn % 2 == 0 else (600, 400)) and big.scale == (0.5, 0.5)


@pytest.mark.parametrize("fmt, orientation, expected_image", [
    ("JPEG", 1, (300, 200)),   # DCT-scaled decode at 1/2
    ("JPEG", 6, (200, 300)),   # the same, upright (width and height swapped)
    ("PNG", 1, (300, 200)),    # decoded, then box-reduced by 2
])
def test_big_photos_come_back_reduced_with_their_full_size_known(fmt, orientation, expected_image):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(marked_image((600, 400)), fmt, exif=exif)
    photo = load_photo(data, "big", max_pixels=70_000)
    full = (400, 600) if orientation == 6 else (600, 400)
    assert photo.image.size == expected_image and photo.size == full and photo.scale == (0.5, 0.5)
    assert load_photo(data, "big", max_pixels=240_000).image.size == full  # within the limit: as is
    # The red corner is where the full photo has it, at half scale.
    red_at = {1: (2, 2), 6: (197, 2)}[orientation]
    red = np.asarray(photo.image)[red_at[1], red_at[0]]
    assert red[0] > 200 and red[1] < 60, red


@pytest.mark.parametrize("data, code, words", [
    (b"", "empty-file", "empty"),
    (b"\x00\x01garbage" * 50, "not-an-image", "not an image"),
    (b"%PDF-1.7\n" + b"x" * 100, "unsupported-format", "PDF"),
    (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100, "unsupported-format", "HEIC"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "unsupported-format", "SVG"),
])
def test_unusable_files_get_a_specific_message_naming_the_file(data, code, words):
    with pytest.raises(PhotoError) as caught:
        load_photo(data, "holiday.jpg")
    assert caught.value.code == code
    assert "holiday.jpg" in caught.value.message and words in caught.value.message
    assert caught.value.hint


def test_truncated_jpeg_is_reported_as_damaged():
    data = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG")
    with pytest.raises(PhotoError) as caught:
        load_photo(data[: len(data) // 2], "cut.jpg")
    assert caught.value.code == "corrupt" and "cut.jpg" in caught.value.message


def test_photos_over_the_pixel_limit_are_refused_before_decoding():
    side = int((config.MAX_PIXELS * 1.1) ** 0.5)
    data = encoded(Image.new("1", (side, side)), "PNG")  # tiny file, huge image
    with pytest.raises(PhotoError) as caught:
        load_photo(data, "huge.png")
    assert caught.value.code == "too-large" and "MP" in caught.value.message


@pytest.mark.parametrize("mode, expected", [("L", "RGB"), ("CMYK", "RGB"), ("RGBA", "RGBA"), ("P", "RGB"),
                                            ("I;16", "RGB")])
def test_every_mode_becomes_rgb_or_rgba(mode, expected):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    data = encoded(Image.new(mode, (20, 10)), fmt)
    assert load_photo(data, "x").image.mode == expected


def test_output_keeps_jpeg_as_jpeg_and_everything_else_png():
    jpeg = load_photo(encoded(marked_image(), "JPEG"), "a.jpg")
    png = load_photo(encoded(marked_image(), "PNG"), "a.png")
    webp = load_photo(encoded(marked_image(), "WEBP"), "a.webp")
    assert output_format(jpeg) == ("JPEG", "image/jpeg", "jpg")
    assert output_format(png) == ("PNG", "image/png", "png")
    assert output_format(webp) == ("PNG", "image/png", "png")


def test_output_format_the_user_asked_for():
    jpeg = load_photo(encoded(marked_image(), "JPEG"), "a.jpg")
    transparent = load_photo(encoded(Image.new("RGBA", (20, 10), (0, 0, 0, 0)), "PNG"), "t.png")
    assert output_format(jpeg, "png") == ("PNG", "image/png", "png")
    assert output_format(jpeg, "webp") == ("WEBP", "image/webp", "webp")
    assert output_format(transparent, "webp") == ("WEBP", "image/webp", "webp")
    assert output_format(transparent, "jpeg") == ("PNG", "image/png", "png")  # JPEG cannot keep the alpha
    with pytest.raises(ValueError, match="output format"):
        output_format(jpeg, "gif")


def test_quality_changes_lossy_sizes_and_is_checked():
    pixels = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((640, 480))  # texture, so quality matters
    for fmt in ("JPEG", "WEBP"):
        assert len(encode_photo(image, fmt, 50)) < len(encode_photo(image, fmt, 95))
    with pytest.raises(ValueError, match="quality"):
        encode_photo(image, "JPEG", 0)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_encoded_output_decodes_at_full_size(fmt):
    image = marked_image((640, 480))
    decoded = Image.open(io.BytesIO(encode_photo(image, fmt)))
    assert decoded.format == fmt and decoded.size == (640, 480)


@pytest.mark.parametrize("name, expected", [
    ("holiday.jpg", "holiday.googly.jpg"),
    ("my.summer.trip.JPG", "my.summer.trip.googly.jpg"),
    ("noextension", "noextension.googly.jpg"),
    (".hidden", ".hidden.googly.jpg"),
    ("folder/sub\\Ünïcødé 写真.jpeg", "Ünïcødé 写真.googly.jpg"),
    ("", "photo.googly.jpg"),
])
def test_download_names(name, expected):
    assert output_name(name, "jpg") == expected


@pytest.mark.parametrize("data, code, words", [
    (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- Illustrator -->\n<!DOCTYPE svg>\n<svg></svg>", "unsupported-format",
     "an SVG"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00" + b"\x00" * 100, "unsupported-format", "an AVIF"),
    (b"\xff\x0a" + b"\x00" * 100, "unsupported-format", "JPEG XL"),
    (b"\x89PNG\r\n\x1a\n", "corrupt", "a PNG"),  # starts like a format we read: damaged, not foreign
    (b"GIF89a" + b"\x00" * 20, "corrupt", "a GIF"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "corrupt", "a JPEG"),
])
def test_foreign_and_damaged_files_are_told_apart(data, code, words):
    with pytest.raises(PhotoError) as caught:
        load_photo(data, "x.jpg")
    assert caught.value.code == code and words in caught.value.message and "x.jpg" in caught.value.message


def test_a_decompression_bomb_says_how_big_it_claims_to_be():
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 12_501)) + chunk(b"IEND", b""))
    with pytest.raises(PhotoError) as caught:
        load_photo(data, "bomb.png")
    assert caught.value.code == "too-large"
    assert caught.value.message == "bomb.png claims to be 10,000 MP; the limit is 64 MP."


@pytest.mark.parametrize("mode, values", [("I;16", 65535), ("I", 65535), ("F", 1.0)])
def test_deep_greyscale_keeps_its_tones(mode, values):
    """16-bit PNG/TIFF and float TIFF: scaled to 8 bits, not clipped to white (or black)."""
    ramp = np.linspace(0, values, 64, dtype=np.float64).reshape(1, 64).repeat(8, axis=0)
    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    image = Image.fromarray(ramp.astype(dtype), mode)
    data = encoded(image, "PNG" if mode != "F" else "TIFF")
    pixels = np.asarray(load_photo(data, "deep").image)[:, :, 0].astype(int)
    assert pixels[0, 0] == 0 and pixels[0, -1] == 255 and abs(pixels[0, 32] - 130) <= 2, pixels[0]


@pytest.mark.parametrize("tag_type, count, value", [
    (2, 4, b"six\x00"),  # ASCII instead of SHORT
    (3, 1, b"\x63\x00"),  # 99: outside 1..8
    (3, 1, b"\x06\x00"),  # a fine orientation, but the IFD offset points past the end (below)
])
def test_damaged_exif_keeps_the_photo_as_stored(tag_type, count, value):
    import struct
    import warnings

    offset = 10**9 if value == b"\x06\x00" else 8
    tiff = (b"II*\x00" + struct.pack("<IH", offset, 1) + struct.pack("<HHI", 0x0112, tag_type, count)
            + value.ljust(4, b"\x00") + struct.pack("<I", 0))
    jpeg = encoded(marked_image(), "JPEG")
    payload = b"Exif\x00\x00" + tiff
    data = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's warnings about the EXIF would reach the page's console
        photo = load_photo(data, "phone.jpg")
    assert photo.orientation == 1 and photo.size == (60, 40)


def test_a_file_claiming_no_pixels_is_damaged():
    data = b"GIF89a\x00\x00\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02D\x01\x00;"
    with pytest.raises(PhotoError) as caught:
        load_photo(data, "zero.gif")
    assert caught.value.code == "corrupt" and "zero.gif" in caught.value.message


def test_a_photo_without_its_pixels_still_describes_it():
    photo = load_photo(encoded(Image.new("RGBA", (60, 40), (1, 2, 3, 4)), "PNG"), "clear.png", max_pixels=1000)
    light = photo.without_pixels()
    assert (light.name, light.size, light.source_format, light.orientation) == ("clear.png", (60, 40), "PNG", 1)
    assert light.image.size == (1, 1) and light.image.mode == "RGBA"
    assert output_format(light, "jpeg") == output_format(photo, "jpeg") == ("PNG", "image/png", "png")

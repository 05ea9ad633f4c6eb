"""Write the bad-input corpus: files people really drop, each with the outcome the app must give it.

    .venv/bin/python -m scripts.make_bad_inputs --out /tmp/corpus [--no-big]

Every file is made here, deterministically, from the two committed fixtures (tests/fixtures) with
Pillow, numpy and the standard library: nothing is downloaded. `manifest.json` lists each file:

    {"file": path inside the folder, "name": the name it is dropped as, "kind": what it is,
     "expect": "ok" (a result with at least one face) | "ok-no-faces" (a result, no face) |
               a PhotoError code ("empty-file", "not-an-image", "unsupported-format", "corrupt",
               "too-large"),
     "note": why, "big": true for the slow large photos (left out with --no-big)}

Files that must be dropped under the same name sit in subfolders (dup-a/holiday.jpg, dup-b/...).
"""

import argparse
import io
import json
from pathlib import Path
import random
import struct
import sys
import tempfile
import zlib

import numpy as np
from PIL import Image, ImageOps

from scripts.common import FIXTURES

ASTRONAUT = FIXTURES / "astronaut.jpg"
NO_FACE = FIXTURES / "coffee_no_face.jpg"

# The EXIF orientation -> the transpose that makes the stored pixels upright (what exif_transpose does);
# to store an upright photo under orientation k we apply the inverse.
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}
INVERSE = {**UPRIGHT, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
ORIENTATION_CROP = (0, 0, 512, 400)  # not square, so a wrong rotation shows in the size too

BIG_50MP = (8660, 5780)  # 50.05 MP: under config.MAX_PIXELS, analysed on a reduced copy
BIG_70MP = (10240, 6836)  # 70.0 MP: over config.MAX_PIXELS = 64 MP


def encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def astronaut() -> Image.Image:
    return Image.open(ASTRONAUT).convert("RGB")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG header declaring width x height, with one tiny compressed row: a few hundred
    bytes that claim to be gigapixels (a decoder that trusts it would allocate gigabytes)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8), 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def png_16bit_rgb(image: Image.Image) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow writes only 8-bit RGB): each 8-bit value v as v * 257."""
    pixels = np.asarray(image.convert("RGB"), np.uint16) * 257
    rows = b"".join(b"\x00" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", image.width, image.height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows, 6))
            + png_chunk(b"IEND", b""))


def jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0) claims another size: the scan data is the small photo's."""
    at = data.index(b"\xff\xc0")
    return data[:at + 5] + struct.pack(">HH", height, width) + data[at + 9:]


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """The JPEG with an APP1 (EXIF) segment holding `payload` right after SOI."""
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def tiff_orientation_ifd(value_type: int, count: int, value: bytes, ifd_offset: int = 8) -> bytes:
    """A little-endian TIFF header and one IFD with one Orientation (0x0112) entry."""
    entry = struct.pack("<HHI", 0x0112, value_type, count) + value.ljust(4, b"\x00")
    return b"II*\x00" + struct.pack("<I", ifd_offset) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)


def cases(big: bool):
    """(file, kind, expect, note, bytes or a callable making them, big?) for every file of the corpus."""
    rng = random.Random(20240605)
    face = astronaut()
    face_jpeg = encoded(face, "JPEG", quality=90)
    face_png = encoded(face, "PNG")
    small_face = face.resize((256, 256), Image.Resampling.LANCZOS)
    noise = Image.fromarray(np.random.default_rng(7).integers(0, 256, (300, 400, 3), dtype=np.uint8))
    noise_jpeg = encoded(noise, "JPEG", quality=90)

    yield "empty.jpg", "empty file", "empty-file", "0 bytes (an interrupted copy)", b""
    yield "truncated.jpg", "truncated JPEG", "corrupt", "the first 40% of a JPEG", noise_jpeg[: len(noise_jpeg) * 2 // 5]
    yield "random-bytes.jpg", "random bytes named .jpg", "not-an-image", "4 KB of random bytes", rng.randbytes(4096)
    yield "document.pdf", "PDF", "unsupported-format", "a one-page PDF", (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n")
    yield "notes.txt", "text file", "not-an-image", "plain UTF-8 text", "Shopping list: eggs, milk, googly eyes.\n".encode() * 20
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
           '<circle cx="50" cy="50" r="40" fill="white" stroke="black"/></svg>\n')
    yield "drawing.svg", "SVG", "unsupported-format", "an SVG starting with <svg", svg.encode()
    yield "drawing-prolog.svg", "SVG with BOM, XML prolog, comment and DOCTYPE", "unsupported-format", \
        "as Inkscape and Illustrator write them", (
            "\ufeff<?xml version='1.0' encoding='UTF-8'?>\n<!-- Generator: Adobe Illustrator -->\n"
            '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
            + svg).encode()
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x01\x00meta" + rng.randbytes(2000)
    yield "IMG_0001.HEIC", "HEIC (iPhone)", "unsupported-format", "an ISO-BMFF header, brand heic", heic
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00\x00\x01\x00meta" + rng.randbytes(2000)
    yield "photo.avif", "AVIF", "unsupported-format", "an ISO-BMFF header, brand avif", avif
    yield "photo.jxl", "JPEG XL", "unsupported-format", "a bare JPEG XL codestream signature", b"\xff\x0a" + rng.randbytes(500)
    yield "one-pixel.png", "1x1 image", "ok-no-faces", "a single pixel", encoded(Image.new("RGB", (1, 1), (200, 150, 120)), "PNG")
    yield "tall-1x50000.png", "1x50000 image", "ok-no-faces", "a one-pixel-wide strip", \
        encoded(Image.linear_gradient("L").resize((1, 50000)), "PNG")
    yield "wide-50000x1.png", "50000x1 image", "ok-no-faces", "a one-pixel-high strip", \
        encoded(Image.linear_gradient("L").resize((1, 50000)).transpose(Image.Transpose.ROTATE_90), "PNG")
    sixteen = Image.fromarray((np.asarray(face.convert("L"), np.uint16) * 257).astype(np.uint16), "I;16")
    yield "sixteen-bit.png", "16-bit greyscale PNG (I;16)", "ok", "values 0..65535, as scanners write them", encoded(sixteen, "PNG")
    yield "sixteen-bit-rgb.png", "16-bit RGB PNG", "ok", "48 bits per pixel", png_16bit_rgb(face)
    grey = np.asarray(face.convert("L"), np.float32) / 255
    yield "float.tiff", "32-bit float TIFF (mode F)", "ok", "values 0..1, as HDR and science tools write them", \
        encoded(Image.fromarray(grey, "F"), "TIFF")
    yield "grey-alpha.png", "greyscale + alpha PNG (LA)", "ok", "", encoded(face.convert("LA"), "PNG")
    yield "cmyk.jpg", "CMYK JPEG", "ok", "as print workflows write them", encoded(face.convert("CMYK"), "JPEG", quality=90)
    yield "palette.png", "palette PNG", "ok", "256 colours", encoded(face.quantize(256), "PNG")
    clear = face.convert("RGBA")
    alpha = Image.new("L", face.size, 0)
    alpha.paste(255, (40, 0, 472, 512))
    clear.putalpha(alpha)
    yield "transparent.png", "transparent PNG", "ok", "RGBA, the borders fully transparent", encoded(clear, "PNG")
    yield "all-transparent.png", "fully transparent PNG", "ok-no-faces", "every pixel alpha 0", \
        encoded(Image.new("RGBA", (300, 200), (0, 0, 0, 0)), "PNG")
    frames = [small_face, ImageOps.mirror(small_face), small_face.rotate(10)]
    yield "animated.gif", "animated GIF", "ok", "3 frames; the first is used", \
        encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    yield "animated.webp", "animated WebP", "ok", "3 frames; the first is used", \
        encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=200, loop=0, quality=85)
    yield "grayscale.jpg", "greyscale JPEG", "ok", "mode L", encoded(face.convert("L"), "JPEG", quality=90)

    upright = face.crop(ORIENTATION_CROP)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        stored = upright.transpose(INVERSE[orientation]) if orientation > 1 else upright
        yield f"orientation-{orientation}.jpg", f"EXIF orientation {orientation}", "ok", \
            "stored turned/mirrored; upright after applying the EXIF orientation", \
            encoded(stored, "JPEG", quality=95, exif=exif)
    yield "exif-garbage.jpg", "corrupt EXIF (garbage block)", "ok", "APP1 'Exif' followed by random bytes", \
        with_app1(face_jpeg, b"Exif\x00\x00" + rng.randbytes(200))
    yield "exif-bad-offset.jpg", "corrupt EXIF (IFD offset past the end)", "ok", "TIFF header pointing at byte 1e9", \
        with_app1(face_jpeg, b"Exif\x00\x00" + tiff_orientation_ifd(3, 1, struct.pack("<H", 6), ifd_offset=10**9))
    yield "exif-orientation-99.jpg", "corrupt EXIF (orientation 99)", "ok", "an orientation outside 1..8", \
        with_app1(face_jpeg, b"Exif\x00\x00" + tiff_orientation_ifd(3, 1, struct.pack("<H", 99)))
    yield "exif-orientation-text.jpg", "corrupt EXIF (orientation as text)", "ok", "the orientation tag typed ASCII", \
        with_app1(face_jpeg, b"Exif\x00\x00" + tiff_orientation_ifd(2, 4, b"six\x00"))
    yield "exif-orientation-pair.jpg", "corrupt EXIF (two orientation values)", "ok", "count 2 instead of 1", \
        with_app1(face_jpeg, b"Exif\x00\x00" + tiff_orientation_ifd(3, 2, struct.pack("<HH", 6, 6)))
    yield "bomb.png", "decompression bomb (PNG)", "too-large", "300 bytes declaring 100000 x 100000 pixels", \
        png_bomb(100_000, 100_000)
    yield "bomb.jpg", "decompression bomb (JPEG)", "too-large", "a small JPEG whose header claims 65000 x 65000", \
        jpeg_with_size(face_jpeg, 65000, 65000)
    yield "zero-size.gif", "0 x 0 image", "corrupt", "a GIF header declaring no pixels", \
        b"GIF89a\x00\x00\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02D\x01\x00;"
    yield "header-only.png", "PNG signature only", "corrupt", "8 bytes: the PNG signature and nothing else", b"\x89PNG\r\n\x1a\n"
    yield "truncated.png", "truncated PNG", "corrupt", "cut in the middle of its image data", face_png[: len(face_png) // 2]
    bad_header = bytearray(face_png)
    bad_header[37:41] = b"xxxx"  # the type of the chunk after IHDR: Pillow cannot even identify it
    yield "bad-header.png", "PNG with a damaged header", "corrupt", "a chunk name overwritten", bytes(bad_header)

    def big_photo(size, quality):
        def make():
            canvas = Image.new("RGB", size, (96, 110, 128))
            head = face.resize((size[1], size[1]), Image.Resampling.BILINEAR)
            canvas.paste(head, ((size[0] - size[1]) // 2, 0))
            return encoded(canvas, "JPEG", quality=quality)
        return make

    if big:
        yield "big-50mp.jpg", "50 MP photo", "ok", \
            f"{BIG_50MP[0]} x {BIG_50MP[1]}: analysed on a reduced copy, painted at full size", big_photo(BIG_50MP, 70), True
        yield "huge-70mp.jpg", "70 MP photo (over the 64 MP limit)", "too-large", \
            f"{BIG_70MP[0]} x {BIG_70MP[1]}", big_photo(BIG_70MP, 30), True
    yield "coffee.jpg", "photo without faces", "ok-no-faces", "tests/fixtures/coffee_no_face.jpg", NO_FACE.read_bytes()
    yield "still.bmp", "BMP", "ok", "24-bit Windows bitmap", encoded(small_face, "BMP")
    yield "still.tiff", "TIFF", "ok", "uncompressed RGB TIFF", encoded(small_face, "TIFF")
    yield "still.gif", "GIF (still)", "ok", "one frame, 256 colours", encoded(small_face, "GIF")
    yield "still.webp", "WebP (still)", "ok", "lossy WebP", encoded(small_face, "WEBP", quality=85)
    yield "progressive.jpg", "progressive JPEG", "ok", "as the web often serves them", \
        encoded(small_face, "JPEG", quality=85, progressive=True)
    yield "trailing-junk.jpg", "JPEG with bytes after its end", "ok", "1 KB of zeros after EOI (some cameras)", \
        face_jpeg + b"\x00" * 1024
    yield "jpeg-named.png", "JPEG named .png", "ok", "the content decides, not the extension", face_jpeg
    yield "png-named.jpg", "PNG named .jpg", "ok", "the content decides, not the extension", face_png
    yield "dup-a/holiday.jpg", "duplicate name (1 of 3)", "ok", "three files dropped as holiday.jpg", face_jpeg
    yield "dup-b/holiday.jpg", "duplicate name (2 of 3)", "ok", "the same bytes again", face_jpeg
    yield "dup-c/holiday.jpg", "duplicate name (3 of 3)", "not-an-image", "same name, but not a photo", b"not a photo\n" * 10
    small_jpeg = encoded(small_face, "JPEG", quality=85)
    yield "my holiday photo (1).jpg", "name with spaces and brackets", "ok", "", small_jpeg
    yield "Ünïcødé 写真 😀.jpg", "unicode name", "ok", "accents, CJK and an emoji", small_jpeg
    yield "archive.2024.01.05.final.v2.jpg", "name with several dots", "ok", "", small_jpeg
    yield ("a-very-long-name-" * 13)[:200] + ".jpg", "very long name", "ok", "204 characters", small_jpeg
    yield "no-extension", "name without an extension", "ok", "", small_jpeg
    yield ".hidden.jpg", "name starting with a dot", "ok", "", small_jpeg
    yield "<b>bold</b> & 'quotes\".jpg", "name with HTML and quotes", "ok", "must show as text, not markup", small_jpeg
    yield "<img src=x onerror=alert(1)>.txt", "name with HTML, not an image", "not-an-image", \
        "the error message must show the name as text", b"hello\n"


def make_corpus(out: Path, big: bool = True) -> list[dict]:
    """Write every file and manifest.json into `out`; returns the manifest's entries."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for case in cases(big):
        file, kind, expect, note, data = case[:5]
        path = out / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data() if callable(data) else data)
        entries.append({"file": file, "name": path.name, "kind": kind, "expect": expect, "note": note,
                        "big": len(case) > 5, "bytes": path.stat().st_size})
    (out / "manifest.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    return entries


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder to write into (default: a new temporary folder)")
    parser.add_argument("--no-big", action="store_true", help="leave out the 50 MP and 70 MP photos (slow to make)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="googly-bad-inputs-"))
    entries = make_corpus(out, big=not args.no_big)
    kinds = len({entry["kind"] for entry in entries})
    total = sum(entry["bytes"] for entry in entries)
    print(f"{len(entries)} files, {kinds} kinds, {total / 1e6:.1f} MB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

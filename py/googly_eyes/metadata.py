"""Photo information (EXIF) for downloads: what a googly-eyed photo keeps of the original's.

A download keeps the date the photo was taken, the camera's make and model, the artist and the
copyright, and nothing else: never the GPS location, no maker notes, no thumbnail, no XMP or IPTC.
Its orientation is written as 1 (as stored), because the pixels are already upright. The person can
choose to keep nothing at all (config.PHOTO_INFO_LABELS "remove").

`kept_exif` picks those tags out of the photo as Pillow opened it and builds a new EXIF block;
`with_exif` writes a block into an encoded JPEG, PNG or WebP file by editing its container, without
decoding or re-encoding the pixels, so it works the same on Pillow's files and on the browser's
(canvas_export.py), which carry no photo information of their own.
"""

import struct
import warnings
import zlib

from PIL import Image

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
# Kept from the main IFD (IFD0): Make, Model, DateTime, Artist, Copyright.
KEPT_MAIN = (0x010F, 0x0110, 0x0132, 0x013B, 0x8298)
# Kept from the Exif IFD: DateTimeOriginal, DateTimeDigitized, OffsetTime, OffsetTimeOriginal,
# OffsetTimeDigitized, SubsecTime, SubsecTimeOriginal, SubsecTimeDigitized.
KEPT_EXIF = (0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292)
EXIF_HEADER = b"Exif\x00\x00"


def _text(value) -> str | None:
    """A tag's value as text, if it is text (ASCII tags come back as str; some writers use bytes)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 ")
    return value or None


def kept_exif(image: Image.Image) -> bytes | None:
    """The EXIF block a download of `image` gets (TIFF bytes, without the "Exif\\0\\0" prefix), or None
    when the photo has none of the kept tags. A damaged EXIF block never costs the photo: None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = image.getexif()
            main = {tag: _text(source.get(tag)) for tag in KEPT_MAIN}
            sub = source.get_ifd(EXIF_IFD) if EXIF_IFD in source else {}
            taken = {tag: _text(sub.get(tag)) for tag in KEPT_EXIF}
            main = {tag: value for tag, value in main.items() if value}
            taken = {tag: value for tag, value in taken.items() if value}
            if not main and not taken:
                return None
            kept = Image.Exif()
            for tag, value in main.items():
                kept[tag] = value
            kept[ORIENTATION] = 1
            if taken:
                kept[EXIF_IFD] = taken  # a dict under the pointer tag: Pillow writes it as the sub-IFD
            data = kept.tobytes()
    except Exception:  # Pillow raises many kinds on damaged blocks (struct.error, KeyError, ...)
        return None
    return data[len(EXIF_HEADER):] if data.startswith(EXIF_HEADER) else data


def with_exif(data: bytes, mime: str, exif: bytes | None) -> bytes:
    """The encoded file `data` with `exif` (kept_exif's bytes) as its only EXIF block; the pixels are
    untouched. With exif None the file is returned as it is. ValueError for a file it cannot parse."""
    if exif is None:
        return data
    if mime == "image/jpeg":
        return _jpeg_with_exif(data, exif)
    if mime == "image/png":
        return _png_with_exif(data, exif)
    if mime == "image/webp":
        return _webp_with_exif(data, exif)
    raise ValueError(f"cannot write photo information into {mime}")


# ---- JPEG: an APP1 "Exif" segment right after SOI (and after APP0 JFIF, which must come first) ----

def _jpeg_with_exif(data: bytes, exif: bytes) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG file (no SOI marker)")
    segment = EXIF_HEADER + exif
    if len(segment) + 2 > 0xFFFF:
        raise ValueError("the EXIF block is too big for one JPEG segment")
    app1 = b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment
    position, head, rest = 2, [], []
    # Walk the marker segments before the image data (SOS); drop existing Exif APP1s.
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        segment_bytes = data[position:position + 2 + length]
        position += 2 + length
        if marker == 0xE1 and segment_bytes[4:10] == EXIF_HEADER:
            continue
        if marker == 0xE0 and not rest:
            head.append(segment_bytes)  # JFIF stays first
            continue
        rest.append(segment_bytes)
    return b"\xff\xd8" + b"".join(head) + app1 + b"".join(rest) + data[position:]


# ---- PNG: an eXIf chunk (PNG 1.2 extension, 2017) before the first IDAT --------------------------

def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_with_exif(data: bytes, exif: bytes) -> bytes:
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        raise ValueError("not a PNG file")
    chunks, position = [], len(signature)
    inserted = False
    while position + 8 <= len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        kind = data[position + 4:position + 8]
        chunk = data[position:position + 12 + length]
        position += 12 + length
        if kind == b"eXIf":
            continue
        if kind == b"IDAT" and not inserted:
            chunks.append(_png_chunk(b"eXIf", exif))
            inserted = True
        chunks.append(chunk)
    if not inserted:
        raise ValueError("a PNG file without image data")
    return signature + b"".join(chunks)


# ---- WebP: the extended format (VP8X header chunk with the EXIF flag, EXIF chunk last) ------------

def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 12
    while position + 8 <= len(data):
        kind = data[position:position + 4]
        size = struct.unpack("<I", data[position + 4:position + 8])[0]
        chunks.append((kind, data[position + 8:position + 8 + size]))
        position += 8 + size + (size & 1)  # chunks are padded to an even size
    return chunks


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _webp_canvas(kind: bytes, body: bytes) -> tuple[int, int, bool]:
    """(width, height, has alpha) from a simple WebP's bitstream header (RFC 9649, 2.5 and 3)."""
    if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF, False
    if kind == b"VP8L" and body[:1] == b"\x2f":
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise ValueError("a WebP file whose image chunk cannot be read")


def _webp_with_exif(data: bytes, exif: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    chunks = _riff_chunks(data)
    if not chunks:
        raise ValueError("an empty WebP file")
    if chunks[0][0] == b"VP8X":
        header = bytearray(chunks[0][1])
        header[0] = (header[0] | 0x08) & ~0x04  # EXIF flag on; XMP flag off (its chunk is dropped)
        body = [(kind, chunk) for kind, chunk in chunks[1:] if kind not in (b"EXIF", b"XMP ")]
    else:
        width, height, alpha = _webp_canvas(*chunks[0])
        flags = 0x08 | (0x10 if alpha else 0)
        header = bytearray(struct.pack("<I", flags)) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        body = chunks
    payload = b"WEBP" + _riff_chunk(b"VP8X", bytes(header)) + b"".join(_riff_chunk(k, c) for k, c in body)
    payload += _riff_chunk(b"EXIF", exif)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload

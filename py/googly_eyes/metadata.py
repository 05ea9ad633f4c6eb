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


def _text(value: object) -> bytes | None:
    """A text tag's value as the bytes the original held, or None when it is not text or is blank.

    Pillow reads ASCII tags as latin-1 str, so encoding back to latin-1 gives the original bytes: a
    UTF-8 "© Zoë" stays as it was rather than becoming "? Zo?" (Pillow writes str as ASCII, "?" for
    the rest). The EXIF spec's "unknown" date, spaces and colons only, counts as blank."""
    if isinstance(value, str):
        value = value.encode("latin-1", "replace")
    if not isinstance(value, bytes):
        return None
    value = value.rstrip(b"\x00")
    return value if value.strip(b" :\x00") else None


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
            # Dates and offsets are ASCII digits; Pillow types these sub-IFD tags by value, so str -> ASCII.
            taken = {tag: value.decode("latin-1") for tag, value in taken.items() if value and value.isascii()}
            if not main and not taken:
                return None
            kept = Image.Exif()
            for tag, value in main.items():
                kept[tag] = value  # bytes under a tag Pillow knows as ASCII: written as they are
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
    # Walk the marker segments before the image data (SOS); drop existing Exif APP1s. Each is FF, a
    # marker byte and a big-endian length that counts itself (ITU T.81 B.1.1); FF fill bytes may
    # come before a marker (B.1.1.2).
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise ValueError("a JPEG file cut short or damaged before its image data")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if length < 2 or position + 2 + length > len(data):
            raise ValueError("a JPEG file with a damaged segment")
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
    chunks, position, kind, inserted = [], len(signature), b"", False
    # Each chunk: 4-byte big-endian length, type, data, CRC (PNG spec 5.3); IEND is the last.
    while kind != b"IEND":
        if position + 12 > len(data):
            raise ValueError("a PNG file cut short (no IEND chunk)")
        length = struct.unpack(">I", data[position:position + 4])[0]
        kind = data[position + 4:position + 8]
        chunk = data[position:position + 12 + length]
        if len(chunk) != 12 + length:
            raise ValueError("a PNG file cut short")
        position += 12 + length
        if kind == b"eXIf":
            continue
        if kind == b"IDAT" and not inserted:  # eXIf must come before IDAT (PNG 3rd edition, 5.6)
            chunks.append(_png_chunk(b"eXIf", exif))
            inserted = True
        chunks.append(chunk)
    if not inserted:
        raise ValueError("a PNG file without image data")
    return signature + b"".join(chunks)


# ---- WebP: the extended format (VP8X header chunk with the EXIF flag, EXIF chunk last) ------------

def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(FourCC, payload) of each chunk inside the RIFF size; a chunk is FourCC, 32-bit little-endian
    size, payload, and a pad byte when the size is odd (RFC 9649, "RIFF File Format")."""
    end = 8 + struct.unpack("<I", data[4:8])[0]
    if end > len(data):
        raise ValueError("a WebP file cut short")
    chunks, position = [], 12
    while position + 8 <= end:
        kind = data[position:position + 4]
        size = struct.unpack("<I", data[position + 4:position + 8])[0]
        if position + 8 + size > end:
            raise ValueError("a WebP file with a damaged chunk")
        chunks.append((kind, data[position + 8:position + 8 + size]))
        position += 8 + size + (size & 1)
    return chunks


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def _webp_canvas(kind: bytes, body: bytes) -> tuple[int, int, bool]:
    """(width, height, has alpha) from a simple WebP's bitstream header (RFC 9649): VP8 has a 3-byte
    frame tag, the start code 9d 01 2a, then 14-bit width and height (RFC 6386, 9.1); VP8L has the
    signature byte 2f, then 14-bit width - 1, 14-bit height - 1 and the alpha_is_used bit."""
    if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF, False
    if kind == b"VP8L" and body[:1] == b"\x2f":
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    raise ValueError("a WebP file whose image chunk cannot be read")


def _webp_with_exif(data: bytes, exif: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    chunks = _riff_chunks(data)
    if not chunks:
        raise ValueError("an empty WebP file")
    if chunks[0][0] == b"VP8X":
        if len(chunks[0][1]) < 10:
            raise ValueError("a WebP file with a damaged VP8X chunk")
        header = bytearray(chunks[0][1])
        header[0] = (header[0] | 0x08) & ~0x04  # EXIF flag on; XMP flag off (its chunk is dropped)
        body = [(kind, chunk) for kind, chunk in chunks[1:] if kind not in (b"EXIF", b"XMP ")]
    else:  # a simple file: VP8X is flags (4 bytes), canvas width - 1 and height - 1 (24 bits each)
        width, height, alpha = _webp_canvas(*chunks[0])
        flags = 0x08 | (0x10 if alpha else 0)
        header = struct.pack("<I", flags) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        body = chunks
    payload = b"WEBP" + _riff_chunk(b"VP8X", bytes(header)) + b"".join(_riff_chunk(k, c) for k, c in body)
    payload += _riff_chunk(b"EXIF", exif)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload

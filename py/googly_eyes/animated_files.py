"""Animated WebP and APNG files, written a frame at a time (memory stays bounded: no list of frames).

Pillow can write both, but only from a list of every frame held at once; these writers take one RGB frame
at a time instead:
    WebPWriter  Pillow's own libwebp animation encoder (what Image.save(save_all=True) uses), fed frame by
                frame; it keeps only the encoded frames
    ApngWriter  an APNG stream (PNG's animation chunks: acTL, fcTL, fdAT): the first frame whole, every
                later one only the box that changed, with the unchanged pixels inside it transparent and
                blended over the previous frame; each frame's pixels compressed by Pillow's PNG encoder
Both loop forever. Frames are PIL images (RGB) of the size given at the start.
"""

import io
import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class WebPWriter:
    def __init__(self, size: tuple[int, int], fps: int, quality: int = 80):
        from PIL import _webp  # Pillow's libwebp binding (in CPython's and Pyodide's Pillow 10.2.0 alike)
        if not getattr(_webp, "HAVE_WEBPANIM", False):
            raise OSError("this Pillow has no animated WebP encoder")
        self.size, self.quality = size, quality
        self.duration_ms = 1000 / fps
        self.frames = 0
        # width, height, background (ARGB), loop (0: forever), minimize_size, kmin, kmax, allow_mixed, verbose
        self.encoder = _webp.WebPAnimEncoder(size[0], size[1], 0, 0, False, 0, 0, False, False)

    def add(self, frame: Image.Image) -> None:
        if frame.size != self.size:
            raise ValueError(f"frame is {frame.size}, the animation {self.size}")
        timestamp = round(self.frames * self.duration_ms)
        self.encoder.add(frame.convert("RGB").tobytes("raw", "RGBX"), timestamp, *self.size, "RGBX",
                         False, self.quality, 4)
        self.frames += 1

    def finish(self) -> bytes:
        self.encoder.add(None, round(self.frames * self.duration_ms), 0, 0, "", False, self.quality, 0)
        data = self.encoder.assemble(b"", b"", b"")  # no ICC profile, EXIF or XMP
        if data is None:
            raise OSError("the WebP encoder returned nothing")
        return data


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_chunks(image: Image.Image, compress_level: int) -> tuple[bytes, bytes]:
    """Pillow's PNG of `image`: its IHDR data and all its IDAT data joined."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=compress_level)
    data = buffer.getvalue()
    position, ihdr, idat = len(PNG_SIGNATURE), b"", []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat.append(body)
        position += 12 + length
    return ihdr, b"".join(idat)


class ApngWriter:
    # blend_op: 0 SOURCE (replace), 1 OVER (alpha-blend onto the previous frame); dispose_op 0 NONE
    def __init__(self, size: tuple[int, int], fps: int, frames: int, compress_level: int = 6):
        self.size, self.frames, self.compress_level = size, frames, compress_level
        self.delay = (1, fps)  # each frame shows for 1/fps s
        self.out = io.BytesIO()
        self.sequence = 0
        self.written = 0
        self.previous: np.ndarray | None = None

    def _fctl(self, box: tuple[int, int, int, int], blend: int) -> bytes:
        left, top, right, bottom = box
        data = struct.pack(">IIIIIHHBB", self.sequence, right - left, bottom - top, left, top, *self.delay, 0, blend)
        self.sequence += 1
        return _chunk(b"fcTL", data)

    def add(self, frame: Image.Image) -> None:
        if frame.size != self.size:
            raise ValueError(f"frame is {frame.size}, the animation {self.size}")
        if self.written >= self.frames:
            raise ValueError(f"the animation was announced with {self.frames} frames")
        pixels = np.asarray(frame.convert("RGB"))
        if self.previous is None:  # the default image: the first frame, whole and opaque
            ihdr, idat = _png_chunks(frame.convert("RGBA"), self.compress_level)
            self.out.write(PNG_SIGNATURE + _chunk(b"IHDR", ihdr))
            self.out.write(_chunk(b"acTL", struct.pack(">II", self.frames, 0)))  # 0 plays: loop forever
            self.out.write(self._fctl((0, 0, *self.size), 0) + _chunk(b"IDAT", idat))
        else:
            changed = np.any(pixels != self.previous, axis=2)
            rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size:
                box = (int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)
            else:
                box = (0, 0, 1, 1)  # nothing moved: one transparent pixel keeps the frame's time
            left, top, right, bottom = box
            patch = np.zeros((bottom - top, right - left, 4), np.uint8)
            inside = changed[top:bottom, left:right]
            patch[inside, :3] = pixels[top:bottom, left:right][inside]
            patch[inside, 3] = 255
            _, idat = _png_chunks(Image.fromarray(patch, "RGBA"), self.compress_level)
            self.out.write(self._fctl(box, 1))
            self.out.write(_chunk(b"fdAT", struct.pack(">I", self.sequence) + idat))
            self.sequence += 1
        self.previous = pixels
        self.written += 1

    def finish(self) -> bytes:
        if self.written != self.frames:
            raise ValueError(f"the animation was announced with {self.frames} frames, got {self.written}")
        self.out.write(_chunk(b"IEND", b""))
        return self.out.getvalue()

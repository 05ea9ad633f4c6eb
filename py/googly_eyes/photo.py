"""Decode the bytes a person dropped into an upright image, and encode the result for download.

Every failure becomes a `PhotoError` with a code, a message naming the file and the reason, and a
hint saying what to do: the page shows it and goes on with the next photo.
"""

from dataclasses import dataclass
import io
import math
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from . import config

# What we can write: Pillow format -> (name, MIME type, file extension). The user picks one of
# OUTPUT_CHOICES; "auto" keeps the photo's family (a JPEG stays a JPEG, everything else PNG).
OUTPUT_FORMATS = {"JPEG": ("jpeg", "image/jpeg", "jpg"), "PNG": ("png", "image/png", "png"),
                  "WEBP": ("webp", "image/webp", "webp")}
OUTPUT_CHOICES = ("auto", "jpeg", "png", "webp")


class PhotoError(Exception):
    """A photo we cannot use, said plainly: code for programs, message and hint for people."""

    def __init__(self, code: str, message: str, hint: str):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "hint": self.hint}


@dataclass
class Photo:
    """An upright RGB(A) image and what we need to write it back the way it came.

    `image` may be a reduced copy (load_photo's `max_pixels`): `size` is always the photo's own upright
    size, and `scale` maps photo pixels to image pixels (x * scale[0], y * scale[1])."""

    name: str
    image: Image.Image
    source_format: str  # as Pillow names it: "JPEG", "PNG", "WEBP", ...
    orientation: int  # the EXIF orientation that was applied (1 = none)
    full_size: tuple[int, int] | None = None  # upright size when `image` is reduced

    @property
    def size(self) -> tuple[int, int]:
        return self.full_size or self.image.size

    @property
    def scale(self) -> tuple[float, float]:
        width, height = self.size
        return self.image.width / width, self.image.height / height


def load_photo(data: bytes, name: str = "photo", max_pixels: int | None = None) -> Photo:
    """Decode, check size, apply EXIF orientation, and convert to RGB (or RGBA if it has alpha).

    With `max_pixels`, a bigger photo comes back reduced to at most that many pixels (JPEG: decoded
    at a smaller scale directly; others: decoded, then box-reduced); `Photo.size` stays the full size."""
    if not data:
        raise PhotoError("empty-file", f"{name} is empty (0 bytes).",
                         "Check that the file finished copying or downloading, then drop it again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > config.MAX_PIXELS:
                raise PhotoError(
                    "too-large",
                    f"{name} is {width} x {height} pixels ({width * height / 1e6:.0f} MP); "
                    f"the limit is {config.MAX_PIXELS / 1e6:.0f} MP.",
                    "Resize it to a smaller size and drop it again.",
                )
            source_format = image.format or "unknown"
            orientation = int(image.getexif().get(0x0112, 1) or 1)
            if max_pixels and width * height > max_pixels and source_format == "JPEG":
                image.draft(image.mode, jpeg_draft_size(width, height, max_pixels))
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise PhotoError("too-large", f"{name} is too large to open safely ({error}).",
                         "Resize it to a smaller size and drop it again.") from error
    except UnidentifiedImageError as error:
        raise _unreadable(name, data, error) from error
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoError("corrupt", f"{name} could not be decoded: the file looks damaged ({error}).",
                         "Open it in another app and save it again as JPEG or PNG.") from error

    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block must not cost the photo: keep it as stored
        orientation = 1
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    full_size = None
    if max_pixels and width * height > max_pixels:
        full_size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
        factor = math.ceil(math.sqrt(image.width * image.height / max_pixels))
        if factor > 1:  # still too big (not a JPEG, or more than 1/8 needed): box-reduce
            image = image.reduce(factor)
    return Photo(name=name, image=image, source_format=source_format, orientation=orientation,
                 full_size=full_size)


def jpeg_draft_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """The size to ask Image.draft for: the largest DCT scale (1/2, 1/4, 1/8) within max_pixels, or
    1/8 if none is (draft keeps at least the size asked for, so asking for exactly that scale's
    size selects it)."""
    for scale in (2, 4, 8):
        if (width / scale) * (height / scale) <= max_pixels:
            break
    return math.ceil(width / scale), math.ceil(height / scale)


def _unreadable(name: str, data: bytes, error: Exception) -> PhotoError:
    head = data[:32]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
        kind = "HEIC"
    elif head[4:12] in (b"ftypavif", b"ftypavis"):
        kind = "AVIF"
    elif head.startswith(b"%PDF"):
        kind = "PDF"
    elif head.lstrip().startswith((b"<svg", b"<?xml")):
        kind = "SVG"
    else:
        kind = None
    if kind:
        return PhotoError("unsupported-format", f"{name} is a {kind} file, which this app cannot read.",
                          "Convert it to JPEG or PNG and drop it again.")
    return PhotoError("not-an-image", f"{name} is not an image this app can read.",
                      "Use a JPEG, PNG, WebP, GIF, BMP or TIFF photo.")


def output_format(photo: Photo, requested: str = "auto") -> tuple[str, str, str]:
    """(Pillow format, MIME type, file extension) for the download.

    "auto" keeps the photo's family (a JPEG stays a JPEG, everything else becomes PNG); "jpeg", "png"
    or "webp" asks for that format. A photo with transparency never becomes a JPEG (JPEG has no
    alpha): it stays PNG."""
    if requested not in OUTPUT_CHOICES:
        raise ValueError(f"output format must be one of {OUTPUT_CHOICES}, got {requested!r}")
    if requested == "auto":
        pil_format = "JPEG" if photo.source_format == "JPEG" and photo.image.mode == "RGB" else "PNG"
    elif requested == "jpeg" and photo.image.mode != "RGB":
        pil_format = "PNG"
    else:
        pil_format = requested.upper()
    _, mime, extension = OUTPUT_FORMATS[pil_format]
    return pil_format, mime, extension


def encode_photo(image: Image.Image, pil_format: str, quality: int = config.JPEG_QUALITY) -> bytes:
    """Encode for download. `quality` (1..100) applies to JPEG and WebP; PNG is lossless."""
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be within 1..100, got {quality}")
    buffer = io.BytesIO()
    if pil_format == "JPEG":
        # Full chroma (4:4:4) at high quality keeps the thin black rims crisp; below 90 the usual 4:2:0.
        image.convert("RGB").save(buffer, "JPEG", quality=int(quality), subsampling=0 if quality >= 90 else 2)
    elif pil_format == "WEBP":
        image.save(buffer, "WEBP", quality=int(quality), method=4)
    else:
        image.save(buffer, "PNG", compress_level=3)  # zlib 3: much faster than Pillow's 6, a little larger
    return buffer.getvalue()


def output_name(name: str, extension: str) -> str:
    """holiday.jpg -> holiday.googly.jpg (keeps every dot of the stem; no path parts)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or "photo"
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return f"{stem}.googly.{extension}"

"""Decode the bytes a person dropped into an upright image, and encode the result for download.

Every failure becomes a `PhotoError` with a code, a message naming the file and the reason, and a
hint saying what to do: the page shows it and goes on with the next photo.
"""

import dataclasses
from dataclasses import dataclass
import io
import math
import re
import warnings

from PIL import Image, UnidentifiedImageError

from . import config
from .metadata import kept_exif, with_exif

# What we can write: Pillow format -> (name, MIME type, file extension). The user picks one of
# OUTPUT_CHOICES (config.py, with the labels the page shows); "auto" keeps the photo's family (a JPEG
# stays a JPEG, everything else PNG).
OUTPUT_FORMATS = {"JPEG": ("jpeg", "image/jpeg", "jpg"), "PNG": ("png", "image/png", "png"),
                  "WEBP": ("webp", "image/webp", "webp")}
OUTPUT_CHOICES = config.OUTPUT_CHOICES


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
    turn: int = 0  # quarter turns clockwise the person asked for ("Rotate"), applied after the EXIF orientation
    exif: bytes | None = None  # the photo information a download keeps (metadata.kept_exif), or None

    @property
    def size(self) -> tuple[int, int]:
        return self.full_size or self.image.size

    def without_pixels(self) -> "Photo":
        """This photo's description (name, size, format, orientation, mode) with a 1 x 1 image: what
        output_format and detections_json read, kept for a photo without keeping its pixels."""
        return dataclasses.replace(self, image=Image.new(self.image.mode, (1, 1)), full_size=self.size)

    @property
    def scale(self) -> tuple[float, float]:
        width, height = self.size
        return self.image.width / width, self.image.height / height


def load_photo(data: bytes, name: str = "photo", max_pixels: int | None = None, turn: int = 0) -> Photo:
    """Decode, check size, apply EXIF orientation, and convert to RGB (or RGBA if it has alpha).

    With `max_pixels`, a bigger photo comes back reduced to at most that many pixels (JPEG: decoded
    at a smaller scale directly; others: decoded, then box-reduced); `Photo.size` stays the full size.
    `turn` rotates the upright photo by that many quarter turns clockwise (the editor's "Rotate right";
    -1 or 3 is "Rotate left"): everything after this works on the turned photo."""
    turn = int(turn) % 4
    if not data:
        raise PhotoError("empty-file", f"{name} is empty (0 bytes).",
                         "Check that the file finished copying or downloading, then drop it again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # damaged EXIF: we cope (exif_orientation)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > config.MAX_PIXELS:
                raise PhotoError(
                    "too-large",
                    f"{name} is {width} x {height} pixels ({width * height / 1e6:.0f} MP); "
                    f"the limit is {config.MAX_PIXELS / 1e6:.0f} MP.",
                    TOO_LARGE_HINT,
                )
            if width < 1 or height < 1:
                raise PhotoError("corrupt", f"{name} could not be decoded: it says it has no pixels "
                                 f"({width} x {height}).", DAMAGED_HINT)
            source_format = image.format or "unknown"
            orientation = exif_orientation(image)
            exif = kept_exif(image)
            if max_pixels and width * height > max_pixels and source_format == "JPEG":
                image.draft(image.mode, jpeg_draft_size(width, height, max_pixels))
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        # Pillow refuses before we can look (it checks while opening, above 2 x its own limit).
        claimed = re.search(r"\((\d+) pixels\)", str(error))
        size = f"claims to be {int(claimed.group(1)) / 1e6:,.0f} MP" if claimed else "is too large to open safely"
        raise PhotoError("too-large", f"{name} {size}; the limit is {config.MAX_PIXELS / 1e6:.0f} MP.",
                         TOO_LARGE_HINT) from error
    except UnidentifiedImageError as error:
        raise _unreadable(name, data, error) from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise PhotoError("corrupt", f"{name} could not be decoded: the file looks damaged ({error}).",
                         DAMAGED_HINT) from error

    if orientation != 1:
        image = image.transpose(UPRIGHT[orientation])
    if turn:
        image = image.transpose(CLOCKWISE[turn])
    image = _to_8_bit(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    full_size = None
    if max_pixels and width * height > max_pixels:
        full_size = (height, width) if (orientation in (5, 6, 7, 8)) != (turn % 2 == 1) else (width, height)
        factor = math.ceil(math.sqrt(image.width * image.height / max_pixels))
        if factor > 1:  # still too big (not a JPEG, or more than 1/8 needed): box-reduce
            image = image.reduce(factor)
    return Photo(name=name, image=image, source_format=source_format, orientation=orientation,
                 full_size=full_size, turn=turn, exif=exif)


# EXIF orientation -> the transpose that shows the stored pixels upright (as ImageOps.exif_transpose).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
# Quarter turns clockwise -> the transpose that makes them (Pillow's ROTATE_90 turns counter-clockwise).
CLOCKWISE = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}
# HEIC is what iPhones save; Safari decodes it (web/intake.js), other browsers do not.
HEIC_HINT = ("Open this page in Safari, which can read it, or make it a JPEG and drop it again: on the iPhone, "
             "Settings > Camera > Formats > Most Compatible takes JPEG photos from now on, and Settings > Photos > "
             "Transfer to Mac or PC > Automatic copies photos as JPEG.")
TOO_LARGE_HINT = "Resize it to a smaller size and drop it again."
DAMAGED_HINT = "Open it in another app and save it again as JPEG or PNG."


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8), or 1 (as stored) when the EXIF block is missing, broken or says
    something else: a damaged EXIF block must not cost the photo."""
    try:
        with warnings.catch_warnings():  # Pillow warns about damaged EXIF: the page would log it as an error
            warnings.simplefilter("ignore", UserWarning)
            value = image.getexif().get(0x0112, 1)
        orientation = int(value[0] if isinstance(value, tuple) else value)
    except Exception:
        return 1
    return orientation if 1 <= orientation <= 8 else 1


def _to_8_bit(image: Image.Image) -> Image.Image:
    """Greyscale with more than 8 bits (16-bit PNG and TIFF: mode I or I;16; float TIFF: mode F) as
    8-bit "L". Pillow's own convert clips at 255, which turns a 16-bit photo white and a 0..1 float
    one black; we scale the range the file uses (16-bit: 0..65535, float: 0..1) to 0..255."""
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode not in ("I", "F"):
        return image
    low, high = image.getextrema()
    if image.mode == "F":
        if not math.isfinite(high) or not math.isfinite(low):
            high = 1.0
        top = 1.0 if high <= 1.0 else 255.0 if high <= 255.0 else 65535.0 if high <= 65535.0 else high
    else:
        top = 255 if high <= 255 else 65535 if high <= 65535 else high
    if top != 255:
        image = image.point(lambda value: value * (255.0 / top))
    return image.convert("L")


def jpeg_draft_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """The size to ask Image.draft for: the largest DCT scale (1/2, 1/4, 1/8) within max_pixels, or
    1/8 if none is (draft keeps at least the size asked for, so asking for exactly that scale's
    size selects it)."""
    for scale in (2, 4, 8):
        if (width / scale) * (height / scale) <= max_pixels:
            break
    return math.ceil(width / scale), math.ceil(height / scale)


# Formats people drop that this app cannot read (Pillow has no decoder for them here), by their first
# bytes: ISO-BMFF brands (offset 4) and leading signatures.
UNSUPPORTED_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC", b"heis": "HEIC", b"hevc": "HEIC",
                      b"hevx": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF",
                      b"jxl ": "JPEG XL"}
UNSUPPORTED_SIGNATURES = {b"%PDF": "PDF", b"\xff\x0a": "JPEG XL", b"\x00\x00\x00\x0cJXL ": "JPEG XL",
                          b"8BPS": "Photoshop"}
# Formats we do read: a file that starts like one and still cannot be opened is damaged, not foreign.
READABLE_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF",
                       b"GIF89a": "GIF", b"II*\x00": "TIFF", b"MM\x00*": "TIFF", b"BM": "BMP"}


def _a(kind: str) -> str:
    return f"an {kind}" if kind in ("SVG", "AVIF") else f"a {kind}"


def _unreadable(name: str, data: bytes, error: Exception) -> PhotoError:
    """Why Pillow could not identify the file, said as plainly as its first bytes allow."""
    head = data[:32]
    kind = UNSUPPORTED_BRANDS.get(head[8:12]) if head[4:8] == b"ftyp" else None
    kind = kind or next((k for sig, k in UNSUPPORTED_SIGNATURES.items() if head.startswith(sig)), None)
    text = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not kind and text.startswith(b"<") and b"<svg" in text:  # with or without an XML prolog/DOCTYPE
        kind = "SVG"
    if kind in ("HEIC", "HEIF"):
        return PhotoError("unsupported-format", f"{name} is {_a(kind)} photo, which this browser cannot decode.",
                          HEIC_HINT)
    if kind:
        return PhotoError("unsupported-format", f"{name} is {_a(kind)} file, which this app cannot read.",
                          "Convert it to JPEG or PNG and drop it again.")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        known = "WebP"
    else:
        known = next((k for sig, k in READABLE_SIGNATURES.items() if head.startswith(sig)), None)
    if known:
        return PhotoError("corrupt", f"{name} starts like {_a(known)} file but could not be decoded: "
                          "it looks damaged or cut short.", DAMAGED_HINT)
    return PhotoError("not-an-image", f"{name} is not an image this app can read.",
                      "Use a JPEG, PNG, WebP, GIF, BMP or TIFF photo.")


def output_format(photo: Photo, requested: str = "auto", transparent: bool = False) -> tuple[str, str, str]:
    """(Pillow format, MIME type, file extension) for the download.

    "auto" keeps the photo's family (a JPEG stays a JPEG, everything else becomes PNG); "jpeg", "png"
    or "webp" asks for that format. A photo with transparency (or a result that gets some: `transparent`,
    a removed background) never becomes a JPEG (JPEG has no alpha): it becomes PNG."""
    if requested not in OUTPUT_CHOICES:
        raise ValueError(f"output format must be one of {OUTPUT_CHOICES}, got {requested!r}")
    opaque = photo.image.mode == "RGB" and not transparent
    if requested == "auto":
        pil_format = "JPEG" if photo.source_format == "JPEG" and opaque else "PNG"
    elif requested == "jpeg" and not opaque:
        pil_format = "PNG"
    else:
        pil_format = requested.upper()
    _, mime, extension = OUTPUT_FORMATS[pil_format]
    return pil_format, mime, extension


def encode_photo(image: Image.Image, pil_format: str, quality: int = config.JPEG_QUALITY,
                 exif: bytes | None = None) -> bytes:
    """Encode for download. `quality` (within config.QUALITY_RANGE) applies to JPEG and WebP; PNG is lossless.
    `exif`: the photo information to write into the file (metadata.kept_exif), or None for none."""
    low, high = config.QUALITY_RANGE
    if not low <= int(quality) <= high:
        raise ValueError(f"quality must be within {low}..{high}, got {quality}")
    buffer = io.BytesIO()
    if pil_format == "JPEG":
        # Full chroma (4:4:4) at high quality keeps the thin black rims crisp; below 90 the usual 4:2:0.
        image.convert("RGB").save(buffer, "JPEG", quality=int(quality), subsampling=0 if quality >= 90 else 2)
    elif pil_format == "WEBP":
        image.save(buffer, "WEBP", quality=int(quality), method=4)
    else:
        image.save(buffer, "PNG", compress_level=3)  # zlib 3: much faster than Pillow's 6, a little larger
    return with_exif(buffer.getvalue(), OUTPUT_FORMATS[pil_format][1], exif)


def output_name(name: str, extension: str) -> str:
    """holiday.jpg -> holiday.googly.jpg (keeps every dot of the stem; no path parts)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or "photo"
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return f"{stem}.googly.{extension}"

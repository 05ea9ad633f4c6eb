"""The background behind the people: a people mask, and what the background becomes.

The mask comes from MediaPipe's selfie segmentation (256 x 256 in, the probability of "person" per pixel
out). Run on the whole photo squeezed to 256 px it misses small people in group photos and calls parts of
animals "person"; so it runs where people are: around each located face, a close crop for the head and
hair and wider ones for the body below it (`person_regions`), their answers merged by taking the larger
(`PeopleSegmenter.coarse_mask`); each face's own outline counts as person whatever the model says. A photo
without faces has no people: its background is left alone. The coarse mask is kept small (config.MASK_MAX_SIDE) and made sharp at any size by a guided filter that follows the photo's
own edges (`refine`: He, Sun & Tang's fast guided filter), so hair and shoulders keep their outline and the
background does not bleed into them.

What the background becomes (`Background.mode`, config.BACKGROUND_LABELS): kept as it is, blurred (a
portrait look; the blur leaves the people out so they cast no glow), a colour, another photo, or removed
(transparent: the photo gets an alpha channel).
"""

from dataclasses import dataclass
import math

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from . import config
from .inference import run_model


@dataclass(frozen=True)
class SegmentationSpec:
    """How to feed the selfie segmentation model and read it (from the model manifest)."""

    input_name: str
    mask_output: str
    size: int  # the model's square input and output, in pixels

    @classmethod
    def from_manifest(cls, entry: dict) -> "SegmentationSpec":
        return cls(entry["input"]["name"], entry["outputs"]["mask"], int(entry["input"]["shape"][-1]))


def person_regions(faces) -> list[tuple[float, float, float]]:
    """Square regions (centre x, centre y, side) to run the model on, config.PERSON_CROPS of them per
    face: each (drop, side) is a crop `side` face sizes wide whose centre is `drop` face sizes down the face
    (following its roll): a close one for the head and hair, wider ones for the body below. `faces` are
    located faces (landmarks.LocatedFace) in the pixels of the image the mask is for."""
    regions = []
    for face in faces:
        x0, y0, x1, y1 = (float(v) for v in face.box)
        size = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        roll = math.radians(face.roll_degrees)
        down = (-math.sin(roll), math.cos(roll))  # the head's "down" in the image
        regions += [(cx + down[0] * drop * size, cy + down[1] * drop * size, side * size)
                    for drop, side in config.PERSON_CROPS]
    return regions


def convex_hull(points: np.ndarray) -> np.ndarray:
    """The convex hull of 2-D points, counter-clockwise (Andrew's monotone chain)."""
    unique = sorted(set(map(tuple, np.asarray(points, float).round(3))))
    if len(unique) < 3:
        return np.asarray(unique, float)

    def half(chain):
        hull = []
        for point in chain:
            while len(hull) >= 2 and ((hull[-1][0] - hull[-2][0]) * (point[1] - hull[-2][1])
                                      - (hull[-1][1] - hull[-2][1]) * (point[0] - hull[-2][0])) <= 0:
                hull.pop()
            hull.append(point)
        return hull[:-1]

    return np.asarray(half(unique) + half(unique[::-1]), float)


def mask_size(image_size: tuple[int, int], longest: int = config.MASK_MAX_SIDE) -> tuple[int, int]:
    """The coarse mask's size for an image: the same shape, at most `longest` on its long side."""
    width, height = image_size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass
class PersonMask:
    """Where the people are in one photo: the probability of "person", 0..255, at a small size of the
    photo (mask_size), and each located face's outline (the convex hull of its 478 landmarks, in the
    coarse mask's pixels), which is "person" whatever the model says: a face is never blurred away.
    `refine` makes the mask sharp at any size of the same photo."""

    coarse: np.ndarray  # uint8, (height, width)
    faces: list[np.ndarray]  # (n, 2) polygons

    @property
    def size(self) -> tuple[int, int]:
        return self.coarse.shape[1], self.coarse.shape[0]

    @property
    def has_people(self) -> bool:
        return bool(self.faces) or bool(self.coarse.any())

    def person_share(self) -> float:
        return float((self.coarse > 127).mean())


class PeopleSegmenter:
    """The people mask of a photo, from the selfie segmentation model run around each located face."""

    def __init__(self, session, spec: SegmentationSpec):
        self.session = session
        self.spec = spec

    def prepare(self, image: Image.Image, region: tuple[float, float, float]) -> np.ndarray:
        """One region of the image as the model's input: 1 x 3 x size x size, RGB in 0..1 (outside the
        image: black)."""
        cx, cy, side = region
        box = (round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2))
        crop = image.convert("RGB").crop(box).resize((self.spec.size, self.spec.size), Image.Resampling.BILINEAR)
        pixels = np.asarray(crop, dtype=np.float32) / 255.0
        return pixels.transpose(2, 0, 1)[None]

    async def coarse_mask(self, image: Image.Image, faces) -> PersonMask:
        """The photo's people mask (`faces` in the image's pixels): the model on every person_regions crop,
        each answer laid back where it came from, the larger probability wherever two overlap."""
        width, height = mask_size(image.size)
        scale = width / image.width
        merged = np.zeros((height, width), np.float32)
        for region in person_regions(faces):
            feeds = {self.spec.input_name: self.prepare(image, region)}
            (probability,) = await run_model(self.session, [self.spec.mask_output], feeds)
            lay_back(merged, probability.reshape(self.spec.size, self.spec.size), region, scale)
        outlines = [convex_hull(face.mesh[:, :2]) * scale for face in faces if face.mesh is not None]
        return PersonMask(np.round(merged * 255).astype(np.uint8), outlines)


def lay_back(merged: np.ndarray, probability: np.ndarray, region: tuple[float, float, float], scale: float) -> None:
    """Resize one crop's answer to the crop's place in the mask (mask px = image px * scale) and keep the
    larger of it and what is there."""
    cx, cy, side = region
    x0, y0 = round((cx - side / 2) * scale), round((cy - side / 2) * scale)
    span = max(1, round(side * scale))
    placed = np.asarray(Image.fromarray(probability.astype(np.float32), "F").resize((span, span), Image.Resampling.BILINEAR))
    height, width = merged.shape
    left, top = max(0, x0), max(0, y0)
    right, bottom = min(width, x0 + span), min(height, y0 + span)
    if right <= left or bottom <= top:
        return
    part = placed[top - y0:bottom - y0, left - x0:right - x0]
    np.maximum(merged[top:bottom, left:right], part, out=merged[top:bottom, left:right])


# ---- A sharp mask at any size: the fast guided filter -------------------------------------------------

def box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """The mean over a (2 radius + 1)^2 window round each pixel (windows clipped at the borders): running
    sums along each axis in turn, so the cost is the same for any radius (float32 is exact enough: a
    row's running sum stays within a few thousand)."""
    return _running_mean(_running_mean(values.astype(np.float32), radius, 1), radius, 0)


def _running_mean(values: np.ndarray, radius: int, axis: int) -> np.ndarray:
    length = values.shape[axis]
    table = np.cumsum(values, axis=axis, dtype=np.float32)
    table = np.concatenate([np.zeros_like(np.take(table, [0], axis=axis)), table], axis=axis)
    positions = np.arange(length)
    high, low = np.clip(positions + radius + 1, 0, length), np.clip(positions - radius, 0, length)
    shape = [1, 1]
    shape[axis] = length
    count = (high - low).astype(np.float32).reshape(shape)
    return (np.take(table, high, axis=axis) - np.take(table, low, axis=axis)) / count


def grey(image: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    """The image's luminance in 0..1, at `size` if given."""
    picture = image.convert("L")
    if size is not None and picture.size != size:
        picture = picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(picture, dtype=np.float32) / 255.0


STRIP_ROWS = 256  # full-size images are refined and blended this many rows at a time: memory stays bounded


def refine(mask: PersonMask, image: Image.Image) -> Image.Image:
    """The people mask at the size of `image` (the photo, or a preview of it), an "L" image (255 =
    person), its edges moved onto the photo's own edges: the guided filter's linear model (mask ~ a *
    luminance + b in each window) is fitted at the coarse mask's size and applied at the image's, then
    the soft band round the edge is narrowed (config.MASK_EDGE) so no halo of the old background is
    left. Every face outline is person."""
    small = grey(image, mask.size)
    p = mask.coarse.astype(np.float32) / 255.0
    radius = max(1, round(config.GUIDED_RADIUS * max(mask.size)))
    mean_i, mean_p = box_mean(small, radius), box_mean(p, radius)
    cov_ip = box_mean(small * p, radius) - mean_i * mean_p
    var_i = box_mean(small * small, radius) - mean_i * mean_i
    a = cov_ip / (var_i + config.GUIDED_EPS)
    b = mean_p - a * mean_i
    slopes, offsets = Image.fromarray(box_mean(a, radius), "F"), Image.fromarray(box_mean(b, radius), "F")
    luminance = image.convert("L")
    width, height = image.size
    ky = mask.size[1] / height
    low, high = config.MASK_EDGE
    alpha = np.empty((height, width), np.uint8)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        box = (0, top * ky, mask.size[0], bottom * ky)
        size = (width, bottom - top)
        a_rows = np.asarray(slopes.resize(size, Image.Resampling.BILINEAR, box=box))
        b_rows = np.asarray(offsets.resize(size, Image.Resampling.BILINEAR, box=box))
        rows = np.asarray(luminance.crop((0, top, width, bottom)), dtype=np.float32) / 255.0
        t = np.clip((a_rows * rows + b_rows - low) / (high - low), 0.0, 1.0)
        alpha[top:bottom] = np.round(t * t * (3.0 - 2.0 * t) * 255)  # smoothstep: soft but narrow
    return ImageChops.lighter(Image.fromarray(alpha, "L"), face_areas(mask, image.size))


def face_areas(mask: PersonMask, size: tuple[int, int]) -> Image.Image:
    """255 inside every face outline of the mask, at `size`, else 0 ("L")."""
    area = Image.new("L", size, 0)
    draw = ImageDraw.Draw(area)
    kx, ky = size[0] / mask.size[0], size[1] / mask.size[1]
    for outline in mask.faces:
        if len(outline) >= 3:
            draw.polygon([(x * kx, y * ky) for x, y in outline], fill=255)
    return area


# ---- What the background becomes ---------------------------------------------------------------------

@dataclass(frozen=True)
class Background:
    """A photo's background: `mode` (config.BACKGROUND_LABELS), the colour for "colour" (r, g, b), and the
    picture for "photo" (any size: it is scaled to cover the photo and centred)."""

    mode: str = config.DEFAULT_BACKGROUND
    colour: tuple[int, int, int] = config.DEFAULT_BACKGROUND_COLOUR
    picture: Image.Image | None = None

    @property
    def changes_pixels(self) -> bool:
        return self.mode != "keep"


def covering(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`picture` scaled to cover `size` and cropped to it, centred (as CSS object-fit: cover)."""
    width, height = size
    scale = max(width / picture.width, height / picture.height)
    scaled_w, scaled_h = max(width, math.ceil(picture.width * scale)), max(height, math.ceil(picture.height * scale))
    left, top = (scaled_w - width) / 2, (scaled_h - height) / 2
    return picture.convert("RGB").resize(size, Image.Resampling.BILINEAR, box=(left / scale, top / scale,
                                                                              (left + width) / scale,
                                                                              (top + height) / scale),
                                         reducing_gap=2.0)


def blur_radius(size: tuple[int, int]) -> float:
    return max(1.0, config.BACKGROUND_BLUR * math.hypot(*size))


def blurred_background(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """The photo blurred without its people (normalised convolution: the background's own colours spread
    into where the people are, so nobody leaves a glow of themselves behind). A blur this wide is made on a
    copy `step` times smaller (box-reduced) and scaled back up: the same picture for a fraction of the work."""
    radius = blur_radius(image.size)
    step = max(1, int(radius // 4))
    rgb, behind = image.convert("RGB"), ImageChops.invert(alpha)
    if step > 1:
        rgb, behind = rgb.reduce(step), behind.reduce(step)
    blur = ImageFilter.GaussianBlur(radius / step)
    spread = np.asarray(Image.composite(rgb, Image.new("RGB", rgb.size), behind).filter(blur), dtype=np.float32)
    share = np.asarray(behind.filter(blur), dtype=np.float32)[..., None] / 255.0
    plain = np.asarray(rgb.filter(blur), dtype=np.float32)
    # Deep inside a large person almost no background is near: there the plain blur will do.
    trusted = np.clip(share / 0.05, 0.0, 1.0)
    mixed = trusted * spread / np.maximum(share, 1e-3) + (1.0 - trusted) * plain
    result = Image.fromarray(np.clip(np.round(mixed), 0, 255).astype(np.uint8), "RGB")
    return result.resize(image.size, Image.Resampling.BILINEAR) if step > 1 else result


def apply_background(image: Image.Image, mask: PersonMask | None, background: Background) -> Image.Image:
    """The photo with its background replaced as `background` says (the people kept as they are). Mode
    "remove" gives an RGBA image whose alpha is the people mask; the others keep the image's mode.
    A photo without people (no faces were found: nothing to keep in front) is returned as it is, rather
    than blurred or removed whole; so is one without a mask."""
    if not background.changes_pixels or mask is None or not mask.has_people:
        return image
    alpha = refine(mask, image)
    if background.mode == "remove":
        result = image.convert("RGBA")
        result.putalpha(ImageChops.multiply(result.getchannel("A"), alpha))
        return result
    if background.mode == "blur":
        behind = blurred_background(image, alpha)
    elif background.mode == "colour":
        behind = Image.new("RGB", image.size, background.colour)
    elif background.mode == "photo":
        if background.picture is None:
            raise ValueError("background mode 'photo' needs a picture")
        behind = covering(background.picture, image.size)
    else:
        raise ValueError(f"unknown background mode {background.mode!r}")
    result = Image.composite(image.convert("RGB"), behind, alpha)
    if image.mode == "RGBA":
        result.putalpha(image.getchannel("A"))
    return result

"""Paint googly eyes onto the photo: anti-aliased, at full resolution, touching only their own pixels.

Each eye is drawn as a small sprite, SUPERSAMPLE times larger, then box-filtered down (Image.reduce)
and pasted through its own coverage mask. Colour and coverage are kept apart so edge pixels are not
darkened by the transparent background: outside the white the colour layer holds the rim colour,
and the mask alone decides how much of it shows.
"""

import math

from PIL import Image, ImageDraw

from . import config
from .googly import GooglyEye


def rim_width(radius: float) -> float:
    return max(config.RIM_MIN_PX, radius * config.RIM_FRACTION)


def draw_googly_eyes(image: Image.Image, eyes: list[GooglyEye]) -> Image.Image:
    """Return a copy of `image` with every googly eye painted on (the input is left as it was)."""
    out = image.copy()
    for eye in eyes:
        paste_eye(out, eye)
    return out


def paste_eye(image: Image.Image, eye: GooglyEye) -> None:
    """Render one eye's sprite and blend it in place; eyes partly outside the photo are clipped."""
    scale = config.SUPERSAMPLE
    cx, cy = eye.centre
    left = math.floor(cx - eye.radius) - 1
    top = math.floor(cy - eye.radius) - 1
    size = math.ceil(cx + eye.radius) + 1 - left, math.ceil(cy + eye.radius) + 1 - top
    if left >= image.width or top >= image.height or left + size[0] <= 0 or top + size[1] <= 0:
        return

    colour = Image.new("RGB", (size[0] * scale, size[1] * scale), config.RIM_COLOUR)
    mask = Image.new("L", colour.size, 0)
    # Centre and radii in sprite pixels (continuous convention, supersampled).
    centre = ((cx - left) * scale, (cy - top) * scale)
    pupil = ((eye.pupil_centre[0] - left) * scale, (eye.pupil_centre[1] - top) * scale)
    _disc(ImageDraw.Draw(mask), centre, eye.radius * scale, 255)
    draw = ImageDraw.Draw(colour)
    _disc(draw, centre, (eye.radius - rim_width(eye.radius)) * scale, config.EYE_WHITE)
    _disc(draw, pupil, eye.pupil_radius * scale, config.PUPIL_COLOUR)

    colour, mask = colour.reduce(scale), mask.reduce(scale)
    if image.mode == "RGBA":
        colour = colour.convert("RGBA")
    image.paste(colour, (left, top), mask)


def _disc(draw: ImageDraw.ImageDraw, centre, radius: float, fill) -> None:
    """A filled disc covering the pixels whose centres lie within `radius` of `centre`.

    Pillow's ellipse fills the inclusive pixel box [x0, x1], so a disc spanning the continuous
    interval [c - r, c + r) is the box from round(c - r) to round(c + r) - 1.
    """
    if radius <= 0:
        return
    x0, y0 = round(centre[0] - radius), round(centre[1] - radius)
    x1, y1 = round(centre[0] + radius) - 1, round(centre[1] + radius) - 1
    if x1 >= x0 and y1 >= y0:
        draw.ellipse((x0, y0, x1, y1), fill=fill)

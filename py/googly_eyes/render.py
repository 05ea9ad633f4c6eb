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


def draw_debug(image: Image.Image, faces) -> Image.Image:
    """What the pipeline saw, for people checking it (never part of a download): face boxes, the
    detector's keypoints (orange), the mesh (faint green), each eyelid contour (cyan) and eye centre
    (red cross; a hidden eye's is grey)."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    for face in faces:
        size = float(face.box[2] - face.box[0])
        dot = max(1.0, size / 150)
        draw.rectangle([float(v) for v in face.box], outline=(255, 210, 0), width=max(1, round(size / 120)))
        if getattr(face, "mesh", None) is not None:
            for x, y, _ in face.mesh:
                draw.ellipse((x - dot / 2, y - dot / 2, x + dot / 2, y + dot / 2), fill=(80, 220, 120))
        for x, y in face.face.keypoints:
            draw.ellipse((x - 2 * dot, y - 2 * dot, x + 2 * dot, y + 2 * dot), outline=(255, 140, 0))
        for eye in (face.right, face.left):
            points = [tuple(map(float, p)) for p in eye.contour]
            if len(points) > 2:
                draw.line(points + points[:1], fill=(0, 220, 255), width=max(1, round(dot)))
            x, y = eye.centre
            arm = max(3.0, eye.width / 4)
            colour = (255, 40, 40) if eye.visible else (150, 150, 150)
            draw.line((x - arm, y, x + arm, y), fill=colour, width=max(1, round(dot)))
            draw.line((x, y - arm, x, y + arm), fill=colour, width=max(1, round(dot)))
    return out

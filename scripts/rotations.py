"""Photos turned and rolled, with their annotations moved exactly: the evaluation of faces at any angle.

    TRANSFORMS = upright, rot90, rot180, rot270 (the pixels turned, as a sideways or upside-down photo
                 without an EXIF tag arrives), roll30, roll60 (the photo rolled, canvas expanded)

Angles are counter-clockwise as seen on screen. Coordinates use the annotations' continuous convention
(pixel (i, j) spans [i, i+1) x [j, j+1)). `transform_point` maps a point of the original onto the turned
photo exactly; the photo itself is made with Pillow's `transpose` for quarter turns (lossless pixel moves)
and with an affine resampling about the photo's centre for rolls, whose matrix is the same one.

A face box is moved as the box of the ellipse inscribed in it (for quarter turns that is the turned box
itself; for a roll it is the tight box a rolled face would get, where the box of the rolled corners would
be up to 37% too wide). Eyes, contours and every other point list move point by point; "right_eye" stays
the subject's right eye, as turning never mirrors.
"""

from dataclasses import dataclass
import math

import numpy as np
from PIL import Image

TRANSFORMS = {"upright": 0, "rot90": 90, "rot180": 180, "rot270": 270, "roll30": 30, "roll60": 60}
QUARTER_TURNS = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
FILL = (114, 114, 114)  # the expanded canvas of a roll: plain grey, as photo editors leave it


@dataclass(frozen=True)
class Turn:
    """Counter-clockwise rotation by `degrees` of a width x height photo onto an expanded canvas."""

    degrees: float
    size: tuple[int, int]  # the original's

    @property
    def new_size(self) -> tuple[int, int]:
        width, height = self.size
        if self.degrees % 90 == 0:
            return (height, width) if self.degrees % 180 else (width, height)
        c, s = abs(math.cos(math.radians(self.degrees))), abs(math.sin(math.radians(self.degrees)))
        return math.ceil(width * c + height * s - 1e-9), math.ceil(width * s + height * c - 1e-9)

    @property
    def matrix(self) -> np.ndarray:
        """3 x 3, original continuous coordinates -> turned ones (y down, so counter-clockwise on screen is
        x' = cos dx + sin dy, y' = -sin dx + cos dy about the centres)."""
        theta = math.radians(self.degrees)
        c, s = round(math.cos(theta), 12), round(math.sin(theta), 12)  # exact 0 and +-1 for quarter turns
        (w, h), (nw, nh) = self.size, self.new_size
        to_origin = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]], float)
        turn = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]], float)
        to_centre = np.array([[1, 0, nw / 2], [0, 1, nh / 2], [0, 0, 1]], float)
        return to_centre @ turn @ to_origin


def transform_point(turn: Turn, point) -> list[float]:
    x, y, _ = turn.matrix @ np.array([float(point[0]), float(point[1]), 1.0])
    return [float(x), float(y)]


def transform_box(turn: Turn, box) -> list[float]:
    """The box of the ellipse inscribed in `box`, turned: centre moved, half-extents of the rotated ellipse."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = transform_point(turn, ((x0 + x1) / 2, (y0 + y1) / 2))
    a, b = (x1 - x0) / 2, (y1 - y0) / 2
    theta = math.radians(turn.degrees)
    c, s = round(math.cos(theta), 12), round(math.sin(theta), 12)
    half_w, half_h = math.hypot(a * c, b * s), math.hypot(a * s, b * c)
    return [cx - half_w, cy - half_h, cx + half_w, cy + half_h]


def transform_image(turn: Turn, image: Image.Image) -> Image.Image:
    if turn.degrees % 360 == 0:
        return image.copy()
    if turn.degrees % 90 == 0:
        return image.transpose(QUARTER_TURNS[int(turn.degrees) % 360])
    inverse = np.linalg.inv(turn.matrix)  # Pillow samples the input at inverse(output pixel centre)
    return image.transform(turn.new_size, Image.Transform.AFFINE, tuple(inverse[:2].ravel()),
                           resample=Image.Resampling.BICUBIC, fillcolor=FILL)


POINT_FIELDS = ("right_eye", "left_eye")


def transform_face(turn: Turn, face: dict) -> dict:
    """A ground-truth face with every coordinate moved: box, eyes, and any list of points (contours)."""
    moved = dict(face)
    for key, value in face.items():
        if value is None:
            continue
        if key == "box":
            moved[key] = transform_box(turn, value)
        elif key in POINT_FIELDS:
            moved[key] = transform_point(turn, value)
        elif key.endswith("_contour"):
            moved[key] = [transform_point(turn, point) for point in value]
    return moved

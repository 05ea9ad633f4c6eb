"""Where each googly eye goes and how it looks: the original design, seeded.

For a face with eye centres R (subject's right) and L:
    eye_distance  d = |L - R|
    eye radius    r = gamma * d / 2
    pupil radius  p = lambda * r,  lambda ~ U(lambda_min, lambda_max)
    pupil centre  = eye centre + (r - p) * (cos theta, sin theta),  theta ~ U(0, 2 pi)
so the pupil always touches the rim, as a loose googly pupil does. theta is measured in the head's own
frame (from its eye line), so googly eyes turn with the head. With sizing "eye_width" each eye is sized
by its own width instead (config.EYE_WIDTH_PER_EYE_DISTANCE keeps the average size the same). An eye
marked hidden (a head turned far away) gets no googly eye.

Each eye draws its random numbers from its own stream, keyed by (seed, face index, side): the same
seed gives the same picture, and one eye can be re-rolled without moving the others.
"""

from dataclasses import dataclass
import math

import numpy as np

from . import config
from .config import GooglySettings

SIDES = ("right", "left")


@dataclass(frozen=True)
class GooglyEye:
    face_index: int
    side: str  # "right" or "left": the subject's eye it covers
    centre: tuple[float, float]
    radius: float
    pupil_centre: tuple[float, float]
    pupil_radius: float
    roll_degrees: float  # head roll: angle of the right->left eye line, clockwise in image coordinates

    def as_dict(self) -> dict:
        return {
            "centre": [round(v, 3) for v in self.centre],
            "radius": round(self.radius, 3),
            "pupil_centre": [round(v, 3) for v in self.pupil_centre],
            "pupil_radius": round(self.pupil_radius, 3),
        }


def eye_rng(seed: int, face_index: int, side: str) -> np.random.Generator:
    """The random stream of one eye. PCG64 gives the same numbers in CPython and Pyodide."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, face_index, SIDES.index(side)])


def head_roll_degrees(right_eye, left_eye) -> float:
    dx, dy = np.asarray(left_eye, float) - np.asarray(right_eye, float)
    return math.degrees(math.atan2(dy, dx))


def eye_radius(settings: GooglySettings, eye_distance: float, eye_width: float | None) -> float:
    if settings.sizing == "eye_width" and eye_width:
        return settings.gamma * eye_width / (2.0 * config.EYE_WIDTH_PER_EYE_DISTANCE)
    return settings.gamma * eye_distance / 2.0


def place_face(face_index: int, right_eye, left_eye, settings: GooglySettings,
               widths=(None, None), visible=(True, True)) -> list[GooglyEye]:
    """The googly eyes of one face; none if the eyes coincide (nothing sensible to size them by)."""
    right_eye, left_eye = np.asarray(right_eye, float), np.asarray(left_eye, float)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    if not math.isfinite(eye_distance) or eye_distance < 1e-6:
        return []
    roll = head_roll_degrees(right_eye, left_eye)
    eyes = []
    for side, centre, width, shown in zip(SIDES, (right_eye, left_eye), widths, visible):
        rng = eye_rng(settings.seed, face_index, side)  # drawn even for a hidden eye: seeds stay stable
        pupil_fraction = rng.uniform(settings.lambda_min, settings.lambda_max)
        theta = rng.uniform(0.0, 2.0 * math.pi) + math.radians(roll)
        if not shown:
            continue
        radius = eye_radius(settings, eye_distance, width)
        pupil_radius = pupil_fraction * radius
        reach = radius - pupil_radius
        pupil_centre = centre + reach * np.array([math.cos(theta), math.sin(theta)])
        eyes.append(GooglyEye(face_index, side, (float(centre[0]), float(centre[1])), radius,
                              (float(pupil_centre[0]), float(pupil_centre[1])), pupil_radius, roll))
    return eyes


def place_googly_eyes(faces, settings: GooglySettings) -> list[GooglyEye]:
    """Googly eyes for every face, in the order given (the pipeline sorts faces left to right).

    Faces located by the face mesh carry each eye's width and visibility (`face.right`, `face.left`);
    faces straight from the detector have only the two eye points."""
    eyes = []
    for face_index, face in enumerate(faces):
        located = (getattr(face, "right", None), getattr(face, "left", None))
        widths = tuple(eye.width if eye is not None else None for eye in located)
        visible = tuple(eye.visible if eye is not None else True for eye in located)
        eyes.extend(place_face(face_index, face.right_eye, face.left_eye, settings, widths, visible))
    return eyes

"""Where each googly eye goes and how it looks: the original design, seeded.

For a face with eye centres R (subject's right) and L:
    eye_distance  d = |L - R|
    eye radius    r = gamma * d / 2
    pupil radius  p = lambda * r,  lambda ~ U(lambda_min, lambda_max)
    pupil centre  = eye centre + (r - p) * (cos theta, sin theta),  theta ~ U(0, 2 pi)
so the pupil always touches the rim, as a loose googly pupil does.

Each eye draws its random numbers from its own stream, keyed by (seed, face index, side): the same
seed gives the same picture, and one eye can be re-rolled without moving the others.
"""

from dataclasses import dataclass
import math

import numpy as np

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


def place_face(face_index: int, right_eye, left_eye, settings: GooglySettings) -> list[GooglyEye]:
    """Both googly eyes of one face; none if the eyes coincide (nothing sensible to size them by)."""
    right_eye, left_eye = np.asarray(right_eye, float), np.asarray(left_eye, float)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    if not math.isfinite(eye_distance) or eye_distance < 1e-6:
        return []
    radius = settings.gamma * eye_distance / 2.0
    roll = head_roll_degrees(right_eye, left_eye)
    eyes = []
    for side, centre in zip(SIDES, (right_eye, left_eye)):
        rng = eye_rng(settings.seed, face_index, side)
        pupil_fraction = rng.uniform(settings.lambda_min, settings.lambda_max)
        theta = rng.uniform(0.0, 2.0 * math.pi)
        pupil_radius = pupil_fraction * radius
        reach = radius - pupil_radius
        pupil_centre = centre + reach * np.array([math.cos(theta), math.sin(theta)])
        eyes.append(GooglyEye(face_index, side, (float(centre[0]), float(centre[1])), radius,
                              (float(pupil_centre[0]), float(pupil_centre[1])), pupil_radius, roll))
    return eyes


def place_googly_eyes(faces, settings: GooglySettings) -> list[GooglyEye]:
    """Googly eyes for every face, in the order given (the pipeline sorts faces left to right)."""
    eyes = []
    for face_index, face in enumerate(faces):
        eyes.extend(place_face(face_index, face.right_eye, face.left_eye, settings))
    return eyes

"""What each face is doing: MediaPipe's face blendshapes (52 expression scores) from its landmarks.

The blendshapes model takes 146 of the landmarker's 478 points (x, y in pixels of the image they were
found in) and gives 52 scores from 0 to 1: smiles, blinks, wide eyes, an open jaw, raised brows and so on
(ARKit's names). We feed it the points of the landmarker's second pass as they are in its crop: an upright
face, 256 px, mirrored (see EyeLocator.run_mesh). The model names sides from the face it is given, so on
the mirrored face its "Left" is the subject's right: `SIDES` turns them back.

From the raw scores come the few the app acts on (`Expressions`): smile, blink of each eye (the subject's
right and left) and surprise; their thresholds are in config.py (EXPRESSION_*), chosen on half of
faces-dev against hand labels and checked on the other half (docs/MODELS.md).
"""

from dataclasses import dataclass

import numpy as np

from .inference import run_model

# The mirrored face's side -> the subject's side, for every score that names one.
SIDES = {"Left": "right", "Right": "left"}


@dataclass(frozen=True)
class BlendshapeSpec:
    """How to feed the blendshapes model and read it (from the model manifest)."""

    input_name: str
    scores_output: str
    landmarks: tuple[int, ...]  # which of the 478 landmarks, in the model's input order
    names: tuple[str, ...]  # the 52 scores' names

    @classmethod
    def from_manifest(cls, entry: dict) -> "BlendshapeSpec":
        return cls(entry["input"]["name"], entry["outputs"]["scores"], tuple(entry["input"]["landmarks"]),
                   tuple(entry["names"]))


def subject_side(name: str) -> str:
    """A raw score's name as the subject's: 'eyeBlinkLeft' (of the mirrored face) -> 'eyeBlink_right'."""
    for mirrored, subject in SIDES.items():
        if name.endswith(mirrored):
            return f"{name[:-len(mirrored)]}_{subject}"
    return name


@dataclass(frozen=True)
class Expressions:
    """One face's 52 scores (by the subject's sides, see subject_side) and what the app reads from them."""

    scores: dict[str, float]

    def _mean(self, *names: str) -> float:
        return float(np.mean([self.scores[name] for name in names]))

    @property
    def smile(self) -> float:
        return self._mean("mouthSmile_right", "mouthSmile_left")

    @property
    def blink_right(self) -> float:
        return self.scores["eyeBlink_right"]

    @property
    def blink_left(self) -> float:
        return self.scores["eyeBlink_left"]

    @property
    def surprise(self) -> float:
        """Raised brows and wide eyes together (either alone is common without surprise)."""
        return float(np.sqrt(self.scores["browInnerUp"] * self._mean("eyeWide_right", "eyeWide_left")))

    def summary(self) -> dict[str, float]:
        return {"smile": self.smile, "blink_right": self.blink_right, "blink_left": self.blink_left,
                "surprise": self.surprise}


class ExpressionReader:
    """Runs the blendshapes model on a face's landmarks."""

    def __init__(self, session, spec: BlendshapeSpec):
        self.session, self.spec = session, spec

    async def warm_up(self) -> None:
        """One run on made-up landmarks (models.warm_up_step)."""
        await self.read(np.full((478, 2), 128.0, np.float32))

    async def read(self, crop_landmarks: np.ndarray) -> Expressions:
        """`crop_landmarks`: (478, 2+) points of the face in the (mirrored, upright) crop they were found in."""
        points = np.asarray(crop_landmarks, np.float32)[list(self.spec.landmarks), :2]
        (scores,) = await run_model(self.session, [self.spec.scores_output],
                                    {self.spec.input_name: np.ascontiguousarray(points[np.newaxis])})
        values = np.clip(np.asarray(scores, np.float64).reshape(-1), 0.0, 1.0)
        return Expressions({subject_side(name): round(float(v), 4)
                            for name, v in zip(self.spec.names, values) if name != "_neutral"})

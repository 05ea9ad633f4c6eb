"""Defaults and limits, in one place: the page, the pipeline and the tests read them from here."""

from dataclasses import dataclass

# Googly-eye geometry (the original design): eye radius = GAMMA * eye_distance / 2,
# pupil radius = lambda * eye radius with lambda ~ U(LAMBDA_MIN, LAMBDA_MAX).
GAMMA = 0.5
LAMBDA_MIN = 0.4
LAMBDA_MAX = 0.6
DEFAULT_SEED = 0

# Face detection: MediaPipe's own thresholds for BlazeFace full-range.
MIN_FACE_SCORE = 0.6
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold for BlazeFace
RAW_SCORE_CLIP = 100.0  # MediaPipe's score_clipping_thresh

# Photos. Pillow refuses anything above MAX_PIXELS as a decompression bomb; we check first and
# say so plainly. 64 MP covers every phone camera of 2026 at full resolution.
MAX_PIXELS = 64_000_000
JPEG_QUALITY = 92

# Rendering: supersampling factor for anti-aliased discs and the rim's share of the radius.
SUPERSAMPLE = 4
RIM_FRACTION = 0.06
RIM_MIN_PX = 1.0
EYE_WHITE = (255, 255, 255)
PUPIL_COLOUR = (12, 12, 12)
RIM_COLOUR = (45, 45, 45)


@dataclass(frozen=True)
class GooglySettings:
    """What the user can change about the googly eyes (the page keeps one per photo)."""

    gamma: float = GAMMA
    lambda_min: float = LAMBDA_MIN
    lambda_max: float = LAMBDA_MAX
    seed: int = DEFAULT_SEED

    def __post_init__(self):
        if not (0.05 <= self.gamma <= 2.0):
            raise ValueError(f"gamma must be within 0.05..2.0, got {self.gamma}")
        if not (0.0 < self.lambda_min <= self.lambda_max < 1.0):
            raise ValueError(
                f"pupil size range must satisfy 0 < lambda_min <= lambda_max < 1, "
                f"got {self.lambda_min}..{self.lambda_max}"
            )

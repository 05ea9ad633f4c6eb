"""Defaults and limits, in one place: the page, the pipeline and the tests read them from here."""

from dataclasses import dataclass

# Googly-eye geometry (the original design): eye radius = GAMMA * eye_distance / 2,
# pupil radius = lambda * eye radius with lambda ~ U(LAMBDA_MIN, LAMBDA_MAX).
GAMMA = 0.5
LAMBDA_MIN = 0.4
LAMBDA_MAX = 0.6
DEFAULT_SEED = 0
# Sizing: "distance" (the original formula, both eyes alike) or "eye_width" (each eye by its own
# width: radius = gamma * width / (2 * EYE_WIDTH_PER_EYE_DISTANCE), the same size on average; a
# turned head's far eye gets a smaller googly eye). An eye is about 0.43 eye distances wide (mean of
# the mesh's corner-to-corner widths over faces-dev).
SIZING_MODES = ("distance", "eye_width")
DEFAULT_SIZING = "distance"
EYE_WIDTH_PER_EYE_DISTANCE = 0.43

# Face detection: MediaPipe's own thresholds for BlazeFace full-range.
MIN_FACE_SCORE = 0.6
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold for BlazeFace
RAW_SCORE_CLIP = 100.0  # MediaPipe's score_clipping_thresh

# Eye refinement with the face mesh. A face whose mesh presence score is below MIN_FACE_PRESENCE is
# dropped (animals, patterns); an eye narrower than EYE_HIDDEN_WIDTH_RATIO of the other is taken as
# hidden by a turned head and gets no googly eye.
MIN_FACE_PRESENCE = 0.5
EYE_HIDDEN_WIDTH_RATIO = 0.25
DUPLICATE_EYE_DISTANCE = 0.3

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
    sizing: str = DEFAULT_SIZING

    def __post_init__(self):
        if self.sizing not in SIZING_MODES:
            raise ValueError(f"sizing must be one of {SIZING_MODES}, got {self.sizing!r}")
        if not (0.05 <= self.gamma <= 2.0):
            raise ValueError(f"gamma must be within 0.05..2.0, got {self.gamma}")
        if not (0.0 < self.lambda_min <= self.lambda_max < 1.0):
            raise ValueError(
                f"pupil size range must satisfy 0 < lambda_min <= lambda_max < 1, "
                f"got {self.lambda_min}..{self.lambda_max}"
            )

"""Defaults and limits, in one place: the page, the pipeline and the tests read them from here."""

from dataclasses import dataclass, fields
import math
import numbers

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
# Where the pupil sits (googly.py explains each): "random" (the original design), "gravity" (resting at
# the bottom, as a real googly eye does on an upright photo), "look_at" (towards a point the user picks).
PUPIL_MODES = ("random", "gravity", "look_at")
DEFAULT_PUPIL_MODE = "random"

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
# Faces are found on at most this many pixels: a bigger photo is analysed on a reduced copy (a JPEG
# decoded at 1/2, 1/4 or 1/8 scale by its own DCT, which is several times faster than a full decode;
# other formats decoded, then box-reduced) and the googly eyes are mapped back and painted at full
# size. 6 MP keeps photos up to 6 MP as they are and takes a 12 MP photo at 1/2 (3 MP): the detector
# never looks closer than 1/2 scale anyway (tiles.py: eyes 16 px apart at 8 model px).
ANALYSIS_MAX_PIXELS = 6_000_000
JPEG_QUALITY = 92
# The page edits a preview at most this many pixels on its long side (sharp on a large screen,
# quick to re-render); downloads are rendered at full resolution.
PREVIEW_MAX_SIDE = 1600
PREVIEW_QUALITY = 88  # previews are JPEG at this quality (PNG when the photo has transparency)
# Decoded previews the page's worker keeps for instant re-renders (about 5 MB each at 1600 px); an older
# one is decoded again from the original bytes when needed.
PREVIEWS_KEPT = 24
# An eye added by hand on a photo without googly eyes starts with this radius (fraction of the short side).
ADDED_EYE_FRACTION = 0.04

# Rendering: supersampling factor for anti-aliased discs and the rim's share of the radius.
SUPERSAMPLE = 4
RIM_FRACTION = 0.06
RIM_MIN_PX = 1.0
EYE_WHITE = (255, 255, 255)
PUPIL_COLOUR = (12, 12, 12)
RIM_COLOUR = (45, 45, 45)

# Drawing styles (render.py has one function per style). "classic" is the original flat look.
STYLES = ("classic", "glossy", "cartoon")
DEFAULT_STYLE = "classic"
# glossy: all sizes are fractions of the eye radius. A soft shadow below the eye, a thin grey rim, the
# white darkening by up to GLOSSY_SHADING towards the rim, and an opaque soft highlight at the upper left.
GLOSSY_RIM_FRACTION = 0.035
GLOSSY_RIM_COLOUR = (150, 150, 150)
GLOSSY_SHADING = 0.22
GLOSSY_SHADOW_OFFSET = 0.10  # straight down
GLOSSY_SHADOW_BLUR = 0.10  # Gaussian radius
GLOSSY_SHADOW_OPACITY = 0.45
GLOSSY_HIGHLIGHT_CENTRE = (-0.38, -0.42)  # from the eye centre, image frame (x right, y down)
GLOSSY_HIGHLIGHT_SIZE = (0.20, 0.13)  # semi-axes
GLOSSY_HIGHLIGHT_BLUR = 0.03
# cartoon: a bold outline and a white catch-light on the pupil (fractions of the pupil radius).
CARTOON_OUTLINE_FRACTION = 0.12
CARTOON_OUTLINE_MIN_PX = 2.0
CARTOON_OUTLINE_COLOUR = (0, 0, 0)
CARTOON_PUPIL_COLOUR = (0, 0, 0)
CARTOON_CATCHLIGHT_CENTRE = (-0.35, -0.35)
CARTOON_CATCHLIGHT_RADIUS = 0.25


@dataclass(frozen=True)
class GooglySettings:
    """What the user can change about the googly eyes (the page keeps one per photo).

    `look_at` is a point in image pixels, used only by pupil_mode "look_at"; without one the pupils sit
    at the eye centres (looking straight at the viewer). A list is accepted and stored as a tuple.
    """

    gamma: float = GAMMA
    lambda_min: float = LAMBDA_MIN
    lambda_max: float = LAMBDA_MAX
    seed: int = DEFAULT_SEED
    sizing: str = DEFAULT_SIZING
    pupil_mode: str = DEFAULT_PUPIL_MODE
    look_at: tuple[float, float] | None = None
    style: str = DEFAULT_STYLE

    def __post_init__(self):
        if self.pupil_mode not in PUPIL_MODES:
            raise ValueError(f"pupil_mode must be one of {PUPIL_MODES}, got {self.pupil_mode!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {self.style!r}")
        if self.look_at is not None:
            object.__setattr__(self, "look_at", finite_point(self.look_at, "look_at"))
        if self.sizing not in SIZING_MODES:
            raise ValueError(f"sizing must be one of {SIZING_MODES}, got {self.sizing!r}")
        for name in ("gamma", "lambda_min", "lambda_max", "seed"):  # a string or list would be a TypeError below
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
                    not isinstance(value, numbers.Integral) and not math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if not (0.05 <= self.gamma <= 2.0):
            raise ValueError(f"gamma must be within 0.05..2.0, got {self.gamma}")
        if not (0.0 < self.lambda_min <= self.lambda_max < 1.0):
            raise ValueError(
                f"pupil size range must satisfy 0 < lambda_min <= lambda_max < 1, "
                f"got {self.lambda_min}..{self.lambda_max}"
            )

    @classmethod
    def from_dict(cls, values: dict) -> "GooglySettings":
        """Settings from a plain dict (the page's JSON): None means "the default"; an unknown key is an
        error, so a typo does not pass silently."""
        known = {field.name for field in fields(cls)}
        for key in values:
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known settings: {sorted(known)}")
        return cls(**{key: value for key, value in values.items() if value is not None})

    def as_dict(self) -> dict:
        """Every field, JSON-friendly (look_at as a list or None); from_dict(as_dict()) gives it back."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        values["look_at"] = list(self.look_at) if self.look_at is not None else None
        return values


def finite_point(value, name: str) -> tuple[float, float]:
    """(x, y) as floats from any pair of finite numbers; ValueError naming `name` otherwise."""
    try:
        x, y = value
        if isinstance(x, (str, bytes, bool)) or isinstance(y, (str, bytes, bool)):
            raise TypeError
        point = (float(x), float(y))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers [x, y], got {value!r}") from None
    if not all(math.isfinite(v) for v in point):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return point

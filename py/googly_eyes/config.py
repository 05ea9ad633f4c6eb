"""Defaults and limits, in one place: the pipeline and the tests read them from here, and the page gets
the settings' part (defaults, choices with their labels, valid ranges, slider ranges) from
settings_spec(), which scripts/build_site.py writes into the site's settings.js."""

from dataclasses import dataclass, fields
import math
import numbers

# Googly-eye geometry (the original design): eye radius = GAMMA * eye_distance / 2,
# pupil radius = lambda * eye radius with lambda ~ U(LAMBDA_MIN, LAMBDA_MAX).
GAMMA = 0.5
LAMBDA_MIN = 0.4
LAMBDA_MAX = 0.6
DEFAULT_SEED = 0
# What GooglySettings accepts (inclusive unless said): gamma within GAMMA_RANGE; the pupil's share of the
# eye strictly inside PUPIL_SIZE_RANGE, with lambda_min <= lambda_max; the seed a whole number that fits
# in the 32 bits googly.py keys each eye's random stream with.
GAMMA_RANGE = (0.05, 2.0)
PUPIL_SIZE_RANGE = (0.0, 1.0)  # exclusive at both ends
SEED_RANGE = (0, 2**32 - 1)
# Sizing: "distance" (the original formula, both eyes alike) or "eye_width" (each eye by its own
# width: radius = gamma * width / (2 * EYE_WIDTH_PER_EYE_DISTANCE), the same size on average; a
# turned head's far eye gets a smaller googly eye). An eye is about 0.43 eye distances wide (mean of
# the mesh's corner-to-corner widths over faces-dev).
SIZING_LABELS = {"distance": "From eye distance", "eye_width": "From each eye"}  # value -> what the page shows
SIZING_MODES = tuple(SIZING_LABELS)
DEFAULT_SIZING = "distance"
EYE_WIDTH_PER_EYE_DISTANCE = 0.43
# Where the pupil sits (googly.py explains each): "random" (the original design), "gravity" (resting at
# the bottom, as a real googly eye does on an upright photo), "look_at" (towards a point the user picks).
PUPIL_MODE_LABELS = {"random": "Random", "gravity": "Gravity", "look_at": "Look at…"}
PUPIL_MODES = tuple(PUPIL_MODE_LABELS)
DEFAULT_PUPIL_MODE = "random"

# Face detection: MediaPipe's own thresholds for BlazeFace full-range.
MIN_FACE_SCORE = 0.6
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold for BlazeFace
RAW_SCORE_CLIP = 100.0  # MediaPipe's score_clipping_thresh
# A face narrower than SMALL_FACE_PX (its eyes some 8 px apart: googly eyes of a few pixels) is kept only
# at SMALL_FACE_MIN_SCORE or more. Measured on faces-dev: no true face is narrower than 28 px, and every
# one under 40 px scored 0.76 or more; the one false face of a no-person photo at any angle (a car's
# hubcap in a photo turned 270 degrees) is 19 px wide at 0.70.
SMALL_FACE_PX = 24.0
SMALL_FACE_MIN_SCORE = 0.75

# Eye refinement with the face mesh. A face whose mesh presence score is below MIN_FACE_PRESENCE is
# dropped (animals, patterns); an eye narrower than EYE_HIDDEN_WIDTH_RATIO of the other is taken as
# hidden by a turned head and gets no googly eye.
MIN_FACE_PRESENCE = 0.5
# The first pass (on the detector's region) must see a face too, if only faintly: the second pass runs on
# the region the first pass's landmarks span, and where the first saw none (a spoon in
# tests/fixtures/coffee_no_face.jpg: 0.0003) that region can look face-like enough to score 0.90. On
# faces-dev the lowest first-pass score of a real face is 0.17 (a small face off-centre in its region).
MIN_FIRST_PASS_PRESENCE = 0.01
EYE_HIDDEN_WIDTH_RATIO = 0.25

# Expressions (expressions.py): when the blendshapes' scores count as smiling, an eye shut, surprised.
# Smile and shut were chosen on the even half of faces-dev against hand labels (scripts/expression_labels.json)
# and checked on the odd half: python -m scripts.expressions_check prints AUC and accuracy per half.
EXPRESSION_SMILE = 0.36
EXPRESSION_EYE_SHUT = 0.48  # each eye's blink score
# No face in faces-dev looks surprised (their highest score is 0.19, children looking up): a guess above them.
EXPRESSION_SURPRISE = 0.3
# Expression-aware googly eyes (setting "expressions"): a shut eye gets an upper lid over this share of
# its googly eye; a surprised face bigger eyes with smaller pupils; a smiling face a sparkle by each eye.
EXPRESSIONS_LABELS = {"on": "Follow faces", "off": "Ignore"}
DEFAULT_EXPRESSIONS = "on"
EXPRESSION_LID = 0.55
SURPRISE_EYE_SCALE = 1.3
SURPRISE_PUPIL_SCALE = 0.6
LID_LINE_FRACTION = 0.08  # the dark line along a lid's edge, of the eye radius
LID_LINE_COLOUR = (40, 30, 30)
SPARKLE_COLOUR = (255, 236, 140)
SPARKLE_OUTLINE = (120, 90, 0)
SPARKLE_CENTRE = (0.95, -0.95)  # in eye radii, in the head's frame, towards the face's outer side
SPARKLE_SIZE = 0.5  # tip-to-centre, of the eye radius
DEFAULT_SKIN = (224, 172, 140)  # a lid's colour where the face's own could not be measured
DUPLICATE_EYE_DISTANCE = 0.3

# Background (background.py): a people mask from MediaPipe's selfie segmentation, run around each located
# face, PERSON_CROPS (drop, side): a crop `side` face sizes wide whose centre is `drop` face sizes down the
# face (python -m scripts.background_check measures them on faces-dev). The mask
# is kept at most MASK_MAX_SIDE px on its long side and made sharp at any size by a guided filter (window
# radius GUIDED_RADIUS of the mask's long side, regularisation GUIDED_EPS); its soft edge runs from
# MASK_EDGE[0] to MASK_EDGE[1] of the filtered probability.
BACKGROUND_LABELS = {"keep": "Keep", "blur": "Blur", "colour": "Colour", "photo": "Photo", "remove": "Remove"}
DEFAULT_BACKGROUND = "keep"
DEFAULT_BACKGROUND_COLOUR = "#00b140"  # a green screen's green, until the person picks another
BACKGROUND_BLUR = 0.008  # the blur's Gaussian radius, of the photo's diagonal
PERSON_CROPS = ((0.0, 2.0), (0.8, 3.2), (3.5, 6.0))  # the head and hair, the shoulders, the body
MASK_MAX_SIDE = 800
GUIDED_RADIUS = 0.01
GUIDED_EPS = 1e-3
MASK_EDGE = (0.3, 0.7)

# Photos. Pillow refuses anything above MAX_PIXELS as a decompression bomb; we check first and
# say so plainly. 64 MP covers every phone camera of 2026 at full resolution.
MAX_PIXELS = 64_000_000
# Faces are found on at most this many pixels: a bigger photo is analysed on a reduced copy (a JPEG
# decoded at 1/2, 1/4 or 1/8 scale by its own DCT, which is several times faster than a full decode;
# other formats decoded, then box-reduced) and the googly eyes are mapped back and painted at full
# size. 6 MP keeps photos up to 6 MP as they are and takes a 12 MP photo at 1/2 (3 MP): the detector
# never looks closer than 1/2 scale anyway (tiles.py: eyes 16 px apart at 8 model px).
ANALYSIS_MAX_PIXELS = 6_000_000
# Downloads: the format (photo.py maps each to Pillow's; "auto" keeps the photo's family) and the
# JPEG/WebP quality, JPEG_QUALITY unless the user picks another within QUALITY_RANGE.
OUTPUT_LABELS = {"auto": "Same as original", "jpeg": "JPEG", "png": "PNG", "webp": "WebP"}
OUTPUT_CHOICES = tuple(OUTPUT_LABELS)
DEFAULT_OUTPUT = "auto"
# What a download keeps of the original's photo information (EXIF): metadata.py says exactly which tags.
PHOTO_INFO_LABELS = {"keep": "Keep the date taken, camera, artist and copyright (never the location)",
                     "remove": "Remove all photo information"}
DEFAULT_PHOTO_INFO = "keep"
JPEG_QUALITY = 92
QUALITY_RANGE = (1, 100)
# Animated downloads (animation.py): how the photo moves, for how long, how big (the longest side; never
# more than the photo's own) and in which format.
MOTION_LABELS = {"shake": "Shake", "nod": "Nod", "jiggle": "Jiggle", "drop": "Drop and settle"}
DEFAULT_MOTION = "shake"
ANIMATION_FORMAT_LABELS = {"gif": "GIF", "mp4": "MP4 video", "webp": "Animated WebP", "apng": "APNG"}
DEFAULT_ANIMATION_FORMAT = "gif"
ANIMATION_SECONDS_RANGE = (1.0, 6.0)
DEFAULT_ANIMATION_SECONDS = 3.0
ANIMATION_SIZE_RANGE = (360, 1080)
DEFAULT_ANIMATION_SIZE = 720
# The page edits a preview at most this many pixels on its long side (sharp on a large screen,
# quick to re-render); downloads are rendered at full resolution.
PREVIEW_MAX_SIDE = 1600
PREVIEW_QUALITY = 88  # previews are JPEG at this quality (PNG when the photo has transparency)
# Decoded previews the page's worker keeps for instant re-renders (Pillow holds 4 bytes a pixel: up to 10 MB
# each at 1600 px); an older one is decoded again from the original bytes when needed. At most PREVIEWS_KEPT
# of them, and no more than PREVIEW_BYTES_KEPT together (the most recent one always): Pyodide's heap never
# gives memory back, so what is kept here adds to the page's peak for good (issue 15 MH5).
PREVIEWS_KEPT = 24
PREVIEW_BYTES_KEPT = 40_000_000
# Previews with a changed background (blurred, ...) kept for instant re-renders while the look changes.
BACKGROUNDS_KEPT = 3
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
STYLE_LABELS = {"classic": "Classic", "glossy": "Glossy", "cartoon": "Cartoon", "eye_shaped": "Eye-shaped"}
EYE_SHAPE_MIN_ASPECT = 0.45  # the eye-shaped style's flattest white: a squint or a shut eye stays a googly eye
STYLES = tuple(STYLE_LABELS)
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


# The page's sliders, (min, max, step): the useful part of each valid range, in steps a person can hit.
SLIDERS = {"gamma": (0.2, 1.2, 0.05), "lambda_min": (0.2, 0.9, 0.05), "lambda_max": (0.2, 0.9, 0.05),
           "quality": (50, 100, 1), "seconds": (1.0, 6.0, 0.5), "size": (360, 1080, 120)}


def settings_spec() -> dict:
    """Every setting the user picks, as plain JSON-friendly data: what the page needs to draw its controls,
    start from the defaults and check saved defaults, so it copies none of them by hand.

    scripts/build_site.py writes it into the site's settings.js, where @typedef SettingsSpec declares
    this shape and lookProblems() applies the same rules as GooglySettings (a unit test runs both):

        {"look": {name: field, ...},            every GooglySettings field, in its order
         "ordered": [["lambda_min", "lambda_max"]],   pairs whose first may not be more than the second
         "output": {"format": field, "quality": field, "photo_info": field},   the download's format,
                                                 JPEG/WebP quality, and what it keeps of the EXIF
         "animation": {"motion": field, "seconds": field, "size": field, "format": field}}
                                                 an animated download's choices (animation.py)

    A field is one of
        {"kind": "choice", "default": value, "choices": [{"value": value, "label": "What the page shows"}]}
        {"kind": "number" or "integer", "default": x, "min": low, "max": high, "exclusive": bool,
         "slider": {"min": low, "max": high, "step": step}}     ("slider" only where the page draws one)
        {"kind": "point", "default": None}                       None or [x, y]
        {"kind": "colour", "default": "#rrggbb"}                 a colour as "#" and six hex digits
    setting_problem() says what each kind accepts.
    """
    def choice(default, labels):
        return {"kind": "choice", "default": default,
                "choices": [{"value": value, "label": label} for value, label in labels.items()]}

    def number(kind, default, bounds, exclusive=False, slider=None):
        field = {"kind": kind, "default": default, "min": bounds[0], "max": bounds[1], "exclusive": exclusive}
        if slider:
            field["slider"] = dict(zip(("min", "max", "step"), SLIDERS[slider]))
        return field

    return {
        "look": {
            "gamma": number("number", GAMMA, GAMMA_RANGE, slider="gamma"),
            "lambda_min": number("number", LAMBDA_MIN, PUPIL_SIZE_RANGE, exclusive=True, slider="lambda_min"),
            "lambda_max": number("number", LAMBDA_MAX, PUPIL_SIZE_RANGE, exclusive=True, slider="lambda_max"),
            "seed": number("integer", DEFAULT_SEED, SEED_RANGE),
            "sizing": choice(DEFAULT_SIZING, SIZING_LABELS),
            "pupil_mode": choice(DEFAULT_PUPIL_MODE, PUPIL_MODE_LABELS),
            "look_at": {"kind": "point", "default": None},
            "style": choice(DEFAULT_STYLE, STYLE_LABELS),
            "expressions": choice(DEFAULT_EXPRESSIONS, EXPRESSIONS_LABELS),
            "background": choice(DEFAULT_BACKGROUND, BACKGROUND_LABELS),
            "background_colour": {"kind": "colour", "default": DEFAULT_BACKGROUND_COLOUR},
        },
        "ordered": [["lambda_min", "lambda_max"]],
        "output": {
            "format": choice(DEFAULT_OUTPUT, OUTPUT_LABELS),
            "quality": number("integer", JPEG_QUALITY, QUALITY_RANGE, slider="quality"),
            "photo_info": choice(DEFAULT_PHOTO_INFO, PHOTO_INFO_LABELS),
        },
        "animation": {
            "motion": choice(DEFAULT_MOTION, MOTION_LABELS),
            "seconds": number("number", DEFAULT_ANIMATION_SECONDS, ANIMATION_SECONDS_RANGE, slider="seconds"),
            "size": number("integer", DEFAULT_ANIMATION_SIZE, ANIMATION_SIZE_RANGE, slider="size"),
            "format": choice(DEFAULT_ANIMATION_FORMAT, ANIMATION_FORMAT_LABELS),
        },
    }


def setting_problem(name: str, field: dict, value) -> str | None:
    """Why `value` breaks `field` (one field of settings_spec()), or None when it is fine.

    colour: "#" and six hex digits. choice: one of the values. number: a finite number, not a boolean or a string, within min..max (strictly
    between them if "exclusive"); integer: the same, and whole (1.0 counts: JSON and JavaScript do not tell
    it from 1). point: None or two finite numbers. web/settings.js settingProblem() is the same rule.
    """
    kind = field["kind"]
    if kind == "colour":
        ok = isinstance(value, str) and len(value) == 7 and value[0] == "#" and all(
            c in "0123456789abcdefABCDEF" for c in value[1:])
        return None if ok else f"{name} must be a colour like \"#00b140\", got {value!r}"
    if kind == "choice":
        values = tuple(choice["value"] for choice in field["choices"])
        return None if value in values else f"{name} must be one of {values}, got {value!r}"
    if kind == "point":
        if value is None:
            return None
        try:
            finite_point(value, name)
        except ValueError as error:
            return str(error)
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not math.isfinite(value)):
        return f"{name} must be a finite number, got {value!r}"
    if kind == "integer" and not (isinstance(value, numbers.Integral) or float(value).is_integer()):
        return f"{name} must be a whole number, got {value!r}"
    low, high = field["min"], field["max"]
    if field["exclusive"]:
        return None if low < value < high else f"{name} must be more than {low} and less than {high}, got {value}"
    return None if low <= value <= high else f"{name} must be within {low}..{high}, got {value}"


_SPEC = settings_spec()  # what GooglySettings checks: the very rules the page gets


@dataclass(frozen=True)
class GooglySettings:
    """What the user can change about the googly eyes (the page keeps one per photo).

    `look_at` is a point in image pixels, used only by pupil_mode "look_at"; without one the pupils sit
    at the eye centres (looking straight at the viewer). A list is accepted and stored as a tuple.
    Every value is checked against settings_spec() (setting_problem); a whole-number seed is stored as int.
    """

    gamma: float = GAMMA
    lambda_min: float = LAMBDA_MIN
    lambda_max: float = LAMBDA_MAX
    seed: int = DEFAULT_SEED
    sizing: str = DEFAULT_SIZING
    pupil_mode: str = DEFAULT_PUPIL_MODE
    look_at: tuple[float, float] | None = None
    style: str = DEFAULT_STYLE
    expressions: str = DEFAULT_EXPRESSIONS
    background: str = DEFAULT_BACKGROUND
    background_colour: str = DEFAULT_BACKGROUND_COLOUR

    def __post_init__(self):
        for name, field in _SPEC["look"].items():
            problem = setting_problem(name, field, getattr(self, name))
            if problem:
                raise ValueError(problem)
        for low, high in _SPEC["ordered"]:
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} must not be more than {high}, got {getattr(self, low)} > {getattr(self, high)}")
        if self.look_at is not None:
            object.__setattr__(self, "look_at", finite_point(self.look_at, "look_at"))
        object.__setattr__(self, "seed", int(self.seed))

    @classmethod
    def from_dict(cls, values: dict) -> "GooglySettings":
        """Settings from a plain dict (the page's JSON): None means "the default"; an unknown key is an
        error, so a typo does not pass silently."""
        if not isinstance(values, dict):
            raise ValueError(f"settings must be a dict of setting: value, got {values!r}")
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

"""Where each googly eye goes and how it looks: the original design, seeded.

For a face with eye centres R (subject's right) and L:
    eye_distance  d = |L - R|
    eye radius    r = gamma * d / 2
    pupil radius  p = lambda * r,  lambda ~ U(lambda_min, lambda_max)
    pupil centre  = eye centre + (r - p) * (cos theta, sin theta)
so the pupil always touches the rim, as a loose googly pupil does. With sizing "eye_width" each eye is
sized by its own width instead (config.EYE_WIDTH_PER_EYE_DISTANCE keeps the average size the same). An
eye marked hidden (a head turned far away) gets no googly eye.

The pupil mode (settings.pupil_mode) chooses theta; image coordinates have y pointing down:
    random   theta ~ U(0, 2 pi), measured in the head's own frame (from its eye line), so googly eyes
             turn with the head (the original design)
    gravity  theta = +90 degrees in the image frame whatever the head roll: the pupil rests at the
             bottom, as a real googly eye does on an upright photo
    look_at  theta points from the eye centre towards settings.look_at; a target within 1e-6 of the
             centre, or no target at all, puts the pupil at the eye centre (looking at the viewer)
lambda is drawn in every mode, so switching mode keeps each pupil's size.

In the "eye_shaped" style the white takes the eye's own shape: an ellipse with the second moments of
the eye's outline (ellipse_of), its long axis r as above and turned with the eye, its short axis
r * aspect (aspect = the outline's, at least config.EYE_SHAPE_MIN_ASPECT); the pupil (lambda times the
short axis) touches the rim along the same direction as it would in a disc, on the ellipse its centre
can reach. Eyes without an outline (added by hand, from the detector alone) stay round.

With settings.expressions "on", a face whose expressions were read (expressions.py) changes its eyes:
a surprised face gets eyes SURPRISE_EYE_SCALE bigger with pupils SURPRISE_PUPIL_SCALE smaller; a shut eye
an upper lid over EXPRESSION_LID of its googly eye, in the face's skin colour, its pupil turned to hang
below the lid (random mode) rather than hide behind it; a smiling face a sparkle by each eye. Nothing is
drawn from the random streams for this, so switching it off and on gives the same pupils back.

Each eye draws its random numbers from its own stream, keyed by (seed, face index, side): the same
seed gives the same picture, and one eye can be re-rolled without moving the others.

Edits (the user's changes on the page) are a plain dict, as JSON gives it:
    {"eyes":  {key: {"centre": [x, y], "radius": r, "deleted": true, "reroll": n}},   all optional
     "added": [{"key": "a1", "centre": [x, y], "radius": r, "roll": degrees, "reroll": n}]}
A detected eye's key is "face_index:side" (e.g. "0:right"). "centre" and "radius" replace the eye's own
(p = lambda * the new radius; look_at aims from the new centre); "deleted" removes it; "reroll" n > 0
keys its stream by (seed, face index, side, n) instead, so it gets a new pupil and only it changes
(n = 0 is the original stream). Edits for keys that do not exist are ignored, and a hidden eye stays
hidden. An eye whose numbers overflow (coordinates near 1e308) is dropped. Added eyes belong to no face (face_index -1, side "added"); their stream is keyed by the CRC-32
of their key (not hash(): that differs between runs), so they too are stable across CPython and Pyodide.
"""

from dataclasses import dataclass, replace
import math
import zlib

import numpy as np

from . import config
from .config import GooglySettings, finite_point

SIDES = ("right", "left")
ADDED_SIDE = "added"
ADDED_STREAM = len(SIDES)  # in the side's place in an added eye's stream key: never a detected eye's


@dataclass(frozen=True)
class GooglyEye:
    face_index: int  # -1 for an eye the user added
    side: str  # "right" or "left": the subject's eye it covers ("added" for an eye the user added)
    key: str  # what edits call it: "face_index:side" (e.g. "0:right"), or the user's key for an added eye
    centre: tuple[float, float]
    radius: float
    pupil_centre: tuple[float, float]
    pupil_radius: float
    roll_degrees: float  # head roll: angle of the right->left eye line, clockwise in image coordinates
    aspect: float = 1.0  # short over long axis of the white (the eye-shaped style; 1 is a disc)
    tilt_degrees: float = 0.0  # the long axis' direction (the eye-shaped style), like roll_degrees
    lid: float = 0.0  # share of the googly eye the upper lid covers, from the top in the head's frame
    lid_colour: tuple[int, int, int] = config.DEFAULT_SKIN
    sparkle: bool = False  # a smile's sparkle by the eye, on its outer side

    def as_dict(self) -> dict:
        entry = {
            "key": self.key,
            "centre": [round(v, 3) for v in self.centre],
            "radius": round(self.radius, 3),
            "pupil_centre": [round(v, 3) for v in self.pupil_centre],
            "pupil_radius": round(self.pupil_radius, 3),
        }
        if self.aspect != 1.0:
            entry["aspect"] = round(self.aspect, 4)
            entry["tilt_degrees"] = round(self.tilt_degrees, 3)
        if self.lid:
            entry["lid"] = round(self.lid, 3)
        if self.sparkle:
            entry["sparkle"] = True
        return entry

    def squash(self) -> tuple[float, float, float, float]:
        """How a position inside the round eye maps into this eye's shape: the 2 x 2 matrix (row by row)
        that keeps the long axis and shrinks the short one to the pupil's reach there (the identity for
        a disc). The moving pictures keep their physics in the disc and draw the pupil through this."""
        reach = 1.0 - self.pupil_radius / self.radius if self.radius > 0 else 0.0
        if self.aspect == 1.0 or reach <= 0:
            return 1.0, 0.0, 0.0, 1.0
        k = (self.aspect - self.pupil_radius / self.radius) / reach
        t = math.radians(self.tilt_degrees)
        c, s = math.cos(t), math.sin(t)
        return c * c + k * s * s, (1 - k) * c * s, (1 - k) * c * s, s * s + k * c * c


@dataclass(frozen=True)
class EyeEdit:
    """The user's change to one detected eye (None: keep the eye's own)."""
    centre: tuple[float, float] | None = None
    radius: float | None = None
    deleted: bool = False
    reroll: int = 0


@dataclass(frozen=True)
class AddedEye:
    """An eye the user added where the detector found none."""
    key: str
    centre: tuple[float, float]
    radius: float
    roll: float = 0.0
    reroll: int = 0


def ellipse_of(outline) -> tuple[float, float] | None:
    """(aspect, tilt in degrees) of the ellipse with the same second moments as the closed polygon
    `outline`, or None for a polygon without area. The tilt is the long axis' direction, taken within 90
    degrees of the x axis (an eye's long axis runs across the face)."""
    points = np.asarray(outline, dtype=np.float64)
    if points.ndim != 2 or len(points) < 3 or not np.isfinite(points).all():
        return None
    x, y = points[:, 0] - points[:, 0].mean(), points[:, 1] - points[:, 1].mean()
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-9:
        return None
    cx, cy = ((x + x1) * cross).sum() / (6 * area), ((y + y1) * cross).sum() / (6 * area)
    sxx = (cross * (x * x + x * x1 + x1 * x1)).sum() / (12 * area) - cx * cx
    syy = (cross * (y * y + y * y1 + y1 * y1)).sum() / (12 * area) - cy * cy
    sxy = (cross * (x * y1 + 2 * x * y + 2 * x1 * y1 + x1 * y)).sum() / (24 * area) - cx * cy
    values, vectors = np.linalg.eigh(np.array([[sxx, sxy], [sxy, syy]]))
    if values[1] <= 0:
        return None
    aspect = math.sqrt(max(values[0], 0.0) / values[1])
    ux, uy = vectors[:, 1]
    if ux < 0:
        ux, uy = -ux, -uy
    return aspect, math.degrees(math.atan2(uy, ux))


@dataclass(frozen=True)
class Mood:
    """What a face's expressions change about its googly eyes (see the module docstring)."""
    surprised: bool = False
    smiling: bool = False
    shut: tuple[bool, bool] = (False, False)  # the subject's right eye, left eye
    skin: tuple[int, int, int] = config.DEFAULT_SKIN


def mood_of(face, settings: GooglySettings) -> Mood | None:
    """The mood of a located face, or None (expressions off, or none read for this face)."""
    expressions = getattr(face, "expressions", None)
    if settings.expressions != "on" or expressions is None:
        return None
    return Mood(surprised=expressions.surprise >= config.EXPRESSION_SURPRISE,
                smiling=expressions.smile >= config.EXPRESSION_SMILE,
                shut=(expressions.blink_right >= config.EXPRESSION_EYE_SHUT,
                      expressions.blink_left >= config.EXPRESSION_EYE_SHUT),
                skin=getattr(face, "skin", None) or config.DEFAULT_SKIN)


def eye_key(face_index: int, side: str) -> str:
    return f"{face_index}:{side}"


def eye_rng(seed: int, face_index: int, side: str, reroll: int = 0) -> np.random.Generator:
    """The random stream of one eye. PCG64 gives the same numbers in CPython and Pyodide."""
    key = [int(seed) & 0xFFFFFFFF, face_index, SIDES.index(side)]
    if reroll:
        key.append(int(reroll))
    return np.random.default_rng(key)


def added_eye_rng(seed: int, key: str, reroll: int = 0) -> np.random.Generator:
    """The random stream of an added eye, keyed by the CRC-32 of its key (stable everywhere)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8")), ADDED_STREAM,
                                  int(reroll)])


def head_roll_degrees(right_eye, left_eye) -> float:
    dx, dy = np.asarray(left_eye, float) - np.asarray(right_eye, float)
    return math.degrees(math.atan2(dy, dx))


def eye_radius(settings: GooglySettings, eye_distance: float, eye_width: float | None) -> float:
    if settings.sizing == "eye_width" and eye_width:
        return settings.gamma * eye_width / (2.0 * config.EYE_WIDTH_PER_EYE_DISTANCE)
    return settings.gamma * eye_distance / 2.0


def pupil_direction(settings: GooglySettings, centre, random_theta: float) -> tuple[float, float]:
    """Unit vector from the eye centre to the pupil centre, or (0, 0) for a centred pupil.

    `random_theta` is the random mode's angle, already turned by the head roll (image frame)."""
    if settings.pupil_mode == "gravity":
        return 0.0, 1.0
    if settings.pupil_mode == "look_at":
        if settings.look_at is None:
            return 0.0, 0.0
        dx, dy = settings.look_at[0] - centre[0], settings.look_at[1] - centre[1]
        distance = math.hypot(dx, dy)
        return (dx / distance, dy / distance) if distance > 1e-6 else (0.0, 0.0)
    return math.cos(random_theta), math.sin(random_theta)


def make_eye(face_index: int, side: str, key: str, centre, radius: float, rng: np.random.Generator,
             roll: float, settings: GooglySettings, pupil_scale: float = 1.0, lid: float = 0.0,
             shape: tuple[float, float] | None = None) -> GooglyEye:
    """Draw lambda then theta from the eye's stream (always both, in this order, whatever the mode)
    and put the pupil against the rim. Under a lid a random pupil above the head's level is turned to
    hang below it (mirrored across the level line), where it shows. `shape` (aspect, tilt) makes the eye
    an ellipse (the eye-shaped style)."""
    pupil_fraction = rng.uniform(settings.lambda_min, settings.lambda_max) * pupil_scale
    theta = rng.uniform(0.0, 2.0 * math.pi)
    if lid and settings.pupil_mode == "random" and math.sin(theta) < 0:  # above the level line
        theta = -theta
    theta += math.radians(roll)
    centre = (float(centre[0]), float(centre[1]))
    aspect, tilt = shape if shape is not None else (1.0, roll)
    pupil_radius = pupil_fraction * radius * aspect
    eye = GooglyEye(face_index, side, key, centre, radius, centre, pupil_radius, roll, aspect, tilt, lid)
    dx, dy = pupil_direction(settings, centre, theta)
    reach = 1.0 - pupil_radius / radius
    m = eye.squash()
    ox, oy = (m[0] * dx + m[1] * dy) * reach * radius, (m[2] * dx + m[3] * dy) * reach * radius
    return replace(eye, pupil_centre=(centre[0] + ox, centre[1] + oy))


def place_face(face_index: int, right_eye, left_eye, settings: GooglySettings,
               widths=(None, None), visible=(True, True), edits: dict | None = None,
               mood: Mood | None = None, outlines=(None, None)) -> list[GooglyEye]:
    """The googly eyes of one face; none if the eyes coincide (nothing sensible to size them by).

    `edits` maps eye keys to EyeEdit (see parse_edits); `mood` (mood_of) the face's expressions."""
    edits = edits or {}
    right_eye, left_eye = np.asarray(right_eye, float), np.asarray(left_eye, float)
    eye_distance = float(np.linalg.norm(left_eye - right_eye))
    if not math.isfinite(eye_distance) or eye_distance < 1e-6:
        return []
    roll = head_roll_degrees(right_eye, left_eye)
    eyes = []
    for side, centre, width, shown, outline in zip(SIDES, (right_eye, left_eye), widths, visible, outlines):
        key = eye_key(face_index, side)
        edit = edits.get(key, EyeEdit())
        if not shown or edit.deleted:
            continue
        radius = eye_radius(settings, eye_distance, width)
        pupil_scale, lid = 1.0, 0.0
        if mood is not None:
            if mood.surprised:
                radius, pupil_scale = radius * config.SURPRISE_EYE_SCALE, config.SURPRISE_PUPIL_SCALE
            lid = config.EXPRESSION_LID if mood.shut[SIDES.index(side)] else 0.0
        radius = edit.radius if edit.radius is not None else radius
        centre = edit.centre if edit.centre is not None else centre
        rng = eye_rng(settings.seed, face_index, side, edit.reroll)
        shape = eye_shape(outline) if settings.style == "eye_shaped" else None
        eye = make_eye(face_index, side, key, centre, radius, rng, roll, settings, pupil_scale, lid, shape)
        if mood is not None:
            eye = replace(eye, lid_colour=mood.skin, sparkle=mood.smiling)
        eyes.append(eye)
    return [eye for eye in eyes if is_finite(eye)]


def eye_shape(outline) -> tuple[float, float] | None:
    """(aspect, tilt) for an eye-shaped googly eye from the eye's outline, or None (a disc)."""
    if outline is None or len(outline) < 5:
        return None
    shape = ellipse_of(outline)
    if shape is None:
        return None
    return max(config.EYE_SHAPE_MIN_ASPECT, min(1.0, shape[0])), shape[1]


def place_added_eye(added: AddedEye, settings: GooglySettings) -> GooglyEye:
    rng = added_eye_rng(settings.seed, added.key, added.reroll)
    return make_eye(-1, ADDED_SIDE, added.key, added.centre, added.radius, rng, added.roll, settings)


def is_finite(eye: GooglyEye) -> bool:
    """False for an eye whose numbers overflowed (coordinates or radius near 1e308, which can be on
    no photo): such an eye is dropped rather than drawn with inf or NaN."""
    return all(math.isfinite(v) for v in (*eye.centre, eye.radius, *eye.pupil_centre, eye.pupil_radius))


def place_googly_eyes(faces, settings: GooglySettings, edits: dict | None = None) -> list[GooglyEye]:
    """Googly eyes for every face, in the order given (the pipeline sorts faces left to right), then
    the eyes the user added, in their order. `edits` as in the module docstring (None: no edits).

    Faces located by the face mesh carry each eye's width and visibility (`face.right`, `face.left`);
    faces straight from the detector have only the two eye points."""
    eye_edits, added = parse_edits(edits)
    eyes = []
    for face_index, face in enumerate(faces):
        located = (getattr(face, "right", None), getattr(face, "left", None))
        widths = tuple(eye.width if eye is not None else None for eye in located)
        visible = tuple(eye.visible if eye is not None else True for eye in located)
        outlines = tuple(getattr(eye, "outline", None) for eye in located)
        eyes.extend(place_face(face_index, face.right_eye, face.left_eye, settings, widths, visible,
                               eye_edits, mood_of(face, settings), outlines))
    eyes.extend(eye for eye in map(lambda a: place_added_eye(a, settings), added) if is_finite(eye))
    return eyes


def scale_eyes(eyes: list[GooglyEye], factor: float) -> list[GooglyEye]:
    """The same eyes on a photo scaled by `factor` (a downscaled preview): every length times factor."""
    factor = float(factor)
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"scale factor must be a finite number > 0, got {factor}")
    return [replace(eye,
                    centre=(eye.centre[0] * factor, eye.centre[1] * factor),
                    radius=eye.radius * factor,
                    pupil_centre=(eye.pupil_centre[0] * factor, eye.pupil_centre[1] * factor),
                    pupil_radius=eye.pupil_radius * factor)
            for eye in eyes]


# --- Reading the edits dict -------------------------------------------------------------------------

def parse_edits(edits: dict | None) -> tuple[dict[str, EyeEdit], list[AddedEye]]:
    """Check the page's edits and turn them into (EyeEdit by key, added eyes); ValueError for garbage.
    A field given as None counts as not given."""
    if edits is None:
        return {}, []
    if not isinstance(edits, dict):
        raise ValueError(f"edits must be a dict, got {type(edits).__name__}")
    _check_fields(edits, {"eyes", "added"}, "edits")
    eyes = edits.get("eyes") if edits.get("eyes") is not None else {}
    added = edits.get("added") if edits.get("added") is not None else []
    if not isinstance(eyes, dict):
        raise ValueError(f"edits['eyes'] must be a dict of key -> edit, got {type(eyes).__name__}")
    if not isinstance(added, (list, tuple)):
        raise ValueError(f"edits['added'] must be a list, got {type(added).__name__}")

    eye_edits = {}
    for key, edit in eyes.items():
        where = f"edit of eye {key!r}"
        if not isinstance(edit, dict):
            raise ValueError(f"{where} must be a dict, got {type(edit).__name__}")
        _check_fields(edit, {"centre", "radius", "deleted", "reroll"}, where)
        deleted = edit.get("deleted") if edit.get("deleted") is not None else False
        if not isinstance(deleted, bool):
            raise ValueError(f"{where}: deleted must be true or false, got {deleted!r}")
        eye_edits[str(key)] = EyeEdit(
            centre=_optional(edit, "centre", finite_point, where),
            radius=_optional(edit, "radius", _radius, where),
            deleted=deleted,
            reroll=_optional(edit, "reroll", _reroll, where) or 0)

    added_eyes, seen = [], set()
    for index, eye in enumerate(added):
        where = f"added eye {index}"
        if not isinstance(eye, dict):
            raise ValueError(f"{where} must be a dict, got {type(eye).__name__}")
        _check_fields(eye, {"key", "centre", "radius", "roll", "reroll"}, where)
        key = eye.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError(f"{where} needs a non-empty string key, got {key!r}")
        if key in seen:
            raise ValueError(f"added eyes must have different keys; {key!r} appears twice")
        seen.add(key)
        where = f"added eye {key!r}"
        for required in ("centre", "radius"):
            if eye.get(required) is None:
                raise ValueError(f"{where} needs a {required}")
        added_eyes.append(AddedEye(
            key=key,
            centre=finite_point(eye["centre"], f"{where}: centre"),
            radius=_radius(eye["radius"], f"{where}: radius"),
            roll=_optional(eye, "roll", _finite, where) or 0.0,
            reroll=_optional(eye, "reroll", _reroll, where) or 0))
    return eye_edits, added_eyes


def _check_fields(values: dict, known: set, where: str) -> None:
    for name in values:
        if name not in known:
            raise ValueError(f"{where}: unknown field {name!r} (known: {sorted(known)})")


def _optional(values: dict, name: str, check, where: str):
    value = values.get(name)
    return None if value is None else check(value, f"{where}: {name}")


def _finite(value, name: str) -> float:
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _radius(value, name: str) -> float:
    radius = _finite(value, name)
    if radius <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return radius


def _reroll(value, name: str) -> int:
    number = _finite(value, name)
    if number != int(number) or number < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(number)

"""Googly-eye geometry: the original formula, seeded randomness, head roll."""

import json
import math
import zlib

import numpy as np
import pytest

from googly_eyes import config
from googly_eyes.config import GooglySettings
from googly_eyes.googly import head_roll_degrees, place_face, place_googly_eyes, scale_eyes


class Eyes:
    def __init__(self, right, left):
        self.right_eye, self.left_eye = np.array(right, float), np.array(left, float)


@pytest.mark.parametrize("gamma", [0.3, 0.5, 0.9])
def test_radius_is_gamma_times_half_the_eye_distance(gamma):
    eyes = place_face(0, (100, 200), (160, 280), GooglySettings(gamma=gamma))
    assert [eye.side for eye in eyes] == ["right", "left"]
    for eye in eyes:
        assert eye.radius == pytest.approx(gamma * 100 / 2)  # eye distance 100 (a 60-80-100 triangle)
    assert eyes[0].centre == (100, 200) and eyes[1].centre == (160, 280)


@pytest.mark.parametrize("seed", range(20))
def test_pupil_is_inside_and_touches_the_rim_with_radius_in_range(seed):
    settings = GooglySettings(lambda_min=0.35, lambda_max=0.65, seed=seed)
    for eye in place_face(3, (10, 10), (50, 12), settings):
        assert 0.35 * eye.radius <= eye.pupil_radius <= 0.65 * eye.radius
        reach = math.dist(eye.pupil_centre, eye.centre)
        assert reach + eye.pupil_radius == pytest.approx(eye.radius)


def test_same_seed_same_eyes_other_seed_other_eyes():
    faces = [Eyes((10, 10), (40, 10)), Eyes((100, 50), (140, 52))]
    first = place_googly_eyes(faces, GooglySettings(seed=7))
    again = place_googly_eyes(faces, GooglySettings(seed=7))
    other = place_googly_eyes(faces, GooglySettings(seed=8))
    assert first == again
    assert [e.pupil_centre for e in first] != [e.pupil_centre for e in other]


def test_each_eye_has_its_own_stream_so_adding_a_face_does_not_move_the_others():
    one = place_googly_eyes([Eyes((10, 10), (40, 10))], GooglySettings(seed=1))
    two = place_googly_eyes([Eyes((10, 10), (40, 10)), Eyes((90, 10), (120, 10))], GooglySettings(seed=1))
    assert two[:2] == one
    assert two[0].pupil_centre != two[1].pupil_centre  # right and left differ


def test_pupil_directions_cover_the_circle():
    angles = []
    for seed in range(200):
        for eye in place_face(0, (0, 0), (100, 0), GooglySettings(seed=seed)):
            dx, dy = np.subtract(eye.pupil_centre, eye.centre)
            angles.append(math.atan2(dy, dx))
    counts, _ = np.histogram(angles, bins=8, range=(-math.pi, math.pi))
    assert counts.min() > 25  # 400 draws, 50 expected per octant


@pytest.mark.parametrize("right, left, roll", [((0, 0), (10, 0), 0), ((0, 0), (10, 10), 45),
                                               ((0, 0), (0, 10), 90), ((10, 0), (0, 0), 180)])
def test_head_roll_is_the_angle_of_the_eye_line(right, left, roll):
    assert head_roll_degrees(right, left) == pytest.approx(roll)
    assert place_face(0, right, left, GooglySettings())[0].roll_degrees == pytest.approx(roll)


def test_coincident_or_broken_eyes_get_no_googly_eyes():
    assert place_face(0, (5, 5), (5, 5), GooglySettings()) == []
    assert place_face(0, (5, 5), (float("nan"), 5), GooglySettings()) == []


@pytest.mark.parametrize("kwargs", [{"gamma": 0}, {"gamma": 5}, {"lambda_min": 0.7, "lambda_max": 0.6},
                                    {"lambda_min": 0.0}, {"lambda_max": 1.0}])
def test_settings_refuse_values_that_cannot_make_an_eye(kwargs):
    with pytest.raises(ValueError):
        GooglySettings(**kwargs)


# --- Pupil modes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("right, left", [((0, 0), (100, 0)), ((0, 0), (60, 80)), ((100, 0), (0, 30))])
def test_gravity_pupils_rest_at_the_bottom_whatever_the_head_roll(right, left):
    for seed in range(5):
        for eye in place_face(0, right, left, GooglySettings(seed=seed, pupil_mode="gravity")):
            assert eye.pupil_centre[0] == eye.centre[0]
            assert eye.pupil_centre[1] - eye.centre[1] == pytest.approx(eye.radius - eye.pupil_radius)


def test_look_at_pupils_point_at_the_target_and_touch_the_rim():
    target = (200.0, 130.0)
    faces = [Eyes((50, 100), (110, 100)), Eyes((290, 100), (350, 110))]
    eyes = place_googly_eyes(faces, GooglySettings(seed=2, pupil_mode="look_at", look_at=target))
    assert len(eyes) == 4
    for eye in eyes:
        to_pupil = np.subtract(eye.pupil_centre, eye.centre)
        to_target = np.subtract(target, eye.centre)
        cross = to_pupil[0] * to_target[1] - to_pupil[1] * to_target[0]
        assert cross == pytest.approx(0, abs=1e-6)  # on the line to the target
        assert np.dot(to_pupil, to_target) > 0  # towards it, not away
        assert math.dist(eye.pupil_centre, eye.centre) == pytest.approx(eye.radius - eye.pupil_radius)
    assert [eye.pupil_centre[0] > eye.centre[0] for eye in eyes] == [True, True, False, False]


def test_look_at_without_a_target_or_at_the_eye_centre_centres_the_pupil():
    eyes = place_face(0, (10, 10), (50, 10), GooglySettings(pupil_mode="look_at"))
    assert [eye.pupil_centre for eye in eyes] == [eye.centre for eye in eyes]
    eyes = place_face(0, (10, 10), (50, 10), GooglySettings(pupil_mode="look_at", look_at=(10, 10)))
    assert eyes[0].pupil_centre == eyes[0].centre
    assert eyes[1].pupil_centre[0] < eyes[1].centre[0]  # the other eye looks at it


@pytest.mark.parametrize("mode, extra", [("random", {}), ("gravity", {}), ("look_at", {"look_at": (0, 0)})])
def test_every_mode_is_repeatable_and_keeps_the_pupil_sizes(mode, extra):
    faces = [Eyes((10, 10), (40, 10)), Eyes((100, 50), (140, 52))]
    first = place_googly_eyes(faces, GooglySettings(seed=7, pupil_mode=mode, **extra))
    assert first == place_googly_eyes(faces, GooglySettings(seed=7, pupil_mode=mode, **extra))
    random = place_googly_eyes(faces, GooglySettings(seed=7))
    assert [e.pupil_radius for e in first] == [e.pupil_radius for e in random]
    other = place_googly_eyes(faces, GooglySettings(seed=8, pupil_mode=mode, **extra))
    assert [e.pupil_radius for e in first] != [e.pupil_radius for e in other]


# --- Keys and edits ---------------------------------------------------------------------------------

FACES = [Eyes((10, 10), (40, 10)), Eyes((100, 50), (140, 52))]


def by_key(eyes):
    return {eye.key: eye for eye in eyes}


def test_detected_eyes_are_keyed_by_face_and_side():
    eyes = place_googly_eyes(FACES, GooglySettings())
    assert [eye.key for eye in eyes] == ["0:right", "0:left", "1:right", "1:left"]
    assert eyes[2].as_dict()["key"] == "1:right"


def test_no_edits_and_empty_edits_change_nothing():
    plain = place_googly_eyes(FACES, GooglySettings(seed=3))
    for edits in (None, {}, {"eyes": {}, "added": []}, {"eyes": None, "added": None}):
        assert place_googly_eyes(FACES, GooglySettings(seed=3), edits) == plain


@pytest.mark.parametrize("mode", ["random", "gravity"])
def test_move_and_resize_keep_lambda_and_move_the_pupil_with_the_eye(mode):
    settings = GooglySettings(seed=3, pupil_mode=mode)
    plain = by_key(place_googly_eyes(FACES, settings))
    edited = by_key(place_googly_eyes(FACES, settings, {"eyes": {"0:left": {"centre": [60, 30], "radius": 12}}}))
    eye, before = edited["0:left"], plain["0:left"]
    assert eye.centre == (60, 30) and eye.radius == 12
    assert eye.pupil_radius / eye.radius == pytest.approx(before.pupil_radius / before.radius)
    before_offset = np.subtract(before.pupil_centre, before.centre) / (before.radius - before.pupil_radius)
    offset = np.subtract(eye.pupil_centre, eye.centre) / (eye.radius - eye.pupil_radius)
    assert offset == pytest.approx(before_offset)  # same direction, same touch of the rim
    assert [edited[k] for k in ("0:right", "1:right", "1:left")] == [plain[k] for k in ("0:right", "1:right", "1:left")]


def test_a_moved_eye_looks_at_the_target_from_its_new_place():
    settings = GooglySettings(pupil_mode="look_at", look_at=(50, 100))
    eye = by_key(place_googly_eyes(FACES, settings, {"eyes": {"0:right": {"centre": [50, 150]}}}))["0:right"]
    assert eye.pupil_centre[0] == pytest.approx(50)
    assert eye.pupil_centre[1] == pytest.approx(150 - (eye.radius - eye.pupil_radius))


def test_delete_removes_only_that_eye():
    eyes = place_googly_eyes(FACES, GooglySettings(), {"eyes": {"1:right": {"deleted": True},
                                                                "0:left": {"deleted": False}}})
    assert [eye.key for eye in eyes] == ["0:right", "0:left", "1:left"]


def test_reroll_changes_only_that_eye_and_zero_is_no_reroll():
    settings = GooglySettings(seed=5)
    plain = place_googly_eyes(FACES, settings)
    rerolled = place_googly_eyes(FACES, settings, {"eyes": {"1:left": {"reroll": 1}}})
    assert rerolled[:3] == plain[:3]
    assert rerolled[3].pupil_centre != plain[3].pupil_centre
    assert rerolled[3].pupil_radius != plain[3].pupil_radius
    assert place_googly_eyes(FACES, settings, {"eyes": {"1:left": {"reroll": 2}}})[3] != rerolled[3]
    assert place_googly_eyes(FACES, settings, {"eyes": {"1:left": {"reroll": 0}}}) == plain


def test_edits_for_unknown_keys_are_ignored():
    plain = place_googly_eyes(FACES, GooglySettings())
    edits = {"eyes": {"7:right": {"deleted": True}, "nose": {"centre": [1, 1]}}}
    assert place_googly_eyes(FACES, GooglySettings(), edits) == plain


def test_hidden_eyes_stay_hidden_whatever_the_edits():
    class Located(Eyes):
        def __init__(self, right, left):
            super().__init__(right, left)
            self.right = type("Eye", (), {"width": 20.0, "visible": False})()
            self.left = type("Eye", (), {"width": 20.0, "visible": True})()

    edits = {"eyes": {"0:right": {"centre": [10, 10], "radius": 5, "reroll": 1}}}
    assert [eye.key for eye in place_googly_eyes([Located((10, 10), (40, 10))], GooglySettings(), edits)] == ["0:left"]


def test_added_eyes_are_stable_and_keyed_by_their_own_stream():
    edits = {"added": [{"key": "a1", "centre": [200, 100], "radius": 15},
                       {"key": "a2", "centre": [250, 100], "radius": 15, "roll": 30}]}
    eyes = place_googly_eyes(FACES, GooglySettings(seed=4), edits)
    assert eyes[:4] == place_googly_eyes(FACES, GooglySettings(seed=4))
    a1, a2 = eyes[4:]
    assert (a1.key, a1.face_index, a1.side, a1.centre, a1.radius) == ("a1", -1, "added", (200, 100), 15)
    assert a2.roll_degrees == 30
    assert 0.4 * 15 <= a1.pupil_radius <= 0.6 * 15
    assert math.dist(a1.pupil_centre, a1.centre) + a1.pupil_radius == pytest.approx(15)
    assert a1.pupil_centre != a2.pupil_centre
    assert place_googly_eyes(FACES, GooglySettings(seed=4), edits)[4:] == [a1, a2]
    rerolled = dict(edits["added"][0], reroll=1)
    assert place_googly_eyes([], GooglySettings(seed=4), {"added": [rerolled]})[0].pupil_centre != a1.pupil_centre
    # the stream is keyed by the CRC-32 of the key (the same in Pyodide), not by Python's hash()
    assert a1.pupil_radius / a1.radius == pytest.approx(
        np.random.default_rng([4, zlib.crc32(b"a1"), 2, 0]).uniform(0.4, 0.6))


@pytest.mark.parametrize("edits", [
    "move it",
    {"eyes": []},
    {"added": {}},
    {"moved": {}},
    {"eyes": {"0:right": {"centre": [1]}}},
    {"eyes": {"0:right": {"centre": ["a", 2]}}},
    {"eyes": {"0:right": {"centre": [float("nan"), 2]}}},
    {"eyes": {"0:right": {"radius": 0}}},
    {"eyes": {"0:right": {"radius": -3}}},
    {"eyes": {"0:right": {"radius": float("inf")}}},
    {"eyes": {"0:right": {"reroll": -1}}},
    {"eyes": {"0:right": {"reroll": 1.5}}},
    {"eyes": {"0:right": {"deleted": "yes"}}},
    {"eyes": {"0:right": {"size": 3}}},
    {"eyes": {"0:right": 5}},
    {"added": [{"centre": [1, 2], "radius": 3}]},
    {"added": [{"key": "a1", "radius": 3}]},
    {"added": [{"key": "a1", "centre": [1, 2]}]},
    {"added": [{"key": "a1", "centre": [1, 2], "radius": 3, "roll": "left"}]},
    {"added": [{"key": "a1", "centre": [1, 2], "radius": 3}, {"key": "a1", "centre": [5, 2], "radius": 3}]},
])
def test_garbage_edits_are_refused(edits):
    with pytest.raises(ValueError):
        place_googly_eyes(FACES, GooglySettings(), edits)


def test_scale_eyes_scales_every_length():
    eyes = place_googly_eyes(FACES, GooglySettings(seed=1))
    half = scale_eyes(eyes, 0.5)
    for eye, small in zip(eyes, half):
        assert small.centre == pytest.approx(np.multiply(eye.centre, 0.5))
        assert small.pupil_centre == pytest.approx(np.multiply(eye.pupil_centre, 0.5))
        assert (small.radius, small.pupil_radius) == pytest.approx((eye.radius / 2, eye.pupil_radius / 2))
        assert (small.key, small.roll_degrees) == (eye.key, eye.roll_degrees)
    with pytest.raises(ValueError):
        scale_eyes(eyes, 0)


# --- Settings ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{"pupil_mode": "sideways"}, {"style": "neon"}, {"sizing": "big"},
                                    {"look_at": (1,)}, {"look_at": ("a", 2)}, {"look_at": (float("nan"), 2)},
                                    {"pupil_mode": "look_at", "look_at": "centre"}])
def test_settings_refuse_unknown_modes_and_bad_targets(kwargs):
    with pytest.raises(ValueError):
        GooglySettings(**kwargs)


def test_settings_round_trip_through_a_dict():
    settings = GooglySettings(gamma=0.7, seed=9, pupil_mode="look_at", look_at=[12, 34.5], style="cartoon")
    assert settings.look_at == (12.0, 34.5)
    values = settings.as_dict()
    assert values["look_at"] == [12.0, 34.5] and values["style"] == "cartoon"
    assert json.loads(json.dumps(values)) == values
    assert GooglySettings.from_dict(values) == settings
    assert GooglySettings.from_dict({"seed": None, "style": "glossy"}) == GooglySettings(style="glossy")
    assert GooglySettings().as_dict()["look_at"] is None
    with pytest.raises(ValueError, match="colour"):
        GooglySettings.from_dict({"seed": 1, "colour": "red"})


# ---- Expression-aware googly eyes ------------------------------------------------------------------------

class Face:
    """A located face as place_googly_eyes reads it, with expression scores."""

    def __init__(self, **scores):
        from googly_eyes.expressions import Expressions
        base = {"mouthSmile_right": 0.0, "mouthSmile_left": 0.0, "eyeBlink_right": 0.0, "eyeBlink_left": 0.0,
                "browInnerUp": 0.0, "eyeWide_right": 0.0, "eyeWide_left": 0.0}
        self.right_eye, self.left_eye = np.array([100.0, 100.0]), np.array([160.0, 100.0])
        self.expressions = Expressions({**base, **scores})
        self.skin = (210, 160, 130)


def test_expressions_change_only_what_they_say_and_keep_the_random_pupils():
    settings = GooglySettings(seed=7)
    [r0, l0] = place_googly_eyes([Face()], settings)
    assert (r0.lid, l0.lid, r0.sparkle) == (0.0, 0.0, False)
    [r, l] = place_googly_eyes([Face(mouthSmile_right=0.5, mouthSmile_left=0.5)], settings)
    assert r.sparkle and l.sparkle and (r.centre, r.radius, r.pupil_centre) == (r0.centre, r0.radius, r0.pupil_centre)
    [r, l] = place_googly_eyes([Face(browInnerUp=0.6, eyeWide_right=0.5, eyeWide_left=0.5)], settings)
    assert r.radius == pytest.approx(r0.radius * config.SURPRISE_EYE_SCALE)
    assert r.pupil_radius / r.radius == pytest.approx(r0.pupil_radius / r0.radius * config.SURPRISE_PUPIL_SCALE)
    [r, l] = place_googly_eyes([Face(eyeBlink_left=0.9)], settings)  # a wink: the subject's left eye
    assert (r.lid, l.lid) == (0.0, config.EXPRESSION_LID) and l.lid_colour == (210, 160, 130)
    # "off": the same eyes as without expressions
    off = place_googly_eyes([Face(eyeBlink_left=0.9, mouthSmile_right=0.9, mouthSmile_left=0.9)],
                            GooglySettings(seed=7, expressions="off"))
    assert [e.as_dict() for e in off] == [e.as_dict() for e in (r0, l0)]


def test_under_a_lid_a_random_pupil_hangs_below_the_level_line():
    for seed in range(40):
        for roll in (0.0, 30.0):
            face = Face(eyeBlink_right=0.9, eyeBlink_left=0.9)
            angle = math.radians(roll)
            face.left_eye = face.right_eye + 60 * np.array([math.cos(angle), math.sin(angle)])
            for e in place_googly_eyes([face], GooglySettings(seed=seed)):
                down = np.array([-math.sin(angle), math.cos(angle)])
                assert (np.subtract(e.pupil_centre, e.centre) @ down) >= -1e-9


def test_a_hand_set_radius_wins_over_surprise():
    face = Face(browInnerUp=0.9, eyeWide_right=0.9, eyeWide_left=0.9)
    [r, _] = place_googly_eyes([face], GooglySettings(), {"eyes": {"0:right": {"radius": 11.0}}})
    assert r.radius == 11.0


# ---- The eye-shaped style --------------------------------------------------------------------------------

def ellipse_points(centre, a, b, tilt_degrees, n=16):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    c, s = math.cos(math.radians(tilt_degrees)), math.sin(math.radians(tilt_degrees))
    x, y = a * np.cos(t), b * np.sin(t)
    return np.stack([centre[0] + c * x - s * y, centre[1] + s * x + c * y], axis=1)


def test_ellipse_of_an_outline_finds_its_aspect_and_tilt():
    from googly_eyes.googly import ellipse_of
    for tilt in (-30.0, 0.0, 12.0, 80.0):
        aspect, found = ellipse_of(ellipse_points((40, 30), 20, 7, tilt))
        assert aspect == pytest.approx(0.35, abs=1e-6) and found == pytest.approx(tilt, abs=1e-6)
    assert ellipse_of([[0, 0], [1, 1], [2, 2]]) is None  # no area
    assert ellipse_of(ellipse_points((0, 0), 5, 5, 0))[0] == pytest.approx(1.0)


class ShapedEye:
    def __init__(self, outline, width=24.0):
        self.outline, self.width, self.visible = outline, width, True


class ShapedFace:
    def __init__(self, roll=0.0, aspect=0.5):
        angle = math.radians(roll)
        self.right_eye = np.array([100.0, 100.0])
        self.left_eye = self.right_eye + 60 * np.array([math.cos(angle), math.sin(angle)])
        self.right = ShapedEye(ellipse_points(self.right_eye, 12, 12 * aspect, roll))
        self.left = ShapedEye(ellipse_points(self.left_eye, 12, 12 * aspect, roll))


def inside_ellipse(eye, point, slack=1e-6) -> float:
    """How far out (1 = on the rim) `point` is in the googly eye's ellipse shrunk by the pupil's radius."""
    t = math.radians(eye.tilt_degrees)
    dx, dy = point[0] - eye.centre[0], point[1] - eye.centre[1]
    u, v = dx * math.cos(t) + dy * math.sin(t), -dx * math.sin(t) + dy * math.cos(t)
    return (u / (eye.radius - eye.pupil_radius)) ** 2 + (v / (eye.radius * eye.aspect - eye.pupil_radius)) ** 2


def test_eye_shaped_eyes_take_the_eyes_shape_and_keep_their_pupils_inside():
    for roll in (0.0, 25.0):
        for mode in ("random", "gravity", "look_at"):
            for seed in range(25):
                settings = GooglySettings(style="eye_shaped", seed=seed, pupil_mode=mode,
                                          look_at=(0.0, 0.0) if mode == "look_at" else None)
                eyes = place_googly_eyes([ShapedFace(roll)], settings)
                for e in eyes:
                    assert e.aspect == pytest.approx(0.5, abs=1e-6) and e.tilt_degrees == pytest.approx(roll, abs=1e-6)
                    assert e.pupil_radius <= e.radius * e.aspect
                    assert inside_ellipse(e, e.pupil_centre) == pytest.approx(1.0, abs=1e-9)  # against the rim
    # a squint is floored, another style stays round, an eye without an outline stays round
    [e, _] = place_googly_eyes([ShapedFace(aspect=0.1)], GooglySettings(style="eye_shaped"))
    assert e.aspect == config.EYE_SHAPE_MIN_ASPECT
    assert all(e.aspect == 1.0 for e in place_googly_eyes([ShapedFace()], GooglySettings(style="classic")))
    plain = place_googly_eyes([Face()], GooglySettings(style="eye_shaped"))
    assert all(e.aspect == 1.0 and "aspect" not in e.as_dict() for e in plain)
    # the round eye's pupil direction is kept: same direction from the centre, in the ellipse's frame
    round_eyes = place_googly_eyes([ShapedFace()], GooglySettings(seed=3))
    shaped = place_googly_eyes([ShapedFace()], GooglySettings(seed=3, style="eye_shaped"))
    for r, s in zip(round_eyes, shaped):
        dr = np.subtract(r.pupil_centre, r.centre)
        ds = np.subtract(s.pupil_centre, s.centre)
        assert np.sign(dr[0]) == np.sign(ds[0]) or abs(dr[0]) < 1e-9
        assert np.sign(dr[1]) == np.sign(ds[1]) or abs(dr[1]) < 1e-9

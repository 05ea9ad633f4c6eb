"""Googly-eye geometry: the original formula, seeded randomness, head roll."""

import math

import numpy as np
import pytest

from googly_eyes.config import GooglySettings
from googly_eyes.googly import head_roll_degrees, place_face, place_googly_eyes


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

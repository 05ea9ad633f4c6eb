"""Animated downloads' plan (googly_eyes.animation): settings, motions, and frames that loop."""

import math

import numpy as np
import pytest

from googly_eyes import animation, physics
from googly_eyes.animation import AnimationSettings, plan_frames, shake_at
from googly_eyes.config import GooglySettings
from googly_eyes.googly import place_face


def ten_eyes(seed=1):
    return [eye for face in range(5) for eye in place_face(face, (100 + 90 * face, 100), (150 + 90 * face, 102),
                                                           GooglySettings(seed=seed))]


def test_settings_are_checked():
    assert AnimationSettings().as_dict() == {"motion": "shake", "seconds": 3.0, "size": 720, "format": "gif"}
    assert AnimationSettings.from_dict({"seconds": 6, "size": 1080, "format": "mp4", "motion": None}).frames == 180
    for bad in ({"motion": "spin"}, {"format": "avi"}, {"seconds": 0.5}, {"seconds": 7}, {"size": 300},
                {"size": 720.5}, {"size": 2000}, {"colour": "red"}, {"seconds": "3"}):
        with pytest.raises(ValueError):
            AnimationSettings.from_dict(bad)


@pytest.mark.parametrize("motion", animation.MOTIONS)
def test_every_motion_is_periodic_over_the_loop(motion):
    for seconds in (1.0, 2.4, 6.0):
        for t in (0.0, 0.13, 0.5):
            assert shake_at(motion, t, seconds, 3) == pytest.approx(shake_at(motion, t + seconds, seconds, 3), abs=1e-6)
    peak = max(math.hypot(*shake_at(motion, t / 100, 3.0)) for t in range(300))
    assert peak > physics.GRAVITY  # strong enough to lift a pupil off the bottom


@pytest.mark.parametrize("motion", animation.MOTIONS)
def test_frames_loop_seamlessly_and_stay_inside_the_eyes(motion):
    eyes = ten_eyes()
    settings = AnimationSettings(motion=motion, seconds=2.0)
    plan = plan_frames(eyes, 1, settings)
    assert plan.positions.shape == (50, 10, 2)
    radii = np.array([eye.radius for eye in eyes])
    looped = np.concatenate([plan.positions, plan.positions[:1]])
    steps_px = np.hypot(*np.diff(looped, axis=0).transpose(2, 0, 1)) * radii
    assert steps_px[-1].max() <= max(1.0, np.percentile(steps_px.max(axis=1), 75))  # last -> first: an ordinary step
    assert steps_px.sum(axis=0).min() > 5  # every pupil moves
    distance = np.hypot(plan.positions[..., 0], plan.positions[..., 1])
    assert np.all(distance <= plan.params.reach + 1e-12)
    again = plan_frames(eyes, 1, settings)
    assert np.array_equal(plan.positions, again.positions)
    assert not np.array_equal(plan.positions, plan_frames(eyes, 2, settings).positions)


def test_notes_record_how_to_make_it_again():
    eyes = ten_eyes()
    plan = plan_frames(eyes, 1, AnimationSettings(motion="drop", seconds=3, format="webp"))
    notes = plan.notes()
    assert notes["motion"] == "drop" and notes["fps"] == 25 and notes["frames"] == 75
    assert notes["physics"]["step_hz"] == physics.STEP_HZ and len(notes["physics"]["eyes"]) == 10
    assert plan.seam_px < 0.5  # a drop settles by the end of a 3 s loop: nothing to bridge
    centres = plan.pupil_centres(eyes, 0)
    assert all(math.dist(c, e.centre) <= e.radius - e.pupil_radius + 1e-6 for c, e in zip(centres, eyes))


def test_no_eyes_no_trouble():
    plan = plan_frames([], 0, AnimationSettings(seconds=1))
    assert plan.positions.shape == (25, 0, 2) and plan.seam_px == 0.0

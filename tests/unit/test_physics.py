"""The pupils' physics (googly_eyes.physics): properties that must hold for any eye and any input, and one
golden trajectory."""

import json
import math
import os
from pathlib import Path

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from googly_eyes import physics
from googly_eyes.config import GooglySettings
from googly_eyes.googly import GooglyEye, place_face

GOLDEN = Path(__file__).parent / "goldens" / "physics_trajectory.json"
DT = 1.0 / physics.STEP_HZ
# One step's settling at the rim may lift a pupil by up to a step's fall (see physics.py): the energy
# bound allows that much, and rounding.
SETTLE = physics.GRAVITY ** 2 * DT ** 2 + 1e-9


def params(reach, drag=1.5, restitution=0.55, friction=0.07):
    n = len(reach)
    return physics.PupilParams(np.array(reach, float), np.full(n, drag), np.full(n, restitution), np.full(n, friction))


reaches = st.floats(0.0, 0.95)
unit = st.floats(-1.0, 1.0)


@st.composite
def eyes_and_state(draw, n_max=4):
    n = draw(st.integers(1, n_max))
    reach = [draw(reaches) for _ in range(n)]
    p = physics.PupilParams(np.array(reach), np.array([draw(st.floats(*physics.DRAG_RANGE)) for _ in range(n)]),
                            np.array([draw(st.floats(*physics.RESTITUTION_RANGE)) for _ in range(n)]),
                            np.array([draw(st.floats(*physics.FRICTION_RANGE)) for _ in range(n)]))
    x = np.array([[draw(unit), draw(unit)] for _ in range(n)])
    v = np.array([[draw(st.floats(-30, 30)), draw(st.floats(-30, 30))] for _ in range(n)])
    return p, physics.Pupils(physics._onto_disc(x, p.reach), v)


@settings(max_examples=60, deadline=None)
@given(eyes_and_state(), st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=1, max_size=8),
       st.integers(1, 60))
def test_a_pupil_never_leaves_its_eye(eye_state, shakes, hold):
    """Whatever shakes the eye (up to 75 g, changing every `hold` steps), every pupil stays inside."""
    p, state = eye_state
    for i in range(300):
        physics.step(state, p, shakes[(i // hold) % len(shakes)])
        distance = np.hypot(state.x[:, 0], state.x[:, 1])
        assert np.all(distance <= p.reach * (1 + 1e-12) + 1e-15), (i, distance, p.reach)
        assert np.all(np.isfinite(state.v))


@settings(max_examples=60, deadline=None)
@given(eyes_and_state())
def test_energy_never_grows_without_input(eye_state):
    p, state = eye_state
    start = physics.energy(state)
    highest = start.copy()
    for _ in range(1200):
        physics.step(state, p)
        highest = np.maximum(highest, physics.energy(state))
    assert np.all(highest <= start + SETTLE), (highest - start)


@settings(max_examples=10, deadline=None)
@given(eyes_and_state())
def test_a_pupil_comes_to_rest_at_the_bottom(eye_state):
    p, state = eye_state
    physics.simulate(state, p, 15 * physics.STEP_HZ, record_every=physics.STEP_HZ)
    bottom = np.stack([np.zeros(len(p.reach)), p.reach], axis=1)
    assert np.abs(state.x - bottom).max() < 1e-4
    assert np.abs(state.v).max() < 1e-3


def test_a_pupil_bounces_off_the_rim_and_rolls_along_it():
    """Dropped from the top, a pupil hits the bottom and bounces up again (restitution); pushed sideways
    at the bottom, it rolls up the rim and back (it stays on the rim while it rolls)."""
    p = params([0.5])
    state = physics.Pupils(np.array([[0.0, -0.5]]), np.zeros((1, 2)))
    ys = physics.simulate(state, p, physics.STEP_HZ)[:, 0, 1]
    first_hit = int(np.argmax(ys >= 0.5 - 1e-12))
    assert 0 < first_hit < physics.STEP_HZ // 2
    assert ys[first_hit:].min() < 0.5 - 0.05  # it went up again
    state = physics.Pupils(np.array([[0.0, 0.5]]), np.array([[3.0, 0.0]]))
    xs = physics.simulate(state, p, physics.STEP_HZ // 2)[:, 0]
    assert xs[:, 0].max() > 0.2 and np.allclose(np.hypot(xs[:60, 0], xs[:60, 1]), 0.5)


def test_each_eye_moves_a_little_differently_and_the_same_for_a_seed():
    eyes = place_face(0, (100, 100), (160, 100), GooglySettings(seed=3))
    a, b = physics.params_for(eyes, 3), physics.params_for(eyes, 3)
    assert np.array_equal(a.drag, b.drag) and np.array_equal(a.friction, b.friction)
    assert a.drag[0] != a.drag[1] and a.restitution[0] != a.restitution[1]
    c = physics.params_for(eyes, 4)
    assert not np.array_equal(a.drag, c.drag)
    assert np.all((a.drag >= physics.DRAG_RANGE[0]) & (a.drag <= physics.DRAG_RANGE[1]))
    # the still picture is where the motion starts
    start = physics.start_state(eyes, a)
    assert np.allclose(physics.pupil_centres(eyes, start.x), [e.pupil_centre for e in eyes])
    assert not start.v.any()


def test_an_eye_without_room_keeps_its_pupil_at_the_centre():
    eye = GooglyEye(0, "right", "0:right", (10.0, 10.0), 5.0, (10.0, 10.0), 5.0, 0.0)
    p = physics.params_for([eye], 0)
    state = physics.start_state([eye], p)
    physics.simulate(state, p, 100, shake=lambda i: (500.0, -900.0))
    assert np.array_equal(state.x, np.zeros((1, 2)))


def golden_run():
    """Two eyes of one face, seed 5, shaken side to side at 3 Hz for 1 s, then left to settle for 1 s."""
    eyes = place_face(0, (100, 100), (160, 100), GooglySettings(seed=5))
    p = physics.params_for(eyes, 5)
    state = physics.start_state(eyes, p)
    w = 2 * math.pi * 3

    def shake(i):
        t = i / physics.STEP_HZ
        return (-0.4 * w * w * math.sin(w * t), 0.0) if t < 1 else (0.0, 0.0)
    xs = physics.simulate(state, p, 2 * physics.STEP_HZ, shake=shake, record_every=physics.STEP_HZ // 20)
    return {"eyes": [e.key for e in eyes], "params": p.as_dict(),
            "pupil_centres_px": [[[round(c, 6) for c in xy] for xy in physics.pupil_centres(eyes, frame)] for frame in xs]}


def test_golden_trajectory():
    """A fixed input gives the trajectory committed in goldens/ (UPDATE_GOLDENS=1 writes it; look at the
    change before committing it)."""
    run = golden_run()
    if os.environ.get("UPDATE_GOLDENS"):
        GOLDEN.write_text(json.dumps(run, indent=1) + "\n")
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing: goldens are committed (make one with UPDATE_GOLDENS=1)")
    golden = json.loads(GOLDEN.read_text())
    assert run["eyes"] == golden["eyes"]
    for ours, theirs in zip(run["params"], golden["params"], strict=True):
        assert ours == pytest.approx(theirs)
    assert np.abs(np.array(run["pupil_centres_px"]) - np.array(golden["pupil_centres_px"])).max() < 1e-4


def test_eye_shaped_pupils_start_where_the_still_picture_has_them_and_stay_in_their_ellipse():
    from googly_eyes.googly import GooglyEye
    eyes = [GooglyEye(0, "right", "0:right", (50.0, 40.0), 20.0, (50.0, 40.0), 4.0, 5.0, aspect=0.5, tilt_degrees=15.0),
            GooglyEye(0, "left", "0:left", (110.0, 40.0), 20.0, (110.0, 40.0), 4.0, 5.0)]
    # put each still pupil against its rim somewhere, through the squash
    eyes = [physics_replace(e, 0.7) for e in eyes]
    params = physics.params_for(eyes, seed=1)
    state = physics.start_state(eyes, params)
    for (x, y), e in zip(physics.pupil_centres(eyes, state.x), eyes):
        assert (x, y) == pytest.approx(e.pupil_centre, abs=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        physics.step(state, params, shake=tuple(rng.uniform(-400, 400, 2)))
        for (x, y), e in zip(physics.pupil_centres(eyes, state.x), eyes):
            t = math.radians(e.tilt_degrees)
            dx, dy = x - e.centre[0], y - e.centre[1]
            u, v = dx * math.cos(t) + dy * math.sin(t), -dx * math.sin(t) + dy * math.cos(t)
            assert (u / (e.radius - e.pupil_radius)) ** 2 + (v / (e.radius * e.aspect - e.pupil_radius)) ** 2 <= 1 + 1e-9


def physics_replace(eye, angle):
    """The eye with its pupil against the rim in direction `angle` (radians), as googly.make_eye puts it."""
    from dataclasses import replace
    reach = 1.0 - eye.pupil_radius / eye.radius
    a, b, c, d = eye.squash()
    dx, dy = math.cos(angle), math.sin(angle)
    return replace(eye, pupil_centre=(eye.centre[0] + (a * dx + b * dy) * reach * eye.radius,
                                      eye.centre[1] + (c * dx + d * dy) * reach * eye.radius))

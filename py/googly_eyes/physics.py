"""Googly eyes that move: each pupil is a loose disc rolling and bouncing inside its eye.

One physics for everything that moves: the editor's live wobble runs web/physics.js, a line-for-line
copy of `step` below (tests/unit/test_physics_parity.py drives both with the same inputs and checks they
agree), and animated downloads run this module (animation.py).

Units, per eye: lengths in that eye's radii (so a small eye and a big one move alike), time in seconds,
accelerations in eye radii per second squared. A pupil of radius p in an eye of radius r has its centre
at x (a 2-vector from the eye centre, image axes: y points down) with |x| <= reach = 1 - p / r, the
still picture's rule that the pupil may touch the rim (googly.py).

Forces on a pupil, as accelerations:
    gravity    GRAVITY along the photo's down (+y), whatever the head's roll
    inertia    minus the eye's own acceleration (the photo shaken, the phone moved): `shake`
    pull       anything else per eye: the editor's look-at pulls pupils towards the pointer
    air drag   -drag * v (drag from the eye's seed: eyes differ a little)
At the rim the pupil bounces with its restitution (a slow arrival just stops: no endless micro-bounces)
and rolls with rolling friction that slows its sliding in proportion to how hard it presses on the rim
(the pressing part of its acceleration plus the centripetal part, v_t^2 / reach).

Integration: a fixed step of 1 / STEP_HZ s (substeps of every frame), semi-implicit Euler with implicit
drag, then the rim contact. Only +, -, *, / and sqrt are used, in the same order in physics.js: IEEE
arithmetic makes both give the same numbers bit for bit, and the same seed gives the same motion.
Without input the energy (kinetic plus gravity's potential) never grows beyond rounding and one step's
settling at the rim, and every pupil comes to rest at the bottom (tests/unit/test_physics.py).
"""

from dataclasses import dataclass

import numpy as np

from .googly import SIDES, GooglyEye

STEP_HZ = 600  # physics steps per second: a whole number per frame at 20, 24, 25, 30, 40, 50 and 60 fps
GRAVITY = 40.0  # eye radii / s^2: a pupil falls across its eye in about a quarter of a second
# Per-eye variation, drawn from the eye's own physics stream (uniform within each range).
DRAG_RANGE = (1.2, 2.0)  # 1/s: air drag per unit velocity (a lighter pupil has more)
RESTITUTION_RANGE = (0.45, 0.65)  # share of the normal speed a pupil keeps when it bounces off the rim
FRICTION_RANGE = (0.05, 0.09)  # rolling friction per unit of pressing acceleration, s/eye radius
BOUNCE_MIN_SPEED = 0.5  # eye radii/s: a slower arrival at the rim stops instead of bouncing
PHYSICS_STREAM = 7  # the physics' own random stream per eye: the still placement's numbers stay as they are


@dataclass(frozen=True)
class PupilParams:
    """Each eye's constants, one entry per eye (float64 arrays)."""
    reach: np.ndarray  # 1 - p / r: the farthest the pupil centre goes from the eye centre, in eye radii
    drag: np.ndarray
    restitution: np.ndarray
    friction: np.ndarray

    def as_dict(self) -> list[dict]:
        """Per eye, for JSON (the page's physics.js and the detections file)."""
        return [{"reach": float(self.reach[i]), "drag": float(self.drag[i]),
                 "restitution": float(self.restitution[i]), "friction": float(self.friction[i])}
                for i in range(len(self.reach))]


@dataclass
class Pupils:
    """Where the pupils are and how fast they move: (N, 2) arrays in eye radii and eye radii/s."""
    x: np.ndarray
    v: np.ndarray

    def copy(self) -> "Pupils":
        return Pupils(self.x.copy(), self.v.copy())


def physics_rng(seed: int, eye: GooglyEye) -> np.random.Generator:
    """An eye's physics stream: its own, beside the still placement's (googly.eye_rng), so turning on the
    motion never changes the still picture."""
    side = SIDES.index(eye.side) if eye.side in SIDES else len(SIDES)
    key = eye.key.encode("utf-8")
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, PHYSICS_STREAM, side, *key])


def params_for(eyes: list[GooglyEye], seed: int) -> PupilParams:
    """Each eye's physics, from the seed and the eye's key (the two eyes of a face differ a little)."""
    draws = np.array([[rng.uniform(*DRAG_RANGE), rng.uniform(*RESTITUTION_RANGE), rng.uniform(*FRICTION_RANGE)]
                      for rng in (physics_rng(seed, eye) for eye in eyes)], dtype=np.float64).reshape(-1, 3)
    reach = np.array([max(0.0, 1.0 - eye.pupil_radius / eye.radius) if eye.radius > 0 else 0.0 for eye in eyes],
                     dtype=np.float64)
    return PupilParams(reach, draws[:, 0].copy(), draws[:, 1].copy(), draws[:, 2].copy())


def start_state(eyes: list[GooglyEye], params: PupilParams) -> Pupils:
    """The still picture's pupils, at rest: where each pupil starts moving from (for an eye-shaped eye,
    its place in the round eye the physics runs in: see GooglyEye.squash)."""
    x = np.array([_unsquashed(eye) if eye.radius > 0 else [0.0, 0.0] for eye in eyes],
                 dtype=np.float64).reshape(-1, 2)
    return Pupils(_onto_disc(x, params.reach), np.zeros_like(x))


def _unsquashed(eye: GooglyEye) -> list[float]:
    ox, oy = (eye.pupil_centre[0] - eye.centre[0]) / eye.radius, (eye.pupil_centre[1] - eye.centre[1]) / eye.radius
    a, b, c, d = eye.squash()
    det = a * d - b * c
    return [(d * ox - b * oy) / det, (a * oy - c * ox) / det]


def _onto_disc(x: np.ndarray, reach: np.ndarray) -> np.ndarray:
    distance = np.sqrt(x[:, 0] * x[:, 0] + x[:, 1] * x[:, 1])
    scale = np.where(distance > reach, reach / np.where(distance > 0, distance, 1.0), 1.0)
    return x * scale[:, None]


def step(state: Pupils, params: PupilParams, shake=(0.0, 0.0), pull: np.ndarray | None = None) -> None:
    """Advance every pupil by one step (1 / STEP_HZ s), in place.

    `shake` is the eye's acceleration (all eyes of a photo move together), eye radii/s^2; `pull` (N, 2)
    an extra acceleration per eye, or None. web/physics.js `step` is this, eye by eye, in the same order."""
    dt = 1.0 / STEP_HZ
    x, v = state.x, state.v
    ax = 0.0 - float(shake[0])  # the same for every eye, unless pulled
    ay = GRAVITY - float(shake[1])
    if pull is not None:
        ax = ax + pull[:, 0]
        ay = ay + pull[:, 1]
    # Velocity first (drag implicit: stable at any drag), then position with the new velocity.
    damping = 1.0 + params.drag * dt
    vx = (v[:, 0] + ax * dt) / damping
    vy = (v[:, 1] + ay * dt) / damping
    px = x[:, 0] + vx * dt
    py = x[:, 1] + vy * dt
    reach = params.reach
    hit = np.flatnonzero(px * px + py * py > reach * reach)  # the pupils that went past the rim
    if hit.size:
        r = reach[hit]
        hx, hy, wx, wy = px[hit], py[hit], vx[hit], vy[hit]
        gx = ax[hit] if pull is not None else ax
        gy = ay[hit] if pull is not None else ay
        # Back onto the rim along the normal n; the normal speed is lost or bounced back.
        distance = np.sqrt(hx * hx + hy * hy)
        nx = hx / distance
        ny = hy / distance
        px[hit] = nx * r
        py[hit] = ny * r
        vn = wx * nx + wy * ny
        bounce = np.where(vn > BOUNCE_MIN_SPEED, params.restitution[hit] * vn, 0.0)
        change = np.where(vn > 0.0, vn + bounce, 0.0)
        wx = wx - change * nx
        wy = wy - change * ny
        # Rolling friction: the tangential speed shrinks in proportion to how hard the pupil presses.
        tx = 0.0 - ny
        ty = nx
        vt = wx * tx + wy * ty
        press = gx * nx + gy * ny + vt * vt / np.where(r > 0.0, r, 1.0)
        rolling = press > 0.0
        keep = 1.0 / (1.0 + params.friction[hit] * np.where(rolling, press, 0.0) * dt)
        lost = vt - vt * keep
        vx[hit] = np.where(rolling, wx - lost * tx, wx)
        vy[hit] = np.where(rolling, wy - lost * ty, wy)
    x[:, 0], x[:, 1] = px, py
    v[:, 0], v[:, 1] = vx, vy


def energy(state: Pupils) -> np.ndarray:
    """Per eye: kinetic plus gravity's potential energy per unit mass (eye radii^2/s^2); the potential is
    zero at the eye centre and falls downwards."""
    return 0.5 * (state.v[:, 0] ** 2 + state.v[:, 1] ** 2) - GRAVITY * state.x[:, 1]


def simulate(state: Pupils, params: PupilParams, steps: int, shake=None, pull=None, record_every: int = 1) -> np.ndarray:
    """Run `steps` steps from `state` (changed in place) and answer the positions after every
    `record_every`-th step, (steps // record_every, N, 2). `shake(i)` gives the eye acceleration at step i
    (default none), `pull(i)` the per-eye pull."""
    out = []
    for i in range(steps):
        step(state, params, shake(i) if shake else (0.0, 0.0), pull(i) if pull else None)
        if (i + 1) % record_every == 0:
            out.append(state.x.copy())
    return np.array(out, dtype=np.float64).reshape(len(out), len(state.x), 2)


def pupil_centres(eyes: list[GooglyEye], x: np.ndarray) -> list[tuple[float, float]]:
    """The pupil centres in photo pixels for positions `x` (N, 2) in eye radii (through each eye's
    squash: an eye-shaped eye's pupil moves in its ellipse)."""
    centres = []
    for i, eye in enumerate(eyes):
        a, b, c, d = eye.squash()
        u, v = float(x[i, 0]), float(x[i, 1])
        centres.append((eye.centre[0] + (a * u + b * v) * eye.radius, eye.centre[1] + (c * u + d * v) * eye.radius))
    return centres


"""Animated downloads: which motion shakes the photo, for how long, and where every pupil is in each frame.

A motion is the eyes' acceleration over time (all eyes of a photo move with it), periodic over the
animation's length so it can loop. The pupils start where the still picture has them (physics.start_state),
live through WARMUP_LOOPS of the motion unrecorded (so they have forgotten where they started and move as
the motion makes them), then one loop is recorded. Its last half second is crossfaded into the frames that
led into its first, so the loop joins seamlessly; the notes record how far apart the two were (`seam_px`:
a shaken pupil bounces chaotically and does not come back by itself; a dropped one settles and does).

Frames are composited by the page (web/animation.js): the photo with the still layers once, then each
frame's pupils at these positions and the layers above them (render.moving_layers).
"""

from dataclasses import asdict, dataclass
import math

import numpy as np

from . import physics
from .config import (ANIMATION_FORMAT_LABELS, ANIMATION_SECONDS_RANGE as SECONDS_RANGE, ANIMATION_SIZE_RANGE as SIZE_RANGE,
                     DEFAULT_ANIMATION_FORMAT as DEFAULT_FORMAT, DEFAULT_ANIMATION_SECONDS as DEFAULT_SECONDS,
                     DEFAULT_ANIMATION_SIZE as DEFAULT_SIZE, DEFAULT_MOTION, MOTION_LABELS)
from .googly import GooglyEye

MOTIONS = tuple(MOTION_LABELS)
FORMATS = tuple(ANIMATION_FORMAT_LABELS)
# Frames per second: a whole number of physics steps per frame (physics.STEP_HZ); GIF frame delays are
# whole hundredths of a second, so the picture formats use 25 fps (4/100 s); video uses 30.
FPS = {"mp4": 30, "gif": 25, "webp": 25, "apng": 25}
WARMUP_LOOPS = 2
BLEND_SECONDS = 0.5  # at most (a quarter of the loop if shorter): see plan_frames
MIME = {"mp4": "video/mp4", "webm": "video/webm", "gif": "image/gif", "webp": "image/webp", "apng": "image/apng"}
EXTENSION = {"mp4": ".mp4", "webm": ".webm", "gif": ".gif", "webp": ".webp", "apng": ".png"}

# The motions' strength, in eye radii and Hz (see `shake_at`).
SHAKE_AMPLITUDE, SHAKE_HZ = 0.5, 2.5
NOD_AMPLITUDE, NOD_HZ = 0.8, 1.5
JIGGLE_AMPLITUDE, JIGGLE_HZ = 0.06, (4.0, 5.5, 7.0)
DROP_ACCELERATION, DROP_SECONDS = 3 * physics.GRAVITY, 0.12


@dataclass(frozen=True)
class AnimationSettings:
    """What the user picks for an animated download; checked on creation."""
    motion: str = DEFAULT_MOTION
    seconds: float = DEFAULT_SECONDS
    size: int = DEFAULT_SIZE
    format: str = DEFAULT_FORMAT

    def __post_init__(self):
        if self.motion not in MOTIONS:
            raise ValueError(f"motion must be one of {MOTIONS}, got {self.motion!r}")
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        seconds, size = self.seconds, self.size
        if not (isinstance(seconds, (int, float)) and SECONDS_RANGE[0] <= seconds <= SECONDS_RANGE[1]):
            raise ValueError(f"seconds must be from {SECONDS_RANGE[0]:g} to {SECONDS_RANGE[1]:g}, got {seconds!r}")
        if not (isinstance(size, (int, float)) and size == int(size) and SIZE_RANGE[0] <= size <= SIZE_RANGE[1]):
            raise ValueError(f"size must be a whole number from {SIZE_RANGE[0]} to {SIZE_RANGE[1]}, got {size!r}")
        object.__setattr__(self, "seconds", float(seconds))
        object.__setattr__(self, "size", int(size))

    @classmethod
    def from_dict(cls, values: dict | None) -> "AnimationSettings":
        values = values or {}
        known = {"motion", "seconds", "size", "format"}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown animation setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{key: value for key, value in values.items() if value is not None})

    @property
    def fps(self) -> int:
        return FPS[self.format]

    @property
    def frames(self) -> int:
        return round(self.seconds * self.fps)

    def as_dict(self) -> dict:
        return asdict(self)


def cycles(hz: float, seconds: float) -> int:
    """A whole number of cycles near `hz` in the loop (at least one): the motion then loops."""
    return max(1, round(hz * seconds))


def shake_at(motion: str, t: float, seconds: float, seed: int = 0) -> tuple[float, float]:
    """The eyes' acceleration (eye radii/s^2, image axes) at time t of a loop of `seconds`; periodic.
    shake: side to side (a photo shaken in the hand); nod: up and down, slower and wider; jiggle: small
    quick shivers in every direction (three frequencies, phases from the seed); drop: the photo jerked down
    and stopped at the start of every loop (pupils fly up, fall, bounce and settle)."""
    t = t % seconds
    if motion == "shake":
        w = 2 * math.pi * cycles(SHAKE_HZ, seconds) / seconds
        return -SHAKE_AMPLITUDE * w * w * math.sin(w * t), 0.0
    if motion == "nod":
        w = 2 * math.pi * cycles(NOD_HZ, seconds) / seconds
        return 0.0, -NOD_AMPLITUDE * w * w * math.sin(w * t)
    if motion == "jiggle":
        phases = np.random.default_rng([int(seed) & 0xFFFFFFFF, 13]).uniform(0, 2 * math.pi, (len(JIGGLE_HZ), 2))
        ax = ay = 0.0
        for (px, py), hz in zip(phases, JIGGLE_HZ):
            w = 2 * math.pi * cycles(hz, seconds) / seconds
            ax -= JIGGLE_AMPLITUDE * w * w * math.sin(w * t + px)
            ay -= JIGGLE_AMPLITUDE * w * w * math.sin(w * t + py)
        return ax, ay
    if motion == "drop":
        if t < DROP_SECONDS:
            return 0.0, DROP_ACCELERATION
        if t < 2 * DROP_SECONDS:
            return 0.0, -DROP_ACCELERATION
        return 0.0, 0.0
    raise ValueError(f"motion must be one of {MOTIONS}, got {motion!r}")


@dataclass
class FramePlan:
    """Every frame's pupil positions, (frames, eyes, 2) in eye radii from each eye centre."""
    settings: AnimationSettings
    positions: np.ndarray
    params: physics.PupilParams
    seam_px: float  # the largest gap the seam correction closed, in photo pixels

    def pupil_centres(self, eyes: list[GooglyEye], frame: int) -> list[tuple[float, float]]:
        return physics.pupil_centres(eyes, self.positions[frame])

    def notes(self) -> dict:
        """What the detections JSON records, so the same animation can be made again."""
        return {**self.settings.as_dict(), "fps": self.settings.fps, "frames": self.settings.frames,
                "warmup_loops": WARMUP_LOOPS, "seam_px": round(self.seam_px, 3),
                "physics": {"step_hz": physics.STEP_HZ, "gravity": physics.GRAVITY,
                            "bounce_min_speed": physics.BOUNCE_MIN_SPEED, "eyes": self.params.as_dict()}}


def plan_frames(eyes: list[GooglyEye], seed: int, settings: AnimationSettings) -> FramePlan:
    """Run the physics through the motion and record one loop of frames (see the module's notes)."""
    params = physics.params_for(eyes, seed)
    state = physics.start_state(eyes, params)
    per_frame = physics.STEP_HZ // settings.fps
    frames = settings.frames
    loop_steps = frames * per_frame
    seconds = loop_steps / physics.STEP_HZ

    def shake(i):
        return shake_at(settings.motion, i / physics.STEP_HZ, seconds, seed)
    # The warm-up's frames (the last of them lead into the loop), then the loop and the frame after it.
    warmup = physics.simulate(state, params, WARMUP_LOOPS * loop_steps, shake=shake, record_every=per_frame)
    first = state.x.copy()
    recorded = physics.simulate(state, params, loop_steps, shake=shake, record_every=per_frame)
    positions = np.concatenate([first[None], recorded[:-1]])
    # Crossfade the loop's last BLEND frames into the frames that led into its first one: the frame after
    # the last is then exactly the first. (A shaken pupil bounces chaotically: it does not come back to
    # where the loop began by itself.)
    blend = max(1, min(round(BLEND_SECONDS * settings.fps), frames // 4))
    lead_in = np.concatenate([warmup, first[None]])[-(blend + 1):-1]  # the `blend` frames before the first
    weight = (np.arange(1, blend + 1, dtype=np.float64) / (blend + 1))
    weight = (weight * weight * (3 - 2 * weight))[:, None, None]  # smoothstep: no jolt where it begins
    positions[-blend:] = (1 - weight) * positions[-blend:] + weight * lead_in
    gap = recorded[-1] - first  # where the pupils would have gone on to, minus where the loop began
    radii = np.array([eye.radius for eye in eyes], dtype=np.float64)
    seam = float((np.hypot(gap[:, 0], gap[:, 1]) * radii).max()) if len(eyes) else 0.0
    return FramePlan(settings, positions, params, seam)

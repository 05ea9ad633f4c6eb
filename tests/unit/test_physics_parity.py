"""One physics everywhere: the editor's live wobble (web/physics.js, in the page) and the animated
downloads (googly_eyes.physics) driven with the same inputs for 5 s agree within 0.01 px (in fact bit for
bit: both use only IEEE +, -, *, / and sqrt, in the same order)."""

import json
import math
from pathlib import Path
import shutil
import subprocess

import numpy as np
import pytest

from googly_eyes import physics
from googly_eyes.config import GooglySettings
from googly_eyes.googly import place_face

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")



def run_js(params, start, constants, shakes, pulls, record_every):
    script = f"""
import {{ Pupils }} from {json.dumps((ROOT / 'web' / 'physics.js').as_uri())};
import {{ readFileSync }} from 'node:fs';
const input = JSON.parse(readFileSync(0, 'utf8'));
const pupils = new Pupils(input.params, input.start, input.constants);
const out = [];
for (let i = 0; i < input.shakes.length; i++) {{
  pupils.step(input.shakes[i], input.pulls ? Float64Array.from(input.pulls[i]) : null);
  if ((i + 1) % input.record_every === 0) out.push(Array.from(pupils.x));
}}
process.stdout.write(JSON.stringify(out));
"""
    payload = {"params": params.as_dict(), "start": start.x.tolist(), "constants": constants,
               "shakes": shakes, "pulls": pulls, "record_every": record_every}
    done = subprocess.run([NODE, "--no-warnings", "--input-type=module", "-e", script], input=json.dumps(payload),
                          capture_output=True, text=True, check=True, timeout=60)
    return np.array(json.loads(done.stdout)).reshape(-1, len(params.reach), 2)


CONSTANTS = {"stepHz": physics.STEP_HZ, "gravity": physics.GRAVITY, "bounceMinSpeed": physics.BOUNCE_MIN_SPEED}


@pytest.mark.skipif(NODE is None, reason="needs node")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_page_and_the_core_move_pupils_alike(seed):
    """Ten eyes (five faces, one with a big pupil, one tiny), shaken hard and irregularly, nodded,
    pulled towards a moving pointer for a second, then left to settle: 5 s of 600 Hz steps."""
    settings = GooglySettings(seed=seed, lambda_min=0.3, lambda_max=0.9)
    eyes = [eye for face in range(5) for eye in place_face(face, (100 + 90 * face, 100 + 7 * face),
                                                           (150 + 90 * face, 104 + 3 * face), settings)]
    params = physics.params_for(eyes, seed)
    rng = np.random.default_rng(seed)
    steps = 5 * physics.STEP_HZ
    jolts = rng.normal(0, 600, (steps // 30 + 1, 2))
    shakes, pulls = [], []
    for i in range(steps):
        t = i / physics.STEP_HZ
        if t < 2:
            shake = [float(jolts[i // 30, 0]), float(jolts[i // 30, 1])]
        elif t < 3:
            shake = [0.0, -150.0 * math.sin(2 * math.pi * 2 * t)]
        else:
            shake = [0.0, 0.0]
        shakes.append(shake)
        if 2.5 <= t < 3.5:  # a pointer going round the photo
            target = (300 + 200 * math.cos(3 * t), 100 + 200 * math.sin(3 * t))
            pull = []
            for eye in eyes:
                dx, dy = target[0] - eye.centre[0], target[1] - eye.centre[1]
                norm = math.sqrt(dx * dx + dy * dy)
                pull += [60.0 * dx / norm, 60.0 * dy / norm]
            pulls.append(pull)
        else:
            pulls.append([0.0] * (2 * len(eyes)))
    every = physics.STEP_HZ // 60
    ours = physics.simulate(physics.start_state(eyes, params), params, steps, shake=lambda i: shakes[i],
                            pull=lambda i: np.array(pulls[i]).reshape(-1, 2), record_every=every)
    theirs = run_js(params, physics.start_state(eyes, params), CONSTANTS, shakes, pulls, every)
    assert ours.shape == theirs.shape == (steps // every, len(eyes), 2)
    radii = np.array([eye.radius for eye in eyes])[None, :, None]
    gap_px = np.abs(ours - theirs) * radii
    assert gap_px.max() <= 0.01, gap_px.max()
    # and the inputs did move them: not a comparison of two resting pupils
    travel = np.abs(np.diff(ours, axis=0)).sum(axis=(0, 2)) * radii[0, :, 0]
    assert travel.min() > 10

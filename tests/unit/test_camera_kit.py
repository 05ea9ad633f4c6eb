"""The camera mode's kit (googly_eyes.camera): what the page draws live googly eyes with."""

import io

import numpy as np
import pytest
from PIL import Image

from googly_eyes import physics
from googly_eyes.camera import REFERENCE_RADIUS, SLOTS, camera_kit
from googly_eyes.config import STYLES, GooglySettings
from googly_eyes.googly import place_face


@pytest.mark.parametrize("style", STYLES)
def test_the_sprite_is_one_googly_eye_without_its_pupil_centred(style):
    kit = camera_kit(GooglySettings(style=style))
    still = np.asarray(Image.open(io.BytesIO(kit["still"])))
    size, radius = kit["size"], kit["radius"]
    assert still.shape == (size, size, 4) and radius == REFERENCE_RADIUS
    centre = still[size // 2 - 4:size // 2 + 4, size // 2 - 4:size // 2 + 4]
    assert (centre[..., 3] == 255).all() and centre[..., :3].min() > 200  # white at the centre: no pupil painted
    ys, xs = np.nonzero(still[..., 3] > 128)
    assert abs(xs.mean() + 0.5 - size / 2) < 1 and abs(ys.mean() + 0.5 - size / 2) < 0.12 * radius  # (glossy: shadow below)
    assert (xs.max() - xs.min() + 1) == pytest.approx(2 * radius, abs=3)  # the eye's own width (no eye-shaped squash)
    assert (kit["above"] is not None) == (style == "glossy")
    assert kit["look"]["colour"].startswith("#")


def test_each_slot_has_the_pupils_a_photo_would_get():
    settings = GooglySettings(seed=5, lambda_min=0.3, lambda_max=0.7, gamma=0.8, sizing="eye_width")
    kit = camera_kit(settings)
    assert len(kit["slots"]) == 2 * SLOTS and kit["gamma"] == 0.8 and kit["sizing"] == "eye_width"
    eyes = [eye for face in range(SLOTS) for eye in place_face(face, (0.0, 100.0 * face), (100.0, 100.0 * face), settings)]
    params = physics.params_for(eyes, 5)
    for slot, eye, param in zip(kit["slots"], eyes, params.as_dict()):
        assert 0.3 <= slot["pupilFraction"] <= 0.7 and slot["pupilFraction"] == pytest.approx(eye.pupil_radius / eye.radius)
        assert slot["params"] == param and np.hypot(*slot["start"]) <= param["reach"] + 1e-12
    assert len({round(slot["pupilFraction"], 9) for slot in kit["slots"]}) == 2 * SLOTS  # each eye its own
    assert camera_kit(settings)["slots"] == kit["slots"]  # the same seed, the same pupils
    assert camera_kit(GooglySettings(seed=6))["slots"] != camera_kit(GooglySettings(seed=5))["slots"]

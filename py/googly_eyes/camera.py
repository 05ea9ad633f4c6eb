"""The camera mode's googly eyes (issue 16): what the page needs to draw them live, for the current settings.

The camera worker (web/camera-worker.mjs) finds the eyes in every frame; the page draws a googly eye on each,
at the display's frame rate, from this kit, made once per settings:

    still, above   one eye of radius `radius` drawn level in the current style, centred in a `size` square:
                   what goes under its pupil (shadow, white, rim) and over it (glossy's highlight), as RGBA
                   PNG; the page scales them to each eye and turns them with the head
    look           how a pupil is drawn (render.pupil_look)
    gamma, sizing  how big an eye is (googly.eye_radius: gamma x eye distance / 2, or from the eye's width)
    slots          per face (in the order faces appear) and eye: the pupil's share of the eye (lambda, drawn
                   as a photo's is, from the seed) and its physics (physics.params_for, start_state), so a
                   face keeps its pupils while it is followed; faces beyond the slots reuse them in turn
    physics        the physics' constants (web/physics.js steps the pupils, as in the editor's wobble)

The pupils are moved by the head's own motion: the page feeds each eye's acceleration to the physics (the
pupil lags, then catches up and bounces) and gravity pulls them down the screen.
"""

from __future__ import annotations

from dataclasses import replace
import io

from PIL import Image

from . import config, physics
from .config import GooglySettings
from .googly import place_face
from .render import moving_layers

REFERENCE_RADIUS = 64.0  # px: the sprites' eye radius (the page scales them; bigger than most live eyes)
SLOTS = 6  # faces with their own pupils (camera-worker.mjs follows at most this many)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def camera_kit(settings: GooglySettings, slots: int = SLOTS, radius: float = REFERENCE_RADIUS) -> dict:
    """The kit for `settings` (see the module's docstring). The eye-shaped style draws round eyes here (a live
    eye's outline changes every frame) and expressions are not drawn (no blendshapes live)."""
    if settings.style == "eye_shaped":
        settings = replace(settings, style=config.DEFAULT_STYLE)
    margin = int(radius)  # room for a shadow or a highlight beyond the rim
    size = int(2 * (radius + margin))
    centre = size / 2.0
    eye_distance = 2.0 * radius / settings.gamma  # a face whose eyes come out at `radius`
    sprite_settings = replace(settings, sizing="distance", pupil_mode="random")
    (sprite_eye, _) = place_face(0, (centre, centre), (centre + eye_distance, centre), sprite_settings)
    parts = moving_layers((size, size), [sprite_eye], settings.style)

    def composed(layers):
        if not layers:
            return None
        canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        for left, top, layer in layers:
            piece = Image.new("RGBA", (size, size), (0, 0, 0, 0))
            piece.paste(layer, (left, top))
            canvas = Image.alpha_composite(canvas, piece)
        return _png(canvas)

    eyes = []
    for face in range(slots):  # a level face with eyes 100 px apart: the pupils' shares and physics per slot
        eyes += place_face(face, (0.0, 100.0 * face), (100.0, 100.0 * face), settings)
    params = physics.params_for(eyes, settings.seed)
    start = physics.start_state(eyes, params).x
    return {
        "still": composed(parts["still"]), "above": composed(parts["above"]), "size": size, "radius": radius,
        "look": parts["pupil"], "gamma": settings.gamma, "sizing": settings.sizing,
        "eyeWidthPerEyeDistance": config.EYE_WIDTH_PER_EYE_DISTANCE,
        "slots": [{"pupilFraction": eye.pupil_radius / eye.radius, "params": param, "start": list(map(float, point))}
                  for eye, param, point in zip(eyes, params.as_dict(), start)],
        "physics": {"stepHz": physics.STEP_HZ, "gravity": physics.GRAVITY, "bounceMinSpeed": physics.BOUNCE_MIN_SPEED},
    }

"""Rendering: properties of a single eye, and a golden picture compared within a stated tolerance.

Regenerate the golden after an intended change with: UPDATE_GOLDENS=1 pytest tests/unit/test_render.py
and look at it before committing.
"""

import math
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from googly_eyes import config
from googly_eyes.config import GooglySettings
from googly_eyes.googly import GooglyEye, place_face
from googly_eyes.render import draw_googly_eyes, googly_layers

GOLDENS = Path(__file__).parent / "goldens"
GOLDEN = GOLDENS / "render_classic.png"
# Goldens are compared, not matched byte for byte: Pillow's drawing may move an edge pixel by one
# supersampled step across versions. Mean |diff| <= 0.5 and under 0.5% of pixels off by > 32 levels.
MEAN_TOLERANCE = 0.5
PIXEL_TOLERANCE = 32
BAD_PIXEL_FRACTION = 0.005


def eye(centre=(50.0, 40.0), radius=20.0, pupil=(58.0, 40.0), pupil_radius=10.0):
    return GooglyEye(0, "right", "0:right", centre, radius, pupil, pupil_radius, 0.0)


def grey(size=(100, 80)):
    return Image.new("RGB", size, (120, 140, 160))


def test_eye_is_white_with_a_dark_pupil_and_leaves_other_pixels_alone():
    before = grey()
    after = np.asarray(draw_googly_eyes(before, [eye()])).astype(int)
    assert np.asarray(before).tolist() == np.asarray(grey()).tolist()  # input untouched
    assert after[40, 40].tolist() == [255, 255, 255]  # white, away from the pupil
    assert after[40, 58].max() < 30  # pupil centre
    yy, xx = np.mgrid[0:80, 0:100]
    outside = np.hypot(xx + 0.5 - 50, yy + 0.5 - 40) > 21.5
    assert (after[outside] == [120, 140, 160]).all()


def test_edges_are_anti_aliased():
    row = np.asarray(draw_googly_eyes(grey(), [eye(pupil=(50, 40), pupil_radius=5)]).convert("L"))[40]
    left_edge = row[27:33]  # the rim crosses x = 30
    values = set(left_edge.tolist())
    assert len(values) >= 3, left_edge  # background, blend(s), rim: not a hard step


def test_coverage_matches_the_disc_area():
    image = Image.new("RGB", (100, 100), (0, 0, 0))
    white = GooglyEye(0, "right", "0:right", (50.3, 49.7), 30.0, (50.3, 49.7), 0.001, 0.0)
    painted = np.asarray(draw_googly_eyes(image, [white]).convert("L"), float) / 255
    rim_loss = painted.sum() / (math.pi * 30 ** 2)
    assert 0.85 < rim_loss <= 1.0  # the dark rim takes ~12% of the area at 6% of the radius
    mask_area = (np.asarray(draw_googly_eyes(Image.new("RGB", (100, 100), (45, 45, 45)), [white]).convert("L"),
                            float) != 45)
    assert mask_area.sum() == pytest.approx(math.pi * 28.2 ** 2, rel=0.08)


def test_eyes_partly_outside_the_photo_are_clipped_and_wholly_outside_are_skipped():
    image = grey((60, 40))
    out = draw_googly_eyes(image, [eye(centre=(2, 3), pupil=(2, 3)), eye(centre=(500, 500), pupil=(500, 500))])
    assert out.size == (60, 40)
    assert np.asarray(out)[3, 17].tolist() == [255, 255, 255]  # inside the white, beside the pupil
    assert np.asarray(out)[3, 2].max() < 30  # the pupil, clipped at the corner


def test_rgba_photos_keep_their_alpha_outside_and_become_opaque_under_an_eye():
    image = Image.new("RGBA", (100, 80), (10, 20, 30, 0))
    out = np.asarray(draw_googly_eyes(image, [eye()]))
    assert out[40, 40].tolist() == [255, 255, 255, 255]
    assert out[2, 2].tolist() == [10, 20, 30, 0]


def golden_scene() -> Image.Image:
    """Three faces of different sizes and rolls on a gradient, with fixed seeds."""
    x = np.linspace(60, 200, 320)[None, :, None]
    y = np.linspace(0, 40, 200)[:, None, None]
    base = np.broadcast_to(x + y, (200, 320, 3)).astype(np.uint8)
    eyes = []
    for index, (right, left) in enumerate([((40, 60), (100, 60)), ((160, 120), (200, 140)), ((250, 50), (262, 48))]):
        eyes += place_face(index, right, left, GooglySettings(seed=42))
    return draw_googly_eyes(Image.fromarray(base.copy()), eyes)


def compare_with_golden(rendered: Image.Image, path: Path) -> None:
    """Compare with the committed golden; with UPDATE_GOLDENS set, write it and skip instead (comparing
    the picture just written with itself would pass whatever was drawn)."""
    if os.environ.get("UPDATE_GOLDENS"):
        path.parent.mkdir(exist_ok=True)
        rendered.save(path)
        pytest.skip(f"UPDATE_GOLDENS: wrote {path}; look at it before committing it")
    if not path.exists():
        pytest.fail(f"{path} is missing: goldens are committed (make one with UPDATE_GOLDENS=1 and look at it)")
    golden = np.asarray(Image.open(path).convert("RGB"), float)
    diff = np.abs(np.asarray(rendered, float) - golden)
    assert diff.mean() <= MEAN_TOLERANCE
    assert (diff.max(axis=2) > PIXEL_TOLERANCE).mean() <= BAD_PIXEL_FRACTION


def test_golden_picture():
    compare_with_golden(golden_scene(), GOLDEN)


def small_golden_scene(style: str) -> Image.Image:
    """96x64: two faces (random pupils, a rolled head), one gravity eye clipped at the right edge."""
    x = np.linspace(70, 190, 96)[None, :, None]
    y = np.linspace(0, 30, 64)[:, None, None]
    base = np.broadcast_to(x + y, (64, 96, 3)).astype(np.uint8)
    eyes = place_face(0, (14, 24), (40, 22), GooglySettings(seed=42))
    eyes += place_face(1, (52, 40), (68, 48), GooglySettings(seed=42))
    eyes += place_face(2, (80, 14), (94, 14), GooglySettings(seed=42, pupil_mode="gravity"))
    return draw_googly_eyes(Image.fromarray(base.copy()), eyes, style)


@pytest.mark.parametrize("style", ["glossy", "cartoon"])
def test_golden_pictures_of_the_other_styles(style):
    compare_with_golden(small_golden_scene(style), GOLDENS / f"render_{style}.png")


# --- Styles -----------------------------------------------------------------------------------------

def render(eyes, style, size=(100, 80)):
    return np.asarray(draw_googly_eyes(grey(size), eyes, style)).astype(int)


def test_each_style_looks_different_and_unknown_styles_are_refused():
    from dataclasses import replace
    # (an eye-shaped eye as place_googly_eyes makes it: an ellipse; a round one is drawn as the classic)
    pictures = {style: render([replace(eye(pupil_radius=5.0, pupil=(58.0, 40.0)), aspect=0.5, tilt_degrees=10.0)
                               if style == "eye_shaped" else eye()], style) for style in config.STYLES}
    assert (render([eye()], "eye_shaped") == render([eye()], "classic")).all()
    for first in config.STYLES:
        for second in config.STYLES:
            if first < second:
                assert np.abs(pictures[first] - pictures[second]).max() > 60, (first, second)
    with pytest.raises(ValueError, match="style"):
        draw_googly_eyes(grey(), [eye()], "neon")


def test_glossy_highlight_stays_put_while_the_pupil_moves():
    centre, radius, pupil_radius = (50.0, 40.0), 20.0, 10.0
    down = eye(centre, radius, (50.0, 50.0), pupil_radius)  # gravity
    up = eye(centre, radius, (50.0, 30.0), pupil_radius)  # looking at something above
    first, second = render([down], "glossy"), render([up], "glossy")
    hx = round(centre[0] + config.GLOSSY_HIGHLIGHT_CENTRE[0] * radius)
    hy = round(centre[1] + config.GLOSSY_HIGHLIGHT_CENTRE[1] * radius)
    patch = (slice(hy - 1, hy + 1), slice(hx - 1, hx + 1))
    assert (first[patch] == second[patch]).all()
    assert (first[patch] >= 250).all()  # white, over the pupil or not
    assert up.pupil_centre[1] - pupil_radius < hy < up.pupil_centre[1] + pupil_radius  # it is over the pupil
    assert first[30, 50].max() > 200 and second[30, 50].max() < 40  # the pupils differ
    assert first[50, 50].max() < 40 and second[50, 50].max() > 150


def test_glossy_shadow_darkens_just_below_the_eye_and_nothing_far_away():
    before = render([], "glossy")
    after = render([eye(pupil=(50, 40))], "glossy")
    below, above = after[40 + 21, 50].sum(), after[40 - 21, 50].sum()  # one pixel outside the rim
    assert below < before[61, 50].sum() - 30
    assert below < above  # the shadow falls downwards
    yy, xx = np.mgrid[0:80, 0:100]
    far = np.hypot(xx + 0.5 - 50, yy + 0.5 - 40) > 30
    assert (after[far] == before[far]).all()


def test_glossy_white_is_shaded_towards_the_rim():
    picture = render([eye(pupil=(50, 55), pupil_radius=5)], "glossy")
    assert picture[40, 50].min() >= 250  # the centre is white
    assert picture[40, 50 + 16].max() < picture[40, 50].min() - 15  # near the rim it is greyer


def test_cartoon_has_a_bold_dark_ring_and_a_catchlight_on_the_pupil():
    radius = 20.0
    picture = render([eye(radius=radius, pupil=(58.0, 40.0), pupil_radius=10.0)], "cartoon")
    inside = radius - 0.5 * max(config.CARTOON_OUTLINE_MIN_PX, config.CARTOON_OUTLINE_FRACTION * radius)
    for angle in np.linspace(0, 2 * math.pi, 48, endpoint=False):
        x, y = 50 + inside * math.cos(angle), 40 + inside * math.sin(angle)
        assert picture[int(y), int(x)].max() < 60, angle
    assert picture[40, 40].tolist() == [255, 255, 255]  # white between the ring and the pupil
    x = 58 + config.CARTOON_CATCHLIGHT_CENTRE[0] * 10
    y = 40 + config.CARTOON_CATCHLIGHT_CENTRE[1] * 10
    assert picture[int(y), int(x)].min() > 200  # the catch-light
    assert picture[44, 62].max() < 30  # the rest of the pupil is black


@pytest.mark.parametrize("style", config.STYLES)
def test_every_style_clips_at_the_edges_and_handles_rgba(style):
    out = np.asarray(draw_googly_eyes(grey((60, 40)), [eye(centre=(2, 3), pupil=(2, 3)),
                                                       eye(centre=(500, 500), pupil=(500, 500))], style))
    assert out.shape == (40, 60, 3)
    assert out[3, 2].max() < 30  # the pupil, clipped at the corner
    rgba = np.asarray(draw_googly_eyes(Image.new("RGBA", (100, 80), (10, 20, 30, 0)), [eye()], style))
    assert rgba[40, 40, 3] == 255
    assert rgba[2, 2].tolist() == [10, 20, 30, 0]


@pytest.mark.parametrize("style", ["classic", "glossy", "cartoon"])
def test_layers_blended_over_the_photo_give_the_painted_photo(style):
    """The browser's canvas export blends googly_layers over the photo; that must equal draw_googly_eyes
    (within 1 level of rounding), including eyes cut by the photo's edge."""
    rng = np.random.default_rng(3)
    photo = Image.fromarray(rng.integers(0, 256, (90, 140, 3), dtype=np.uint8))
    eyes = [GooglyEye(0, "right", "0:right", (30.3, 40.7), 14.2, (35.0, 45.0), 6.0, 0.0),
            GooglyEye(0, "left", "0:left", (133.0, 8.0), 11.0, (128.0, 4.0), 5.0, 10.0)]
    painted = np.asarray(draw_googly_eyes(photo, eyes, style), dtype=int)
    composed = photo.convert("RGBA")
    for left, top, layer in googly_layers(photo.size, eyes, style):
        canvas = Image.new("RGBA", photo.size, (0, 0, 0, 0))
        canvas.paste(layer, (left, top))
        composed = Image.alpha_composite(composed, canvas)
    composed = np.asarray(composed.convert("RGB"), dtype=int)
    assert np.abs(composed - painted).max() <= 1
    assert (composed != np.asarray(photo)).any()


def _composite(image: Image.Image, layers) -> Image.Image:
    out = image.convert("RGBA")
    for left, top, layer in layers:
        out.alpha_composite(layer, (left, top)) if left >= 0 and top >= 0 else out.paste(layer, (left, top), layer)
    return out


@pytest.mark.parametrize("style", config.STYLES)
def test_moving_layers_with_their_pupil_drawn_make_the_still_picture(style):
    """The moving pictures' parts (still layers, the pupil drawn as pupil_look says, the layers above)
    add up to the still picture; without the pupil, the eye is white where the pupil was."""
    from googly_eyes.render import _disc, moving_layers
    eyes = [eye(), eye(centre=(20.0, 20.0), radius=12.0, pupil=(20.0, 26.0), pupil_radius=6.0)]
    parts = moving_layers((100, 80), eyes, style)
    still = _composite(grey(), parts["still"])
    assert np.asarray(still.convert("RGB"))[40, 58].min() > 200  # no pupil where the still one is
    look = parts["pupil"]
    scale = 8  # the pupil as a canvas would draw it: anti-aliased discs
    big = still.resize((100 * scale, 80 * scale), Image.NEAREST)
    draw = ImageDraw.Draw(big)
    for e in eyes:
        centre = (e.pupil_centre[0] * scale, e.pupil_centre[1] * scale)
        _disc(draw, centre, e.pupil_radius * scale, look["colour"])
        if look["catchlight"]:
            c = look["catchlight"]
            _disc(draw, (centre[0] + c["centre"][0] * e.pupil_radius * scale,
                         centre[1] + c["centre"][1] * e.pupil_radius * scale),
                  c["radius"] * e.pupil_radius * scale, c["colour"])
    moving = _composite(big.reduce(scale), parts["above"]).convert("RGB")
    assert bool(parts["above"]) == (style == "glossy")
    diff = np.abs(np.asarray(moving, int) - np.asarray(draw_googly_eyes(grey(), eyes, style), int))
    assert diff.mean() < 0.5 and (diff > 48).mean() < 0.003, (diff.mean(), (diff > 48).mean())


# ---- Expression marks: a lid over a shut eye, a smile's sparkle -----------------------------------------

SKIN = (200, 150, 120)


def marked(lid=0.55, sparkle=True, roll=0.0, **kwargs):
    from dataclasses import replace
    return replace(eye(**kwargs), lid=lid, lid_colour=SKIN, sparkle=sparkle, roll_degrees=roll)


@pytest.mark.parametrize("style", config.STYLES)
def test_a_lid_covers_the_top_of_the_eye_in_skin_colour_and_the_pupil_shows_below(style):
    # a pupil hanging at the bottom; the lid's edge 0.1 radii below the centre
    shut = marked(pupil=(50.0, 50.0), sparkle=False)
    out = np.asarray(draw_googly_eyes(grey(), [shut], style), int)
    assert np.abs(out[30, 50] - SKIN).max() <= 12  # above the centre: lid
    assert np.abs(out[41, 50] - config.LID_LINE_COLOUR).max() <= 40  # its edge: the dark line
    assert out[55, 50].max() < 90  # the pupil, below the lid
    assert out[44, 36].min() > 170  # the white beside it, below the lid
    # tilted with the head: at 90 degrees the lid covers the eye's right side (the head's "up" is +x)
    turned = np.asarray(draw_googly_eyes(grey(), [marked(roll=90.0, pupil=(40.0, 40.0), sparkle=False)], style), int)
    assert np.abs(turned[40, 62] - SKIN).max() <= 12 and turned[40, 45].max() < 90


def test_a_sparkle_sits_up_and_out_from_the_eye_and_nothing_else_changes():
    photo = grey((140, 100))
    right = marked(lid=0.0, centre=(60.0, 55.0))  # the subject's right eye: image-left, so the sparkle goes left
    plain = np.asarray(draw_googly_eyes(photo, [marked(lid=0.0, sparkle=False, centre=(60.0, 55.0))]), int)
    out = np.asarray(draw_googly_eyes(photo, [right]), int)
    changed = np.argwhere(np.abs(out - plain).max(axis=2) > 0)
    x, y = 60 - config.SPARKLE_CENTRE[0] * 20, 55 + config.SPARKLE_CENTRE[1] * 20
    assert np.abs(out[round(y), round(x)] - config.SPARKLE_COLOUR).max() <= 20
    assert (np.hypot(changed[:, 1] + 0.5 - x, changed[:, 0] + 0.5 - y) <= config.SPARKLE_SIZE * 20 + 1.5).all()
    from dataclasses import replace
    left = np.asarray(draw_googly_eyes(photo, [replace(right, side="left", key="0:left")]), int)  # goes right
    assert np.abs(left[round(y), round(60 + config.SPARKLE_CENTRE[0] * 20)] - config.SPARKLE_COLOUR).max() <= 20


@pytest.mark.parametrize("style", config.STYLES)
def test_moving_layers_put_lid_and_sparkle_over_the_moving_pupil(style):
    from googly_eyes.render import _disc, moving_layers
    shut = marked(pupil=(50.0, 50.0))
    parts = moving_layers((100, 80), [shut], style)
    still = _composite(grey(), parts["still"])
    scale = 8
    big = still.resize((100 * scale, 80 * scale), Image.NEAREST)
    _disc(ImageDraw.Draw(big), (50 * scale, 50 * scale), 10 * scale, parts["pupil"]["colour"])
    moving = np.asarray(_composite(big.reduce(scale), parts["above"]).convert("RGB"), int)
    assert len(parts["above"]) >= 2  # the lid and the sparkle go over the pupil
    painted = np.asarray(draw_googly_eyes(grey(), [shut], style), int)
    if style != "cartoon":  # (the cartoon pupil's catch-light is left out of this hand-drawn pupil)
        diff = np.abs(moving - painted)
        assert diff.mean() < 0.5 and (diff > 48).mean() < 0.003
    # a pupil moved up under the lid is hidden by it
    big = still.resize((100 * scale, 80 * scale), Image.NEAREST)
    _disc(ImageDraw.Draw(big), (50 * scale, 30 * scale), 10 * scale, parts["pupil"]["colour"])
    hidden = np.asarray(_composite(big.reduce(scale), parts["above"]).convert("RGB"), int)
    assert np.abs(hidden[30, 50] - SKIN).max() <= 12


# ---- The eye-shaped style ---------------------------------------------------------------------------------

def shaped(tilt=0.0, pupil=(56.0, 40.0), pupil_radius=4.0, **kwargs):
    from dataclasses import replace
    return replace(eye(pupil=pupil, pupil_radius=pupil_radius, **kwargs), aspect=0.5, tilt_degrees=tilt)


def test_an_eye_shaped_eye_is_its_ellipse_white_with_a_rim_and_nothing_outside():
    out = render([shaped()], "eye_shaped")
    photo = render([], "eye_shaped")
    assert out[40, 40].min() > 200  # on the long axis, inside: white
    assert out[40, 56].max() < 60  # the pupil
    assert (out[26, 50] == photo[26, 50]).all()  # inside the disc of radius 20, above the ellipse: the photo
    assert (out[54, 50] == photo[54, 50]).all()
    assert out[30, 50].max() < 120  # the rim at the short axis' end (y = 40 - 10)
    # turned by 90 degrees the long axis runs down
    turned = render([shaped(tilt=90.0, pupil=(50.0, 46.0))], "eye_shaped")
    assert turned[25, 50].min() > 150 and (turned[40, 34] == photo[40, 34]).all()


def test_an_eye_shaped_pupil_is_clipped_to_the_white():
    # a pupil placed (by hand) half outside the ellipse: nothing of it shows outside the eye
    out = render([shaped(pupil=(50.0, 50.0), pupil_radius=6.0)], "eye_shaped")
    photo = render([], "eye_shaped")
    assert (out[54, 50] == photo[54, 50]).all()


def test_eye_shaped_moving_layers_with_the_pupil_make_the_still_picture():
    from googly_eyes.render import _disc, moving_layers
    e = shaped()
    parts = moving_layers((100, 80), [e], "eye_shaped")
    still = _composite(grey(), parts["still"])
    scale = 8
    big = still.resize((100 * scale, 80 * scale), Image.NEAREST)
    _disc(ImageDraw.Draw(big), (e.pupil_centre[0] * scale, e.pupil_centre[1] * scale), e.pupil_radius * scale,
          parts["pupil"]["colour"])
    moving = np.asarray(_composite(big.reduce(scale), parts["above"]).convert("RGB"), int)
    diff = np.abs(moving - np.asarray(draw_googly_eyes(grey(), [e], "eye_shaped"), int))
    assert diff.mean() < 0.5 and (diff > 48).mean() < 0.003

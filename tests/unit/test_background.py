"""The background: where the model runs, the people mask made sharp at any size, and what each mode does
to the pixels (only the background's change). The model itself runs in the last tests (the shipped file)."""

import io
import math
from types import SimpleNamespace

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
import pytest

from googly_eyes import config
from googly_eyes.background import (Background, PersonMask, apply_background, blur_radius, blurred_background,
                                    box_mean, convex_hull, covering, lay_back, person_regions, refine)
from googly_eyes.config import GooglySettings
from googly_eyes.gallery import Gallery, GalleryError, export_with_pillow
from googly_eyes.photo import load_photo, output_format
from googly_eyes.pipeline import process_photo
from support import FIXTURES, run

ASTRONAUT = (FIXTURES / "astronaut.jpg").read_bytes()
NO_FACE = (FIXTURES / "coffee_no_face.jpg").read_bytes()


def face_at(box, roll_degrees=0.0, mesh=None):
    return SimpleNamespace(box=np.asarray(box, float), roll_degrees=roll_degrees, mesh=mesh)


# ---- Where the model looks -------------------------------------------------------------------------

def test_the_regions_follow_each_face_down_its_body_whichever_way_the_head_is_turned():
    upright = person_regions([face_at((100, 100, 140, 140))])
    assert len(upright) == len(config.PERSON_CROPS)
    for (cx, cy, side), (drop, crop) in zip(upright, config.PERSON_CROPS):
        assert (cx, side) == pytest.approx((120, crop * 40)) and cy == pytest.approx(120 + drop * 40)
    # a head rolled 90 degrees clockwise (its eyes one above the other): "down the body" is image-left
    rolled = person_regions([face_at((100, 100, 140, 140), roll_degrees=90.0)])
    for (cx, cy, _), (drop, _) in zip(rolled, config.PERSON_CROPS):
        assert (cx, cy) == pytest.approx((120 - drop * 40, 120))
    assert person_regions([]) == []


def test_convex_hull_keeps_the_corners_in_order():
    points = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [2, 2], [1, 3], [2, 0]])
    hull = convex_hull(points)
    assert sorted(map(tuple, hull)) == [(0, 0), (0, 4), (4, 0), (4, 4)]
    x, y = hull[:, 0], hull[:, 1]
    assert 0.5 * (x @ np.roll(y, -1) - y @ np.roll(x, -1)) == pytest.approx(16)  # counter-clockwise: positive


def test_a_crops_answer_is_laid_back_where_it_came_from_keeping_the_larger_and_clipped_at_the_edges():
    merged = np.zeros((100, 100), np.float32)
    merged[0:10, 0:10] = 0.9
    lay_back(merged, np.full((4, 4), 0.5, np.float32), (10.0, 10.0, 40.0), scale=1.0)  # spans -10..30
    assert merged[0, 0] == pytest.approx(0.9) and merged[20, 20] == pytest.approx(0.5)
    assert merged[29, 29] == pytest.approx(0.5) and merged[31, 31] == 0 and merged[0, 50] == 0
    lay_back(merged, np.ones((4, 4), np.float32), (500.0, 500.0, 40.0), scale=1.0)  # outside: nothing
    assert merged.max() == pytest.approx(0.9)


def test_box_mean_is_the_window_mean_clipped_at_the_borders():
    values = np.random.default_rng(1).random((13, 17)).astype(np.float32)
    means = box_mean(values, 2)
    for y, x in ((0, 0), (6, 8), (12, 16), (3, 15)):
        window = values[max(0, y - 2):y + 3, max(0, x - 2):x + 3]
        assert means[y, x] == pytest.approx(window.mean(), abs=1e-6)


# ---- A sharp mask at any size ------------------------------------------------------------------------

def step_scene(size=(1600, 600), edge=800):
    """A bright "person" left of `edge`, a dark background right of it, with some texture."""
    rng = np.random.default_rng(0)
    pixels = np.full((size[1], size[0], 3), 40, np.float32)
    pixels[:, :edge] = 210
    pixels += rng.normal(0, 4, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def coarse_step(size, edge, offset, ramp=12.0, scale=0.5):
    """A blurry coarse mask (at `scale` of the image: a 1600-px preview's mask is 800 px) whose edge is
    `offset` image px off the true one, as a model answer at 256 px is."""
    width, height = round(size[0] * scale), round(size[1] * scale)
    xs = (np.arange(width) + 0.5) / scale
    profile = np.clip(0.5 - (xs - (edge + offset)) / ramp, 0, 1)
    return PersonMask(np.round(np.tile(profile, (height, 1)) * 255).astype(np.uint8), [])


def edge_of(alpha_row: np.ndarray) -> int:
    return int(np.argmax(alpha_row < 128))


@pytest.mark.parametrize("offset", [-4, 0, 4])
def test_refine_moves_a_blurry_mask_onto_the_photos_own_edge_without_a_halo(offset):
    image = step_scene()
    mask = coarse_step(image.size, 800, offset)
    alpha = np.asarray(refine(mask, image))
    assert alpha.shape == (600, 1600)
    plain = np.asarray(Image.fromarray(mask.coarse).resize(image.size, Image.Resampling.BILINEAR))
    for y in range(10, 600, 40):
        assert abs(edge_of(alpha[y]) - 800) <= 1  # on the photo's edge
        assert abs(edge_of(plain[y]) - (800 + offset)) <= 1  # where the model put it
    # no halo: nothing of the old background is kept beyond the edge, the person is whole up to it
    assert alpha[:, 802:].max() <= 12 and alpha[:, :798].min() >= 243
    soft = ((alpha > 12) & (alpha < 243)).sum(axis=1).mean()
    soft_plain = ((plain > 12) & (plain < 243)).sum(axis=1).mean()
    assert soft <= 2 < soft_plain


def test_refine_makes_every_face_outline_person_whatever_the_model_said():
    image = step_scene()
    mask = PersonMask(np.zeros((300, 800), np.uint8), [np.array([[500.0, 100.0], [600.0, 100.0], [550.0, 200.0]])])
    alpha = np.asarray(refine(mask, image))  # the outline is in mask px: x 2 in image px
    assert alpha[250, 1100] == 255 and alpha[210, 1100] == 255 and alpha[250, 400] == 0
    assert mask.has_people and not PersonMask(np.zeros((5, 5), np.uint8), []).has_people


def test_refine_works_in_strips_that_join_seamlessly():
    image = step_scene((800, 1400), 400)  # several strips tall
    alpha = np.asarray(refine(coarse_step(image.size, 400, -3), image))
    assert (alpha[:, :398] == 255).all() and (alpha[:, 402:] <= 12).all()
    assert {edge_of(row) for row in alpha} == {400}  # every row of every strip: the edge at the same place


# ---- What the background becomes ---------------------------------------------------------------------

@pytest.fixture
def scene():
    image = step_scene()
    return image, coarse_step(image.size, 800, 0)


def changed(before: Image.Image, after: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(before.convert("RGB"), int) - np.asarray(after.convert("RGB"), int)).max(axis=2) > 0


@pytest.mark.parametrize("mode", ["blur", "colour", "photo", "remove"])
def test_each_mode_changes_only_the_background(scene, mode):
    image, mask = scene
    picture = Image.new("RGB", (50, 80), (10, 20, 250))
    result = apply_background(image, mask, Background(mode, (255, 0, 255), picture))
    person, behind = np.s_[:, :795], np.s_[:, 805:]
    if mode == "remove":
        assert result.mode == "RGBA"
        alpha = np.asarray(result.getchannel("A"))
        assert (alpha[person] == 255).all() and (alpha[behind] == 0).all()
        assert not changed(image, result)[person].any()
        return
    assert result.mode == "RGB" and result.size == image.size
    difference = changed(image, result)
    assert not difference[person].any()  # the person: every pixel as it was
    pixels = np.asarray(result)[behind]
    if mode == "colour":
        assert (pixels == (255, 0, 255)).all()
    elif mode == "photo":
        assert (pixels == (10, 20, 250)).all()
    else:  # blur: the texture goes, the dark background stays dark (the bright person does not glow into it)
        assert difference[behind].mean() > 0.3 and pixels.max() < 60
        assert np.asarray(result, float)[behind].std() < np.asarray(image, float)[behind].std() / 3


def test_blur_leaves_the_people_out_of_the_background(scene):
    image, mask = scene
    ours = np.asarray(blurred_background(image, refine(mask, image)), float)
    plain = np.asarray(image.filter(ImageFilter.GaussianBlur(blur_radius(image.size))), float)
    # just right of the person: a plain blur is lit by them, ours keeps the background's own colour
    assert plain[300, 806].mean() > 80 and ours[300, 806].mean() < 50


def test_keep_without_people_or_without_a_mask_leaves_the_photo_as_it_is(scene):
    image, mask = scene
    assert apply_background(image, mask, Background("keep")) is image
    assert apply_background(image, None, Background("blur")) is image
    nobody = PersonMask(np.zeros_like(mask.coarse), [])
    assert apply_background(image, nobody, Background("remove")) is image


def test_a_picture_covers_the_photo_centred_without_stretching():
    picture = Image.new("RGB", (100, 50), (0, 0, 0))
    ImageDraw.Draw(picture).rectangle((25, 0, 74, 49), fill=(255, 255, 255))  # white middle half
    covered = covering(picture, (60, 60))  # the picture's height fits, its sides are cut
    assert covered.size == (60, 60)
    assert min(covered.getpixel((2, 30))) > 200 and min(covered.getpixel((57, 30))) > 200


def test_a_removed_background_is_never_a_jpeg(scene):
    photo = load_photo(ASTRONAUT, "astronaut.jpg")
    assert output_format(photo, "auto")[0] == "JPEG"
    assert output_format(photo, "auto", transparent=True)[0] == "PNG"
    assert output_format(photo, "jpeg", transparent=True)[0] == "PNG"
    assert output_format(photo, "webp", transparent=True)[0] == "WEBP"


# ---- With the model ------------------------------------------------------------------------------------

def face_box_share(alpha: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    return float((alpha[y0:y1, x0:x1] > 127).mean())


def inner(box, margin=0.2):
    """The middle of a face box: the face itself (a box's corners can be background, beside the chin)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    return np.s_[round(y0 + dy):round(y1 - dy), round(x0 + dx):round(x1 - dx)]


def test_the_model_finds_the_astronaut_and_leaves_a_photo_without_people_alone(models):
    photo = load_photo(ASTRONAUT, "astronaut.jpg")
    gallery = Gallery(models)
    run(gallery.analyse("a", ASTRONAUT, "astronaut.jpg", {}))
    run(gallery.prepare_background("a", {"settings": {"background": "blur"}}))
    mask = gallery.kept["a"].mask
    alpha = np.asarray(refine(mask, photo.image))
    face = gallery.kept["a"].faces[0]
    assert face_box_share(alpha, face.box) >= 0.9 and alpha[inner(face.box)].min() == 255
    share = (alpha > 127).mean()
    assert 0.25 < share < 0.8  # a portrait: a person and a background, neither all of it
    assert alpha[5, 5] == 0 and alpha[5, 506] == 0  # the top corners are the background (sky-blue wall, flag)
    run(gallery.analyse("c", NO_FACE, "coffee.jpg", {}))
    run(gallery.prepare_background("c", {"settings": {"background": "remove"}}))
    assert not gallery.kept["c"].mask.has_people
    rendered = gallery.render("c", {"settings": {"background": "remove"}})
    assert rendered["people"] == 0 and Image.open(io.BytesIO(rendered["preview"])).mode == "RGB"


def test_the_gallery_changes_only_background_pixels_of_the_preview_and_the_download(models):
    gallery = Gallery(models)
    kept = {"settings": {"seed": 1}}
    blur = {"settings": {"seed": 1, "background": "blur"}}
    run(gallery.analyse("a", ASTRONAUT, "astronaut.jpg", kept))
    with pytest.raises(GalleryError, match="not ready"):
        gallery.render("a", blur)  # prepare_background first: the worker does
    run(gallery.prepare_background("a", blur))
    before = Image.open(io.BytesIO(gallery.render("a", kept)["preview"])).convert("RGB")
    after = Image.open(io.BytesIO(gallery.render("a", blur)["preview"])).convert("RGB")
    face = gallery.kept["a"].faces[0]
    difference = np.abs(np.asarray(before, int) - np.asarray(after, int)).max(axis=2)
    assert difference[inner(face.box)].max() <= 8  # the face: as it was (JPEG noise aside)
    assert difference[:60].mean() > 3  # the top of the photo: blurred
    # the download, at full size, transparent where the background was
    remove = {"settings": {"seed": 1, "background": "remove"}}
    plan = gallery.plan_export("a", remove, {})
    assert (plan.pil_format, plan.download_name) == ("PNG", "astronaut.googly.png")
    png = Image.open(io.BytesIO(export_with_pillow(ASTRONAUT, plan, {})))
    assert png.mode == "RGBA" and png.size == (512, 512)
    alpha = np.asarray(png.getchannel("A"))
    assert alpha[:10].max() == 0 and alpha[:100, :150].max() == 0 and alpha[inner(face.box)].min() == 255
    # a photo background needs the photo
    with pytest.raises(GalleryError, match="no background photo"):
        run(gallery.prepare_background("a", {"settings": {"background": "photo"}}))
    gallery.set_picture(NO_FACE, "coffee.jpg")
    run(gallery.prepare_background("a", {"settings": {"background": "photo"}}))
    swapped = Image.open(io.BytesIO(gallery.render("a", {"settings": {"background": "photo"}})["preview"]))
    assert swapped.size == (512, 512)


def test_the_pipeline_and_an_animation_carry_the_background(models):
    result = run(process_photo(ASTRONAUT, "astronaut.jpg", models, GooglySettings(background="colour",
                                                                                   background_colour="#ff00ff")))
    assert result.image.getpixel((3, 3)) == (255, 0, 255) and "segment" in result.timings_ms
    data, mime, name = result.encode()
    assert mime == "image/jpeg"
    removed = run(process_photo(ASTRONAUT, "astronaut.jpg", models, GooglySettings(background="remove")))
    assert removed.encode()[1] == "image/png" and removed.image.getpixel((3, 3))[3] == 0
    gallery = Gallery(models)
    view = {"settings": {"background": "remove"}}
    run(gallery.analyse("a", ASTRONAUT, "astronaut.jpg", view))
    run(gallery.prepare_background("a", view))
    plan = gallery.plan_animation("a", view, {"size": 360})
    frame = plan.backdrop(load_photo(ASTRONAUT, "astronaut.jpg").image.resize(plan.size).convert("RGBA"))
    assert frame.getpixel((2, 2))[:3] == (255, 255, 255)  # no transparency in an animation: white
    assert math.isclose(plan.size[0], 360)


# ---- The eyes' mask ("Download all" with eye masks) ----------------------------------------------------

def test_the_eye_mask_fills_each_visible_eyes_outline(models):
    from googly_eyes.pipeline import analyse_photo, eye_mask, eye_mask_png

    analysis = run(analyse_photo(ASTRONAUT, "astronaut.jpg", models))
    face = analysis.faces[0]
    mask = eye_mask((512, 512), analysis.faces)
    assert mask.mode == "1" and mask.size == (512, 512)
    pixels = np.asarray(mask.convert("L")) > 0
    for eye in (face.right, face.left):
        x, y = np.asarray(eye.outline, float).T
        area = 0.5 * abs(x @ np.roll(y, -1) - y @ np.roll(x, -1))
        cx, cy = eye.centre
        blob = pixels[round(cy) - 25:round(cy) + 25, round(cx) - 25:round(cx) + 25]
        assert pixels[int(cy), int(cx)] and abs(blob.sum() - area) <= 0.25 * area + 20
    assert pixels.sum() < 0.02 * pixels.size
    hidden = [SimpleNamespace(right=face.right, left=__import__("dataclasses").replace(face.left, visible=False))]
    assert (np.asarray(eye_mask((512, 512), hidden).convert("L")) > 0).sum() < pixels.sum()
    assert Image.open(io.BytesIO(eye_mask_png((512, 512), analysis.faces))).size == (512, 512)


def test_a_changed_background_is_made_once_per_look_while_the_eyes_change(models, monkeypatch):
    from googly_eyes import gallery as gallery_module

    made = []
    real = gallery_module.apply_background
    monkeypatch.setattr(gallery_module, "apply_background", lambda *args: made.append(args[2].mode) or real(*args))
    gallery = Gallery(models)
    run(gallery.analyse("a", ASTRONAUT, "astronaut.jpg", {}))
    blur = {"background": "blur"}
    run(gallery.prepare_background("a", {"settings": blur}))
    for gamma in (0.4, 0.5, 0.6):  # a slider moving: the blur is not made again
        gallery.render("a", {"settings": {**blur, "gamma": gamma}})
    gallery.moving("a", {"settings": blur})
    assert made == ["blur"]
    gallery.render("a", {"settings": {"background": "colour"}})
    gallery.render("a", {"settings": {"background": "colour", "background_colour": "#123456"}})
    assert made == ["blur", "colour", "colour"]
    gallery.forget("a")
    assert not gallery.backgrounds

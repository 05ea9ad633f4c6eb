"""The gallery: what the page's worker does with each photo, here in CPython with the real models."""

import io
import json
import math
import re

from PIL import Image
import pytest

from googly_eyes import config
from googly_eyes.config import GooglySettings
from googly_eyes.gallery import Gallery, GalleryError, export_with_pillow, failure, new_eye_size, timed
from googly_eyes.googly import GooglyEye
from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import process_photo
from support import FIXTURES, REPO, run

ASTRONAUT = (FIXTURES / "astronaut.jpg").read_bytes()
NO_FACE = (FIXTURES / "coffee_no_face.jpg").read_bytes()
VIEW = {"settings": {"seed": 3, "style": "glossy"}, "edits": {}}


@pytest.fixture
def gallery(models):
    return Gallery(models)


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_analyse_answers_previews_faces_eyes_and_timings(gallery):
    answer = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    assert answer["name"] == "astronaut.jpg" and answer["downloadName"] == "astronaut.googly.jpg"
    assert (answer["width"], answer["height"]) == decoded(ASTRONAUT).size and answer["orientation"] == 1
    assert answer["previewMime"] == answer["originalMime"] == "image/jpeg"
    assert decoded(answer["preview"]).size == decoded(answer["original"]).size == decoded(ASTRONAUT).size
    assert len(answer["faces"]) == 1 and answer["googlyEyes"] == len(answer["eyes"]) == 2
    assert {eye["key"] for eye in answer["eyes"]} == {"0:right", "0:left"}
    assert set(answer["timings"]) == {"decode", "detect", "locate", "preview", "render", "encode"}
    # the preview the page shows is the one the pipeline paints for the same look, JPEG-encoded
    painted = run(process_photo(ASTRONAUT, "astronaut.jpg", gallery.models, GooglySettings(seed=3, style="glossy")))
    assert [eye["centre"] for eye in answer["eyes"]] == [eye.as_dict()["centre"] for eye in painted.eyes]


def test_render_follows_the_look_and_the_edits(gallery):
    first = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    moved = gallery.render("p1", {"settings": VIEW["settings"], "edits": {"eyes": {"0:left": {"deleted": True}}}})
    assert [eye["key"] for eye in moved["eyes"]] == ["0:right"]
    bigger = gallery.render("p1", {"settings": {**VIEW["settings"], "gamma": 1.0}, "edits": {}})
    assert bigger["eyes"][0]["radius"] == pytest.approx(2 * first["eyes"][0]["radius"], rel=1e-3)
    assert bigger["preview"] != first["preview"] and set(bigger["timings"]) == {"render", "encode"}


def test_a_preview_let_go_is_asked_for_and_decoded_again(models):
    gallery = Gallery(models, previews_kept=1)
    first = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    run(gallery.analyse("p2", NO_FACE, "coffee.jpg", VIEW))
    assert gallery.memory() == {"photos": 2, "previews": 1, "masks": 0}
    with pytest.raises(GalleryError) as gone:
        gallery.render("p1", VIEW)
    assert gone.value.code == "preview-gone" and "astronaut.jpg" in gone.value.message
    again = gallery.render("p1", VIEW, ASTRONAUT)
    assert again["eyes"] == first["eyes"] and gallery.memory() == {"photos": 2, "previews": 1, "masks": 0}



def test_previews_are_kept_within_a_byte_budget_the_newest_always(models):
    # astronaut.jpg is 512 x 512: 1 MB of preview at Pillow's 4 bytes a pixel
    gallery = Gallery(models, previews_kept=24, preview_bytes_kept=2_500_000)
    for index in range(4):
        run(gallery.analyse(f"p{index}", ASTRONAUT, "astronaut.jpg", VIEW))
    assert list(gallery.previews) == ["p2", "p3"] and gallery.preview_bytes() == 2 * 512 * 512 * 4
    tiny = Gallery(models, previews_kept=24, preview_bytes_kept=1)
    run(tiny.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    assert list(tiny.previews) == ["p1"]  # the photo being looked at keeps its preview

def test_unknown_or_forgotten_photos_and_bad_looks_fail_plainly(gallery):
    with pytest.raises(GalleryError) as unknown:
        gallery.render("nope", VIEW)
    assert unknown.value.as_dict()["code"] == "not-loaded"
    run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    with pytest.raises(ValueError, match="gamma"):
        gallery.render("p1", {"settings": {"gamma": 50}})
    gallery.forget("p1")
    assert gallery.memory() == {"photos": 0, "previews": 0, "masks": 0}
    with pytest.raises(GalleryError):
        gallery.plan_export("p1", VIEW, {})
    with pytest.raises(PhotoError) as empty:
        run(gallery.analyse("p2", b"", "empty.jpg", VIEW))
    assert empty.value.code == "empty-file" and "p2" not in gallery.kept


def test_export_with_pillow_is_the_full_resolution_photo(gallery):
    run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    plan = gallery.plan_export("p1", VIEW, {"format": "png"})
    assert (plan.mime, plan.download_name, plan.quality) == ("image/png", "astronaut.googly.png", config.JPEG_QUALITY)
    timings = {}
    data = export_with_pillow(ASTRONAUT, plan, timings)
    expected = run(process_photo(ASTRONAUT, "astronaut.jpg", gallery.models, GooglySettings(seed=3, style="glossy")))
    assert decoded(data).tobytes() == expected.image.tobytes()
    answer = plan.answer("pillow", timings)
    assert set(answer["timings"]) == {"decode", "render", "encode"} and answer["path"] == "pillow"
    assert json.loads(answer["json"]) == json.loads(json.dumps(expected.detections()))


def test_a_photo_analysed_again_turned_has_its_faces_renders_and_download_turned(gallery):
    upright = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    width, height = upright["width"], upright["height"]
    turned = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW, turn=1))
    assert (turned["width"], turned["height"], turned["turn"]) == (height, width, 1)
    assert gallery.memory()["photos"] == 1 and len(turned["faces"]) == 1
    # found again in the turned photo: each eye where turning the upright eye puts it ((x, y) -> (h - y, x)),
    # and the subject's right eye is still the right one
    for before, after in zip(upright["eyes"], turned["eyes"]):
        x, y = before["centre"]
        assert before["side"] == after["side"]
        assert after["centre"] == pytest.approx([height - y, x], abs=0.02 * width)
    assert decoded(turned["preview"]).size == (height, width)
    plan = gallery.plan_export("p1", VIEW, {"format": "png"})
    assert plan.photo.size == (height, width) and plan.detections()["images"][0]["rotated_by_hand_degrees"] == 90
    data = export_with_pillow(ASTRONAUT, plan, {})
    assert decoded(data).size == (height, width)
    # a preview let go is decoded again turned
    gallery.previews.clear()
    assert decoded(gallery.render("p1", VIEW, ASTRONAUT)["preview"]).size == (height, width)


def test_failures_have_one_shape_and_say_what_to_do():
    photo_error = PhotoError("corrupt", "x.jpg could not be decoded.", "Export it again.")
    assert failure(photo_error) == {"code": "corrupt", "message": "x.jpg could not be decoded.", "hint": "Export it again."}
    bug = failure(KeyError("faces"), "holiday.jpg")
    assert bug["code"] == "internal" and "holiday.jpg" in bug["message"] and "KeyError" in bug["message"]
    assert set(bug) == typedef_fields("Failure")


def test_timed_records_even_when_the_block_fails():
    timings = {}
    with pytest.raises(RuntimeError), timed(timings, "decode"):
        raise RuntimeError("boom")
    assert timings["decode"] >= 0


def eye(radius: float) -> GooglyEye:
    return GooglyEye(0, "right", "0:right", (0.0, 0.0), radius, (0.0, 0.0), radius / 2, 0.0)


def test_a_new_eye_is_sized_like_the_photos_and_a_pair_spaced_like_a_face():
    settings = GooglySettings(gamma=0.5)
    assert new_eye_size([eye(10), eye(30), eye(20)], (800, 600), settings) == {"radius": 20, "pairOffset": 40}
    assert new_eye_size([eye(10), eye(30)], (800, 600), settings)["radius"] == 30  # the higher middle
    # radius = gamma * eye_distance / 2: a pair of radius-20 eyes is 2 * 20 / gamma apart
    assert new_eye_size([], (800, 600), GooglySettings(gamma=1.0)) == {
        "radius": config.ADDED_EYE_FRACTION * 600, "pairOffset": config.ADDED_EYE_FRACTION * 600}


# ---- The protocol: web/protocol.js declares every field the Python side answers ------------------

def typedef_fields(name: str) -> set[str]:
    """The @property names of one @typedef block in web/protocol.js."""
    source = (REPO / "web" / "protocol.js").read_text()
    blocks = re.findall(r"/\*\*(.*?)\*/", source, re.S)
    for block in blocks:
        if re.search(r"@typedef \{object\} " + name + r"\b", block):
            section = block.split("@typedef {object} " + name, 1)[1].split("@typedef", 1)[0]
            return set(re.findall(r"@property \{[^}]*\} \[?(\w+)", section))
    raise AssertionError(f"web/protocol.js has no @typedef {{object}} {name}")


def test_the_answers_have_exactly_the_fields_protocol_js_declares(gallery):
    analysed = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    rendered = gallery.render("p1", VIEW)
    plan = gallery.plan_export("p1", VIEW, {})
    exported = {"ok": True, "image": b"", **plan.answer("canvas", {})}
    assert {"ok", *rendered} == typedef_fields("RenderAnswer") - {"people"}  # only with a changed background
    blurred = {"settings": {"background": "blur"}}
    run(gallery.prepare_background("p1", blurred))
    assert {"ok", *gallery.render("p1", blurred)} == typedef_fields("RenderAnswer")
    assert {"ok", *gallery.set_picture(ASTRONAUT, "astronaut.jpg")} == typedef_fields("BackgroundPhotoAnswer")
    assert {"ok", *analysed} == typedef_fields("RenderAnswer") - {"people"} | typedef_fields("AnalyseExtra")
    assert set(exported) == typedef_fields("ExportAnswer") - {"eyeMask"}  # only when asked for
    with_mask = gallery.plan_export("p1", VIEW, {"eye_mask": True}).answer("canvas", {})
    assert {"ok", "image", *with_mask} == typedef_fields("ExportAnswer")
    assert set(rendered["newEye"]) == typedef_fields("NewEye")
    optional = {"lid", "sparkle", "aspect", "tilt_degrees"}  # only on eyes the expressions change (this smiling
    # face's have a sparkle) and eye-shaped eyes
    assert typedef_fields("EditorEye") - optional <= set(rendered["eyes"][0]) <= typedef_fields("EditorEye")
    assert rendered["eyes"][0]["sparkle"] is True
    assert set(analysed["faces"][0]) == typedef_fields("OverlayFace")
    assert set(analysed["faces"][0]["eyes"][0]) == typedef_fields("OverlayEye")
    assert {"ok", "wasm_bytes", "malloc_bytes", *gallery.memory()} == typedef_fields("MemoryAnswer")
    moving = gallery.moving("p1", VIEW)
    assert {"ok", *moving} == typedef_fields("MovingAnswer")
    assert set(moving["above"][0]) == typedef_fields("AboveLayer")  # glossy: a highlight over each pupil
    assert set(moving["eyes"][0]) == typedef_fields("MovingEye")
    animated = {"ok": True, "image": b"", **gallery.plan_animation("p1", VIEW, {}).answer("gif", {})}
    assert set(animated) == typedef_fields("AnimateAnswer")
    assert set(GalleryError("c", "m", "h").as_dict()) == typedef_fields("Failure")


def test_moving_gives_the_preview_without_pupils_and_the_physics_that_moves_them(gallery):
    analysed = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    moving = gallery.moving("p1", VIEW)
    base = decoded(moving["base"]).convert("RGB")
    assert base.size == (moving["width"], moving["height"]) == decoded(analysed["preview"]).size
    for eye, start in zip(moving["eyes"], moving["start"]):
        x, y = eye["centre"]
        px, py = x + start[0] * eye["radius"], y + start[1] * eye["radius"]
        assert min(base.getpixel((round(px), round(py)))) > 200  # white where the still pupil is
        assert math.hypot(*start) <= 1 - eye["pupilRadius"] / eye["radius"] + 1e-9
    assert [eye["key"] for eye in moving["eyes"]] == [eye["key"] for eye in analysed["eyes"]]
    assert len(moving["params"]) == 2 and moving["params"][0] != moving["params"][1]
    assert moving["physics"]["stepHz"] == 600 and moving["look"]["colour"] == "#0c0c0c"


def test_an_animation_plan_is_the_size_asked_for_and_records_its_motion(gallery):
    run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW))
    plan = gallery.plan_animation("p1", VIEW, {"size": 360, "seconds": 1, "format": "mp4", "motion": "nod"})
    assert plan.size == (360, 360) and plan.animation.frames == 30
    assert len(plan.centres(0)) == 4 and plan.centres(0) != plan.centres(15)
    answer = plan.answer("webm", {})
    assert answer["downloadName"] == "astronaut.googly.webm" and answer["mime"] == "video/webm"
    notes = json.loads(answer["json"])["images"][0]["animation"]
    assert notes["motion"] == "nod" and notes["eye_keys"] == ["0:right", "0:left"] and notes["width"] == 360
    # never bigger than the photo (512 px), always even
    assert gallery.plan_animation("p1", VIEW, {"size": 1080}).size == (512, 512)
    with pytest.raises(ValueError):
        gallery.plan_animation("p1", VIEW, {"size": 100})


def test_a_photo_without_googly_eyes_says_there_is_nothing_to_move(gallery):
    run(gallery.analyse("p2", NO_FACE, "coffee.jpg", VIEW))
    with pytest.raises(GalleryError) as nothing:
        gallery.plan_animation("p2", VIEW, {})
    assert nothing.value.code == "no-eyes" and "coffee.jpg" in nothing.value.message
    added = {"settings": VIEW["settings"], "edits": {"added": [{"key": "a1", "centre": [50, 50], "radius": 20}]}}
    assert gallery.plan_animation("p2", added, {"size": 360}).frames.positions.shape[1] == 1


def test_a_photos_first_googly_eyes_come_early_with_the_fields_protocol_js_declares(gallery):
    early = []

    async def post(answer):
        early.append(answer)

    final = run(gallery.analyse("p1", ASTRONAUT, "astronaut.jpg", VIEW, early=post))
    [first] = early
    assert {"ok", *first} == typedef_fields("EarlyAnswer")
    assert first["id"] == "p1" and first["googlyEyes"] == 2 and len(first["faces"]) == 1
    assert decoded(first["preview"]).size == decoded(final["preview"]).size
    assert [eye["key"] for eye in first["eyes"]] == [eye["key"] for eye in final["eyes"]]
    assert "early" in final["timings"]

"""The whole pipeline with the real shipped detector (onnxruntime) on real photos."""

import io
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from support import FACES_DEV, FIXTURES, SCORER, run
from googly_eyes.config import GooglySettings
from googly_eyes.pipeline import analyse_photo, preview_of, process_photo, render_googly

GROUP_PHOTOS = ["images/afw_4285163979.jpg", "images/afw_18489332.jpg", "images/afw_1130084326.jpg",
                "images/afw_2086996835.jpg"]


def eye_error(face, truth) -> float:
    distance = math.dist(truth["right_eye"], truth["left_eye"])
    return max(math.dist(face["right_eye"], truth["right_eye"]), math.dist(face["left_eye"], truth["left_eye"])) / distance


@pytest.fixture(scope="module")
def dev_predictions(models, faces_dev):
    """The pipeline's "Download JSON" entry for every dev photo, as is (the slowest part of the unit tests)."""
    return {image["file"]: run(process_photo((FACES_DEV / image["file"]).read_bytes(), image["file"], models))
            .detections()["images"][0] for image in faces_dev["images"]}


# Floors well under what the shipped pipeline measures (scripts/evaluate.py --score): on faces with
# eyes >= 80 px apart all 37 get googly eyes within e <= 0.25; at 40-80 px, 73%. The detector's own
# keypoints are coarse on small faces (its input is the whole photo at 192 px); issue 3 refines them.
@pytest.mark.parametrize("low, high, floor", [(80, math.inf, 0.9), (40, 80, 0.55)])
def test_googly_eyes_land_on_the_annotated_eyes(dev_predictions, faces_dev, low, high, floor):
    hits = total = 0
    for image in faces_dev["images"]:
        for truth in image["faces"]:
            if truth.get("ignore") or not truth.get("eyes_visible", True) or truth.get("right_eye") is None \
                    or truth.get("eyes_uncertain"):
                continue
            if not low <= math.dist(truth["right_eye"], truth["left_eye"]) < high:
                continue
            total += 1
            errors = [eye_error(face, truth) for face in dev_predictions[image["file"]]["faces"]]
            hits += bool(errors) and min(errors) <= 0.25
    assert total >= 30
    assert hits / total >= floor, f"{hits}/{total} faces with eyes {low}-{high} px apart within e <= 0.25"


def test_photos_of_animals_get_no_googly_eyes(models, faces_dev):
    negatives = [image["file"] for image in faces_dev["images"] if not image["faces"]]
    assert len(negatives) >= 3
    for file in negatives:
        result = run(process_photo((FACES_DEV / file).read_bytes(), file, models))
        assert result.faces == [], file


# Eight dev photos: crowds, small faces, sunglasses, a rolled head, and an animal-only photo.
EVALUATION_PHOTOS = GROUP_PHOTOS + ["images/afw_4538917191.jpg", "images/afw_2805422179.jpg",
                                    "images/afw_237815567.jpg"]
# Floors well under the targets (recall 0.95, precision 0.97, e<=0.10 0.90, e<=0.05 0.60) and under
# what the shipped pipeline measures on all of faces-dev (scripts/evaluate.py --score): a regression
# trips them, the ordinary variation between photos does not.
FLOORS = {"recall": 0.85, "precision": 0.9, "e<=0.10": 0.75, "e<=0.05": 0.45}


def test_evaluation_on_dev_photos_stays_above_its_floors(dev_predictions, faces_dev, tmp_path):
    negatives = [image["file"] for image in faces_dev["images"] if not image["faces"]][:1]
    subset = {"images": [image for image in faces_dev["images"] if image["file"] in EVALUATION_PHOTOS + negatives]}
    assert len(subset["images"]) == len(EVALUATION_PHOTOS) + 1
    gt_path, pred_path, metrics_path = tmp_path / "gt.json", tmp_path / "pred.json", tmp_path / "metrics.json"
    gt_path.write_text(json.dumps(subset))
    predictions = {"images": [dev_predictions[image["file"]] for image in subset["images"]]}
    pred_path.write_text(json.dumps(predictions))
    subprocess.run([sys.executable, str(SCORER), str(gt_path), str(pred_path), "--json", str(metrics_path)],
                   check=True, capture_output=True)
    metrics = json.loads(metrics_path.read_text())
    eyes = metrics["eyes_all_visible"]
    measured = {"recall": metrics["recall"], "precision": metrics["precision"],
                "e<=0.10": eyes["e<=0.10"], "e<=0.05": eyes["e<=0.05"]}
    assert all(measured[key] >= floor for key, floor in FLOORS.items()), measured
    assert metrics["duplicates"] == 0 and metrics["fp_on_negative_images"] == 0, metrics


def test_same_seed_same_picture_other_seed_other_picture(models, faces_dev):
    data = (FACES_DEV / GROUP_PHOTOS[0]).read_bytes()
    first = run(process_photo(data, "a.jpg", models, GooglySettings(seed=3)))
    again = run(process_photo(data, "a.jpg", models, GooglySettings(seed=3)))
    other = run(process_photo(data, "a.jpg", models, GooglySettings(seed=4)))
    assert first.faces and np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))


def test_rotated_phone_photo_gets_eyes_where_the_user_sees_the_face(models, faces_dev):
    """The same photo stored sideways with EXIF orientation 6 must give the same faces, upright."""
    upright = Image.open(FACES_DEV / GROUP_PHOTOS[0]).convert("RGB")
    stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)  # what a phone writes; EXIF says rotate back
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored_sideways.save(buffer, "JPEG", quality=95, exif=exif)
    sideways = run(process_photo(buffer.getvalue(), "phone.jpg", models))
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=95)
    straight = run(process_photo(buffer.getvalue(), "straight.jpg", models))
    assert sideways.image.size == upright.size
    assert len(sideways.faces) == len(straight.faces) >= 3
    for a, b in zip(sideways.faces, straight.faces):
        assert np.abs(a.right_eye - b.right_eye).max() < 3 and np.abs(a.left_eye - b.left_eye).max() < 3


def test_encoded_download_is_full_size(models, faces_dev):
    result = run(process_photo((FACES_DEV / GROUP_PHOTOS[1]).read_bytes(), "group.jpg", models))
    data, mime, name = result.encode()
    decoded = Image.open(io.BytesIO(data))
    assert (mime, name, decoded.size) == ("image/jpeg", "group.googly.jpg", result.photo.size)


# ---- Committed fixtures (public domain / CC0, see tests/fixtures/README.md): always run. ----

def test_single_face_gets_two_googly_eyes_on_its_eyes(models):
    result = run(process_photo((FIXTURES / "astronaut.jpg").read_bytes(), "astronaut.jpg", models))
    assert len(result.faces) == 1 and len(result.eyes) == 2
    right, left = result.faces[0].right_eye, result.faces[0].left_eye
    # Hand-marked eye centres (approximate, tests/fixtures/README.md): (201, 103) and (246, 103).
    distance = math.dist((201, 103), (246, 103))
    assert math.dist(right, (201, 103)) < 0.25 * distance and math.dist(left, (246, 103)) < 0.25 * distance


def test_exif_rotated_fixture_matches_the_upright_one(models):
    upright = run(process_photo((FIXTURES / "astronaut.jpg").read_bytes(), "a.jpg", models))
    rotated = run(process_photo((FIXTURES / "astronaut_exif_orientation6.jpg").read_bytes(), "b.jpg", models))
    assert rotated.photo.orientation == 6 and rotated.photo.size == upright.photo.size
    assert len(rotated.faces) == 1
    assert math.dist(rotated.faces[0].right_eye, upright.faces[0].right_eye) < 3
    assert math.dist(rotated.faces[0].left_eye, upright.faces[0].left_eye) < 3


@pytest.mark.parametrize("name", ["chelsea_cat.jpg", "coffee_no_face.jpg"])
def test_no_googly_eyes_on_a_cat_or_a_cup(models, name):
    result = run(process_photo((FIXTURES / name).read_bytes(), name, models))
    assert result.faces == [] and result.eyes == []
    assert np.array_equal(np.asarray(result.image), np.asarray(result.photo.image))


def test_preview_render_matches_the_full_render_scaled_down(models):
    """The editor's preview places the same googly eyes as the download, only smaller."""
    data = (FIXTURES / "astronaut.jpg").read_bytes()
    analysis = run(analyse_photo(data, "a.jpg", models))
    settings = GooglySettings(style="cartoon", seed=5)
    full, full_eyes = render_googly(analysis.photo.image, analysis.faces, settings)
    preview, scale = preview_of(analysis.photo, max_side=256)
    assert preview.size == (256, 256) and scale == 0.5
    small, small_eyes = render_googly(preview, analysis.faces, settings, scale=scale)
    assert [eye.as_dict() for eye in small_eyes] == [eye.as_dict() for eye in full_eyes]  # photo pixels
    shrunk = np.asarray(full.resize(small.size, Image.Resampling.BILINEAR, reducing_gap=2.0), dtype=float)
    assert np.abs(shrunk - np.asarray(small, dtype=float)).mean() < 3.0


def test_hand_edits_reach_the_download_and_its_json(models):
    data = (FIXTURES / "astronaut.jpg").read_bytes()
    edits = {"eyes": {"0:left": {"deleted": True}, "0:right": {"centre": [100.0, 120.0], "radius": 30.0}},
             "added": [{"key": "a1", "centre": [400.0, 400.0], "radius": 25.0}]}
    result = run(process_photo(data, "a.jpg", models, GooglySettings(pupil_mode="gravity"), edits))
    document = result.detections()
    image = document["images"][0]
    assert set(image["faces"][0]["googly_eyes"]) == {"right"}
    assert image["faces"][0]["googly_eyes"]["right"]["centre"] == [100.0, 120.0]
    assert image["added_googly_eyes"][0]["centre"] == [400.0, 400.0]
    assert image["edits"] == edits and document["settings"]["pupil_mode"] == "gravity"
    # The added eye is painted: white at its top (gravity keeps the pupil at the bottom).
    assert result.image.getpixel((400, 382)) == (255, 255, 255)


def test_a_big_photo_is_analysed_on_a_reduced_copy_and_painted_at_full_size(models, tmp_path):
    """A photo over ANALYSIS_MAX_PIXELS: found on a copy decoded at a smaller scale, googly eyes on the
    same eyes as on the photo analysed whole, painted on the full-size photo."""
    big = Image.open(FIXTURES / "astronaut.jpg").resize((2048, 2048), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=92)
    data = buffer.getvalue()
    reduced = run(analyse_photo(data, "big.jpg", models, max_pixels=1_100_000))
    whole = run(analyse_photo(data, "big.jpg", models, max_pixels=10_000_000))
    assert reduced.photo.image.size == (1024, 1024) and reduced.photo.size == (2048, 2048)
    assert whole.photo.image.size == (2048, 2048)
    assert len(reduced.faces) == len(whole.faces) == 1
    distance = math.dist(whole.faces[0].right_eye, whole.faces[0].left_eye)
    for side in ("right_eye", "left_eye"):
        assert math.dist(getattr(reduced.faces[0], side), getattr(whole.faces[0], side)) < 0.05 * distance
    preview, scale = preview_of(reduced.photo, max_side=512)
    assert preview.size == (512, 512) and scale == 0.25
    result = run(process_photo(data, "big.jpg", models))
    assert result.image.size == (2048, 2048)


# ---- Results that arrive early -------------------------------------------------------------------------

def test_the_whole_photos_faces_come_first_and_the_result_is_the_same_with_or_without_them(models, faces_dev):
    """A group photo (three levels): the early look has the big faces, located; the complete result then has
    every face, exactly as an analysis without the early look finds them."""
    data = (FACES_DEV / "images" / "afw_5002723411.jpg").read_bytes()
    early = []

    async def seen(partial):
        early.append(partial)

    with_early = run(analyse_photo(data, "group.jpg", models, early=seen))
    without = run(analyse_photo(data, "group.jpg", models))
    assert len(early) == 1 and "early" in with_early.timings_ms
    assert [face.box.tolist() for face in with_early.faces] == [face.box.tolist() for face in without.faces]
    assert [face.right.centre for face in with_early.faces] == [face.right.centre for face in without.faces]
    first = early[0].faces
    assert 1 <= len(first) <= len(with_early.faces)
    for face in first:  # every early face is one of the final faces, its eyes where the final puts them
        distances = [math.dist(face.right.centre, final.right.centre) for final in with_early.faces]
        assert min(distances) < 2.0


def test_no_early_look_for_a_photo_of_one_window_or_without_faces_at_the_first_look(models):
    seen = []

    async def record(partial):
        seen.append(partial)

    small = io.BytesIO()
    Image.open(FIXTURES / "astronaut.jpg").resize((400, 400)).save(small, "JPEG")
    run(analyse_photo(small.getvalue(), "small.jpg", models, early=record))  # one window: nothing to wait for
    run(analyse_photo((FIXTURES / "coffee_no_face.jpg").read_bytes(), "coffee.jpg", models, early=record))
    assert seen == []

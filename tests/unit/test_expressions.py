"""expressions.py: the blendshapes' 52 scores per face, named by the subject's sides, and what the app reads
from them. The real models run on the committed photo; how well the scores match hand labels on faces-dev
is measured by scripts/expressions_check.py (a measurement, not a test)."""

import json

import numpy as np
import pytest
from PIL import Image, ImageOps

from googly_eyes import config
from googly_eyes.expressions import Expressions, subject_side
from googly_eyes.pipeline import analyse_photo, detections_json
from googly_eyes.config import GooglySettings
from support import FIXTURES, MODELS, run


def test_sides_are_turned_from_the_mirrored_face_to_the_subject():
    assert subject_side("eyeBlinkLeft") == "eyeBlink_right"
    assert subject_side("mouthSmileRight") == "mouthSmile_left"
    assert subject_side("jawOpen") == "jawOpen"


def test_what_the_app_reads_from_the_scores():
    names = json.loads((MODELS / "manifest.json").read_text())["models"]["face_blendshapes"]["names"]
    scores = {subject_side(n): 0.0 for n in names if n != "_neutral"}
    scores.update({"mouthSmile_right": 0.8, "mouthSmile_left": 0.6, "eyeBlink_right": 0.9, "browInnerUp": 0.64,
                   "eyeWide_right": 0.25, "eyeWide_left": 0.25})
    e = Expressions(scores)
    assert len(scores) == 51
    assert e.summary() == pytest.approx({"smile": 0.7, "blink_right": 0.9, "blink_left": 0.0, "surprise": 0.4})


def photo_bytes(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_the_smiling_astronaut_smiles_with_both_eyes_open_and_the_json_says_so(models):
    data = (FIXTURES / "astronaut.jpg").read_bytes()
    analysis = run(analyse_photo(data, "astronaut.jpg", models))
    [face] = analysis.faces
    e = face.expressions
    assert e.smile > config.EXPRESSION_SMILE
    assert max(e.blink_right, e.blink_left) < config.EXPRESSION_EYE_SHUT
    assert e.surprise < config.EXPRESSION_SURPRISE
    entry = detections_json(analysis.photo, analysis.faces, [], GooglySettings())["images"][0]["faces"][0]
    assert set(entry["expressions"]) == {"smile", "blink_right", "blink_left", "surprise", "scores"}
    assert len(entry["expressions"]["scores"]) == 51
    assert entry["expressions"]["smile"] == pytest.approx(e.smile, abs=1e-4)

    # The photo mirrored reads the same: still smiling, eyes open. (Per-side scores are not compared: the
    # landmarker sees the mirrored face through another crop, and the blendshapes move by up to 0.1 for half
    # a pixel of landmark noise; that "Left" is the subject's right was checked on faces-dev, where the
    # difference of the two blink scores follows the difference of the eyes' openings, r = -0.58.)
    with Image.open(FIXTURES / "astronaut.jpg") as image:
        mirrored = ImageOps.mirror(ImageOps.exif_transpose(image).convert("RGB"))
    [other] = run(analyse_photo(photo_bytes(mirrored), "mirrored.png", models)).faces
    assert other.expressions.smile == pytest.approx(e.smile, abs=0.1)
    assert max(other.expressions.blink_right, other.expressions.blink_left) < config.EXPRESSION_EYE_SHUT


def test_no_expressions_without_the_blendshapes_model(models):
    locator = models.locator
    saved, locator.expressions = locator.expressions, None
    try:
        analysis = run(analyse_photo((FIXTURES / "astronaut.jpg").read_bytes(), "astronaut.jpg", models))
    finally:
        locator.expressions = saved
    [face] = analysis.faces
    assert face.expressions is None
    entry = detections_json(analysis.photo, analysis.faces, [], GooglySettings())["images"][0]["faces"][0]
    assert "expressions" not in entry
    assert np.isfinite(face.right.opening)

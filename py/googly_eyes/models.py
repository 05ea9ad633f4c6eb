"""The models the pipeline runs, opened as models/manifest.json describes them.

`load_models(manifest, open_session)` is shared by CPython (onnxruntime, see `load_native_models`) and
the page (onnxruntime-web, web/main.py): only `open_session(file_name)` differs. It may return a
session or an awaitable of one.
"""

from dataclasses import dataclass
import inspect
import json
from pathlib import Path

from .detect import DetectorSpec, FaceDetector
from .inference import open_native_session
from .landmarks import EyeLocator, IrisSpec, MeshSpec


@dataclass
class Models:
    detector: FaceDetector
    locator: EyeLocator | None  # face mesh (+ iris); None runs on the detector's eye points alone
    files: dict[str, str]  # which model file each role uses


async def _opened(session_or_awaitable):
    if inspect.isawaitable(session_or_awaitable):
        return await session_or_awaitable
    return session_or_awaitable


def chosen_file(entry: dict, override: str | None) -> str:
    """The shipped file, or another file the manifest lists (benchmarks compare fp32 and int8)."""
    return override if override in entry["files"] else entry["shipped"]


async def load_models(manifest: dict, open_session, overrides: dict | None = None) -> Models:
    overrides = overrides or {}
    entries = manifest["models"]
    files = {role: chosen_file(entries[role], overrides.get(role))
             for role in ("face_detector", "face_landmarks", "iris_landmarks") if role in entries}
    detector = FaceDetector(await _opened(open_session(files["face_detector"])),
                            DetectorSpec.from_manifest(entries["face_detector"]))
    locator = None
    if "face_landmarks" in files:
        iris_session = iris_spec = None
        if "iris_landmarks" in files:
            iris_session = await _opened(open_session(files["iris_landmarks"]))
            iris_spec = IrisSpec.from_manifest(entries["iris_landmarks"])
        locator = EyeLocator(await _opened(open_session(files["face_landmarks"])),
                             MeshSpec.from_manifest(entries["face_landmarks"]), iris_session, iris_spec)
    return Models(detector, locator, files)


def load_native_models(models_dir: Path, threads: int = 1, overrides: dict | None = None) -> Models:
    """onnxruntime sessions for CPython: tests, scripts/evaluate.py, scripts/benchmark.py."""
    import asyncio

    models_dir = Path(models_dir)
    manifest = json.loads((models_dir / "manifest.json").read_text())
    return asyncio.run(load_models(manifest, lambda name: open_native_session(models_dir / name, threads),
                                   overrides))

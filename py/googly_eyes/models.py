"""The models the pipeline runs, opened as models/manifest.json describes them.

The page (web/worker.py, onnxruntime-web) calls `load_models` with an async `open_session`; CPython
calls `load_native_models` (onnxruntime). Both end in `build_models`, so they assemble the same thing.
"""

import asyncio
from dataclasses import dataclass
import hashlib
import json
from pathlib import Path
import time

from PIL import Image

from .background import PeopleSegmenter, SegmentationSpec
from .detect import DetectorSpec, FaceDetector
from .inference import open_native_session, run_model
from .expressions import BlendshapeSpec, ExpressionReader
from .landmarks import EyeLocator, MeshSpec


ROLES = ("face_detector", "face_landmarker", "face_blendshapes")  # opened at boot
# Opened the first time a feature needs them (the page fetches them then: a first visit that does not use
# them downloads no more); CPython opens them with the rest.
LATER_ROLES = ("selfie_segmentation",)


@dataclass
class Models:
    detector: FaceDetector
    locator: EyeLocator | None  # the face landmarker; None runs on the detector's eye points alone
    files: dict[str, str]  # which model file each role uses
    segmenter: PeopleSegmenter | None = None  # the people mask (background.py), once it is opened


def model_files(manifest: dict, overrides: dict | None = None, roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    """Which file each role uses: the shipped one, or another file the manifest lists and pins
    (benchmarks compare fp32 and int8)."""
    overrides = overrides or {}
    return {role: overrides.get(role) if overrides.get(role) in entry["files"] else entry["shipped"]
            for role, entry in manifest["models"].items() if role in roles}


def build_models(manifest: dict, sessions: dict, files: dict[str, str]) -> Models:
    entries = manifest["models"]
    detector = FaceDetector(sessions["face_detector"], DetectorSpec.from_manifest(entries["face_detector"]))
    locator = None
    if "face_landmarker" in sessions:
        expressions = None
        if "face_blendshapes" in sessions:
            expressions = ExpressionReader(sessions["face_blendshapes"],
                                           BlendshapeSpec.from_manifest(entries["face_blendshapes"]))
        locator = EyeLocator(sessions["face_landmarker"], MeshSpec.from_manifest(entries["face_landmarker"]),
                             expressions)
    models = Models(detector, locator, files)
    if "selfie_segmentation" in sessions:
        models.segmenter = segmenter_of(manifest, sessions["selfie_segmentation"])
    return models


def segmenter_of(manifest: dict, session) -> PeopleSegmenter:
    return PeopleSegmenter(session, SegmentationSpec.from_manifest(manifest["models"]["selfie_segmentation"]))


async def open_later(manifest: dict, role: str, read_file, open_session) -> PeopleSegmenter:
    """A model opened the first time a feature needs it (LATER_ROLES), the page's way (see load_models)."""
    if role != "selfie_segmentation":
        raise ModelError(f"No feature opens the model {role!r} later.")
    name = manifest["models"][role]["shipped"]
    return segmenter_of(manifest, await open_session(checked(manifest, name, await read_file(name))))


class ModelError(RuntimeError):
    """A model file that is missing from the manifest or is not the file it pins."""


def checked(manifest: dict, file_name: str, data: bytes) -> bytes:
    """A model file's bytes, if they are the ones models/manifest.json pins (sha256): a partial or
    wrong download never reaches a session."""
    pinned = {name: info["sha256"] for entry in manifest["models"].values() for name, info in entry["files"].items()}
    if file_name not in pinned:
        raise ModelError(f"The model {file_name} is not in the manifest.")
    if hashlib.sha256(data).hexdigest() != pinned[file_name]:
        raise ModelError(f"The model {file_name} arrived damaged: its checksum does not match.")
    return data


async def load_models(manifest: dict, read_file, open_session, overrides: dict | None = None) -> Models:
    """The page's way: `read_file(file_name)` fetches a model's bytes and `open_session(bytes)` opens
    it (both awaitable: onnxruntime-web). Every file is checked against the manifest before it is
    opened. The models are fetched and opened at the same time (their downloads and onnxruntime-web's
    set-up overlap)."""
    files = model_files(manifest, overrides)

    async def open_checked(name):
        return await open_session(checked(manifest, name, await read_file(name)))

    sessions = await asyncio.gather(*(open_checked(name) for name in files.values()))
    return build_models(manifest, dict(zip(files, sessions)), files)


def load_native_models(models_dir: Path, threads: int = 1, overrides: dict | None = None) -> Models:
    """onnxruntime sessions for CPython (tests, scripts, the command line), each file checked against
    the manifest as the page checks it."""
    models_dir = Path(models_dir)
    manifest = json.loads((models_dir / "manifest.json").read_text())
    files = model_files(manifest, overrides, ROLES + LATER_ROLES)
    sessions = {role: open_native_session(checked(manifest, name, (models_dir / name).read_bytes()), threads)
                for role, name in files.items()}
    return build_models(manifest, sessions, files)


def ort_threads(cores: int, isolated: bool, asked: int | None = None) -> int:
    """onnxruntime-web's threads in the page: half the cores, at least 2 and at most 4; one without
    cross-origin isolation (threads need SharedArrayBuffer) or with one core; `asked` (?threads=N) only
    lowers it. Measured on 2 cores: 2 threads beat 1 (docs/PERFORMANCE.md, "Models and threads"), so 2 stay
    there. Reasoned for more cores (this machine has 2): BlazeFace's 192 x 192 runs take ~10 ms, where more
    than 4 threads mostly wait on each other, and half the cores stay for the page, the Python between runs
    (~25 % of the detector's time) and the browser; onnxruntime-web's own default is min(4, cores / 2) too."""
    if not isolated or cores < 2:
        return 1
    threads = max(2, min(4, cores // 2))
    return max(1, min(threads, asked)) if asked else threads


WARM_UP_STEPS = 16  # idle-time warm-up steps after boot (warm_up_step); about 1.5-2.5 s of one core in all


_WARM_UP_PHOTO: list[bytes] = []


def _warm_up_photo() -> bytes:
    """A small JPEG of smooth noise (no face), made once: what warm_up_step analyses."""
    if not _WARM_UP_PHOTO:
        import io

        import numpy as np

        noise = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noise).resize((640, 480), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=85)
        _WARM_UP_PHOTO.append(buffer.getvalue())
    return _WARM_UP_PHOTO[0]


async def warm_up_step(models: Models, step: int) -> None:
    """One small piece of warming up, run while nothing else waits (the page queues them after boot). A
    browser runs onnxruntime-web's code slowly until it has been used for a while (V8 compiles a wasm function
    well only once it is hot), so a first photo took 2.4 s against 0.5 s for the next one; warming up with
    made-up inputs while the person picks photos moves that wait out of their way. Each step: a small photo
    analysed (decode and every detector window), every other step the landmarker, every fourth the
    blendshapes."""
    from .pipeline import analyse_photo  # (pipeline imports this module)

    await analyse_photo(_warm_up_photo(), "warm-up.jpg", models)  # decode, every window of a small photo
    locator = models.locator
    if locator is not None and step % 2 == 0:
        await locator.warm_up()
        if locator.expressions is not None and step % 4 == 0:
            await locator.expressions.warm_up()


async def time_detector(models: Models, runs: int) -> list[float]:
    """The face detector alone, `runs` times on one grey 640 x 480 input: ms per run, for benchmarks
    (the page's worker and the native run time the very same thing)."""
    detector = models.detector
    feeds, _ = detector.prepare(Image.new("RGB", (640, 480), (128, 128, 128)))
    names = [detector.spec.boxes_output, detector.spec.scores_output]
    times = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        await run_model(detector.session, names, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return times

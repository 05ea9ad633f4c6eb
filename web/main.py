"""The page's Python: load the face detector, then turn each dropped file into a result for app.js.

app.js owns the DOM (drop zone, queue, cards, downloads); this file owns the work. It talks to
app.js through two names on `window`: it calls `googlyUI.progress(stage, done, total)`, and it
publishes `googlyProcess(file)` and fires `googly:ready` once the detector is loaded.
"""

import hashlib
import json
import time
import traceback

import js
from pyodide.ffi import create_proxy, to_js

import ort_web
from googly_eyes import __version__
from googly_eyes.config import GooglySettings
from googly_eyes.inference import run_model
from googly_eyes.models import load_models
from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import process_photo


def progress(stage: str, done: int = 0, total: int = 0) -> None:
    js.window.googlyUI.progress(stage, done, total)


def js_object(mapping: dict):
    return to_js(mapping, dict_converter=js.Object.fromEntries)


def js_bytes(data: bytes):
    array = js.Uint8Array.new(len(data))
    array.assign(data)
    return array


async def fetch_bytes(url: str) -> bytes:
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"{url} could not be loaded (HTTP {response.status}).")
    return (await response.arrayBuffer()).to_bytes()


def page_option(name: str) -> str | None:
    """?model=...&threads=... : for benchmarks comparing models and thread counts in the real page."""
    value = js.URLSearchParams.new(js.location.search).get(name)
    return None if value is None else str(value)


async def load_pipeline_models():
    """Fetch each model the manifest names, check its sha256, open it in onnxruntime-web."""
    progress("fetch:model", 0, 1)
    manifest = json.loads(await fetch_bytes("./models/manifest.json"))
    known = {name: info["sha256"] for entry in manifest["models"].values() for name, info in entry["files"].items()}
    threads = 2 if js.window.crossOriginIsolated and js.navigator.hardwareConcurrency >= 2 else 1
    if page_option("threads") in ("1", "2"):
        threads = min(threads, int(page_option("threads")))
    ort_web.configure(js.URL.new("./vendor/ort/", js.document.baseURI).href, threads)

    async def open_session(file_name):
        data = await fetch_bytes(f"./models/{file_name}")
        if hashlib.sha256(data).hexdigest() != known[file_name]:
            raise RuntimeError(f"The model {file_name} arrived damaged: its checksum does not match.")
        return await ort_web.OrtWebSession.create(data)

    # ?model=... swaps the detector for another file the manifest pins (benchmarks: fp32 vs int8).
    loaded = await load_models(manifest, open_session, {"face_detector": page_option("model"),
                                                         "face_landmarks": page_option("mesh")})
    progress("fetch:model", 1, 1)
    info = {"model": loaded.files["face_detector"], "models": loaded.files, "threads": threads,
            "version": __version__}
    return loaded, info


async def process_file(file, options=None):
    """One dropped File -> a plain JS object app.js can show (never raises: errors are results too)."""
    name = str(file.name)
    try:
        settings = GooglySettings(**(options.to_py() if options else {}))
        data = (await file.arrayBuffer()).to_bytes()
        result = await process_photo(data, name, models, settings)
        image_bytes, mime, download_name = result.encode()
        width, height = result.photo.size
        return js_object({
            "ok": True,
            "name": name,
            "faces": len(result.faces),
            "width": width,
            "height": height,
            "image": js_bytes(image_bytes),
            "mime": mime,
            "downloadName": download_name,
            "json": json.dumps(result.detections(), indent=1),
            "timings": {stage: round(ms, 1) for stage, ms in result.timings_ms.items()},
        })
    except PhotoError as error:
        return js_object({"ok": False, "name": name, "error": error.as_dict()})
    except Exception as error:  # a bug of ours must cost one photo, not the page
        traceback.print_exc()
        return js_object({"ok": False, "name": name, "error": {
            "code": "internal",
            "message": f"Something went wrong with {name}: {type(error).__name__}: {error}",
            "hint": "The other photos are not affected. Please report this with the file if you can.",
        }})


async def time_model(runs: int = 20):
    """Model inference alone, `runs` times on one input: for scripts/benchmark.py."""
    from PIL import Image

    detector = models.detector
    feeds, _ = detector.prepare(Image.new("RGB", (640, 480), (128, 128, 128)))
    names = [detector.spec.boxes_output, detector.spec.scores_output]
    times = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        await run_model(detector.session, names, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return to_js(times)


async def boot():
    global models
    try:
        models, info = await load_pipeline_models()
    except Exception as error:
        traceback.print_exc()
        js.window.googlyUI.fail(f"The face detector could not be loaded: {error}", "Reload the page to try again.")
        return
    js.window.googlyProcess = create_proxy(process_file)
    js.window.googlyTimeModel = create_proxy(time_model)
    js.window.dispatchEvent(js.CustomEvent.new("googly:ready", js_object({"detail": js_object(info)})))


models = None
await boot()  # noqa: F704 - PyScript runs this file with top-level await

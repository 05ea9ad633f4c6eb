"""The page's Python, in a web worker: glue between engine.js and the core's Gallery.

engine.js calls the functions published on `pyscript.sync` at the end, each with one request object,
and gets one answer object back: `{ok: true, ...}` or `{ok: false, error: {code, message, hint}}`.
web/protocol.js declares every request and answer. This file only converts between JavaScript and
Python, opens the models with onnxruntime-web, and makes a download on the browser's canvas
(`export_on_canvas`); the rest is googly_eyes.gallery, which CPython runs and tests too.
"""

import json
import traceback

import js

# The worker's clock (ms since it was created) when this file starts: Pyodide is up and numpy,
# Pillow and googly_eyes are installed (pyodide-boot.mjs); the imports below are timed too.
STARTED_MS = js.performance.now()

from pyodide.ffi import JsProxy, to_js  # noqa: E402 (the imports after the clock reading are part of the boot)
from pyscript import sync

import ort_web
from googly_eyes import __version__
from googly_eyes.gallery import Gallery, export_with_pillow, failure, timed
from googly_eyes.models import load_models, time_detector
from googly_eyes.photo import PhotoError
from googly_eyes.render import googly_layers

IMPORTED_MS = js.performance.now()

gallery: Gallery | None = None
export_path = "canvas"  # or "pillow" (?export=pillow: for benchmarks comparing the two)


# ---- Between JavaScript and Python --------------------------------------------------------------

def js_object(mapping: dict):
    return to_js(mapping, dict_converter=js.Object.fromEntries)


def js_bytes(data: bytes):
    array = js.Uint8Array.new(len(data))
    array.assign(data)
    return array


def answer(values: dict):
    """An answer for engine.js: {ok: true, ...values}, bytes as Uint8Array."""
    return js_object({"ok": True, **{key: js_bytes(value) if isinstance(value, bytes) else value
                                     for key, value in values.items()}})


def failed(error: Exception, name: str = "photo"):
    """The one failure answer, {ok: false, error: {code, message, hint}} (gallery.failure)."""
    if not isinstance(error, PhotoError):
        traceback.print_exc()  # a bug of ours: its trace goes to the console
    return js_object({"ok": False, "error": failure(error, name)})


def request_of(request, *js_fields: str) -> dict:
    """A request object from engine.js as a dict: plain values converted, Uint8Arrays as bytes, except
    `js_fields`, left as JavaScript values (a photo's bytes the canvas decodes never enter Python)."""
    values = {}
    for key in js.Object.keys(request):
        value = getattr(request, key)
        if key in js_fields:
            values[key] = value
        elif isinstance(value, JsProxy):
            values[key] = value.to_bytes() if js.ArrayBuffer.isView(value) else value.to_py()
        else:
            values[key] = value
    return values


# ---- What engine.js calls -----------------------------------------------------------------------

async def fetch_bytes(url: str) -> bytes:
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"{url} could not be loaded (HTTP {response.status}).")
    return (await response.arrayBuffer()).to_bytes()


def python_start() -> dict:
    """How Python started in this worker (ms): from a snapshot or not, see pyodide-boot.mjs."""
    start = getattr(js, "googlyPythonStart", None)
    info = start.to_py() if start is not None else {}
    return {**info, "worker_ms": round(STARTED_MS), "imports_ms": round(IMPORTED_MS - STARTED_MS)}


async def boot(request):
    """Load onnxruntime-web and the models (BootRequest -> BootInfo)."""
    global gallery, export_path
    options = request_of(request)
    export_path = "pillow" if options.get("export") == "pillow" else "canvas"
    base = options["base"]
    timings = {}
    try:
        from pyscript.js_modules import ort  # pyscript.toml [js_modules.worker]: no eval needed
        manifest = json.loads(await fetch_bytes(js.URL.new("./models/manifest.json", base).href))
        threads = 2 if js.crossOriginIsolated and js.navigator.hardwareConcurrency >= 2 else 1
        if str(options.get("threads")) in ("1", "2"):
            threads = min(threads, int(options["threads"]))
        ort_web.configure(ort, js.URL.new("./vendor/ort/", base).href, threads)

        async def read_model(file_name):
            return await fetch_bytes(js.URL.new(f"./models/{file_name}", base).href)

        # ?model=... / ?mesh=... swap a model for another file the manifest pins (benchmarks).
        with timed(timings, "models"):
            models = await load_models(manifest, read_model, ort_web.OrtWebSession.create,
                                       {"face_detector": options.get("model"), "face_landmarks": options.get("mesh")})
    except Exception as error:
        traceback.print_exc()
        return js_object({"ok": False, "error": {"code": "models-failed", "hint": "Reload the page to try again.",
                                                 "message": f"The face models could not be loaded: {error}"}})
    gallery = Gallery(models)
    return answer({"model": models.files["face_detector"], "models": models.files, "threads": threads,
                   "version": __version__, "models_ms": round(timings["models"]), "python": python_start(),
                   "isolated": bool(js.crossOriginIsolated)})


async def analyse(request):
    """Find the faces in a new photo and render its first preview (AnalyseRequest -> AnalyseAnswer)."""
    values = request_of(request)
    try:
        return answer(await gallery.analyse(values["id"], values["bytes"], values["name"], values.get("view")))
    except Exception as error:
        return failed(error, values.get("name", "photo"))


async def render(request):
    """Re-render a photo's preview for a new look (RenderRequest -> RenderAnswer). Without `bytes`, a
    photo whose preview was let go answers the failure "preview-gone"; engine.js then sends them."""
    values = request_of(request)
    try:
        return answer(gallery.render(values["id"], values.get("view"), values.get("bytes")))
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


async def export(request):
    """The full-resolution download (ExportRequest -> ExportAnswer): the file and its detections JSON.

    The browser decodes the original, blends the googly-eye layers Python paints (render.googly_layers)
    on a canvas and encodes it: the 12 MP photo never crosses into Python, and the browser's codecs are
    several times faster than Pillow's in wasm. Photos the browser cannot decode (TIFF, ...) or whose
    upright size it sees differently take the Pillow path (gallery.export_with_pillow)."""
    values = request_of(request, "bytes")
    try:
        plan = gallery.plan_export(values["id"], values.get("view"), values.get("output"))
        timings = {}
        path = "canvas"
        encoded = None
        if export_path == "canvas":
            encoded = await export_on_canvas(values["bytes"], plan, timings)
        if encoded is None:
            path = "pillow"
            encoded = js_bytes(export_with_pillow(values["bytes"].to_bytes(), plan, timings))
        reply = answer(plan.answer(path, timings))
        reply.image = encoded
        return reply
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


async def export_on_canvas(data, plan, timings):
    """Decode with the browser (EXIF orientation applied), blend the layers, encode: a Uint8Array, or
    None if the browser cannot decode the photo or sees another size than Pillow did."""
    size = tuple(plan.photo.size)
    with timed(timings, "decode"):
        try:
            bitmap = await js.createImageBitmap(js.Blob.new(to_js([data])),
                                                js_object({"imageOrientation": "from-image"}))
        except Exception:
            return None
        if (bitmap.width, bitmap.height) != size:
            bitmap.close()
            return None
        canvas = js.OffscreenCanvas.new(bitmap.width, bitmap.height)
        context = canvas.getContext("2d")
        context.drawImage(bitmap, 0, 0)
        bitmap.close()
    with timed(timings, "render"):
        for left, top, layer in googly_layers(size, plan.eyes, plan.settings.style):
            pixels = js.Uint8ClampedArray.new(layer.width * layer.height * 4)
            pixels.assign(layer.tobytes())
            sprite = await js.createImageBitmap(js.ImageData.new(pixels, layer.width, layer.height))
            context.drawImage(sprite, left, top)
            sprite.close()
    with timed(timings, "encode"):
        blob = await canvas.convertToBlob(js_object({"type": plan.mime, "quality": plan.quality / 100}))
        return js.Uint8Array.new(await blob.arrayBuffer())


def forget(request):
    """The user removed a photo: let go of everything kept for it (ForgetRequest -> Done)."""
    gallery.forget(request_of(request)["id"])
    return answer({})


async def time_model(request):
    """The face detector alone, `runs` times (TimeModelRequest -> TimeModelAnswer): for the benchmark."""
    return answer({"times": await time_detector(gallery.models, request_of(request)["runs"])})


def memory(request=None):
    """Memory now (MemoryAnswer), for scripts/bench/soak.py: the Python heap's wasm memory (it only grows; a
    plateau means no leak) and what the gallery keeps."""
    import pyodide_js

    return answer({"wasm_bytes": int(pyodide_js._module.HEAP8.byteLength), **gallery.memory()})


sync.boot = boot
sync.analyse = analyse
sync.render = render
sync.export = export
sync.forget = forget
sync.time_model = time_model
sync.memory = memory

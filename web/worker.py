"""The page's Python, in a web worker: glue between engine.js and the core's Gallery.

engine.js calls the functions published on `pyscript.sync` at the end, each with one request object,
and gets one answer object back: `{ok: true, ...}` or `{ok: false, error: {code, message, hint}}`.
web/protocol.js declares every request and answer. This file only publishes those calls and opens the models
with onnxruntime-web (ort_web.py); requests and answers are converted in js_bridge.py, downloads are
made on the browser's canvas in canvas_export.py; everything else is googly_eyes.gallery, which
CPython runs and tests too.
"""

import json
import traceback

import js

# The worker's clock (ms since it was created) when this file starts: Pyodide is up and numpy,
# Pillow and googly_eyes are installed (pyodide-boot.mjs); the imports below are timed too.
STARTED_MS = js.performance.now()

from pyscript import sync  # noqa: E402 (the imports after the clock reading are part of the boot)

import ort_web
from animation_export import export_animation
from canvas_export import export_on_canvas
from googly_eyes import __version__
from googly_eyes.camera import camera_kit
from googly_eyes.gallery import Gallery, export_with_pillow, timed, view_of
from googly_eyes.models import WARM_UP_STEPS, load_models, open_later, ort_threads, time_detector, warm_up_step
from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import analyse_photo
from js_bridge import answer, failed, fetch_bytes, js_bytes, js_object, request_of

IMPORTED_MS = js.performance.now()

gallery: Gallery | None = None
export_path = "canvas"  # or "pillow" (?export=pillow: for benchmarks comparing the two)
video_codecs = "any"  # or "vp9" / "none" (?video=...: tests of browsers without H.264 or any video encoder)
open_model = None  # open_model(role): a model no feature needed at boot (models.LATER_ROLES), opened when one does


# ---- What engine.js calls -----------------------------------------------------------------------

def python_start() -> dict:
    """How Python started in this worker (ms): from a snapshot or not, see pyodide-boot.mjs."""
    start = getattr(js, "googlyPythonStart", None)
    info = start.to_py() if start is not None else {}
    return {**info, "worker_ms": round(STARTED_MS), "imports_ms": round(IMPORTED_MS - STARTED_MS)}


async def boot(request):
    """Load onnxruntime-web and the models (BootRequest -> BootInfo)."""
    global gallery, export_path, video_codecs, open_model
    options = request_of(request)
    export_path = "pillow" if options.get("export") == "pillow" else "canvas"
    video_codecs = options.get("video") if options.get("video") in ("vp9", "none") else "any"
    base = options["base"]
    timings = {}
    try:
        from pyscript.js_modules import ort  # pyscript.toml [js_modules.worker]: no eval needed
        manifest = json.loads(await fetch_bytes(js.URL.new("./models/manifest.json", base).href))
        asked = str(options.get("threads"))
        threads = ort_threads(int(js.navigator.hardwareConcurrency or 1), bool(js.crossOriginIsolated),
                              int(asked) if asked.isdigit() else None)
        ort_web.configure(ort, js.URL.new("./vendor/ort/", base).href, threads)

        async def read_model(file_name):
            return await fetch_bytes(js.URL.new(f"./models/{file_name}", base).href)

        # ?model=... / ?mesh=... swap a model for another file the manifest pins (benchmarks).
        with timed(timings, "models"):
            models = await load_models(manifest, read_model, ort_web.OrtWebSession.create,
                                       {"face_detector": options.get("model"), "face_landmarker": options.get("mesh")})
    except Exception as error:
        traceback.print_exc()
        return js_object({"ok": False, "error": {"code": "models-failed", "hint": "Reload the page to try again.",
                                                 "message": f"The face models could not be loaded: {error}"}})
    if options.get("turns") == "upright":  # ?turns=upright: the whole photo looked at upright only (benchmarks)
        models.detector.quarter_turns = (0,)
    gallery = Gallery(models)

    async def open_model(role):
        return await open_later(manifest, role, read_model, ort_web.OrtWebSession.create)
    return answer({"model": models.files["face_detector"], "models": models.files, "threads": threads,
                   "version": __version__, "models_ms": round(timings["models"]), "python": python_start(),
                   "isolated": bool(js.crossOriginIsolated)})


async def open_segmenter(view) -> bool:
    """Whether the look changes the background; if it does, the people model is open. It is fetched and
    opened the first time any photo's background is changed (not at boot: most visits never need it; the
    service worker keeps it for offline use from then on)."""
    settings = (view or {}).get("settings") or {}
    if settings.get("background", "keep") == "keep":
        return False
    if gallery.models.segmenter is None:
        try:
            gallery.models.segmenter = await open_model("selfie_segmentation")
        except Exception as error:  # offline on first use, or a damaged download: said to the person
            raise PhotoError("background-unavailable", f"The background model could not be loaded: {error}",
                             "Check the connection (it is fetched the first time a background is changed) "
                             "and try again.") from None
    return True


async def with_background(values) -> None:
    """Before a render, export or animation: what the look's background needs (the model, then the photo's
    people mask, made once)."""
    view = values.get("view")
    if not await open_segmenter(view):
        return
    data = values.get("bytes")  # bytes, or a Uint8Array the canvas would decode (export, animate)
    if data is not None and not isinstance(data, bytes):
        data = data.to_bytes()
    await gallery.prepare_background(values["id"], view, data)


EARLY_CHANNEL = "googly-early"  # engine.js listens: a photo's first googly eyes, before its small faces
_early_channel = None


async def post_early(values: dict) -> None:
    """A photo's first preview (EarlyAnswer) to the page, while its finer levels still run."""
    global _early_channel
    if _early_channel is None:
        _early_channel = js.BroadcastChannel.new(EARLY_CHANNEL)
    _early_channel.postMessage(answer(values))


async def analyse(request):
    """Find the faces in a new photo and render its first preview (AnalyseRequest -> AnalyseAnswer); with
    `early`, its first googly eyes go to the page on EARLY_CHANNEL as soon as the whole-photo look found faces."""
    values = request_of(request)
    try:
        await open_segmenter(values.get("view"))
        return answer(await gallery.analyse(values["id"], values["bytes"], values["name"], values.get("view"),
                                            values.get("turn") or 0, post_early if values.get("early") else None))
    except Exception as error:
        return failed(error, values.get("name", "photo"))


async def render(request):
    """Re-render a photo's preview for a new look (RenderRequest -> RenderAnswer). Without `bytes`, a
    photo whose preview was let go answers the failure "preview-gone"; engine.js then sends them."""
    values = request_of(request)
    try:
        await with_background(values)
        return answer(gallery.render(values["id"], values.get("view"), values.get("bytes")))
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


async def export(request):
    """The full-resolution download (ExportRequest -> ExportAnswer): the file and its detections JSON,
    made on the browser's canvas (canvas_export.py) or, for photos the browser cannot decode or sees
    at another size, with Pillow (gallery.export_with_pillow)."""
    values = request_of(request, "bytes")
    try:
        await with_background(values)
        plan = gallery.plan_export(values["id"], values.get("view"), values.get("output"))
        timings = {}
        path = "canvas"
        encoded = None
        # A changed background is made at full size from the people mask: Pillow does it (the canvas path
        # blends only the googly-eye layers).
        if export_path == "canvas" and not plan.changes_background:
            encoded = await export_on_canvas(values["bytes"], plan, timings)
        if encoded is None:
            path = "pillow"
            encoded = js_bytes(export_with_pillow(values["bytes"].to_bytes(), plan, timings))
        reply = answer(plan.answer(path, timings))
        reply.image = encoded
        return reply
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


async def moving(request):
    """What the editor's live wobble draws and moves (RenderRequest -> MovingAnswer): gallery.moving. Without
    `bytes`, a photo whose preview was let go answers "preview-gone", as render does."""
    values = request_of(request)
    try:
        await with_background(values)
        parts = gallery.moving(values["id"], values.get("view"), values.get("bytes"))
        reply = answer({key: value for key, value in parts.items() if key != "above"})
        reply.above = js_object([{**layer, "png": js_bytes(layer["png"])} for layer in parts["above"]])
        return reply
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


async def animate(request):
    """An animated download (AnimateRequest -> AnimateAnswer): the photo's googly eyes moving with a motion,
    as MP4 (WebM without H.264), GIF, animated WebP or APNG; progress and Cancel over a BroadcastChannel
    (animation_export.py)."""
    values = request_of(request, "bytes")
    try:
        timings = {}
        await with_background(values)
        with timed(timings, "physics"):
            plan = gallery.plan_animation(values["id"], values.get("view"), values.get("animation"))
        encoded, container = await export_animation(values["bytes"], plan, str(values.get("job") or values["id"]), timings,
                                                    video_codecs)
        reply = answer(plan.answer(container, timings))
        reply.image = encoded
        return reply
    except Exception as error:
        return failed(error, gallery.name_of(values["id"]))


def camera(request):
    """What the camera mode draws its googly eyes with, for the page's settings (CameraRequest -> CameraKit):
    googly_eyes.camera.camera_kit."""
    values = request_of(request)
    try:
        settings, _ = view_of(values.get("view"))
        kit = camera_kit(settings)
        reply = answer({key: value for key, value in kit.items() if key not in ("still", "above")})
        reply.still = js_bytes(kit["still"])
        reply.above = js_bytes(kit["above"]) if kit["above"] else None
        return reply
    except Exception as error:
        return failed(error, "camera")


async def warm_up(request):
    """One step of warming up after boot (WarmUpRequest -> WarmUpAnswer: whether to go on): engine.js queues
    them for when nothing else waits (models.warm_up_step)."""
    step = int(request_of(request)["step"])
    await warm_up_step(gallery.models, step)
    return answer({"more": step + 1 < WARM_UP_STEPS})


def background_photo(request):
    """The photo people chose to put behind the people (BackgroundPhotoRequest -> BackgroundPhotoAnswer)."""
    values = request_of(request, "bytes")
    try:
        return answer(gallery.set_picture(values["bytes"].to_bytes(), values["name"]))
    except Exception as error:
        return failed(error, values.get("name", "photo"))


def forget(request):
    """The user removed a photo: let go of everything kept for it (ForgetRequest -> Done)."""
    gallery.forget(request_of(request)["id"])
    return answer({})


async def time_model(request):
    """The face detector alone, `runs` times (TimeModelRequest -> TimeModelAnswer): for the benchmark, with
    where each run's time went (ort_web.profile) and, with `photo` (bytes), the same for one whole analysis of
    it, every model run and what Python does between them."""
    values = request_of(request)
    ort_web.profile = []
    try:
        times = await time_detector(gallery.models, values["runs"])
        split = ort_web.profile
        photo = {}
        if values.get("photo"):
            ort_web.profile = []
            start = js.performance.now()
            analysis = await analyse_photo(values["photo"], "profiled.jpg", gallery.models)
            photo = {"total": js.performance.now() - start, "timings": analysis.timings_ms, "runs": ort_web.profile}
    finally:
        ort_web.profile = None
    return answer({"times": times, "split": split, "photo": photo})


def memory(request=None):
    """Memory now (MemoryAnswer), for scripts/bench/soak.py and the tests of removing photos: the Python
    heap's wasm memory (it only grows; a plateau means no leak), the bytes malloc has handed out and
    not had back (mallinfo's uordblks: this one falls when photos are let go), and what the gallery keeps."""
    import pyodide_js

    import numpy as np

    module = pyodide_js._module
    info = np.zeros(10, np.uint32)  # struct mallinfo (ten ints), which wasm32 C returns through a pointer
    module._mallinfo(info.__array_interface__["data"][0])
    return answer({"wasm_bytes": int(module.HEAP8.byteLength), "malloc_bytes": int(info[7]), **gallery.memory()})


sync.boot = boot
sync.analyse = analyse
sync.render = render
sync.export = export
sync.animate = animate
sync.moving = moving
sync.forget = forget
sync.background_photo = background_photo
sync.warm_up = warm_up
sync.camera = camera
sync.time_model = time_model
sync.memory = memory

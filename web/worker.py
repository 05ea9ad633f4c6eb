"""The page's Python, in a web worker: load the models, then analyse, render and export photos.

It runs off the main thread (a PyScript worker started by engine.js), so the page stays responsive
while photos are processed. app.js owns the DOM; this file owns the work. engine.js calls the
functions published on `pyscript.sync` below, and each answers with plain data (strings, numbers,
Uint8Arrays), never raising: a failure is an answer with `ok: false` and a message for people.

A photo is analysed once (decode, find faces and eyes: the slow part), and then rendered as often
as the user changes its settings or edits, on a preview of at most config.PREVIEW_MAX_SIDE pixels.
Full resolution is made only for a download (`export`), from the original bytes again, so memory
stays bounded however many photos are dropped: per photo we keep its faces (small) and, for the
most recently used photos only, the preview image.
"""

from collections import OrderedDict
import hashlib
import json
import time
import traceback

import js

# The worker's clock (ms since it was created) when this file starts: Pyodide is up and numpy,
# Pillow and googly_eyes are installed (pyodide-boot.mjs); the imports below are timed too.
STARTED_MS = js.performance.now()

from PIL import Image  # noqa: E402 (the imports after the clock reading are part of the boot)
from pyodide.ffi import to_js
from pyscript import sync

import ort_web
from googly_eyes import __version__, config
from googly_eyes.config import GooglySettings
from googly_eyes.googly import place_googly_eyes
from googly_eyes.inference import run_model
from googly_eyes.models import load_models
from googly_eyes.photo import PhotoError, encode_photo, load_photo, output_format, output_name
from googly_eyes.pipeline import analyse_photo, detections_json, preview_of, render_googly
from googly_eyes.render import googly_layers

IMPORTED_MS = js.performance.now()

PREVIEWS_KEPT = 24  # decoded previews kept for instant re-renders (about 5 MB each at 1600 px)
PREVIEW_QUALITY = 88

models = None
export_path = "canvas"  # or "pillow" (?export=pillow: for benchmarks comparing the two)
faces_of: dict[str, dict] = {}  # photo id -> {"faces", "name", "size", "orientation", "source_format"}
previews: OrderedDict = OrderedDict()  # photo id -> (preview image, scale), least recently used first


# ---- Plain data for JavaScript ------------------------------------------------------------------

def js_object(mapping: dict):
    return to_js(mapping, dict_converter=js.Object.fromEntries)


def js_bytes(data: bytes):
    array = js.Uint8Array.new(len(data))
    array.assign(data)
    return array


def failure(name: str, error: Exception):
    """An answer for app.js when a photo cannot be used: our PhotoError, or a bug of ours."""
    if isinstance(error, PhotoError):
        return js_object({"ok": False, "name": name, "error": error.as_dict()})
    traceback.print_exc()
    return js_object({"ok": False, "name": name, "error": {
        "code": "internal",
        "message": f"Something went wrong with {name}: {type(error).__name__}: {error}",
        "hint": "The other photos are not affected. Please report this with the file if you can.",
    }})


def view_of(view_json: str) -> tuple[GooglySettings, dict]:
    """The settings and hand edits app.js keeps for one photo (JSON: {"settings": {...}, "edits": {...}})."""
    view = json.loads(view_json) if view_json else {}
    return GooglySettings.from_dict(view.get("settings") or {}), view.get("edits") or {}


def preview_bytes(image) -> tuple[bytes, str]:
    if image.mode == "RGB":
        return encode_photo(image, "JPEG", PREVIEW_QUALITY), "image/jpeg"
    return encode_photo(image, "PNG"), "image/png"


def faces_for_overlay(faces) -> list[dict]:
    """Face boxes and eye points for the on-screen debug overlay (app.js draws it; never in downloads)."""
    return [{
        "box": [round(float(v), 1) for v in face.box],
        "eyes": [{"centre": [round(float(v), 1) for v in eye.centre], "visible": bool(eye.visible),
                  "contour": [[round(float(v), 1) for v in point] for point in eye.contour]}
                 for eye in (face.right, face.left)],
        "keypoints": [[round(float(v), 1) for v in point] for point in face.face.keypoints],
    } for face in faces]


def eyes_for_editor(eyes) -> list[dict]:
    """Every googly eye with its key, in photo pixels: the handles app.js lets people drag."""
    return [{**eye.as_dict(), "key": eye.key, "face": eye.face_index, "side": eye.side,
             "roll": round(eye.roll_degrees, 2)} for eye in eyes]


def keep_preview(photo_id: str, preview) -> None:
    previews[photo_id] = preview
    previews.move_to_end(photo_id)
    while len(previews) > PREVIEWS_KEPT:
        previews.popitem(last=False)


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


async def boot(options_json: str) -> str:
    """Load onnxruntime-web and the models. options: {"base": the page's URL, "threads", "model",
    "mesh"} (the last three from the page's ?query, for benchmarks). Answers JSON: info or error."""
    global models, export_path
    options = json.loads(options_json)
    export_path = "pillow" if options.get("export") == "pillow" else "canvas"
    base = options["base"]
    try:
        from pyscript.js_modules import ort  # pyscript.toml [js_modules.worker]: no eval needed
        manifest = json.loads(await fetch_bytes(js.URL.new("./models/manifest.json", base).href))
        known = {name: info["sha256"] for entry in manifest["models"].values()
                 for name, info in entry["files"].items()}
        threads = 2 if js.crossOriginIsolated and js.navigator.hardwareConcurrency >= 2 else 1
        if str(options.get("threads")) in ("1", "2"):
            threads = min(threads, int(options["threads"]))
        ort_web.configure(ort, js.URL.new("./vendor/ort/", base).href, threads)

        async def open_session(file_name):
            data = await fetch_bytes(js.URL.new(f"./models/{file_name}", base).href)
            if hashlib.sha256(data).hexdigest() != known[file_name]:
                raise RuntimeError(f"The model {file_name} arrived damaged: its checksum does not match.")
            return await ort_web.OrtWebSession.create(data)

        # ?model=... / ?mesh=... swap a model for another file the manifest pins (benchmarks).
        start = time.perf_counter()
        models = await load_models(manifest, open_session, {"face_detector": options.get("model"),
                                                             "face_landmarks": options.get("mesh")})
    except Exception as error:
        traceback.print_exc()
        return json.dumps({"ok": False, "message": f"The face detector could not be loaded: {error}"})
    return json.dumps({"ok": True, "model": models.files["face_detector"], "models": models.files,
                       "threads": threads, "version": __version__,
                       "models_ms": round((time.perf_counter() - start) * 1000),
                       "python": python_start(),
                       "isolated": bool(js.crossOriginIsolated)})


async def analyse(photo_id: str, data, name: str, view_json: str):
    """Find the faces in a new photo and render its first preview. Answers the preview (with and
    without googly eyes), the faces for the overlay, the googly eyes for the editor, and timings."""
    name = str(name)
    try:
        analysis = await analyse_photo(data.to_bytes(), name, models)
        photo = analysis.photo
        timings = analysis.timings_ms
        faces_of[photo_id] = {"faces": analysis.faces, "photo": photo.without_pixels()}
        start = time.perf_counter()
        preview = preview_of(photo)
        keep_preview(photo_id, preview)
        original, original_mime = preview_bytes(preview[0])
        timings["preview"] = (time.perf_counter() - start) * 1000
        answer = render_preview(photo_id, view_json, timings)
        answer.update({"original": js_bytes(original), "originalMime": original_mime,
                       "faces": faces_for_overlay(analysis.faces), "width": photo.size[0],
                       "height": photo.size[1], "orientation": photo.orientation,
                       "downloadName": output_name(name, output_format(photo)[2])})
        return js_object(answer)
    except Exception as error:
        return failure(name, error)


def render_preview(photo_id: str, view_json: str, timings: dict) -> dict:
    settings, edits = view_of(view_json)
    image, scale = previews[photo_id]
    start = time.perf_counter()
    painted, eyes = render_googly(image, faces_of[photo_id]["faces"], settings, edits, scale)
    timings["render"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    data, mime = preview_bytes(painted)
    timings["encode"] = (time.perf_counter() - start) * 1000
    return {"ok": True, "name": faces_of[photo_id]["photo"].name, "preview": js_bytes(data), "previewMime": mime,
            "eyes": eyes_for_editor(eyes), "googlyEyes": len(eyes),
            "timings": {stage: round(ms, 1) for stage, ms in timings.items()}}


async def render(photo_id: str, view_json: str, data=None):
    """Re-render a photo's preview for new settings or edits. If its preview is no longer kept, answers
    {"missing": true} unless `data` (the original file's bytes) is given to decode it again."""
    entry = faces_of.get(photo_id)
    if entry is None:
        return js_object({"ok": False, "missing": True, "name": "", "error": {
            "code": "internal", "message": "This photo is no longer loaded.", "hint": "Drop it again."}})
    try:
        if photo_id not in previews:
            if data is None:
                return js_object({"ok": False, "missing": True, "name": entry["photo"].name})
            photo = load_photo(data.to_bytes(), entry["photo"].name, config.ANALYSIS_MAX_PIXELS)
            keep_preview(photo_id, preview_of(photo))
        previews.move_to_end(photo_id)
        return js_object(render_preview(photo_id, view_json, {}))
    except Exception as error:
        return failure(entry["photo"].name, error)


async def export(photo_id: str, data, view_json: str, output_json: str):
    """The full-resolution download (output: {"format": "auto"|"jpeg"|"png"|"webp", "quality": 1..100}).
    Answers the file's bytes, MIME type and name, and its detections JSON.

    The browser decodes the original, blends the googly-eye layers Python paints (render.googly_layers)
    on a canvas and encodes it: the 12 MP photo never crosses into Python, and the browser's codecs are
    several times faster than Pillow's in wasm. Photos the browser cannot decode (TIFF, ...) or whose
    upright size it sees differently take the Pillow path: decode, paint and encode in Python."""
    entry = faces_of.get(photo_id)
    name = entry["photo"].name if entry else "photo"
    try:
        output = json.loads(output_json) if output_json else {}
        settings, edits = view_of(view_json)
        quality = int(output.get("quality", config.JPEG_QUALITY))
        photo = entry["photo"]
        pil_format, mime, extension = output_format(photo, output.get("format", "auto"))
        eyes = place_googly_eyes(entry["faces"], settings, edits)
        timings = {}
        encoded = None
        if export_path == "canvas":
            encoded = await export_on_canvas(data, photo.size, eyes, settings.style, mime, quality, timings)
        if encoded is None:
            encoded = js_bytes(export_with_pillow(data.to_bytes(), name, entry["faces"], settings, edits,
                                                  pil_format, quality, timings))
        detections = detections_json(photo, entry["faces"], eyes, settings, edits)
        return js_object({"ok": True, "name": name, "image": encoded, "mime": mime,
                          "downloadName": output_name(name, extension), "path": timings.pop("path"),
                          "json": json.dumps(detections, indent=1),
                          "timings": {stage: round(ms, 1) for stage, ms in timings.items()}})
    except Exception as error:
        return failure(name, error)


async def export_on_canvas(data, size, eyes, style, mime, quality, timings):
    """Decode with the browser (EXIF orientation applied), blend the layers, encode. None if the browser
    cannot decode the photo or sees another size than Pillow did."""
    start = time.perf_counter()
    try:
        bitmap = await js.createImageBitmap(js.Blob.new(to_js([data])),
                                            js_object({"imageOrientation": "from-image"}))
    except Exception:
        return None
    if (bitmap.width, bitmap.height) != tuple(size):
        bitmap.close()
        return None
    canvas = js.OffscreenCanvas.new(bitmap.width, bitmap.height)
    context = canvas.getContext("2d")
    context.drawImage(bitmap, 0, 0)
    bitmap.close()
    timings["decode"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    for left, top, layer in googly_layers(tuple(size), eyes, style):
        pixels = js.Uint8ClampedArray.new(layer.width * layer.height * 4)
        pixels.assign(layer.tobytes())
        sprite = await js.createImageBitmap(js.ImageData.new(pixels, layer.width, layer.height))
        context.drawImage(sprite, left, top)
        sprite.close()
    timings["render"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    blob = await canvas.convertToBlob(js_object({"type": mime, "quality": quality / 100}))
    encoded = js.Uint8Array.new(await blob.arrayBuffer())
    timings["encode"] = (time.perf_counter() - start) * 1000
    timings["path"] = "canvas"
    return encoded


def export_with_pillow(data: bytes, name, faces, settings, edits, pil_format, quality, timings) -> bytes:
    start = time.perf_counter()
    photo = load_photo(data, name)
    timings["decode"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    image, _ = render_googly(photo.image, faces, settings, edits)
    timings["render"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    encoded = encode_photo(image, pil_format, quality)
    timings["encode"] = (time.perf_counter() - start) * 1000
    timings["path"] = "pillow"
    return encoded


def forget(photo_id: str) -> None:
    """The user removed a photo: let go of everything kept for it."""
    faces_of.pop(photo_id, None)
    previews.pop(photo_id, None)


async def time_model(runs: int = 20):
    """Model inference alone, `runs` times on one input: for scripts/benchmark.py."""
    detector = models.detector
    feeds, _ = detector.prepare(Image.new("RGB", (640, 480), (128, 128, 128)))
    names = [detector.spec.boxes_output, detector.spec.scores_output]
    times = []
    for _ in range(int(runs)):
        start = time.perf_counter()
        await run_model(detector.session, names, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return to_js(times)


def memory() -> str:
    """Memory now, for scripts/soak.py: the Python heap's wasm memory (it only grows; a plateau means
    no leak) and what this worker keeps (photos' faces, decoded previews)."""
    import pyodide_js

    return json.dumps({"wasm_bytes": int(pyodide_js._module.HEAP8.byteLength), "photos": len(faces_of),
                       "previews": len(previews)})


sync.memory = memory
sync.boot = boot
sync.analyse = analyse
sync.render = render
sync.export = export
sync.forget = forget
sync.time_model = time_model

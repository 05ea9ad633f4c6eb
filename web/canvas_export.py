"""A full-resolution download made by the browser: it decodes the original (EXIF orientation applied),
blends the googly-eye layers Python paints (render.googly_layers) on a canvas and encodes the file.
The 12 MP photo never crosses into Python, and the browser's codecs are several times faster than
Pillow's in wasm. worker.py falls back to gallery.export_with_pillow when this answers None."""

import math
import time

import js
from pyodide.ffi import to_js

from googly_eyes.gallery import ExportPlan, timed
from googly_eyes.metadata import with_exif
from googly_eyes.render import googly_layers
from js_bridge import js_bytes, js_object


async def export_on_canvas(data, plan: ExportPlan, timings: dict):
    """`data` (a Uint8Array of the original file) with the plan's googly eyes, encoded as the plan says:
    a Uint8Array, or None if the browser cannot decode the photo (TIFF, ...) or sees another upright
    size than Pillow did."""
    size = tuple(plan.photo.size)
    turn = plan.photo.turn  # quarter turns clockwise asked for by hand
    upright = size[::-1] if turn % 2 else size  # the size before that turn
    decode_started = time.perf_counter()
    try:
        bitmap = await js.createImageBitmap(js.Blob.new(to_js([data])), js_object({"imageOrientation": "from-image"}))
    except Exception:
        return None
    if (bitmap.width, bitmap.height) != upright:
        bitmap.close()
        return None
    canvas = js.OffscreenCanvas.new(*size)
    try:
        context = canvas.getContext("2d")
        if turn:  # turn the canvas about its origin, then move the turned photo back into view
            context.translate(*{1: (size[0], 0), 2: size, 3: (0, size[1])}[turn])
            context.rotate(turn * math.pi / 2)
        context.drawImage(bitmap, 0, 0)
        context.setTransform(1, 0, 0, 1, 0, 0)
        bitmap.close()
        timings["decode"] = (time.perf_counter() - decode_started) * 1000
        with timed(timings, "render"):
            for left, top, layer in googly_layers(size, plan.eyes, plan.settings.style):
                pixels = js.Uint8ClampedArray.new(layer.width * layer.height * 4)
                pixels.assign(layer.tobytes())
                sprite = await js.createImageBitmap(js.ImageData.new(pixels, layer.width, layer.height))
                context.drawImage(sprite, left, top)
                sprite.close()
        with timed(timings, "encode"):
            blob = await canvas.convertToBlob(js_object({"type": plan.mime, "quality": plan.quality / 100}))
            encoded = js.Uint8Array.new(await blob.arrayBuffer())
            if plan.exif:  # the browser writes no photo information: add what the plan keeps (metadata.py)
                encoded = js_bytes(with_exif(encoded.to_bytes(), plan.mime, plan.exif))
            return encoded
    finally:  # a 12 MP canvas holds 48 MB until garbage collection comes round: give its pixels back now
        canvas.width = canvas.height = 0

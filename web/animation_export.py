"""An animated download, made in the worker: Python plans it (gallery.plan_animation: the physics) and
drives the frames; the browser decodes the photo (Pillow when it cannot: TIFF, ...), composites the frames (web/animation.js's Composer: the photo and the still
layers once, then only pupils) and encodes MP4/WebM (WebCodecs) and GIF (gifenc); Pillow encodes animated
WebP and APNG (googly_eyes.animated_files). Frames stream one at a time into the encoder, so memory
stays bounded whatever the length.

Progress and Cancel go over a BroadcastChannel named CHANNEL: this side posts {job, done, total} every few
frames and listens for {cancel: job}; the loop yields to the browser between frames so a cancel is heard.
"""

import asyncio

import js
from PIL import Image
from pyodide.ffi import create_proxy, to_js

from googly_eyes.animated_files import ApngWriter, WebPWriter
from googly_eyes.gallery import AnimationPlan, timed
from googly_eyes.photo import PhotoError, load_photo
from js_bridge import js_bytes, js_object

CHANNEL = "googly-animation"
PROGRESS_EVERY = 3  # frames

cancelled: set[str] = set()
_channel = None


class Cancelled(PhotoError):
    def __init__(self, name: str):
        super().__init__("cancelled", f"The animation of {name} was cancelled.", "")


def channel():
    """The progress/cancel channel, opened once (its listener marks jobs to cancel)."""
    global _channel
    if _channel is None:
        _channel = js.BroadcastChannel.new(CHANNEL)

        def on_message(event):
            job = getattr(event.data, "cancel", None)
            if job:
                cancelled.add(str(job))
        _channel.onmessage = create_proxy(on_message)
    return _channel


def _layer(left: int, top: int, image: Image.Image) -> dict:
    return {"left": left, "top": top, "width": image.width, "height": image.height, "rgba": js_bytes(image.tobytes())}


async def export_animation(data, plan: AnimationPlan, job: str, timings: dict, codecs: str = "any") -> tuple[object, str]:
    """`data` (a Uint8Array of the original file) as the plan's animation: (the file as a Uint8Array, the
    container written: "mp4", "webm", "gif", "webp" or "apng"). Raises Cancelled if the page cancelled
    `job`, PhotoError "codec-missing" if this browser cannot encode the video. `codecs` ("vp9", "none")
    leaves out H.264 or every video codec, as browsers without them do (tests)."""
    from pyscript.js_modules import animation  # web/animation.js (pyscript.toml [js_modules.worker])

    progress = channel()
    width, height = plan.size
    total = plan.animation.frames
    fps = plan.animation.fps
    kind = plan.animation.format
    with timed(timings, "decode"):
        photo = None
        if not plan.changes_background:
            photo = await animation.photoBitmap(data, to_js(list(plan.photo.size)), width, height, plan.photo.turn)
        if photo is None:  # a format the browser cannot decode (TIFF, ...), another size, or a changed background
            image = load_photo(data.to_bytes(), plan.photo.name, turn=plan.photo.turn).image
            image = image.convert("RGBA").resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            if plan.changes_background:
                image = plan.backdrop(image).convert("RGBA")
            photo = await animation.bitmapOf(js_object(_layer(0, 0, image)))
    with timed(timings, "layers"):
        parts = plan.layers()
        composer = await animation.Composer.create(js_object({
            "photo": photo, "width": width, "height": height,
            "still": [_layer(*layer) for layer in parts["still"]],
            "above": [_layer(*layer) for layer in parts["above"]],
            "look": parts["pupil"],
            "eyes": [{"centre": list(eye.centre), "radius": eye.radius, "pupilRadius": eye.pupil_radius}
                     for eye in plan.moving]}))
    writer = None
    try:
        if kind == "mp4":
            try:
                writer = await animation.VideoWriter.create(width, height, fps, codecs)
            except Exception as error:
                if "codec-missing" in str(error):
                    raise PhotoError("codec-missing", "This browser cannot make videos (no H.264 or VP9 encoder).",
                                     "Choose GIF, WebP or APNG instead, or try another browser.") from None
                raise
            container = str(writer.container)
        elif kind == "gif":
            writer, container = animation.GifWriter.new(width, height, fps), "gif"
        elif kind == "webp":
            writer, container = WebPWriter((width, height), fps), "webp"
        else:
            writer, container = ApngWriter((width, height), fps, total), "apng"
        with timed(timings, "frames"):
            for index in range(total):
                if job in cancelled:
                    raise Cancelled(plan.photo.name)
                composer.draw(to_js(plan.centres(index)))
                if kind == "mp4":
                    await writer.add(composer.canvas, index)
                elif kind == "gif":
                    writer.add(composer.rgba())
                else:
                    rgba = composer.rgba().to_bytes()
                    writer.add(Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1).convert("RGB"))
                if (index + 1) % PROGRESS_EVERY == 0 or index + 1 == total:
                    progress.postMessage(js_object({"job": job, "done": index + 1, "total": total}))
                    await asyncio.sleep(0)  # let the page's messages (a cancel) in
        if job in cancelled:
            raise Cancelled(plan.photo.name)
        with timed(timings, "finish"):
            encoded = writer.finish()
            if kind == "mp4":
                encoded = await encoded
            if isinstance(encoded, bytes):
                encoded = js_bytes(encoded)
        return encoded, container
    finally:
        cancelled.discard(job)
        composer.close()
        if kind == "mp4" and writer is not None:
            writer.close()

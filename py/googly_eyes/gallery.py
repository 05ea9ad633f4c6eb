"""The photos a person has dropped, as the page works on them: analysed once, re-rendered, exported.

The page's Python worker (web/worker.py) holds one `Gallery` and only converts between JavaScript and
Python around it; everything that can run in CPython is here, so tests and the benchmark's native run
(scripts/bench) call exactly what the page calls.

A photo is analysed once (decode, find faces and eyes: the slow part), then rendered as often as the
user changes its look, on a preview of at most config.PREVIEW_MAX_SIDE pixels. The full-resolution
file is made only for a download, from the original bytes again, so memory stays bounded however
many photos are dropped: per photo the gallery keeps its faces (small) and, for the most recently
used photos only, the decoded preview.

Answers are plain dicts (bytes, numbers, strings, lists): the worker hands them to the page as they
are, and web/protocol.js declares their fields. A photo the gallery cannot use raises PhotoError; a
photo it no longer has raises GalleryError; both carry {code, message, hint} for people.
"""

from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, replace
import json
import statistics
import time

from PIL import Image

from . import config, physics
from .animation import EXTENSION, MIME, AnimationSettings, FramePlan, plan_frames
from .background import PersonMask, apply_background
from .config import GooglySettings
from .googly import GooglyEye, place_googly_eyes, scale_eyes
from .landmarks import LocatedFace
from .models import Models
from .photo import Photo, PhotoError, encode_photo, load_photo, output_format, output_name
from .pipeline import (Analysis, analyse_photo, background_of, detections_json, eye_mask_png, people_mask,
                       photo_information, preview_of, render_googly)
from .render import moving_layers


class GalleryError(PhotoError):
    """A request about a photo the gallery does not hold (never dropped, removed, or its preview let go)."""


def failure(error: Exception, name: str = "photo") -> dict:
    """The one failure shape the page shows, {code, message, hint}: a PhotoError says itself; anything
    else is a bug of ours, said plainly."""
    if isinstance(error, PhotoError):
        return error.as_dict()
    return {"code": "internal", "message": f"Something went wrong with {name}: {type(error).__name__}: {error}",
            "hint": "The other photos are not affected. Please report this with the file if you can."}


@contextmanager
def timed(timings: dict, stage: str):
    """Record how long the `with` block took, in ms, as timings[stage]."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = (time.perf_counter() - start) * 1000


def rounded(timings: dict) -> dict:
    return {stage: round(ms, 1) for stage, ms in timings.items()}


def encode_preview(image: Image.Image) -> tuple[bytes, str]:
    """A preview for the screen: JPEG (quick, small) unless it has transparency to keep."""
    if image.mode == "RGB":
        return encode_photo(image, "JPEG", config.PREVIEW_QUALITY), "image/jpeg"
    return encode_photo(image, "PNG"), "image/png"


def view_of(view: dict | None) -> tuple[GooglySettings, dict]:
    """The settings and hand edits the page keeps for one photo: {"settings": {...}, "edits": {...}}."""
    view = view or {}
    return GooglySettings.from_dict(view.get("settings") or {}), view.get("edits") or {}


def _rounded_point(point) -> list[float]:
    return [round(float(v), 1) for v in point]


def faces_for_overlay(faces: list[LocatedFace]) -> list[dict]:
    """Face boxes, keypoints and eye contours for the editor's "Show detections" (never in a download)."""
    return [{
        "box": _rounded_point(face.box),
        "eyes": [{"centre": _rounded_point(eye.centre), "visible": bool(eye.visible),
                  "contour": [_rounded_point(point) for point in eye.outline]}
                 for eye in (face.right, face.left)],
        "keypoints": [_rounded_point(point) for point in face.face.keypoints],
    } for face in faces]


def eyes_for_editor(eyes: list[GooglyEye]) -> list[dict]:
    """Every googly eye with its key, in photo pixels: the handles the editor lets people drag."""
    return [{**eye.as_dict(), "face": eye.face_index, "side": eye.side, "roll": round(eye.roll_degrees, 2)}
            for eye in eyes]


def new_eye_size(eyes: list[GooglyEye], photo_size: tuple[int, int], settings: GooglySettings) -> dict:
    """How big an eye added by hand starts, and how far apart a pair's two eyes go.

    The radius is the median of the photo's googly eyes (or config.ADDED_EYE_FRACTION of its short
    side when it has none); a pair is spaced as a face whose eyes have that radius:
    radius = gamma * eye_distance / 2, so each eye sits radius / gamma from the pair's centre."""
    if eyes:
        radius = statistics.median_high(eye.radius for eye in eyes)
    else:
        radius = config.ADDED_EYE_FRACTION * min(photo_size)
    return {"radius": round(radius, 3), "pairOffset": round(radius / settings.gamma, 3)}


@dataclass
class Kept:
    """What the gallery keeps of an analysed photo: its description (no pixels), its faces and, once a
    background other than "keep" asked for it, its people mask (background.py: small, a few hundred KB)."""
    photo: Photo
    faces: list[LocatedFace]
    mask: PersonMask | None = None


@dataclass
class ExportPlan:
    """Everything a full-resolution download needs except the photo's pixels."""
    photo: Photo  # without pixels: name, size, format, orientation
    faces: list[LocatedFace]
    settings: GooglySettings
    edits: dict
    eyes: list[GooglyEye]  # placed in full-photo pixels
    pil_format: str
    mime: str
    quality: int
    download_name: str
    exif: bytes | None  # the photo information the file gets (pipeline.photo_information)
    mask: PersonMask | None = None  # the people mask, where the background is not kept
    picture: Image.Image | None = None  # the new background, for background "photo"
    eye_mask: bool = False  # the answer carries the eyes' mask PNG too ("Download all" with eye masks)

    @property
    def changes_background(self) -> bool:
        return self.settings.background != "keep"

    def detections(self) -> dict:
        return detections_json(self.photo, self.faces, self.eyes, self.settings, self.edits)

    def answer(self, path: str, timings: dict) -> dict:
        """The export answer's fields but the file itself (which the worker adds as it made it)."""
        answer = {"name": self.photo.name, "mime": self.mime, "downloadName": self.download_name, "path": path,
                  "json": json.dumps(self.detections(), indent=1), "timings": rounded(timings)}
        if self.eye_mask:
            with timed(timings, "eye_mask"):
                answer["eyeMask"] = eye_mask_png(self.photo.size, self.faces)
        return answer


def export_with_pillow(data: bytes, plan: ExportPlan, timings: dict) -> bytes:
    """The download made by Pillow alone: decode the original, paint at full size, encode."""
    with timed(timings, "decode"):
        photo = load_photo(data, plan.photo.name, turn=plan.photo.turn)
    with timed(timings, "render"):
        image, _ = render_googly(photo.image, plan.faces, plan.settings, plan.edits, mask=plan.mask,
                                 picture=plan.picture)
    with timed(timings, "encode"):
        return encode_photo(image, plan.pil_format, plan.quality, plan.exif)


def animation_size(photo_size: tuple[int, int], longest: int) -> tuple[int, int]:
    """An animation's size: its longest side `longest` (never larger than the photo: no upscaling), both
    sides even (H.264 video needs that), at least 2."""
    width, height = photo_size
    scale = min(1.0, longest / max(width, height))
    return max(2, 2 * round(width * scale / 2)), max(2, 2 * round(height * scale / 2))


@dataclass
class AnimationPlan:
    """Everything an animated download needs except the photo's pixels: its size, the eyes at that size,
    every frame's pupil centres, and the still layers (render.moving_layers)."""
    photo: Photo
    faces: list[LocatedFace]
    settings: GooglySettings
    edits: dict
    eyes: list[GooglyEye]  # full-photo pixels (for the detections JSON)
    animation: AnimationSettings
    size: tuple[int, int]
    moving: list[GooglyEye]  # the eyes at the animation's size
    frames: FramePlan
    mask: PersonMask | None = None  # the people mask, where the background is not kept
    picture: Image.Image | None = None  # the new background, for background "photo"

    @property
    def changes_background(self) -> bool:
        return self.settings.background != "keep"

    def backdrop(self, image: Image.Image) -> Image.Image:
        """The photo at the animation's size with its background as the settings say. Animations have no
        transparency (MP4 has none; GIF only all-or-nothing), so a removed background becomes white."""
        changed = apply_background(image, self.mask, background_of(self.settings, self.picture))
        if changed.mode == "RGBA":
            flat = Image.new("RGBA", changed.size, (255, 255, 255, 255))
            flat.alpha_composite(changed)
            changed = flat
        return changed

    def layers(self) -> dict:
        return moving_layers(self.size, self.moving, self.settings.style)

    def centres(self, frame: int) -> list[float]:
        """Frame `frame`'s pupil centres, x then y per eye, in the animation's pixels."""
        return [value for centre in self.frames.pupil_centres(self.moving, frame) for value in centre]

    def download_name(self, container: str) -> str:
        return output_name(self.photo.name, EXTENSION[container].lstrip("."))

    def detections(self) -> dict:
        """The detections JSON, the photo's entry with what made the animation: its settings and the physics
        of every eye (in the same order as the photo's googly eyes)."""
        document = detections_json(self.photo, self.faces, self.eyes, self.settings, self.edits)
        document["images"][0]["animation"] = {**self.frames.notes(), "width": self.size[0], "height": self.size[1],
                                              "eye_keys": [eye.key for eye in self.eyes]}
        return document

    def answer(self, container: str, timings: dict) -> dict:
        """The animation answer's fields but the file itself. `container`: what was written ("mp4",
        "webm" where the browser has no H.264 encoder, "gif", "webp", "apng")."""
        return {"name": self.photo.name, "mime": MIME[container], "downloadName": self.download_name(container),
                "format": container, "width": self.size[0], "height": self.size[1], "fps": self.animation.fps,
                "frames": self.animation.frames, "json": json.dumps(self.detections(), indent=1),
                "timings": rounded(timings)}


class Gallery:
    """The photos of one page, by the id the page gave each."""

    def __init__(self, models: Models, previews_kept: int = config.PREVIEWS_KEPT,
                 preview_bytes_kept: int = config.PREVIEW_BYTES_KEPT):
        self.models = models
        self.previews_kept, self.preview_bytes_kept = previews_kept, preview_bytes_kept
        self.kept: dict[str, Kept] = {}
        self.previews: OrderedDict[str, tuple[Image.Image, float]] = OrderedDict()  # least recently used first
        self.picture: tuple[str, Image.Image] | None = None  # (name, image): the photo chosen as a background
        # photo id -> (its preview, (mode, colour), picture, the preview with that background): _with_background
        self.backgrounds: OrderedDict[str, tuple] = OrderedDict()

    def _keep_preview(self, photo_id: str, preview: tuple[Image.Image, float]) -> None:
        self.previews[photo_id] = preview
        self.previews.move_to_end(photo_id)
        while len(self.previews) > 1 and (len(self.previews) > self.previews_kept
                                          or self.preview_bytes() > self.preview_bytes_kept):
            self.previews.popitem(last=False)

    def preview_bytes(self) -> int:
        """What the kept previews' pixels take (Pillow: 4 bytes a pixel, RGB too)."""
        return sum(image.width * image.height * 4 for image, _ in self.previews.values())

    def _kept(self, photo_id: str) -> Kept:
        kept = self.kept.get(photo_id)
        if kept is None:
            raise GalleryError("not-loaded", "This photo is no longer loaded.", "Drop it again.")
        return kept

    def name_of(self, photo_id: str, default: str = "photo") -> str:
        kept = self.kept.get(photo_id)
        return kept.photo.name if kept else default

    def set_picture(self, data: bytes, name: str) -> dict:
        """The photo people chose as the new background (background "photo", for every photo that uses it),
        decoded once and kept at most config.ANALYSIS_MAX_PIXELS. Raises PhotoError for a file we cannot use."""
        image = load_photo(data, name, config.ANALYSIS_MAX_PIXELS).image.convert("RGB")
        self.picture = (name, image)
        return {"name": name, "width": image.width, "height": image.height}

    async def prepare_background(self, photo_id: str, view: dict | None, data: bytes | None = None) -> None:
        """Make sure what a look's background needs is here: the photo's people mask (the model runs on its
        preview, the first time only) and, for background "photo", the picture. GalleryError says what is
        missing; like render(), a preview that was let go is decoded again from `data`."""
        settings, _ = view_of(view)
        if settings.background == "keep":
            return
        kept = self._kept(photo_id)
        if settings.background == "photo" and self.picture is None:
            raise GalleryError("no-background-photo", "There is no background photo yet.",
                               "Choose one with “Choose photo…” under Background.")
        if kept.mask is not None:
            return
        if self.models.segmenter is None:
            raise GalleryError("background-unavailable", "The background model is not loaded.",
                               "Check the connection and choose the background again.")
        if photo_id not in self.previews:
            self.render(photo_id, {}, data)  # decodes the preview again (or says it needs the bytes)
        image, scale = self.previews[photo_id]
        kept.mask = await people_mask(image, kept.faces, self.models, scale)

    def _with_background(self, photo_id: str, settings: GooglySettings) -> Image.Image:
        """The photo's preview with its background as the settings say. Kept for the last few photos
        (config.BACKGROUNDS_KEPT), so moving a slider does not blur the background again."""
        image, _ = self.previews[photo_id]
        if settings.background == "keep":
            return image
        mask, picture = self._background(self.kept[photo_id], settings)
        look = (settings.background, settings.background_colour)
        made = self.backgrounds.get(photo_id)
        if made is None or made[0] is not image or made[1] != look or made[2] is not picture:
            made = (image, look, picture, apply_background(image, mask, background_of(settings, picture)))
        self.backgrounds[photo_id] = made
        self.backgrounds.move_to_end(photo_id)
        while len(self.backgrounds) > config.BACKGROUNDS_KEPT:
            self.backgrounds.popitem(last=False)
        return made[3]

    def _background(self, kept: Kept, settings: GooglySettings) -> tuple[PersonMask | None, Image.Image | None]:
        """The mask and picture a look's background uses (prepare_background made them)."""
        if settings.background == "keep":
            return None, None
        if kept.mask is None or (settings.background == "photo" and self.picture is None):
            raise GalleryError("background-not-ready", f"The background of {kept.photo.name} is not ready.",
                               "Choose the background again.")
        return kept.mask, self.picture[1] if settings.background == "photo" else None

    async def analyse(self, photo_id: str, data: bytes, name: str, view: dict | None, turn: int = 0,
                      early=None) -> dict:
        """Find the faces in a new photo and render its first preview: the preview with and without
        googly eyes, the faces for the overlay, the googly eyes for the editor, and timings.
        Analysing a photo again with another `turn` (quarter turns clockwise: the editor's Rotate)
        replaces what was kept of it: renders and downloads then have the new orientation.

        `early(answer)`, if given, is awaited with a first preview (EarlyAnswer) as soon as the whole-photo
        look has found faces, while the finer levels still look for small ones (analyse_photo)."""
        preview = None

        async def first_look(partial: Analysis) -> None:
            nonlocal preview
            preview = preview_of(partial.photo)
            settings, edits = view_of(view)
            # A changed background comes with the complete result (its mask needs every face).
            image, eyes = render_googly(preview[0], partial.faces, replace(settings, background="keep"), edits,
                                        preview[1])
            data, mime = encode_preview(image)
            await early({"id": photo_id, "name": name, "preview": data, "previewMime": mime,
                         "eyes": eyes_for_editor(eyes), "googlyEyes": len(eyes),
                         "faces": faces_for_overlay(partial.faces)})

        analysis = await analyse_photo(data, name, self.models, turn=turn, early=first_look if early else None)
        photo = analysis.photo
        self.kept[photo_id] = Kept(photo.without_pixels(), analysis.faces)
        timings = analysis.timings_ms
        with timed(timings, "preview"):
            preview = preview or preview_of(photo)
            self._keep_preview(photo_id, preview)
            original, original_mime = encode_preview(preview[0])
        if view_of(view)[0].background != "keep":  # a look with a changed background: the people mask
            with timed(timings, "segment"):
                await self.prepare_background(photo_id, view)
        answer = self._render_preview(photo_id, view, timings)
        answer.update({"original": original, "originalMime": original_mime,
                       "faces": faces_for_overlay(analysis.faces), "width": photo.size[0],
                       "height": photo.size[1], "orientation": photo.orientation, "turn": photo.turn,
                       "downloadName": output_name(name, output_format(photo)[2])})
        return answer

    def render(self, photo_id: str, view: dict | None, data: bytes | None = None) -> dict:
        """Re-render a photo's preview for a new look. If its preview was let go, `data` (the original
        file's bytes) decodes it again; without it, GalleryError "preview-gone" asks for them."""
        kept = self._kept(photo_id)
        if photo_id not in self.previews:
            if data is None:
                raise GalleryError("preview-gone", f"The preview of {kept.photo.name} was let go to save memory.",
                                   "Send the photo's bytes to decode it again.")
            photo = load_photo(data, kept.photo.name, config.ANALYSIS_MAX_PIXELS, kept.photo.turn)
            self._keep_preview(photo_id, preview_of(photo))
        self.previews.move_to_end(photo_id)
        return self._render_preview(photo_id, view, {})

    def _render_preview(self, photo_id: str, view: dict | None, timings: dict) -> dict:
        settings, edits = view_of(view)
        image, scale = self.previews[photo_id]
        kept = self.kept[photo_id]
        with timed(timings, "render"):
            image = self._with_background(photo_id, settings)
            painted, eyes = render_googly(image, kept.faces, settings, edits, scale)
        with timed(timings, "encode"):
            data, mime = encode_preview(painted)
        answer = {"name": kept.photo.name, "preview": data, "previewMime": mime, "eyes": eyes_for_editor(eyes),
                  "googlyEyes": len(eyes), "newEye": new_eye_size(eyes, kept.photo.size, settings),
                  "timings": rounded(timings)}
        if settings.background != "keep":
            answer["people"] = len(kept.faces)  # the mask is made round each face: none found, no people
        return answer

    def plan_export(self, photo_id: str, view: dict | None, output: dict | None) -> ExportPlan:
        """What the full-resolution download of a photo will be, for output {"format": "auto" | "jpeg" |
        "png" | "webp", "quality": 1..100, "photo_info": "keep" | "remove", "eye_mask": bool (optional)}."""
        kept = self._kept(photo_id)
        settings, edits = view_of(view)
        output = output or {}
        quality = int(output.get("quality", config.JPEG_QUALITY))
        pil_format, mime, extension = output_format(kept.photo, output.get("format", "auto"),
                                                    transparent=settings.background == "remove")
        eyes = place_googly_eyes(kept.faces, settings, edits)
        exif = photo_information(kept.photo, output.get("photo_info", config.DEFAULT_PHOTO_INFO))
        mask, picture = self._background(kept, settings)
        return ExportPlan(kept.photo, kept.faces, settings, edits, eyes, pil_format, mime, quality,
                          output_name(kept.photo.name, extension), exif, mask, picture, bool(output.get("eye_mask")))

    def moving(self, photo_id: str, view: dict | None, data: bytes | None = None) -> dict:
        """What the editor's live wobble draws, at the preview's size: the preview with the eyes but no
        pupils ("base"), the layers that go over the pupils (PNG), how a pupil looks, every eye, and the
        physics (each eye's constants, where each pupil starts, the step). Like render(), a preview that
        was let go is decoded again from `data` (or GalleryError "preview-gone" asks for it)."""
        kept = self._kept(photo_id)
        if photo_id not in self.previews:
            self.render(photo_id, view, data)  # decodes the preview again (or says it needs the bytes)
        self.previews.move_to_end(photo_id)
        settings, edits = view_of(view)
        image, scale = self.previews[photo_id]
        image = self._with_background(photo_id, settings)
        eyes = scale_eyes(place_googly_eyes(kept.faces, settings, edits), scale)
        parts = moving_layers(image.size, eyes, settings.style)
        base = image.convert("RGBA")
        for left, top, layer in parts["still"]:
            base.paste(layer, (left, top), layer) if left < 0 or top < 0 else base.alpha_composite(layer, (left, top))
        base_data, base_mime = encode_preview(base.convert(image.mode if image.mode in ("RGB", "RGBA") else "RGB"))
        params = physics.params_for(eyes, settings.seed)
        return {"name": kept.photo.name, "base": base_data, "baseMime": base_mime, "width": image.width,
                "height": image.height, "look": parts["pupil"],
                "above": [{"left": left, "top": top, "png": encode_photo(layer, "PNG")} for left, top, layer in parts["above"]],
                "eyes": [{"key": eye.key, "centre": list(eye.centre), "radius": eye.radius, "pupilRadius": eye.pupil_radius,
                          "squash": list(eye.squash())} for eye in eyes],
                "params": params.as_dict(), "start": physics.start_state(eyes, params).x.tolist(),
                "physics": {"stepHz": physics.STEP_HZ, "gravity": physics.GRAVITY,
                            "bounceMinSpeed": physics.BOUNCE_MIN_SPEED}}

    def plan_animation(self, photo_id: str, view: dict | None, animation: dict | None) -> AnimationPlan:
        """An animated download of a photo for animation settings {"motion", "seconds", "size", "format"}
        (animation.AnimationSettings): its frames are planned here (the physics), made by the page."""
        kept = self._kept(photo_id)
        settings, edits = view_of(view)
        wanted = AnimationSettings.from_dict(animation)
        eyes = place_googly_eyes(kept.faces, settings, edits)
        if not eyes:
            raise GalleryError("no-eyes", f"{kept.photo.name} has no googly eyes to move.",
                               "Add some in the editor (Add a pair), then make the animation.")
        size = animation_size(kept.photo.size, wanted.size)
        moving = scale_eyes(eyes, size[0] / kept.photo.size[0])
        mask, picture = self._background(kept, settings)
        return AnimationPlan(kept.photo, kept.faces, settings, edits, eyes, wanted, size, moving,
                             plan_frames(moving, settings.seed, wanted), mask, picture)

    def forget(self, photo_id: str) -> None:
        """The user removed a photo: let go of everything kept for it."""
        self.kept.pop(photo_id, None)
        self.previews.pop(photo_id, None)
        self.backgrounds.pop(photo_id, None)

    def memory(self) -> dict:
        return {"photos": len(self.kept), "previews": len(self.previews),
                "masks": sum(kept.mask is not None for kept in self.kept.values())}

"""One photo, start to finish: decode -> detect -> locate eyes -> place googly eyes -> render -> encode.

The work splits in two, so the page can change the googly eyes without finding the faces again:
`analyse_photo` decodes the photo and finds its faces and eyes (slow: the models run), and
`render_googly` places and paints the googly eyes for given settings and hand edits (fast), on the
full photo or on a smaller preview of it. `process_photo` does both, for scripts and tests.

The same code runs in CPython (tests, scripts/evaluate.py) and in the browser (web/worker.py); only
the inference session differs. Each stage is timed so the page and the benchmarks can report where
the time goes.
"""

from dataclasses import dataclass, field
import time

from PIL import Image, ImageDraw

from . import __version__, config
from .background import Background, PersonMask, apply_background
from .config import GooglySettings
from .detect import Face
from .googly import GooglyEye, place_googly_eyes, scale_eyes
from .landmarks import EyeLocator, LocatedFace, drop_duplicate_faces, scaled_face, unlocated
from .models import Models
from .photo import Photo, encode_photo, load_photo, output_format, output_name
from .render import draw_googly_eyes

COORDINATES = ("pixels of the image as displayed (EXIF orientation applied), continuous convention: "
               "pixel (i, j) spans [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5)")


@dataclass
class Analysis:
    """What the models found in one photo: everything the googly eyes need, in full-photo pixels."""
    photo: Photo
    faces: list[LocatedFace]
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    photo: Photo
    faces: list[LocatedFace]
    eyes: list[GooglyEye]
    image: Image.Image  # the googly-eyed photo, full resolution, upright
    settings: GooglySettings
    timings_ms: dict[str, float] = field(default_factory=dict)
    edits: dict | None = None

    def encode(self, requested: str = "auto", quality: int = config.JPEG_QUALITY,
               photo_info: str = config.DEFAULT_PHOTO_INFO) -> tuple[bytes, str, str]:
        """(bytes, MIME type, download file name) of the full-resolution result; `photo_info` "keep"
        writes the original's date taken, camera, artist and copyright (metadata.py), "remove" nothing."""
        start = time.perf_counter()
        pil_format, mime, extension = output_format(self.photo, requested, self.image.mode == "RGBA")
        data = encode_photo(self.image, pil_format, quality, photo_information(self.photo, photo_info))
        self.timings_ms["encode"] = (time.perf_counter() - start) * 1000
        return data, mime, output_name(self.photo.name, extension)

    def detections(self) -> dict:
        return detections_json(self.photo, self.faces, self.eyes, self.settings, self.edits)


def photo_information(photo: Photo, photo_info: str) -> bytes | None:
    """The EXIF a download of `photo` carries: what metadata.kept_exif kept of it, unless the person
    chose "remove" (config.PHOTO_INFO_LABELS)."""
    if photo_info not in config.PHOTO_INFO_LABELS:
        raise ValueError(f"photo_info must be one of {tuple(config.PHOTO_INFO_LABELS)}, got {photo_info!r}")
    return photo.exif if photo_info == "keep" else None


def sort_faces(faces: list) -> list:
    """Left to right, then top to bottom: a stable order, so a seed means the same eye each time."""
    return sorted(faces, key=lambda face: (round(float(face.box[0]), 1), round(float(face.box[1]), 1)))


async def locate_eyes(image: Image.Image, faces: list[Face], locator: EyeLocator | None,
                      memo: dict | None = None) -> list[LocatedFace]:
    """Refine every face's eyes with the face mesh (dropping non-faces and duplicates), or keep the
    detector's eye points when there is no mesh model. `memo`: see EyeLocator.locate_all."""
    if locator is None:
        return [unlocated(face) for face in faces]
    return sort_faces(drop_duplicate_faces(await locator.locate_all(image, faces, memo)))


async def analyse_photo(data: bytes, name: str, models: Models,
                        max_pixels: int = config.ANALYSIS_MAX_PIXELS, turn: int = 0, early=None) -> Analysis:
    """Decode, detect, locate eyes. Raises photo.PhotoError for files we cannot use.

    A photo over `max_pixels` is analysed on a reduced copy (`photo.image`); the faces come back in
    the photo's own pixels either way. `turn`: quarter turns clockwise asked for by hand (load_photo).
    `early(analysis)`, if given, is awaited with the faces of the whole-photo look, located, while the finer
    levels (small faces) are still to come: only when there are finer levels and that look found faces the
    landmarker keeps.
    The complete result is what it is without the early look: a face the finer levels leave exactly as it was
    keeps its early location (EyeLocator.locate_all), every other face is located afresh."""
    timings = {}
    start = time.perf_counter()
    photo = load_photo(data, name, max_pixels, turn)
    timings["decode"] = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    faces = []
    memo = {}  # faces the early look located: the complete result does not locate them again
    async for faces, complete in models.detector.stages(photo.image):
        if not complete and faces and early is not None:
            early_start = time.perf_counter()
            first = await located(photo, sort_faces(faces), models, memo)
            if first:  # (the landmarker may turn them all away: a spoon)
                await early(Analysis(photo, first, {}))
            timings["early"] = (time.perf_counter() - early_start) * 1000
    faces = sort_faces(faces)
    timings["detect"] = (time.perf_counter() - start) * 1000 - timings.get("early", 0.0)

    start = time.perf_counter()
    faces = await located(photo, faces, models, memo)
    timings["locate"] = (time.perf_counter() - start) * 1000
    return Analysis(photo, faces, timings)


async def located(photo: Photo, faces: list[Face], models: Models, memo: dict | None = None) -> list[LocatedFace]:
    """The faces' eyes located (locate_eyes), in the photo's own pixels (the analysis may run on a
    reduced copy)."""
    faces = await locate_eyes(photo.image, faces, models.locator, memo)
    if photo.full_size:
        sx, sy = photo.scale
        faces = [scaled_face(face, 1.0 / sx, 1.0 / sy) for face in faces]
    return faces


def preview_of(photo: Photo, max_side: int = config.PREVIEW_MAX_SIDE) -> tuple[Image.Image, float]:
    """A copy of the photo at most `max_side` pixels on its long side, and its scale (preview px per
    photo px), made from `photo.image` (which may itself be a reduced copy)."""
    image = photo.image
    longest = max(image.size)
    scale = min(1.0, max_side / longest)
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image, image.width / photo.size[0]


def background_of(settings: GooglySettings, picture: Image.Image | None = None) -> Background:
    """What the settings make of a photo's background; `picture` is the photo chosen for mode "photo"."""
    colour = settings.background_colour
    return Background(settings.background, tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)), picture)


def render_googly(image: Image.Image, faces: list[LocatedFace], settings: GooglySettings,
                  edits: dict | None = None, scale: float = 1.0, mask: PersonMask | None = None,
                  picture: Image.Image | None = None) -> tuple[Image.Image, list[GooglyEye]]:
    """Place the googly eyes (in full-photo pixels) and paint them on `image`, which is the photo
    itself (scale 1) or a preview of it (`scale` preview px per photo px). A background other than
    "keep" is applied first, from the photo's people `mask` (background.py; none: the photo as it is)
    and, for mode "photo", the `picture` behind them."""
    eyes = place_googly_eyes(faces, settings, edits)
    painted = eyes if scale == 1.0 else scale_eyes(eyes, scale)
    image = apply_background(image, mask, background_of(settings, picture))
    return draw_googly_eyes(image, painted, settings.style), eyes


async def people_mask(image: Image.Image, faces: list[LocatedFace], models: Models, scale: float = 1.0) -> PersonMask:
    """The people mask of a photo (`image`: the photo or a copy `scale` times its size; `faces` in the
    photo's pixels). Raises ValueError without the segmentation model."""
    if models.segmenter is None:
        raise ValueError("the background needs the selfie segmentation model, which is not loaded")
    if scale != 1.0:
        faces = [scaled_face(face, scale, scale) for face in faces]
    return await models.segmenter.coarse_mask(image, faces)


async def process_photo(data: bytes, name: str, models: Models,
                        settings: GooglySettings = GooglySettings(), edits: dict | None = None,
                        picture: Image.Image | None = None, early=None) -> Result:
    """Decode, detect, locate eyes, then render at full resolution. Raises photo.PhotoError for files we
    cannot use. `picture`: the new background for settings.background "photo"; `early`: see analyse_photo."""
    analysis = await analyse_photo(data, name, models, early=early)
    mask = None
    if settings.background != "keep":
        start = time.perf_counter()
        reduced = analysis.photo
        mask = await people_mask(reduced.image, analysis.faces, models, reduced.image.width / reduced.size[0])
        analysis.timings_ms["segment"] = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    photo = analysis.photo
    if photo.full_size:  # analysed on a reduced copy: paint on the full photo
        photo = load_photo(data, name)
        analysis.photo = photo
    image, eyes = render_googly(photo.image, analysis.faces, settings, edits, mask=mask, picture=picture)
    analysis.timings_ms["render"] = (time.perf_counter() - start) * 1000
    return Result(analysis.photo, analysis.faces, eyes, image, settings, analysis.timings_ms, edits)


def eye_mask(size: tuple[int, int], faces: list[LocatedFace]) -> Image.Image:
    """The eyes as a mask at the photo's size: each visible eye's outline (the eye segmentation of the
    detections JSON, `eyes.<side>.outline`) filled white on black, 1 bit per pixel. Eyes found without the
    landmarker (no outline) and eyes hidden by a turned head are left out."""
    mask = Image.new("1", size, 0)
    draw = ImageDraw.Draw(mask)
    for face in faces:
        for eye in (face.right, face.left):
            if eye.visible and eye.opening == eye.opening and len(eye.outline) >= 3:
                draw.polygon([(float(x), float(y)) for x, y in eye.outline], fill=1)
    return mask


def eye_mask_png(size: tuple[int, int], faces: list[LocatedFace]) -> bytes:
    return encode_photo(eye_mask(size, faces), "PNG")


def _point(values) -> list[float]:
    return [round(float(v), 2) for v in values]


def _eye_json(eye) -> dict:
    entry = {"centre": _point(eye.centre), "width": round(float(eye.width), 2), "visible": bool(eye.visible)}
    if eye.opening == eye.opening:  # not NaN: measured by the mesh
        entry["opening"] = round(float(eye.opening), 3)
        entry["contour"] = [_point(p) for p in eye.contour]  # the 16 eyelid points in the landmarker's order
        entry["outline"] = [_point(p) for p in eye.outline]  # the same points in order around the eye
    return entry


def detections_json(photo: Photo, faces: list[LocatedFace], eyes: list[GooglyEye], settings: GooglySettings,
                    edits: dict | None = None) -> dict:
    """The "Download JSON": the scorer's prediction format plus the eyes' shape and googly-eye geometry."""
    by_face: dict[int, dict] = {}
    for eye in eyes:
        by_face.setdefault(eye.face_index, {})[eye.side] = eye
    face_entries = []
    for index, face in enumerate(faces):
        detector = face.face
        face_entries.append({
            "box": _point(face.box),
            "right_eye": _point(face.right_eye),
            "left_eye": _point(face.left_eye),
            "score": round(face.score, 4),
            "presence": round(face.presence, 4),
            "roll_degrees": round(face.roll_degrees, 2),
            "eyes": {"right": _eye_json(face.right), "left": _eye_json(face.left)},
            "detector_keypoints": {name: _point(point)
                                   for name, point in zip(detector.keypoint_names, detector.keypoints)},
            "googly_eyes": {side: eye.as_dict() for side, eye in by_face.get(index, {}).items()},
        })
        if face.expressions is not None:
            face_entries[-1]["expressions"] = {**{k: round(v, 4) for k, v in face.expressions.summary().items()},
                                               "scores": face.expressions.scores}
    width, height = photo.size
    return {
        "app": f"googly-eyes {__version__}",
        "coordinates": COORDINATES,
        "settings": settings.as_dict(),
        "images": [{
            "file": photo.name,
            "width": width,
            "height": height,
            "exif_orientation_applied": photo.orientation,
            "rotated_by_hand_degrees": 90 * photo.turn,  # clockwise, after the EXIF orientation
            "faces": face_entries,
            # Eyes the user added by hand (not on a detected face), and the hand edits themselves.
            "added_googly_eyes": [eye.as_dict() for eye in eyes if eye.face_index < 0],
            "edits": edits or {},
        }],
    }

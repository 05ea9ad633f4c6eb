"""One photo, start to finish: decode -> detect -> locate eyes -> place googly eyes -> render -> encode.

The same code runs in CPython (tests, scripts/evaluate.py) and in the browser (web/main.py); only the
inference session differs. Each stage is timed so the page and the benchmarks can report where the
time goes.
"""

from dataclasses import dataclass, field
import time

from PIL import Image

from . import __version__
from .config import GooglySettings
from .detect import Face
from .googly import GooglyEye, place_googly_eyes
from .landmarks import EyeLocator, LocatedFace, drop_duplicate_faces, unlocated
from .models import Models
from .photo import Photo, encode_photo, load_photo, output_format, output_name
from .render import draw_googly_eyes

COORDINATES = ("pixels of the image as displayed (EXIF orientation applied), continuous convention: "
               "pixel (i, j) spans [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5)")


@dataclass
class Result:
    photo: Photo
    faces: list[LocatedFace]
    eyes: list[GooglyEye]
    image: Image.Image  # the googly-eyed photo, full resolution, upright
    settings: GooglySettings
    timings_ms: dict[str, float] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str, str]:
        """(bytes, MIME type, download file name) of the full-resolution result."""
        start = time.perf_counter()
        pil_format, mime, extension = output_format(self.photo)
        data = encode_photo(self.image, pil_format)
        self.timings_ms["encode"] = (time.perf_counter() - start) * 1000
        return data, mime, output_name(self.photo.name, extension)

    def detections(self) -> dict:
        return detections_json(self.photo, self.faces, self.eyes, self.settings)


def sort_faces(faces: list) -> list:
    """Left to right, then top to bottom: a stable order, so a seed means the same eye each time."""
    return sorted(faces, key=lambda face: (round(float(face.box[0]), 1), round(float(face.box[1]), 1)))


def googly_image(photo: Photo, faces: list[LocatedFace], settings: GooglySettings) -> tuple[Image.Image, list[GooglyEye]]:
    eyes = place_googly_eyes(faces, settings)
    return draw_googly_eyes(photo.image, eyes), eyes


async def locate_eyes(image: Image.Image, faces: list[Face], locator: EyeLocator | None) -> list[LocatedFace]:
    """Refine every face's eyes with the face mesh (dropping non-faces and duplicates), or keep the
    detector's eye points when there is no mesh model."""
    if locator is None:
        return [unlocated(face) for face in faces]
    return sort_faces(drop_duplicate_faces(await locator.locate_all(image, faces)))


async def process_photo(data: bytes, name: str, models: Models,
                        settings: GooglySettings = GooglySettings()) -> Result:
    """Decode, detect, locate eyes, then render. Raises photo.PhotoError for files we cannot use."""
    timings = {}
    start = time.perf_counter()
    photo = load_photo(data, name)
    timings["decode"] = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    faces = sort_faces(await models.detector.detect(photo.image))
    timings["detect"] = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    faces = await locate_eyes(photo.image, faces, models.locator)
    timings["locate"] = (time.perf_counter() - start) * 1000

    start = time.perf_counter()
    image, eyes = googly_image(photo, faces, settings)
    timings["render"] = (time.perf_counter() - start) * 1000
    return Result(photo, faces, eyes, image, settings, timings)


def _point(values) -> list[float]:
    return [round(float(v), 2) for v in values]


def _eye_json(eye) -> dict:
    entry = {"centre": _point(eye.centre), "width": round(float(eye.width), 2), "visible": bool(eye.visible)}
    if eye.opening == eye.opening:  # not NaN: measured by the mesh
        entry["opening"] = round(float(eye.opening), 3)
        entry["contour"] = [_point(p) for p in eye.contour]
    return entry


def detections_json(photo: Photo, faces: list[LocatedFace], eyes: list[GooglyEye], settings: GooglySettings) -> dict:
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
    width, height = photo.size
    return {
        "app": f"googly-eyes {__version__}",
        "coordinates": COORDINATES,
        "settings": {"gamma": settings.gamma, "lambda_min": settings.lambda_min,
                     "lambda_max": settings.lambda_max, "seed": settings.seed, "sizing": settings.sizing},
        "images": [{
            "file": photo.name,
            "width": width,
            "height": height,
            "exif_orientation_applied": photo.orientation,
            "faces": face_entries,
        }],
    }

"""Locate each eye exactly: MediaPipe's 478-point face landmarker on a crop turned upright by the eye line.

The detector's eye keypoints are coarse (a few model pixels on a small face). For every face we cut a
square around it, rotated so the detector's eye line is horizontal (MediaPipe's own ROI: the box,
squared on its long side, scaled 1.5), run the face landmarker on it (256 x 256: the face mesh's 468
points, then both irises) and map the landmarks back to the photo. An eye's centre is the centre of its
opening, as the annotations define it: the mean of the 16 eyelid-contour points. The landmarks also give
each eye's width and opening, its outline, the head's roll, and a face-presence score that turns away
animals and other look-alikes the detector accepted. The landmarker runs twice per face: the second pass
on the region the first spans (MediaPipe's tracking ROI), which centres small or tilted faces.

(Until December 2026 this was the 468-point face mesh, twice, then the iris model on each eye: four runs
per face. On faces-dev the landmarker's two runs put the eyes and their outlines closer to the
annotations: e <= 0.05 for 73.3 % of faces instead of 72.1 %, outline Dice 0.687 instead of 0.671.)
"""

from dataclasses import dataclass, replace
import math

import numpy as np
from PIL import Image

from . import config
from .detect import Face
from .expressions import ExpressionReader, Expressions
from .inference import run_model

# Each eye's eyelid contour in the mesh, from the outer corner along the lower lid to the inner corner
# (index 8) and back along the upper lid; index 4 is mid lower lid, 12 mid upper lid. Keyed by the
# mesh's own labels, which name the eye on the image-left of an upright, unmirrored face "right".
EYE_CONTOUR = {
    "right": (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    "left": (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466),
}
OUTER, LOWER_MID, INNER, UPPER_MID = 0, 4, 8, 12


def input_fields(entry: dict, default_roi_scale: float) -> dict:
    """What both landmark models' manifest entries say about their input and crop."""
    norm = entry["input"]["normalisation"]
    return {"input_name": entry["input"]["name"], "input_size": int(entry["input"]["shape"][-1]),
            "roi_scale": float(entry.get("roi", {}).get("scale", default_roi_scale)),
            "normalise_scale": float(norm["scale"]), "normalise_offset": float(norm["offset"])}


@dataclass(frozen=True)
class MeshSpec:
    """How to feed the face landmarker and read it (from the model manifest)."""

    input_name: str
    input_size: int
    landmarks_output: str
    flag_output: str
    roi_scale: float = 1.5
    normalise_scale: float = 1.0 / 255.0
    normalise_offset: float = 0.0

    @classmethod
    def from_manifest(cls, entry: dict) -> "MeshSpec":
        return cls(landmarks_output=entry["outputs"]["landmarks"], flag_output=entry["outputs"]["face_flag"],
                   **input_fields(entry, default_roi_scale=1.5))


def to_tensor(crop: Image.Image, scale: float, offset: float) -> np.ndarray:
    """RGB crop -> float32 NCHW, x * scale + offset."""
    pixels = np.asarray(crop, dtype=np.float32) * np.float32(scale) + np.float32(offset)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[np.newaxis])


@dataclass(frozen=True)
class Roi:
    """A square region of the photo, rotated by `angle` (radians, the eye line's direction)."""

    centre: tuple[float, float]
    side: float
    angle: float

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        return np.array([cos, sin]), np.array([-sin, cos])

    def to_image(self, points: np.ndarray, size: int) -> np.ndarray:
        """(..., 2) points in crop pixels (size x size) -> photo pixels."""
        across, down = self.axes()
        offsets = (np.asarray(points, float)[..., :2] - size / 2.0) * (self.side / size)
        return np.asarray(self.centre) + offsets[..., :1] * across + offsets[..., 1:2] * down

    def crop(self, image: Image.Image, size: int) -> Image.Image:
        """The region resampled upright to size x size (bilinear; pre-shrunk by a box filter when the
        region is much larger than the crop, so small crops of big photos do not alias)."""
        scale = self.side / size
        reduce = max(1, int(scale / 1.5))
        across, down = self.axes()
        half_extent = self.side / 2.0 * (abs(across[0]) + abs(across[1]))
        left = math.floor(self.centre[0] - half_extent) - 1
        top = math.floor(self.centre[1] - half_extent) - 1
        extent = math.ceil(2 * half_extent) + 2
        extent += (-extent) % reduce
        region = image.crop((left, top, left + extent, top + extent))
        if region.mode != "RGB":
            region = region.convert("RGB")
        if reduce > 1:
            region = region.reduce(reduce)
        # Output pixel (u, v) samples region point origin + u * a + v * b (continuous convention).
        step = scale / reduce
        a, b = across * step, down * step
        origin = ((np.asarray(self.centre) - (left, top)) / reduce) - (size / 2.0) * (a + b)
        return region.transform((size, size), Image.Transform.AFFINE,
                                (a[0], b[0], origin[0], a[1], b[1], origin[1]), Image.Resampling.BILINEAR)


def face_roi(box, right_eye, left_eye, scale: float) -> Roi:
    """MediaPipe's face ROI: the box's centre, its long side times `scale`, turned by the eye line."""
    box = np.asarray(box, float)
    dx, dy = np.asarray(left_eye, float) - np.asarray(right_eye, float)
    side = max(box[2] - box[0], box[3] - box[1]) * scale
    return Roi(((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0), float(side), math.atan2(dy, dx))


def mesh_roi(mesh: np.ndarray, right_eye, left_eye, scale: float) -> Roi:
    """MediaPipe's tracking ROI: the mesh's extent in the frame of its own eye line, squared, scaled."""
    dx, dy = np.asarray(left_eye, float) - np.asarray(right_eye, float)
    angle = math.atan2(dy, dx)
    across = np.array([math.cos(angle), math.sin(angle)])
    down = np.array([-across[1], across[0]])
    u, v = mesh[:, :2] @ across, mesh[:, :2] @ down
    centre = across * (u.min() + u.max()) / 2 + down * (v.min() + v.max()) / 2
    side = max(u.max() - u.min(), v.max() - v.min()) * scale
    return Roi((float(centre[0]), float(centre[1])), float(side), angle)


@dataclass(frozen=True)
class Eye:
    centre: tuple[float, float]
    width: float  # corner to corner, photo pixels
    opening: float  # mean lid-to-lid height over width (about 0.3 open, under 0.1 closed)
    visible: bool
    # the eyelid contour (16, 2), photo pixels, in EYE_CONTOUR's order: the outer corner, the lower lid to the
    # inner corner (index 8), back along the upper lid; a single point when only the detector's is known
    contour: np.ndarray

    @property
    def outline(self) -> np.ndarray:
        """The eye's opening as a closed polygon, its points in order around the eye (the last joins the
        first). The landmarker's contour already runs round the eye; this is the name to ask for a polygon
        by, whatever model made the contour."""
        return np.asarray(self.contour, float)


@dataclass
class LocatedFace:
    """A detected face with its eyes located by the face landmarker."""

    face: Face
    mesh: np.ndarray  # (478, 3): x, y in photo pixels, z relative depth in the same units
    presence: float  # the landmarker's face-presence score, 0..1
    right: Eye
    left: Eye
    # the landmarks as the model gave them, in the (mirrored, upright) crop of its second pass
    crop_landmarks: np.ndarray | None = None
    expressions: Expressions | None = None  # the blendshapes' scores, where that model is loaded
    skin: tuple[int, int, int] | None = None  # the face's skin colour (the cheeks' median), for lids

    @property
    def box(self) -> np.ndarray:
        return self.face.box

    @property
    def score(self) -> float:
        return self.face.score

    @property
    def right_eye(self) -> np.ndarray:
        return np.asarray(self.right.centre)

    @property
    def left_eye(self) -> np.ndarray:
        return np.asarray(self.left.centre)

    @property
    def roll_degrees(self) -> float:
        dx, dy = self.left_eye - self.right_eye
        return math.degrees(math.atan2(dy, dx))


def eye_from_contour(points: np.ndarray, frame_y: np.ndarray, visible: bool = True) -> Eye:
    """An eye from its 16-point eyelid contour (corners at OUTER and INNER, lid middles at LOWER_MID and
    UPPER_MID); frame_y points down the face."""
    width = float(np.linalg.norm(points[OUTER] - points[INNER]))
    height = abs(float((points[LOWER_MID] - points[UPPER_MID]) @ frame_y))
    return Eye(tuple(float(v) for v in points.mean(axis=0)), width, height / width if width > 0 else 0.0,
               visible, points)


def eye_from_mesh(mesh: np.ndarray, mesh_side: str, frame_y: np.ndarray) -> Eye:
    """One eye from the mesh's contour labelled `mesh_side`."""
    return eye_from_contour(mesh[list(EYE_CONTOUR[mesh_side]), :2], frame_y)


def hide_turned_away_eye(right: Eye, left: Eye) -> tuple[Eye, Eye]:
    """On a face turned far to one side the far eye is hidden behind the nose: the mesh still guesses
    it, squeezed to a sliver. An eye under EYE_HIDDEN_WIDTH_RATIO of the other's width gets none."""
    ratio = config.EYE_HIDDEN_WIDTH_RATIO
    if right.width < ratio * left.width:
        right = replace(right, visible=False)
    elif left.width < ratio * right.width:
        left = replace(left, visible=False)
    return right, left


class EyeLocator:
    """Runs the face landmarker on each detected face and derives the eyes."""

    def __init__(self, session, spec: MeshSpec, expressions: ExpressionReader | None = None):
        self.session, self.spec = session, spec
        self.expressions = expressions  # reads each kept face's expression from its landmarks

    def prepare(self, image: Image.Image, roi: Roi, mirror: bool = False) -> dict[str, np.ndarray]:
        crop = roi.crop(image, self.spec.input_size)
        if mirror:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return {self.spec.input_name: to_tensor(crop, self.spec.normalise_scale, self.spec.normalise_offset)}

    async def run_mesh(self, image: Image.Image, roi: Roi, mirror: bool = False
                       ) -> tuple[np.ndarray, float, np.ndarray]:
        """The landmarks in photo pixels, the presence score and the landmarks as the model gave them (in
        its crop). mirror=True feeds the crop flipped, as MediaPipe's selfie-camera pipelines do: measured
        on faces-dev, e <= 0.05 for 73% of faces instead of 71% unmirrored (outline Dice 0.687, not 0.672);
        with the earlier 468-point mesh, 40% not 22%."""
        outputs = await run_model(self.session, [self.spec.landmarks_output, self.spec.flag_output],
                                  self.prepare(image, roi, mirror))
        found = np.asarray(outputs[0], np.float64).reshape(-1, 3)
        raw = found.copy()
        if mirror:
            raw[:, 0] = self.spec.input_size - raw[:, 0]
        mesh = np.concatenate([roi.to_image(raw[:, :2], self.spec.input_size),
                               raw[:, 2:] * (roi.side / self.spec.input_size)], axis=1)
        logit = float(np.clip(np.asarray(outputs[1]).reshape(-1)[0], -50, 50))
        return mesh, 1.0 / (1.0 + math.exp(-logit)), found

    async def warm_up(self) -> None:
        """One run on a grey crop (models.warm_up_step)."""
        grey = Image.new("RGB", (self.spec.input_size, self.spec.input_size), (128, 128, 128))
        side = float(self.spec.input_size)
        await self.run_mesh(grey, Roi((side / 2, side / 2), side, 0.0), mirror=True)

    async def locate(self, image: Image.Image, face: Face) -> LocatedFace:
        roi = face_roi(face.box, face.right_eye, face.left_eye, self.spec.roi_scale)
        mesh, first_presence, _ = await self.run_mesh(image, roi, mirror=True)
        # Mirrored, the mesh's "right" contour lands on the subject's left eye and vice versa.
        right_eye, left_eye = (mesh[list(EYE_CONTOUR[side]), :2].mean(axis=0) for side in ("left", "right"))
        roi = mesh_roi(mesh, right_eye, left_eye, self.spec.roi_scale)
        mesh, presence, found = await self.run_mesh(image, roi, mirror=True)
        if first_presence < config.MIN_FIRST_PASS_PRESENCE:  # see there: both passes must see a face
            presence = first_presence
        _, frame_y = roi.axes()
        right = eye_from_mesh(mesh, "left", frame_y)
        left = eye_from_mesh(mesh, "right", frame_y)
        right, left = hide_turned_away_eye(right, left)
        return LocatedFace(face, mesh, presence, right, left, found)

    async def locate_all(self, image: Image.Image, faces: list[Face], memo: dict | None = None) -> list[LocatedFace]:
        """Every face located, the non-faces (presence below config.MIN_FACE_PRESENCE) dropped. `memo`: the
        faces an earlier call on this image located (pipeline.analyse_photo's early look): a face the detector
        gives again exactly (same box, keypoints and score) is not located again. (Reusing faces whose box the
        finer levels only moved a little, IoU >= 0.8, saved most of the early look's cost but moved one dev
        face from e 0.086 to 0.145: e<=0.10 0.958 -> 0.952. Not done: accuracy must not drop.)"""
        memo = {} if memo is None else memo
        located = []
        for face in faces:
            key = (face.box.tobytes(), face.keypoints.tobytes(), face.score)
            if key not in memo:
                memo[key] = await self.locate(image, face)
            located.append(memo[key])
        kept = [face for face in located if face.presence >= config.MIN_FACE_PRESENCE]
        for face in kept:
            if face.skin is None:
                face.skin = skin_colour(image, face.mesh, float(np.linalg.norm(face.left_eye - face.right_eye)))
            if self.expressions is not None and face.expressions is None:
                face.expressions = await self.expressions.read(face.crop_landmarks)
        return kept


CHEEKS = (50, 280, 205, 425)  # landmarks in the middle of each cheek


def skin_colour(image: Image.Image, mesh: np.ndarray, eye_distance: float) -> tuple[int, int, int] | None:
    """The median colour of the photo in small discs (radius 0.1 eye distances) round the cheek landmarks,
    or None where they are off the photo."""
    radius = max(1.0, 0.1 * eye_distance)
    samples = []
    for x, y in mesh[list(CHEEKS), :2]:
        box = (math.floor(x - radius), math.floor(y - radius), math.ceil(x + radius), math.ceil(y + radius))
        if box[0] < 0 or box[1] < 0 or box[2] > image.width or box[3] > image.height:
            continue
        pixels = np.asarray(image.crop(box).convert("RGB"), np.float64)
        ys, xs = np.mgrid[box[1]:box[3], box[0]:box[2]] + 0.5
        inside = np.hypot(xs - x, ys - y) <= radius
        samples.append(pixels[inside])
    if not samples:
        return None
    return tuple(int(round(v)) for v in np.median(np.concatenate(samples), axis=0))


def drop_duplicate_faces(faces: list[LocatedFace]) -> list[LocatedFace]:
    """Never two googly eyes on one eye: two detections whose located eyes coincide (within
    DUPLICATE_EYE_DISTANCE of the eye distance, both eyes) are one face; the higher score stays."""
    kept: list[LocatedFace] = []
    for face in sorted(faces, key=lambda f: -f.score):
        distance = float(np.linalg.norm(face.left_eye - face.right_eye)) or 1.0
        if not any(max(np.linalg.norm(face.right_eye - other.right_eye),
                       np.linalg.norm(face.left_eye - other.left_eye)) < config.DUPLICATE_EYE_DISTANCE * distance
                   for other in kept):
            kept.append(face)
    return kept


def unlocated(face: Face) -> LocatedFace:
    """A face with the detector's own eye points only (when no face landmarker is available)."""
    distance = float(np.linalg.norm(face.left_eye - face.right_eye))
    width = config.EYE_WIDTH_PER_EYE_DISTANCE * distance

    def eye(point):
        return Eye(tuple(float(v) for v in point), width, float("nan"), True, np.asarray([point], float))

    return LocatedFace(face, None, 1.0, eye(face.right_eye), eye(face.left_eye))


def scaled_face(face: LocatedFace, sx: float, sy: float) -> LocatedFace:
    """The same face in another pixel grid, x * sx and y * sy: found on a reduced copy of a photo,
    mapped back to the photo's own pixels (lengths scale by the mean of the two, nearly equal)."""
    k = np.array([sx, sy])
    mean = (sx + sy) / 2.0
    detected = face.face
    moved = Face(detected.box * np.array([sx, sy, sx, sy]), detected.keypoints * k, detected.score,
                 detected.keypoint_names)
    mesh = None
    if face.mesh is not None:
        mesh = face.mesh * np.array([sx, sy, mean])

    def eye(item: Eye) -> Eye:
        return replace(item, centre=(item.centre[0] * sx, item.centre[1] * sy), width=item.width * mean,
                       contour=np.asarray(item.contour) * k)

    return LocatedFace(moved, mesh, face.presence, eye(face.right), eye(face.left), face.crop_landmarks,
                       face.expressions, face.skin)

"""Face detection with BlazeFace (MediaPipe, full range): letterbox, anchors, decoding, weighted NMS,
over the whole photo and tiles of it.

BlazeFace sees 192 x 192 pixels. The whole photo letterboxed to that loses small faces, so the
detector also runs on tiles of the full-resolution photo at finer scales (the plan is in tiles.py),
maps every detection back to photo pixels and merges them: a face a tile cuts at an inner edge is
dropped from that tile (it is whole in a neighbour or big enough for a coarser level), and a face seen
by several windows or levels comes out once, with the points of its closest view.

Pure numpy + Pillow. The model itself is run through `inference.run_model`, so the same code serves
onnxruntime in CPython and onnxruntime-web in the browser. Everything the decoder needs to know about
the model (input size, normalisation, anchors, keypoint order) comes from `models/manifest.json`,
written by scripts/models/convert.py next to the model it describes.

Coordinates: every point returned is in pixels of the image passed in, continuous convention
(pixel (i, j) spans [i, i+1) x [j, j+1); its centre is (i + 0.5, j + 0.5)).
"""

from dataclasses import dataclass, field
import math

import numpy as np
from PIL import Image

from . import config
from .googly import head_roll_degrees
from .inference import run_model
from .tiles import plan_windows

# Across windows (tiles.py). A detection whose box reaches within EDGE_MARGIN model pixels of a
# tile's inner edge is a face the tile may cut: dropped there, it is whole in a neighbouring tile
# (tiles overlap by more than a face that size) or found by the coarser level.
EDGE_MARGIN = 2.0
# A face seen by several windows takes its box and keypoints from those that saw it at the finest
# scale (at least this share of the finest).
FINE_SCALE_SHARE = 0.75
# Faces at any roll. BlazeFace finds faces within about 45 degrees of upright, and many photos arrive
# turned (sideways or upside-down pixels with no EXIF tag). So the whole photo is also looked at turned
# by one, two and three quarter turns (the model's input turned: exact, no resampling) and the faces of
# every turn are kept; the finer levels (tiles, for small faces) then run in the one turn that scored
# best, where the photo's faces stand upright. On faces-dev turned all four ways, the whole-photo look
# chose right for all 268 photos with faces; no turn of a no-person photo scored above 0.49. When no
# turn of the whole photo reaches TURN_MIN_SCORE (a photo of small faces only), level 1 is looked at in
# every turn too before choosing; a turn is then taken only at TURN_MIN_SCORE_TILES, since tiles, seeing
# more, also score false faces in wrong turns (measured: up to 0.67 on a photo of small faces, 0.70 for a
# dog's head turned 270 degrees; the right turn scored 0.93-0.94). Otherwise the tiles run upright.
# The whole photo cannot tell either when its upright look reaches TURN_MIN_SCORE too and another turn
# scores higher but below TURN_OVER_UPRIGHT_SCORE: 12 MP mosaics of small upright faces scored 0.645 and
# 0.612 upside down against 0.52 and 0.58 upright (scripts/mosaic_check.py), and their tiles, run upside
# down, lost 35 of 37 faces. Level 1 then decides, and where it cannot either, the whole photo's best turn
# is taken. On faces-dev turned (a quarter, a half, three quarters; rolled 30 and 60 degrees) the upright
# look reached 0.5 in 150 of 432 photos, the right turn then scoring 0.71-0.97; 12 fell below 0.75 and
# look at level 1 in every turn as well (11 of them rolled, not turned).
QUARTER_TURNS = (0, 1, 2, 3)  # counter-clockwise, as seen on screen
TURN_MIN_SCORE = 0.5
TURN_MIN_SCORE_TILES = 0.85
TURN_OVER_UPRIGHT_SCORE = 0.75
# The turned looks are skipped when the upright look is sure of its faces (a score of at least
# UPRIGHT_SURE_SCORE) and every face it found holds its eye line within LEVEL_ROLL_DEGREES of level: the
# photo is upright. (A sideways photo's faces that BlazeFace finds upright anyway lie near 90 degrees.)
# The same holds for the upright look of a tile of level 1, looked at in every turn when level 0 could
# not tell: from that tile on, the level's tiles are looked at upright only.
UPRIGHT_SURE_SCORE = 0.85
LEVEL_ROLL_DEGREES = 30.0
# Fewer model runs (issue 15): a tile of level 2 or finer runs only where the level above it saw some sign of
# a face, an anchor inside the tile scoring at least TILE_EVIDENCE_SCORE (a face too small for that level still
# lifts its anchors). Level 1 always runs whole: the whole photo is too coarse to show a sign of the smallest
# faces (a face with eyes 15 px apart in a 1600 px photo lifted its anchors to 0.02 there, to 0.42 in level 1),
# and rolled faces lift a coarse level's anchors too little (cascading from the whole photo lost faces-dev
# rolled 60 degrees recall 0.955 -> 0.905; from level 1 on nothing is lost). 0 runs every tile.
TILE_EVIDENCE_SCORE = 0.05


@dataclass(frozen=True)
class DetectorSpec:
    """How to feed BlazeFace and read its outputs (from the model manifest)."""

    input_name: str
    input_size: int
    boxes_output: str
    scores_output: str
    strides: tuple[int, ...]
    anchor_offset: float = 0.5
    interpolated_scale_aspect_ratio: float = 0.0
    normalise_scale: float = 1.0 / 127.5
    normalise_offset: float = -1.0
    keypoint_names: tuple[str, ...] = (
        "right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear_tragion", "left_ear_tragion",
    )

    @classmethod
    def from_manifest(cls, entry: dict) -> "DetectorSpec":
        anchors = entry["anchors"]
        norm = entry["input"]["normalisation"]
        return cls(
            input_name=entry["input"]["name"],
            input_size=int(anchors["input_size"]),
            boxes_output=entry["outputs"]["boxes"],
            scores_output=entry["outputs"]["scores"],
            strides=tuple(int(s) for s in anchors["strides"]),
            anchor_offset=float(anchors["offset"]),
            interpolated_scale_aspect_ratio=float(anchors["interpolated_scale_aspect_ratio"]),
            normalise_scale=float(norm["scale"]),
            normalise_offset=float(norm["offset"]),
            keypoint_names=tuple(entry["keypoints"]),
        )


@dataclass
class Face:
    """One detected face. `keypoints` is (K, 2) in image pixels, ordered as spec.keypoint_names."""

    box: np.ndarray  # (4,) x0, y0, x1, y1
    keypoints: np.ndarray  # (K, 2)
    score: float
    keypoint_names: tuple[str, ...] = field(default=DetectorSpec.keypoint_names, repr=False)

    def keypoint(self, name: str) -> np.ndarray:
        return self.keypoints[self.keypoint_names.index(name)]

    @property
    def right_eye(self) -> np.ndarray:
        """The subject's right eye (image-left on an upright frontal face)."""
        return self.keypoint("right_eye")

    @property
    def left_eye(self) -> np.ndarray:
        return self.keypoint("left_eye")


@dataclass(frozen=True)
class Letterbox:
    """Maps letterboxed model-input coordinates back to the original image.

    The model input shows the source rectangle whose top-left corner is (origin_x, origin_y), scaled
    by (scale_x, scale_y) and shifted by the padding (pad_x, pad_y).
    """

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    origin_x: float = 0.0
    origin_y: float = 0.0

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) points in model-input pixels -> original image pixels."""
        out = np.array(points, dtype=np.float64, copy=True)
        out[..., 0] = (out[..., 0] - self.pad_x) / self.scale_x + self.origin_x
        out[..., 1] = (out[..., 1] - self.pad_y) / self.scale_y + self.origin_y
        return out


def letterbox(image: Image.Image, size: int, source: tuple[float, float, float, float] | None = None
              ) -> tuple[Image.Image, Letterbox]:
    """Fit the image, or its `source` rectangle (x0, y0, x1, y1), into size x size keeping its aspect
    ratio, centred on black.

    Cropping and scaling are one resampling (Pillow's resize with a box), which reads the pixels just
    outside the rectangle for the filter's support: a tile's edges look like the photo there, not
    like a border.
    """
    x0, y0, x1, y1 = source if source is not None else (0, 0, *image.size)
    width, height = x1 - x0, y1 - y0
    scale = size / max(width, height)
    new_w = max(1, min(size, round(width * scale)))
    new_h = max(1, min(size, round(height * scale)))
    # reducing_gap: shrink by whole factors with a box filter first, then resample; as smooth, far faster.
    resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR, box=(x0, y0, x1, y1), reducing_gap=3.0)
    if resized.mode != "RGB":
        resized = resized.convert("RGB")
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas = Image.new("RGB", (size, size), (0, 0, 0))
    canvas.paste(resized, (pad_x, pad_y))
    return canvas, Letterbox(new_w / width, new_h / height, pad_x, pad_y, x0, y0)


def to_input_tensor(canvas: Image.Image, spec: DetectorSpec) -> np.ndarray:
    """RGB uint8 HWC -> float32 NCHW, normalised as the model was trained (BlazeFace: [-1, 1])."""
    pixels = np.asarray(canvas, dtype=np.float32)
    pixels = pixels * np.float32(spec.normalise_scale) + np.float32(spec.normalise_offset)
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[np.newaxis])


def make_anchors(spec: DetectorSpec) -> np.ndarray:
    """SSD anchor centres in [0, 1], as MediaPipe's SsdAnchorsCalculator makes them.

    Consecutive layers with the same stride share one grid; each layer adds one anchor per cell
    (aspect ratio 1.0) plus one when interpolated_scale_aspect_ratio > 0. Anchor sizes are fixed
    (1.0), so only the centres matter.
    """
    per_layer = 2 if spec.interpolated_scale_aspect_ratio > 0 else 1
    centres = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        anchors_per_cell = 0
        while layer < len(spec.strides) and spec.strides[layer] == stride:
            anchors_per_cell += per_layer
            layer += 1
        cells = math.ceil(spec.input_size / stride)
        grid_y, grid_x = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        cell_centres = np.stack(
            [(grid_x + spec.anchor_offset) / cells, (grid_y + spec.anchor_offset) / cells], axis=-1
        ).reshape(-1, 2)
        centres.append(np.repeat(cell_centres, anchors_per_cell, axis=0))
    return np.concatenate(centres).astype(np.float64)


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    spec: DetectorSpec,
    min_score: float = config.MIN_FACE_SCORE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw model outputs -> (boxes (N, 4), keypoints (N, K, 2), scores (N,)) in model-input pixels.

    raw_boxes (1, A, 4 + 2K): centre x/y, width, height, then keypoint x/y, all in input pixels
    relative to the anchor centre. raw_scores (1, A, 1): logits.
    """
    raw_boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(len(anchors), -1)
    logits = np.clip(np.asarray(raw_scores, dtype=np.float64).reshape(-1), -config.RAW_SCORE_CLIP,
                     config.RAW_SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = scores >= min_score
    raw_boxes, scores, anchor_px = raw_boxes[keep], scores[keep], anchors[keep] * spec.input_size

    centre = raw_boxes[:, 0:2] + anchor_px
    half_size = raw_boxes[:, 2:4] / 2.0
    with np.errstate(invalid="ignore", over="ignore"):  # NaN or inf from a broken model: dropped below
        boxes = np.concatenate([centre - half_size, centre + half_size], axis=1)
    num_keypoints = (raw_boxes.shape[1] - 4) // 2
    keypoints = raw_boxes[:, 4:].reshape(-1, num_keypoints, 2) + anchor_px[:, np.newaxis, :]
    valid = ((half_size > 0).all(axis=1) & np.isfinite(boxes).all(axis=1)
             & np.isfinite(keypoints).all(axis=(1, 2)))
    return boxes[valid], keypoints[valid], scores[valid]


def turned_input(tensor: np.ndarray, quarter_turns: int) -> np.ndarray:
    """An NCHW input as the model would see its picture turned counter-clockwise `quarter_turns` times."""
    return np.ascontiguousarray(np.rot90(tensor, quarter_turns % 4, axes=(2, 3)))


def unturned(points: np.ndarray, quarter_turns: int, size: int) -> np.ndarray:
    """(..., 2) points of a size x size input turned counter-clockwise `quarter_turns` times -> the same
    points on the input as it was (continuous convention: a turn maps (x, y) to (y, size - x))."""
    points = np.array(points, dtype=np.float64, copy=True)
    for _ in range(quarter_turns % 4):
        x, y = points[..., 0].copy(), points[..., 1].copy()
        points[..., 0], points[..., 1] = size - y, x
    return points


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one box (4,) against many (N, 4)."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(
    boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, iou_threshold: float = config.NMS_IOU,
    scales: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's weighted non-maximum suppression.

    Take the best remaining detection; every remaining detection overlapping it by more than the
    threshold (itself included) is merged into it, box and keypoints averaged with score weights;
    the merged detection keeps the best score. Averaging many overlapping anchors is what makes
    BlazeFace's keypoints steadier than any single anchor's. With `scales` (model pixels per photo
    pixel of each detection's window), only the members seen at the finest scale among them (within
    FINE_SCALE_SHARE of it) are averaged: see merge_windows.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    scales = None if scales is None else scales[order]
    remaining = np.arange(len(scores))
    out_boxes, out_keypoints, out_scores = [], [], []
    while remaining.size:
        best = remaining[0]
        overlap = box_iou(boxes[best], boxes[remaining]) > iou_threshold
        overlap[0] = True
        members = remaining[overlap]
        if scales is not None:
            members = members[scales[members] >= FINE_SCALE_SHARE * scales[members].max()]
        weights = scores[members] / scores[members].sum()
        out_boxes.append((boxes[members] * weights[:, None]).sum(axis=0))
        out_keypoints.append((keypoints[members] * weights[:, None, None]).sum(axis=0))
        out_scores.append(scores[best])
        remaining = remaining[~overlap]
    if not out_scores:
        return np.zeros((0, 4)), np.zeros((0,) + keypoints.shape[1:]), np.zeros(0)
    return np.array(out_boxes), np.array(out_keypoints), np.array(out_scores)


def in_photo_pixels(transform: Letterbox, level_size: tuple[int, int], photo_size: tuple[int, int]) -> Letterbox:
    """A letterbox of a tile of the photo resized to `level_size`, made to map to the photo itself."""
    sx, sy = level_size[0] / photo_size[0], level_size[1] / photo_size[1]
    return Letterbox(transform.scale_x * sx, transform.scale_y * sy, transform.pad_x, transform.pad_y,
                     transform.origin_x / sx, transform.origin_y / sy)


def inner_edge_cut(boxes: np.ndarray, rect: tuple[int, int, int, int], image_size: tuple[int, int],
                   margin: float) -> np.ndarray:
    """Which boxes (N, 4), in photo pixels, reach within `margin` of an edge of the window `rect`
    that lies inside the photo: faces the window may show only in part.

    The photo's own borders do not count: a face cut by the photo's border is all there is of it.
    """
    x0, y0, x1, y1 = rect
    width, height = image_size
    cut = np.zeros(len(boxes), dtype=bool)
    if x0 > 0.5:  # (half a pixel: a tile of a resized photo may end a hair short of the border)
        cut |= boxes[:, 0] < x0 + margin
    if y0 > 0.5:
        cut |= boxes[:, 1] < y0 + margin
    if x1 < width - 0.5:
        cut |= boxes[:, 2] > x1 - margin
    if y1 < height - 0.5:
        cut |= boxes[:, 3] > y1 - margin
    return cut


def merge_windows(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, scales: np.ndarray,
                  iou_threshold: float = config.NMS_IOU) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One face per face, from detections of several windows (photo pixels; `scales`: model pixels
    per photo pixel of the window each came from).

    Greedy like weighted_nms: the best remaining detection and every one overlapping it by more than
    the threshold are one face. Its box and keypoints are the score-weighted mean over the members
    seen at the finest scale among them (within FINE_SCALE_SHARE of it): a face seen both whole at a
    coarse level and close up in a tile takes the close-up's points, which are several model pixels
    sharper. It keeps the best score.
    """
    return weighted_nms(boxes, keypoints, scores, iou_threshold, scales)


class FaceDetector:
    """BlazeFace over a photo: every window of the plan (the whole photo, then tiles; tiles.py) is
    letterboxed to the model's input, run, decoded and merged within itself (weighted NMS), mapped to
    photo pixels; then the windows' faces are merged (merge_windows).

    `plan(width, height, input_size)` gives the windows; one model run each, in order, so the count is
    known before the first run.
    """

    def __init__(self, session, spec: DetectorSpec, min_score: float = config.MIN_FACE_SCORE,
                 plan=plan_windows, quarter_turns: tuple[int, ...] = QUARTER_TURNS,
                 tile_evidence: float = TILE_EVIDENCE_SCORE):
        self.session = session
        self.spec = spec
        self.min_score = min_score
        self.plan = plan  # (width, height, input_size) -> list[tiles.Window]
        self.quarter_turns = quarter_turns  # the whole photo's looks; (0,): upright only (benchmarks compare)
        self.tile_evidence = tile_evidence  # TILE_EVIDENCE_SCORE; 0: every tile runs (benchmarks compare)
        self.skipped = 0  # tiles the last detection did not run
        self.anchors = make_anchors(spec)

    def prepare(self, image: Image.Image, source=None) -> tuple[dict[str, np.ndarray], Letterbox]:
        """Model feeds for the whole image, or for its `source` rectangle (x0, y0, x1, y1)."""
        canvas, transform = letterbox(image, self.spec.input_size, source)
        return {self.spec.input_name: to_input_tensor(canvas, self.spec)}, transform

    def decode(self, outputs: list[np.ndarray], transform: Letterbox, quarter_turns: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One window's outputs -> (boxes, keypoints, scores) in photo pixels, merged within it. With
        `quarter_turns`, the outputs are of the window's input turned that many times (turned_input)."""
        raw_boxes, raw_scores = outputs
        boxes, keypoints, scores = decode_detections(raw_boxes, raw_scores, self.anchors, self.spec,
                                                     self.min_score)
        boxes, keypoints, scores = weighted_nms(boxes, keypoints, scores)
        if quarter_turns % 4:
            size = self.spec.input_size
            corners = unturned(boxes.reshape(-1, 2, 2), quarter_turns, size)
            boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
            keypoints = unturned(keypoints, quarter_turns, size)
        return (transform.to_image(boxes.reshape(-1, 2, 2)).reshape(-1, 4), transform.to_image(keypoints),
                scores)

    def anchor_points(self, transform: Letterbox, quarter_turns: int) -> np.ndarray:
        """Where each anchor of a window's (turned) input lies in the photo."""
        points = self.anchors * self.spec.input_size
        if quarter_turns % 4:
            points = unturned(points, quarter_turns, self.spec.input_size)
        return transform.to_image(points)

    def upright_for_sure(self, keypoints: np.ndarray, scores: np.ndarray) -> bool:
        """Whether the upright look's faces say the photo is upright (UPRIGHT_SURE_SCORE explains)."""
        if not len(scores) or scores.max() < UPRIGHT_SURE_SCORE:
            return False
        right, left = (self.spec.keypoint_names.index(name) for name in ("right_eye", "left_eye"))
        return all(abs(head_roll_degrees(points[right], points[left])) <= LEVEL_ROLL_DEGREES for points in keypoints)

    def faces(self, boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray) -> list[Face]:
        return [Face(box, points, float(score), self.spec.keypoint_names)
                for box, points, score in zip(boxes, keypoints, scores)]

    def postprocess(self, outputs: list[np.ndarray], transform: Letterbox) -> list[Face]:
        """The faces of one window (the whole photo, for `prepare(image)`), in photo pixels."""
        return self.faces(*self.decode(outputs, transform))

    async def detect(self, image: Image.Image) -> list[Face]:
        """Every face in the photo, in its pixels (one per face, whichever windows and turns saw it)."""
        faces = []
        async for faces, _complete in self.stages(image):
            pass
        return faces

    async def stages(self, image: Image.Image):
        """The faces found so far, as (faces, complete): once the whole photo has been looked at, if finer
        levels follow (the faces big enough for it: the page shows their googly eyes at once), then every
        face, as `detect` gives them.

        The whole photo (level 0; and level 1 when level 0 cannot tell) is looked at in every quarter
        turn, the finer levels in the turn that scored best (QUARTER_TURNS explains why); the tiles of level 2
        on only where the level above saw a sign of a face (TILE_EVIDENCE_SCORE)."""
        names = [self.spec.boxes_output, self.spec.scores_output]
        found = []  # (level, quarter turns, (boxes, keypoints, scores, scales)) per window and turn
        level, level_image, turn = None, None, 0
        turns, best = self.quarter_turns, {}  # the turns still looked in; each turn's best logit in this level
        whole_photos_turn = 0  # the whole photo's best turn, if it reached TURN_MIN_SCORE
        seen, seeing = Evidence(), Evidence()  # where the level above saw signs of faces, and this level
        self.skipped = 0
        windows = self.plan(*image.size, self.spec.input_size)
        finest = max(window.level for window in windows)
        for window in windows:
            if window.level != level:  # the photo resized once per level; its tiles are cut from that
                seen, seeing = seeing, Evidence()
                if level == 0:  # the whole photo seen, in every turn it was looked in: its faces first
                    yield self.merged(found, turn), False
                if len(turns) > 1 and level is not None:  # a level seen in every turn: choose, if sure
                    turn, sure = best_turn(best, **turn_needs(level))
                    if level == 0:
                        whole_photos_turn = turn
                    if not sure and level >= 1:
                        turn, sure = whole_photos_turn, True
                    if sure:
                        turns = (turn,)
                level, best = window.level, {}
                level_image = image.resize(window.level_size, Image.Resampling.BILINEAR, reducing_gap=3.0)
            if self.tile_evidence > 0 and window.level >= 2 and seen.most(window.rect) < self.tile_evidence:
                self.skipped += 1  # no sign of a face here at the coarser level
                continue
            feeds, transform = self.prepare(level_image, window.level_rect(image.size))
            transform = in_photo_pixels(transform, window.level_size, image.size)
            scale = min(transform.scale_x, transform.scale_y)
            for quarter_turns in turns:
                turned = {name: turned_input(tensor, quarter_turns) for name, tensor in feeds.items()}
                outputs = await run_model(self.session, names, turned)
                logits = np.asarray(outputs[1], dtype=np.float64)
                best[quarter_turns] = max(best.get(quarter_turns, -np.inf),
                                          float(np.max(logits, initial=-np.inf, where=np.isfinite(logits))))
                if 1 <= window.level < finest:  # (the evidence the next level's tiles need)
                    seeing.add(self.anchor_points(transform, quarter_turns), logits)
                boxes, keypoints, scores = self.decode(outputs, transform, quarter_turns)
                keep = ~inner_edge_cut(boxes, window.rect, image.size, EDGE_MARGIN / scale)
                found.append((window.level, quarter_turns,
                              (boxes[keep], keypoints[keep], scores[keep], np.full(keep.sum(), scale))))
                if quarter_turns == 0 and len(turns) > 1 and self.upright_for_sure(keypoints, scores):
                    turns, turn = (0,), 0  # the whole photo, or a tile of level 1, says it is upright
                    break
        if len(turns) > 1:  # the plan ended while still looking in every turn
            turn, sure = best_turn(best, **turn_needs(level))
            turn = turn if sure or level == 0 else whole_photos_turn
        yield self.merged(found, turn), True

    def merged(self, found: list, turn: int) -> list[Face]:
        """One face per face of the windows looked at (`found`: level, quarter turns and what it found, per
        window and turn). Every turn's faces of the whole photo are kept (a group may hold heads rolled
        either way; no turn of a no-person photo ever reached the detector's threshold there); of the finer
        levels only the chosen `turn`'s, as their looks in the other turns found false faces in tiles of
        no-person photos."""
        kept = [parts for window_level, quarter_turns, parts in found if window_level == 0 or quarter_turns == turn]
        boxes, keypoints, scores, scales = (np.concatenate(parts) for parts in zip(*kept))
        boxes, keypoints, scores = merge_windows(boxes, keypoints, scores, scales)
        tiny_and_unsure = (boxes[:, 2] - boxes[:, 0] < config.SMALL_FACE_PX) & (scores < config.SMALL_FACE_MIN_SCORE)
        return self.faces(boxes[~tiny_and_unsure], keypoints[~tiny_and_unsure], scores[~tiny_and_unsure])


class Evidence:
    """The anchors one level's windows scored, in photo pixels: where that level saw some sign of a face."""

    def __init__(self):
        self.points, self.scores = [], []

    def add(self, points: np.ndarray, logits: np.ndarray) -> None:
        logits = np.clip(np.asarray(logits, dtype=np.float64).reshape(-1), -config.RAW_SCORE_CLIP, config.RAW_SCORE_CLIP)
        self.points.append(points)
        self.scores.append(1.0 / (1.0 + np.exp(-logits)))

    def most(self, rect) -> float:
        """The highest score of an anchor inside `rect` (x0, y0, x1, y1), 0 where none is."""
        x0, y0, x1, y1 = rect
        most = 0.0
        for points, scores in zip(self.points, self.scores):
            inside = (points[:, 0] >= x0) & (points[:, 0] < x1) & (points[:, 1] >= y0) & (points[:, 1] < y1)
            if inside.any():
                most = max(most, float(scores[inside].max()))
        return most


def turn_needs(level: int) -> dict:
    """best_turn's scores a turn needs, after looking at `level` in every turn, to be taken for the finer
    levels."""
    if level == 0:
        return {"min_score": TURN_MIN_SCORE, "over_upright_score": TURN_OVER_UPRIGHT_SCORE}
    return {"min_score": TURN_MIN_SCORE_TILES}


def best_turn(best_logits: dict[int, float], min_score: float = TURN_MIN_SCORE,
              over_upright_score: float | None = None) -> tuple[int, bool]:
    """(turn, sure): the quarter turn whose looks scored best if that score reaches `min_score` (upright
    unless another turn beats it; upright when none reaches it), and whether it is sure of it. With
    `over_upright_score`, a turn beating an upright look that reaches `min_score` too needs that score."""
    def score(turn: int) -> float:
        return 1.0 / (1.0 + math.exp(-min(best_logits[turn], config.RAW_SCORE_CLIP)))

    turn = max(best_logits, key=lambda k: (best_logits[k], k == 0))
    if score(turn) < min_score:
        return 0, False
    if over_upright_score is not None and turn != 0 and 0 in best_logits and score(0) >= min_score:
        return turn, score(turn) >= over_upright_score
    return turn, True

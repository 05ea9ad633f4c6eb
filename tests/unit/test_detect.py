"""Pre/post-processing of the face detector against fixed fixtures, with no model (a fake session)."""

import math

import numpy as np
import pytest
from PIL import Image

from support import run
import googly_eyes.detect as detect_module
from googly_eyes.detect import (
    best_turn,
    DetectorSpec, FaceDetector, Letterbox, decode_detections, inner_edge_cut, letterbox, make_anchors, merge_windows,
    to_input_tensor, weighted_nms,
)
from googly_eyes.tiles import Window, plan_windows, whole_photo

FULL_RANGE = DetectorSpec(input_name="input", input_size=192, boxes_output="boxes", scores_output="scores",
                          strides=(4,))
SHORT_RANGE = DetectorSpec(input_name="input", input_size=128, boxes_output="boxes", scores_output="scores",
                           strides=(8, 16, 16, 16), interpolated_scale_aspect_ratio=1.0)


def logit(p):
    return math.log(p / (1 - p))


def test_anchor_counts_match_mediapipe():
    # MediaPipe: full range 48x48 grid, 1 anchor per cell; short range 16x16x2 + 8x8x6 = 896.
    assert make_anchors(FULL_RANGE).shape == (2304, 2)
    assert make_anchors(SHORT_RANGE).shape == (896, 2)


def test_anchor_centres_are_cell_centres_in_row_major_order():
    anchors = make_anchors(FULL_RANGE)
    np.testing.assert_allclose(anchors[0], [0.5 / 48, 0.5 / 48])
    np.testing.assert_allclose(anchors[1], [1.5 / 48, 0.5 / 48])  # x runs fastest
    np.testing.assert_allclose(anchors[48], [0.5 / 48, 1.5 / 48])
    np.testing.assert_allclose(anchors[-1], [47.5 / 48, 47.5 / 48])
    short = make_anchors(SHORT_RANGE)
    np.testing.assert_allclose(short[0], short[1])  # two anchors share the first 16x16 cell
    np.testing.assert_allclose(short[512], [0.5 / 8, 0.5 / 8])


def raw_outputs(entries, anchors=2304, keypoints=6):
    """Model outputs with everything at a very low score except the given anchors."""
    boxes = np.zeros((1, anchors, 4 + 2 * keypoints), np.float32)
    scores = np.full((1, anchors, 1), -50.0, np.float32)
    for anchor, box, score in entries:
        boxes[0, anchor] = box
        scores[0, anchor, 0] = logit(score)
    return boxes, scores


def test_decode_offsets_are_relative_to_anchor_in_input_pixels():
    anchors = make_anchors(FULL_RANGE)
    anchor = 48 * 10 + 20  # centre (20.5/48, 10.5/48) of the unit square = (82, 42) input pixels
    regress = [2, -1, 40, 30] + [-10, -5, 10, -5, 0, 5, 0, 12, -18, 0, 18, 0]
    boxes, keypoints, scores = decode_detections(*raw_outputs([(anchor, regress, 0.9)]), anchors, FULL_RANGE, 0.5)
    assert boxes.shape == (1, 4) and keypoints.shape == (1, 6, 2)
    np.testing.assert_allclose(boxes[0], [84 - 20, 41 - 15, 84 + 20, 41 + 15])
    np.testing.assert_allclose(keypoints[0, 0], [72, 37])
    np.testing.assert_allclose(keypoints[0, 1], [92, 37])
    np.testing.assert_allclose(scores, [0.9], rtol=1e-6)


def test_decode_applies_score_threshold_and_drops_empty_boxes():
    anchors = make_anchors(FULL_RANGE)
    outputs = raw_outputs([(0, [0, 0, 10, 10] + [0] * 12, 0.7), (1, [0, 0, 10, 10] + [0] * 12, 0.4),
                           (2, [0, 0, 0, 10] + [0] * 12, 0.99)])
    boxes, _, scores = decode_detections(*outputs, anchors, FULL_RANGE, min_score=0.5)
    assert len(boxes) == 1 and scores[0] == pytest.approx(0.7)


def test_decode_clips_extreme_logits_without_overflow():
    anchors = make_anchors(FULL_RANGE)
    boxes, scores = raw_outputs([(5, [0, 0, 10, 10] + [0] * 12, 0.9)])
    scores[0, 5, 0] = 1e6
    scores[0, 6, 0] = -1e6
    with np.errstate(all="raise"):
        _, _, decoded = decode_detections(boxes, scores, anchors, FULL_RANGE, 0.5)
    assert decoded.tolist() == [1.0]


def test_weighted_nms_merges_overlaps_by_score_and_keeps_separate_faces():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], float)
    keypoints = np.array([[[2, 2]], [[4, 2]], [[55, 55]]], float)
    scores = np.array([0.6, 0.9, 0.8])
    merged_boxes, merged_points, merged_scores = weighted_nms(boxes, keypoints, scores, 0.3)
    assert merged_scores.tolist() == [0.9, 0.8]  # best first; the merged face keeps its best score
    np.testing.assert_allclose(merged_boxes[0], [0.6, 0, 10.6, 10])  # (0*.6 + 1*.9) / 1.5
    np.testing.assert_allclose(merged_points[0, 0], [(2 * 0.6 + 4 * 0.9) / 1.5, 2])
    np.testing.assert_allclose(merged_boxes[1], [50, 50, 60, 60])


def test_weighted_nms_of_nothing_is_empty():
    boxes, keypoints, scores = weighted_nms(np.zeros((0, 4)), np.zeros((0, 6, 2)), np.zeros(0))
    assert boxes.shape == (0, 4) and keypoints.shape == (0, 6, 2) and scores.shape == (0,)


@pytest.mark.parametrize("size", [(400, 200), (200, 400), (192, 192), (1000, 37)])
def test_letterbox_maps_a_marked_pixel_back_to_where_it_was(size):
    width, height = size
    image = Image.new("RGB", size, (0, 0, 0))
    block = (int(width * 0.7), int(height * 0.3))
    image.paste((255, 255, 255), (block[0], block[1], block[0] + max(8, width // 16), block[1] + max(8, height // 16)))
    canvas, transform = letterbox(image, 192)
    assert canvas.size == (192, 192)
    pixels = np.asarray(canvas.convert("L"), float)
    ys, xs = np.nonzero(pixels > 127)
    centre_in_canvas = np.array([[xs.mean() + 0.5, ys.mean() + 0.5]])
    back = transform.to_image(centre_in_canvas)[0]
    expected = [block[0] + max(8, width // 16) / 2, block[1] + max(8, height // 16) / 2]
    tolerance = 1.0 / min(transform.scale_x, transform.scale_y)  # one model-input pixel
    np.testing.assert_allclose(back, expected, atol=tolerance)


def test_letterbox_centres_the_image_and_pads_black():
    canvas, transform = letterbox(Image.new("RGB", (400, 200), (200, 100, 50)), 192)
    assert transform == Letterbox(192 / 400, 96 / 200, 0, 48)
    pixels = np.asarray(canvas)
    assert pixels[:48].max() == 0 and pixels[144:].max() == 0
    assert tuple(pixels[96, 96]) == (200, 100, 50)


def test_input_tensor_is_nchw_float32_in_minus_one_to_one():
    canvas = Image.new("RGB", (192, 192), (0, 255, 0))
    tensor = to_input_tensor(canvas, FULL_RANGE)
    assert tensor.shape == (1, 3, 192, 192) and tensor.dtype == np.float32
    assert tensor[0, 0].max() == -1.0 and tensor[0, 1].min() == 1.0


class FakeSession:
    """Stands in for onnxruntime: checks the feeds and returns fixed outputs (like MediaPipe's tests):
    `outputs` for the first run, `later` (if given) for every run after it (the whole photo turned)."""

    def __init__(self, outputs, later=None):
        self.outputs, self.later, self.calls = outputs, later, []

    def run(self, output_names, feeds):
        self.calls.append((output_names, {name: (a.shape, a.dtype) for name, a in feeds.items()}))
        return list(self.outputs if len(self.calls) == 1 or self.later is None else self.later)


class AsyncFakeSession(FakeSession):
    """onnxruntime-web's shape: run returns an awaitable."""

    async def run(self, output_names, feeds):
        return FakeSession.run(self, output_names, feeds)


def whole_photo_only(width, height, input_size):
    return [whole_photo(width, height, input_size)]


@pytest.mark.parametrize("session_type", [FakeSession, AsyncFakeSession])
def test_detector_returns_faces_in_original_image_pixels(session_type):
    anchor = 48 * 24 + 24  # the middle of the model input: (98, 98) input px
    regress = [0, 0, 48, 48, -12, -6, 12, -6, 0, 6, 0, 18, -24, 0, 24, 0]
    session = session_type(raw_outputs([(anchor, regress, 0.95)]), later=raw_outputs([]))
    detector = FaceDetector(session, FULL_RANGE, plan=whole_photo_only)
    image = Image.new("RGB", (800, 400))  # letterbox scale 0.24, pad 48 rows on top
    faces = run(detector.detect(image))
    # the whole photo upright only: a sure (0.95), level face says the photo is upright
    assert session.calls == [(["boxes", "scores"], {"input": ((1, 3, 192, 192), np.float32)})]
    assert len(faces) == 1
    face = faces[0]
    scale = 192 / 800
    np.testing.assert_allclose(face.box, [(74) / scale, (74 - 48) / scale, (122) / scale, (122 - 48) / scale])
    np.testing.assert_allclose(face.right_eye, [86 / scale, (92 - 48) / scale])
    np.testing.assert_allclose(face.left_eye, [110 / scale, (92 - 48) / scale])
    assert face.right_eye[0] < face.left_eye[0]
    assert face.score == pytest.approx(0.95)


def test_the_whole_photo_window_is_the_old_letterbox():
    image = Image.radial_gradient("L").convert("RGB").resize((640, 427))
    window = whole_photo(*image.size)
    level_image = image.resize(window.level_size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    tiled, _ = letterbox(level_image, 192, window.level_rect(image.size))
    whole, _ = letterbox(image, 192)
    assert np.array_equal(np.asarray(tiled), np.asarray(whole))


# ---- Tiles: a source rectangle, detections mapped back from a tile, merged across windows. ----

@pytest.mark.parametrize("source", [(200, 100, 392, 292), (0, 0, 100, 100), (250, 50, 400, 350), (17, 3, 400, 60)])
def test_letterbox_of_a_source_rectangle_maps_a_marked_pixel_back(source):
    image = Image.new("RGB", (400, 350), (0, 0, 0))
    x0, y0, x1, y1 = source
    block = (round(x0 + 0.6 * (x1 - x0)), round(y0 + 0.3 * (y1 - y0)))
    side = max(6, (x1 - x0) // 12)
    image.paste((255, 255, 255), (block[0], block[1], block[0] + side, block[1] + side))
    image.paste((255, 255, 255), (0, 0, x0, 350))  # bright pixels outside the rectangle must stay out
    canvas, transform = letterbox(image, 192, source)
    pixels = np.asarray(canvas.convert("L"), float)
    assert pixels[:, :3].max() < 128 or x0 == 0  # the bright band left of the rectangle is not in it
    ys, xs = np.nonzero(pixels > 127)
    back = transform.to_image(np.array([[xs.mean() + 0.5, ys.mean() + 0.5]]))[0]
    tolerance = 1.0 / min(transform.scale_x, transform.scale_y)
    np.testing.assert_allclose(back, [block[0] + side / 2, block[1] + side / 2], atol=tolerance)


class SequenceSession:
    """Returns the given outputs for the first, second, ... run."""

    def __init__(self, outputs_per_run):
        self.outputs_per_run, self.calls = list(outputs_per_run), 0

    def run(self, output_names, feeds):
        self.calls += 1
        return list(self.outputs_per_run.pop(0))


def test_a_tile_detection_comes_back_in_photo_pixels():
    # 800 x 600 photo; level 1 resizes it to 768 x 576 (0.96) and cuts the tile (384, 288)-(576, 480),
    # which is photo rectangle (400, 300)-(600, 500).
    tile = Window((400.0, 300.0, 600.0, 500.0), 1, (768, 576))
    assert tile.level_rect((800, 600)) == (384, 288, 576, 480)
    anchor = 48 * 24 + 24  # (98, 98) in the model input
    regress = [0, 0, 48, 48, -12, -6, 12, -6, 0, 6, 0, 18, -24, 0, 24, 0]
    for score, calls in ((0.9, 4 + 1), (0.7, 4 + 4)):
        session = SequenceSession([raw_outputs([])] * 4 + [raw_outputs([(anchor, regress, score)])] + [raw_outputs([])] * 3)
        detector = FaceDetector(session, FULL_RANGE, plan=lambda w, h, size: [whole_photo(w, h, size), tile])
        faces = run(detector.detect(Image.new("RGB", (800, 600))))
        # the whole photo in four turns finds nothing, so level 1 is looked at in four turns too, upright first;
        # a sure (>= UPRIGHT_SURE_SCORE), level face there says the photo is upright: its other turns are skipped
        assert session.calls == calls and len(faces) == 1, score
    np.testing.assert_allclose(faces[0].box, [400 + 74 / 0.96, 300 + 74 / 0.96, 400 + 122 / 0.96, 300 + 122 / 0.96])
    np.testing.assert_allclose(faces[0].right_eye, [400 + 86 / 0.96, 300 + 92 / 0.96])
    np.testing.assert_allclose(faces[0].left_eye, [400 + 110 / 0.96, 300 + 92 / 0.96])


class SquareFinder:
    """A stand-in for BlazeFace that "detects" the bright square in whatever window it is shown: box
    = the square's bounding box in the model input, eyes a quarter of its width left and right of its
    centre. A square the window cuts gives a detection of the part it shows, as a real partial face
    can."""

    def __init__(self):
        self.anchors = make_anchors(FULL_RANGE)
        self.calls = 0

    def run(self, output_names, feeds):
        self.calls += 1
        bright = feeds["input"][0, 0] > 0
        if not bright.any():
            return raw_outputs([])
        ys, xs = np.nonzero(bright)
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        anchor = int(np.argmin(np.linalg.norm(self.anchors * 192 - centre, axis=1)))
        offset = centre - self.anchors[anchor] * 192
        quarter = (x1 - x0) / 4  # keypoints, like the box centre, are offsets from the anchor
        points = [offset[0] - quarter, offset[1], offset[0] + quarter, offset[1]] + [*offset] * 4
        return raw_outputs([(anchor, [*offset, x1 - x0, y1 - y0, *points], 0.9)])


def square_photo(size, square):
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), square)
    return image


def test_a_square_seen_by_many_windows_and_cut_by_a_tile_edge_comes_out_once_where_it_is(monkeypatch):
    size = (1600, 1200)
    plan = plan_windows(*size)
    finest = max(w.level for w in plan)
    tiles = [w for w in plan if w.level == finest]
    # Put a 64 px square so that a tile's inner right edge cuts it a quarter of the way in: that tile
    # shows a sliver (whose box overlaps the whole square by IoU 0.25, under NMS's 0.3).
    edge = min(w.rect[2] for w in tiles if w.rect[2] < size[0] - 1)
    x0, y0 = round(edge) - 16, 500
    square = (x0, y0, x0 + 64, y0 + 64)
    cutting = [w for w in tiles if w.rect[0] < square[0] < w.rect[2] < square[2]]
    whole_in = [w for w in tiles if w.rect[0] <= square[0] and square[2] <= w.rect[2]
                and w.rect[1] <= square[1] and square[3] <= w.rect[3]]
    assert cutting and whole_in
    session = SquareFinder()
    faces = run(FaceDetector(session, FULL_RANGE, tile_evidence=0.0).detect(square_photo(size, square)))
    assert session.calls == len(plan)  # the upright look found a sure, level face: no turned looks
    assert len(faces) == 1
    finest_px = 1 / (whole_in[0].level_size[0] / size[0])  # one model pixel of the tiles, in photo pixels
    np.testing.assert_allclose(faces[0].box, square, atol=1.5 * finest_px)
    np.testing.assert_allclose(faces[0].right_eye, [x0 + 16, y0 + 32], atol=1.5 * finest_px)
    np.testing.assert_allclose(faces[0].left_eye, [x0 + 48, y0 + 32], atol=1.5 * finest_px)
    # Without the inner-edge rule slivers survive as extra, partial faces.
    monkeypatch.setattr(detect_module, "EDGE_MARGIN", -1e9)
    assert len(run(FaceDetector(SquareFinder(), FULL_RANGE, tile_evidence=0.0).detect(square_photo(size, square)))) >= 2


def test_a_face_at_the_photo_border_is_kept():
    size = (1600, 1200)
    square = (0, 300, 40, 340)  # touches the photo's left border, in tiles whose left edge is that border
    faces = run(FaceDetector(SquareFinder(), FULL_RANGE, tile_evidence=0.0).detect(square_photo(size, square)))
    assert len(faces) == 1
    np.testing.assert_allclose(faces[0].box, square, atol=3)


def test_inner_edge_cut_ignores_the_photo_border():
    boxes = np.array([[0, 10, 20, 30],      # at the photo's left border: the window's left edge is the border
                      [90, 10, 101, 30],    # crosses the window's inner right edge (x = 100)
                      [40, 40, 60, 60],     # well inside
                      [40, 97, 60, 115]])   # crosses the inner bottom edge
    cut = inner_edge_cut(boxes, (0, 0, 100, 100), (300, 300), margin=2)
    assert cut.tolist() == [False, True, False, True]
    assert inner_edge_cut(boxes, (0, 0, 100, 100), (100, 100), margin=2).tolist() == [False] * 4


def test_merge_gives_one_face_per_face_with_the_closest_view_points():
    # One face seen by the whole photo (coarse: 0.12 model px per photo px) and by two overlapping
    # tiles (0.45); a second face seen by one tile only.
    boxes = np.array([[100, 100, 160, 160], [102, 101, 161, 159], [101, 99, 159, 161], [400, 100, 450, 150]], float)
    keypoints = np.array([[[115, 120], [145, 120]], [[118, 121], [142, 121]], [[116, 119], [144, 119]],
                          [[412, 120], [438, 120]]], float)
    scores = np.array([0.95, 0.8, 0.6, 0.7])
    scales = np.array([0.12, 0.45, 0.45, 0.45])
    merged_boxes, merged_points, merged_scores = merge_windows(boxes, keypoints, scores, scales)
    assert merged_scores.tolist() == [0.95, 0.7]  # the best score stays
    # the points are the tiles' (score-weighted), not the coarse view's
    np.testing.assert_allclose(merged_points[0], (keypoints[1] * 0.8 + keypoints[2] * 0.6) / 1.4)
    np.testing.assert_allclose(merged_boxes[0], (boxes[1] * 0.8 + boxes[2] * 0.6) / 1.4)
    np.testing.assert_allclose(merged_boxes[1], boxes[3])


def test_merge_of_nothing_is_empty():
    boxes, keypoints, scores = merge_windows(np.zeros((0, 4)), np.zeros((0, 6, 2)), np.zeros(0), np.zeros(0))
    assert boxes.shape == (0, 4) and keypoints.shape == (0, 6, 2) and scores.shape == (0,)


def test_a_partial_face_at_an_inner_tile_edge_is_dropped_before_the_merge():
    # Tile A = photo (0, 0)-(500, 500) shows only the left quarter of a face at (480, 200)-(560, 280);
    # tile B = (300, 0)-(800, 500) shows it whole. IoU 0.25: NMS alone would keep both.
    photo = (1000, 800)
    partial = np.array([[478, 205, 500, 275]], float)
    whole = np.array([[480, 200, 560, 280]], float)
    assert not inner_edge_cut(whole, (300, 0, 800, 500), photo, margin=4).any()
    keep_a = ~inner_edge_cut(partial, (0, 0, 500, 500), photo, margin=4)
    boxes = np.concatenate([partial[keep_a], whole])
    keypoints = np.zeros((len(boxes), 6, 2))
    merged, _, _ = merge_windows(boxes, keypoints, np.full(len(boxes), 0.9), np.full(len(boxes), 0.4))
    assert len(merged) == 1
    unfiltered, _, _ = merge_windows(np.concatenate([partial, whole]), np.zeros((2, 6, 2)), np.full(2, 0.9),
                                     np.full(2, 0.4))
    assert len(unfiltered) == 2


def test_detector_spec_reads_the_manifest(manifest):
    spec = DetectorSpec.from_manifest(manifest["models"]["face_detector"])
    assert spec.input_size == 192 and spec.strides == (4,)
    assert spec.keypoint_names[:2] == ("right_eye", "left_eye")
    assert make_anchors(spec).shape[0] == 2304


# ---- Faces at any roll: the whole photo in four quarter turns, the tiles in the best one. ----

class UprightFinder:
    """A stand-in for BlazeFace with the one trait that matters here: it finds a face only upright. The
    "face" is a bright square whose top quarter is grey (a forehead); shown sideways or upside down it is
    not found. Box = the square in the model input; eyes a quarter of its width left and right of its
    centre (image-left is the subject's right eye). `found` says, per run, whether it saw the face."""

    def __init__(self):
        self.anchors = make_anchors(FULL_RANGE)
        self.found = []

    def run(self, output_names, feeds):
        picture = feeds["input"][0, 0]
        ys, xs = np.nonzero(picture > -0.5)  # grey and white
        upright = False
        if len(xs):
            x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
            quarter = max(1, (y1 - y0) // 4)
            top, bottom = picture[y0:y0 + quarter, x0:x1].mean(), picture[y1 - quarter:y1, x0:x1].mean()
            upright = top < bottom - 0.3
        self.found.append(bool(upright))
        if not upright:
            return raw_outputs([])
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        anchor = int(np.argmin(np.linalg.norm(self.anchors * 192 - centre, axis=1)))
        offset = centre - self.anchors[anchor] * 192
        eye = (x1 - x0) / 4
        points = [offset[0] - eye, offset[1], offset[0] + eye, offset[1]] + [*offset] * 4
        return raw_outputs([(anchor, [*offset, x1 - x0, y1 - y0, *points], 0.9)])


def forehead_photo(size=(400, 300), square=(150, 100, 214, 164)):
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), square)
    image.paste((128, 128, 128), (square[0], square[1], square[2], square[1] + (square[3] - square[1]) // 4))
    return image


# (x, y) on the upright photo (width w, height h) -> on the photo turned counter-clockwise by 90/180/270
TURNS = {
    Image.Transpose.ROTATE_90: lambda x, y, w, h: (y, w - x),
    Image.Transpose.ROTATE_180: lambda x, y, w, h: (w - x, h - y),
    Image.Transpose.ROTATE_270: lambda x, y, w, h: (h - y, x),
}


@pytest.mark.parametrize("transpose", list(TURNS), ids=["90", "180", "270"])
def test_a_face_in_a_turned_photo_is_found_and_comes_back_where_it_is(transpose):
    photo = forehead_photo()
    detector = FaceDetector(UprightFinder(), FULL_RANGE, plan=whole_photo_only)
    [upright] = run(detector.detect(photo))
    [turned] = run(detector.detect(photo.transpose(transpose)))
    w, h = photo.size
    move = TURNS[transpose]
    model_px = 400 / 192  # one model pixel of the whole-photo look, in photo pixels
    # the subject's right eye stays the right eye, wherever the turn puts it
    np.testing.assert_allclose(turned.right_eye, move(*upright.right_eye, w, h), atol=1.2 * model_px)
    np.testing.assert_allclose(turned.left_eye, move(*upright.left_eye, w, h), atol=1.2 * model_px)
    corners = np.array([move(x, y, w, h) for x in upright.box[0::2] for y in upright.box[1::2]])
    np.testing.assert_allclose(turned.box, [*corners.min(axis=0), *corners.max(axis=0)], atol=1.2 * model_px)
    assert turned.score == pytest.approx(0.9)


def test_the_tiles_run_in_the_turn_where_the_whole_photo_found_faces():
    photo = forehead_photo(size=(800, 600), square=(500, 300, 564, 364)).transpose(Image.Transpose.ROTATE_270)
    tile = Window((200.0, 400.0, 400.0, 600.0), 1, (600, 800))  # holds the square, turned: (236, 500)-(300, 564)
    finder = UprightFinder()
    detector = FaceDetector(finder, FULL_RANGE, plan=lambda w, h, size: [whole_photo(w, h, size), tile])
    faces = run(detector.detect(photo))
    # upright, one, two, three quarter turns; only the one quarter turn shows the face upright; the tile
    # runs in that turn and finds it too; both views are one face
    assert finder.found == [False, True, False, False, True]
    assert len(faces) == 1


@pytest.mark.parametrize("score, eye_line, looks", [
    (0.9, (24, 0), 1),    # sure and level: upright only
    (0.9, (22, 11), 1),   # rolled 27 degrees: still level enough
    (0.9, (20, 14), 4),   # rolled 35 degrees: every turn
    (0.7, (24, 0), 4),    # not sure enough: every turn
    (0.9, (0, 24), 4),    # sure, but the eye line stands on end (a sideways photo): every turn
])
def test_the_turned_looks_are_skipped_only_for_a_sure_level_upright_face(score, eye_line, looks):
    anchor = 48 * 24 + 24
    dx, dy = eye_line
    regress = [0, 0, 48, 48, -dx / 2, -dy / 2, dx / 2, dy / 2, 0, 6, 0, 18, -24, 0, 24, 0]
    session = FakeSession(raw_outputs([(anchor, regress, score)]), later=raw_outputs([]))
    run(FaceDetector(session, FULL_RANGE, plan=whole_photo_only).detect(Image.new("RGB", (400, 400))))
    assert len(session.calls) == looks


def test_best_turn_leaves_upright_only_for_a_clearly_better_turn():
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert best_turn({0: logit(0.3), 1: logit(0.9), 2: logit(0.1), 3: logit(0.2)}) == (1, True)
    assert best_turn({0: logit(0.9), 1: logit(0.9), 2: logit(0.1), 3: logit(0.2)}) == (0, True)  # a tie: upright
    assert best_turn({0: logit(0.1), 1: logit(0.2), 2: logit(0.45), 3: logit(0.2)}) == (0, False)  # unsure
    assert best_turn({0: -math.inf, 1: -math.inf, 2: -math.inf, 3: -math.inf}) == (0, False)  # a broken model
    assert best_turn({0: logit(0.2)}) == (0, False)  # upright only (benchmarks)
    assert best_turn({0: logit(0.2), 1: logit(0.7), 2: 0, 3: 0}, min_score=0.85) == (0, False)  # tiles: stricter
    # the whole photo: a turn beating an upright look that reaches min_score too needs over_upright_score
    mosaic = {0: logit(0.52), 1: logit(0.1), 2: logit(0.64), 3: logit(0.2)}
    assert best_turn(mosaic, over_upright_score=0.75) == (2, False)
    assert best_turn(mosaic) == (2, True)
    assert best_turn({0: logit(0.52), 2: logit(0.8)}, over_upright_score=0.75) == (2, True)
    assert best_turn({0: logit(0.45), 2: logit(0.64)}, over_upright_score=0.75) == (2, True)


class SmallFaceFinder(UprightFinder):
    """UprightFinder that is unsure of small faces: a square under 20 model pixels scores 0.4 (below the
    detector's threshold and TURN_MIN_SCORE), as BlazeFace is of faces too small for the whole-photo look."""

    def run(self, output_names, feeds):
        outputs = super().run(output_names, feeds)
        ys, xs = np.nonzero(feeds["input"][0, 0] > -0.5)
        if self.found[-1] and xs.max() - xs.min() + 1 < 20:
            outputs[1][outputs[1] > 0] = math.log(0.4 / 0.6)
        return outputs


def test_when_the_whole_photo_cannot_tell_the_next_level_is_looked_at_in_every_turn_too():
    photo = forehead_photo(size=(800, 600), square=(500, 300, 540, 340)).transpose(Image.Transpose.ROTATE_270)
    level_1 = Window((200.0, 400.0, 400.0, 600.0), 1, (600, 800))  # holds the (turned) square
    level_2 = Window((250.0, 450.0, 350.0, 550.0), 2, (1200, 1600))
    finder = SmallFaceFinder()
    detector = FaceDetector(finder, FULL_RANGE, plan=lambda w, h, size: [whole_photo(w, h, size), level_1, level_2])
    faces = run(detector.detect(photo))
    # the whole photo: a 10 px square, found upright in turn 1 but unsure (0.4); level 1 in all four turns,
    # sure in turn 1; level 2 only in turn 1
    assert finder.found == [False, True, False, False] + [False, True, False, False] + [True]
    assert len(faces) == 1


def test_a_turn_barely_beating_a_sure_upright_look_lets_level_1_decide():
    """A 12 MP mosaic of small upright faces scored 0.64 upside down and 0.52 upright at the whole-photo
    look: level 1 is then looked at in every turn, and its upright tile that is sure takes the tiles upright."""
    level_face = lambda score: raw_outputs([(48 * 24 + 24, [0, 0, 48, 48, -12, -2, 12, -2, 0, 6, 0, 18, -24, 0, 24, 0],
                                              score)])  # noqa: E731
    nothing = raw_outputs([])
    whole = [level_face(0.52), nothing, level_face(0.64), nothing]  # turns 0, 1, 2, 3
    tile_a = [nothing] * 4  # every turn
    tile_b = [level_face(0.9)]  # upright, sure and level: the other turns are skipped
    tile_c = [level_face(0.9)]  # level 2: upright only
    session = SequenceSession(whole + tile_a + tile_b + tile_c)
    windows = [Window((0.0, 0.0, 800.0, 600.0), 0, (192, 144)), Window((0.0, 0.0, 200.0, 200.0), 1, (768, 576)),
               Window((400.0, 300.0, 600.0, 500.0), 1, (768, 576)), Window((600.0, 400.0, 700.0, 500.0), 2, (1536, 1152))]
    detector = FaceDetector(session, FULL_RANGE, plan=lambda w, h, size: windows,
                            tile_evidence=0.0)  # every tile runs: this fake's level-2 face shows nowhere in level 1
    faces = run(detector.detect(Image.new("RGB", (800, 600))))
    assert session.calls == 4 + 4 + 1 + 1
    centres = sorted(((face.box[:2] + face.box[2:]) / 2).round().tolist() for face in faces)
    assert [500, 400] in [[round(x / 10) * 10, round(y / 10) * 10] for x, y in centres]  # level 1's face
    assert [650, 450] in [[round(x / 10) * 10, round(y / 10) * 10] for x, y in centres]  # level 2's face


# config.SMALL_FACE_PX 24, SMALL_FACE_MIN_SCORE 0.75
@pytest.mark.parametrize("side, score, kept", [(20, 0.70, False), (20, 0.80, True), (30, 0.70, True)])
def test_a_tiny_face_needs_a_higher_score(side, score, kept):
    # a 192 x 192 photo is the detector's input as it is: a box `side` input pixels wide is `side` photo pixels
    anchor = 48 * 24 + 24
    half = side / 4  # eyes a quarter of the box apart from its centre, level
    regress = [0, 0, side, side, -half, -2, half, -2, 0, 2, 0, 4, -side / 2, 0, side / 2, 0]
    session = SequenceSession([raw_outputs([(anchor, regress, score)])])
    detector = FaceDetector(session, FULL_RANGE, plan=whole_photo_only, quarter_turns=(0,))
    faces = run(detector.detect(Image.new("RGB", (192, 192))))
    assert len(faces) == int(kept), (side, score)
    if kept:
        assert faces[0].box[2] - faces[0].box[0] == pytest.approx(side, abs=0.5)


def test_stages_give_the_whole_photos_faces_then_what_detect_gives(models):
    from PIL import Image
    from support import FIXTURES
    image = Image.open(FIXTURES / "astronaut.jpg").convert("RGB")  # 512 px: the whole photo, then tiles
    stages = []

    async def collect():
        async for faces, complete in models.detector.stages(image):
            stages.append((faces, complete))

    run(collect())
    assert [complete for _, complete in stages] == [False, True]
    final = run(models.detector.detect(image))
    assert [face.box.tolist() for face in stages[1][0]] == [face.box.tolist() for face in final]
    assert len(stages[0][0]) == 1 and stages[0][0][0].score > 0.6


def test_evidence_is_the_best_anchor_inside_a_rectangle():
    evidence = detect_module.Evidence()
    evidence.add(np.array([[10.0, 10.0], [50.0, 50.0], [90.0, 10.0]]), np.array([0.0, 2.0, -3.0]))
    assert evidence.most((0, 0, 100, 100)) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert evidence.most((0, 0, 20, 20)) == pytest.approx(0.5)
    assert evidence.most((200, 200, 300, 300)) == 0.0


class UnsureSquareFinder(SquareFinder):
    """SquareFinder, but never sure of its square (0.7 < UPRIGHT_SURE_SCORE)."""

    def run(self, output_names, feeds):
        boxes, scores = super().run(output_names, feeds)
        scores[scores > 0] = logit(0.7)
        return boxes, scores


def test_tiles_of_level_2_run_only_where_level_1_saw_a_sign_of_a_face():
    """The cascade (TILE_EVIDENCE_SCORE): level 1 runs whole, level 2's tiles only where level 1's anchors
    scored; the face comes out as when every tile runs, whether the photo is upright for sure or not."""
    size, square = (1600, 1200), (200, 300, 500, 600)
    plan = plan_windows(*size)
    level_2 = sum(1 for window in plan if window.level == 2)
    for finder in (SquareFinder, UnsureSquareFinder):
        every = run(FaceDetector(finder(), FULL_RANGE, tile_evidence=0.0).detect(square_photo(size, square)))
        session = finder()
        detector = FaceDetector(session, FULL_RANGE)
        faces = run(detector.detect(square_photo(size, square)))
        assert [face.box.tolist() for face in faces] == [face.box.tolist() for face in every]
        assert 0 < detector.skipped < level_2  # (level 2's tiles holding the square's scored anchors run)
        ran_every = run_count(finder, size, square, tile_evidence=0.0)
        assert session.calls == ran_every - detector.skipped


def run_count(finder, size, square, **options) -> int:
    session = finder()
    run(FaceDetector(session, FULL_RANGE, **options).detect(square_photo(size, square)))
    return session.calls


def test_a_small_face_beside_a_big_upright_one_is_found_with_the_cascade(models):
    """A real photo (a cat: no person) with a big face and a small one pasted in: a third of its tiles are
    skipped, and both faces come out as when every tile runs (the small one shows no sign at the whole-photo
    look, 0.02, and a clear one in level 1)."""
    from support import FIXTURES

    astronaut = Image.open(FIXTURES / "astronaut.jpg").convert("RGB").crop((150, 40, 300, 200))
    image = Image.open(FIXTURES / "chelsea_cat.jpg").convert("RGB").resize((1600, 1200))
    image.paste(astronaut.resize((600, 640)), (100, 100))
    image.paste(astronaut.resize((60, 64)), (1200, 800))
    detector = models.detector
    every = run(type(detector)(detector.session, detector.spec, tile_evidence=0.0).detect(image))
    found = run(detector.detect(image))
    tiles = sum(1 for window in detector.plan(*image.size, detector.spec.input_size) if window.level > 0)
    assert [face.box.tolist() for face in found] == [face.box.tolist() for face in every]
    assert len(found) == 2 and any(1200 < face.box[0] < 1260 and 800 < face.box[1] < 864 for face in found)
    assert detector.skipped >= tiles // 3

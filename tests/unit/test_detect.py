"""Pre/post-processing of the face detector against fixed fixtures, with no model (a fake session)."""

import math

import numpy as np
import pytest
from PIL import Image

from support import run
from googly_eyes.detect import (
    DetectorSpec, FaceDetector, Letterbox, decode_detections, letterbox, make_anchors, to_input_tensor,
    weighted_nms,
)

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
    """Stands in for onnxruntime: checks the feeds and returns fixed outputs (like MediaPipe's tests)."""

    def __init__(self, outputs):
        self.outputs, self.calls = outputs, []

    def run(self, output_names, feeds):
        self.calls.append((output_names, {name: (a.shape, a.dtype) for name, a in feeds.items()}))
        return list(self.outputs)


class AsyncFakeSession(FakeSession):
    """onnxruntime-web's shape: run returns an awaitable."""

    async def run(self, output_names, feeds):
        return FakeSession.run(self, output_names, feeds)


@pytest.mark.parametrize("session_type", [FakeSession, AsyncFakeSession])
def test_detector_returns_faces_in_original_image_pixels(session_type):
    anchor = 48 * 24 + 24  # the middle of the model input: (98, 98) input px
    regress = [0, 0, 48, 48, -12, -6, 12, -6, 0, 6, 0, 18, -24, 0, 24, 0]
    session = session_type(raw_outputs([(anchor, regress, 0.95)]))
    detector = FaceDetector(session, FULL_RANGE)
    image = Image.new("RGB", (800, 400))  # letterbox scale 0.24, pad 48 rows on top
    faces = run(detector.detect(image))
    assert session.calls == [(["boxes", "scores"], {"input": ((1, 3, 192, 192), np.float32)})]
    assert len(faces) == 1
    face = faces[0]
    scale = 192 / 800
    np.testing.assert_allclose(face.box, [(74) / scale, (74 - 48) / scale, (122) / scale, (122 - 48) / scale])
    np.testing.assert_allclose(face.right_eye, [86 / scale, (92 - 48) / scale])
    np.testing.assert_allclose(face.left_eye, [110 / scale, (92 - 48) / scale])
    assert face.right_eye[0] < face.left_eye[0]
    assert face.score == pytest.approx(0.95)


def test_detector_spec_reads_the_manifest(manifest):
    spec = DetectorSpec.from_manifest(manifest["models"]["face_detector"])
    assert spec.input_size == 192 and spec.strides == (4,)
    assert spec.keypoint_names[:2] == ("right_eye", "left_eye")
    assert make_anchors(spec).shape[0] == 2304

"""Eye location geometry: rotated crops and their mapping back, eyes from contours, hidden eyes,
duplicates, and googly-eye sizing from each eye's width. No model: fixtures and fake sessions."""

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from googly_eyes.config import EYE_WIDTH_PER_EYE_DISTANCE, GooglySettings
from googly_eyes.detect import Face
from googly_eyes.googly import place_googly_eyes
from googly_eyes.landmarks import (
    EYE_CONTOUR, INNER, OUTER, Eye, EyeLocator, LocatedFace, MeshSpec, Roi, drop_duplicate_faces,
    eye_from_contour, face_roi, hide_turned_away_eye, mesh_roi, scaled_face, unlocated,
)
from support import run


def dot_image(size, centre, radius=3, background=0) -> Image.Image:
    image = Image.new("RGB", size, (background,) * 3)
    x, y = centre
    ImageDraw.Draw(image).ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255))
    return image


def bright_centre(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image.convert("L"), float)
    ys, xs = np.nonzero(pixels > 127)
    weights = pixels[ys, xs]
    return np.array([(xs * weights).sum() / weights.sum() + 0.5, (ys * weights).sum() / weights.sum() + 0.5])


@pytest.mark.parametrize("angle_degrees", [0, 30, -75, 180])
@pytest.mark.parametrize("side", [40.0, 96.0, 700.0])  # upsampled, near 1:1, and shrunk (box filter first)
def test_roi_crop_and_to_image_are_inverse(angle_degrees, side):
    dot = (310.0, 240.0)
    image = dot_image((640, 480), dot, radius=max(3, side / 40))
    roi = Roi((300.0, 250.0), side, math.radians(angle_degrees))
    crop = roi.crop(image, 96)
    assert crop.size == (96, 96)
    back = roi.to_image(bright_centre(crop)[None], 96)[0]
    assert math.dist(back, dot) < max(1.0, side / 96), (back, dot)


def test_roi_crop_is_upright_in_the_eye_line_frame():
    # Two dots on a line tilted by 30 degrees: in the crop they must lie on one horizontal line.
    angle = math.radians(30)
    a = np.array([200.0, 200.0])
    b = a + 80 * np.array([math.cos(angle), math.sin(angle)])
    image = dot_image((400, 400), a)
    ImageDraw.Draw(image).ellipse((b[0] - 3, b[1] - 3, b[0] + 3, b[1] + 3), fill=(255, 255, 255))
    crop = np.asarray(Roi(tuple((a + b) / 2), 160.0, angle).crop(image, 160).convert("L"))
    left, right = crop[:, :80] > 127, crop[:, 80:] > 127
    row_left, row_right = np.nonzero(left)[0].mean(), np.nonzero(right)[0].mean()
    assert abs(row_left - row_right) < 1.0
    assert abs(row_left - 80) < 1.5


def test_face_roi_is_mediapipes_square_turned_by_the_eye_line():
    roi = face_roi([100, 100, 200, 160], (130, 120), (170, 160), 1.5)
    assert roi.centre == (150, 130) and roi.side == 150
    assert roi.angle == pytest.approx(math.radians(45))


def test_mesh_roi_spans_the_mesh_in_its_own_frame():
    points = np.array([[0, 0, 0], [100, 0, 0], [100, 60, 0], [0, 60, 0]], float)
    roi = mesh_roi(points, (20, 20), (80, 20), 1.5)
    assert roi.centre == pytest.approx((50, 30)) and roi.side == pytest.approx(150) and roi.angle == 0


def contour(centre, width, height, roll=0.0) -> np.ndarray:
    """A 16-point eyelid contour in EYE_CONTOUR order: corners at 0 and 8, mid-lids at 4 and 12."""
    t = np.concatenate([np.linspace(math.pi, 0, 9), np.linspace(0, math.pi, 9)[1:-1]])
    lower = np.stack([np.cos(t[:9]) * width / 2, np.sin(t[:9]) * height / 2], axis=1)
    upper = np.stack([np.cos(t[9:]) * width / 2, -np.sin(t[9:]) * height / 2], axis=1)
    points = np.concatenate([lower, upper])
    rotation = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]])
    return points @ rotation.T + np.asarray(centre, float)


def test_eye_from_contour_gives_centre_width_and_opening():
    roll = math.radians(20)
    eye = eye_from_contour(contour((50, 40), 30, 9, roll), np.array([-math.sin(roll), math.cos(roll)]))
    assert eye.centre == pytest.approx((50, 40), abs=1e-6)
    assert eye.width == pytest.approx(30)
    assert eye.opening == pytest.approx(0.3)
    assert math.dist(eye.contour[OUTER], eye.contour[INNER]) == pytest.approx(30)
    assert len(EYE_CONTOUR["right"]) == len(EYE_CONTOUR["left"]) == 16


def eye(x, y, width=20.0, visible=True):
    return Eye((x, y), width, 0.3, visible, contour((x, y), width, 6))


def located(right, left, score=0.9, presence=0.99):
    face = Face(np.array([right.centre[0] - 20, right.centre[1] - 30, left.centre[0] + 20, left.centre[1] + 40]),
                np.array([right.centre, left.centre] + [(0, 0)] * 4, float), score)
    return LocatedFace(face, None, presence, right, left)


def test_a_squeezed_far_eye_is_hidden_and_gets_no_googly_eye():
    right, left = hide_turned_away_eye(eye(100, 100, 30), eye(140, 100, 5))
    assert right.visible and not left.visible
    both = hide_turned_away_eye(eye(100, 100, 30), eye(140, 100, 24))  # a mild turn keeps both
    assert all(e.visible for e in both)
    googly = place_googly_eyes([located(right, left)], GooglySettings())
    assert [g.side for g in googly] == ["right"]


def test_closed_eyes_still_get_their_googly_eyes():
    shut = Eye((100, 100), 30, 0.02, True, contour((100, 100), 30, 0.6))
    googly = place_googly_eyes([located(shut, Eye((160, 100), 30, 0.02, True, contour((160, 100), 30, 0.6)))],
                               GooglySettings())
    assert len(googly) == 2


def test_one_face_found_twice_gets_one_pair_of_googly_eyes():
    first = located(eye(100, 100), eye(140, 100), score=0.8)
    again = located(eye(101, 99), eye(141, 101), score=0.9)
    other = located(eye(300, 100), eye(340, 100), score=0.7)
    kept = drop_duplicate_faces([first, again, other])
    assert [f.score for f in kept] == [0.9, 0.7]


def test_sizing_by_eye_width_follows_each_eye():
    face = located(eye(100, 100, width=20.0), eye(160, 100, width=10.0))
    by_distance = place_googly_eyes([face], GooglySettings(gamma=0.5))
    by_width = place_googly_eyes([face], GooglySettings(gamma=0.5, sizing="eye_width"))
    assert by_distance[0].radius == by_distance[1].radius == pytest.approx(15.0)
    assert by_width[0].radius == pytest.approx(0.5 * 20 / (2 * EYE_WIDTH_PER_EYE_DISTANCE))
    assert by_width[1].radius == pytest.approx(by_width[0].radius / 2)


def test_googly_eyes_turn_with_the_head():
    """The pupil's angle is drawn in the head's frame: rolling the face rolls the pupil with it."""
    upright = place_googly_eyes([located(eye(100, 100), eye(160, 100))], GooglySettings(seed=5))
    rolled = place_googly_eyes([located(eye(100, 100), eye(130, 100 + 30 * math.sqrt(3)))], GooglySettings(seed=5))
    for a, b in zip(upright, rolled):
        angle_a = math.atan2(a.pupil_centre[1] - a.centre[1], a.pupil_centre[0] - a.centre[0])
        angle_b = math.atan2(b.pupil_centre[1] - b.centre[1], b.pupil_centre[0] - b.centre[0])
        assert math.remainder(angle_b - angle_a - math.radians(60), 2 * math.pi) == pytest.approx(0, abs=1e-9)
        assert b.roll_degrees == pytest.approx(60)


def test_without_a_mesh_the_detector_points_are_used():
    face = Face(np.array([0, 0, 100, 100.0]), np.array([[30, 40], [70, 40]] + [[0, 0]] * 4, float), 0.9)
    plain = unlocated(face)
    assert plain.right.centre == (30, 40) and plain.left.centre == (70, 40) and plain.presence == 1.0
    assert plain.right.width == pytest.approx(EYE_WIDTH_PER_EYE_DISTANCE * 40)


class MeshSession:
    """Stand-in landmarker (a unit test of the geometry; the real model runs in test_real_eyes_... and
    the end-to-end tests): answers every crop with 478 points whose eye contours sit at fixed crop
    pixels, as the real model would for a face centred in the crop. Records the crops."""

    def __init__(self, presence_logit=5.0):
        self.presence_logit, self.inputs = presence_logit, []

    def run(self, names, feeds):
        self.inputs.append(next(iter(feeds.values())))
        mesh = np.zeros((478, 3))
        mesh[:, :2] = 128.0
        mesh[list(EYE_CONTOUR["right"]), :2] = contour((93, 107), 32, 11)
        mesh[list(EYE_CONTOUR["left"]), :2] = contour((163, 107), 32, 11)
        return [mesh.reshape(1, 1, 1, 1434), np.array([[[[self.presence_logit]]]])]


MESH = MeshSpec("input", 256, "landmarks", "flag")


def test_locator_maps_the_mesh_back_and_names_eyes_from_the_subject():
    session = MeshSession()
    locator = EyeLocator(session, MESH)
    face = Face(np.array([100, 100, 228, 228.0]), np.array([[140, 150], [190, 150]] + [[0, 0]] * 4, float), 0.9)
    [found] = run(locator.locate_all(Image.new("RGB", (400, 400)), [face]))
    assert len(session.inputs) == 2  # two passes
    assert session.inputs[0].shape == (1, 3, 256, 256)
    # The crop is mirrored, so the mesh's "left" contour (image-right in the crop) is the subject's
    # right eye, which sits image-left in the photo.
    assert found.right.centre[0] < found.left.centre[0]
    assert found.presence == pytest.approx(1 / (1 + math.exp(-5)))


def test_faces_the_mesh_does_not_believe_in_are_dropped():
    locator = EyeLocator(MeshSession(presence_logit=-4.0), MESH)
    face = Face(np.array([100, 100, 228, 228.0]), np.array([[140, 150], [190, 150]] + [[0, 0]] * 4, float), 0.9)
    assert run(locator.locate_all(Image.new("RGB", (400, 400)), [face])) == []


def simple_polygon(points) -> bool:
    """No two edges of the closed polygon cross (neighbours share a corner and do not count)."""
    points = np.asarray(points, float)
    n = len(points)

    def side(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            a, b, c, d = points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]
            if side(a, b, c) != side(a, b, d) and side(c, d, a) != side(c, d, b):
                return False
    return True


def test_the_outline_goes_around_the_eye_and_keeps_its_order():
    roll = math.radians(15)
    frame_y = np.array([-math.sin(roll), math.cos(roll)])
    around = contour((50, 40), 30, 9, roll)  # the mesh's order
    eye = eye_from_contour(around, frame_y)
    assert np.array_equal(eye.outline, around) and simple_polygon(eye.outline)
    # the iris model's old order (both lids from the outer corner) is not a polygon: the check can fail
    assert not simple_polygon(np.concatenate([around[:9], around[9:][::-1]]))
    # hiding a turned-away eye and mapping a face back from a reduced copy keep the order
    hidden = hide_turned_away_eye(eye, eye_from_contour(around * 0.1, frame_y))[1]
    assert not hidden.visible and simple_polygon(hidden.outline)
    scaled = scaled_face(located(eye, eye), 2.0, 2.0).right
    assert np.allclose(scaled.outline, around * 2.0) and simple_polygon(scaled.outline)


def test_real_eyes_have_outlines_that_go_around_them(models):
    from googly_eyes.pipeline import analyse_photo
    from support import FIXTURES

    analysis = run(analyse_photo((FIXTURES / "astronaut.jpg").read_bytes(), "astronaut.jpg", models))
    [face] = analysis.faces
    for eye in (face.right, face.left):
        outline = eye.outline
        assert len(outline) == 16 and simple_polygon(outline)
        x, y = outline[:, 0], outline[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        assert 0.1 * eye.width ** 2 < area < 0.6 * eye.width ** 2, (area, eye.width)


def test_a_face_located_before_is_not_located_again(models, monkeypatch):
    """The early look's memo (pipeline.analyse_photo): the same detection again is not run again."""
    from PIL import Image
    from support import FIXTURES, run

    image = Image.open(FIXTURES / "astronaut.jpg").convert("RGB")
    faces = run(models.detector.detect(image))
    locator, calls = models.locator, []
    real = type(locator).locate

    async def counted(self, picture, face):
        calls.append(face)
        return await real(self, picture, face)

    monkeypatch.setattr(type(locator), "locate", counted)
    memo = {}
    first = run(locator.locate_all(image, faces, memo))
    again = run(locator.locate_all(image, faces, memo))
    assert len(calls) == len(faces) == 1 and again[0] is first[0]
    run(locator.locate_all(image, faces))  # no memo: located again
    assert len(calls) == 2

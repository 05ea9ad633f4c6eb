"""scripts/rotations.py: turned photos and their annotations agree exactly (the any-angle evaluation)."""

import math

import numpy as np
from PIL import Image
import pytest

from scripts.rotations import TRANSFORMS, Turn, transform_box, transform_face, transform_image, transform_point


@pytest.fixture
def photo() -> Image.Image:
    values = np.random.default_rng(1).integers(0, 256, (7, 11, 3), dtype=np.uint8)  # odd sizes on purpose
    return Image.fromarray(values)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_pixel_centre_lands_on_the_same_pixel_after_a_quarter_turn(photo, degrees):
    turn = Turn(degrees, photo.size)
    turned = np.asarray(transform_image(turn, photo))
    assert turned.shape[1::-1] == turn.new_size
    original = np.asarray(photo)
    for j in range(photo.height):
        for i in range(photo.width):
            x, y = transform_point(turn, (i + 0.5, j + 0.5))
            assert x % 1 == pytest.approx(0.5) and y % 1 == pytest.approx(0.5)
            assert (turned[int(y), int(x)] == original[j, i]).all()


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_the_affine_path_agrees_with_the_quarter_turn(photo, degrees):
    """Rolls are resampled through the inverse matrix: at a quarter turn that must give transpose's pixels,
    which proves the matrix and Pillow's pixel-centre convention agree."""
    turn = Turn(degrees, photo.size)
    inverse = np.linalg.inv(turn.matrix)
    resampled = photo.transform(turn.new_size, Image.Transform.AFFINE, tuple(inverse[:2].ravel()),
                                resample=Image.Resampling.NEAREST)
    assert np.array_equal(np.asarray(resampled), np.asarray(transform_image(turn, photo)))


@pytest.mark.parametrize("degrees", [30, 60, 90, 180, 270])
def test_corners_stay_inside_the_expanded_canvas_and_the_centre_maps_to_the_centre(degrees):
    turn = Turn(degrees, (640, 480))
    width, height = turn.new_size
    for corner in [(0, 0), (640, 0), (0, 480), (640, 480)]:
        x, y = transform_point(turn, corner)
        assert -1e-6 <= x <= width + 1e-6 and -1e-6 <= y <= height + 1e-6
    assert transform_point(turn, (320, 240)) == pytest.approx([width / 2, height / 2])


@pytest.mark.parametrize("degrees", [30, 60, 90, 180, 270])
def test_distances_are_kept_and_the_turn_is_counter_clockwise(degrees):
    turn = Turn(degrees, (640, 480))
    right, left = transform_point(turn, (300, 200)), transform_point(turn, (360, 200))
    assert math.dist(right, left) == pytest.approx(60)
    # the eye line (right eye -> left eye, pointing +x upright) turns counter-clockwise on screen (y down)
    angle = math.degrees(math.atan2(-(left[1] - right[1]), left[0] - right[0])) % 360
    assert angle == pytest.approx(degrees)


def test_a_box_turns_as_its_inscribed_ellipse():
    assert transform_box(Turn(90, (100, 50)), [10, 5, 30, 15]) == pytest.approx([5, 70, 15, 90])
    rolled = transform_box(Turn(60, (100, 100)), [40, 30, 60, 70])  # 20 wide, 40 high
    half_w = math.hypot(10 * 0.5, 20 * math.sin(math.radians(60)))
    assert rolled[2] - rolled[0] == pytest.approx(2 * half_w)


def test_a_face_keeps_its_right_eye_and_every_point_moves():
    face = {"box": [10, 10, 50, 50], "right_eye": [20, 25], "left_eye": [40, 25], "eyes_visible": True,
            "right_eye_contour": [[15, 25], [25, 25]], "notes": "kept"}
    turn = Turn(TRANSFORMS["rot180"], (60, 60))
    moved = transform_face(turn, face)
    assert moved["right_eye"] == pytest.approx([40, 35]) and moved["left_eye"] == pytest.approx([20, 35])
    assert moved["right_eye_contour"] == [pytest.approx([45, 35]), pytest.approx([35, 35])]
    assert moved["notes"] == "kept" and moved["eyes_visible"] is True
    assert transform_face(turn, {"box": [1, 1, 2, 2], "right_eye": None})["right_eye"] is None

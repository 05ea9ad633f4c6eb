"""The tile plan: which windows of a photo the face detector runs on (pure arithmetic, no model)."""

from collections import Counter
import random

import numpy as np
import pytest

from googly_eyes.tiles import (
    FACE_WIDTH_PER_EYE_DISTANCE, MAX_WINDOWS, MIN_EYE_DISTANCE, MODEL_EYE_DISTANCE, finest_scale, plan_windows,
)

SIZES = [(300, 200), (200, 300), (500, 375), (640, 480), (800, 600), (1000, 1000), (1024, 683), (1280, 960),
         (1600, 944), (1600, 1064), (1600, 1200), (1200, 1600), (2000, 1500), (3000, 2000), (4000, 3000),
         (3024, 4032), (6000, 4000), (8000, 6000), (4000, 800), (20000, 300), (1, 1), (193, 7)]


def scale_of(window, width, height):
    """Model pixels per photo pixel (the smaller of the two axes: the photo is resized per level)."""
    return min(window.level_size[0] / width, window.level_size[1] / height)


def levels(windows):
    by_level = {}
    for window in windows:
        by_level.setdefault(window.level, []).append(window)
    return [by_level[level] for level in sorted(by_level)]


@pytest.mark.parametrize("size", [(300, 200), (200, 300), (480, 360), (1, 1), (192, 192)])
def test_a_small_photo_is_one_window_the_whole_photo(size):
    windows = plan_windows(*size)
    assert len(windows) == 1
    assert windows[0].rect == (0, 0, *size) and windows[0].level == 0


def test_counts_for_common_photo_sizes():
    # 1600 x 1200 (the dev set's size): the whole photo, 3 x 2 tiles of it at 0.25, and 6 x 4 tiles of
    # it resized to 833 x 624 px (eyes 15.4 px apart become 8 model px): 31 runs. A 12 MP photo uses
    # 58 of the 60: the whole photo, 9 tiles, 48 tiles at 1113 x 835 (eyes 28.8 px apart at 8 px).
    plan = plan_windows(1600, 1200)
    assert len(plan) == 31 and Counter(w.level for w in plan) == {0: 1, 1: 6, 2: 24}
    assert {w.level_size for w in plan if w.level == 2} == {(833, 624)}
    assert MODEL_EYE_DISTANCE / finest_scale(plan, 1600, 1200) == pytest.approx(15.4, abs=0.1)
    plan = plan_windows(4000, 3000)
    assert len(plan) == 58 <= MAX_WINDOWS
    assert MODEL_EYE_DISTANCE / finest_scale(plan, 4000, 3000) == pytest.approx(28.8, abs=0.1)
    # A photo that is small enough reaches MIN_EYE_DISTANCE within the budget, and stops there.
    plan = plan_windows(1024, 683)
    assert len(plan) == 13
    assert MODEL_EYE_DISTANCE / finest_scale(plan, 1024, 683) <= MIN_EYE_DISTANCE


@pytest.mark.parametrize("size", SIZES)
def test_never_more_windows_than_the_budget_and_the_whole_photo_first(size):
    windows = plan_windows(*size)
    assert 1 <= len(windows) <= MAX_WINDOWS
    assert windows[0].level == 0 and windows[0].rect == (0, 0, *size)
    assert [w.level for w in windows] == sorted(w.level for w in windows)  # one resize per level
    assert len(plan_windows(*size, max_windows=10)) <= 10


@pytest.mark.parametrize("size", SIZES)
def test_tiles_are_model_sized_cuts_of_the_resized_photo_and_map_back_exactly(size):
    width, height = size
    for window in plan_windows(*size):
        level_w, level_h = window.level_size
        x0, y0, x1, y1 = window.level_rect(size)
        assert 0 <= x0 < x1 <= level_w and 0 <= y0 < y1 <= level_h
        if window.level > 0:  # a full model input unless the resized photo is smaller than that
            assert (x1 - x0, y1 - y0) == (min(192, level_w), min(192, level_h))
        sx, sy = level_w / width, level_h / height
        np.testing.assert_allclose(window.rect, (x0 / sx, y0 / sy, x1 / sx, y1 / sy), atol=1e-9)


@pytest.mark.parametrize("size", SIZES)
def test_every_level_covers_the_whole_photo(size):
    width, height = size
    for level in levels(plan_windows(*size)):
        covered = np.zeros((height, width), dtype=bool) if width * height <= 4e6 else None
        xs = sorted({(w.rect[0], w.rect[2]) for w in level})
        ys = sorted({(w.rect[1], w.rect[3]) for w in level})
        for axis, length in ((xs, width), (ys, height)):  # a grid: check each axis has no gap
            assert axis[0][0] == pytest.approx(0) and axis[-1][1] == pytest.approx(length)
            assert all(nxt[0] <= cur[1] for cur, nxt in zip(axis, axis[1:]))
        assert len(level) == len(xs) * len(ys)
        if covered is not None:
            for w in level:
                covered[round(w.rect[1]):round(w.rect[3]), round(w.rect[0]):round(w.rect[2])] = True
            assert covered.all()


@pytest.mark.parametrize("size", [(1600, 1200), (1600, 944), (1600, 1064), (4000, 3000), (6000, 4000), (4000, 800),
                                  (1024, 683)])
def test_a_face_too_small_for_the_coarser_level_lies_whole_inside_a_tile(size):
    """Tiles overlap by at least the widest face the level above cannot be relied on to find, so no
    face needs a tile that cuts it: it is whole in one tile, or big enough for the coarser level."""
    width, height = size
    rng = random.Random(0)
    plan = levels(plan_windows(*size))
    for coarser, level in zip(plan, plan[1:]):
        coarse_scale = scale_of(coarser[0], width, height)
        # the widest face the coarser level may miss: eyes under MODEL_EYE_DISTANCE model pixels apart there
        face = FACE_WIDTH_PER_EYE_DISTANCE * MODEL_EYE_DISTANCE / coarse_scale
        assert face < min(level[0].width, level[0].height)
        for _ in range(2000):
            x = rng.uniform(0, width - face)
            y = rng.uniform(0, height - face)
            assert any(w.rect[0] - 1 <= x and x + face <= w.rect[2] + 1 and w.rect[1] - 1 <= y
                       and y + face <= w.rect[3] + 1 for w in level), (x, y, face)


@pytest.mark.parametrize("size", SIZES)
def test_levels_get_finer_and_the_finest_stops_at_the_smallest_face_we_look_for(size):
    width, height = size
    scales = [scale_of(level[0], width, height) for level in levels(plan_windows(*size))]
    assert scales == sorted(scales) and len(set(scales)) == len(scales)
    # ~2% slack: the finest level's scale is raised until its tiles just cover the photo
    assert scales[-1] <= MODEL_EYE_DISTANCE / MIN_EYE_DISTANCE * 1.25 or len(scales) == 1


def test_a_bigger_budget_reaches_smaller_faces_on_a_12_megapixel_photo():
    eye_distances = [MODEL_EYE_DISTANCE / finest_scale(plan_windows(4000, 3000, max_windows=budget), 4000, 3000)
                     for budget in (25, 40, 60)]
    assert eye_distances == sorted(eye_distances, reverse=True)
    assert eye_distances[-1] < 30

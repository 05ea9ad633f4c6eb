"""Where the face detector looks: the whole photo, then tiles of it at finer scales (a small pyramid).

BlazeFace sees a 192 x 192 input. On the whole photo letterboxed to 192 px a face with eyes 30 px
apart in a 1600 px photo is 3.6 model pixels wide between the eyes, too small for the model. So the
detector also runs on square tiles of the full-resolution photo, each resized to 192 px, at one or more
finer scales ("levels"), and merges what every window found (detect.py).

The plan depends only on the photo's size, so it is a pure function, `plan_windows`. Its rules:

- Level 0 is the whole photo. The finest level shows a face with eyes MIN_EYE_DISTANCE photo pixels
  apart with its eyes MODEL_EYE_DISTANCE model pixels apart, unless that takes more than MAX_WINDOWS
  windows; then it gets the finest scale the budget allows. Levels in between are evenly spaced in
  scale, at most MAX_LEVEL_RATIO apart; of the level counts that satisfy this, the plan takes the one
  with the fewest windows.
- Tiles of one level overlap by at least the widest face the next coarser level cannot be relied on
  to find, plus a margin: any face that level is needed for lies wholly inside one of its tiles. A
  face cut by a tile's inner edge is dropped from that tile (detect.py): it is whole in a neighbour,
  or big enough for the coarser level.
- A level is the photo resized once, cut into input_size tiles spread evenly; with their count fixed,
  the level's scale is raised as far as that many tiles still cover it (a finer scale for free).

Coordinates: photo pixels, continuous convention (pixel (i, j) spans [i, i+1) x [j, j+1)); a window
(x0, y0, x1, y1) covers [x0, x1) x [y0, y1).
"""

from dataclasses import dataclass
import math

# BlazeFace full-range finds 98% of faces whose eyes are 8 model pixels apart (IOD 8 px), 82% at 6,
# 66% at 5, 28% at 4 (measured on the faces of faces-dev with eyes >= 40 px apart, each shrunk into a
# tile at a random position). Above ~40 model pixels between the eyes recall falls again (92% at
# 40, 37% at 60), so every level serves a band of sizes, never all of them.
MODEL_EYE_DISTANCE = 8.0
# The smallest faces we set out to find: eyes 16 photo pixels apart (a face about 40 px wide), so
# that faces with eyes 20 px apart, which in real photos are blurrier than a sharp face shrunk, get
# 10 model pixels rather than a borderline 8. It only adds windows to photos under ~1300 px (1600 px
# photos are held back by MAX_WINDOWS anyway). On faces-dev, against 20: recall 0.986 vs 0.977
# (20-40 px: 0.966 vs 0.948; even half 1.000 both, odd 0.938 vs 0.906), precision 0.982 vs 0.991
# (two more fists taken for faces, both in the even half): the face mesh can turn away a fist later,
# nothing can bring back a face never found.
MIN_EYE_DISTANCE = 16.0
# BlazeFace's box is 2.6 eye distances wide (median on faces-dev, 2.3 at the 5th percentile, more on
# turned heads); 3 leaves a margin.
FACE_WIDTH_PER_EYE_DISTANCE = 3.0
# Scale step between levels: a level must find every face too small for the one above it (so at most
# ~4: recall falls above ~35 model pixels between the eyes), and its tiles must overlap by the widest
# such face, so a bigger step means fewer levels but more overlap. The plan takes the cheaper.
MAX_LEVEL_RATIO = 4.0
# No finer level for less than this gain in scale over the whole photo (a photo up to 480 px is one
# window: MODEL_EYE_DISTANCE / MIN_EYE_DISTANCE = 0.5 is within 1.25 of its whole-photo scale, 0.4).
MIN_LEVEL_GAIN = 1.25
# Level pixels of overlap to spare for tiles and level sizes rounded to whole pixels.
ROUNDING_MARGIN = 2.0
# At most this many model runs per photo, the whole photo included (~12-20 ms each in the browser).
# A 1600 x 1200 photo needs all 25 (its tiles at 0.42 model px per photo px: eyes 19 px apart at 8
# model px). A 12 MP photo (4000 x 3000) cannot get near MIN_EYE_DISTANCE within 25: its tiles are at
# 0.17 (eyes 47 px apart at 8 model px). On 4000 x 3000 mosaics of faces-dev photos, faces with eyes
# 20-40 px apart were found 59% of the time with 25 windows, 71% with 40, 91% with 60 (precision
# 0.99-1.00): the budget is a trade between time and small faces on big photos. We take 60: finding
# the small faces in a 12 MP group photo is the point (issue 3); the time it costs (~60 model runs on a
# 12 MP photo) is for a cascade to win back (issue 5). A 1600 x 1200 photo then uses 31 windows.
MAX_WINDOWS = 60


@dataclass(frozen=True)
class Window:
    """One model run. For its level the whole photo is resized to `level_size`; the window is a tile
    of that (at most input_size square), and `rect` is the same tile in photo pixels (x0, y0, x1, y1).

    Resizing the photo once per level and cutting tiles from it costs one resampling of the photo per
    level, not one per tile, and every tile of a level has exactly the same scale.
    """

    rect: tuple[float, float, float, float]
    level: int
    level_size: tuple[int, int]

    @property
    def width(self) -> float:
        return self.rect[2] - self.rect[0]

    @property
    def height(self) -> float:
        return self.rect[3] - self.rect[1]

    def level_rect(self, photo_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """The tile in pixels of the resized photo (whole numbers by construction)."""
        sx, sy = self.level_size[0] / photo_size[0], self.level_size[1] / photo_size[1]
        x0, y0, x1, y1 = self.rect
        return round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)


def _starts(length: int, side: int, count: int) -> list[int]:
    """`count` tiles of `side` pixels spread evenly over [0, length), the first at 0, the last at the end."""
    if count <= 1 or side >= length:
        return [0]
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def _tile_count(length: float, side: float, overlap: float) -> int:
    return 1 if side >= length else math.ceil((length - overlap) / (side - overlap))


def whole_photo(width: int, height: int, input_size: int = 192) -> Window:
    """The photo letterboxed into the model's input: level 0."""
    scale = input_size / max(width, height)
    size = (max(1, min(input_size, round(width * scale))), max(1, min(input_size, round(height * scale))))
    return Window((0.0, 0.0, float(width), float(height)), 0, size)


@dataclass(frozen=True)
class _Grid:
    """A level before it is cut: its scale and how many tiles across and down."""

    scale: float
    columns: int
    rows: int


def _grid(width: int, height: int, scale: float, overlap: float, input_size: int) -> _Grid:
    """Tiles of input_size at `scale` (or a little finer), overlapping by >= `overlap` photo pixels."""
    counts = [_tile_count(length * scale, input_size, overlap * scale) for length in (width, height)]
    # With the counts fixed, the finest scale at which that many tiles still cover the photo.
    scale = min(count * input_size / (length + (count - 1) * overlap) if count > 1 else input_size / length
                for length, count in zip((width, height), counts))
    return _Grid(scale, *counts)


def _grids(width: int, height: int, finest_scale: float, levels: int, input_size: int) -> list[_Grid]:
    """`levels` levels finer than the whole photo, evenly spaced in scale up to `finest_scale`
    (model pixels per photo pixel)."""
    whole = whole_photo(width, height, input_size)
    coarsest = input_size / max(width, height)
    ratio = (finest_scale / coarsest) ** (1 / levels)
    coarser = min(whole.level_size[0] / width, whole.level_size[1] / height)  # as resized, rounded
    grids = []
    for level in range(1, levels + 1):
        scale = coarsest * ratio ** level
        # The widest face the level above cannot be relied on to find must fit inside one tile, with
        # ROUNDING_MARGIN level pixels to spare for tile positions rounded to whole pixels.
        overlap = FACE_WIDTH_PER_EYE_DISTANCE * MODEL_EYE_DISTANCE / coarser + ROUNDING_MARGIN / scale
        grid = _grid(width, height, scale, overlap, input_size)
        grids.append(grid)
        coarser = grid.scale
    return grids


def _cheapest_grids(width: int, height: int, finest_scale: float, input_size: int) -> list[_Grid]:
    """Of the ways to reach `finest_scale` with no step between levels above MAX_LEVEL_RATIO, the one
    with the fewest windows (more levels: less overlap per level, but more levels to run)."""
    coarsest = input_size / max(width, height)
    if finest_scale <= coarsest * MIN_LEVEL_GAIN:
        return []
    fewest = max(1, math.ceil(math.log(finest_scale / coarsest) / math.log(MAX_LEVEL_RATIO) - 1e-9))
    options = [_grids(width, height, finest_scale, levels, input_size) for levels in range(fewest, fewest + 3)]
    return min(options, key=_window_count)


def _window_count(grids: list[_Grid]) -> int:
    return 1 + sum(grid.columns * grid.rows for grid in grids)


def _cut(width: int, height: int, grid: _Grid, level: int, input_size: int) -> list[Window]:
    level_w, level_h = max(1, round(width * grid.scale)), max(1, round(height * grid.scale))
    tile_w, tile_h = min(input_size, level_w), min(input_size, level_h)
    sx, sy = level_w / width, level_h / height
    return [Window((x / sx, y / sy, (x + tile_w) / sx, (y + tile_h) / sy), level, (level_w, level_h))
            for y in _starts(level_h, tile_h, grid.rows) for x in _starts(level_w, tile_w, grid.columns)]


def plan_windows(width: int, height: int, input_size: int = 192, max_windows: int = MAX_WINDOWS,
                 min_eye_distance: float = MIN_EYE_DISTANCE) -> list[Window]:
    """Where to run the detector on a width x height photo: the whole photo first, then finer levels.

    The finest level shows eyes `min_eye_distance` apart MODEL_EYE_DISTANCE model pixels apart, or
    comes as close to that as `max_windows` model runs allow (the scale is lowered 2% at a time).
    """
    scale = MODEL_EYE_DISTANCE / min_eye_distance
    grids = _cheapest_grids(width, height, scale, input_size)
    while _window_count(grids) > max_windows:
        scale /= 1.02
        grids = _cheapest_grids(width, height, scale, input_size)
    windows = [whole_photo(width, height, input_size)]
    for level, grid in enumerate(grids, start=1):
        windows += _cut(width, height, grid, level, input_size)
    return windows


def finest_scale(windows: list[Window], width: int, height: int) -> float:
    """Model pixels per photo pixel at the plan's finest level."""
    return max(min(w.level_size[0] / width, w.level_size[1] / height) for w in windows)

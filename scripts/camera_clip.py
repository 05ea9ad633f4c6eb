#!/usr/bin/env python
"""A test clip for the camera mode (issue 16): a photo panning, zooming and rolling in a 640 x 480 frame, written
as the .y4m file Chromium's fake camera plays (`--use-file-for-fake-video-capture=OUT.y4m`), with the photo's
ground truth moved frame by frame.

    .venv/bin/python -m scripts.camera_clip OUT.y4m [--photo images/afw_2844520516.jpg] [--frames 300]
                                                    [--size 640x480] [--fps 30]

writes OUT.y4m and OUT.json: the faces-dev format (../shared/data/faces-dev/README.md), one image per frame,
named `frame_00000` ..., so `../shared/tools/score_eyes.py OUT.json PREDICTIONS.json` scores what the camera
mode found in the frames it analysed. The photo and its faces come from faces-dev (`--dev`): the clip is made
in a temporary folder when measuring and never committed.

The motion loops seamlessly (every parameter is periodic over the clip; Chromium plays the file in a loop):
a slow pan and zoom, a roll of up to ROLL_DEGREES either way, and a faster side-to-side shake on top
(`Motion.max_speed` says how fast a face moves, in frame pixels per second).

Which frame the browser shows cannot be told from its timestamp (the fake camera starts wherever the capture
starts and may repeat or skip file frames), so every frame carries its number in a barcode: BARCODE_BITS cells
along the bottom BARCODE_HEIGHT rows, black for 0 and white for 1, least significant bit on the left;
`read_barcode` reads it back from a frame's pixels. Faces are scored only where the frame shows them: a face
whose box centre leaves the frame or reaches the barcode strip, or whose eyes end up less than MIN_EYE_DISTANCE
apart, is marked `ignore`.

Y4M: `YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg`, then per frame `FRAME\\n` and the Y, U and V planes
(4:2:0, BT.601 limited range, as Chromium's file capture reads them).

Coordinates: continuous convention (pixel (i, j) spans [i, i+1) x [j, j+1)), as the annotations.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from scripts.common import FACES_DEV

BARCODE_BITS = 16
BARCODE_HEIGHT = 16
ROLL_DEGREES = 15.0
MIN_EYE_DISTANCE = 16.0
FILL = (114, 114, 114)  # where the moved photo leaves the frame uncovered
POINT_FIELDS = ("right_eye", "left_eye")


@dataclass(frozen=True)
class Motion:
    """Where the photo sits in frame k: a similarity (scale, roll, shift) about the centre of its faces."""

    frames: int
    size: tuple[int, int]  # the frame's
    focus: tuple[float, float]  # the photo point the motion centres (its faces' centre)
    scale: float  # frame pixels per photo pixel at rest

    def parameters(self, k: int) -> tuple[float, float, float, float]:
        """(zoom, roll degrees counter-clockwise, shift x, shift y) of frame k: periodic over the clip."""
        phase = 2 * math.pi * (k % self.frames) / self.frames
        width, height = self.size
        zoom = 1.0 + 0.2 * math.sin(phase)
        roll = ROLL_DEGREES * math.sin(2 * phase)
        shift_x = 0.15 * width * math.sin(phase) + 0.06 * width * math.sin(6 * phase)
        shift_y = 0.08 * height * math.sin(2 * phase + 0.5)
        return zoom, roll, shift_x, shift_y

    def matrix(self, k: int) -> np.ndarray:
        """3 x 3, photo coordinates -> frame k's (y down: counter-clockwise on screen, as scripts/rotations.py)."""
        zoom, roll, shift_x, shift_y = self.parameters(k)
        theta = math.radians(roll)
        s = self.scale * zoom
        c, n = s * math.cos(theta), s * math.sin(theta)
        fx, fy = self.focus
        cx, cy = self.size[0] / 2 + shift_x, self.size[1] / 2 + shift_y
        return np.array([[c, n, cx - c * fx - n * fy], [-n, c, cy + n * fx - c * fy], [0, 0, 1]], float)

    def max_speed(self, fps: float) -> float:
        """The fastest the focus moves between two frames, in frame pixels per second."""
        centres = [self.matrix(k) @ np.array([*self.focus, 1.0]) for k in range(self.frames + 1)]
        return max(float(np.hypot(*(b - a)[:2])) for a, b in zip(centres, centres[1:])) * fps


def motion_for(photo_size: tuple[int, int], faces: list[dict], frames: int, size: tuple[int, int]) -> Motion:
    """Centred on the faces; at rest they span at most 70% of the frame, and the photo covers it where it can."""
    boxes = np.array([face["box"] for face in faces], float) if faces else np.array([[0, 0, *photo_size]], float)
    x0, y0 = boxes[:, :2].min(axis=0)
    x1, y1 = boxes[:, 2:].max(axis=0)
    cover = max(size[0] / photo_size[0], size[1] / photo_size[1])
    fit = min(0.7 * size[0] / (x1 - x0), 0.7 * size[1] / (y1 - y0))
    return Motion(frames, size, ((x0 + x1) / 2, (y0 + y1) / 2), min(cover, fit))


def frame_image(photo: Image.Image, matrix: np.ndarray, size: tuple[int, int]) -> Image.Image:
    inverse = np.linalg.inv(matrix)  # Pillow samples the photo at inverse(frame point)
    return photo.transform(size, Image.Transform.AFFINE, tuple(inverse[:2].ravel()),
                           resample=Image.Resampling.BILINEAR, fillcolor=FILL)


def draw_barcode(image: Image.Image, k: int) -> None:
    """Frame number k in the bottom strip (see the module's docstring)."""
    width, height = image.size
    pixels = np.asarray(image).copy()
    for bit in range(BARCODE_BITS):
        x0, x1 = bit * width // BARCODE_BITS, (bit + 1) * width // BARCODE_BITS
        pixels[height - BARCODE_HEIGHT:, x0:x1] = 255 if (k >> bit) & 1 else 0
    image.paste(Image.fromarray(pixels))


def read_barcode(luma: np.ndarray) -> int:
    """The frame number a frame's barcode holds, from its luma (H x W, 0-255, full or limited range)."""
    height, width = luma.shape
    k = 0
    for bit in range(BARCODE_BITS):
        x0, x1 = bit * width // BARCODE_BITS, (bit + 1) * width // BARCODE_BITS
        cell = luma[height - BARCODE_HEIGHT + 4:height - 4, x0 + 4:x1 - 4]  # away from the cells' blurred edges
        if float(cell.mean()) > 128:
            k |= 1 << bit
    return k


def rgb_to_i420(image: Image.Image) -> bytes:
    """Y, then U and V at half resolution (2 x 2 means): BT.601 limited range."""
    rgb = np.asarray(image.convert("RGB"), np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    height, width = y.shape

    def half(plane):
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = [y, half(u), half(v)]
    return b"".join(np.clip(np.round(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def y4m_header(size: tuple[int, int], fps: int) -> bytes:
    return f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode()


def moved_point(matrix: np.ndarray, point) -> list[float]:
    x, y, _ = matrix @ np.array([float(point[0]), float(point[1]), 1.0])
    return [float(x), float(y)]


def moved_face(matrix: np.ndarray, face: dict, size: tuple[int, int]) -> dict:
    """A ground-truth face in the frame: points moved; the box as the box of its inscribed ellipse moved (as
    scripts/rotations.py); `ignore` where the frame cannot show it (the module's docstring)."""
    moved = dict(face)
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    c, s = matrix[0, 0] / scale, matrix[0, 1] / scale
    for key, value in face.items():
        if value is None:
            continue
        if key == "box":
            x0, y0, x1, y1 = (float(v) for v in value)
            cx, cy = moved_point(matrix, ((x0 + x1) / 2, (y0 + y1) / 2))
            a, b = scale * (x1 - x0) / 2, scale * (y1 - y0) / 2
            half_w, half_h = math.hypot(a * c, b * s), math.hypot(a * s, b * c)
            moved[key] = [cx - half_w, cy - half_h, cx + half_w, cy + half_h]
        elif key in POINT_FIELDS:
            moved[key] = moved_point(matrix, value)
        elif key.endswith("_contour"):
            moved[key] = [moved_point(matrix, point) for point in value]
    x0, y0, x1, y1 = moved["box"]
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    shown = 0 <= cx < size[0] and 0 <= cy < size[1] - BARCODE_HEIGHT
    eyes = [moved.get(key) for key in POINT_FIELDS]
    big_enough = None in eyes or math.dist(*eyes) >= MIN_EYE_DISTANCE
    if not (shown and big_enough):
        moved["ignore"] = True
    return moved


def write_clip(photo: Image.Image, faces: list[dict], out: Path, frames: int = 300,
               size: tuple[int, int] = (640, 480), fps: int = 30) -> dict:
    """OUT.y4m and its ground truth (returned, and written as OUT with the suffix .json)."""
    if size[0] % 2 or size[1] % 2:
        raise ValueError(f"frame size {size}: width and height must be even (4:2:0)")
    if frames >= 1 << BARCODE_BITS:
        raise ValueError(f"{frames} frames: the barcode counts to {(1 << BARCODE_BITS) - 1}")
    photo = photo.convert("RGB")
    motion = motion_for(photo.size, [face for face in faces if not face.get("ignore")], frames, size)
    images = []
    with open(out, "wb") as file:
        file.write(y4m_header(size, fps))
        for k in range(frames):
            matrix = motion.matrix(k)
            frame = frame_image(photo, matrix, size)
            draw_barcode(frame, k)
            file.write(b"FRAME\n")
            file.write(rgb_to_i420(frame))
            images.append({"file": f"frame_{k:05d}", "width": size[0], "height": size[1], "exhaustive": True,
                           "faces": [moved_face(matrix, face, size) for face in faces]})
    truth = {"meta": {"clip": out.name, "frames": frames, "fps": fps, "size": list(size),
                      "max_speed_px_per_s": round(motion.max_speed(fps), 1)},
             "images": images}
    out.with_suffix(".json").write_text(json.dumps(truth))
    return truth


def dev_photo(dev: Path, file: str) -> tuple[Image.Image, list[dict]]:
    entries = {entry["file"]: entry for entry in json.loads((dev / "dev.json").read_text())["images"]}
    if file not in entries:
        raise SystemExit(f"{file} is not in {dev / 'dev.json'}")
    with Image.open(dev / file) as image:
        photo = ImageOps.exif_transpose(image).convert("RGB")  # the annotations are of the upright photo
    return photo, entries[file]["faces"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the .y4m to write (its ground truth goes beside it as .json)")
    parser.add_argument("--photo", default="images/afw_2844520516.jpg", help="a faces-dev photo (4 faces: "
                        "images/afw_4239974048.jpg)")
    parser.add_argument("--dev", type=Path, default=FACES_DEV)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    photo, faces = dev_photo(args.dev, args.photo)
    truth = write_clip(photo, faces, args.out, args.frames, size, args.fps)
    shown = sum(1 for image in truth["images"] for face in image["faces"] if not face.get("ignore"))
    print(f"{args.out}: {args.frames} frames {size[0]}x{size[1]} at {args.fps} fps, "
          f"{args.out.stat().st_size / 1e6:.1f} MB; {shown} scored faces over all frames; the faces' centre "
          f"moves at up to {truth['meta']['max_speed_px_per_s']} px/s")


if __name__ == "__main__":
    main()

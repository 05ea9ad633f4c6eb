"""The camera mode's test clip (scripts/camera_clip.py): a .y4m Chromium's fake camera can play, whose frames
show the photo where the moved ground truth says and carry their number in a barcode."""

import json
import math

import numpy as np
import pytest
from PIL import Image

from scripts import camera_clip
from scripts.camera_clip import BARCODE_BITS, BARCODE_HEIGHT, read_barcode, write_clip

SIZE = (64, 48)


def frames_of(path, size):
    """(header, [Y plane (H x W)]) of a .y4m file."""
    data = path.read_bytes()
    header, rest = data.split(b"\n", 1)
    width, height = size
    frame = width * height * 3 // 2
    lumas = []
    while rest:
        assert rest[:6] == b"FRAME\n"
        lumas.append(np.frombuffer(rest[6:6 + width * height], np.uint8).reshape(height, width))
        rest = rest[6 + frame:]
    return header.decode(), lumas


def dot_photo():
    """A grey photo with one dark dot, annotated as a face whose right eye is the dot."""
    photo = Image.new("RGB", (400, 300), (200, 200, 200))
    pixels = np.asarray(photo).copy()
    pixels[148:152, 118:122] = 0  # the dot: pixels 118-121 x 148-151, centre (120, 150)
    face = {"box": [80.0, 100.0, 240.0, 260.0], "right_eye": [120.0, 150.0], "left_eye": [200.0, 150.0]}
    return Image.fromarray(pixels), [face]


def test_the_file_is_a_y4m_of_the_asked_size_with_one_frame_per_ground_truth_image(tmp_path):
    photo, faces = dot_photo()
    out = tmp_path / "clip.y4m"
    truth = write_clip(photo, faces, out, frames=5, size=(160, 120), fps=30)
    header, lumas = frames_of(out, (160, 120))
    assert header == "YUV4MPEG2 W160 H120 F30:1 Ip A1:1 C420jpeg"
    assert len(lumas) == 5 and out.stat().st_size == len(header) + 1 + 5 * (6 + 160 * 120 * 3 // 2)
    assert json.loads(out.with_suffix(".json").read_text()) == truth
    assert [image["file"] for image in truth["images"]] == [f"frame_{k:05d}" for k in range(5)]


def test_every_frame_carries_its_number_in_the_barcode(tmp_path):
    photo, faces = dot_photo()
    out = tmp_path / "clip.y4m"
    write_clip(photo, faces, out, frames=40, size=(320, 240))
    _, lumas = frames_of(out, (320, 240))
    assert [read_barcode(luma) for luma in lumas] == list(range(40))
    image = Image.new("RGB", (320, 240), (90, 90, 90))
    camera_clip.draw_barcode(image, (1 << BARCODE_BITS) - 1)
    assert read_barcode(np.asarray(image.convert("L"))) == (1 << BARCODE_BITS) - 1


def test_the_moved_ground_truth_lands_on_the_rendered_dot(tmp_path):
    photo, faces = dot_photo()
    out = tmp_path / "clip.y4m"
    truth = write_clip(photo, faces, out, frames=12, size=(320, 240))
    _, lumas = frames_of(out, (320, 240))
    for luma, image in zip(lumas, truth["images"]):
        face = image["faces"][0]
        x, y = face["right_eye"]
        window = luma[int(y) - 8:int(y) + 9, int(x) - 8:int(x) + 9].astype(float)
        darkness = np.clip(luma.max() - window - 20, 0, None)  # the dot, not the grey around it
        ys, xs = np.mgrid[int(y) - 8:int(y) + 9, int(x) - 8:int(x) + 9]
        centre = ((xs + 0.5) * darkness).sum() / darkness.sum(), ((ys + 0.5) * darkness).sum() / darkness.sum()
        assert math.dist(centre, (x, y)) < 0.75, image["file"]
        assert math.dist(face["right_eye"], face["left_eye"]) > 16 and not face.get("ignore")


def test_the_motion_loops_pans_zooms_and_rolls():
    motion = camera_clip.motion_for((640, 480), [{"box": [100, 100, 300, 300]}], 300, (640, 480))
    np.testing.assert_allclose(motion.matrix(0), motion.matrix(300))
    rolls = [motion.parameters(k)[1] for k in range(300)]
    zooms = [motion.parameters(k)[0] for k in range(300)]
    assert max(rolls) == pytest.approx(camera_clip.ROLL_DEGREES, abs=0.1) and min(rolls) < -14.9
    assert max(zooms) > 1.19 and min(zooms) < 0.81
    assert 150 < motion.max_speed(30) < 400


def test_a_face_the_frame_cannot_show_is_ignored():
    matrix = np.eye(3)
    size = (320, 240)
    inside = camera_clip.moved_face(matrix, {"box": [10, 10, 60, 60], "right_eye": [20, 30], "left_eye": [50, 30]}, size)
    off = camera_clip.moved_face(matrix, {"box": [300, 10, 400, 60], "right_eye": [320, 30], "left_eye": [380, 30]}, size)
    strip = camera_clip.moved_face(matrix, {"box": [10, 220, 60, 240], "right_eye": [20, 230], "left_eye": [50, 230]}, size)
    tiny = camera_clip.moved_face(matrix, {"box": [10, 10, 30, 30], "right_eye": [15, 20], "left_eye": [25, 20]}, size)
    assert not inside.get("ignore") and off["ignore"] and strip["ignore"] and tiny["ignore"]
    assert 240 - BARCODE_HEIGHT < 230  # (the strip face's centre is in the barcode strip)


def test_odd_sizes_are_refused(tmp_path):
    photo, faces = dot_photo()
    with pytest.raises(ValueError, match="even"):
        write_clip(photo, faces, tmp_path / "x.y4m", frames=1, size=(161, 120))


def test_the_camera_benchmark_maps_capture_times_and_scores_frames():
    """scripts/bench/camera.py's arithmetic: the capture clock's offset from frames the video also showed, and
    each analysed frame's eyes against its ground truth (a frame without eyes on a face is a miss)."""
    from scripts.bench.camera import capture_offset, eye_errors

    constant, origin = 5_000_000, 1_000.0  # timestamps (us) = media time (us) + constant; capture = ts/1000 - origin
    times = np.cumsum(np.random.default_rng(1).integers(28_000, 39_000, 10))  # a camera's uneven frame times
    frames = [{"timestamp": constant + int(t)} for t in times]
    video = [{"mediaTime": (int(t) + (k % 3) - 1) / 1e6, "captureTime": (constant + int(t)) / 1000 - origin}
             for k, t in enumerate(times) if 2 <= k < 8]  # (media times rounded a microsecond either way)
    assert capture_offset(frames, video) == pytest.approx(origin, abs=0.01)
    assert capture_offset(frames, []) is None
    truth = [{"faces": [{"right_eye": [100.0, 100.0], "left_eye": [140.0, 100.0]},
                        {"right_eye": [10.0, 10.0], "left_eye": [20.0, 10.0], "ignore": True}]}]
    on = {"right": {"centre": [102.0, 100.0]}, "left": {"centre": [140.0, 101.0]}}
    errors = eye_errors([{"frame": 0, "faces": [on]}, {"frame": 0, "faces": []}, {"frame": 7, "faces": [on]}], truth)
    assert errors == [pytest.approx(2 / 40), math.inf]  # frame 7 is not in the clip: not scored

"""Animated WebP and APNG written a frame at a time (googly_eyes.animated_files): Pillow reads them back
with every frame, its duration, the loop, and the pixels as written."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from googly_eyes.animated_files import ApngWriter, WebPWriter


def frames(n=10, size=(64, 48)):
    """A photo-like background (smooth colours, a little noise) with a dark disc moving across it."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size[1], 0:size[0]]
    smooth = np.stack([80 + 2 * xx, 90 + 2 * yy, 150 + xx - yy], axis=2)
    background = np.clip(smooth + rng.integers(-6, 7, smooth.shape), 0, 255).astype(np.uint8)
    out = []
    for i in range(n):
        image = Image.fromarray(background.copy(), "RGB")
        x = 10 + 4 * i
        ImageDraw.Draw(image).ellipse((x - 6, 18, x + 6, 30), fill=(12, 12, 12))
        out.append(image)
    return out


def read_back(data: bytes):
    image = Image.open(io.BytesIO(data))
    got, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        got.append(np.asarray(image.convert("RGB"), int))
        durations.append(image.info.get("duration"))
    return image, got, durations


def test_apng_frames_read_back_exactly():
    written = frames()
    writer = ApngWriter((64, 48), 25, len(written))
    for frame in written:
        writer.add(frame)
    data = writer.finish()
    image, got, durations = read_back(data)
    assert image.format == "PNG" and image.is_animated and image.n_frames == 10
    assert image.info.get("loop") == 0
    assert durations == [40.0] * 10
    for ours, theirs in zip(written, got):
        assert np.array_equal(np.asarray(ours, int), theirs)  # lossless, deltas blended correctly
    # later frames store only what changed: far smaller than the first
    assert len(data) < 2 * len(_png(written[0]))


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_apng_insists_on_the_announced_frames():
    writer = ApngWriter((64, 48), 25, 2)
    writer.add(frames(1)[0])
    with pytest.raises(ValueError):
        writer.finish()
    with pytest.raises(ValueError):
        writer.add(Image.new("RGB", (10, 10)))


def test_webp_frames_read_back():
    written = frames()
    writer = WebPWriter((64, 48), 25, quality=90)
    for frame in written:
        writer.add(frame)
    image, got, durations = read_back(writer.finish())
    assert image.format == "WEBP" and image.n_frames == 10 and image.info.get("loop") == 0
    assert durations == [40] * 10
    for ours, theirs in zip(written, got):
        assert np.abs(np.asarray(ours, int) - theirs).mean() < 12  # lossy, but the same picture
    assert not np.array_equal(got[0], got[-1])  # the disc moved

#!/usr/bin/env python
"""Is the gap between our eyes and the annotated ones ours or the annotations'? The mirror test.

    .venv/bin/python -m scripts.annotation_offset            # needs ../shared/data/faces-dev

Runs the shipped pipeline on the dev photos as they are and mirrored left-right (the annotations mirrored
with them: x -> width - x, the subject's right and left swapped), and prints the median residual
(annotated - ours) of the eye centres across the face (along the eye line, from the subject's right eye to
the left) and down it, in photo pixels. A left-right symmetric pipeline that puts eyes d px left of where
they are shows -d on both sets; an annotation d px right of the eye shows +d as given and -d mirrored. So
half the sum is the pipeline's offset and half the difference the annotations'. (Down the face a mirror
changes nothing: the two cannot be told apart there.)
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import sys

import numpy as np
from PIL import Image, ImageOps

from googly_eyes.models import load_native_models
from scripts.common import FACES_DEV, MODELS
from scripts.evaluate import predict


def mirrored(gt: dict) -> tuple[dict, list[tuple[str, bytes]]]:
    """The annotations and PNG bytes of every dev photo mirrored left-right."""
    images, photos = [], []
    for im in gt["images"]:
        with Image.open(FACES_DEV / im["file"]) as image:
            image = ImageOps.mirror(ImageOps.exif_transpose(image).convert("RGB"))
        out = io.BytesIO()
        image.save(out, "PNG")
        photos.append((im["file"], out.getvalue()))
        width = image.width

        def flip(p):
            return [width - p[0], p[1]] if p else None

        faces = []
        for f in im["faces"]:
            x0, y0, x1, y1 = f["box"]
            faces.append({**f, "box": [width - x1, y0, width - x0, y1],
                          "right_eye": flip(f.get("left_eye")), "left_eye": flip(f.get("right_eye"))})
        images.append({**im, "faces": faces})
    return {**gt, "images": images}, photos


def residuals(gt: dict, predictions: dict) -> np.ndarray:
    """(across, down) of annotated - ours for both eyes of every eye-annotated face matched within e <= 0.15."""
    ours = {im["file"]: im["faces"] for im in predictions["images"]}
    rows = []
    for im in gt["images"]:
        for f in im["faces"]:
            if f.get("ignore") or f.get("eyes_uncertain") or not f.get("right_eye") or not f.get("left_eye"):
                continue
            distance = math.dist(f["right_eye"], f["left_eye"])
            found = [(max(math.dist(f["right_eye"], q["right_eye"]), math.dist(f["left_eye"], q["left_eye"])), q)
                     for q in ours.get(im["file"], [])]
            if not found or min(found, key=lambda t: t[0])[0] / distance > 0.15:
                continue
            q = min(found, key=lambda t: t[0])[1]
            across = np.subtract(f["left_eye"], f["right_eye"]) / distance
            down = np.array([-across[1], across[0]])
            for side in ("right_eye", "left_eye"):
                delta = np.subtract(f[side], q[side])
                rows.append((delta @ across, delta @ down))
    return np.array(rows)


def main() -> int:
    if not (FACES_DEV / "dev.json").is_file():
        print(f"no faces-dev at {FACES_DEV}", file=sys.stderr)
        return 1
    gt = json.loads((FACES_DEV / "dev.json").read_text())
    models = load_native_models(MODELS, threads=1)
    as_given = [(im["file"], (FACES_DEV / im["file"]).read_bytes()) for im in gt["images"]]
    flipped_gt, flipped = mirrored(gt)
    medians = {}
    for name, truth, photos in (("as given", gt, as_given), ("mirrored", flipped_gt, flipped)):
        predictions, _ = asyncio.run(predict(photos, models))
        r = residuals(truth, predictions)
        medians[name] = np.median(r, axis=0)
        print(f"{name:9s} {len(r)} eyes: annotated - ours, median across {medians[name][0]:+.2f} px, "
              f"down {medians[name][1]:+.2f} px")
    a, m = medians["as given"][0], medians["mirrored"][0]
    print(f"across the face: the pipeline's offset {-(a + m) / 2:+.2f} px, the annotations' {(a - m) / 2:+.2f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's native side: the page's pipeline in CPython, through the very functions the worker calls."""

from __future__ import annotations

import asyncio
from pathlib import Path
import time

from googly_eyes.gallery import Gallery, export_with_pillow
from googly_eyes.models import load_native_models, time_detector
from scripts.bench.report import stats
from scripts.common import MODELS as MODELS_DIR


def time_native_model(threads: int, detector_file: str, runs: int) -> dict:
    """The face detector alone, as the page's worker times it (models.time_detector); 3 warm-up runs."""
    models = load_native_models(MODELS_DIR, threads=threads, overrides={"face_detector": detector_file})
    return stats(asyncio.run(time_detector(models, runs + 3))[3:])


def native_pipeline(photos: list[Path], threads: int, quarter_turns: tuple[int, ...] | None = None) -> dict:
    """What the page's worker does for each photo, natively, through the very functions it calls:
    Gallery.analyse (decode, detect, locate, first preview), then the full-resolution download
    (Gallery.plan_export + export_with_pillow, the worker's path for photos the canvas cannot take).
    Returns per-photo timings and the scorer-format predictions."""
    gallery = Gallery(load_native_models(MODELS_DIR, threads=threads))
    if quarter_turns is not None:  # benchmark.py --turns upright: the detector as before issue 12
        gallery.models.detector.quarter_turns = quarter_turns
    records, predictions = [], {}

    async def one(photo_id: str, path: Path) -> dict:
        data = path.read_bytes()
        start = time.perf_counter()
        answer = await gallery.analyse(photo_id, data, path.name, None)
        total = (time.perf_counter() - start) * 1000
        start_export = time.perf_counter()
        plan = gallery.plan_export(photo_id, None, {"format": "auto"})
        export = {}
        size = len(export_with_pillow(data, plan, export))
        predictions[path.name] = plan.detections()["images"][0]["faces"]
        gallery.forget(photo_id)
        return {"name": path.name, "faces": len(answer["faces"]), "width": answer["width"], "height": answer["height"],
                "timings": answer["timings"], "totalMs": total,
                "export": {"timings": export, "totalMs": (time.perf_counter() - start_export) * 1000, "bytes": size}}

    for index, path in enumerate(photos):
        records.append(asyncio.run(one(f"p{index}", path)))
    return {"threads": threads, "records": records, "predictions": predictions}

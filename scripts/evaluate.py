"""Run the shipped pipeline over an annotation file and write predictions the scorer reads.

    .venv/bin/python -m scripts.evaluate GT.json PRED.json [--model models/face_detector.int8.onnx] [--score]

GT.json is in the format of ../shared/data/faces-dev/dev.json (image paths relative to it). PRED.json
has the same shape, one entry per image, as `../shared/tools/score_eyes.py GT.json PRED.json` expects.
--score runs that scorer afterwards when it is there. Prints per-stage timings (min / median).
"""

import argparse
import asyncio
import json
from pathlib import Path
import statistics
import subprocess
import sys

from googly_eyes.config import GooglySettings
from googly_eyes.models import Models, load_native_models
from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import process_photo
from scripts.common import MODELS, SCORER


async def predict(gt_path: Path, models: Models, limit: int | None) -> tuple[dict, dict]:
    gt = json.loads(gt_path.read_text())
    images, timings = [], {}
    for entry in gt["images"][:limit]:
        data = (gt_path.parent / entry["file"]).read_bytes()
        try:
            result = await process_photo(data, entry["file"], models, GooglySettings())
        except PhotoError as error:
            print(f"skipped {entry['file']}: {error.message}", file=sys.stderr)
            images.append({"file": entry["file"], "faces": []})
            continue
        images.append({"file": entry["file"], "faces": result.detections()["images"][0]["faces"]})
        for stage, ms in result.timings_ms.items():
            timings.setdefault(stage, []).append(ms)
    return {"images": images}, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gt", type=Path)
    parser.add_argument("pred", type=Path)
    parser.add_argument("--detector", help="a detector file the manifest lists, other than the shipped one")
    parser.add_argument("--mesh", help="a face-mesh file the manifest lists, other than the shipped one")
    parser.add_argument("--no-mesh", action="store_true", help="the detector's eye points alone (no refinement)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models-dir", type=Path, default=MODELS, help="a folder with manifest.json")
    parser.add_argument("--limit", type=int, help="only the first N images")
    parser.add_argument("--score", action="store_true", help="run ../shared/tools/score_eyes.py afterwards")
    args = parser.parse_args()

    models = load_native_models(args.models_dir, args.threads,
                                {"face_detector": args.detector, "face_landmarks": args.mesh})
    if args.no_mesh:
        models.locator = None
        models.files.pop("face_landmarks", None)
    model_name = ", ".join(models.files.values())
    predictions, timings = asyncio.run(predict(args.gt, models, args.limit))
    predictions["models"] = models.files
    args.pred.write_text(json.dumps(predictions, indent=1))
    faces = sum(len(image["faces"]) for image in predictions["images"])
    print(f"{len(predictions['images'])} images, {faces} faces predicted with {model_name} -> {args.pred}")
    for stage, values in timings.items():
        print(f"  {stage:7s} min {min(values):7.1f} ms   median {statistics.median(values):7.1f} ms")
    if args.score:
        if not SCORER.exists():
            print(f"scorer not found at {SCORER}", file=sys.stderr)
            return 1
        return subprocess.call([sys.executable, str(SCORER), str(args.gt), str(args.pred)])
    return 0


if __name__ == "__main__":
    sys.exit(main())

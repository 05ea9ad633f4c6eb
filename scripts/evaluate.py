"""Run the shipped pipeline over an annotation file and write predictions the scorer reads.

    .venv/bin/python -m scripts.evaluate GT.json PRED.json [--model models/face_detector.int8.onnx] [--score]

GT.json is in the format of ../shared/data/faces-dev/dev.json (image paths relative to it). PRED.json
has the same shape, one entry per image, as `../shared/tools/score_eyes.py GT.json PRED.json` expects.
--score runs that scorer afterwards when it is there. Prints per-stage timings (min / median).

    .venv/bin/python -m scripts.evaluate GT.json PRED.json --transforms all

scores the same set turned (rot90 / rot180 / rot270: the pixels turned, no EXIF tag) and rolled (roll30 /
roll60, canvas expanded), the ground truth moved exactly (scripts/rotations.py), and prints one row of the
scorer's numbers per transform; PRED.json gets the last transform's predictions. Turned photos are handed
over as PNG (lossless), the upright ones as their original files.
"""

import argparse
import asyncio
import io
import json
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile

from PIL import Image, ImageOps

from googly_eyes.config import GooglySettings
from googly_eyes.models import Models, load_native_models
from googly_eyes.photo import PhotoError
from googly_eyes.pipeline import process_photo
from scripts.common import MODELS, SCORER
from scripts.rotations import TRANSFORMS, Turn, transform_face, transform_image


def original_photos(gt_path: Path, entries: list[dict]):
    for entry in entries:
        yield entry["file"], (gt_path.parent / entry["file"]).read_bytes()


async def predict(photos, models: Models, early: bool = True) -> tuple[dict, dict]:
    """Predictions for (file name, bytes) pairs, and each stage's timings in ms. With `early` (as the page
    analyses a new photo) the whole-photo look's faces are located first and kept where the finer levels
    leave them nearly as they were (pipeline.analyse_photo)."""
    images, timings = [], {}

    async def shown(partial):  # the page shows them; here they only have to have been made
        pass

    for file, data in photos:
        entry = {"file": file}
        try:
            result = await process_photo(data, entry["file"], models, GooglySettings(), early=shown if early else None)
        except PhotoError as error:
            print(f"skipped {entry['file']}: {error.message}", file=sys.stderr)
            images.append({"file": entry["file"], "faces": []})
            continue
        images.append({"file": entry["file"], "faces": result.detections()["images"][0]["faces"]})
        for stage, ms in result.timings_ms.items():
            timings.setdefault(stage, []).append(ms)
    return {"images": images}, timings


def transform_names(text: str) -> list[str]:
    names = list(TRANSFORMS) if text == "all" else [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown transform(s) {unknown}; known: {list(TRANSFORMS)}")
    return names


def turned_photos(gt_path: Path, entries: list[dict], name: str):
    """(ground truth, photos) of the set turned by transform `name`: the ground truth moved exactly, each
    photo upright first (EXIF orientation applied: the annotations are of the photo as displayed)."""
    images, photos = [], []
    for entry in entries:
        data = (gt_path.parent / entry["file"]).read_bytes()
        if name == "upright":
            images.append(entry)
            photos.append((entry["file"], data))
            continue
        with Image.open(io.BytesIO(data)) as opened:
            upright = ImageOps.exif_transpose(opened).convert("RGB")
        turn = Turn(TRANSFORMS[name], upright.size)
        buffer = io.BytesIO()
        transform_image(turn, upright).save(buffer, "PNG", compress_level=1)
        width, height = turn.new_size
        images.append({**entry, "width": width, "height": height,
                       "faces": [transform_face(turn, face) for face in entry["faces"]]})
        photos.append((entry["file"], buffer.getvalue()))
    return {"images": images}, photos


def evaluate_transforms(args, models: Models) -> int:
    """Every transform scored by ../shared/tools/score_eyes.py, one row each, and the issue's targets."""
    if not SCORER.exists():
        print(f"scorer not found at {SCORER}", file=sys.stderr)
        return 1
    entries = json.loads(args.gt.read_text())["images"][:args.limit]
    header = f"{'transform':10s} {'recall':>6s} {'prec.':>6s} {'FP neg':>6s} {'e<=.05':>6s} {'e<=.10':>6s} " \
             f"{'e<=.25':>6s} {'swaps':>5s} {'detect ms (median)':>18s}"
    rows = [header]
    with tempfile.TemporaryDirectory() as folder:
        for name in args.transforms:
            gt, photos = turned_photos(args.gt, entries, name)
            predictions, timings = asyncio.run(predict(photos, models))
            gt_file, pred_file, score_file = (Path(folder) / f"{name}.{kind}.json" for kind in ("gt", "pred", "score"))
            gt_file.write_text(json.dumps(gt))
            pred_file.write_text(json.dumps(predictions))
            args.pred.write_text(json.dumps(predictions, indent=1))
            subprocess.run([sys.executable, str(SCORER), str(gt_file), str(pred_file), "--json", str(score_file)],
                           check=True, capture_output=True)
            score = json.loads(score_file.read_text())
            eyes = score["eyes_all_visible"]
            rows.append(f"{name:10s} {score['recall']:6.3f} {score['precision']:6.3f} "
                        f"{score['fp_on_negative_images']:6d} {eyes['e<=0.05']:6.3f} {eyes['e<=0.10']:6.3f} "
                        f"{eyes['e<=0.25']:6.3f} {score['eye_left_right_swaps']:5d} "
                        f"{statistics.median(timings['detect']):18.0f}")
            print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))
    print("targets: recall >= 0.95 and e<=0.10 >= 0.90 on every transform; upright recall >= 0.98, "
          "e<=0.10 >= 0.94; FP on negatives 0")
    return 0


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
    parser.add_argument("--no-early", action="store_true",
                        help="no early look: locate only the complete detection's faces (the page always looks early)")
    parser.add_argument("--transforms", type=transform_names, metavar="LIST",
                        help=f"score turned and rolled copies: 'all' or some of {','.join(TRANSFORMS)}")
    args = parser.parse_args()

    models = load_native_models(args.models_dir, args.threads,
                                {"face_detector": args.detector, "face_landmarker": args.mesh})
    if args.no_mesh:
        models.locator = None
        models.files.pop("face_landmarker", None)
    model_name = ", ".join(models.files.values())
    if args.transforms:
        return evaluate_transforms(args, models)
    entries = json.loads(args.gt.read_text())["images"][:args.limit]
    predictions, timings = asyncio.run(predict(original_photos(args.gt, entries), models, not args.no_early))
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

"""Draw what the pipeline sees on a photo: the googly-eyed result and a debug view side by side.

    .venv/bin/python -m scripts.debug_view PHOTO OUT.png [--crop x0,y0,x1,y1] [--models-dir models]
"""

import argparse
import asyncio
from pathlib import Path
import sys

from PIL import Image

from googly_eyes.models import load_native_models
from googly_eyes.pipeline import process_photo
from googly_eyes.render import draw_debug
from scripts.common import MODELS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--crop", help="x0,y0,x1,y1 of the photo to show")
    parser.add_argument("--models-dir", type=Path, default=MODELS)
    args = parser.parse_args()
    models = load_native_models(args.models_dir)
    result = asyncio.run(process_photo(args.photo.read_bytes(), args.photo.name, models))
    views = [result.image.convert("RGB"), draw_debug(result.photo.image, result.faces)]
    if args.crop:
        box = tuple(int(v) for v in args.crop.split(","))
        views = [view.crop(box) for view in views]
    width, height = views[0].size
    sheet = Image.new("RGB", (2 * width + 10, height), (255, 255, 255))
    sheet.paste(views[0], (0, 0))
    sheet.paste(views[1], (width + 10, 0))
    sheet.save(args.out)
    print(f"{len(result.faces)} faces, {len(result.eyes)} googly eyes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

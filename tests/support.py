"""Paths and small helpers shared by the unit and end-to-end tests."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import sys

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "py"))

MODELS = REPO / "models"
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared"
FACES_DEV = SHARED / "data" / "faces-dev"
SCORER = SHARED / "tools" / "score_eyes.py"


def run(coroutine):
    """Run a coroutine to the end, also where Playwright's sync API already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def collage_of_faces(path: Path) -> Path:
    """A composite of the public-domain astronaut photo at four sizes: several faces in one picture.

    Only for runs without ../shared (whose real group photos the tests prefer): no multi-person photo
    with a permissive licence could be found to commit (see tests/fixtures/README.md).
    """
    from PIL import Image, ImageOps

    face = Image.open(FIXTURES / "astronaut.jpg").convert("RGB")
    canvas = Image.new("RGB", (1400, 800), (70, 90, 110))
    for (x, y), size, mirrored in [((20, 60), 420, False), ((470, 140), 320, True), ((820, 40), 520, False),
                                   ((520, 500), 260, False)]:
        tile = face.resize((size, size), Image.Resampling.LANCZOS)
        canvas.paste(ImageOps.mirror(tile) if mirrored else tile, (x, y))
    canvas.save(path, quality=92)
    return path

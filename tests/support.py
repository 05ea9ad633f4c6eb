"""Paths and small helpers shared by the unit and end-to-end tests."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scripts.common import FACES_DEV, FIXTURES, MODELS, REPO, SCORER, SHARED  # noqa: F401 (used by the tests)

DEV_GROUP = FACES_DEV / "images" / "afw_4285163979.jpg"  # a dev photo of ten people, hand-annotated


def run(coroutine):
    """Run a coroutine to the end, also where Playwright's sync API already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def collage_of_faces(path: Path) -> Path:
    """Six copies of the public-domain astronaut's head and shoulders in a 3 x 2 grid, some mirrored.

    Only for runs without ../shared (whose real group photos the tests prefer): no multi-person photo
    with a permissive licence could be found to commit (see tests/fixtures/README.md).
    """
    from PIL import Image, ImageOps

    head = Image.open(FIXTURES / "astronaut.jpg").convert("RGB").crop((100, 20, 340, 260))
    canvas = Image.new("RGB", (3 * 240, 2 * 240))
    for index in range(6):
        tile = ImageOps.mirror(head) if index % 2 else head
        canvas.paste(tile, ((index % 3) * 240, (index // 3) * 240))
    canvas.save(path, quality=92)
    return path

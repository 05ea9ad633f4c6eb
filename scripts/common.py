"""What the scripts and the tests share: where things are, sha256, and how Chromium is started."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
FIXTURES = REPO / "tests" / "fixtures"
# The team's shared folder beside the repository (read only): the annotated dev photos and the scorer.
SHARED = REPO.parent / "shared"
FACES_DEV = SHARED / "data" / "faces-dev"
SCORER = SHARED / "tools" / "score_eyes.py"

# Headless Chromium as the end-to-end tests and the benchmarks run it: Debian's package unless CHROMIUM
# names another; no GPU (the page needs none), nothing running in the background that would make
# requests or take CPU from what is measured, no QUIC (the local server speaks plain HTTP).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

"""Paths and small helpers shared by the unit and end-to-end tests."""

import asyncio
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
    return asyncio.run(coroutine)

"""Shared test fixtures: paths, the real shipped detector, and the dev set (skipped when absent)."""

import json

import pytest

from support import FACES_DEV, MODELS


@pytest.fixture(scope="session")
def manifest():
    return json.loads((MODELS / "manifest.json").read_text())


@pytest.fixture(scope="session")
def detector(manifest):
    """The shipped (quantized) face detector, run natively by onnxruntime."""
    from googly_eyes.detect import DetectorSpec, FaceDetector
    from googly_eyes.inference import open_native_session

    entry = manifest["models"]["face_detector"]
    session = open_native_session(MODELS / entry["shipped"], threads=1)
    return FaceDetector(session, DetectorSpec.from_manifest(entry))


@pytest.fixture(scope="session")
def models():
    """The shipped models (detector and face mesh), run natively by onnxruntime."""
    from googly_eyes.models import load_native_models

    return load_native_models(MODELS, threads=1)


@pytest.fixture(scope="session")
def faces_dev():
    """The hand-annotated dev set beside the repo; tests using it skip where it is absent."""
    if not (FACES_DEV / "dev.json").exists():
        pytest.skip("../shared/data/faces-dev is not present")
    return json.loads((FACES_DEV / "dev.json").read_text())

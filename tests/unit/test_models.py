"""Opening the models: every file checked against models/manifest.json before a session sees it."""

import json

import pytest

from googly_eyes.inference import open_native_session
from googly_eyes.models import ModelError, checked, load_models, time_detector
from support import MODELS, run

MANIFEST = json.loads((MODELS / "manifest.json").read_text())


def test_a_model_is_used_only_if_it_is_the_file_the_manifest_pins():
    name = MANIFEST["models"]["face_detector"]["shipped"]
    data = (MODELS / name).read_bytes()
    assert checked(MANIFEST, name, data) is data
    with pytest.raises(ModelError, match=f"{name} arrived damaged"):
        checked(MANIFEST, name, data[:-1])
    with pytest.raises(ModelError, match="not in the manifest"):
        checked(MANIFEST, "other.onnx", data)


def test_the_pages_way_of_loading_checks_then_opens_every_model():
    opened, read = [], []

    async def read_file(name):
        read.append(name)
        return (MODELS / name).read_bytes()

    async def open_session(data):
        opened.append(len(data))
        return open_native_session(data, threads=1)

    models = run(load_models(MANIFEST, read_file, open_session))
    assert sorted(read) == sorted(models.files.values()) and len(opened) == 3  # detector, landmarker, blendshapes
    assert models.locator is not None
    assert len(run(time_detector(models, 2))) == 2

    async def damaged(name):
        return (MODELS / name).read_bytes()[:100]

    opened.clear()
    with pytest.raises(ModelError, match="damaged"):
        run(load_models(MANIFEST, damaged, open_session))
    assert opened == []

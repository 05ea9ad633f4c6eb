"""Opening the models: every file checked against models/manifest.json before a session sees it."""

import json

import pytest

from googly_eyes.inference import open_native_session
from googly_eyes.models import ModelError, checked, load_models, ort_threads, time_detector
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


def test_a_warm_up_step_runs_the_models_a_first_photo_needs(models, monkeypatch):
    from googly_eyes.models import WARM_UP_STEPS, warm_up_step

    runs = {}
    sessions = {"detector": models.detector.session, "landmarker": models.locator.session,
                "blendshapes": models.locator.expressions.session}
    for name, session in sessions.items():
        real = session.run
        monkeypatch.setattr(session, "run", lambda names, feeds, real=real, name=name: (
            runs.__setitem__(name, runs.get(name, 0) + 1), real(names, feeds))[1], raising=False)
    run(warm_up_step(models, 0))
    assert runs["detector"] >= 5 and runs["landmarker"] == 1 and runs["blendshapes"] == 1  # a small photo: 5+ windows
    runs.clear()
    run(warm_up_step(models, 1))
    assert runs["detector"] >= 5 and "landmarker" not in runs and "blendshapes" not in runs
    assert 8 <= WARM_UP_STEPS <= 40  # a few seconds of one core at most


@pytest.mark.parametrize("cores, isolated, asked, threads", [
    (2, True, None, 2),  # this machine: 2 measured faster than 1
    (4, True, None, 2), (6, True, None, 3), (8, True, None, 4), (32, True, None, 4),  # half, at most 4
    (8, False, None, 1), (1, True, None, 1),  # no SharedArrayBuffer, or one core
    (8, True, 1, 1), (8, True, 2, 2), (2, True, 4, 2), (8, True, 0, 4),  # ?threads=N only lowers it
])
def test_onnxruntime_web_threads_follow_the_cores(cores, isolated, asked, threads):
    assert ort_threads(cores, isolated, asked) == threads

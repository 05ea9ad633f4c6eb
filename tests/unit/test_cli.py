"""python -m googly_eyes: the core as a command-line tool, on real photos with the real models."""

import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

from PIL import Image
import pytest

from googly_eyes import cli
from googly_eyes.config import GooglySettings, settings_spec
from googly_eyes.models import load_native_models
from googly_eyes.pipeline import process_photo
from support import FIXTURES, MODELS, REPO, run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Photos with faces and without, one in a sub-folder, a damaged 'photo' and a file that is not one."""
    photos = tmp_path / "photos"
    (photos / "trip").mkdir(parents=True)
    shutil.copy(FIXTURES / "astronaut.jpg", photos)
    shutil.copy(FIXTURES / "coffee_no_face.jpg", photos)
    shutil.copy(FIXTURES / "astronaut_exif_orientation6.jpg", photos / "trip")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    (photos / "notes.txt").write_text("not a photo")
    return photos


def test_a_bad_file_among_good_ones_fails_alone_and_the_rest_are_written(folder, tmp_path, capsys):
    out = tmp_path / "out"
    status = cli.main([str(folder), "--out", str(out), "--json", "--jobs", "1"])
    err = capsys.readouterr().err

    assert status == cli.EXIT_FAILED
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "astronaut.googly.jpg", "astronaut.googly.json", "coffee_no_face.googly.jpg", "coffee_no_face.googly.json",
        "trip/astronaut_exif_orientation6.googly.jpg", "trip/astronaut_exif_orientation6.googly.json"]
    assert f"error: {folder / 'broken.jpg'} could not be decoded: the file looks damaged" in err
    assert "skipped 1 file(s) that are not photos by name" in err and "notes.txt" in err
    assert "3 photo(s) written" in err and "1 with no faces found" in err and "1 failed" in err
    painted = Image.open(out / "astronaut.googly.jpg")
    assert painted.size == Image.open(folder / "astronaut.jpg").size


def test_the_json_is_the_pages_detections_json(folder, tmp_path):
    out = tmp_path / "out"
    assert cli.main([str(folder / "astronaut.jpg"), "-o", str(out), "--json", "--style", "glossy", "--seed", "7",
                     "-j", "1", "-q"]) == cli.EXIT_OK
    settings = GooglySettings(style="glossy", seed=7)
    models = load_native_models(MODELS, 1)
    expected = run(process_photo((folder / "astronaut.jpg").read_bytes(), "astronaut.jpg", models, settings))
    written = json.loads((out / "astronaut.googly.json").read_text())
    assert written == json.loads(json.dumps(expected.detections()))
    assert len(written["images"][0]["faces"]) == 1


def test_format_and_quality_options_choose_the_file(folder, tmp_path):
    out = tmp_path / "out"
    assert cli.main([str(folder / "astronaut.jpg"), "-o", str(out), "--format", "png", "-q", "-j", "1"]) == 0
    with Image.open(out / "astronaut.googly.png") as image:
        assert image.format == "PNG"
    assert not (out / "astronaut.googly.jpg").exists()


def test_backgrounds_from_the_command_line(folder, tmp_path):
    out = tmp_path / "out"
    assert cli.main([str(folder / "astronaut.jpg"), "-o", str(out), "-q", "-j", "1", "--background", "colour",
                     "--background-colour", "#FF00FF"]) == 0
    with Image.open(out / "astronaut.googly.jpg") as image:
        assert all(abs(a - b) <= 6 for a, b in zip(image.getpixel((4, 4)), (255, 0, 255)))
    assert cli.main([str(folder / "astronaut.jpg"), "-o", str(out), "-q", "-j", "1", "--background", "remove"]) == 0
    with Image.open(out / "astronaut.googly.png") as image:  # transparent: PNG, whatever the original
        assert image.mode == "RGBA" and image.getpixel((4, 4))[3] == 0
    assert cli.main([str(folder / "astronaut.jpg"), "-o", str(tmp_path / "photo"), "-q", "-j", "1",
                     "--background", "photo", "--background-photo", str(folder / "astronaut.jpg")]) == 0


def test_every_setting_of_the_page_is_an_option():
    spec = settings_spec()
    options = {option for action in cli.parser()._actions for option in action.option_strings}
    for name in list(spec["look"]) + list(spec["output"]):
        assert "--" + name.replace("_", "-") in options


@pytest.mark.parametrize("arguments, message", [
    (["--gamma", "5"], "--gamma must be within 0.05..2.0"),
    (["--lambda-min", "0.8"], "--lambda-min must not be more than --lambda-max"),
    (["--style", "wobbly"], "invalid choice: 'wobbly'"),
    (["--quality", "0"], "--quality must be within 1..100"),
    (["--look-at", "1;2"], "expected two numbers X,Y"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--background-colour", "green"], "--background-colour must be a colour like"),
    (["--background", "photo"], "--background photo and --background-photo FILE go together"),
    (["--background-photo", "nowhere.jpg"], "--background photo and --background-photo FILE go together"),
    (["--background", "photo", "--background-photo", "nowhere.jpg"], "--background-photo nowhere.jpg: no such file"),
])
def test_a_bad_option_stops_before_any_photo_with_status_2(folder, tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as stopped:
        cli.main([str(folder), "-o", str(tmp_path / "out")] + arguments)
    assert stopped.value.code == cli.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_or_damaged_models_stop_with_status_2(folder, tmp_path, capsys):
    assert cli.main([str(folder), "-o", str(tmp_path / "out"), "--models", str(tmp_path / "nowhere")]) == cli.EXIT_USAGE
    assert "no models at" in capsys.readouterr().err

    damaged = tmp_path / "models"
    shutil.copytree(MODELS, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    shipped = damaged / manifest["models"]["face_detector"]["shipped"]
    shipped.write_bytes(shipped.read_bytes()[:1000])
    assert cli.main([str(folder), "-o", str(tmp_path / "out"), "--models", str(damaged)]) == cli.EXIT_USAGE
    assert "arrived damaged" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_nothing_to_do_is_status_2_and_a_missing_path_is_a_failure(folder, tmp_path, capsys):
    assert cli.main([str(tmp_path / "nothing.jpg"), "-o", str(tmp_path / "out")]) == cli.EXIT_USAGE
    assert "no such file or folder" in capsys.readouterr().err
    status = cli.main([str(folder / "astronaut.jpg"), str(tmp_path / "nothing.jpg"), "-o", str(tmp_path / "out"),
                       "-j", "1"])
    assert status == cli.EXIT_FAILED
    assert (tmp_path / "out" / "astronaut.googly.jpg").exists()


def test_names_never_collide_and_outputs_are_never_read_back(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.jpg", "A.png", "b.jpg"):
        (photos / name).write_bytes(b"x")
    (photos / "out").mkdir()
    (photos / "out" / "a.googly.jpg").write_bytes(b"x")  # an earlier run's output, inside the folder
    tasks, problems, skipped = cli.plan([photos, photos / "b.jpg"], photos / "out")
    assert problems == [] and skipped == []
    assert [(task.source.name, task.name) for task in tasks] == [
        ("A.png", "A.png"), ("a.jpg", "a-2.jpg"), ("b.jpg", "b.jpg"), ("b.jpg", "b-2.jpg")]


def _command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "googly_eyes", *arguments]


def test_two_jobs_give_the_same_files_as_one(folder, tmp_path):
    """The real command, in processes: --jobs 2 spreads the photos and writes byte-identical results."""
    one, two = tmp_path / "one", tmp_path / "two"
    for out, jobs in ((one, "1"), (two, "2")):
        done = subprocess.run(_command(str(folder), "-o", str(out), "--jobs", jobs), cwd=REPO,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == cli.EXIT_FAILED, done.stderr  # broken.jpg
        assert "broken.jpg" in done.stderr and "3 photo(s) written" in done.stderr
        assert done.stdout.count(" -> ") == 3  # one line per photo written (no terminal: no bar)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


def test_ctrl_c_stops_cleanly_with_status_130(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for index in range(60):
        shutil.copy(FIXTURES / "astronaut.jpg", photos / f"p{index:02d}.jpg")
    command = subprocess.Popen(
        _command(str(photos), "-o", str(out), "--jobs", "2", "-q"), cwd=REPO, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out.exists() and any(out.glob("*.googly.jpg"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(command.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    _, err = command.communicate(timeout=120)
    written = list(out.glob("*.googly.jpg"))
    assert command.returncode == cli.EXIT_CANCELLED, err
    assert 0 < len(written) < 60
    assert f"cancelled: {len(written)} of 60 photos were written" in err
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no partial file
    assert all(Image.open(p).size == (512, 512) for p in written)

"""Fast tests (no network, no browser) of scripts/build_site.py and scripts/serve.py.

They cover what can silently go wrong in the site build: a wheel Pyodide would refuse,
an unverified wheel slipping into the site, a lock file listing the wrong packages,
and a server sending headers or MIME types the browser rejects.
"""

from __future__ import annotations

import base64
import io
import hashlib
import json
import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from scripts import build_site, serve
from scripts.common import REPO

META = {
    "name": "googly_eyes",
    "version": "9.8.7",
    "description": "test package",
    "requires-python": ">=3.11",
    "dependencies": ["numpy==2.0.2", "pillow==10.2.0"],
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def installed(path: Path) -> Path:
    """A file npm ci installs from the committed package-lock.json: without it a test fails, never skips."""
    if not path.exists():
        pytest.fail(f"{path} is missing: run ./dev build (npm ci installs it from package-lock.json)")
    return path


@pytest.fixture
def package_dir(tmp_path):
    package = tmp_path / "src" / "googly_eyes"
    (package / "sub").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "__init__.py").write_text("VALUE = 42\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text("def f():\n    return 'sub'\n")
    (package / "py.typed").write_text("")
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    (package / "stray.pyc").write_bytes(b"junk")
    return package


# ---------------------------------------------------------------- our wheel


def test_wheel_contents_and_record(package_dir):
    name, data = build_site.build_wheel(package_dir, META)
    assert name == "googly_eyes-9.8.7-py3-none-any.whl"
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = wheel.namelist()
        assert sorted(names[:-3]) == names[:-3]
        assert set(names) == {
            "googly_eyes/__init__.py",
            "googly_eyes/py.typed",
            "googly_eyes/sub/__init__.py",
            "googly_eyes/sub/mod.py",
            "googly_eyes-9.8.7.dist-info/METADATA",
            "googly_eyes-9.8.7.dist-info/WHEEL",
            "googly_eyes-9.8.7.dist-info/RECORD",
        }
        metadata = wheel.read("googly_eyes-9.8.7.dist-info/METADATA").decode()
        assert "Name: googly_eyes\n" in metadata and "Version: 9.8.7\n" in metadata
        assert "Requires-Dist: numpy==2.0.2\n" in metadata
        assert "Requires-Dist: pillow==10.2.0\n" in metadata
        wheel_text = wheel.read("googly_eyes-9.8.7.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: true\n" in wheel_text and "Tag: py3-none-any\n" in wheel_text

        rows = wheel.read("googly_eyes-9.8.7.dist-info/RECORD").decode().splitlines()
        recorded = {row.split(",")[0]: row.split(",")[1:] for row in rows}
        assert set(recorded) == set(names)
        assert recorded["googly_eyes-9.8.7.dist-info/RECORD"] == ["", ""]
        for member, (digest, size) in recorded.items():
            if member.endswith("RECORD"):
                continue
            content = wheel.read(member)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(content)


def test_wheel_is_reproducible(package_dir):
    first = build_site.build_wheel(package_dir, META)
    (package_dir / "__init__.py").touch()  # a new mtime must not change the bytes
    second = build_site.build_wheel(package_dir, META)
    assert first == second
    (package_dir / "__init__.py").write_text("VALUE = 43\n")
    assert build_site.build_wheel(package_dir, META)[1] != first[1]


def test_wheel_installs_and_imports(package_dir, tmp_path):
    name, data = build_site.build_wheel(package_dir, META)
    wheel = tmp_path / name
    wheel.write_bytes(data)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True,
    )
    code = "import googly_eyes, googly_eyes.sub.mod as m; print(googly_eyes.VALUE, m.f())"
    output = subprocess.run([sys.executable, "-c", code], cwd=target, check=True,
                            capture_output=True, text=True).stdout
    assert output.split() == ["42", "sub"]


def test_wheel_needs_a_package(tmp_path):
    with pytest.raises(build_site.BuildError, match="__init__.py"):
        build_site.build_wheel(tmp_path, META)


# ---------------------------------------------------------------- wheel sources


GOOD = b"the real wheel"
FILE = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"


def failing_source(label, reason):
    def fetch(file_name):
        raise build_site.SourceFailed(reason)

    return label, fetch


def serving_source(label, data, calls=None):
    def fetch(file_name):
        if calls is not None:
            calls.append(label)
        return data

    return label, fetch


def test_resolver_rejects_bad_hashes_and_reports_each_source(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE).write_bytes(b"corrupted")
    sources = [
        build_site.cache_source(cache),
        failing_source("cdn test", "unreachable (no network)"),
        serving_source("pypi test", b"another wrong file"),
    ]
    with pytest.raises(build_site.BuildError) as error:
        build_site.resolve_wheel(FILE, sha(GOOD), cache, sources)
    message = str(error.value)
    assert FILE in message
    assert f"cache {cache}: hash mismatch, expected {sha(GOOD)} got {sha(b'corrupted')}" in message
    assert "cdn test: unreachable (no network)" in message
    assert f"pypi test: hash mismatch, expected {sha(GOOD)} got {sha(b'another wrong file')}" in message
    assert (cache / FILE).read_bytes() == b"corrupted"  # nothing unverified was written


def test_resolver_replaces_a_corrupted_cache_file(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE).write_bytes(b"corrupted")
    sources = [build_site.cache_source(cache), failing_source("cdn test", "unreachable"),
               serving_source("pypi test", GOOD)]
    assert build_site.resolve_wheel(FILE, sha(GOOD), cache, sources) == GOOD
    assert (cache / FILE).read_bytes() == GOOD


def test_resolver_uses_the_cache_first(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE).write_bytes(GOOD)
    calls = []
    sources = [build_site.cache_source(cache), serving_source("cdn test", GOOD, calls)]
    assert build_site.resolve_wheel(FILE, sha(GOOD), cache, sources) == GOOD
    assert calls == []


def test_missing_cache_file_is_reported_as_not_found(tmp_path):
    sources = [build_site.cache_source(tmp_path / "empty")]
    with pytest.raises(build_site.BuildError, match="not found"):
        build_site.resolve_wheel(FILE, sha(GOOD), tmp_path / "empty", sources)


def test_cdn_source_fails_fast_when_unreachable(tmp_path):
    label, fetch = build_site.cdn_source("http://127.0.0.1:9/", timeout=1)  # discard port
    with pytest.raises(build_site.SourceFailed, match="unreachable"):
        fetch(FILE)
    with pytest.raises(build_site.SourceFailed, match="not retried"):
        fetch("pillow.whl")


def test_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLY_WHEEL_CACHE", str(tmp_path / "elsewhere"))
    assert build_site.default_cache_dir(REPO) == tmp_path / "elsewhere"
    monkeypatch.delenv("GOOGLY_WHEEL_CACHE")
    assert build_site.default_cache_dir(REPO) == REPO / ".cache" / "wheels"


# ---------------------------------------------------------------- node_modules pins


def test_pin_mismatch_names_file_hashes_and_fix(tmp_path):
    node_modules = tmp_path / "node_modules"
    dist = node_modules / "@pyscript" / "core" / "dist"
    dist.mkdir(parents=True)
    (dist / "core.js").write_text("tampered")
    (dist / "core.js.map").write_text("maps are not shipped")
    pins = {"@pyscript/core/dist/core.js": sha(b"original"), "pyodide/pyodide.mjs": "0" * 64}
    with pytest.raises(build_site.BuildError) as error:
        build_site.check_pins(node_modules, pins)
    message = str(error.value)
    assert f"expected {sha(b'original')} got {sha(b'tampered')}" in message
    assert str(dist / "core.js") in message
    assert f"pyodide/pyodide.mjs: missing (looked for {node_modules / 'pyodide/pyodide.mjs'})" in message
    assert "npm ci" in message
    assert "core.js.map" not in message


@pytest.mark.npm
def test_pins_cover_every_shipped_node_modules_file():
    pins = json.loads((REPO / "scripts" / "vendor_pins.json").read_text())["files"]
    assert "pyodide/pyodide-lock.json" in pins
    assert "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm" in pins
    assert "@pyscript/core/dist/core.js" in pins
    assert not [source for source in pins if source.endswith(".map")]
    installed(REPO / "node_modules" / "@pyscript")
    assert sorted(pins) == sorted(build_site.vendor_sources(REPO / "node_modules"))


# ---------------------------------------------------------------- pyodide-lock.json


def fake_lock(tmp_path) -> Path:
    def entry(name, depends=(), **extra):
        return {"name": name, "version": "1", "file_name": f"{name}.whl", "install_dir": "site",
                "sha256": sha(name.encode()), "package_type": "package", "imports": [name],
                "depends": list(depends), "unvendored_tests": False, **extra}

    lock = {
        "info": {"abi_version": "2024_0", "arch": "wasm32", "platform": "emscripten_3_1_58",
                 "python": "3.12.7", "version": "0.27.7"},
        "packages": {
            "numpy": entry("numpy", unvendored_tests=True),
            "pillow": entry("Pillow"),
            "micropip": entry("micropip", ["packaging"]),
            "packaging": entry("packaging"),
        },
    }
    path = tmp_path / "pyodide-lock.json"
    path.write_text(json.dumps(lock))
    return path


def write_wheel(package_dir, folder, meta=META) -> Path:
    name, data = build_site.build_wheel(package_dir, meta)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_lock_rewrite_keeps_only_shipped_packages(package_dir, tmp_path):
    original = json.loads(fake_lock(tmp_path).read_text())
    lock = build_site.read_lock(fake_lock(tmp_path))
    wheel = write_wheel(package_dir, tmp_path / "site")
    result = build_site.site_lock(lock, wheel)
    result.to_json(tmp_path / "out.json", indent=1)
    written = json.loads((tmp_path / "out.json").read_text())
    assert written["info"] == original["info"]
    assert sorted(written["packages"]) == ["googly-eyes", "numpy", "pillow"]
    assert written["packages"]["numpy"] == original["packages"]["numpy"]
    assert written["packages"]["pillow"] == original["packages"]["pillow"]
    ours = written["packages"]["googly-eyes"]
    assert set(ours) == set(original["packages"]["numpy"])  # same field set as Pyodide's entries
    assert ours["name"] == "googly-eyes" and ours["version"] == "9.8.7"
    assert ours["file_name"] == "googly_eyes-9.8.7-py3-none-any.whl"  # next to the lock, like numpy's
    assert ours["sha256"] == sha(wheel.read_bytes())
    assert ours["depends"] == ["numpy", "pillow"] and ours["imports"] == ["googly_eyes"]
    assert ours["install_dir"] == "site" and ours["package_type"] == "package"


def test_lock_rewrite_follows_depends(package_dir, tmp_path):
    path = fake_lock(tmp_path)
    raw = json.loads(path.read_text())
    raw["packages"]["numpy"]["depends"] = ["micropip"]
    path.write_text(json.dumps(raw))
    result = build_site.site_lock(build_site.read_lock(path), write_wheel(package_dir, tmp_path / "site"))
    assert sorted(result.packages) == ["googly-eyes", "micropip", "numpy", "packaging", "pillow"]


def test_a_dependency_the_site_does_not_ship_fails_the_build(package_dir, tmp_path):
    meta = {**META, "dependencies": ["numpy==2.0.2", "scipy>=1"]}
    wheel = write_wheel(package_dir, tmp_path / "site", meta)
    with pytest.raises(build_site.BuildError, match="googly_eyes-9.8.7-py3-none-any.whl.*scipy"):
        build_site.site_lock(build_site.read_lock(fake_lock(tmp_path)), wheel)


def test_a_wheel_without_python_sources_is_refused(package_dir, tmp_path):
    # why site_lock() runs before compile_python(): imports are found from the .py files
    wheel = write_wheel(package_dir, tmp_path / "site")
    with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as archive, \
            zipfile.ZipFile(wheel, "w") as compiled:
        for info in archive.infolist():
            name = info.filename[:-3] + ".pyc" if info.filename.endswith(".py") else info.filename
            compiled.writestr(name, archive.read(info))
    with pytest.raises(build_site.BuildError, match="imports"):
        build_site.site_lock(build_site.read_lock(fake_lock(tmp_path)), wheel)


@pytest.mark.parametrize("damage", ["unknown field", "no platform", "not json"])
def test_a_lock_pyodide_lock_cannot_read_fails_the_build(tmp_path, damage):
    path = fake_lock(tmp_path)
    raw = json.loads(path.read_text())
    if damage == "unknown field":
        raw["packages"]["numpy"]["shared_objects"] = []
    elif damage == "no platform":
        del raw["info"]["platform"]
    path.write_text(json.dumps(raw) if damage != "not json" else "{")
    with pytest.raises(build_site.BuildError, match="pyodide-lock.json is not a lock file pyodide-lock can read"):
        build_site.read_lock(path)


def test_site_lock_carries_the_compiled_wheels_sha256_and_leaves_pyodides_alone(package_dir, tmp_path):
    lock = build_site.read_lock(fake_lock(tmp_path))
    folder = tmp_path / "site"
    result = build_site.site_lock(lock, write_wheel(package_dir, folder))
    for entry in result.packages.values():  # stand-ins for the compiled wheels
        (folder / entry.file_name).write_bytes(b"compiled " + entry.name.encode())
    build_site.record_compiled_sha256(result, folder)
    assert {key: entry.sha256 for key, entry in result.packages.items()} == {
        "googly-eyes": sha(b"compiled googly-eyes"), "numpy": sha(b"compiled numpy"),
        "pillow": sha(b"compiled Pillow")}
    assert lock.packages["numpy"].sha256 == sha(b"numpy")  # the originals are still checked against this


def test_pyodide_wheels_are_checked_against_pyodides_lock(tmp_path):
    lock = build_site.read_lock(fake_lock(tmp_path))
    served = {"numpy.whl": b"numpy", "Pillow.whl": b"Pillow", "micropip.whl": b"never asked for"}
    asked = []

    def fetch(file_name):
        asked.append(file_name)
        return served[file_name]

    wheels = build_site.fetch_pyodide_wheels(lock, tmp_path / "cache", [("test", fetch)])
    assert wheels == {"numpy.whl": b"numpy", "Pillow.whl": b"Pillow"} and sorted(asked) == ["Pillow.whl", "numpy.whl"]
    served["numpy.whl"] = b"tampered"
    (tmp_path / "cache" / "numpy.whl").unlink()
    with pytest.raises(build_site.BuildError, match=f"numpy.whl with sha256 {sha(b'numpy')}"):
        build_site.fetch_pyodide_wheels(lock, tmp_path / "cache", [("test", fetch)])


@pytest.mark.npm
def test_real_lock_ships_numpy_pillow_and_what_pyscript_toml_loads(package_dir, tmp_path):
    lock = build_site.read_lock(installed(REPO / "node_modules" / "pyodide" / "pyodide-lock.json"))
    result = build_site.site_lock(lock, write_wheel(package_dir, tmp_path / "site"))
    assert sorted(result.packages) == ["googly-eyes", "numpy", "pillow"]
    assert result.info == lock.info
    assert result.packages["numpy"].sha256 == lock.packages["numpy"].sha256
    assert result.packages["pillow"].sha256 == lock.packages["pillow"].sha256
    # Pyodide's loadPackage canonicalizes each name (canonicalizePackageName) and looks that key up
    packages = tomllib.loads((REPO / "web" / "pyscript.toml").read_text())["packages"]
    assert sorted(re.sub(r"[-_.]+", "-", name).lower() for name in packages) == sorted(result.packages)


# ---------------------------------------------------------------- models


def test_models_are_verified_against_the_manifest(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "face.onnx").write_bytes(b"onnx bytes")
    (models / "LICENSE-face.txt").write_text("licence")
    (models / "notes.txt").write_text("not shipped")
    manifest = {"models": {"face_detector": {"shipped": "face.onnx",
                                             "files": {"face.onnx": {"sha256": sha(b"onnx bytes")}}}}}
    (models / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    assert build_site.copy_models(models, out) == ["manifest.json", "face.onnx", "LICENSE-face.txt"]
    assert (out / "models" / "face.onnx").read_bytes() == b"onnx bytes"
    assert not (out / "models" / "notes.txt").exists()

    (models / "face.onnx").write_bytes(b"changed")
    with pytest.raises(build_site.BuildError, match="face.onnx: sha256 mismatch"):
        build_site.copy_models(models, tmp_path / "out2")


def test_missing_manifest_fails_the_build(tmp_path):
    with pytest.raises(build_site.BuildError, match="manifest.json not found"):
        build_site.copy_models(tmp_path, tmp_path / "out")


def test_manifest_must_ship_one_of_its_files(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"models": {"face_detector": {"shipped": "other.onnx", "files": {"face.onnx": {"sha256": "00"}}}}}))
    with pytest.raises(build_site.BuildError, match="ships 'other.onnx'"):
        build_site.copy_models(tmp_path, tmp_path / "out")


def test_out_dir_may_not_hold_sources(tmp_path):
    with pytest.raises(build_site.BuildError, match="refusing"):
        build_site.reset_out_dir(REPO, REPO)
    with pytest.raises(build_site.BuildError, match="refusing"):
        build_site.reset_out_dir(REPO / "web" / "site", REPO)
    build_site.reset_out_dir(tmp_path / "site", REPO)
    assert (tmp_path / "site").is_dir()


# ---------------------------------------------------------------- serve.py


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("served") / "site"
    (root / "vendor").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>googly</title>")
    (root / "vendor" / "x.wasm").write_bytes(b"\0asm")
    (root / "vendor" / "x.mjs").write_text("export default 1;")
    (root / "main.py").write_text("print('hi')")
    (root / "pyscript.toml").write_text("name = 'x'")
    return root


@pytest.fixture(scope="module")
def prefixed_server(site):
    server, url = serve.start_server(site, "127.0.0.1", 0, "/googly-eyes/")
    yield url
    server.shutdown()
    server.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_serves_under_prefix_with_isolation_headers(prefixed_server):
    assert prefixed_server.startswith("http://127.0.0.1:") and prefixed_server.endswith("/googly-eyes/")
    status, headers, body = get(prefixed_server)
    assert status == 200 and b"googly" in body
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path, mime", [
    ("vendor/x.wasm", "application/wasm"),
    ("vendor/x.mjs", "text/javascript"),
    ("main.py", "text/plain"),
    ("pyscript.toml", "text/plain"),
])
def test_mime_types(prefixed_server, path, mime):
    status, headers, _ = get(prefixed_server + path)
    assert status == 200
    assert headers.get_content_type() == mime
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"


def test_outside_prefix_is_404(prefixed_server):
    root = prefixed_server[: -len("googly-eyes/")]
    assert get(root + "index.html")[0] == 404
    assert get(prefixed_server + "missing.js")[0] == 404


def test_prefix_without_slash_redirects(prefixed_server):
    status, headers, body = get(prefixed_server.rstrip("/"))  # urllib follows the redirect
    assert status == 200 and b"googly" in body


def test_command_line_prints_the_url(site):
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.serve", "--port", "0", "--dir", str(site),
         "--prefix", "/googly-eyes/"],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        line = process.stdout.readline().strip()
        prefix = "Serving googly-eyes at "
        assert line.startswith(prefix + "http://127.0.0.1:") and line.endswith("/googly-eyes/")
        status, headers, _ = get(line[len(prefix):] + "vendor/x.wasm")
        assert status == 200 and headers.get_content_type() == "application/wasm"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_without_isolation_headers_like_github_pages(site):
    server, url = serve.start_server(site, "127.0.0.1", 0, "/", isolation_headers=False)
    try:
        status, headers, _ = get(url)
        assert status == 200 and headers["Cache-Control"] == "no-cache"
        for name in ("Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy",
                     "Cross-Origin-Resource-Policy"):
            assert name not in headers
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- service worker stamp and icons


def site_with_worker(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html>")
    (root / "app.css").write_text("body {}")
    (root / "sw.js").write_text((REPO / "web" / "sw.js").read_text())
    return root


def test_build_info_lists_files_and_stamps_the_worker(tmp_path):
    root = site_with_worker(tmp_path / "site")
    info = build_site.write_build_info(root, "1.2.3", {"pyodide": "0.27.7"})
    worker = (root / "sw.js").read_text()
    assert build_site.CACHE_VERSION_PLACEHOLDER not in worker
    assert f"const CACHE_VERSION = '{info['cache_version']}';" in worker
    assert info["files"]["sw.js"] == sha(worker.encode())
    assert info["files"]["app.css"] == sha(b"body {}") and "build-info.json" not in info["files"]
    assert json.loads((root / "build-info.json").read_text()) == info


def test_cache_version_changes_with_any_file_and_only_then(tmp_path):
    first = build_site.write_build_info(site_with_worker(tmp_path / "a"), "1", {})
    same = build_site.write_build_info(site_with_worker(tmp_path / "b"), "1", {})
    changed_root = site_with_worker(tmp_path / "c")
    (changed_root / "app.css").write_text("body { color: red }")
    changed = build_site.write_build_info(changed_root, "1", {})
    assert first["cache_version"] == same["cache_version"] != changed["cache_version"]
    assert first["files"]["sw.js"] != changed["files"]["sw.js"]  # the browser sees an update


def test_worker_without_placeholder_fails_the_build(tmp_path):
    root = site_with_worker(tmp_path / "site")
    (root / "sw.js").write_text("const CACHE_VERSION = 'fixed';")
    with pytest.raises(build_site.BuildError, match="__GOOGLY_CACHE_VERSION__"):
        build_site.write_build_info(root, "1", {})


def test_icons_are_drawn_at_the_manifest_sizes(tmp_path):
    from PIL import Image

    manifest = json.loads((REPO / "web" / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "./" and manifest["scope"] == "./"
    paths = build_site.draw_icons(tmp_path / "icons")
    pngs = [icon for icon in manifest["icons"] if icon["type"] == "image/png"]
    assert sorted(p.name for p in paths) == sorted(Path(icon["src"]).name for icon in pngs)
    for path in paths:
        image = Image.open(path)
        size = int(path.stem.split("-")[1])
        assert image.size == (size, size)
        # the pupil of the right-hand eye (favicon.svg: circle at 41, 24) is dark, the disc white
        assert max(image.getpixel((41 * size // 64, 24 * size // 64))[:3]) < 40
        assert min(image.getpixel((50 * size // 64, 38 * size // 64))[:3]) > 230


def test_benchmark_models_and_unused_widgets_are_online_only(tmp_path):
    root = site_with_worker(tmp_path / "site")
    for name in ("models/face_detector.fp32.onnx", "models/face_detector.int8.onnx",
                 "vendor/pyscript/xterm-AB12.js", "vendor/pyscript/core-CD34.js"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(name.encode())
    info = build_site.write_build_info(root, "1", {})
    assert info["online_only"] == ["models/face_detector.fp32.onnx", "vendor/pyscript/xterm-AB12.js"]
    assert set(info["online_only"]) <= set(info["files"])  # still on the site, and still versioned


# ---------------------------------------------------------------- bytecode and the Python snapshot key

PYODIDE_NPM = REPO / "node_modules" / "pyodide"
PYTHON_312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"  # Pyodide 0.27 is Python 3.12


@pytest.mark.npm
def test_wheels_are_compiled_to_deterministic_sourceless_bytecode(package_dir, tmp_path):
    installed(PYODIDE_NPM / "pyodide.mjs")
    name, data = build_site.build_wheel(package_dir, META)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as wheel:
        wheel.writestr("googly_eyes/stubs.pyi", "x: int\n")  # for checking types only: left out
    data = buffer.getvalue()
    outputs = []
    for run in ("a", "b"):
        path = tmp_path / run / name
        path.parent.mkdir()
        path.write_bytes(data)
        summary = build_site.compile_python(PYODIDE_NPM, path, build_site.SITE_PACKAGES_PREFIX)
        assert "3 modules compiled by Python 3.12" in summary and "1 files left out" in summary
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]  # the same on every build: the cache version stays put
    with zipfile.ZipFile(io.BytesIO(outputs[0])) as wheel:
        names = wheel.namelist()
        assert "googly_eyes/sub/mod.pyc" in names and not [n for n in names if n.endswith((".py", ".pyi"))]
        pyc = wheel.read("googly_eyes/sub/mod.pyc")
        assert pyc[:4] == PYTHON_312_MAGIC and pyc[4:16] == bytes(12)
        assert any(n.endswith(".dist-info/METADATA") for n in names)  # everything else as it was


@pytest.mark.npm
def test_a_bad_archive_fails_the_build_with_its_name(tmp_path):
    installed(PYODIDE_NPM / "pyodide.mjs")  # without it the build fails too, for another reason
    broken = tmp_path / "numpy-0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(build_site.BuildError, match="numpy-0-py3-none-any.whl"):
        build_site.compile_python(PYODIDE_NPM, broken, build_site.SITE_PACKAGES_PREFIX)


def test_snapshot_key_follows_the_files_a_snapshot_depends_on(tmp_path):
    for name in build_site.SNAPSHOT_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    boot = (REPO / "web" / "pyodide-boot.mjs").read_text()
    (tmp_path / "pyodide-boot.mjs").write_text(boot)
    first = build_site.stamp_snapshot_key(tmp_path)
    assert first in (tmp_path / "pyodide-boot.mjs").read_text()
    (tmp_path / "pyodide-boot.mjs").write_text(boot)
    (tmp_path / "vendor/pyodide/python_stdlib.zip").write_text("another standard library")
    assert build_site.stamp_snapshot_key(tmp_path) != first
    with pytest.raises(build_site.BuildError, match="__GOOGLY_PYTHON_SNAPSHOT_KEY__"):
        build_site.stamp_snapshot_key(tmp_path)  # already stamped: no placeholder left


def test_preload_hints_go_into_the_template_and_name_only_shipped_files(tmp_path):
    (tmp_path / "index.html").write_text((REPO / "web" / "index.html").read_text())
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "a.wasm").write_bytes(b"\0asm")
    build_site.add_preload_hints(tmp_path, ["vendor/a.wasm"])
    html = (tmp_path / "index.html").read_text()
    template = html[html.index('<template id="preload-hints">'):html.index("</template>")]
    assert '<link rel="preload" href="./vendor/a.wasm" as="fetch" crossorigin fetchpriority="low">' in template
    assert html.count('<link rel="preload" href=') == 1  # only in the template: app.js adds them when the page works
    with pytest.raises(build_site.BuildError, match="vendor/gone.whl"):
        build_site.add_preload_hints(tmp_path, ["vendor/gone.whl"])
    (tmp_path / "index.html").write_text("<!doctype html><title>no placeholder</title>")
    with pytest.raises(build_site.BuildError, match="googly:preload"):
        build_site.add_preload_hints(tmp_path, ["vendor/a.wasm"])


def test_every_model_is_loaded_at_boot_or_later_and_only_boot_models_are_preloaded():
    import json
    from googly_eyes.models import ROLES
    from support import MODELS
    assert set(build_site.BOOT_MODELS) == set(ROLES)
    manifest = json.loads((MODELS / "manifest.json").read_text())
    assert set(manifest["models"]) == set(build_site.BOOT_MODELS) | set(build_site.LATER_MODELS)


# The command line (python -m googly_eyes) runs in CPython only; the page never imports it.
CPYTHON_ONLY = {"cli.py", "__main__.py"}


def test_the_apps_own_imports_are_not_left_out_of_the_site():
    import ast
    left_out = [name for names in build_site.NEVER_IMPORTED.values() for name in names]
    sources = [path for path in (REPO / "py" / "googly_eyes").glob("*.py") if path.name not in CPYTHON_ONLY]
    sources += list((REPO / "web").glob("*.py"))
    assert len(sources) > 20
    imported = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    assert "numpy" in imported and "PIL" in imported
    clashes = sorted(name for name in imported for gone in left_out if name == gone or name.startswith(gone + "."))
    assert clashes == []


def test_left_out_modules_match_their_own_files_only():
    paths = build_site.module_paths("uu")
    assert not any("uuid.py".startswith(path) for path in paths)  # uu is left out, uuid kept
    assert build_site.module_paths("numpy.fft") == ["numpy/fft.py", "numpy/fft/", "numpy/fft.cpython-"]
    assert any("PIL/_imagingft.cpython-312-wasm32-emscripten.so".startswith(path)
               for path in build_site.module_paths("PIL._imagingft"))

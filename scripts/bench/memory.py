"""Where the page's memory goes during the benchmark's batch (issue 15 MH5), phase by phase:

    .venv/bin/python -m scripts.bench.memory [--site build/site] [--query '?x=y'] [--quick]

The same photos and steps as scripts.bench.benchmark's batch (72 faces-dev photos and 6 upscales of 12 MP
dropped at once on a ready page, then the full-resolution downloads of the 12 MP ones and of 4 others), in a
fresh browser context. For each phase it prints the peak resident memory of the page's renderer process
(sampled from /proc every 200 ms: the page, the Python worker with Pyodide's wasm memory, onnxruntime-web's
threads) and, at the phase's end, what the Python worker reports (window.googlyMemory(): Pyodide's wasm
memory, which only grows, and the bytes malloc has handed out and not had back). Build the site first
(`./dev build`); it serves the folder as it is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import shutil
import tempfile
import time

from scripts.bench.benchmark import make_photos
from scripts.bench.browser import DROP_URLS, PHOTO_TIMEOUT_MS, MemorySampler, serve, wait_ready
from scripts.bench.report import log
from scripts.common import CHROMIUM, CHROMIUM_ARGS, REPO

MB = 1e6


def python_memory(page) -> dict:
    return page.evaluate("window.googlyMemory().then(answer => ({wasm: answer.wasm_bytes, malloc: answer.malloc_bytes}))")


def phase(name: str, rows: list, page, action) -> None:
    with MemorySampler() as sampler:
        began = time.perf_counter()
        action()
        seconds = time.perf_counter() - began
    python = python_memory(page)
    rows.append({"phase": name, "seconds": seconds, "renderer_peak": sampler.peak_renderer,
                 "all_peak": sampler.peak_all, **python})
    log(f"  {name:10s} {seconds:6.1f} s  renderer peak {sampler.peak_renderer / MB:6.0f} MB  "
        f"all {sampler.peak_all / MB:6.0f} MB  | Python wasm {python['wasm'] / MB:5.0f} MB, malloc {python['malloc'] / MB:5.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site")
    parser.add_argument("--query", default="", help="appended to the page's URL")
    parser.add_argument("--quick", action="store_true", help="the benchmark's --quick photos (14 + 2 of 12 MP)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--verbose", action="store_true", help="the renderer's memory after each download")
    parser.add_argument("--no-service-worker", action="store_true",
                        help="no service worker (Playwright blocks it): no offline precache during the run")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="hide Cache Storage from the page, so it makes no Python snapshot for the next boot "
                             "(engine.js prepareNextBoot; to see what making one costs)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="googly-memory-") as temp:
        work = Path(temp)
        site = work / "site"
        shutil.copytree(args.site, site)
        dev, big, _ = make_photos(work, args.quick)
        photos = dev + big
        (site / "_bench").mkdir()
        (site / "_bench" / "photos").symlink_to(work / "photos")
        export_names = [p.name for p in big] + [p.name for p in dev[:: max(1, len(dev) // 4)][:4]]
        server, url = serve(site)
        rows = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context(accept_downloads=True,
                                              service_workers="block" if args.no_service_worker else "allow")
                if args.no_snapshot:
                    context.add_init_script("delete Window.prototype.caches; delete window.caches;")
                page = context.new_page()
                log(f"{len(dev)} photos + {len(big)} of 12 MP; {len(export_names)} downloads")
                phase("boot", rows, page, lambda: (page.goto(url + args.query), wait_ready(page), time.sleep(4)))

                def batch():
                    page.evaluate(DROP_URLS, [p.name for p in photos])
                    page.wait_for_function(f"window.googly.results.length >= {len(photos)}",
                                           timeout=PHOTO_TIMEOUT_MS * len(photos))
                phase("batch", rows, page, batch)

                def downloads():
                    for index, name in enumerate(export_names):
                        button = page.locator("#results .result").filter(
                            has=page.get_by_text(name, exact=True)).locator(".download-image")
                        with page.expect_download(timeout=PHOTO_TIMEOUT_MS):
                            button.click()
                        page.wait_for_function(f"window.googly.exports.length >= {index + 1}", timeout=PHOTO_TIMEOUT_MS)
                        if args.verbose:
                            now = max((rss for renderer, rss in MemorySampler.processes() if renderer), default=0)
                            log(f"    after {name}: renderer {now / MB:.0f} MB, snapshot made: "
                                f"{page.evaluate('window.googly.snapshot !== null')}")
                phase("downloads", rows, page, downloads)
                phase("idle 10 s", rows, page, lambda: time.sleep(10))
                context.close()
                browser.close()
        finally:
            server.shutdown()
    peak = max(row["renderer_peak"] for row in rows)
    log(f"renderer peak over the run: {peak / MB:.0f} MB (target <= 600)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

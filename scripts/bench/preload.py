#!/usr/bin/env python3
"""Cold boots on a slow connection, with and without the page's preload hints, side by side.

    .venv/bin/python -m scripts.bench.preload [--mbps 20] [--latency-ms 30] [--repeats 3]

On localhost every file arrives at once, so preload hints cannot show there (scripts/bench/benchmark.py).
This serves the built site (build/site: run ./dev build first) twice through one simulated link
(all connections share --mbps; each response waits --latency-ms first): as built, and a copy with
the <link rel="preload"> lines taken out of index.html. Each cold boot is a new browser profile;
the variants alternate. Prints drop zone ready, Python ready and first result (a photo dropped as
soon as the drop zone works), min and median, in ms after navigation.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
from pathlib import Path
import shutil
import statistics
import sys
import tempfile
import threading
import time

from scripts.bench.browser import DROP_EARLY_SCRIPT, WATCH_SCRIPT, boot_once
from scripts.common import CHROMIUM, CHROMIUM_ARGS, FACES_DEV, FIXTURES, REPO
from scripts.serve import start_server


class Link:
    """One shared connection of `mbps`: responses are written in chunks, each when the link is free."""

    def __init__(self, mbps: float, latency_ms: float):
        self.rate = mbps * 1e6 / 8
        self.latency = latency_ms / 1000
        self.lock = threading.Lock()
        self.free_at = time.monotonic()

    def copyfile(self, source, output):
        time.sleep(self.latency)
        while chunk := source.read(32768):
            with self.lock:
                self.free_at = max(self.free_at, time.monotonic()) + len(chunk) / self.rate
                wait = self.free_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            output.write(chunk)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mbps", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    link = Link(args.mbps, args.latency_ms)
    http.server.SimpleHTTPRequestHandler.copyfile = lambda handler, source, output: link.copyfile(source, output)
    photo = FACES_DEV / "images" / "afw_4285163979.jpg"
    if not photo.exists():
        photo = FIXTURES / "astronaut.jpg"
    early = DROP_EARLY_SCRIPT % (json.dumps(photo.name), json.dumps(base64.b64encode(photo.read_bytes()).decode()))
    with tempfile.TemporaryDirectory(prefix="googly-preload-") as work:
        without = Path(work) / "site"
        shutil.copytree(args.site, without)
        index = without / "index.html"
        index.write_text("".join(line for line in index.read_text().splitlines(keepends=True)
                                 if '<link rel="preload"' not in line))
        variants = {"with preload hints": start_server(args.site), "without": start_server(without)}
        rows = {name: [] for name in variants}
        with sync_playwright() as playwright:
            for repeat in range(args.repeats):
                for name, (_, url) in variants.items():
                    profile = tempfile.mkdtemp(dir=work)
                    context = playwright.chromium.launch_persistent_context(
                        profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                    context.add_init_script(WATCH_SCRIPT)
                    context.add_init_script(early)
                    boot = boot_once(context, url)
                    context.close()
                    rows[name].append(boot)
                    print(f"{repeat + 1}/{args.repeats} {name}: drop zone {boot['dropReady']:.0f}, ready "
                          f"{boot['readyAt']:.0f}, first result {boot['firstResult']:.0f} ms", flush=True)
        for server, _ in variants.values():
            server.shutdown()
    print(f"\n{args.mbps:g} Mbit/s, {args.latency_ms:g} ms per response; min / median ms after navigation")
    for name, boots in rows.items():
        cells = []
        for key in ("dropReady", "readyAt", "firstResult"):
            values = [boot[key] for boot in boots]
            cells.append(f"{key} {min(values):.0f} / {statistics.median(values):.0f}")
        print(f"  {name:20} " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())

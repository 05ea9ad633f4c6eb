"""Where a model run's time goes in the page (issue 15: detect is ~3-4x native in the page, the detector alone
~10x), beside the same run natively:

  - the face detector alone on one 640 x 480 input, --runs times: in the page each run split into making the
    input tensors from numpy, onnxruntime-web's own run (timed in JavaScript where its promise resolves),
    the wait until Python resumes after that, and reading the outputs back (web/ort_web.py `profile`);
  - one whole analysis of a dev photo (decode, detect, locate, expressions): the sum of those parts over every
    model run, against the pipeline's own stage times, so what Python does between runs shows too.

    .venv/bin/python -m scripts.bench.profile [--runs 40] [--photo FILE] [--threads 1|2] [--site build/site]

Prints min / median per part. Shared, noisy machine: compare the columns of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from pathlib import Path
import statistics

from scripts.bench.browser import serve, wait_ready
from scripts.common import CHROMIUM, CHROMIUM_ARGS, FACES_DEV, MODELS, REPO

PARTS = ("tensors", "run", "resume", "read")


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:28} -"
    return f"  {label:28} min {min(values):7.2f}  median {statistics.median(values):7.2f}  total {sum(values):8.1f}"


def native(runs: int, photo: Path, threads: int) -> dict:
    import time

    from googly_eyes.models import load_native_models, time_detector
    from googly_eyes.pipeline import analyse_photo

    models = load_native_models(MODELS, threads=threads)
    times = asyncio.run(time_detector(models, runs + 3))[3:]
    start = time.perf_counter()
    analysis = asyncio.run(analyse_photo(photo.read_bytes(), photo.name, models))
    return {"times": times, "total": (time.perf_counter() - start) * 1000, "timings": analysis.timings_ms}


def page(url: str, runs: int, photo: Path, threads: int) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        tab = browser.new_page()
        tab.goto(f"{url}?threads={threads}")
        wait_ready(tab)
        data = base64.b64encode(photo.read_bytes()).decode()
        tab.evaluate("(data) => window.googlyProfile(3, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)))", data)  # warm
        found = tab.evaluate("(args) => window.googlyProfile(args[0], Uint8Array.from(atob(args[1]), (c) => c.charCodeAt(0)))",
                             [runs + 3, data])
        found["threads"] = tab.evaluate("window.googly.info.threads")
        browser.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--photo", type=Path, default=FACES_DEV / "images" / "afw_5002723411.jpg")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site")
    args = parser.parse_args()
    server, url = serve(args.site)
    try:
        measured = page(url, args.runs, args.photo, args.threads)
    finally:
        server.shutdown()
    here = native(args.runs, args.photo, args.threads)
    split = measured["split"][3:]
    print(f"the face detector alone, 640 x 480, {args.runs} runs (page: {measured['threads']} thread(s)); ms per run")
    print(line("native onnxruntime", here["times"]))
    print(line("page, the whole call", measured["times"][3:]))
    for part in PARTS:
        print(line(f"page: {part}", [run[part] for run in split]))
    runs = measured["photo"]["runs"]
    print(f"one analysis of {args.photo.name}: {len(runs)} model runs; ms")
    print(f"  native total {here['total']:.0f} ({', '.join(f'{k} {v:.0f}' for k, v in here['timings'].items())})")
    print(f"  page   total {measured['photo']['total']:.0f} "
          f"({', '.join(f'{k} {v:.0f}' for k, v in measured['photo']['timings'].items())})")
    for part in PARTS:
        print(line(f"page runs: {part}", [run[part] for run in runs]))
    in_runs = sum(sum(run[part] for part in PARTS) for run in runs)
    print(f"  page: in model runs {in_runs:.0f} ms, between them (Python: crops, letterbox, decode, NMS...) "
          f"{measured['photo']['total'] - in_runs:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

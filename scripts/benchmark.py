"""Speed, side by side in one run: native CPython (onnxruntime) vs the page in headless Chromium.

    .venv/bin/python scripts/benchmark.py [--photos 6] [--runs 30] [--json out.json]

Needs build/site (./dev build) and Chromium (CHROMIUM, default /usr/bin/chromium). For every model the
manifest lists (fp32 and the shipped int8) it measures model inference alone (min and median of
--runs), and the whole pipeline per stage on the same real photos; in the browser also boot time to
ready (each configuration in a fresh browser context, so a cold cache), with 1 and 2 threads.
These machines are shared and noisy: read the min and median, never a single run.
"""

import argparse
import asyncio
import base64
import json
import os
from pathlib import Path
import statistics
import sys
import time

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "py"))
sys.path.insert(0, str(REPO / "scripts"))

from googly_eyes.inference import run_model  # noqa: E402
from googly_eyes.models import load_native_models  # noqa: E402
from googly_eyes.pipeline import process_photo  # noqa: E402
from serve import start_server  # noqa: E402

FACES_DEV = REPO.parent / "shared" / "data" / "faces-dev"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
STAGES = ["decode", "detect", "locate", "render", "encode"]


def summary(values) -> dict:
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1), "n": len(values)}


def pick_photos(count: int) -> list[Path]:
    """Real group photos: the dev set's most crowded ones where present, else the test fixtures."""
    if (FACES_DEV / "dev.json").exists():
        images = json.loads((FACES_DEV / "dev.json").read_text())["images"]
        images.sort(key=lambda image: (-len(image["faces"]), image["file"]))
        return [FACES_DEV / image["file"] for image in images[:count]]
    return sorted((REPO / "tests" / "fixtures").glob("*.jpg"))[:count]


def native(model_file: str, photos: list[Path], runs: int) -> dict:
    models = load_native_models(REPO / "models", threads=1, overrides={"face_detector": model_file})
    detector = models.detector
    from PIL import Image

    feeds, _ = detector.prepare(Image.new("RGB", (640, 480), (128, 128, 128)))
    names = [detector.spec.boxes_output, detector.spec.scores_output]
    model_ms = []
    for _ in range(runs + 3):
        start = time.perf_counter()
        asyncio.run(run_model(detector.session, names, feeds))
        model_ms.append((time.perf_counter() - start) * 1000)
    stages = {stage: [] for stage in STAGES + ["total"]}
    for photo in photos:
        result = asyncio.run(process_photo(photo.read_bytes(), photo.name, models))
        result.encode()
        for stage in STAGES:
            stages[stage].append(result.timings_ms[stage])
        stages["total"].append(sum(result.timings_ms[stage] for stage in STAGES))
        if result.faces:
            stages.setdefault("locate per face", []).append(result.timings_ms["locate"] / len(result.faces))
    return {"model_ms": summary(model_ms[3:]), "stages": {k: summary(v) for k, v in stages.items()}}


def browser_run(browser, url: str, photos: list[Path], runs: int) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=180_000)
    ready_ms = page.evaluate("window.googly.readyMs")
    info = page.evaluate("window.googly.info")
    model_ms = page.evaluate(f"window.googlyTimeModel({runs + 3})")[3:]
    payload = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in photos]
    page.evaluate("""(files) => {
        const transfer = new DataTransfer();
        for (const {name, data} of files) {
            transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
        }
        document.querySelector('#drop-zone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", payload)
    page.wait_for_function(f"window.googly.results.length >= {len(photos)}", timeout=60_000 * len(photos))
    records = page.evaluate("window.googly.results")
    context.close()
    stages = {stage: [r["timings"][stage] for r in records if r["ok"]] for stage in STAGES}
    stages["total"] = [r["totalMs"] for r in records if r["ok"]]
    stages["locate per face"] = [r["timings"]["locate"] / r["faces"] for r in records if r["ok"] and r["faces"]]
    return {"ready_ms": ready_ms, "threads": info["threads"], "model_ms": summary(model_ms),
            "stages": {k: summary(v) for k, v in stages.items() if v}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=6, help="how many dev-set group photos")
    parser.add_argument("--photo", type=Path, action="append", help="use these photos instead (repeatable)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    entry = manifest["models"]["face_detector"]
    photos = args.photo or pick_photos(args.photos)
    print(f"{len(photos)} photos: {', '.join(p.name for p in photos)}")
    report = {"photos": [p.name for p in photos], "native": {}, "browser": {}}
    for model_file in entry["files"]:
        report["native"][model_file] = native(model_file, photos, args.runs)

    from playwright.sync_api import sync_playwright

    server, url = start_server(REPO / "build" / "site", port=0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                             args=CHROMIUM_ARGS)
        for model_file in entry["files"]:
            for threads in (1, 2):
                key = f"{model_file} threads={threads}"
                report["browser"][key] = browser_run(browser, f"{url}?model={model_file}&threads={threads}",
                                                     photos, args.runs)
        browser.close()
    server.shutdown()

    print("\nModel inference alone (ms, min / median):")
    for model_file in entry["files"]:
        n = report["native"][model_file]["model_ms"]
        print(f"  native 1 thread  {model_file:28s} {n['min']:7.1f} / {n['median']:7.1f}")
    for key, b in report["browser"].items():
        m = b["model_ms"]
        print(f"  browser          {key:38s} {m['min']:7.1f} / {m['median']:7.1f}   (boot to ready {b['ready_ms']} ms)")
    print("\nPipeline per stage over the photos (ms, min / median):")
    columns = STAGES + ["total", "locate per face"]
    header = "".join(f"{stage:>16s}" for stage in columns)
    print(f"  {'':48s}{header}")
    rows = [(f"native {m}", r["stages"]) for m, r in report["native"].items()]
    rows += [(f"browser {k}", r["stages"]) for k, r in report["browser"].items()]
    for label, stages in rows:
        cells = "".join(f"{stages[s]['min']:7.1f} /{stages[s]['median']:7.1f}" if s in stages else f"{'-':>16s}"
                        for s in columns)
        print(f"  {label:48s}{cells}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

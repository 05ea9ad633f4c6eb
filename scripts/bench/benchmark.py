"""Speed, measured in one run on the same photos, written to docs/PERFORMANCE.md (+ docs/performance.svg).

    .venv/bin/python -m scripts.bench.benchmark [--quick] [--site DIR] [--json out.json] [--no-write]

What it measures (issue 5), native CPython and headless Chromium side by side:
  - the pipeline per stage (decode, detect, locate = refine, preview, render, encode), native vs the page,
    for the preview the user sees and for the full-resolution export (a card's Download button);
  - cold boot (fresh context, empty cache) and warm boot (second navigation, service worker cache): when
    the drop zone accepts files (performance mark 'googly:drop-ready'), when Python is ready, and when the
    result of a photo dropped as soon as the drop zone accepts it appears;
  - batch throughput (>= 50 photos with 12 MP ones; fewer with --quick), the longest main-thread task
    meanwhile (PerformanceObserver 'longtask') and the memory peak (the page's renderer process, from /proc:
    see MemorySampler);
  - bytes of a first visit (raw, and gzip -6 as a static host serves them) from the server's request log;
  - fp32 vs int8 models and 1 vs 2 threads: the face detector alone (window.googlyTimeModel) and per photo;
  - animated downloads (3 s, 720 px MP4/GIF/WebP/APNG of a 10-face photo) and the editor's live wobble
    (frame rate, longest main-thread task): scripts/bench/animation.py;
  - the camera mode with a fake camera playing test clips of one and four faces (analysed frames per second,
    capture-to-screen latency, eye error, long tasks): scripts/bench/camera.py;
  - the peer: MediaPipe's @mediapipe/face_detection (npm, served from node_modules; scripts/bench/peer/) on the
    same photos in the same browser, for speed and, with ../shared/tools/score_eyes.py on
    ../shared/data/faces-dev, face and eye accuracy (ours scored the same way, natively).

Photos: the 72 dev photos in ../shared/data/faces-dev plus 12 MP upscales of a few of them (made in a temp
folder); without ../shared, tests/fixtures at several sizes. It builds its own copy of the site
(python -m scripts.build_site --out TMP) unless --site is given, and serves it on a free port.
Needs Chromium (CHROMIUM, default /usr/bin/chromium) and `npm ci` (node_modules/@mediapipe/face_detection).
These machines are shared and noisy: read the min and median, never a single run.

This file runs it all (the photos, the order of the runs, accuracy with the shared scorer, the machine);
native.py is the CPython side, browser.py the page and the peer in Chromium, report.py the Markdown page,
the terminal summary and the plot (`--from-json` rewrites them from a saved run without measuring).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

from scripts.bench.browser import (MODELS, RequestLog, browser_batch, browser_boots, browser_peer,
                                   browser_variants, serve)
from scripts.bench.animation import browser_animation
from scripts.bench.camera import browser_camera
from scripts.bench.native import native_pipeline, time_native_model
from scripts.bench.report import build_report, log, svg_plot
from scripts.common import CHROMIUM, CHROMIUM_ARGS, FACES_DEV, FIXTURES, REPO, SCORER

PEER_PACKAGE = REPO / "node_modules" / "@mediapipe" / "face_detection"
PEER_PAGE = Path(__file__).resolve().parent / "peer"  # the peer's page, served with PEER_PACKAGE as mp/
DOCS = REPO / "docs"
TWELVE_MP = 12_000_000


# ---- Photos -------------------------------------------------------------------------------------

def make_photos(work: Path, quick: bool) -> tuple[list[Path], list[Path], Path | None]:
    """(dev photos, 12 MP photos, ground truth or None). The 12 MP ones are upscales made in `work`."""
    from PIL import Image

    out = work / "photos"
    out.mkdir()
    gt = None
    if (FACES_DEV / "dev.json").exists():
        gt = FACES_DEV / "dev.json"
        images = json.loads(gt.read_text())["images"]
        sources = [FACES_DEV / image["file"] for image in images]
        crowded = [FACES_DEV / image["file"] for image in
                   sorted(images, key=lambda image: (-len(image["faces"]), image["file"]))]
        if quick:
            sources = sources[::max(1, len(sources) // 14)][:14]
        big_sources = crowded[: (2 if quick else 6)]
    else:
        fixtures = sorted(FIXTURES.glob("*.jpg"))
        sources, scales = [], [0.5, 0.75, 1.0, 1.25, 1.5, 2.0] + ([] if quick else [0.6, 0.9, 1.1, 1.4, 1.75, 2.5])
        for path in fixtures:
            image = Image.open(path)
            for scale in scales:
                target = out / f"{path.stem}_x{scale}.jpg"
                image.convert("RGB").resize((round(image.width * scale), round(image.height * scale))).save(
                    target, quality=90)
                sources.append(target)
        big_sources = fixtures[: (2 if quick else 4)]
    dev = []
    for path in sources:
        target = out / path.name
        if not target.exists():
            shutil.copyfile(path, target)
        dev.append(target)
    big = []
    for index, path in enumerate(big_sources):
        image = Image.open(path).convert("RGB")
        scale = (TWELVE_MP / (image.width * image.height)) ** 0.5
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        target = out / f"12mp_{index}_{path.stem}.jpg"
        image.save(target, quality=90)
        big.append(target)
    return dev, big, gt


# ---- Accuracy -------------------------------------------------------------------------------------

def score(gt: Path, faces_by_name: dict, work: Path, label: str) -> dict | None:
    """Scores predictions {photo name: [faces]} for the ground truth's images with the shared scorer."""
    ground = json.loads(gt.read_text())
    ground["images"] = [image for image in ground["images"] if Path(image["file"]).name in faces_by_name]
    gt_path = work / "gt.json"  # only the photos that ran (all of them unless --quick)
    gt_path.write_text(json.dumps(ground))
    pred = {"images": [{"file": image["file"], "faces": faces_by_name[Path(image["file"]).name]}
                       for image in ground["images"]]}
    pred_path, out_path = work / f"pred-{label}.json", work / f"score-{label}.json"
    pred_path.write_text(json.dumps(pred))
    done = subprocess.run([sys.executable, str(SCORER), str(gt_path), str(pred_path), "--json", str(out_path)],
                          capture_output=True, text=True)
    if done.returncode != 0 or not out_path.exists():
        log(f"  scorer failed for {label}: {done.stderr.strip()[-500:]}")
        return None
    metrics = json.loads(out_path.read_text())
    eyes = metrics["eyes_all_visible"]
    return {"recall": metrics["recall"], "precision": metrics["precision"], "AP": metrics.get("AP"),
            "fp_on_negative_images": metrics.get("fp_on_negative_images"),
            "images": metrics["images"], "gt_faces": metrics["gt_faces"], "eyes_n": eyes.get("n"), "e05": eyes.get("e<=0.05"), "e10": eyes.get("e<=0.10"),
            "e25": eyes.get("e<=0.25"), "swaps": metrics.get("eye_left_right_swaps")}


def peer_predictions(results: list[dict]) -> dict:
    return {r["name"]: [{"box": f["box"], "right_eye": f["right_eye"], "left_eye": f["left_eye"],
                         "score": f["score"]} for f in r["faces"]] for r in results}


# ---- Machine ---------------------------------------------------------------------------------------

def machine(browser_version: str) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    import onnxruntime

    package = json.loads((REPO / "package.json").read_text())
    versions = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    return {"cpu": cpu, "vcpus": os.cpu_count(), "load": os.getloadavg(), "memory_gb": memory, "os": platform.platform(),
            "python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
            "chromium": browser_version, "pyodide": versions.get("pyodide"),
            "onnxruntime_web": versions.get("onnxruntime-web"), "pyscript": versions.get("@pyscript/core"),
            "mediapipe": versions.get("@mediapipe/face_detection")}


# ---- Main ---------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer photos and repeats (not the >= 50 batch)")
    parser.add_argument("--site", type=Path, help="serve this built site instead of building a fresh copy")
    parser.add_argument("--json", type=Path, help="also write every raw number here")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite docs/PERFORMANCE.md and the plot")
    parser.add_argument("--turns", choices=("four", "upright"), default="four",
                        help="upright: the whole photo looked at upright only (the detector before issue 12), natively "
                             "and in the page's batch, to compare the pipeline's cost with the shipped four turns")
    parser.add_argument("--from-json", type=Path, help="measure nothing: rewrite the docs from a saved --json")
    args = parser.parse_args()
    if args.from_json:
        report = json.loads(args.from_json.read_text())
        markdown, summary, panels = build_report(report)
        (DOCS / "PERFORMANCE.md").write_text(markdown)
        svg_plot(panels, DOCS / "performance.svg")
        log("\n".join(summary))
        return 0
    began = time.perf_counter()
    load_start = os.getloadavg()
    quick = args.quick
    runs, boot_repeats, variant_count = (10, 1, 4) if quick else (30, 3, 10)

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        log(f"Chromium not found at {CHROMIUM}: set CHROMIUM")
        return 1
    if not (PEER_PACKAGE / "face_detection.js").exists():
        log("node_modules/@mediapipe/face_detection is missing: run `npm ci`")
        return 1
    with tempfile.TemporaryDirectory(prefix="googly-bench-") as temp:
        work = Path(temp)
        if args.site:
            site = work / "site"
            shutil.copytree(args.site, site)
        else:
            site = work / "site"
            log("building the site…")
            subprocess.run([sys.executable, "-m", "scripts.build_site", "--out", str(site)],
                           check=True, capture_output=True, cwd=REPO)
        dev, big, gt = make_photos(work, quick)
        photos = dev + big
        (site / "_bench").mkdir()
        (site / "_bench" / "photos").symlink_to(work / "photos")
        peer_root = work / "peer"
        peer_root.mkdir()
        for file in PEER_PAGE.iterdir():
            shutil.copyfile(file, peer_root / file.name)
        (peer_root / "mp").symlink_to(PEER_PACKAGE.resolve())
        (peer_root / "photos").symlink_to(work / "photos")
        from PIL import Image

        big_size = "x".join(map(str, Image.open(big[0]).size)) if big else "-"
        log(f"{len(dev)} photos + {len(big)} of 12 MP ({big_size})")

        report = {"quick": quick, "turns": args.turns, "load_start": load_start, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "photos": {"dev": len(dev), "big": len(big), "big_size": big_size,
                             "source": "faces-dev photos" if gt else "fixture photos at several sizes"}}
        threads = 2 if (os.cpu_count() or 1) >= 2 else 1
        log(f"native: detector alone, {runs} runs per configuration…")
        report["native_model"] = {f"{label} {t}t": time_native_model(t, files[0], runs)
                                  for label, files in MODELS.items() for t in (1, 2)}
        log(f"native: pipeline on {len(photos)} photos ({threads} threads)…")
        report["native"] = native_pipeline(photos, threads, (0,) if args.turns == "upright" else None)

        request_log = RequestLog()
        server, url = serve(site, request_log)
        peer_server, peer_url = serve(peer_root)
        first_photo = FACES_DEV / "images" / "afw_4285163979.jpg"
        if not first_photo.exists():
            first_photo = dev[0]
        variant_photos = dev[:: max(1, len(dev) // variant_count)][:variant_count]
        report["variant_photos"] = len(variant_photos)
        export_names = [p.name for p in big] + [p.name for p in dev[:: max(1, len(dev) // 4)][:4]]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                log(f"page: {boot_repeats} cold + warm boot(s)…")
                report["boots"] = browser_boots(playwright, url, first_photo, boot_repeats, request_log, site)
                for boot in report["boots"]["cold"] + report["boots"]["warm"]:
                    boot.pop("info", None)
                log(f"page: batch of {len(photos)} photos, then {len(export_names)} full-resolution downloads…")
                report["batch"] = browser_batch(browser, url, photos, export_names,
                                                "?turns=upright" if args.turns == "upright" else "")
                log(f"  {report['batch']['elapsed_ms'] / 1000:.1f} s, longest task {report['batch']['longest_task_ms']:.0f} ms")
                log("page: fp32 vs int8, 1 vs 2 threads…")
                report["variants"] = browser_variants(browser, url, variant_photos, runs)
                log("page: animated downloads and the live wobble of a 10-face photo…")
                report["animation"] = browser_animation(browser, url, work)
                log("page: the camera mode with a fake camera (one face, four faces)…")
                report["camera"] = browser_camera(playwright, url, work)
                log("peer: MediaPipe face_detection…")
                report["peer"] = browser_peer(browser, peer_url, photos)
                report["machine"] = machine(browser.version)
                browser.close()
        finally:
            server.shutdown()
            peer_server.shutdown()

        page_faces = {x["name"]: x.get("faces") for x in report["batch"]["results"] if x.get("ok")}
        native_faces = {x["name"]: x["faces"] for x in report["native"]["records"]}
        report["consistency"] = {"n": len(page_faces),
                                 "same": sum(1 for n, c in page_faces.items() if native_faces.get(n) == c)}
        if gt and SCORER.exists():
            log("accuracy: score_eyes.py…")
            accuracy = {"ours": score(gt, report["native"]["predictions"], work, "ours")}
            accuracy["ours_native"] = True
            for model, p in report["peer"].items():
                if "results" in p:
                    accuracy[f"peer_{model}"] = score(gt, peer_predictions(p["results"]), work, f"peer-{model}")
            report["accuracy"] = accuracy
        report["runtime_s"] = time.perf_counter() - began
        markdown, summary, panels = build_report(report)
        if not args.no_write:
            DOCS.mkdir(exist_ok=True)
            (DOCS / "PERFORMANCE.md").write_text(markdown)
            svg_plot(panels, DOCS / "performance.svg")
        if args.json:
            report["native"].pop("predictions", None)
            args.json.write_text(json.dumps(report, indent=1, default=str))
    log("")
    log("\n".join(summary))
    log(f"\ntook {report['runtime_s'] / 60:.1f} min" + ("" if args.no_write else "; wrote docs/PERFORMANCE.md and docs/performance.svg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

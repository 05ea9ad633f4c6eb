"""What the background costs per photo, with every model on (face detector, landmarker, blendshapes and
the selfie segmentation), natively and in the page (headless Chromium), side by side in one run:

  - native: Gallery.analyse (decode, detect, locate, expressions, first preview) with the background kept
    and with it blurred (the people mask made on the preview: the "segment" stage), then the full-size
    download (export_with_pillow, which is also the page's path for a changed background);
  - page: the same photos dropped on a fresh page with the default background kept, then on one whose saved
    default is "blur" (so every photo's first render has the mask): per photo from its turn to its card,
    the worker's stages, and the first photo's extra wait for the model (fetched and opened on first use);
    then the full-size download of the first --exports photos.

    .venv/bin/python -m scripts.bench.background [--photos 24] [--exports 4] [--site build/site] [--big]

Photos: the first --photos of faces-dev's images (sorted). Prints min and median per photo; the machine is
shared and noisy, so compare the columns of one run, not runs of different hours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import statistics
import tempfile
import time

from scripts.bench.browser import serve, wait_ready
from scripts.common import CHROMIUM, CHROMIUM_ARGS, FACES_DEV, MODELS, REPO

LOOKS = {"keep": {}, "blur": {"background": "blur"}}


def summary(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"min {min(values):7.0f}  median {statistics.median(values):7.0f}"


def native(photos: list[Path]) -> dict:
    from googly_eyes.gallery import Gallery, export_with_pillow
    from googly_eyes.models import load_native_models

    gallery = Gallery(load_native_models(MODELS, threads=1))
    out = {look: {"analyse": [], "segment": [], "export": []} for look in LOOKS}
    for index, path in enumerate(photos):
        data = path.read_bytes()
        for look, settings in LOOKS.items():
            view = {"settings": settings}
            photo_id = f"{look}{index}"
            start = time.perf_counter()
            answer = asyncio.run(gallery.analyse(photo_id, data, path.name, view))
            out[look]["analyse"].append((time.perf_counter() - start) * 1000)
            out[look]["segment"].append(answer["timings"].get("segment"))
            start = time.perf_counter()
            export_with_pillow(data, gallery.plan_export(photo_id, view, {}), {})
            out[look]["export"].append((time.perf_counter() - start) * 1000)
            gallery.forget(photo_id)
    return out


def page(url: str, photos: list[Path], exports: int) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for look, settings in LOOKS.items():
            context = browser.new_context(accept_downloads=True)
            tab = context.new_page()
            model_ms = []
            tab.on("requestfinished", lambda request: "selfie_segmentation" in request.url and model_ms.append(
                request.timing["responseEnd"]))
            tab.goto(url)
            wait_ready(tab)
            if settings:
                tab.evaluate("(look) => localStorage.setItem('googly-eyes:defaults', JSON.stringify(look))", settings)
                tab.reload()
                wait_ready(tab)
            tab.set_input_files("#file-input", [str(path) for path in photos])
            tab.wait_for_function(f"window.googly.results.length >= {len(photos)}", timeout=120_000 * len(photos))
            results = tab.evaluate("window.googly.results")
            downloads = []
            cards = tab.locator("#results .result")
            for index in range(min(exports, cards.count())):
                start = time.perf_counter()
                with tab.expect_download(timeout=300_000):
                    cards.nth(index).locator(".download-image").click()
                downloads.append((time.perf_counter() - start) * 1000)
            out[look] = {"total": [r["totalMs"] for r in results if r["ok"]],
                         "segment": [r["timings"].get("segment") for r in results if r["ok"]],
                         "first": results[0]["totalMs"], "rest": [r["totalMs"] for r in results[1:] if r["ok"]],
                         "export": downloads, "model_fetches": len(model_ms), "ok": sum(r["ok"] for r in results),
                         "info": tab.evaluate("window.googly.info.models")}
            context.close()
        browser.close()
    return out


def big_photo() -> Path:
    from PIL import Image

    path = Path(tempfile.mkdtemp()) / "group-12mp.jpg"
    with Image.open(FACES_DEV / "images" / "afw_5002723411.jpg") as image:
        image.convert("RGB").resize((4000, 3000), Image.Resampling.LANCZOS).save(path, quality=90)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--exports", type=int, default=4)
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site")
    parser.add_argument("--json", type=Path, help="also write every number here")
    parser.add_argument("--big", action="store_true",
                        help="instead: one 12 MP photo (a dev group photo scaled to 4000 x 3000), to time full-size downloads")
    args = parser.parse_args()
    photos = sorted((FACES_DEV / "images").glob("*.jpg"))[:args.photos]
    if args.big:
        photos = [big_photo()]
    server, url = serve(args.site)
    try:
        measured_page = page(url, photos, args.exports)
    finally:
        server.shutdown()
    measured_native = native(photos)
    print(f"{len(photos)} {'12 MP' if args.big else 'faces-dev'} photo(s), ms per photo (all models on: detector, landmarker, blendshapes; "
          f"'blur' adds the selfie segmentation)")
    for look in LOOKS:
        n, p = measured_native[look], measured_page[look]
        print(f"  {look:5} native analyse {summary(n['analyse'])} | segment {summary(n['segment'])} | "
              f"download {summary(n['export'])}")
        print(f"  {look:5} page   to card  {summary(p['total'])} | segment {summary(p['segment'])} | "
              f"download {summary(p['export'])} (first {len(p['export'])})")
        print(f"        page first photo {p['first']:.0f} ms, the rest {summary(p['rest'])}; "
              f"model fetches {p['model_fetches']}")
    if args.json:
        args.json.write_text(json.dumps({"native": measured_native, "page": measured_page}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

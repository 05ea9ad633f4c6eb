"""What looking at the whole photo in four quarter turns costs (faces at any angle), natively and in the
page, side by side in one run: the detector as shipped against the same detector looking upright only.

    .venv/bin/python -m scripts.bench.turns [--rounds 2] [--limit N]     (needs ./dev build for the page)

Photos: faces-dev (or the test fixtures without ../shared), upright, plus one group photo turned sideways
and upside down (the time a turned photo takes). Natively each photo is analysed by Gallery.analyse, the
worker's own call, alternating the two variants; in the page two tabs of one browser (`?turns=upright` and
the default) analyse the same photos in alternation. Prints min and median per variant and the median
ratio; the machine is shared and noisy, so compare the two columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import statistics
import tempfile
import time

from PIL import Image

from googly_eyes.gallery import Gallery
from googly_eyes.models import load_native_models
from scripts.bench.browser import DROP_URLS, serve, wait_ready
from scripts.common import CHROMIUM, CHROMIUM_ARGS, FACES_DEV, FIXTURES, MODELS, REPO

VARIANTS = {"upright only": (0,), "four turns": (0, 1, 2, 3)}
PAGE_QUERY = {"upright only": "?turns=upright", "four turns": ""}
GROUP = "afw_4285163979.jpg"  # ten people


def photos(work: Path, limit: int | None) -> tuple[list[Path], list[Path]]:
    """(upright photos, turned copies of one group photo) in `work`."""
    source = sorted((FACES_DEV / "images").glob("*.jpg")) or sorted(FIXTURES.glob("*.jpg"))
    upright = source[:limit]
    group = FACES_DEV / "images" / GROUP if (FACES_DEV / "images" / GROUP).exists() else upright[0]
    turned = []
    with Image.open(group) as image:
        for label, transpose in (("sideways", Image.Transpose.ROTATE_90), ("upside-down", Image.Transpose.ROTATE_180)):
            path = work / f"{label}-{group.name}"
            image.transpose(transpose).save(path, quality=92)
            turned.append(path)
    return upright, turned


def native(paths: list[Path], rounds: int) -> dict[str, dict[str, list[float]]]:
    """ms per photo (analyse: decode, detect, locate, first preview) per variant, alternating variants."""
    gallery = Gallery(load_native_models(MODELS, threads=1))
    times = {variant: {path.name: [] for path in paths} for variant in VARIANTS}
    for _ in range(rounds):
        for index, path in enumerate(paths):
            data = path.read_bytes()
            for variant, turns in VARIANTS.items():
                gallery.models.detector.quarter_turns = turns
                start = time.perf_counter()
                asyncio.run(gallery.analyse(f"p{index}", data, path.name, None))
                times[variant][path.name].append((time.perf_counter() - start) * 1000)
                gallery.forget(f"p{index}")
    return times


def page(paths: list[Path], rounds: int, site: Path) -> dict[str, dict[str, list[float]]]:
    """ms per photo (drop to result, window.googly.results' totalMs) per variant: two tabs, alternating."""
    from playwright.sync_api import sync_playwright

    times = {variant: {path.name: [] for path in paths} for variant in VARIANTS}
    bench = site / "_bench"  # where DROP_URLS fetches the photos from; removed afterwards
    bench.mkdir(exist_ok=True)
    link = bench / "photos"
    link.unlink(missing_ok=True)
    link.symlink_to(paths[0].parent.resolve())
    server, url = serve(site)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context()
            tabs = {}
            for variant, query in PAGE_QUERY.items():
                tabs[variant] = context.new_page()
                tabs[variant].goto(url + query)
                wait_ready(tabs[variant])
                tabs[variant].evaluate(DROP_URLS, [paths[0].name])  # warm-up, not counted: the first photo
                tabs[variant].wait_for_function("window.googly.results.length >= 1", timeout=120_000)
            done = {variant: 1 for variant in VARIANTS}  # pays for onnxruntime-web warming up
            for _ in range(rounds):
                for path in paths:
                    for variant, tab in tabs.items():
                        tab.evaluate(DROP_URLS, [path.name])
                        done[variant] += 1
                        tab.wait_for_function(f"window.googly.results.length >= {done[variant]}", timeout=120_000)
                        record = tab.evaluate("window.googly.results.at(-1)")
                        if not record["ok"]:
                            raise RuntimeError(f"{path.name}: {record.get('message')}")
                        times[variant][path.name].append(record["totalMs"])
            browser.close()
    finally:
        server.shutdown()
        link.unlink(missing_ok=True)
        if not any(bench.iterdir()):
            bench.rmdir()
    return times


def report(label: str, times: dict[str, dict[str, list[float]]], upright: list[Path], turned: list[Path]) -> None:
    print(f"\n{label}: ms per photo, median over rounds; then min / median over photos")
    per_photo = {variant: {name: statistics.median(values) for name, values in by_name.items()}
                 for variant, by_name in times.items()}
    names = [path.name for path in upright]
    for variant in VARIANTS:
        values = [per_photo[variant][name] for name in names]
        print(f"  {variant:13s} {len(values)} upright photos: min {min(values):7.0f}   median {statistics.median(values):7.0f}")
    ratios = [per_photo["four turns"][name] / per_photo["upright only"][name] for name in names]
    print(f"  four turns / upright only, per photo: median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    for path in turned:
        print(f"  {path.name}: " + "   ".join(f"{variant} {per_photo[variant][path.name]:.0f}" for variant in VARIANTS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="times each photo is analysed per variant")
    parser.add_argument("--limit", type=int, help="only the first N upright photos")
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site", help="the built site (./dev build)")
    parser.add_argument("--native-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        upright, turned = photos(work, args.limit)
        for path in upright:
            (work / path.name).symlink_to(path.resolve())
        everything = [work / path.name for path in upright] + turned
        report("native (Gallery.analyse, 1 thread)", native(everything, args.rounds), upright, turned)
        if not args.native_only:
            if not (args.site / "index.html").exists():
                print(f"\nno site at {args.site}: run ./dev build for the page's numbers")
                return 1
            report("page (drop to result)", page(everything, args.rounds, args.site), upright, turned)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The benchmark's browser side: the built site served locally and driven in headless Chromium (boots,
a batch, model and thread variants), and MediaPipe's web face detector, the peer, on the same photos."""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path
import shutil
import tempfile
import threading
import time
from urllib.parse import urlsplit

from scripts.bench.report import log, mm, stats
from scripts.common import CHROMIUM, CHROMIUM_ARGS
from scripts.serve import QuietServer, make_handler

BOOT_TIMEOUT_MS = 180_000
PHOTO_TIMEOUT_MS = 120_000
MODELS = {"int8": ("face_detector.int8.onnx", "face_landmarker.fp16.onnx"),  # the shipped files
          "fp32": ("face_detector.fp32.onnx", "face_landmarker.fp32.onnx")}


# ---- Serving ------------------------------------------------------------------------------------

class RequestLog:
    """Every response the site server sends: (path, status), from a start() until read."""

    def __init__(self):
        self.entries, self.lock = [], threading.Lock()

    def add(self, path, status):
        with self.lock:
            self.entries.append((path, status))

    def take(self) -> list:
        with self.lock:
            entries, self.entries = self.entries, []
        return entries


def serve(directory: Path, request_log: RequestLog | None = None):
    base = make_handler(directory.resolve(), "/", False)

    class Handler(base):
        def send_response(self, code, message=None):
            if request_log is not None:
                request_log.add(self.path.split("?", 1)[0], code)
            super().send_response(code, message)

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def transfer_sizes(site: Path, entries: list) -> dict:
    """Raw and gzip -6 bytes of the files served with 200 (every request, and each file once)."""
    cache = {}

    def sizes(path: str):
        if path not in cache:
            file = site / path.lstrip("/")
            if path.endswith("/"):
                file = file / "index.html"
            if not file.is_file():
                cache[path] = (0, 0)
            else:
                data = file.read_bytes()
                cache[path] = (len(data), len(gzip.compress(data, compresslevel=6, mtime=0)))
        return cache[path]

    ok = [path for path, status in entries if status == 200]
    raw = sum(sizes(path)[0] for path in ok)
    gz = sum(sizes(path)[1] for path in ok)
    unique = sorted(set(ok))
    largest = sorted(((sizes(p)[1], p) for p in unique), reverse=True)[:6]
    return {"requests": len(entries), "ok_requests": len(ok), "raw": raw, "gzip": gz,
            "unique_files": len(unique), "unique_raw": sum(sizes(p)[0] for p in unique),
            "unique_gzip": sum(sizes(p)[1] for p in unique),
            "largest_gzip": [{"path": p, "gzip": g} for g, p in largest]}


# ---- Browser: the app ----------------------------------------------------------------------------

WATCH_SCRIPT = """
(() => {
  if (window.top !== window) return;
  window.__bench = { longtasks: [], resultTimes: [], readyAt: null, droppedAt: null };
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__bench.longtasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (error) { window.__bench.longtaskError = String(error); }
  const timer = setInterval(() => {
    const googly = window.googly;
    if (!googly) return;
    const bench = window.__bench;
    if (bench.readyAt === null && googly.readyMs !== null) bench.readyAt = performance.now();
    while (bench.resultTimes.length < googly.results.length) bench.resultTimes.push(performance.now());
  }, 5);
})();
"""

# Drops one photo (base64 in the script) as soon as the drop zone accepts files.
DROP_EARLY_SCRIPT = """
(() => {
  if (window.top !== window) return;
  const name = %s, data = %s;
  const timer = setInterval(() => {
    const zone = document.querySelector('#drop-zone');
    if (!zone || !performance.getEntriesByName('googly:drop-ready').length) return;
    clearInterval(timer);
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
    window.__bench.droppedAt = performance.now();
  }, 1);
})();
"""

DROP_URLS = """async (names) => {
  const transfer = new DataTransfer();
  for (const name of names) {
    const response = await fetch('_bench/photos/' + encodeURIComponent(name));
    transfer.items.add(new File([await response.blob()], name));
  }
  const zone = document.querySelector('#drop-zone');
  const at = performance.now();
  for (const type of ['dragenter', 'dragover', 'drop']) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
  return at;
}"""

class MemorySampler:
    """Peak resident memory of this run's Chromium renderer processes, sampled from /proc every 200 ms.

    performance.measureUserAgentSpecificMemory() is no use here: each call takes 60 s (onnxruntime-web's
    wasm threads never answer and time out) and leaves their memory out. The page's renderer process
    hosts the page, the Python worker (Pyodide's wasm memory) and onnxruntime-web's threads (its wasm
    memory), so its RSS is the memory the app costs; wasm memories only grow, so the peak is reached
    during the batch."""

    def __init__(self):
        self.peak_renderer, self.peak_all, self.samples = 0, 0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    @staticmethod
    def processes() -> list[tuple[bool, int]]:
        """(is a renderer, RSS bytes) of every Chromium process descending from this one."""
        parents, names = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
                names[int(entry.name)] = stat[stat.index("(") + 1:stat.rindex(")")]
            except (OSError, ValueError):
                continue
        mine, out = {os.getpid()}, []
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in mine and pid not in mine:
                    mine.add(pid)
                    changed = True
        for pid in mine:
            if "chrom" not in names.get(pid, ""):
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                rss = next(int(line.split()[1]) * 1024 for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                           if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue
            out.append((b"--type=renderer" in cmdline, rss))
        return out

    def run(self):
        while not self.stop.is_set():
            found = self.processes()
            if found:
                self.samples += 1
                self.peak_renderer = max(self.peak_renderer, max((rss for renderer, rss in found if renderer), default=0))
                self.peak_all = max(self.peak_all, sum(rss for _, rss in found))
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def wait_ready(page):
    page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=BOOT_TIMEOUT_MS)


def boot_once(context, url: str) -> dict:
    page = context.new_page()
    own = []  # what the page and its workers ask for (the service worker's precache is not in here)
    page.on("request", lambda request: own.append(request.url))
    page.goto(url)
    page.wait_for_function("window.__bench && window.__bench.droppedAt !== null", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_function("window.googly.results.length >= 1", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_function("window.__bench.resultTimes.length >= 1 && window.__bench.readyAt !== null")
    found = page.evaluate("""() => ({
        dropReady: performance.getEntriesByName('googly:drop-ready')[0]?.startTime ?? null,
        droppedAt: window.__bench.droppedAt, readyAt: window.__bench.readyAt, readyMs: window.googly.readyMs,
        firstResult: window.__bench.resultTimes[0], result: window.googly.results[0],
        domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
        isolated: window.crossOriginIsolated, info: window.googly.info })""")
    found["python"] = (found["info"] or {}).get("python", {})  # how Python started (pyodide-boot.mjs)
    found["modelsMs"] = (found["info"] or {}).get("models_ms")
    return {"page": page, "own": own, **found}


def browser_boots(playwright, url: str, first_photo: Path, repeats: int, request_log: RequestLog, site: Path) -> dict:
    """Cold boots in a new browser profile each (on disk, as a person's browser: its HTTP cache is
    what lets the service worker's precache revalidate the files the page just loaded instead of
    downloading them again; incognito contexts keep big files out of their memory cache), each
    followed by a warm boot in the same profile."""
    early = DROP_EARLY_SCRIPT % (json.dumps(first_photo.name), json.dumps(base64.b64encode(first_photo.read_bytes()).decode()))
    cold, warm, transfers = [], [], []
    for index in range(repeats):
        profile = tempfile.mkdtemp(prefix="googly-bench-profile-")
        context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                                headless=True)
        try:
            context.add_init_script(WATCH_SCRIPT)
            context.add_init_script(early)
            request_log.take()
            first = boot_once(context, url)
            page = first.pop("page")
            until_ready = request_log.take()
            own = {urlsplit(u).path for u in first.pop("own") if u.startswith(url)}
            # The first visit goes on until the service worker has cached the whole site and the app
            # has saved its Python snapshot for the next boot.
            page.wait_for_function("navigator.serviceWorker.controller !== null && "
                                   "(document.querySelector('#offline-status')?.textContent ?? '').includes('Ready to work offline')",
                                   timeout=BOOT_TIMEOUT_MS)
            offline_at = page.evaluate("performance.now()")
            first["snapshot"] = page.wait_for_function("window.googly.snapshot", timeout=BOOT_TIMEOUT_MS).json_value()
            time.sleep(0.5)
            rest = request_log.take()
            everything = until_ready + rest
            transfers.append({"until_ready": transfer_sizes(site, until_ready),
                              "page_own": transfer_sizes(site, [(path, status) for path, status in everything if path in own]),
                              "first_visit": transfer_sizes(site, everything)})
            first["offlineAt"] = offline_at
            cold.append(first)
            page.close()
            second = boot_once(context, url)
            second.pop("page").close()
            second.pop("own")
            request_log.take()
            warm.append(second)
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
        log(f"  boot {index + 1}/{repeats}: cold drop-ready {cold[-1]['dropReady']:.0f} ms, ready {cold[-1]['readyAt']:.0f} ms, "
            f"first result {cold[-1]['firstResult']:.0f} ms; warm {warm[-1]['dropReady']:.0f} / {warm[-1]['readyAt']:.0f} / "
            f"{warm[-1]['firstResult']:.0f} ms (Python from a snapshot: {warm[-1]['python'].get('snapshot')})")
    return {"cold": cold, "warm": warm, "transfer": transfers, "photo": first_photo.name}


def browser_batch(browser, url: str, photos: list[Path], export_names: list[str], query: str = "") -> dict:
    context = browser.new_context(accept_downloads=True)
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    page.goto(url + query)
    wait_ready(page)
    info = page.evaluate("window.googly.info")
    sampler = MemorySampler().__enter__()
    started = page.evaluate("performance.now()")
    dropped_at = page.evaluate(DROP_URLS, [p.name for p in photos])
    page.wait_for_function(f"window.googly.results.length >= {len(photos)}", timeout=PHOTO_TIMEOUT_MS * len(photos))
    page.wait_for_function(f"window.__bench.resultTimes.length >= {len(photos)}")
    found = page.evaluate("() => ({ results: window.googly.results, times: window.__bench.resultTimes, "
                          "longtasks: window.__bench.longtasks, longtaskError: window.__bench.longtaskError ?? null })")
    exports = []
    for name in export_names:
        button = page.locator("#results .result").filter(
            has=page.get_by_text(name, exact=True)).locator(".download-image")
        with page.expect_download(timeout=PHOTO_TIMEOUT_MS):
            button.click()
        page.wait_for_function(f"window.googly.exports.length >= {len(exports) + 1}", timeout=PHOTO_TIMEOUT_MS)
        exports = page.evaluate("window.googly.exports")
    sampler.__exit__()
    context.close()
    end = found["times"][-1] if found["times"] else dropped_at
    in_batch = [duration for start, duration in found["longtasks"] if start >= started]
    return {"info": info, "results": found["results"], "elapsed_ms": end - dropped_at,
            "longest_task_ms": max(in_batch, default=0.0), "longtasks": len(in_batch),
            "longtask_error": found["longtaskError"], "exports": exports,
            "memory_renderer_peak": sampler.peak_renderer, "memory_all_peak": sampler.peak_all,
            "memory_samples": sampler.samples}


def browser_variants(browser, url: str, photos: list[Path], runs: int) -> dict:
    """fp32 vs int8, 1 vs 2 threads: the detector alone and per photo, in one (warm) context."""
    context = browser.new_context()
    context.add_init_script(WATCH_SCRIPT)
    out = {}
    for label, (model, mesh) in MODELS.items():
        for threads in (1, 2):
            page = context.new_page()
            page.goto(f"{url}?model={model}&mesh={mesh}&threads={threads}")
            wait_ready(page)
            info = page.evaluate("window.googly.info")
            model_ms = page.evaluate(f"window.googlyTimeModel({runs + 3})")[3:]
            page.evaluate(DROP_URLS, [p.name for p in photos])
            page.wait_for_function(f"window.googly.results.length >= {len(photos)}",
                                   timeout=PHOTO_TIMEOUT_MS * len(photos))
            results = page.evaluate("window.googly.results")
            page.close()
            key = f"{label} {threads}t"
            out[key] = {"info": info, "model_ms": stats(model_ms), "results": results}
            log(f"  {key}: detector alone {mm(stats(model_ms), 1)} ms (threads {info['threads']})")
    context.close()
    return out


# ---- Browser: the peer ---------------------------------------------------------------------------

PEER_DETECT = """async (names) => {
  const out = [];
  for (const name of names) {
    const blob = await (await fetch('photos/' + encodeURIComponent(name))).blob();
    out.push(await window.peer.detect(new File([blob], name)));
  }
  return out;
}"""


def browser_peer(browser, url: str, photos: list[Path]) -> dict:
    out = {}
    for model in ("short", "full"):
        context = browser.new_context()
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        started = time.perf_counter()
        page.goto(f"{url}index.html?model={model}")
        try:
            page.wait_for_function("window.peer", timeout=BOOT_TIMEOUT_MS)
        except Exception as error:  # noqa: BLE001 - report and go on
            out[model] = {"error": f"{error}: {errors}"}
            context.close()
            continue
        init_ms = page.evaluate("window.peer.initMs")
        results = page.evaluate(PEER_DETECT, [p.name for p in photos])
        out[model] = {"init_ms": init_ms, "ready_s": time.perf_counter() - started, "results": results}
        context.close()
        log(f"  peer {model}: detect {mm(stats(r['detectMs'] for r in results), 1)} ms over {len(results)} photos")
    return out

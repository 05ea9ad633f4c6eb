"""The service worker (web/sw.js, web/sw-register.js) in real headless Chromium.

Each test runs its own server so it can serve without COOP/COEP (as GitHub Pages does), go away
(offline), or deploy a new version. Each browser context starts with no service worker and no cache.
"""

import json
import shutil
import time

import pytest
from playwright.sync_api import Error as PlaywrightError

from conftest import BOOT_TIMEOUT_MS, SITE, AppPage
from scripts import build_site
from scripts.serve import start_server

PRECACHE_TIMEOUT_S = 120  # 41 MB from localhost, each file sha256-checked


@pytest.fixture
def serve_site():
    """start(directory, **options) -> (server, url); every server is stopped after the test."""
    servers = []

    def start(directory, **options):
        server, url = start_server(directory, port=0, prefix="/googly-eyes/", **options)
        servers.append(server)
        return server, url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def contexts(browser):
    opened = []

    def new(**options):
        context = browser.new_context(accept_downloads=True, **options)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


def wait_until(page, expression, timeout_s=PRECACHE_TIMEOUT_S):
    """Poll a JS expression until truthy; survives the page reloading in between."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = page.evaluate(expression)
            if value:
                return value
        except PlaywrightError as error:  # the context went away in a reload: ask again
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.25)


OFFLINE_READY = "document.querySelector('#offline-status')?.textContent.includes('Ready to work offline')"
APP_READY = "window.googly && window.googly.readyMs !== null"
SNAPSHOT_SAVED = "window.googly && window.googly.snapshot && window.googly.snapshot.saved"


def process_one(app, photo):
    app.drop([photo])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3, record


def reload_offline(app, server) -> list[str]:
    """Offline for real (the browser is told so, and the server is gone too), then the page reloaded: the
    list that collects every response that did not come from the service worker (none should)."""
    app.context.set_offline(True)
    server.shutdown()
    server.server_close()
    from_network = []
    app.page.on("response", lambda r: r.url.startswith("http") and not r.from_service_worker
                and from_network.append(r.url))
    app.page.reload()
    app.page.wait_for_function(APP_READY, timeout=BOOT_TIMEOUT_MS)
    return from_network


def test_boots_and_works_offline_from_the_cache(serve_site, contexts, group_photo):
    server, url = serve_site(SITE)
    app = AppPage(contexts(), url).open()
    wait_until(app.page, OFFLINE_READY)
    assert app.page.evaluate("navigator.serviceWorker.controller !== null")
    # The precache holds what the app needs and not the benchmark-only fp32 models.
    cached = app.page.evaluate("""async () => {
        const names = (await caches.keys()).filter((name) => name.startsWith('googly-eyes-'));
        const cache = await caches.open(names[0]);
        const scope = new URL('./', location.href).href;
        return (await cache.keys()).map((request) => request.url.slice(scope.length));
    }""")
    assert "models/face_detector.int8.onnx" in cached and "vendor/pyodide/pyodide.asm.wasm" in cached
    assert not [path for path in cached if "fp32" in path or "codemirror" in path or "xterm" in path]
    # The first visit also leaves a snapshot of a started Python for the next boot (pyodide-boot.mjs).
    assert app.page.evaluate("window.googly.info.python.snapshot") == "none"
    wait_until(app.page, SNAPSHOT_SAVED)

    from_network = reload_offline(app, server)
    assert app.page.evaluate("window.googly.info.python.snapshot") == "used"
    process_one(app, group_photo)
    assert from_network == []  # every byte came from the service worker's cache
    assert app.page.evaluate("crossOriginIsolated") is True
    assert app.foreign_requests() == []


def test_a_model_fetched_when_first_used_is_kept_for_offline_use(serve_site, contexts):
    """The background's model is not precached (a first visit that never changes a background does not
    download it); the first time it is fetched the service worker checks and keeps it, so the feature then
    works offline too."""
    from support import FIXTURES
    from test_editor import choose, open_editor, settle

    server, url = serve_site(SITE)
    app = AppPage(contexts(), url).open()
    wait_until(app.page, OFFLINE_READY)
    cached_models = """async () => {
        const names = (await caches.keys()).filter((name) => name.startsWith('googly-eyes-'));
        const cache = await caches.open(names[0]);
        return (await cache.keys()).map((request) => request.url).filter((url) => url.includes('/models/'))
            .map((url) => url.split('/').pop()).sort();
    }"""
    assert "selfie_segmentation.fp16.onnx" not in app.page.evaluate(cached_models)
    photo = ("astronaut.jpg", (FIXTURES / "astronaut.jpg").read_bytes())
    app.drop([photo])
    app.wait_for_results(1)
    open_editor(app, "astronaut.jpg")
    choose(app, "background", "blur")
    settle(app, 0, "p.settings && p.settings.background === 'blur' && p.result.people === 1")
    wait_until(app.page, f"({cached_models})().then((names) => names.includes('selfie_segmentation.fp16.onnx'))")

    from_network = reload_offline(app, server)
    app.drop([photo])
    app.wait_for_results(1)
    open_editor(app, "astronaut.jpg")
    choose(app, "background", "remove")
    settle(app, 0, "p.settings && p.settings.background === 'remove' && p.result.people === 1")
    assert from_network == [] and app.errors == []


# Damage the saved Python snapshot: "torn" (bytes that are not gzip, as a torn write would leave) or
# "foreign" (a well-formed snapshot of another Pyodide build: its build id changed).
DAMAGE_SNAPSHOT = """async (how) => {
    const cache = await caches.open('googly-python-snapshot');
    const [key] = await cache.keys();
    let body;
    if (how === 'torn') {
        body = new Blob([crypto.getRandomValues(new Uint8Array(4096))]);
    } else {
        const gunzip = (await cache.match(key)).body.pipeThrough(new DecompressionStream('gzip'));
        const snapshot = new Uint8Array(await new Response(gunzip).arrayBuffer());
        snapshot[16] ^= 0xff;  // the first byte of the build id
        body = await new Response(new Blob([snapshot]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
    }
    await cache.put(key, new Response(body));
}"""


def test_a_damaged_python_snapshot_means_a_normal_start_and_a_new_snapshot(serve_site, contexts, group_photo):
    server, url = serve_site(SITE)
    app = AppPage(contexts(), url).open()
    wait_until(app.page, OFFLINE_READY)
    wait_until(app.page, SNAPSHOT_SAVED)
    # Either way the next boot starts Python normally, works, deletes the entry and saves a good one.
    for how, stage in (("torn", "read"), ("foreign", "restore")):
        app.page.evaluate(DAMAGE_SNAPSHOT, how)
        app.page.reload()
        wait_until(app.page, APP_READY, BOOT_TIMEOUT_MS / 1000)
        python = app.page.evaluate("window.googly.info.python")
        assert python["snapshot"] == "none" and python["error"].startswith(stage), python
        process_one(app, group_photo)
        wait_until(app.page, SNAPSHOT_SAVED)
    app.page.reload()
    wait_until(app.page, APP_READY, BOOT_TIMEOUT_MS / 1000)
    assert app.page.evaluate("window.googly.info.python.snapshot") == "used"
    process_one(app, group_photo)


def test_isolation_without_server_headers_reloads_once(serve_site, contexts, group_photo):
    _, url = serve_site(SITE, isolation_headers=False)  # like GitHub Pages
    app = AppPage(contexts(), url)
    navigations = []
    app.page.on("framenavigated", lambda frame: frame == app.page.main_frame and navigations.append(frame.url))
    app.page.goto(url)
    assert app.page.evaluate("crossOriginIsolated") is False  # no headers on the first visit
    wait_until(app.page, f"crossOriginIsolated && ({APP_READY}) && ({OFFLINE_READY})")
    info = app.page.evaluate("window.googly.info")
    expected_threads = 2 if app.page.evaluate("navigator.hardwareConcurrency") >= 2 else 1
    assert info["threads"] == expected_threads
    process_one(app, group_photo)
    time.sleep(2)  # a loop would show up as more navigations
    assert len(navigations) == 2, navigations  # the first visit and the one guarded reload
    assert app.foreign_requests() == []


def test_app_works_with_service_workers_blocked(serve_site, contexts, group_photo):
    _, url = serve_site(SITE, isolation_headers=False)
    app = AppPage(contexts(service_workers="block"), url).open()
    assert app.page.evaluate("crossOriginIsolated") is False
    assert app.page.evaluate("window.googly.info")["threads"] == 1
    process_one(app, group_photo)
    assert app.page.locator("#offline-status").is_hidden()
    assert app.page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.controller : null") is None


def test_a_new_deploy_offers_an_update_and_reloads_into_it(serve_site, contexts, tmp_path):
    deployed = tmp_path / "site"
    shutil.copytree(SITE, deployed)
    _, url = serve_site(deployed)
    app = AppPage(contexts(), url).open()
    wait_until(app.page, OFFLINE_READY)
    old_version = app.page.locator("#offline-status").get_attribute("data-version")
    old_css = app.page.evaluate("fetch('./app.css').then(r => r.text())")

    # Deploy: a changed app.css, sw.js restamped, a new build-info.json (what ./dev build does).
    info = json.loads((deployed / "build-info.json").read_text())
    marker = "/* deploy 2 */"
    (deployed / "app.css").write_text(old_css + marker + "\n")
    shutil.copyfile(build_site.REPO / "web" / "sw.js", deployed / "sw.js")
    new_info = build_site.write_build_info(deployed, info["version"], info["versions"])
    assert new_info["cache_version"] != old_version

    app.page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    button = app.page.locator("#update-reload")
    button.wait_for(state="visible", timeout=PRECACHE_TIMEOUT_S * 1000)
    assert button.inner_text() == "Update available - reload"
    # While the new version waits, the open page still gets the old one: no mixing.
    assert marker not in app.page.evaluate("fetch('./app.css').then(r => r.text())")

    with app.page.expect_navigation(timeout=BOOT_TIMEOUT_MS):
        button.click()
    app.page.wait_for_function(APP_READY, timeout=BOOT_TIMEOUT_MS)
    wait_until(app.page, OFFLINE_READY)
    assert app.page.locator("#offline-status").get_attribute("data-version") == new_info["cache_version"]
    assert marker in app.page.evaluate("fetch('./app.css').then(r => r.text())")
    # The old version's cache is gone; the Python snapshot (same Pyodide) may stay, if saved by now.
    left = set(app.page.evaluate("caches.keys()")) - {"googly-python-snapshot"}
    assert left == {f"googly-eyes-{new_info['cache_version']}"}
    assert app.foreign_requests() == []


def test_a_corrupted_download_never_becomes_the_cache(serve_site, contexts, tmp_path, group_photo):
    broken = tmp_path / "site"
    shutil.copytree(SITE, broken)
    with open(broken / "app.css", "a") as handle:  # bytes that no longer match build-info.json
        handle.write("/* changed after the build */\n")
    _, url = serve_site(broken)
    app = AppPage(contexts(), url).open()
    # The install fails (sha256 mismatch) and the worker is dropped: it never activates. (The page
    # registers the worker once the app is ready, so wait for the registration to settle.)
    outcome = app.page.evaluate("""async () => {
        for (let tries = 0; tries < 300; tries++) {
            const registration = await navigator.serviceWorker.getRegistration();
            const worker = registration && registration.installing;
            if (worker) {
                return new Promise((resolve) => worker.addEventListener('statechange', () => {
                    if (worker.state === 'redundant' || worker.state === 'installed') resolve(worker.state);
                }));
            }
            if (registration && (registration.active || registration.waiting)) return 'active';
            if (!registration && tries > 20) return 'gone';
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return 'idle';
    }""")
    assert outcome in ("redundant", "gone"), outcome
    # Nothing half-downloaded stays behind (the Python snapshot is the app's, not the worker's).
    assert [name for name in app.page.evaluate("caches.keys()") if name.startswith("googly-eyes-")] == []
    assert app.page.locator("#offline-status").is_hidden()
    process_one(app, group_photo)  # the app works as before, from the network

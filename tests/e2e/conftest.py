"""End-to-end fixtures: the built site served over HTTP, real headless Chromium driven by Playwright.

`./dev test` builds build/site and installs Debian's chromium before running these. Every page opened
here records its requests; a test fails if any went to another origin.
"""

import base64
import os
from pathlib import Path
from urllib.parse import urlsplit
from typing import NamedTuple

import pytest

from scripts.common import CHROMIUM, CHROMIUM_ARGS, REPO
from scripts.serve import start_server
from support import DEV_GROUP, collage_of_faces

SITE = Path(os.environ.get("GOOGLY_SITE", REPO / "build" / "site"))  # ./dev test builds it
BOOT_TIMEOUT_MS = 120_000  # a cold Pyodide boot is ~8 s here; a loaded CI machine can be much slower
PHOTO_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# A real photo of several people: a dev-set group photo (hand-annotated, 10 faces) where ../shared is
# present, as in CI. Without it, a composite of the public-domain fixture: no group photo with a
# licence that lets us commit it could be found (tests/fixtures/README.md).
@pytest.fixture(scope="session")
def group_photo(tmp_path_factory):
    if DEV_GROUP.exists():
        return DEV_GROUP
    return collage_of_faces(tmp_path_factory.mktemp("photos") / "collage.jpg")


@pytest.fixture(scope="session")
def site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} is missing: build it with `./dev build` (./dev test does this for you).")
    return SITE


@pytest.fixture(scope="session")
def server_url(site):
    server, url = start_server(site, port=0, prefix="/")
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def subpath_url(site):
    server, url = start_server(site, port=0, prefix="/googly-eyes/")
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
                    "(./dev test does this) or set CHROMIUM to its path.")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def camera_clip(tmp_path_factory, models):
    """A 3 s test clip for the fake camera (scripts/camera_clip.py) of the public-domain astronaut, its ground
    truth the photo pipeline's own eyes on the photo (the core is the reference the camera mode must match)."""
    from PIL import Image

    from googly_eyes.pipeline import analyse_photo
    from scripts.camera_clip import write_clip
    from support import FIXTURES, run

    data = (FIXTURES / "astronaut.jpg").read_bytes()
    faces = run(analyse_photo(data, "astronaut.jpg", models)).faces
    truth = [{"box": face.box.tolist(), "right_eye": list(face.right.centre), "left_eye": list(face.left.centre)}
             for face in faces]
    clip = tmp_path_factory.mktemp("camera") / "astronaut.y4m"
    write_clip(Image.open(FIXTURES / "astronaut.jpg"), truth, clip, frames=90)
    return clip


@pytest.fixture(scope="session")
def camera_browser(playwright, camera_clip):
    """Chromium with a fake camera that plays `camera_clip`, and says yes when a page asks for it."""
    args = CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-video-capture={camera_clip}"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    yield browser
    browser.close()


class Downloaded(NamedTuple):
    name: str  # the file name the page suggested
    data: bytes


class AppPage:
    """One browser tab on the app, with its requests and console errors recorded."""

    def __init__(self, context, url):
        self.context, self.url = context, url
        self.page = context.new_page()
        self.requests, self.errors = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def open(self):
        self.page.goto(self.url)
        self.page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=BOOT_TIMEOUT_MS)
        return self

    def drop(self, files: list[Path | tuple[str, bytes]]):
        """Drop files on the drop zone the way a person's drag-and-drop does (DataTransfer + drop)."""
        payload = []
        for item in files:
            name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
            payload.append({"name": name, "data": base64.b64encode(data).decode()})
        self.page.evaluate("""(files) => {
            const transfer = new DataTransfer();
            for (const {name, data} of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name));
            }
            const zone = document.querySelector('#drop-zone');
            for (const type of ['dragenter', 'dragover', 'drop']) {
                zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
            }
        }""", payload)

    def wait_for_results(self, count: int):
        self.page.wait_for_function(f"window.googly.results.length >= {count}", timeout=PHOTO_TIMEOUT_MS * count)
        return self.page.evaluate("window.googly.results")

    def download(self, button) -> Downloaded:
        """Click `button` (a CSS selector or a Playwright locator) and take the file the browser saves."""
        target = self.page.locator(button) if isinstance(button, str) else button
        with self.page.expect_download() as info:
            target.click()
        return Downloaded(info.value.suggested_filename, Path(info.value.path()).read_bytes())

    def foreign_requests(self) -> list[str]:
        origin = urlsplit(self.url)[:2]
        return [url for url in self.requests
                if urlsplit(url)[:2] != origin and not url.startswith(("blob:", "data:"))]


def app_opener(browser):
    """open_app's opener for `browser`, and the pages it opened."""
    pages = []

    def opener(url, init_script: str | None = None, **context_options):
        """`init_script` runs in every page of the context before the page's own (stand-ins for browser APIs)."""
        context = browser.new_context(accept_downloads=True, **context_options)
        if init_script:
            context.add_init_script(init_script)
        app = AppPage(context, url)
        pages.append(app)
        return app.open()

    return opener, pages


def close_and_check(pages):
    for app in pages:
        foreign = app.foreign_requests()
        app.context.close()
        assert foreign == [], f"requests left the page's origin: {foreign}"


@pytest.fixture
def open_app(browser):
    """Open the app in a fresh context; after the test, assert nothing left the page's origin."""
    opener, pages = app_opener(browser)
    yield opener
    close_and_check(pages)


@pytest.fixture
def open_camera_app(camera_browser):
    """open_app in the browser with the fake camera (camera_browser)."""
    opener, pages = app_opener(camera_browser)
    yield opener
    close_and_check(pages)

"""Privacy by test: with the page's Content-Security-Policy in force, use every feature and check that
nothing was sent anywhere. Every request is recorded (the page's, its Python worker's, onnxruntime's
thread workers' and the service worker's): all of them must be GETs to the page's own origin with no
body. A probe shows the policy is really enforced: a request to another site is blocked by it."""

import io
import json
import zipfile
from urllib.parse import urlsplit

from conftest import AppPage
from support import FIXTURES

ASTRONAUT = FIXTURES / "astronaut.jpg"
CAT = FIXTURES / "chelsea_cat.jpg"

VIOLATIONS = """
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(
    { directive: event.effectiveDirective, blocked: event.blockedURI }));
"""


def settle(page):
    page.wait_for_function("window.googly.photos.every((p) => p.status !== 'waiting' && !p.rendering)",
                           timeout=60_000)


def test_every_feature_sends_nothing_anywhere(browser, server_url, group_photo):
    context = browser.new_context(accept_downloads=True)
    requests = []
    context.on("request", lambda request: requests.append(
        (request.method, request.url, request.post_data_buffer)))
    app = AppPage(context, server_url)  # for its download helper: this test goes to the page itself
    page = app.page
    page.add_init_script(VIOLATIONS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url)
    csp = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=180_000)
    page.wait_for_function("document.querySelector('#offline-status')?.textContent.includes('offline')",
                           timeout=120_000)

    # Batch: three photos (a group, one face, a cat) and a file that is not an image.
    page.set_input_files("#file-input", [str(group_photo), str(ASTRONAUT), str(CAT)])
    page.set_input_files("#file-input", files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                                "buffer": b"not a photo at all"}])
    page.wait_for_function("window.googly.results.length >= 4", timeout=240_000)

    # The editor, every control.
    page.locator("#results .result").filter(has_text=ASTRONAUT.name).locator(".edit").click()
    for style in ("glossy", "cartoon"):
        page.check(f"input[name=style][value={style}]")
    page.check("input[name=sizing][value=eye_width]")
    page.locator("#gamma").focus()
    page.keyboard.press("ArrowRight")
    page.check("input[name=pupil_mode][value=gravity]")
    page.check("input[name=pupil_mode][value=look_at]")
    settle(page)
    box = page.locator("#stage-image").bounding_box()
    page.mouse.click(box["x"] + 10, box["y"] + 10)
    page.fill("#seed", "42")
    page.locator("#seed").press("Tab")
    page.click("#reroll-all")
    settle(page)
    page.check("input[name=tool][value=add-pair]")
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.8)
    settle(page)
    handle = page.locator("#overlay .eye-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("r")
    page.keyboard.press("Delete")
    page.click("#undo")
    page.click("#redo")
    page.click("#compare")
    page.click("#compare")
    page.check("#show-debug")
    settle(page)
    image = app.download("#editor-download").data
    page.click("#make-default")
    page.click("#reset-photo")
    settle(page)
    page.click("#editor-close")

    # Downloads: one image, one JSON, and everything as a ZIP in each output format.
    card = page.locator("#results .result").filter(has_text=group_photo.name)
    json.loads(app.download(card.locator(".download-json")).data)
    for fmt in ("png", "webp", "jpeg"):
        page.select_option("#output-format", fmt)
        archive = zipfile.ZipFile(io.BytesIO(app.download("#download-all").data))
        assert len(archive.namelist()) == 4  # three photos and detections.json
    assert image[:3] == b"\xff\xd8\xff"  # the editor's download: a JPEG, as the original

    # The policy is enforced: a request to another site is refused by the browser itself.
    blocked = page.evaluate("""() => fetch('https://example.com/upload', {method: 'POST', body: 'x'})
        .then(() => 'sent', (error) => 'refused')""")
    assert blocked == "refused"
    violations = page.evaluate("window.__violations")
    assert [v["directive"] for v in violations] == ["connect-src"], violations  # only the probe
    context.close()

    origin = urlsplit(server_url)[:2]
    ours = [(method, url, body) for method, url, body in requests if not url.startswith(("blob:", "data:"))]
    # Not even the probe left: the browser refused it before any request was made.
    assert [url for _, url, _ in ours if urlsplit(url)[:2] != origin] == []
    assert [(method, url) for method, url, body in ours if method != "GET" or body] == []
    # The worker's own requests are in the log too (the models are fetched by the Python worker).
    assert any(url.endswith("models/face_detector.int8.onnx") for _, url, _ in ours)
    assert errors == []

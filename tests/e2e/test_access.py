"""Accessibility, phones and responsiveness in real headless Chromium: keys only, names, small screens, no freezes."""

import base64
import statistics
import time

from PIL import Image, ImageOps

from support import FIXTURES, REPO

ASTRONAUT = FIXTURES / "astronaut.jpg"
CAT = FIXTURES / "chelsea_cat.jpg"
SCREENSHOTS = REPO / "test-results" / "screenshots"

# What the focused element looks like: its outline and shadow, its label's (a visually hidden file
# input and radios show focus on their <label>), and for a googly-eye handle its ring. `key` names the
# element so it can be found again after the overlay is redrawn.
PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const handle = el.closest('.eye-handle');
  const key = el.id ? '#' + el.id
    : handle ? `.eye-handle[data-key="${handle.dataset.key}"]`
    : el.name && el.type === 'radio' ? `input[name="${el.name}"][value="${el.value}"]`
    : (() => { if (!el.dataset.probe) el.dataset.probe = String(Math.random()).slice(2); return `[data-probe="${el.dataset.probe}"]`; })();
  return { key, tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40),
           inDialog: !!el.closest('dialog'), look: window.__look(el) };
}"""
LOOK = """() => { window.__look = (el) => {
  const parts = [];
  for (const node of [el, el.labels?.[0], el.closest('label')]) {
    if (!node) continue;
    const s = getComputedStyle(node);
    parts.push(s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, s.boxShadow);
  }
  const ring = el.querySelector?.('.ring');
  if (ring) { const s = getComputedStyle(ring); parts.push(`ring ${s.stroke} ${s.strokeWidth} ${s.filter}`); }
  return parts.join(' | ');
}; }"""


def active(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement?.matches(s)", selector)


def tab_to(page, selector: str, limit: int = 80, key: str = "Tab") -> None:
    for _ in range(limit):
        page.keyboard.press(key)
        if active(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector}")


def walk_focus(page, start_in_dialog: bool, limit: int = 120) -> list[dict]:
    """Tab through every stop once; for each, how it looks focused and (after Tab moves on) unfocused."""
    page.evaluate(LOOK)
    seen, stops = set(), []
    for _ in range(limit):
        page.keyboard.press("Tab")
        page.wait_for_timeout(30)
        stop = page.evaluate(PROBE)
        if stops:
            stops[-1]["blurred"] = page.evaluate("(k) => { const e = document.querySelector(k); return e ? window.__look(e) : null; }",
                                                 stops[-1]["key"])
        if stop is None:  # past the end: the page's walk is over, the modal dialog's wraps round
            if stops and not start_in_dialog:
                break
            continue
        if start_in_dialog and not stop["inDialog"]:
            continue
        if stop["key"] in seen:
            break
        seen.add(stop["key"])
        stops.append(stop)
    return stops


def assert_focus_visible(stops: list[dict]) -> None:
    compared = [s for s in stops if s.get("blurred") is not None]  # an element may be gone once Tab moved on
    assert len(compared) >= 0.9 * len(stops), f"only {len(compared)} of {len(stops)} focus stops could be compared"
    invisible = [(s["tag"], s["text"], s["look"]) for s in compared if s["look"] == s["blurred"]]
    assert not invisible, f"no visible focus indicator on: {invisible}"


def eyes(page, index: int = 0) -> list[dict]:
    return page.evaluate(f"window.googly.photos[{index}].result.eyes")


def wait_idle(page, index: int = 0) -> None:
    """Wait until the photo's latest change has been rendered."""
    page.wait_for_function(f"(() => {{ const p = window.googly.photos[{index}]; return p.status === 'done' && !p.rendering; }})()")


# ---- 1. Keys only ------------------------------------------------------------------------------

def test_keyboard_only(open_app, server_url, group_photo):
    app = open_app(server_url)
    page = app.page
    tab_to(page, "#file-input")
    assert page.evaluate("getComputedStyle(document.querySelector('label[for=file-input]')).outlineStyle") != "none"
    page.set_input_files("#file-input", [str(group_photo)])  # a file chooser cannot be driven by keys
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3

    page_stops = walk_focus(page, start_in_dialog=False)
    kinds = {s["key"] for s in page_stops}
    assert {"#download-all", "#output-format", "#output-quality"} <= kinds, kinds
    assert_focus_visible(page_stops)

    page.keyboard.press("Shift+Tab")  # back from wherever the walk ended to the card
    tab_to(page, ".result .edit")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#editor').open")
    assert page.evaluate("document.querySelector('#editor').contains(document.activeElement)")

    tab_to(page, ".eye-handle")
    key = page.evaluate("document.activeElement.closest('.eye-handle').dataset.key")
    before = next(eye for eye in eyes(page) if eye["key"] == key)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    after = next(eye for eye in eyes(page) if eye["key"] == key)
    assert after["centre"][0] > before["centre"][0] + 1 and abs(after["centre"][1] - before["centre"][1]) < 0.5
    assert abs(page.evaluate("window.googly.photos[0].edits.eyes")[key]["centre"][0] - after["centre"][0]) < 0.01
    assert active(page, f'.eye-handle[data-key="{key}"]'), "focus left the googly eye after it moved"

    count = len(eyes(page))
    page.keyboard.press("Delete")
    wait_idle(page)
    assert len(eyes(page)) == count - 1
    assert page.evaluate("document.querySelector('#editor').contains(document.activeElement)"), \
        "focus fell out of the editor when the focused googly eye was deleted"
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
    page.keyboard.press("Control+z")
    wait_idle(page)
    assert len(eyes(page)) == count and any(eye["key"] == key for eye in eyes(page)), focused

    tab_to(page, 'input[name="style"]')
    assert active(page, 'input[name="style"][value="classic"]')
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    assert active(page, 'input[name="style"][value="glossy"]')
    assert page.evaluate("window.googly.photos[0].settings.style") == "glossy"

    dialog_stops = walk_focus(page, start_in_dialog=True)
    tags = {s["tag"] for s in dialog_stops}
    assert {"button", "input", "g"} <= tags, [s["key"] for s in dialog_stops]  # buttons, radios/sliders/checkbox, googly-eye handles
    assert any(s["key"] == "#gamma" for s in dialog_stops)
    assert_focus_visible(dialog_stops)

    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('#editor').open")
    assert active(page, ".result .edit"), page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
    assert app.errors == []


# ---- 2. Names, alt text, the live region -----------------------------------------------------------

UNNAMED = """(root) => [...root.querySelectorAll('input, select, button, textarea, progress, [role=button], [tabindex]:not([tabindex="-1"])')]
  .filter((el) => {
    const labelled = el.getAttribute('aria-labelledby')?.split(/\\s+/).map((id) => document.getElementById(id)?.textContent.trim()).join('');
    const labels = [...(el.labels ?? [])].map((label) => label.textContent.trim()).join('');
    const own = el.tagName === 'BUTTON' || el.getAttribute('role') === 'button' ? el.textContent.trim() : '';
    return !(labelled || labels || el.getAttribute('aria-label')?.trim() || own || el.title?.trim());
  })
  .map((el) => el.outerHTML.slice(0, 100))"""


def test_every_control_has_a_name_and_results_are_announced(open_app, server_url, group_photo):
    app = open_app(server_url)
    page = app.page
    status = page.locator("#status")
    assert status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"
    page.evaluate("""() => { window.__spoken = [];
        new MutationObserver(() => window.__spoken.push(document.querySelector('#status').textContent))
          .observe(document.querySelector('#status'), {childList: true, characterData: true, subtree: true}); }""")
    app.drop([group_photo, CAT])
    app.wait_for_results(2)
    spoken = page.evaluate("window.__spoken")
    assert any(f"{group_photo.name}:" in text and "got googly eyes" in text for text in spoken), spoken

    unnamed = page.evaluate(UNNAMED, page.locator("body").element_handle())
    assert unnamed == [], "\n".join(unnamed)
    alts = page.locator("#results .result img").evaluate_all("(imgs) => imgs.map((img) => img.alt.trim())")
    assert len(alts) == 2 and all(alts), alts
    assert any("googly eyes" in alt for alt in alts)

    page.locator(".result .edit").last.click()  # the group photo was dropped first: it is last
    page.wait_for_function("document.querySelector('#editor').open && document.querySelector('.eye-handle')")
    assert page.evaluate(UNNAMED, page.locator("#editor").element_handle()) == []
    assert page.locator("#stage-image").get_attribute("alt").strip()
    assert page.locator("#editor").get_attribute("aria-labelledby") == "editor-title"
    assert "Edit" in page.locator("#editor-title").inner_text()
    assert app.errors == []


# ---- 3. Phones, and the pictures for the release notes ----------------------------------------------

def shot(page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    image = Image.open(path)
    colours = len(set(image.convert("RGB").resize((200, 200)).getdata()))
    assert path.stat().st_size > 20_000 and colours > 500, (name, path.stat().st_size, colours)


def no_horizontal_scroll(page, width: int) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    for box in page.locator("#results .result").evaluate_all("(els) => els.map((e) => e.getBoundingClientRect().toJSON())"):
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_phone(open_app, server_url, group_photo):
    app = open_app(server_url, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = app.page
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    page.set_input_files("#file-input", [str(CAT), str(group_photo)])
    records = app.wait_for_results(2)
    assert all(record["ok"] for record in records)
    no_horizontal_scroll(page, 375)
    page.locator("#batch").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#batch').getBoundingClientRect().top + scrollY - 8)")
    shot(page, "phone-gallery.png")

    group = next(i for i, p in enumerate(page.evaluate("window.googly.photos.map((p) => p.name)")) if p == group_photo.name)
    page.locator(f'.result .edit[aria-label="Edit {group_photo.name}"]').tap()
    page.wait_for_function("document.querySelector('#editor').open && document.querySelector('.eye-handle')")
    page.wait_for_timeout(300)
    dialog = page.locator("#editor").bounding_box()
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= 375, dialog
    assert page.evaluate("(() => { const d = document.querySelector('#editor'); return d.scrollWidth <= d.clientWidth; })()")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    image = page.locator("#stage-image").bounding_box()
    assert image["width"] > 300 and image["x"] >= 0 and image["x"] + image["width"] <= 375, image
    assert image["y"] >= 0 and image["y"] + image["height"] <= 740, image
    for selector in ["#editor-close", "#undo", "#controls", 'label:has(input[value="add-one"])', "#gamma", "#editor-download"]:
        element = page.locator(selector)
        element.scroll_into_view_if_needed()
        box = element.bounding_box()
        assert element.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 375, (selector, box)
    # Buttons are big enough to tap.
    for box in page.locator("#editor button:visible").evaluate_all("(els) => els.map((e) => e.getBoundingClientRect().height)"):
        assert box >= 32, box

    page.locator("#stage").scroll_into_view_if_needed()
    shot(page, "phone-editor.png")
    page.locator('label:has(input[value="add-one"])').tap()
    assert page.evaluate("document.querySelector('input[value=add-one]').checked")
    count = len(eyes(page, group))
    page.locator("#stage-image").scroll_into_view_if_needed()
    image = page.locator("#stage-image").bounding_box()
    page.touchscreen.tap(image["x"] + image["width"] * 0.06, image["y"] + image["height"] * 0.94)
    wait_idle(page, group)
    assert len(eyes(page, group)) == count + 1
    assert page.evaluate(f"window.googly.photos[{group}].edits.added.length") == 1
    assert app.errors == []


def test_desktop_screenshots(open_app, server_url, group_photo):
    app = open_app(server_url, viewport={"width": 1280, "height": 860})
    page = app.page
    page.set_input_files("#file-input", [str(group_photo), str(ASTRONAUT), str(CAT)])
    records = app.wait_for_results(3)
    assert all(record["ok"] for record in records)
    no_horizontal_scroll(page, 1280)
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    shot(page, "desktop-gallery.png", full_page=True)
    page.locator(f'.result .edit[aria-label="Edit {group_photo.name}"]').click()
    page.wait_for_function("document.querySelector('#editor').open && document.querySelector('.eye-handle')")
    assert not page.locator("#show-debug").is_checked()
    page.locator("#editor-close").focus()
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(300)
    box = page.locator("#editor").bounding_box()
    assert box["width"] <= 1280 and box["height"] <= 860, box
    shot(page, "desktop-editor.png")
    assert app.errors == []


# ---- 4. The page never freezes ---------------------------------------------------------------------

def big_photos(tmp_path, count: int = 20) -> list:
    """Large JPEGs (4000 x 3000) with faces: the group photo and the astronaut, scaled up, placed differently."""
    from support import DEV_GROUP, collage_of_faces

    group = Image.open(DEV_GROUP if DEV_GROUP.exists() else collage_of_faces(tmp_path / "collage.jpg")).convert("RGB")
    astronaut = Image.open(ASTRONAUT).convert("RGB")
    paths = []
    for index in range(count):
        canvas = Image.new("RGB", (4000, 3000), (40 + 9 * index, 90, 140))
        scale = 2.0 + 0.05 * index
        background = group.resize((int(group.width * scale), int(group.height * scale)), Image.BILINEAR)
        canvas.paste(ImageOps.mirror(background) if index % 2 else background, (-37 * index, -23 * index))
        head = astronaut.resize((900, 900), Image.BILINEAR)
        canvas.paste(head, (3000 - 40 * index, 2000 - 30 * index))
        path = tmp_path / f"big-{index:02d}.jpg"
        canvas.save(path, quality=85)
        paths.append(path)
    return paths


def test_page_never_freezes_during_a_big_batch(open_app, server_url, tmp_path):
    photos = big_photos(tmp_path)
    app = open_app(server_url)
    page = app.page
    page.evaluate("window.__files = []")
    for path in photos:  # into the page one at a time, then one drop
        page.evaluate("""([name, data]) => window.__files.push(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, {type: 'image/jpeg'}))""",
                      [path.name, base64.b64encode(path.read_bytes()).decode()])
    page.evaluate("""() => {
      const probe = window.__probe = { longTasks: [], gaps: [], clicks: [], scrolls: [], running: true };
      new PerformanceObserver((list) => { for (const entry of list.getEntries()) probe.longTasks.push(entry.duration); })
        .observe({ type: 'longtask' });
      let last = performance.now();
      const frame = (now) => { probe.gaps.push(now - last); last = now; if (probe.running) requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      // Time from an input event to the next frame that shows the reaction.
      const reaction = (list) => (event) => { const start = event.timeStamp; requestAnimationFrame(() => setTimeout(() => list.push(performance.now() - start))); };
      document.addEventListener('click', reaction(probe.clicks), true);
      document.addEventListener('scroll', reaction(probe.scrolls), true);
      probe.started = performance.now();
      const transfer = new DataTransfer();
      for (const file of window.__files) transfer.items.add(file);
      const zone = document.querySelector('#drop-zone');
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
      window.__files = null;
    }""")
    started = time.monotonic()

    # While the batch runs: open a finished photo in the editor and close it, change the format, scroll.
    page.wait_for_function("window.googly.results.length >= 2", timeout=180_000)
    assert page.evaluate("window.googly.results.length") < 20, "the batch finished before it could be poked"
    edit = page.locator(".result:not(.pending) .edit").first
    t0 = time.monotonic()
    edit.click()
    page.wait_for_function("document.querySelector('#editor').open", timeout=5_000, polling="raf")
    open_ms = (time.monotonic() - t0) * 1000
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('#editor').open", timeout=5_000, polling="raf")
    t0 = time.monotonic()
    page.select_option("#output-format", "png")
    page.wait_for_function("document.querySelector('#output-quality').disabled", timeout=5_000, polling="raf")
    format_ms = (time.monotonic() - t0) * 1000
    page.select_option("#output-format", "auto")
    for y in (400, 1200, 0):
        page.mouse.wheel(0, y or -1600)
        page.wait_for_timeout(200)
    during = page.evaluate("window.googly.results.length")

    records = app.wait_for_results(20)
    batch_s = time.monotonic() - started
    probe = page.evaluate("(() => { window.__probe.running = false; return window.__probe; })()")
    assert len(records) == 20 and all(record["ok"] for record in records), [r for r in records if not r["ok"]]
    gaps = sorted(probe["gaps"])
    p95 = gaps[int(0.95 * (len(gaps) - 1))] if gaps else float("nan")
    longest = max(probe["longTasks"], default=0.0)
    print(f"\n[no-freeze] 20 photos 4000x3000 in {batch_s:.1f} s (poked at {during}/20); "
          f"long tasks: {len(probe['longTasks'])}, max {longest:.0f} ms; rAF gaps: p95 {p95:.0f} ms, max {gaps[-1]:.0f} ms, "
          f"median {statistics.median(gaps):.1f} ms; click->frame {[round(c) for c in probe['clicks']]} ms; "
          f"scroll->frame max {max(probe['scrolls'], default=0):.0f} ms; editor open {open_ms:.0f} ms, format change {format_ms:.0f} ms (incl. CDP)")
    assert longest < 1000, probe["longTasks"]
    assert open_ms < 1000 and format_ms < 1000
    assert app.errors == []

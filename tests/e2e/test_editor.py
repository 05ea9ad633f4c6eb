"""The photo editor in real headless Chromium against the real models: controls, pupil modes, the debug
overlay, hand fix-ups with undo/redo, per-photo looks and defaults, before/after.

Every check ends in what a user takes home: the downloaded image's bytes or pixels and the downloaded
JSON, rendered by the same Python as the page. A render is awaited through window.googly.photos[i]
(`rendering` falsy and the expected state visible in result.eyes).
"""

import base64
import io
import json
import math

import numpy as np
from PIL import Image
import pytest

from conftest import AppPage
from support import FIXTURES

ASTRONAUT = FIXTURES / "astronaut.jpg"
RENDER_TIMEOUT_MS = 30_000


# ---- Helpers ------------------------------------------------------------------------------------

def photo_index(app, name: str) -> int:
    return app.page.evaluate("(name) => window.googly.photos.findIndex((p) => p.name === name)", name)


def card(app, name: str):
    return app.page.locator("#results .result").filter(has_text=name)


def settle(app, index: int = 0, expect: str = "true"):
    """Wait until photo `index` is not rendering and `expect` (a JS expression of `p`, the photo) holds."""
    app.page.wait_for_function(
        f"() => {{ const p = window.googly.photos[{index}]; return p && p.result && p.result.eyes && !p.rendering"
        f" && ({expect}); }}", timeout=RENDER_TIMEOUT_MS)
    return app.page.evaluate(f"window.googly.photos[{index}].result.eyes")


def editor_open(app) -> bool:
    return app.page.evaluate("document.querySelector('#editor').open")


def open_editor(app, name: str):
    if not editor_open(app):
        card(app, name).locator(".edit").click()
    assert editor_open(app)


def close_editor(app):
    if editor_open(app):
        app.page.click("#editor-close")
    assert not editor_open(app)


def download_card(app, name: str, what: str) -> bytes:
    """The card's Download / JSON button (behind the modal editor: close it, download, open it again)."""
    was_open = editor_open(app)
    close_editor(app)
    data = app.download(card(app, name).locator(f".download-{what}")).data
    if was_open:
        open_editor(app, name)
    return data


def download_json(app, name: str) -> dict:
    return json.loads(download_card(app, name, "json"))


def editor_download(app) -> bytes:
    return app.download("#editor-download").data


def choose(app, name: str, value: str):
    """Click the label of a radio button, as a person does."""
    app.page.locator("#controls label", has=app.page.locator(f'input[name="{name}"][value="{value}"]')).click()
    assert app.page.is_checked(f'input[name="{name}"][value="{value}"]')


def set_seed(app, seed: int):
    app.page.fill("#seed", str(seed))
    app.page.press("#seed", "Tab")  # the number input commits on change (blur)


def googly(document: dict) -> dict:
    """key -> googly eye geometry, for every detected and added eye of the first image."""
    image = document["images"][0]
    eyes = {eye["key"]: eye for face in image["faces"] for eye in face["googly_eyes"].values()}
    eyes.update({eye["key"]: eye for eye in image["added_googly_eyes"]})
    return eyes


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), float)


def photo_per_screen_px(app, index: int = 0) -> float:
    width = app.page.evaluate(f"window.googly.photos[{index}].result.width")
    return width / app.page.locator("#stage-image").bounding_box()["width"]


def show_stage(app):
    """Scroll the photo back into view: at 1280x720 the editor scrolls as one, so using the lower
    controls scrolls the photo away (a person scrolls back up too)."""
    app.page.evaluate("document.querySelector('#stage').scrollIntoView({block: 'end'})")


def to_screen(app, point, index: int = 0) -> tuple[float, float]:
    show_stage(app)
    box = app.page.locator("#stage-image").bounding_box()
    scale = photo_per_screen_px(app, index)
    return box["x"] + point[0] / scale, box["y"] + point[1] / scale


def centre_of(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(app, start, offset, steps: int = 8):
    mouse = app.page.mouse
    mouse.move(*start)
    mouse.down()
    mouse.move(start[0] + offset[0], start[1] + offset[1], steps=steps)
    mouse.up()


# ---- One page with the group photo, shared by the tests that only change its look ------------------

@pytest.fixture(scope="module")
def group_app(browser, server_url, group_photo):
    context = browser.new_context(accept_downloads=True)
    app = AppPage(context, server_url).open()
    app.drop([group_photo])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] >= 3, record
    app.name = group_photo.name
    yield app
    foreign = app.foreign_requests()
    context.close()
    assert foreign == [], f"requests left the page's origin: {foreign}"


@pytest.fixture
def group(group_app):
    """The shared page, its photo back to the default look, the editor closed, no debug overlay."""
    app = group_app
    open_editor(app, app.name)
    if app.page.is_enabled("#reset-photo"):
        app.page.click("#reset-photo")
    if app.page.is_checked("#show-debug"):
        app.page.uncheck("#show-debug")
    settle(app, 0, "p.settings === null && !Object.keys(p.edits.eyes).length && !p.edits.added.length")
    close_editor(app)
    yield app
    assert app.errors == []


# ---- 1. Controls change the output; the same seed reproduces it ------------------------------------

def test_controls_change_the_download_and_the_seed_reproduces_it(group):
    app, name = group, group.name
    first_json = download_json(app, name)
    first_image = download_card(app, name, "image")
    first = googly(first_json)
    assert first_json["settings"]["seed"] == 0 and first_json["settings"]["style"] == "classic"
    assert len(first) >= 6

    open_editor(app, name)
    choose(app, "style", "cartoon")
    settle(app)
    cartoon_image = editor_download(app)
    assert cartoon_image != first_image
    assert np.abs(pixels(cartoon_image) - pixels(first_image)).max() > 100  # a visibly different drawing

    set_seed(app, 7)
    settle(app, 0, "p.settings && p.settings.seed === 7")
    seven = googly(download_json(app, name))
    assert seven.keys() == first.keys()
    assert all(seven[key]["centre"] == first[key]["centre"] for key in first)  # the seed moves pupils only
    moved = [key for key in first if seven[key]["pupil_centre"] != first[key]["pupil_centre"]]
    assert len(moved) == len(first), moved

    set_seed(app, 0)
    choose(app, "style", "classic")
    settle(app, 0, "p.settings.seed === 0 && p.settings.style === 'classic'")
    again = download_json(app, name)
    assert googly(again) == first  # exactly the same geometry
    assert again["settings"] == first_json["settings"]
    assert editor_download(app) == first_image  # and byte for byte the same file

    app.page.click("#reroll-all")
    new_seed = app.page.input_value("#seed")
    assert new_seed != "0"
    settle(app, 0, f"p.settings.seed === {int(new_seed)}")
    rerolled = download_json(app, name)
    assert rerolled["settings"]["seed"] == int(new_seed)
    assert all(googly(rerolled)[key]["pupil_centre"] != first[key]["pupil_centre"] for key in first)

    # The eye-size slider (keyboard step: 0.50 -> 0.55) scales every googly eye, pupils included.
    app.page.focus("#gamma")
    app.page.keyboard.press("ArrowRight")
    settle(app, 0, "p.settings.gamma === 0.55")
    assert app.page.inner_text("#gamma-value") == "0.55"
    bigger = googly(download_json(app, name))
    for key, eye in googly(rerolled).items():
        assert bigger[key]["centre"] == eye["centre"]
        assert bigger[key]["radius"] == pytest.approx(eye["radius"] * 1.1, abs=0.002)
        assert bigger[key]["pupil_radius"] == pytest.approx(eye["pupil_radius"] * 1.1, abs=0.002)


# ---- 2. Pupil modes: gravity and look at ---------------------------------------------------------

def test_gravity_drops_every_pupil_and_look_at_aims_them(group):
    app, name = group, group.name
    open_editor(app, name)
    choose(app, "pupil_mode", "gravity")
    settle(app, 0, "p.settings && p.settings.pupil_mode === 'gravity'")
    document = download_json(app, name)
    eyes = googly(document)
    assert document["settings"]["pupil_mode"] == "gravity" and len(eyes) >= 6
    for key, eye in eyes.items():
        (cx, cy), (px, py) = eye["centre"], eye["pupil_centre"]
        assert abs(px - cx) <= 0.01, (key, eye)
        assert abs((py - cy) - (eye["radius"] - eye["pupil_radius"])) <= 0.01, (key, eye)

    choose(app, "pupil_mode", "look_at")
    assert app.page.is_visible("#look-at-hint")
    settle(app, 0, "p.settings.pupil_mode === 'look_at'")
    faces = document["images"][0]["faces"]
    left_edge = min(face["box"][0] for face in faces)
    assert left_edge > 10, "the photo needs room left of every face"
    target = (left_edge / 2, sum(face["box"][1] for face in faces) / len(faces))
    app.page.mouse.click(*to_screen(app, target))
    settle(app, 0, "p.settings.look_at !== null && p.settings.look_at !== undefined")
    document = download_json(app, name)
    look_at = document["settings"]["look_at"]
    assert math.dist(look_at, target) <= 2 * photo_per_screen_px(app), (look_at, target)
    for key, eye in googly(document).items():
        assert eye["pupil_centre"][0] < eye["centre"][0], (key, eye)


# ---- 3. The debug overlay never reaches a download ---------------------------------------------------

def test_debug_overlay_is_on_screen_only(group):
    app, name = group, group.name
    open_editor(app, name)
    assert app.page.locator("#overlay .debug").count() == 0
    plain = editor_download(app)

    app.page.check("#show-debug")
    faces = app.page.evaluate("window.googly.photos[0].result.faces.length")
    assert app.page.locator("#overlay .debug").count() == 1
    assert app.page.locator("#overlay .debug .face-box").count() == faces >= 3
    assert app.page.locator("#overlay .debug .contour").count() >= 2 * faces - 2
    with_debug = editor_download(app)
    assert with_debug == plain
    card_image = download_card(app, name, "image")
    assert card_image == plain
    assert app.page.is_checked("#show-debug")  # still on after closing and opening the editor
    app.page.uncheck("#show-debug")
    assert app.page.locator("#overlay .debug").count() == 0


# ---- 4. Fix-ups by hand: move, resize, delete, add, undo, redo ---------------------------------------

def test_fix_ups_by_hand_with_undo_and_redo(open_app, server_url):
    app = open_app(server_url)
    app.drop([ASTRONAUT])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1, record
    name = ASTRONAUT.name
    original = googly(download_json(app, name))
    assert original.keys() == {"0:right", "0:left"}
    eye0 = original["0:right"]

    open_editor(app, name)
    scale = photo_per_screen_px(app)
    show_stage(app)
    handle = app.page.locator('#overlay .eye-handle[data-key="0:right"]')
    start = centre_of(handle.locator(".ring"))
    offset = (40, 25)
    drag(app, start, offset)
    settle(app, 0, "p.result.eyes.find((e) => e.key === '0:right').centre[0] !== %r" % eye0["centre"][0])
    moved = googly(download_json(app, name))
    dx, dy = (moved["0:right"]["centre"][i] - eye0["centre"][i] for i in range(2))
    assert abs(dx - offset[0] * scale) <= 1.5 and abs(dy - offset[1] * scale) <= 1.5, (dx, dy, scale)
    assert moved["0:left"] == original["0:left"]  # only that eye moved

    # Select the eye (a click; the editor was closed for the JSON): its resize square shows; drag it outward.
    show_stage(app)
    app.page.mouse.click(*centre_of(handle.locator(".ring")))
    square = app.page.locator('#overlay .eye-handle[data-key="0:right"] .resize')
    assert square.count() == 1
    drag(app, centre_of(square), (20, 20))
    settle(app, 0, "p.result.eyes.find((e) => e.key === '0:right').radius > %r + 5" % eye0["radius"])
    resized = googly(download_json(app, name))
    assert resized["0:right"]["radius"] > eye0["radius"] + 20 * scale
    assert resized["0:right"]["centre"] == moved["0:right"]["centre"]

    app.page.locator('#overlay .eye-handle[data-key="0:right"]').focus()
    assert app.page.is_enabled("#delete-eye")
    app.page.click("#delete-eye")
    settle(app, 0, "!p.result.eyes.some((e) => e.key === '0:right')")
    deleted = download_json(app, name)
    assert "right" not in deleted["images"][0]["faces"][0]["googly_eyes"]
    assert googly(deleted).keys() == {"0:left"}

    choose(app, "tool", "add-pair")
    point = (0.2 * record["width"], 0.15 * record["height"])
    app.page.mouse.click(*to_screen(app, point))
    settle(app, 0, "p.result.eyes.length === 3")
    added = download_json(app, name)["images"][0]["added_googly_eyes"]
    assert len(added) == 2
    assert all(abs(eye["centre"][1] - point[1]) <= 2 * scale for eye in added)
    assert added[0]["centre"][0] < point[0] < added[1]["centre"][0]
    assert app.page.is_checked('input[name="tool"][value="move"]')  # back to moving after adding

    keys = "p.result.eyes.map((e) => e.key).sort().join(',')"
    # Undo (the button): the added pair goes.
    app.page.click("#undo")
    settle(app, 0, f"{keys} === '0:left'")
    # Ctrl+Z: the deleted eye is back, with its hand-set size.
    app.page.keyboard.press("Control+z")
    eyes = settle(app, 0, f"{keys} === '0:left,0:right'")
    right = next(eye for eye in eyes if eye["key"] == "0:right")
    assert right["radius"] == pytest.approx(resized["0:right"]["radius"], abs=0.01)
    # Ctrl+Z: the size is undone, the move kept.
    app.page.keyboard.press("Control+z")
    settle(app, 0, "Math.abs(p.result.eyes.find((e) => e.key === '0:right').radius - %r) < 0.01" % eye0["radius"])
    assert googly(download_json(app, name)) == moved
    # Ctrl+Z: back to the detector's eyes.
    app.page.keyboard.press("Control+z")
    settle(app, 0, "p.result.eyes.find((e) => e.key === '0:right').centre[0] === %r" % eye0["centre"][0])
    assert googly(download_json(app, name)) == original
    assert app.page.is_disabled("#undo")

    # Redo: the button, then Ctrl+Shift+Z, re-apply step by step.
    app.page.click("#redo")
    settle(app, 0, "p.result.eyes.find((e) => e.key === '0:right').centre[0] !== %r" % eye0["centre"][0])
    assert googly(download_json(app, name)) == moved
    for _ in range(3):
        app.page.keyboard.press("Control+Shift+z")
    settle(app, 0, "p.result.eyes.length === 3")
    redone = download_json(app, name)
    assert googly(redone).keys() == {"0:left", "a1", "a2"}
    assert redone["images"][0]["added_googly_eyes"] == added
    assert app.page.is_disabled("#redo")

    # R on a focused eye gives it a new pupil; the other eyes keep theirs.
    app.page.locator('#overlay .eye-handle[data-key="0:left"]').focus()
    app.page.keyboard.press("r")
    settle(app, 0, "p.edits.eyes['0:left'] && p.edits.eyes['0:left'].reroll === 1")
    rerolled = googly(download_json(app, name))
    assert rerolled["0:left"]["pupil_centre"] != original["0:left"]["pupil_centre"]
    assert rerolled["0:left"]["centre"] == original["0:left"]["centre"]
    assert {key: rerolled[key] for key in ("a1", "a2")} == {key: googly(redone)[key] for key in ("a1", "a2")}

    # Delete on a focused eye removes it and takes focus with it; Ctrl+Z must still bring it back.
    app.page.locator('#overlay .eye-handle[data-key="a1"]').focus()
    app.page.keyboard.press("Delete")
    settle(app, 0, "!p.result.eyes.some((e) => e.key === 'a1') && p.result.eyes.some((e) => e.key === 'a2')")
    app.page.keyboard.press("Control+z")
    settle(app, 0, "p.result.eyes.some((e) => e.key === 'a1')")
    assert googly(download_json(app, name)) == rerolled
    assert app.errors == []


# ---- 5. Each photo has its own look; "Use for all photos" sets the defaults, kept across reloads --------

def test_looks_are_per_photo_and_defaults_are_kept(open_app, server_url):
    app = open_app(server_url)
    data = ASTRONAUT.read_bytes()
    app.drop([("one.jpg", data), ("two.jpg", data)])
    records = app.wait_for_results(2)
    assert all(record["ok"] and record["faces"] == 1 for record in records), records
    one, two = photo_index(app, "one.jpg"), photo_index(app, "two.jpg")
    two_before = download_card(app, "two.jpg", "image")
    one_before = download_card(app, "one.jpg", "image")
    assert two_before == one_before  # same photo, same look

    open_editor(app, "one.jpg")
    choose(app, "style", "cartoon")
    settle(app, one, "p.settings && p.settings.style === 'cartoon'")
    close_editor(app)
    assert download_card(app, "one.jpg", "image") != one_before
    assert download_card(app, "two.jpg", "image") == two_before  # photo 2 still has the default look
    assert download_json(app, "two.jpg")["settings"]["style"] == "classic"

    open_editor(app, "one.jpg")
    app.page.click("#make-default")
    settle(app, two, "true")
    settle(app, one, "p.settings === null")
    close_editor(app)
    two_after = download_card(app, "two.jpg", "image")
    assert two_after != two_before
    assert download_json(app, "two.jpg")["settings"]["style"] == "cartoon"
    assert download_card(app, "one.jpg", "image") == two_after

    # A new visit: a newly dropped photo gets the saved defaults.
    app.page.reload()
    app.page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=120_000)
    app.drop([("three.jpg", data)])
    [record] = app.wait_for_results(1)
    assert record["ok"]
    assert download_json(app, "three.jpg")["settings"]["style"] == "cartoon"
    assert download_card(app, "three.jpg", "image") == two_after
    open_editor(app, "three.jpg")
    assert app.page.is_checked('input[name="style"][value="cartoon"]')
    assert app.errors == []


# ---- 6. Before / after -----------------------------------------------------------------------------

def image_src_pixels(app) -> np.ndarray:
    """The stage image's pixels, read through a canvas (the page's CSP does not let it fetch blob: URLs)."""
    url = app.page.evaluate("""async () => {
        const img = document.querySelector('#stage-image');
        await img.decode();
        const canvas = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
        canvas.getContext('2d').drawImage(img, 0, 0);
        return canvas.toDataURL('image/png');
    }""")
    return pixels(base64.b64decode(url.split(",", 1)[1]))[:, :, :3]


def test_before_after_swaps_to_the_original_and_back(group):
    app, name = group, group.name
    open_editor(app, name)
    after_src = app.page.get_attribute("#stage-image", "src")
    after = image_src_pixels(app)
    assert app.page.get_attribute("#compare", "aria-pressed") == "false"
    assert app.page.locator("#overlay .eye-handle").count() >= 6

    app.page.click("#compare")
    assert app.page.get_attribute("#compare", "aria-pressed") == "true"
    before_src = app.page.get_attribute("#stage-image", "src")
    assert before_src != after_src
    assert before_src == app.page.evaluate("window.googly.photos[0].result.originalUrl")
    before = image_src_pixels(app)
    assert before.shape == after.shape
    # The googly eyes are white discs: the preview has far more near-white pixels than the original.
    assert (after.min(axis=2) > 240).sum() > (before.min(axis=2) > 240).sum() + 200
    assert app.page.locator("#overlay .eye-handle").count() == 0  # no handles on the original

    app.page.click("#compare")
    assert app.page.get_attribute("#compare", "aria-pressed") == "false"
    assert app.page.get_attribute("#stage-image", "src") == after_src
    assert app.page.locator("#overlay .eye-handle").count() >= 6


# ---- 7. Sliders: the photo follows the drag; letting go is one undo step ---------------------------

def test_slider_drag_renders_live_and_records_one_undo_step(group):
    app = group
    open_editor(app, app.name)
    before = settle(app)
    history = app.page.evaluate("window.googly.photos[0].history.length")
    # A drag fires 'input' events and ends with one 'change'; the photo re-renders during the drag.
    for value in ("0.6", "0.7", "0.8"):
        app.page.eval_on_selector("#gamma", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)
    during = settle(app, 0, "Math.abs(p.result.eyes[0].radius - 1.6 * %r) < 0.01" % before[0]["radius"])
    assert app.page.evaluate("window.googly.photos[0].history.length") == history  # not committed yet
    assert all(math.isclose(d["radius"], 1.6 * b["radius"], rel_tol=1e-3) for d, b in zip(during, before))
    app.page.eval_on_selector("#gamma", "(el) => el.dispatchEvent(new Event('change'))")
    settle(app)
    assert app.page.evaluate("window.googly.photos[0].history.length") == history + 1
    app.page.click("#undo")
    after_undo = settle(app, 0, "Math.abs(p.result.eyes[0].radius - %r) < 0.01" % before[0]["radius"])
    assert [e["radius"] for e in after_undo] == [e["radius"] for e in before]
    close_editor(app)


# ---- 8. The controls are made from the core's settings; saved defaults obey the core's rule ---------

def test_controls_have_exactly_the_core_settings_choices_and_ranges(group):
    from googly_eyes.config import settings_spec

    app, spec = group, settings_spec()
    # The module the page runs is the one the build wrote config.settings_spec() into.
    assert app.page.evaluate("import(new URL('./settings.js', document.baseURI).href).then((m) => m.SPEC)") == spec
    page = app.page.evaluate("""() => {
        const form = document.querySelector('#controls');
        const range = (input) => ({ min: Number(input.min), max: Number(input.max), step: Number(input.step) });
        const radios = {};
        for (const input of form.querySelectorAll('input[type="radio"]:not([name="tool"])')) {
            (radios[input.name] ??= []).push({ value: input.value, label: input.parentElement.textContent.trim(), checked: input.checked });
        }
        const sliders = Object.fromEntries([...form.querySelectorAll('input[type="range"][name]')].map((input) => [input.name, range(input)]));
        const format = document.querySelector('#output-format');
        const options = (id) => [...document.querySelector(id).options].map((option) => ({ value: option.value, label: option.textContent }));
        const animation = { motion: options('#animation-motion'), format: options('#animation-format'),
                            seconds: range(document.querySelector('#animation-seconds')), size: range(document.querySelector('#animation-size')) };
        return { radios, sliders, animation, seed: range(document.querySelector('#seed')),
                 formats: [...format.options].map((option) => ({ value: option.value, label: option.textContent })),
                 format: format.value, quality: { ...range(document.querySelector('#output-quality')),
                 value: Number(document.querySelector('#output-quality').value) } };
    }""")
    look, output = spec["look"], spec["output"]
    choices = {name: field for name, field in look.items() if field["kind"] == "choice"}
    assert page["radios"] == {name: [{**choice, "checked": choice["value"] == field["default"]} for choice in field["choices"]]
                              for name, field in choices.items()}  # the photo follows the factory defaults
    assert page["sliders"] == {name: field["slider"] for name, field in look.items() if "slider" in field}
    assert page["seed"] == {"min": look["seed"]["min"], "max": look["seed"]["max"], "step": 1}
    assert page["formats"] == output["format"]["choices"] and page["format"] == output["format"]["default"]
    assert page["quality"] == {**output["quality"]["slider"], "value": output["quality"]["default"]}
    assert app.page.inner_text("#output-quality-value") == str(output["quality"]["default"])
    animation = spec["animation"]  # the animated download's choices
    assert page["animation"] == {"motion": animation["motion"]["choices"], "format": animation["format"]["choices"],
                                 "seconds": animation["seconds"]["slider"], "size": animation["size"]["slider"]}


def test_a_saved_default_outside_the_ranges_gives_the_factory_look(open_app, server_url):
    from googly_eyes.config import GooglySettings

    factory = GooglySettings().as_dict()
    data = ASTRONAUT.read_bytes()
    app = open_app(server_url)

    def saved_then_dropped(saved: dict, name: str) -> dict:
        """Store `saved` as this browser's defaults, open the page again, drop a photo: its settings."""
        app.page.evaluate("(saved) => localStorage.setItem('googly-eyes:defaults', JSON.stringify(saved))", saved)
        app.page.reload()
        app.page.wait_for_function("window.googly && window.googly.readyMs !== null", timeout=120_000)
        app.drop([(name, data)])
        [record] = app.wait_for_results(1)
        assert record["ok"], record
        return download_json(app, name)["settings"]

    # Every setting out of its range (or of the wrong kind): the factory look, in the file and the editor.
    bad = {"gamma": 2.5, "lambda_min": 0.8, "lambda_max": 0.3, "seed": 2**32, "sizing": "huge",
           "pupil_mode": "up", "look_at": [1, 2], "style": "neon", "colour": "red"}
    assert saved_then_dropped(bad, "bad.jpg") == factory
    open_editor(app, "bad.jpg")
    assert app.page.is_checked(f'input[name="style"][value="{factory["style"]}"]')
    assert app.page.input_value("#gamma") == str(factory["gamma"])
    assert app.page.input_value("#seed") == str(factory["seed"])
    close_editor(app)

    # One setting out of range: only it falls back; the rest of the saved look is kept.
    mixed = {**factory, "gamma": 0.01, "style": "cartoon", "seed": 12}
    assert saved_then_dropped(mixed, "mixed.jpg") == {**factory, "style": "cartoon", "seed": 12}
    assert app.errors == []


# ---- Expressions ----------------------------------------------------------------------------------------

def sparkle_colours(data: bytes, face: dict) -> list[float]:
    """How far (max over R, G, B) the picture is from the sparkle's colour at the middle of each eye's
    sparkle spot (the median of 3 x 3 pixels: the download is a JPEG)."""
    from googly_eyes import config
    image = pixels(data)
    roll = math.radians(face["roll_degrees"])
    across, down = np.array([math.cos(roll), math.sin(roll)]), np.array([-math.sin(roll), math.cos(roll)])
    distances = []
    for side, eye in face["googly_eyes"].items():
        outward = -1.0 if side == "right" else 1.0
        x, y = (np.array(eye["centre"]) + eye["radius"] * (config.SPARKLE_CENTRE[0] * outward * across
                                                           + config.SPARKLE_CENTRE[1] * down))
        patch = image[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2].reshape(-1, 3)
        distances.append(float(np.abs(np.median(patch, axis=0) - config.SPARKLE_COLOUR).max()))
    return distances


def test_a_smiling_face_gets_sparkles_and_the_switch_takes_them_away(open_app, server_url):
    app = open_app(server_url)
    app.drop([("smile.jpg", ASTRONAUT.read_bytes())])
    [record] = app.wait_for_results(1)
    assert record["ok"] and record["faces"] == 1, record
    document = download_json(app, "smile.jpg")
    face = document["images"][0]["faces"][0]
    assert face["expressions"]["smile"] > 0.36 and document["settings"]["expressions"] == "on"
    assert all(eye.get("sparkle") for eye in face["googly_eyes"].values())
    with_sparkles = download_card(app, "smile.jpg", "image")
    on = sparkle_colours(with_sparkles, face)
    assert max(on) < 45

    open_editor(app, "smile.jpg")
    choose(app, "expressions", "off")
    settle(app, 0, "p.settings && p.settings.expressions === 'off'")
    without = editor_download(app)
    off = sparkle_colours(without, face)
    assert min(off) > 60  # the photo's own colours there (79 and 106 here, against 31 and 11 with them)
    assert not any(eye.get("sparkle") for eye in download_json(app, "smile.jpg")["images"][0]["faces"][0]
                   ["googly_eyes"].values())
    assert app.errors == []

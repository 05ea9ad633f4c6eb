"""The settings have one home, config.settings_spec(), and page and core apply the same rule to them.

The build writes the spec into the site's settings.js (scripts/build_site.py stamp_settings); these tests
stamp web/settings.js the same way into a temporary folder and run it under Node, so they need no browser
and no built site. The table of cases goes to both config.GooglySettings.from_dict and settings.js
lookProblems (the rule the page checks saved defaults with): they must accept and refuse the same ones.
"""

from dataclasses import fields
import json
import math
import shutil
import subprocess

import pytest

from googly_eyes import config, photo
from googly_eyes.config import GooglySettings, setting_problem, settings_spec
from scripts import build_site
from support import REPO

FACTORY = GooglySettings().as_dict()
NAN, INF = float("nan"), float("inf")


# ---- The spec itself ----------------------------------------------------------------------------------

def test_spec_is_plain_json_and_describes_googly_settings():
    spec = settings_spec()
    assert json.loads(json.dumps(spec, allow_nan=False)) == spec
    assert list(spec["look"]) == [field.name for field in fields(GooglySettings)]
    assert {name: field["default"] for name, field in spec["look"].items()} == FACTORY
    values = {name: [choice["value"] for choice in field["choices"]]
              for name, field in spec["look"].items() if field["kind"] == "choice"}
    assert values == {"sizing": list(config.SIZING_MODES), "pupil_mode": list(config.PUPIL_MODES),
                      "style": list(config.STYLES), "expressions": ["on", "off"],
                      "background": list(config.BACKGROUND_LABELS)}
    assert [choice["value"] for choice in spec["output"]["format"]["choices"]] == list(photo.OUTPUT_CHOICES)
    assert spec["output"]["format"]["default"] == "auto"
    assert spec["output"]["quality"]["default"] == config.JPEG_QUALITY
    labels = {choice["value"]: choice["label"] for field in [*spec["look"].values(), *spec["output"].values()]
              for choice in field.get("choices", [])}
    assert labels["distance"] == "From eye distance" and labels["look_at"] == "Look at…"
    assert labels["classic"] == "Classic" and labels["auto"] == "Same as original"
    assert all(label.strip() for label in labels.values())


def test_every_slider_stays_inside_what_the_core_accepts():
    spec = settings_spec()
    sliders = {name: field for group in (spec["look"], spec["output"]) for name, field in group.items()
               if "slider" in field}
    assert set(sliders) == {"gamma", "lambda_min", "lambda_max", "quality"}
    for name, field in sliders.items():
        slider = field["slider"]
        assert slider["min"] < slider["max"] and slider["step"] > 0
        steps = (slider["max"] - slider["min"]) / slider["step"]
        assert math.isclose(steps, round(steps)), name  # the ends are reachable
        for value in (slider["min"], slider["max"], field["default"]):
            assert setting_problem(name, field, value) is None, (name, value)
            assert slider["min"] <= field["default"] <= slider["max"]


def test_encoding_refuses_a_quality_outside_the_published_range():
    from PIL import Image

    low, high = config.QUALITY_RANGE
    image = Image.new("RGB", (4, 4))
    assert photo.encode_photo(image, "JPEG", low) and photo.encode_photo(image, "JPEG", high)
    for quality in (low - 1, high + 1):
        with pytest.raises(ValueError, match="quality"):
            photo.encode_photo(image, "JPEG", quality)


def test_settings_keep_a_whole_seed_as_an_integer():
    assert GooglySettings(seed=7.0).seed == 7 and isinstance(GooglySettings(seed=7.0).seed, int)
    assert GooglySettings.from_dict(json.loads('{"seed": 4294967295.0}')).seed == 2**32 - 1


# ---- settings.js, stamped as the build does it, under Node -------------------------------------------

def node() -> str:
    path = shutil.which("node")
    if not path:
        pytest.fail("Node.js is needed to run web/settings.js (./dev build installs it)")
    return path


@pytest.fixture(scope="module")
def settings_module(tmp_path_factory):
    """web/settings.js with config.settings_spec() written in by the build's own step, as an .mjs file."""
    out = tmp_path_factory.mktemp("site")
    shutil.copyfile(REPO / "web" / build_site.SETTINGS_MODULE, out / build_site.SETTINGS_MODULE)
    build_site.stamp_settings(out, build_site.load_settings_spec(REPO))
    module = out / "settings.mjs"
    (out / build_site.SETTINGS_MODULE).rename(module)
    return module


def run_js(module, body: str, data=None):
    """Run `body` (which sets `result`) under Node with `settings` imported and `data` given; its result."""
    # JSON has no NaN or infinities: they travel as {"$float": "NaN"} and a reviver makes them numbers.
    text = json.dumps(revivable(data), allow_nan=False)
    program = (f"import * as settings from {json.dumps(module.as_uri())};\n"
               f"const data = JSON.parse({json.dumps(text)}, (key, value) => "
               f"(value && typeof value === 'object' && '$float' in value ? Number(value.$float) : value));\n"
               f"let result;\n{body}\nprocess.stdout.write(JSON.stringify(result));")
    done = subprocess.run([node(), "--input-type=module", "-e", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def revivable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {key: revivable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [revivable(item) for item in value]
    return value


def test_the_build_writes_the_core_spec_into_settings_js(settings_module):
    assert run_js(settings_module, "result = settings.SPEC;") == settings_spec()
    assert run_js(settings_module, "result = settings.factoryLook();") == FACTORY


def test_settings_js_refuses_to_run_unbuilt(tmp_path):
    module = tmp_path / "settings.mjs"
    shutil.copyfile(REPO / "web" / "settings.js", module)
    done = subprocess.run([node(), module], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "build_site.py" in done.stderr


def test_a_settings_js_without_its_placeholder_fails_the_build(tmp_path):
    (tmp_path / "settings.js").write_text("export const SPEC = {};\n")
    with pytest.raises(build_site.BuildError, match="settings.js"):
        build_site.stamp_settings(tmp_path, settings_spec())


# ---- One rule for saved defaults and the core ------------------------------------------------------------

VALID = {"gamma": 0.7, "lambda_min": 0.3, "lambda_max": 0.8, "seed": 9, "sizing": "eye_width",
         "pupil_mode": "look_at", "look_at": [12, 34.5], "style": "cartoon"}

# (id, settings as the page's JSON would carry them). Whether each is valid is for the two rules to say.
CASES = [
    ("empty", {}), ("factory", FACTORY), ("all changed", VALID), ("nulls are defaults", {"seed": None, "style": None}),
    ("not an object: null", None), ("not an object: list", []), ("not an object: string", "classic"),
    ("not an object: number", 3),
    # gamma: inclusive 0.05..2.0
    *[(f"gamma {value!r}", {"gamma": value}) for value in
      (0.05, 2.0, 0.0499999, 2.0000001, 0, -1, 5, 1, "0.5", True, False, [0.5], {"x": 1}, NAN, INF, -INF)],
    # lambdas: 0 < lambda_min <= lambda_max < 1
    *[(f"lambda_min {value!r}", {"lambda_min": value}) for value in
      (0, 1e-9, 0.6, 0.61, 1.0, -0.1, "0.4", None, NAN)],
    *[(f"lambda_max {value!r}", {"lambda_max": value}) for value in (0.999999, 1.0, 0.4, 0.39, 2, True, INF)],
    ("lambdas crossed", {"lambda_min": 0.7, "lambda_max": 0.5}),
    ("lambdas equal", {"lambda_min": 0.5, "lambda_max": 0.5}),
    ("lambdas both high", {"lambda_min": 0.8, "lambda_max": 0.9}),
    ("lambdas crossed, one also out of range", {"lambda_min": 0.7, "lambda_max": 1.5}),
    # seed: a whole number within 0..2**32 - 1
    *[(f"seed {value!r}", {"seed": value}) for value in
      (0, 2**32 - 1, 2**32, -1, 1.5, 1.0, -0.0, 1e20, 2**53 + 2, "3", True, NAN, [1])],
    # choices: a value (not its label), exactly
    *[(f"{name} {value!r}", {name: value}) for name, values in
      (("sizing", ("eye_width", "big", "", 1)), ("pupil_mode", ("gravity", "look_at", "sideways", "Random")),
       ("style", ("glossy", "neon", "Classic", ["classic"], False)))
      for value in values],
    # look_at: null or two finite numbers
    *[(f"look_at {value!r}", {"pupil_mode": "look_at", "look_at": value}) for value in
      ([1, 2], [1e308, -1e308], [0, -0.0], [1], [1, 2, 3], ["a", 2], [NAN, 2], [INF, 0], [True, 2], "centre",
       {"x": 1, "y": 2}, [[1], [2]], [1, None])],
    ("look_at without its mode", {"look_at": [5, 5]}),
    # background: a mode, and a colour as "#rrggbb"
    *[(f"background {value!r}", {"background": value}) for value in ("blur", "remove", "photo", "transparent", "Blur", 0)],
    *[(f"background_colour {value!r}", {"background": "colour", "background_colour": value}) for value in
      ("#00b140", "#ABCDEF", "#abc", "00b140", "#00b14g", "#00b1400", "red", 0x00b140, None, ["#00b140"])],
    # keys: only GooglySettings' fields
    ("unknown key", {"colour": "red"}), ("unknown key beside good ones", {**VALID, "pupils": "big"}),
    ("a key every object inherits", {"toString": 1}), ("__proto__ as a key", {"__proto__": {"gamma": 9}}),
    ("everything wrong", {"gamma": 9, "lambda_min": 0.8, "lambda_max": 0.3, "seed": -4, "sizing": "huge",
                          "pupil_mode": "up", "look_at": "there", "style": "neon", "colour": "red"}),
]


def python_accepts(values) -> bool:
    try:
        GooglySettings.from_dict(values)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def js_answers(settings_module):
    """For every case: lookProblems, savedDefaults and, per known field, settingProblem (null or text)."""
    return run_js(settings_module, """
        result = data.map((values) => ({
          problems: settings.lookProblems(values),
          saved: settings.savedDefaults(values),
          fields: Object.fromEntries(Object.entries(settings.SPEC.look)
            .filter(([name]) => values && typeof values === 'object' && Object.hasOwn(values, name) && values[name] !== null)
            .map(([name, field]) => [name, settings.settingProblem(name, field, values[name])])),
        }));""", [values for _, values in CASES])


def json_round_trip(values):
    """What Python gets from the page: the same JSON (so 1.0 and 1 are one number, as in JavaScript)."""
    return json.loads(json.dumps(values))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case_id for case_id, _ in CASES])
def test_page_and_core_accept_and_refuse_the_same_settings(index, js_answers):
    _, values = CASES[index]
    answer = js_answers[index]
    values = json_round_trip(values)
    assert (answer["problems"] == []) == python_accepts(values), answer["problems"]
    for name, js_problem in answer["fields"].items():  # one setting at a time, too
        assert (js_problem is None) == (setting_problem(name, settings_spec()["look"][name], values[name]) is None), name


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case_id for case_id, _ in CASES])
def test_saved_defaults_keep_what_is_valid_and_always_pass_the_core(index, js_answers):
    _, values = CASES[index]
    saved = js_answers[index]["saved"]
    assert list(saved) == list(FACTORY)
    assert GooglySettings.from_dict(saved).as_dict() == saved  # whatever was stored, the core accepts it
    assert saved["look_at"] is None  # a look-at point belongs to one photo
    if python_accepts(json_round_trip(values)) and isinstance(values, dict):  # valid: kept as saved
        kept = {**FACTORY, **{k: v for k, v in values.items() if v is not None}, "look_at": None}
        if kept["background"] == "photo":  # the photo itself is not kept between visits
            kept["background"] = FACTORY["background"]
        assert saved == kept


FALLBACKS = [  # (saved defaults, the settings kept from them; the rest are the factory's)
    ({"style": "cartoon", "gamma": 9}, {"style": "cartoon"}),
    ({"style": "glossy", "lambda_min": 0.7, "lambda_max": 0.5, "seed": 12}, {"style": "glossy", "seed": 12}),
    ({"lambda_min": 0.3, "lambda_max": 1.5}, {"lambda_min": 0.3}),
    ({"lambda_min": 0.7, "lambda_max": 1.5}, {}),  # lambda_max reset, then the pair is out of order: both
    ({"gamma": 0.7, "colour": "red", "look_at": [3, 4]}, {"gamma": 0.7}),
    ({"gamma": 9, "lambda_min": 0.8, "lambda_max": 0.3, "seed": 2**32, "style": "neon"}, {}),
    ({"background": "photo", "background_colour": "#123456"}, {"background_colour": "#123456"}),
    ({"background": "blur", "background_colour": "green"}, {"background": "blur"}),
]


def test_a_bad_saved_setting_falls_back_alone(settings_module):
    saved = run_js(settings_module, "result = data.map(settings.savedDefaults);", [values for values, _ in FALLBACKS])
    assert saved == [{**FACTORY, **kept} for _, kept in FALLBACKS]

"""Which candidate is shipped (int8, or lossless fp16 weights where allowed): the rule (`choose`), the table it is judged on, and the
manifest's record of every candidate."""

from __future__ import annotations

from scripts.models.catalog import ModelEntry
from scripts.models.checks import NOISE_SEEDS
from scripts.models.context import Context
from scripts.models.measure import Latency

# The speed part of the rule for the shipped variant (see `choose`; the accuracy part is per model).
SPEED_TOLERANCE = 1.05  # median of candidate / fp32 time in the same round <= 1.05 (timing noise)


def choose(entry: ModelEntry, rows: dict, latency_backend: str, latency: Latency
           ) -> tuple[str | None, dict[str, list[str]]]:
    """The shipped variant: every candidate of a precision the model may ship (entry.ship: int8, for a
    .tflite with fp16 weights also those) is judged, on every backend measured, by

    - the model's accuracy rule against fp32 (entry.checks.judge, e.g. the detector's: no face lost or
      added, eye p95 <= 2 %, eye max within fp32's noise floor; the mesh's: eyelid p95 <= 2 % of the eye
      distance and the face flag's decisions unchanged);
    - not slower than fp32: the median over the interleaved rounds of its time / fp32's time <= 1.05, on
      wasm when measured (what the page runs), else native. (A ratio of paired runs rather than the ratio
      of the two minima, which another process on the machine can skew by 10 %.)
    Among those passing, the smallest p95 (entry.checks.rank), then the smallest file. Returns (name or
    None, failures).
    """
    floor = rows["_noise_floor"]["accuracy"]["native"]
    failures: dict[str, list[str]] = {}
    for name, row in rows.items():
        if name.startswith("_") or row["precision"] not in entry.ship:
            continue
        why = []
        for backend, acc in row["accuracy"].items():
            problems = entry.checks.judge(acc, floor)
            if problems:
                why.append(f"{backend}: {', '.join(problems)}")
        if not row["accuracy"]:
            why.append("no accuracy data")
        if latency.vs_fp32[name] > SPEED_TOLERANCE:
            why.append(f"{latency_backend} {latency.vs_fp32[name]:.2f}x slower than fp32")
        failures[name] = why
    passing = [n for n, why in failures.items() if not why]
    if not passing:
        return None, failures

    def key(name):
        accs = rows[name]["accuracy"].values()
        return (max(entry.checks.rank(a) for a in accs), rows[name]["bytes"])

    return min(passing, key=key), failures


def print_table(ctx: Context, entry: ModelEntry, rows: dict, native: Latency, wasm: Latency | None) -> None:
    columns = entry.checks.columns
    native_lat, wasm_lat = native.ms, (wasm.ms if wasm else {})
    speed = wasm or native
    ctx.say(f"\n{entry.key}:")
    head = (f"{'candidate':30s} {'KB':>5s} {'native ms':>11s} {'wasm ms':>11s} {'x fp32':>6s} {'backend':7s} "
            + " ".join(f"{title:>{width}s}" for title, width, _ in columns))
    ctx.say(head)
    ctx.say("-" * len(head))
    for name, row in rows.items():
        kb = f"{row['bytes'] / 1024:5.0f}" if "bytes" in row else " " * 5
        nat = native_lat.get(name)
        was = wasm_lat.get(name)
        nat_s = f"{nat['min']:5.1f}/{nat['median']:5.1f}" if nat else " " * 11
        was_s = f"{was['min']:5.1f}/{was['median']:5.1f}" if was else " " * 11
        ratio = f"{speed.vs_fp32[name]:6.2f}" if name in speed.vs_fp32 else " " * 6
        accs = row.get("accuracy") or {"-": None}
        for i, (backend, acc) in enumerate(accs.items()):
            label = (name if i == 0 else "") if not name.startswith("_") else (
                f"({getattr(entry.checks, 'noise_text', 'fp32 +-1 grey')}, median of {NOISE_SEEDS})" if i == 0 else "")
            prefix = f"{label:30s} {kb if i == 0 else ' ' * 5} {nat_s if i == 0 else ' ' * 11} " \
                     f"{was_s if i == 0 else ' ' * 11} {ratio if i == 0 else ' ' * 6}"
            if acc is None:
                ctx.say(f"{prefix} {'-':7s}")
                continue
            ctx.say(f"{prefix} {backend:7s} " + " ".join(cell(acc) for _, _, cell in columns))
    ctx.say("latency: min/median ms over the runs, 1 thread, same input, models interleaved; x fp32: median of "
            f"time / fp32's time in the same round ({'wasm' if wasm else 'native'}); accuracy vs fp32 on the same "
            "backend")


def candidate_table(rows: dict, native: Latency, wasm: Latency | None) -> dict:
    """Every candidate's size, latency (min ms, and vs fp32) and accuracy on the page's backend, for the manifest."""
    table = {}
    for name, row in rows.items():
        if name.startswith("_"):
            continue
        acc = row["accuracy"].get("wasm") or row["accuracy"].get("native") or {}
        table[name] = {"bytes": row["bytes"], "native_ms_min": native.ms[name]["min"],
                       **({"wasm_ms_min": wasm.ms[name]["min"], "wasm_vs_fp32": wasm.vs_fp32[name]} if wasm else
                          {"native_vs_fp32": native.vs_fp32[name]}),
                       **{k: v for k, v in acc.items() if k != "heldout_half"}}
    return table

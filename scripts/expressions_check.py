#!/usr/bin/env python
"""How well the expression scores match hand labels on faces-dev: ROC AUC and accuracy per half.

    .venv/bin/python -m scripts.expressions_check            # needs ../shared/data/faces-dev

Runs the shipped pipeline natively on every dev photo, matches each labelled face
(scripts/expression_labels.json) to the nearest located face, and for smile (`Expressions.smile`) and
eyes shut (the mean of both eyes' blink scores) prints, for the even- and odd-indexed photos of the sorted
dev list: the number of labelled faces, ROC AUC, and the accuracy at the threshold in config.py
(EXPRESSION_SMILE, EXPRESSION_EYE_SHUT) and at the threshold that is best on the even half (how the
config's were chosen; the odd half is the check).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import numpy as np

from googly_eyes import config
from googly_eyes.models import load_native_models
from googly_eyes.pipeline import analyse_photo
from scripts.common import FACES_DEV, MODELS

LABELS = Path(__file__).with_name("expression_labels.json")


def roc_auc(scores, labels) -> float:
    """The chance that a positive face scores above a negative one (ties count half)."""
    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (len(pos) * len(neg)))


def best_threshold(scores, labels) -> float:
    """The middle of the widest-accuracy plateau of thresholds."""
    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    candidates = np.unique(np.concatenate([s, [0.0, 1.0]]))
    accuracy = np.array([((s >= t) == y).mean() for t in candidates])
    best = candidates[accuracy == accuracy.max()]
    return float((best[0] + best[-1]) / 2)


def scored_faces(dev: Path) -> list[dict]:
    """Every labelled face that the pipeline located: its labels, scores and half (photo index parity)."""
    gt = json.loads((dev / "dev.json").read_text())
    order = {im["file"]: i for i, im in enumerate(sorted(gt["images"], key=lambda im: im["file"]))}
    images = {im["file"]: im for im in gt["images"]}
    labels = json.loads(LABELS.read_text())["faces"]
    models = load_native_models(MODELS, threads=1)
    rows = []
    for file in sorted({label["file"] for label in labels}):
        analysis = asyncio.run(analyse_photo((dev / file).read_bytes(), file, models))
        for label in (x for x in labels if x["file"] == file):
            x0, y0, x1, y1 = images[file]["faces"][label["face"]]["box"]
            centre, size = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), max(x1 - x0, y1 - y0)
            near = [f for f in analysis.faces if np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre) < 0.5 * size]
            if not near or near[0].expressions is None:
                continue
            face = min(near, key=lambda f: np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre))
            e = face.expressions
            rows.append({**label, "half": order[file] % 2, "smile_score": e.smile,
                         "shut_score": (e.blink_right + e.blink_left) / 2})
    return rows


def report(rows: list[dict], what: str, score: str, label: str, positive: bool, threshold: float) -> dict:
    data = {half: [(r[score], r[label] == positive) for r in rows if r["half"] == half and r[label] is not None]
            for half in (0, 1)}
    tuned = best_threshold(*zip(*data[0]))
    result = {"what": what, "config_threshold": threshold, "best_on_even_half": round(tuned, 3)}
    for half in (0, 1):
        s, y = (np.asarray(v) for v in zip(*data[half]))
        result[f"half_{half}"] = {"faces": int(len(y)), "positive": int(y.sum()), "auc": round(roc_auc(s, y), 3),
                                  "accuracy": round(float(((s >= threshold) == y).mean()), 3),
                                  "accuracy_at_best_on_even": round(float(((s >= tuned) == y).mean()), 3)}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", type=Path, default=FACES_DEV)
    args = parser.parse_args(argv)
    if not (args.dev / "dev.json").is_file():
        print(f"no faces-dev at {args.dev}", file=sys.stderr)
        return 1
    rows = scored_faces(args.dev)
    print(f"{len(rows)} labelled faces located")
    for result in (report(rows, "smile", "smile_score", "smile", True, config.EXPRESSION_SMILE),
                   report(rows, "eyes shut", "shut_score", "eyes_open", False, config.EXPRESSION_EYE_SHUT)):
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

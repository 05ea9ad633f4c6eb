"""One run of scripts/models/convert.py: its options, work folder, the wasm backend found and the files
to write; and the failure any step raises."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path


class CheckFailed(Exception):
    pass


@dataclass
class Context:
    args: argparse.Namespace
    work: Path
    node: str | None = None
    ort_web_dir: Path | None = None
    ort_web_version: str | None = None
    dev_dir: Path | None = None  # faces-dev, when present
    dev_dir_wanted: Path | None = None
    fp32_bytes: bytes = b""
    outputs: dict = field(default_factory=dict)  # model key -> {file name: bytes} to write

    def say(self, text: str = "") -> None:
        print(text, flush=True)

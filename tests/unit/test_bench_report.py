"""scripts/bench/report.py: the Markdown page, terminal summary and plot of a benchmark run.

bench_report/*.json are synthetic runs with every field the report reads and made-up numbers: `full` has
every measurement; `quick` a --quick run with a failed photo, a failed export, a failed peer, no accuracy
and a boot without some of its times; `minimal` no 12 MP photo and no peer that worked. The expected
.md, .txt and .svg are what the report wrote for them before build_report was split into one function
per section. A change to the report changes them on purpose: write build_report's output over them and
read the diff before committing it.
"""

import json
from pathlib import Path

import pytest

from scripts.bench.report import build_report, svg_plot

RUNS = Path(__file__).parent / "bench_report"


@pytest.mark.parametrize("name", ["full", "quick", "minimal"])
def test_report_of_a_run_is_as_expected(name, tmp_path):
    markdown, summary, panels = build_report(json.loads((RUNS / f"{name}.json").read_text()))
    svg_plot(panels, tmp_path / "performance.svg")
    assert markdown == (RUNS / f"{name}.md").read_text()
    assert "\n".join(summary) + "\n" == (RUNS / f"{name}.txt").read_text()
    assert (tmp_path / "performance.svg").read_text() == (RUNS / f"{name}.svg").read_text()


def test_report_has_every_section_in_order():
    markdown, _, _ = build_report(json.loads((RUNS / "full.json").read_text()))
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == ["# Performance", "## Machine", "## Pipeline per stage: native vs the page", "## Boot",
                        "### Bytes of a first visit", "## Batch", "## Models and threads",
                        "## The peer: MediaPipe's web face detector", "## Targets (issues 5 and 15)", "## How to reproduce",
                        "## Closing note"]

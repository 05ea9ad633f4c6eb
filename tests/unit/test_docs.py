"""The README and docs/ name files, commands and modules that exist, so they cannot quietly go stale."""

from pathlib import Path
import re

import pytest

from support import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# docs/PERFORMANCE.md is written by the benchmark; it is checked like the others all the same.


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_relative_links_point_at_files(doc):
    for target in re.findall(r"\]\(([^)#\s]+)", doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        assert (doc.parent / target).exists(), f"{doc.name} links to {target}, which does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_named_repository_paths_exist(doc):
    """Every `web/...`, `py/...`, `scripts/...`, `tests/...`, `models/...` or `docs/...` path in backticks."""
    for path in re.findall(r"`((?:web|py|scripts|tests|models|docs|requirements|\.github)/[\w./-]*[\w/])`",
                           doc.read_text()):
        if "*" in path or "<" in path:
            continue
        assert (REPO / path).exists(), f"{doc.name} names {path}, which does not exist"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_named_script_modules_exist(doc):
    for module in re.findall(r"python -m (scripts(?:\.\w+)+)", doc.read_text()):
        path = REPO / module.replace(".", "/")
        assert path.with_suffix(".py").exists() or (path / "__init__.py").exists(), f"{doc.name}: {module}"


def test_every_dev_command_the_docs_name_exists():
    dev = (REPO / "dev").read_text()
    cases = re.findall(r"^    ([\w| -]+)\)$", dev, re.M)  # the case labels: "unit)", "help | -h | --help)"
    known = {name.strip() for case in cases for name in case.split("|")}
    for doc in DOCS:
        for command in re.findall(r"\./dev ([a-z0-9]+)", doc.read_text()):
            assert command in known, f"{doc.name} names ./dev {command}; ./dev knows {sorted(known)}"


def test_the_readme_stays_a_front_door():
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= 120, f"README.md has {len(lines)} lines; move detail to docs/"

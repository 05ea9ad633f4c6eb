"""scripts/audit.py's report writers on fixed findings: no network, no pip-audit, no npm.

The GitHub workflow (.github/workflows/audit.yml) publishes `--markdown`'s output as the job summary, so
the Markdown must be a table GitHub renders with one cell per column whatever an advisory's text holds.
"""

import re
import sys

import pytest

from scripts import audit

FINDINGS = [
    {"source": "requirements/dev.txt (.venv)", "package": "pillow", "version": "10.2.0",
     "advisory": "PYSEC-2024-1, CVE-2024-28219", "severity": "n/a (PyPI gives none)", "fixed in": "10.3.0"},
    {"source": "package-lock.json", "package": "left|pad", "version": "<1.3.0",
     "advisory": "https://github.com/advisories/GHSA-xxxx", "severity": "high", "fixed in": "no fix yet"},
]
NPM_DOWN = "npm: npm audit: request to the bulk advisory endpoint failed (405)"

# The whole expected summary, written out: a reader sees exactly what the job summary shows.
EXPECTED_MARKDOWN = """\
## Known vulnerabilities in pinned dependencies

- audit could not run: npm: npm audit: request to the bulk advisory endpoint failed (405)
- 2 known vulnerabilities in pinned dependencies (reported, not blocking):

| source | package | version | advisory | severity | fixed in |
| --- | --- | --- | --- | --- | --- |
| requirements/dev.txt (.venv) | pillow | 10.2.0 | PYSEC-2024-1, CVE-2024-28219 | n/a (PyPI gives none) | 10.3.0 |
| package-lock.json | left\\|pad | &lt;1.3.0 | https://github.com/advisories/GHSA-xxxx | high | no fix yet |
"""


def cells(row: str) -> list[str]:
    """A Markdown table row split where GitHub splits it: at every pipe not escaped by a backslash."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_report_on_fixed_findings():
    assert audit.markdown(FINDINGS, [NPM_DOWN]) == EXPECTED_MARKDOWN


def test_markdown_table_has_one_cell_per_column_whatever_the_text():
    odd = dict(FINDINGS[0], advisory="a | b\nc", package="<script>x</script>")
    table_rows = [line for line in audit.markdown([odd], []).splitlines() if line.startswith("|")]
    assert len(table_rows) == 3  # header, separator, one finding
    assert all(len(cells(row)) == len(audit.COLUMNS) for row in table_rows)
    assert "<script>" not in audit.markdown([odd], [])


@pytest.mark.parametrize("problems, expected", [
    ([], ["- no known vulnerabilities found in the audits that ran"]),
    ([NPM_DOWN], [f"- audit could not run: {NPM_DOWN}",
                  "- no known vulnerabilities found in the audits that ran"]),
    (["Python: offline", "npm: offline"], ["- audit could not run: Python: offline",
                                           "- audit could not run: npm: offline"]),
])
def test_markdown_without_findings_says_what_ran(problems, expected):
    lines = audit.markdown([], problems).splitlines()
    assert lines[:2] == ["## Known vulnerabilities in pinned dependencies", ""]
    assert lines[2:] == expected  # no table at all


def test_main_prints_the_console_table_and_appends_the_markdown(monkeypatch, tmp_path, capsys):
    """main() with the audits replaced by fixed results: stdout keeps the console format, and the
    Markdown is appended (a step summary file may already hold an earlier step's text)."""
    def no_pip_audit():
        raise audit.CannotRun("pip-audit is not reachable in this test")

    monkeypatch.setattr(audit, "pip_audit", no_pip_audit)
    monkeypatch.setattr(audit, "npm_findings", lambda: FINDINGS[1:])
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setattr(sys, "argv", ["audit.py", "--markdown", str(summary)])

    assert audit.main() == 0
    assert capsys.readouterr().out.splitlines() == [
        "audit could not run: Python: pip-audit is not reachable in this test",
        "1 known vulnerabilities in pinned dependencies (reported, not blocking):",
        "source             package   version  advisory                                 severity  fixed in  ",
        "-----------------  --------  -------  ---------------------------------------  --------  ----------",
        "package-lock.json  left|pad  <1.3.0   https://github.com/advisories/GHSA-xxxx  high      no fix yet",
    ]
    assert summary.read_text() == "earlier step\n" + audit.markdown(
        FINDINGS[1:], ["Python: pip-audit is not reachable in this test"])

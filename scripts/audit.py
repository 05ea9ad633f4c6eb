"""Known vulnerabilities in our pinned dependencies: a report, never a gate.

Audits, with pip-audit (PyPI's advisory data) and npm audit (the npm registry's):
  - requirements/dev.txt, as installed in .venv (transitive dependencies included)
  - requirements/convert.txt (every dependency pinned there; audited as pinned, without resolving)
  - the Pyodide wheels the page ships (numpy 2.0.2, Pillow 10.2.0), audited as the PyPI packages of the
    same versions: Pyodide builds them from the same sources
  - package-lock.json (npm audit --package-lock-only)
and prints one table: source, package, version, advisory, severity, fixed in. `--markdown FILE` also
appends the same report to FILE as GitHub-flavoured Markdown (the workflow passes $GITHUB_STEP_SUMMARY,
so the table is the job's summary page).

Policy: exit 0 whatever it finds (advisories are for people to weigh, not a CI gate); when an audit
cannot run (no network, the advisory service unreachable) it prints "audit could not run: REASON" and
goes on. pip-audit lives in its own venv, .venv/audit, from requirements/audit.txt.
"""

import argparse
import html
import json
from pathlib import Path
import subprocess
import sys
import tempfile

from scripts.common import REPO, sha256_file

AUDIT_VENV = REPO / ".venv" / "audit"
AUDIT_REQUIREMENTS = REPO / "requirements" / "audit.txt"
PYODIDE_WHEELS = {"numpy": "2.0.2", "pillow": "10.2.0"}  # keep in step with scripts/vendor_pins.json
TIMEOUT = 300
COLUMNS = ["source", "package", "version", "advisory", "severity", "fixed in"]


class CannotRun(Exception):
    pass


def run(command, **kwargs):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CannotRun(f"{command[0]}: {error}") from None


def pip_audit() -> Path:
    """pip-audit from .venv/audit, (re)installed when requirements/audit.txt changed."""
    python = AUDIT_VENV / "bin" / "python"
    stamp = AUDIT_VENV / ".requirements.sha256"
    want = sha256_file(AUDIT_REQUIREMENTS)
    if not python.exists():
        result = run([sys.executable, "-m", "venv", str(AUDIT_VENV)])
        if result.returncode:
            raise CannotRun(f"cannot make {AUDIT_VENV}: {result.stderr.strip()[-300:]}")
    if not stamp.exists() or stamp.read_text() != want:
        result = run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                      "-r", str(AUDIT_REQUIREMENTS)])
        if result.returncode:
            raise CannotRun(f"cannot install pip-audit: {result.stderr.strip()[-300:]}")
        stamp.write_text(want)
    return AUDIT_VENV / "bin" / "pip-audit"


def python_findings(tool: Path, source: str, arguments: list[str]) -> list[dict]:
    result = run([str(tool), "-f", "json", "--progress-spinner", "off", *arguments])
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise CannotRun(f"pip-audit failed: {(result.stderr or result.stdout).strip()[-300:]}") from None
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        # Every package "not found on PyPI": the JSON API (the advisory service) is not reachable.
        raise CannotRun(f"pip-audit could not look up any package ({skipped[0]['skip_reason']}); "
                        "the PyPI JSON API with its vulnerability data is not reachable from here")
    rows = []
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            rows.append({"source": source, "package": dependency["name"], "version": dependency["version"],
                         "advisory": ", ".join([vuln["id"], *vuln.get("aliases", [])][:2]),
                         "severity": "n/a (PyPI gives none)",
                         "fixed in": ", ".join(vuln.get("fix_versions", [])) or "no fix yet"})
    return rows


def npm_findings() -> list[dict]:
    result = run(["npm", "audit", "--json", "--package-lock-only"], cwd=REPO)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise CannotRun(f"npm audit failed: {(result.stderr or result.stdout).strip()[-300:]}") from None
    if "error" in report or "message" in report and "vulnerabilities" not in report:
        raise CannotRun(f"npm audit: {report.get('message') or report.get('error')}")
    rows = []
    for name, entry in report.get("vulnerabilities", {}).items():
        fix = entry.get("fixAvailable")
        fixed = (f"{fix['name']}@{fix['version']}" if isinstance(fix, dict) else "yes" if fix else "no fix yet")
        for via in entry.get("via", []):
            if isinstance(via, dict):  # a string names another package this one is vulnerable through
                rows.append({"source": "package-lock.json", "package": name, "version": entry.get("range", "?"),
                             "advisory": via.get("url") or via.get("title", "?"),
                             "severity": via.get("severity", entry.get("severity", "?")), "fixed in": fixed})
    return rows


def table(rows: list[dict]) -> str:
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in COLUMNS]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(COLUMNS, widths)) for r in rows]
    return "\n".join(lines)


def headlines(rows: list[dict], problems: list[str]) -> list[str]:
    """The lines above the table: what could not run, then how many findings (or none)."""
    lines = [f"audit could not run: {problem}" for problem in problems]
    if rows:
        lines.append(f"{len(rows)} known vulnerabilities in pinned dependencies (reported, not blocking):")
    elif len(problems) < 2:
        lines.append("no known vulnerabilities found in the audits that ran")
    return lines


def markdown_cell(value) -> str:
    """Text safe inside a Markdown table cell: no raw HTML, no column break, no line break."""
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[dict], problems: list[str]) -> str:
    """The console report as GitHub-flavoured Markdown: a heading, the same lines, the same table."""
    lines = ["## Known vulnerabilities in pinned dependencies", ""]
    lines += [f"- {markdown_cell(line)}" for line in headlines(rows, problems)]
    if rows:
        lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
        lines += ["| " + " | ".join(markdown_cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", metavar="FILE", type=Path,
                        help="also append the report to FILE as Markdown (e.g. $GITHUB_STEP_SUMMARY)")
    args = parser.parse_args()

    rows, problems = [], []
    site_packages = next((REPO / ".venv" / "lib").glob("python3*/site-packages"), None)
    try:
        tool = pip_audit()
        with tempfile.TemporaryDirectory() as tmp:
            pyodide = Path(tmp) / "pyodide-wheels.txt"
            pyodide.write_text("".join(f"{name}=={version}\n" for name, version in PYODIDE_WHEELS.items()))
            audits = [("requirements/dev.txt (.venv)", ["--path", str(site_packages)] if site_packages else
                       ["-r", "requirements/dev.txt", "--no-deps"]),
                      ("requirements/convert.txt", ["-r", "requirements/convert.txt", "--no-deps"]),
                      ("Pyodide wheels (as PyPI)", ["-r", str(pyodide), "--no-deps"])]
            for source, arguments in audits:
                rows += python_findings(tool, source, arguments)
    except CannotRun as error:
        problems.append(f"Python: {error}")
    try:
        rows += npm_findings()
    except CannotRun as error:
        problems.append(f"npm: {error}")

    for line in headlines(rows, problems):
        print(line)
    if rows:
        print(table(rows))
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as summary:  # a job summary is appended to
            summary.write(markdown(rows, problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())

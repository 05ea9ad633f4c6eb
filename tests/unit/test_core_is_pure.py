"""The core never imports browser modules, so all of it runs and is tested in CPython."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "py" / "googly_eyes"
BROWSER_MODULES = {"js", "pyodide", "pyscript", "micropip"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_do_not_import_browser_modules():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 6
    offenders = {f.name: imported_modules(f) & BROWSER_MODULES for f in files}
    assert {name: mods for name, mods in offenders.items() if mods} == {}

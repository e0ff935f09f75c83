"""The layers point one way: events ← projections ← ledger ← cli and web (beside cli). Every module's imports are
read from its source (not by importing it), so an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "projections", "ledger", "cli", "web")
# What each layer may import from the project, besides itself.
ALLOWED = {
    "events": set(),
    "projections": {"events"},
    "ledger": {"events", "projections"},
    "cli": {"events", "projections", "ledger", "web"},  # web only inside `serve`, imported lazily
    "web": {"events", "projections", "ledger"},  # a front end beside cli, never importing it
}


def project_imports(path: Path) -> set[str]:
    """The project packages a module imports, wherever in the module the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES)
    return found


def wrong_way_imports() -> list[str]:
    wrong = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for imported in sorted(project_imports(path) - ALLOWED[package] - {package}):
                wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    return wrong


def test_every_import_points_down_the_layers() -> None:
    assert wrong_way_imports() == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ledger.errors import LedgerError\n    import cli.main\n")
    assert project_imports(module) == {"ledger", "cli"}

"""Architecture rules as tests: only the CLI talks to the terminal; lint stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qfill"
UI_MODULES = {"typer", "rich", "click"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_cli_package_imports_typer_or_rich() -> None:
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if "cli" not in p.relative_to(PACKAGE).parts and _imports(p) & UI_MODULES]
    assert offenders == []


def test_no_grab_bag_modules() -> None:
    assert not [p for p in PACKAGE.rglob("*.py") if p.stem in {"utils", "helpers", "misc"}]


def test_lint_and_help_do_not_import_openpyxl() -> None:
    for args in (["lint", "--help"], ["--help"]):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "qfill", *args],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "openpyxl" not in result.stderr
        assert "rapidfuzz" not in result.stderr

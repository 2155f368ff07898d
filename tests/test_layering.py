"""Architecture rules as tests: no import cycles; the core never reaches up into the
renderers or the CLI; only the CLI talks to the terminal; lint stays light.

Run ``python -m pytest tests/test_layering.py`` to check the structure of a tree.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qfill"
UI_MODULES = {"typer", "rich", "click"}
OUTER_PACKAGES = ("cli", "render")  # what may import the core, never the other way round


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


HEAVY = ("openpyxl", "numpy", "rapidfuzz", "onnxruntime")


def _imported(args: list[str], cwd: Path | None = None) -> set[str]:
    """The top-level packages ``qfill ARGS`` imports, from ``python -X importtime``."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "qfill", *args],
                            capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert result.returncode in (0, 1), result.stderr
    return {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
            if line.startswith("import time:")}


def test_help_and_the_library_commands_import_no_heavy_package(tmp_path: Path) -> None:
    for args in (["--help"], ["lint", "--help"], ["diff", "--help"]):
        assert not _imported(args) & {*HEAVY}, args
    # A library whose entries have no near twin: lint never builds the matcher.
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "a.yaml").write_text(
        "answers:\n  - id: mfa\n    question: Is MFA required?\n    answer: Yes.\n"
        "  - id: backups\n    question: Are backups tested yearly?\n    answer: Yes.\n",
        encoding="utf-8")
    assert not _imported(["lint", str(tmp_path)]) & {*HEAVY}
    # The sample library has near twins: lint ranks them with the matcher's scorers
    # (rapidfuzz), never with its retrieval (numpy) or anything else heavy.
    assert not _imported(["lint", str(PACKAGE.parent)]) & {"openpyxl", "numpy", "onnxruntime"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "add",
                    "."], cwd=tmp_path, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                    "-qm", "library"], cwd=tmp_path, check=True)
    (answers / "a.yaml").write_text((answers / "a.yaml").read_text().replace("Yes.", "No."))
    assert not _imported(["diff"], cwd=tmp_path) & {*HEAVY}


def test_answer_imports_only_what_answering_needs(tmp_path: Path) -> None:
    """Answering by wording pays for neither openpyxl nor the sentence model, nor for
    the chains of the other commands (lint, diff, harvest, the library editor)."""
    example = PACKAGE.parent / "examples" / "vendor-security-questionnaire.xlsx"
    args = ["answer", str(example), "-l", str(PACKAGE.parent), "--dry-run",
                "-r", str(tmp_path / "report.md"), "--today", "2026-12-01"]
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent),
           "QFILL_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "qfill", *args],
                            capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "qfill.matching" in imported and "rapidfuzz" in imported  # it did answer
    assert not {name.split(".")[0] for name in imported} & {"openpyxl", "onnxruntime"}
    assert not {"qfill.lint", "qfill.diff", "qfill.gitrev", "qfill.harvest",
                "qfill.yamledit", "qfill.semantic", "qfill.overlap"} & imported


def test_version_is_answered_before_the_command_line_is_built() -> None:
    imported = _imported(["--version"])
    assert "qfill" in imported
    assert not imported & {"typer", "rich", "click", "yaml", *HEAVY}


def _module_name(root: Path, path: Path) -> str:
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(root: Path, module: str) -> str | None:
    """``module`` if it is a module of the package under ``root``, else None."""
    parts = module.split(".")
    if parts[0] != root.name:
        return None
    base = root.joinpath(*parts[1:])
    if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
        return module
    return None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, wherever the import statement is
    (module level, inside a function, under ``TYPE_CHECKING``): each is a dependency."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(root, path)
        package = name if path.stem == "__init__" else name.rpartition(".")[0]
        targets: set[str] = set()
        for level, module, names in _import_statements(path.read_text(encoding="utf-8")):
            if level is None:
                targets.update(filter(None, (_resolve(root, a) for a in names)))
                continue
            if level:
                anchor = package.split(".")[:len(package.split(".")) - level + 1]
                base = ".".join([*anchor, *([module] if module else [])])
            else:
                base = module or ""
            for alias in names:  # `from pkg import module` imports the module
                found = _resolve(root, f"{base}.{alias}") or _resolve(root, base)
                if found:
                    targets.add(found)
        graph[name] = targets - {name}
    return graph


@functools.cache
def _import_statements(source: str) -> tuple[tuple[int | None, str | None, tuple[str, ...]], ...]:
    """Every import statement of a module's source as (level, module, names): level None
    for ``import a.b``. Cached by text: the planted-import tests graph copies of the tree."""
    found: list[tuple[int | None, str | None, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.append((None, None, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module, tuple(a.name for a in node.names)))
    return tuple(found)


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def core_imports_of_outer_layers(graph: dict[str, set[str]]) -> list[str]:
    """``core -> renderer/CLI`` imports: the core must be usable without either."""
    root = next(iter(graph)).split(".")[0]
    outer = tuple(f"{root}.{name}" for name in OUTER_PACKAGES)

    def is_outer(module: str) -> bool:
        return module == f"{root}.__main__" or module.startswith(outer)

    return sorted(f"{module} -> {target}" for module, targets in graph.items()
                  if not is_outer(module) for target in targets if is_outer(target))


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert "qfill.questionnaire" in graph["qfill.sheets.reader"]  # the graph sees imports
    assert import_cycles(graph) == []


def test_the_core_does_not_import_the_renderers_or_the_cli() -> None:
    assert core_imports_of_outer_layers(import_graph(PACKAGE)) == []


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")


def test_a_planted_cycle_and_a_planted_upward_import_are_found(tmp_path: Path) -> None:
    tree = tmp_path / "qfill"
    shutil.copytree(PACKAGE, tree, ignore=shutil.ignore_patterns("__pycache__"))
    assert import_cycles(import_graph(tree)) == []
    # A function-level import closing a loop, as a reader importing the records that
    # import it would.
    _append(tree / "errors.py",
            "def _late() -> None:\n    from qfill.sheets.reader import read_questionnaire\n")
    cycles = import_cycles(import_graph(tree))
    assert len(cycles) == 1
    assert {"qfill.errors", "qfill.sheets.reader"} <= set(cycles[0])
    assert core_imports_of_outer_layers(import_graph(tree)) == []
    _append(tree / "library.py", "from qfill.render import report\n")
    assert core_imports_of_outer_layers(import_graph(tree)) == [
        "qfill.library -> qfill.render.report"]


def test_relative_imports_count_too(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "a.py").write_text("from . import b\n")
    (root / "sub" / "b.py").write_text("from ..sub.a import thing\n")
    assert import_cycles(import_graph(root)) == [["pkg.sub.a", "pkg.sub.b"]]

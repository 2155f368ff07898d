"""Shared fixtures: library builder, CLI runner, isolated environment, real questionnaires."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
QUESTIONNAIRES = SHARED / "questionnaires"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output")


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist starts its workers with COLUMNS=80 and LINES=24 (and a user's shell may
    # export its own). A rich console made while COLUMNS is set keeps that width for good,
    # and qfill.cli makes its consoles when a test module first imports it, at collection:
    # the CLI's tables would then be drawn at that width whatever a test sets. Each test
    # sets the terminal it wants (``isolate_environment``).
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sentence-vector cache for the test run, never the user's own: shared by the
    processes of a parallel run (its SQLite files take concurrent writers), so the sample
    library is encoded once, not once per process."""
    from once_per_run import run_root

    folder = run_root(tmp_path_factory) / "qfill-cache"
    folder.mkdir(exist_ok=True)
    return folder


def _isolate(monkeypatch: pytest.MonkeyPatch, vector_cache: Path) -> None:
    monkeypatch.setenv("QFILL_CACHE_DIR", str(vector_cache))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("QFILL_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")


@pytest.fixture(scope="session")
def child_environ(vector_cache: Path) -> dict[str, str]:
    """The environment every test runs in (see ``isolate_environment``), for a child process
    that a session- or module-wide fixture starts before any test's own is in place."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, vector_cache)
        return dict(os.environ)


@pytest.fixture(autouse=True)
def isolate_environment(monkeypatch: pytest.MonkeyPatch, vector_cache: Path) -> None:
    _isolate(monkeypatch, vector_cache)


@pytest.fixture
def write_library(tmp_path: Path) -> Callable[..., Path]:
    """Build a library tree from ``{relative path: text}``; text is dedented."""

    def build(files: Mapping[str, str | bytes], root: Path | None = None) -> Path:
        base = root or tmp_path / "library"
        for name, content in files.items():
            path = base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        (base / "answers").mkdir(parents=True, exist_ok=True)
        return base

    return build


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Invoke the CLI in-process, with stdout and stderr kept apart."""
    from typer.testing import CliRunner

    from qfill.cli import app

    def run(*args: str | Path, input: str | None = None) -> CliResult:
        # The consoles read COLUMNS when qfill.cli is first imported, which in a test
        # worker may be before this test's environment is in place: read it now.
        import qfill.cli

        for console in (qfill.cli.console, qfill.cli.err_console):
            console.width = int(os.environ["COLUMNS"])
        runner = CliRunner()
        result = runner.invoke(app, [str(a) for a in args], input=input,
                               catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def shared_questionnaires() -> Path:
    """The real published questionnaires beside the repo; skipped where absent."""
    if not QUESTIONNAIRES.is_dir():
        pytest.skip(f"{QUESTIONNAIRES} not present (real questionnaires live beside the repo)")
    return QUESTIONNAIRES


@pytest.fixture(scope="session")
def answered_real(tmp_path_factory: pytest.TempPathFactory,
                  vector_cache: Path) -> Callable[[str], Any]:
    """`qfill answer` on a real questionnaire (a case of ``questionnaire_fixtures.EXPECTED``)
    with this repo's sample library, run once per test run (whichever process asks first;
    see ``once_per_run``) for every test that checks it."""
    if not QUESTIONNAIRES.is_dir():
        pytest.skip(f"{QUESTIONNAIRES} not present (real questionnaires live beside the repo)")
    from once_per_run import built_once
    from questionnaire_fixtures import EXPECTED, Answered

    def run(case: str, folder: Path) -> None:
        from typer.testing import CliRunner

        from qfill.cli import app

        source = QUESTIONNAIRES / EXPECTED[case].path
        (folder / "before").write_bytes(source.read_bytes())
        with pytest.MonkeyPatch.context() as monkeypatch:
            _isolate(monkeypatch, vector_cache)
            result = CliRunner().invoke(app, [
                "answer", str(source), "--library", str(REPO), "--out",
                str(folder / "filled.xlsx"), "--report", str(folder / "report.json"),
                "--today", "2026-11-29"], catch_exceptions=False)
        (folder / "run.json").write_text(json.dumps(
            {"exit_code": result.exit_code, "output": result.stdout + result.stderr}),
            encoding="utf-8")

    runs: dict[str, Any] = {}

    def answered(case: str) -> Any:
        if case not in runs:
            folder = built_once(tmp_path_factory, f"answered-{case}",
                                lambda folder: run(case, folder))
            done = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            report = json.loads((folder / "report.json").read_text(encoding="utf-8")) \
                if done["exit_code"] == 0 else {}
            runs[case] = Answered(QUESTIONNAIRES / EXPECTED[case].path,
                                  (folder / "before").read_bytes(), folder / "filled.xlsx",
                                  report, done["exit_code"], done["output"])
        return runs[case]

    return answered


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose sheet part expands to 1 MB more than the part limit: the smallest
    bomb that proves the limit, built once per test run (a few MB on disk). Copy it before
    changing it."""
    from once_per_run import built_once
    from questionnaire_fixtures import zip_with_big_sheet

    from qfill.sheets.package import MAX_PART_BYTES

    def build(folder: Path) -> None:
        zip_with_big_sheet(folder / "bomb.xlsx", MAX_PART_BYTES + 1024 * 1024)

    return built_once(tmp_path_factory, "zip-bomb", build) / "bomb.xlsx"

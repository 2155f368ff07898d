"""Shared fixtures: library builder, CLI runner, isolated environment, real questionnaires."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
QUESTIONNAIRES = SHARED / "questionnaires"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sentence-vector cache for the test session, never the user's own."""
    return tmp_path_factory.mktemp("qfill-cache")


@pytest.fixture(autouse=True)
def isolate_environment(monkeypatch: pytest.MonkeyPatch, vector_cache: Path) -> None:
    monkeypatch.setenv("QFILL_CACHE_DIR", str(vector_cache))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("QFILL_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")


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

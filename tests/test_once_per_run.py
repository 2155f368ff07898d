"""The suite's expensive inputs are built once per run, by whichever process asks first."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from pathlib import Path

import pytest
from once_per_run import built_once, run_root
from process_fixtures import CHILD_TIMEOUT, child_process


class _Factory:
    """The part of pytest's TempPathFactory that ``once_per_run`` uses."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def getbasetemp(self) -> Path:
        return self.base


def test_a_build_runs_once_and_a_failed_one_runs_again(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    factory = _Factory(tmp_path)
    calls: list[Path] = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "out.txt").write_text(str(len(calls)), encoding="utf-8")

    def broken(folder: Path) -> None:
        (folder / "half.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("build failed")

    first = built_once(factory, "thing", build)  # type: ignore[arg-type]
    again = built_once(factory, "thing", build)  # type: ignore[arg-type]
    assert first == again == tmp_path / "built-once" / "thing"
    assert len(calls) == 1 and (first / "out.txt").read_text(encoding="utf-8") == "1"
    with pytest.raises(RuntimeError):
        built_once(factory, "other", broken)  # type: ignore[arg-type]
    rebuilt = built_once(factory, "other", build)  # type: ignore[arg-type]
    assert sorted(p.name for p in rebuilt.iterdir()) == [".built", "out.txt"]  # no half


def test_parallel_workers_share_the_run_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert run_root(_Factory(tmp_path / "popen-gw1")) == tmp_path  # type: ignore[arg-type]
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert run_root(_Factory(tmp_path)) == tmp_path  # type: ignore[arg-type]


def test_processes_asking_at_once_wait_for_one_build(tmp_path: Path) -> None:
    """Two processes ask together: one builds (slowly), the other waits and reads it."""
    script = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        sys.path.insert(0, sys.argv[2])
        from once_per_run import built_once

        class Factory:
            def getbasetemp(self):
                return Path(sys.argv[1])

        def build(folder):
            with open(Path(sys.argv[1]) / "builds.log", "a") as log:
                log.write("build\\n")
            time.sleep(0.5)
            (folder / "out.txt").write_text("done")

        print((built_once(Factory(), "slow", build) / "out.txt").read_text())
    """)
    tests = str(Path(__file__).resolve().parent)
    with contextlib.ExitStack() as stack:
        children = [stack.enter_context(child_process(
            [sys.executable, "-c", script, str(tmp_path), tests])) for _ in range(2)]
        outputs = [child.communicate(timeout=CHILD_TIMEOUT) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    assert [out for out, _ in outputs] == ["done\n", "done\n"]
    assert (tmp_path / "builds.log").read_text(encoding="utf-8") == "build\n"

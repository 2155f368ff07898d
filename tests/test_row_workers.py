"""A large questionnaire matched in forked workers: the same decisions as one process, in
row order; forking only where it is safe; ^C stops the workers with the run."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from process_fixtures import CHILD_TIMEOUT, child_process, line_within

import qfill.row_workers
from qfill.library import load_library
from qfill.matching import Matcher
from qfill.questionnaire import QuestionRow
from qfill.row_workers import map_chunks, worker_count
from qfill.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
FORKS = sys.platform.startswith("linux") and hasattr(os, "fork")
single_thread = pytest.mark.skipif(
    not FORKS or threading.active_count() > 1,
    reason="forks only on Linux, in a process with one thread (this test run has more)")


def _rows(count: int) -> list[QuestionRow]:
    """Questions in the library's own words and in others, and some it cannot answer."""
    library = load_library(REPO)
    texts = [t for a in library.answers for t in a.phrasings]
    twists = ("{}", "Please confirm: {}", "{} Describe.", "Do you have a policy on fax "
              "machines and {}")
    return [QuestionRow("Q", n + 2, twists[n % len(twists)].format(texts[n % len(texts)]),
                        question_id=f"Q-{n}") for n in range(count)]


def test_few_rows_one_worker_or_a_limit_set_by_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qfill.row_workers, "_can_fork", lambda: True)
    assert worker_count(100, {}) == 1  # starting workers would cost more than it saves
    assert worker_count(2000, {"QFILL_WORKERS": "1"}) == 1
    assert worker_count(2000, {"QFILL_WORKERS": "3"}) == 3
    assert worker_count(1600, {"QFILL_WORKERS": "8"}) == 3  # at least 500 rows each
    assert worker_count(2000, {"QFILL_WORKERS": "many"}) == worker_count(2000, {})
    monkeypatch.setattr(qfill.row_workers, "_can_fork", lambda: False)
    assert worker_count(2000, {"QFILL_WORKERS": "3"}) == 1


@pytest.mark.skipif(not FORKS, reason="forks only on Linux")
def test_a_process_running_another_thread_never_forks() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert worker_count(2000, {"QFILL_WORKERS": "2"}) == 1
    finally:
        stop.set()
        thread.join()


@single_thread
def test_chunks_come_back_in_order_with_progress() -> None:
    done: list[int] = []
    pids = map_chunks(lambda a, b: [(n, os.getpid()) for n in range(a, b)], 1000, chunk=100,
                      workers=2, progress=done.append)
    assert [n for n, _ in pids] == list(range(1000))
    assert os.getpid() not in {pid for _, pid in pids}  # matched in the workers
    assert done == list(range(100, 1001, 100))


@single_thread
def test_forked_matching_decides_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(1100)
    matcher = Matcher(load_library(REPO), load_settings(REPO))
    monkeypatch.setenv("QFILL_WORKERS", "1")
    alone = matcher.match(rows)
    monkeypatch.setenv("QFILL_WORKERS", "2")
    assert worker_count(len(rows)) == 2
    forked = Matcher(load_library(REPO), load_settings(REPO)).match(rows)
    assert forked == alone
    assert {m.status for m in alone} >= {"filled", "review"}


@pytest.mark.slow
@pytest.mark.skipif(not FORKS, reason="forks only on Linux")
def test_ctrl_c_while_workers_match_stops_them_and_exits_130(tmp_path: Path) -> None:
    pids = tmp_path / "workers"
    script = textwrap.dedent("""
        import os, signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
        import openpyxl
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["ID", "Question", "Answer"])
        for n in range(1200):
            sheet.append([f"Q-{n}", f"Do you encrypt customer data at rest, case {n}?", None])
        book.save("q.xlsx")
        import qfill.matching
        prepare, PIDS = qfill.matching.Matcher._prepare, sys.argv[2]
        def slow(self, *args, **kwargs):
            if os.getpid() != PARENT:
                with open(PIDS, "a") as out:
                    out.write(f"{os.getpid()}\\n")
                sys.stderr.write("MATCHING\\n"); sys.stderr.flush()
                time.sleep(600)  # until the workers are stopped
            return prepare(self, *args, **kwargs)
        PARENT = os.getpid()
        qfill.matching.Matcher._prepare = slow
        from qfill.cli import main
        sys.argv = ["qfill", "answer", "q.xlsx", "--library", sys.argv[1]]
        main()
    """)
    environ = {**os.environ, "QFILL_WORKERS": "2"}
    with child_process([sys.executable, "-c", script, str(REPO), str(pids)], cwd=tmp_path,
                       env=environ) as child:
        assert line_within(child.stderr) == "MATCHING"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.xlsx", "workers"]
    deadline = time.monotonic() + 10
    for pid in map(int, pids.read_text().split()):
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"worker {pid} outlived the run"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone but for its exit status
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@single_thread
def test_an_error_in_a_worker_is_raised_here() -> None:
    def task(start: int, stop: int) -> list[int]:
        if start >= 500:
            raise ValueError(f"no rows past {start}")
        return list(range(start, stop))

    with pytest.raises(ValueError, match="no rows past 500"):
        map_chunks(task, 1000, chunk=100, workers=2)


@single_thread
def test_a_worker_killed_midway_is_an_error_not_a_hang() -> None:
    from qfill.errors import WorkerError

    def task(start: int, stop: int) -> list[int]:
        if start == 300:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does when memory runs out
        return list(range(start, stop))

    with pytest.raises(WorkerError, match="stopped with signal 9; run again with "
                       "QFILL_WORKERS=1"):
        map_chunks(task, 1000, chunk=100, workers=2)

"""What a run loads once is kept out of the collector's walks while the run lasts, and
handed back when it ends: nothing stays frozen after a command, nested blocks included."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from qfill.answering import answer_questionnaire
from qfill.library import load_library
from qfill.long_lived import long_lived, long_lived_result
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow
from qfill.row_workers import map_chunks
from qfill.settings import load_settings

REPO = Path(__file__).resolve().parent.parent


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_objects_alive_at_the_start_are_set_aside_until_the_block_ends() -> None:
    before = _Node()
    with long_lived():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert not any(o is before for o in gc.get_objects())  # not walked any more
        during = _Node()
        assert any(o is during for o in gc.get_objects())  # made since: still collected
    assert gc.get_freeze_count() == 0
    assert any(o is before for o in gc.get_objects())


def test_an_inner_block_sets_aside_what_came_since_and_only_the_outer_one_gives_back() -> None:
    with long_lived():
        loaded = _Node()  # an index loaded between the two blocks
        with long_lived():
            assert not any(o is loaded for o in gc.get_objects())
        assert gc.get_freeze_count() > 0  # the outer block still holds them
        assert not any(o is loaded for o in gc.get_objects())
    assert gc.get_freeze_count() == 0


def test_a_cycle_dropped_inside_is_collected_after_the_block() -> None:
    with long_lived():
        garbage = _Node()
        count = gc.get_freeze_count()
    del garbage
    assert gc.get_freeze_count() == 0
    assert gc.collect() >= 1  # the cycle frozen with it is found once handed back
    assert count > 0


def test_an_error_inside_still_hands_everything_back() -> None:
    try:
        with long_lived(), long_lived():
            raise ValueError("stop")
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0


def test_matching_and_answering_leave_nothing_frozen() -> None:
    seen: list[int] = []
    map_chunks(lambda a, b: seen.append(gc.get_freeze_count()) or list(range(a, b)), 10,
               chunk=5)
    assert seen and all(n > 0 for n in seen)  # the rows were matched with the heap set aside
    library = load_library(REPO)
    rows = (QuestionRow("Q", 2, "Is customer data encrypted at rest?"),)
    run = answer_questionnaire(Questionnaire(Path("q.xlsx"), FileFormat.XLSX, rows), library,
                               load_settings(REPO), today=date(2026, 12, 1))
    assert [m.best.answer_id for m in run.matches if m.best] == ["encryption-at-rest"]
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_value_built_for_the_run_is_set_aside_before_collection_resumes() -> None:
    with long_lived_result(_Node) as built:
        assert gc.isenabled()
        assert not any(o is built for o in gc.get_objects())  # never walked, not even once
    assert gc.get_freeze_count() == 0
    assert any(o is built for o in gc.get_objects())


def test_a_failed_build_leaves_the_collector_running_and_nothing_frozen() -> None:
    def fail() -> _Node:
        raise OSError("unreadable")

    try:
        with long_lived_result(fail):
            raise AssertionError("not reached")
    except OSError:
        pass
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_blocks_in_several_threads_hand_back_only_when_the_last_ends() -> None:
    import threading

    inside = threading.Barrier(4)
    leave = threading.Event()
    frozen_while_others_run: list[bool] = []

    def run() -> None:
        with long_lived():
            inside.wait()
            leave.wait()
        frozen_while_others_run.append(gc.get_freeze_count() > 0)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    with long_lived():
        inside.wait()
        leave.set()
        for thread in threads:
            thread.join()
        assert gc.get_freeze_count() > 0
    assert frozen_while_others_run == [True, True, True]
    assert gc.get_freeze_count() == 0

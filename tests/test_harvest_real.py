"""Harvest on real completed questionnaires from ../shared (skipped where absent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import CliResult

pytestmark = pytest.mark.slow  # each harvests and answers a real questionnaire

COMMENTED = """\
# Our own answers, written by hand. This comment, the order and the quoting stay.
owner: security@example.com
answers:
  - id: asset-inventory   # qfill: disable=stale-answer
    question: Do you keep an inventory of company laptops?
    answer: Yes, in our MDM.
    short: Yes
"""


def test_harvested_caiq_refills_the_blank_caiq_with_the_vendors_own_answers(
        shared_questionnaires: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    caiq = shared_questionnaires / "csa-caiq"
    completed = caiq / "CAIQv4.0.3_WhitePact_completed.xlsx"
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(
        (caiq / "CAIQv4.0.3_STAR-Security-Questionnaire_Generated-at_2024-06-03.xlsx")
        .read_bytes())
    root = write_library({"answers/ours.yaml": COMMENTED})
    before = (root / "answers/ours.yaml").read_bytes()

    harvested = run_cli("harvest", completed, "-l", root)
    assert harvested.exit_code == 0, harvested.output
    assert (root / "answers/ours.yaml").read_bytes() == before

    report = tmp_path / "report.json"
    answered = run_cli("answer", blank, "-l", root, "-r", report, "--today", "2026-12-01")
    assert answered.exit_code == 0, answered.output
    vendor = load_workbook(completed, data_only=True)["CAIQv4.0.3"]
    filled = load_workbook(tmp_path / "blank.filled.xlsx", data_only=True)["CAIQv4.0.3"]
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    own = 0
    for row in rows:
        r = row["row"]
        if row["status"] == "filled":
            # The vendor's own Yes/No/NA and its own text, nothing else.
            assert filled[f"C{r}"].value == vendor[f"C{r}"].value, r
            assert " ".join(str(filled[f"E{r}"].value).split()) == " ".join(
                str(vendor[f"E{r}"].value).split()), r
            own += 1
        else:
            # A row left for a person is one where the vendor contradicted itself.
            assert row["status"] == "review"
            assert any(reason.startswith("short-contradicts-answer")
                       for reason in row["reasons"]), row
    assert len(rows) == 261
    assert own / len(rows) >= 0.90


def test_harvesting_the_completed_caiq_twice_changes_nothing(
        shared_questionnaires: Path, write_library: Callable[..., Path]) -> None:
    from qfill.harvest.harvesting import plan_harvest, write_harvest
    from qfill.settings import Settings

    completed = shared_questionnaires / "csa-caiq" / "CAIQv4.0.3_WhitePact_completed.xlsx"
    root = write_library({})
    first = plan_harvest([completed], root=root, settings=Settings())
    write_harvest(first)
    before = (root / "answers/harvested.yaml").read_bytes()
    second = plan_harvest([completed], root=root, settings=Settings())
    assert (second.new, second.aliases, second.conflicts, second.edits) == ([], [], [], {})
    assert second.known == len(first.new)
    assert (root / "answers/harvested.yaml").read_bytes() == before


def test_harvested_hecvat3_answers_hecvat4_by_wording_not_by_its_moved_ids(
        shared_questionnaires: Path, write_library: Callable[..., Path]) -> None:
    from datetime import date

    from qfill.answering import answer_questionnaire
    from qfill.harvest.harvesting import plan_harvest, write_harvest
    from qfill.library import load_library
    from qfill.settings import Settings
    from qfill.sheets.reader import read_questionnaire

    folder = shared_questionnaires / "hecvat"
    root = write_library({})
    result = plan_harvest([folder / "HECVAT3_OpenDSA_20220830.xlsx"], root=root,
                          settings=Settings())
    write_harvest(result)
    where = "HECVAT3_OpenDSA_20220830.xlsx, HECVAT - Full row"
    skipped = {(n.kind, n.where) for n in result.notes if n.skipped}
    assert ("about-questionnaire", f"{where} 3") in skipped  # DATE-01
    assert {w for k, w in skipped if k == "personal-data"} == {
        f"{where} {r}" for r in (12, 13, 14, 16, 17, 18)}  # contact names, titles, emails
    library = load_library(root)
    assert all(set(a.refs) == {"hecvat-v3"} for a in library.answers if a.refs)
    questionnaire = read_questionnaire(folder / "HECVAT414.xlsx")
    assert questionnaire.template == "HECVAT 4"
    run = answer_questionnaire(questionnaire, library, Settings(), today=date(2026, 12, 1))
    filled = [m for m in run.matches if m.status == "filled"]
    assert len(filled) >= 100
    assert [m.row.question_id for m in filled if m.best and m.best.via == "id"] == []
    by_id = library.by_id()
    # DOCU-01 asks about a SOC 2 audit in HECVAT 3 and about something else in HECVAT 4:
    # the row is never answered with the entry whose refs name DOCU-01 unless it reads so.
    docu = next(m for m in run.matches if m.row.question_id == "DOCU-01")
    cited = next(a for a in library.answers if "DOCU-01" in a.refs.get("hecvat-v3", ()))
    assert docu.status != "filled" or docu.best is None or docu.best.answer_id != cited.id \
        or "SOC" in docu.row.question
    assert all(by_id[m.best.answer_id].refs for m in filled if m.best is not None)

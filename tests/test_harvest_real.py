"""Harvest on real completed questionnaires from ../shared (skipped where absent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import CliResult

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

"""`qfill answer` on every real published questionnaire: the filled copy is the customer's
file, changed only in the cells the report says were written (read from ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from questionnaire_fixtures import EXPECTED
from writeback_fixtures import assert_only_planned_changes

from qfill.filling import CellWrite, FillPlan

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_answer_changes_only_the_reported_cells(shared_questionnaires: Path, case: str,
                                                tmp_path: Path, run_cli) -> None:
    source = shared_questionnaires / EXPECTED[case].path
    before = source.read_bytes()
    out, report = tmp_path / "filled.xlsx", tmp_path / "report.json"
    result = run_cli("answer", source, "--library", REPO, "--out", out, "--report", report,
                     "--today", "2026-11-29")
    assert result.exit_code == 0, result.output
    assert source.read_bytes() == before
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    written = [(r["sheet"], role, ref, r["row"]) for r in rows
               for role, ref in r["cells"].items()]
    assert all(r["status"] == "filled" for r in rows if r["cells"])
    assert written or case == "whitepact"  # the completed CAIQ has no empty answer cell
    plan = FillPlan(tuple(CellWrite(sheet, ref, "", role, row)
                          for sheet, role, ref, row in written))
    assert_only_planned_changes(source, out, plan)
    wb = openpyxl.load_workbook(out)
    for sheet, _, ref, _ in written:
        cell = wb[sheet][ref]
        assert cell.value not in (None, "") and cell.data_type == "s", (sheet, ref)

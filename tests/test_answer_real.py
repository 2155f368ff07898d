"""`qfill answer` on every real published questionnaire: the filled copy is the customer's
file, changed only in the cells the report says were written (read from ../shared)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from questionnaire_fixtures import EXPECTED, Answered
from writeback_fixtures import assert_only_planned_changes, read_values

from qfill.filling import CellWrite, FillPlan


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_answer_changes_only_the_reported_cells(answered_real: Callable[[str], Answered],
                                                case: str) -> None:
    run = answered_real(case)
    assert run.exit_code == 0, run.output
    source, out = run.source, run.filled
    assert source.read_bytes() == run.source_before
    rows = run.report["rows"]
    written = [(r["sheet"], role, ref, r["row"]) for r in rows
               for role, ref in r["cells"].items()]
    assert all(r["status"] == "filled" for r in rows if r["cells"])
    assert written or case == "whitepact"  # the completed CAIQ has no empty answer cell
    plan = FillPlan(tuple(CellWrite(sheet, ref, "", role, row)
                          for sheet, role, ref, row in written))
    assert_only_planned_changes(source, out, plan)
    # Each written cell as openpyxl reads it: text, not empty, never a formula. (The other
    # sheets are byte-identical to the customer's, so reading only these proves it all.)
    for sheet in sorted({sheet for sheet, *_ in written}):
        refs = [ref for s, _, ref, _ in written if s == sheet]
        values = read_values(out, sheet, refs)
        for ref in refs:
            value, data_type = values[ref]
            assert value not in (None, "") and data_type == "s", (sheet, ref)

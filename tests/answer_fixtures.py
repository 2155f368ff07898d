"""One `qfill answer` run on a built workbook: the JSON report and the filled copy."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl


def answer_built(run_cli: Callable[..., Any], write_library: Callable[..., Path], path: Path,
                 library: str, *extra: str) -> tuple[dict[str, Any], openpyxl.Workbook]:
    """Answer ``path`` from a one-file library; (report as JSON, the written workbook)."""
    root = write_library({"answers/a.yaml": library})
    out, report = path.with_name("out.xlsx"), path.with_name("report.json")
    result = run_cli("answer", path, "-l", root, "-o", out, "-r", report, "--today",
                     "2026-11-29", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text(encoding="utf-8")), openpyxl.load_workbook(out)


def rows_by_place(report: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """The report's rows by (sheet, row)."""
    return {(r["sheet"], r["row"]): r for r in report["rows"]}

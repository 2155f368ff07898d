"""Fills from entries no one has approved (no `reviewed` date) are marked, and can be held.

A harvested draft has no `reviewed` date. By default its fills are written and every
report format marks them; `filling.unreviewed: review` in qfill.yaml holds such rows for a
person with the reason `unreviewed-entry`. A reviewed entry fills as before either way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook

LIBRARY = """
owner: security@example.com
answers:
  - id: siem
    question: Do you use a SIEM to collect security logs?
    answer: Yes. Every security log goes to our SIEM.
    short: "Yes"
  - id: encryption-at-rest
    question: Is customer data encrypted at rest?
    answer: Yes. AES-256 through AWS KMS on every data store.
    short: "Yes"
    reviewed: 2026-06-01
"""
NOTE = "entry not yet reviewed (no `reviewed` date)"


def questionnaire(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["Question", "Yes/No", "Answer"])
    ws.append(["Do you use a SIEM to collect security logs?"])
    ws.append(["Is customer data encrypted at rest?"])
    wb.save(path)
    return path


def run(run_cli: Callable[..., Any], write_library: Callable[..., Path], tmp_path: Path,
        settings: str | None, report_name: str) -> tuple[Path, openpyxl.Workbook]:
    files = {"answers/a.yaml": LIBRARY}
    if settings is not None:
        files["qfill.yaml"] = settings
    library = write_library(files)
    out, report = tmp_path / "out.xlsx", tmp_path / report_name
    result = run_cli("answer", questionnaire(tmp_path / "q.xlsx"), "-l", library, "-o", out,
                     "-r", report, "--today", "2026-11-29", "--force")
    assert result.exit_code == 0, result.output
    return report, openpyxl.load_workbook(out)


@pytest.mark.parametrize("settings", [None, "filling:\n  unreviewed: fill\n"])
def test_by_default_an_unreviewed_fill_is_written_and_marked_in_json(
        tmp_path: Path, run_cli, write_library, settings: str | None) -> None:
    report, out = run(run_cli, write_library, tmp_path, settings, "r.json")
    rows = {r["row"]: r for r in json.loads(report.read_text(encoding="utf-8"))["rows"]}
    assert [(rows[n]["status"], rows[n]["unreviewed"]) for n in (2, 3)] == [
        ("filled", True), ("filled", False)]
    assert [out["Q"][f"B{n}"].value for n in (2, 3)] == ["Yes", "Yes"]


def test_markdown_html_and_csv_mark_the_unreviewed_fill(tmp_path: Path, run_cli,
                                                        write_library) -> None:
    md, _out = run(run_cli, write_library, tmp_path, None, "r.md")
    text = md.read_text(encoding="utf-8")
    sections = text.split("### ")
    siem = next(s for s in sections if s.startswith("Q!2"))
    encryption = next(s for s in sections if s.startswith("Q!3"))
    assert NOTE in siem and NOTE not in encryption
    html, _out = run(run_cli, write_library, tmp_path, None, "r.html")
    assert html.read_text(encoding="utf-8").count("entry not yet reviewed") == 1
    table, _out = run(run_cli, write_library, tmp_path, None, "r.csv")
    with table.open(encoding="utf-8", newline="") as handle:
        rows = {r["row"]: r["unreviewed"] for r in csv.DictReader(handle)}
    assert rows == {"2": "yes", "3": ""}


def test_a_team_can_hold_unreviewed_entries_for_review(tmp_path: Path, run_cli,
                                                       write_library) -> None:
    report, out = run(run_cli, write_library, tmp_path, "filling:\n  unreviewed: review\n",
                      "r.json")
    rows = {r["row"]: r for r in json.loads(report.read_text(encoding="utf-8"))["rows"]}
    assert (rows[2]["status"], rows[2]["reason_codes"]) == ("review", ["unreviewed-entry"])
    assert rows[2]["candidates"][0]["answer_id"] == "siem"
    assert (rows[3]["status"], rows[3]["unreviewed"]) == ("filled", False)
    assert [out["Q"][f"B{n}"].value for n in (2, 3)] == [None, "Yes"]
    assert [out["Q"][f"C{n}"].value for n in (2, 3)] == [
        None, "Yes. AES-256 through AWS KMS on every data store."]


def test_a_misspelt_unreviewed_setting_is_refused(tmp_path: Path, run_cli,
                                                  write_library) -> None:
    library = write_library({"answers/a.yaml": LIBRARY,
                             "qfill.yaml": "filling:\n  unreviewed: hold\n"})
    result = run_cli("answer", questionnaire(tmp_path / "q.xlsx"), "-l", library)
    assert result.exit_code != 0
    assert "filling.unreviewed must be fill or review" in result.stderr

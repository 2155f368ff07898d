"""Smaller holes, each reproduced against the previous release: a mistyped answer id in a
review decision written into the customer's file as text; `apply -o review.csv --force`
overwriting the decisions; a DOCTYPE after a 5,000-byte comment accepted; two sheets of
one name listing every row twice; a bzip2 member failing the copy's check as a "qfill
bug". (Lower-case references: tests/test_hostile_cells.py.)
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from pathlib import Path

import pytest
from hostile_fixtures import assert_refused
from openpyxl import Workbook
from questionnaire_fixtures import build_simple, rewrite_part

LIBRARY = {
    "answers/policies.yaml": """
        answers:
          - id: infosec-policy
            question: Do you have an information security policy?
            answer: Yes. Approved by the board and reviewed every year.
            short: "Yes"
        """,
}


def _review(tmp_path: Path, decision: str) -> tuple[Path, Path]:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Answer"])
    ws.append(["P-1", "Is there a written information security policy?", None])
    filled = tmp_path / "q.filled.xlsx"
    wb.save(filled)
    review = tmp_path / "review.csv"
    with review.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sheet", "row", "question", "suggestion", "decision"])
        writer.writerow(["Sec", 2, "Is there a written information security policy?",
                         "infosec-policy", decision])
    return filled, review


def test_a_mistyped_answer_id_is_refused_not_written(tmp_path: Path, run_cli,
                                                     write_library) -> None:
    library = write_library(LIBRARY)
    filled, review = _review(tmp_path, "infosec-polcy")
    assert_refused(run_cli("apply", filled, review, "--library", library), 2,
                   "review.csv:2: decision 'infosec-polcy' looks like an answer id",
                   "did you mean 'infosec-policy'?")
    assert not (tmp_path / "q.reviewed.xlsx").exists()


def test_apply_never_writes_over_the_review_file(tmp_path: Path, run_cli,
                                                 write_library) -> None:
    library = write_library(LIBRARY)
    filled, review = _review(tmp_path, "infosec-policy")
    before = hashlib.sha256(review.read_bytes()).hexdigest()
    assert_refused(run_cli("apply", filled, review, "--library", library, "-o", review,
                           "--force"), 2, "is the review file itself")
    assert hashlib.sha256(review.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("part", ["xl/styles.xml", "docProps/core.xml"])
def test_a_doctype_after_a_long_comment_is_refused(part: str, tmp_path: Path, run_cli,
                                                   write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")

    def inject(xml: str) -> str:
        at = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
        return (xml[:at] + "<!--" + "x" * 5000 + "-->"
                + '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml[at:])

    rewrite_part(questionnaire, part, inject)
    assert_refused(run_cli("answer", questionnaire, "--library", library), 2,
                   f"{part} declares a DOCTYPE or entities")


def test_two_sheets_of_one_name_are_refused(tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    wb = Workbook()
    wb.active.title = "Security"
    wb.create_sheet("Other")
    path = tmp_path / "q.xlsx"
    wb.save(path)
    rewrite_part(path, "xl/workbook.xml", lambda xml: xml.replace('name="Other"',
                                                                   'name="security"'))
    assert_refused(run_cli("answer", path, "--library", library), 2,
                   "two sheets are named 'security'")


def test_a_bzip2_member_is_refused_when_read(tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    source = build_simple(tmp_path / "plain.xlsx")
    path = tmp_path / "q.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename.startswith("xl/worksheets/") \
                else zipfile.ZIP_DEFLATED
            new.writestr(info.filename, old.read(info.filename), compress_type=method)
    assert_refused(run_cli("answer", path, "--library", library), 2,
                   "uses a compression Excel does not")


def test_an_unreadable_review_file_is_a_one_line_error(tmp_path: Path, run_cli,
                                                       write_library, monkeypatch) -> None:
    library = write_library(LIBRARY)
    filled, review = _review(tmp_path, "infosec-policy")
    review.chmod(0)
    real_open = Path.open

    def denied(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self == review:  # as for any user but root, whom modes do not stop
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    assert_refused(run_cli("apply", filled, review, "--library", library), 2,
                   "review.csv: cannot read the review file (Permission denied)")


def test_an_answer_too_long_for_a_cell_goes_to_review_and_the_run_goes_on(
        tmp_path: Path, run_cli, write_library) -> None:
    import json

    long_answer = "Yes. " + "Our policy says so in every detail. " * 1200  # ~43,000 chars
    library = write_library({"answers/policies.yaml": f"""
        answers:
          - id: infosec-policy
            question: Do you have an information security policy?
            answer: "{long_answer}"
          - id: backups
            question: Do you back up customer data every day?
            answer: Yes. Encrypted daily backups kept for 35 days.
        """})
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Answer"])
    ws.append(["P-1", "Do you have an information security policy?", None])
    ws.append(["P-2", "Do you back up customer data every day?", None])
    path = tmp_path / "q.xlsx"
    wb.save(path)
    result = run_cli("answer", path, "--library", library, "--report", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"]
    assert rows[0]["status"] == "review"
    assert any(r.startswith("too-long-for-cell: Sec!C2: the text is") for r in rows[0]["reasons"])
    assert rows[1]["status"] == "filled"

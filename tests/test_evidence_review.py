"""Evidence in the answer run: passages and drafts in every report format and the review
file, `decision: draft` in `qfill apply`, and `--learn` turning a taken draft into an entry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qfill.library import read_library
from tests.conftest import CliResult

RUN_DATE = "2026-12-05"

ANSWERS = """\
    answers:
      - id: backups-encrypted
        question: Are backups encrypted?
        answer: "Yes. Backups are encrypted with AES-256."
        short: "Yes"
        evidence:
          - evidence/policies/access-control.md
"""

POLICY = """\
    # Access Control Policy

    ## 4.2 Multi-factor authentication

    Multi-factor authentication is required for every workforce sign-in. SMS codes are not
    accepted as a second factor.

    ## 5. Access reviews

    Access to production is reviewed every quarter by the CISO.
"""

QUESTIONS = (
    "ID,Question,Answer\n"
    "Q1,Are backups encrypted?,\n"
    "Q2,Is multi-factor authentication required for every workforce sign-in?,\n"
    "Q3,Do you hold a FedRAMP authorization?,\n"
)


@pytest.fixture
def library(write_library: Callable[..., Path]) -> Path:
    return write_library({"answers/a.yaml": ANSWERS,
                          "evidence/policies/access-control.md": POLICY})


def _answer(run_cli: Callable[..., CliResult], library: Path, tmp_path: Path,
            report: str) -> tuple[Path, Path]:
    questionnaire = tmp_path / "q.csv"
    questionnaire.write_text(QUESTIONS, encoding="utf-8")
    review = tmp_path / "review.csv"
    result = run_cli("answer", questionnaire, "-l", library, "-r", tmp_path / report,
                     "--review-file", review, "--today", RUN_DATE, "--force")
    assert result.exit_code == 0, result.output
    return tmp_path / "q.filled.csv", review


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_json_report_has_passages_and_a_draft_for_the_unanswered_row(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    _answer(run_cli, library, tmp_path, "r.json")
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert [(r["question_id"], r["status"]) for r in rows] == [
        ("Q1", "filled"), ("Q2", "unanswered"), ("Q3", "unanswered")]
    filled, mfa, fedramp = rows
    assert (filled["passages"], filled["draft"]) == ([], None)
    assert mfa["passages"][0]["path"] == "evidence/policies/access-control.md"
    assert mfa["passages"][0]["headings"] == ["Access Control Policy",
                                              "4.2 Multi-factor authentication"]
    assert mfa["passages"][0]["location"] == "line 5"
    assert mfa["draft"] == {
        "text": "Multi-factor authentication is required for every workforce sign-in.",
        "short": None, "origin": "quoted",
        "sentences": [{"text": "Multi-factor authentication is required for every workforce "
                               "sign-in.",
                       "citations": [{"path": "evidence/policies/access-control.md",
                                      "heading_path": "Access Control Policy > 4.2 "
                                                      "Multi-factor authentication",
                                      "location": "line 5"}]}]}
    # Nothing in the evidence speaks to FedRAMP: no passage, no draft.
    assert (fedramp["passages"], fedramp["draft"]) == ([], None)
    # A draft is never written: the filled copy holds only the library's answer.
    filled_copy = _rows((tmp_path / "q.filled.csv").read_text())
    assert [r["Answer"] for r in filled_copy] == [
        "Yes. Backups are encrypted with AES-256.", "", ""]


def test_markdown_csv_html_and_review_file_show_the_draft(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    draft = "Multi-factor authentication is required for every workforce sign-in."
    _, review = _answer(run_cli, library, tmp_path, "r.md")
    markdown = (tmp_path / "r.md").read_text()
    assert "### q!3 · Q2\n\n> Is multi-factor authentication required for every workforce " \
        "sign-in?" in markdown
    assert "**What your evidence says**, best first:" in markdown
    assert (f"> {draft} [evidence/policies/access-control.md, line 5]") in markdown
    (tmp_path / "r.md").unlink()
    for suffix in ("csv", "html"):
        _answer(run_cli, library, tmp_path, f"r.{suffix}")
        assert draft in (tmp_path / f"r.{suffix}").read_text()
    report = _rows((tmp_path / "r.csv").read_text())
    assert report[1]["draft"] == draft
    assert report[1]["passages"].startswith("evidence/policies/access-control.md, line 5 (")
    (row,) = [r for r in _rows(review.read_text()) if r["question_id"] == "Q2"]
    assert (row["draft"], row["draft_evidence"]) == (draft, "evidence/policies/access-control.md")


def _decide(review: Path, decision: str, *, draft: str | None = None) -> None:
    rows = _rows(review.read_text())
    for row in rows:
        if row["question_id"] == "Q2":
            row["decision"] = decision
            if draft is not None:
                row["draft"] = draft
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    review.write_text(buffer.getvalue(), encoding="utf-8")


def test_apply_learn_of_a_taken_draft_adds_a_lint_clean_entry(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    filled, review = _answer(run_cli, library, tmp_path, "r.json")
    _decide(review, "draft")
    result = run_cli("apply", filled, review, "-l", library, "--learn", "--today", RUN_DATE)
    assert result.exit_code == 0, result.output
    answers = [r["Answer"] for r in _rows((tmp_path / "q.reviewed.csv").read_text())]
    assert answers[1] == "Multi-factor authentication is required for every workforce sign-in."
    drafts = library / "answers" / "drafted-from-evidence.yaml"
    assert ("added 1 taken draft(s) as new entries, not yet reviewed, in "
            "answers/drafted-from-evidence.yaml") in result.stdout
    text = drafts.read_text()
    assert text == (
        "# Answers drafted from the evidence and taken in review (`qfill apply --learn`).\n"
        "# Each is quoted from the documents it cites. Check it, add an owner if you use one,\n"
        "# and add `reviewed: YYYY-MM-DD` when it is approved.\n"
        "answers:\n"
        "  - id: multi-factor-authentication-required-workforce-sign\n"
        '    question: "Is multi-factor authentication required for every workforce '
        'sign-in?"\n'
        '    answer: "Multi-factor authentication is required for every workforce sign-in."\n'
        "    evidence:\n"
        '      - path: "evidence/policies/access-control.md"\n'
        '        title: "Access Control Policy"\n')
    assert "reviewed:" not in text.split("answers:\n", 1)[1]
    lint = run_cli("lint", library, "--format", "json", "--today", RUN_DATE)
    assert lint.exit_code == 0, lint.output
    assert json.loads(lint.stdout)["findings"] == []
    library_now, _ = read_library(library)
    entry = library_now.by_id()["multi-factor-authentication-required-workforce-sign"]
    assert entry.reviewed is None and entry.short is None
    assert [e.path for e in entry.evidence] == ["evidence/policies/access-control.md"]


def test_an_edited_draft_is_refused_at_apply_naming_the_sentence(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    filled, review = _answer(run_cli, library, tmp_path, "r.json")
    _decide(review, "draft", draft="Multi-factor authentication is required for every "
                                   "workforce sign-in. Customers must use it too.")
    result = run_cli("apply", filled, review, "-l", library, "--today", RUN_DATE)
    assert result.exit_code == 2
    assert result.stderr == (
        f"qfill: error: {review}:2: q!3: the draft cannot be taken: sentence 2 'Customers "
        "must use it too.' is not in evidence/policies/access-control.md; take it as qfill "
        "wrote it, or write your own text in decision\n")
    assert not (tmp_path / "q.reviewed.csv").exists()


def test_a_draft_whose_evidence_expired_since_the_report_is_refused(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    filled, review = _answer(run_cli, library, tmp_path, "r.json")
    _decide(review, "draft")
    (library / "qfill.yaml").write_text(
        "evidence:\n  valid_until:\n    evidence/policies/access-control.md: 2026-12-31\n")
    result = run_cli("apply", filled, review, "-l", library, "--today", "2027-01-02")
    assert result.exit_code == 2
    assert ("the draft cannot be taken: it cites evidence/policies/access-control.md, which "
            "expired on 2026-12-31") in result.stderr


def test_expired_evidence_is_not_quoted_in_the_report(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    (library / "qfill.yaml").write_text(
        "evidence:\n  valid_until:\n    evidence/policies/access-control.md: 2026-11-30\n")
    _answer(run_cli, library, tmp_path, "r.json")
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert all(r["passages"] == [] and r["draft"] is None for r in rows)


def test_the_draft_command_in_qfill_yaml_drafts_for_search_and_answer(
        run_cli: Callable[..., CliResult], library: Path, tmp_path: Path) -> None:
    import sys

    script = Path(__file__).resolve().parent / "draft_command_script.py"
    (library / "qfill.yaml").write_text(
        f"evidence:\n  draft_command: [{json.dumps(sys.executable)}, "
        f"{json.dumps(str(script))}, reword]\n")
    question = "Is multi-factor authentication required for every workforce sign-in?"
    result = run_cli("search", "--evidence", question, "-l", library, "--json",
                     "--today", RUN_DATE)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["draft"]["origin"], data["draft"]["text"], data["draft"]["short"]) == (
        "command", "We confirm that multi-factor authentication is required for every "
        "workforce sign-in.", None)
    assert data["notes"] == ['dropped the draft\'s "Yes": no cited sentence states it']
    (library / "qfill.yaml").write_text(
        f"evidence:\n  draft_command: [{json.dumps(sys.executable)}, "
        f"{json.dumps(str(script))}, invent]\n")
    _answer(run_cli, library, tmp_path, "r.json")
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert rows[1]["draft"]["origin"] == "quoted"  # the command's draft was refused
    markdown_path = tmp_path / "r.md"
    _answer(run_cli, library, tmp_path, "r.md")
    assert (" refused: sentence 1 'Multi-factor authentication "
            "is required for every workforce sign-in and every...' is not supported by "
            "evidence/policies/access-control.md, Access Control Policy \\> 4.2 Multi-factor "
            "authentication, line 5: the passage does not say 'customer', 'gets', "
            "'dedicated', 'HSM'\n") in markdown_path.read_text()

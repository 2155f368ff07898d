"""The review loop: decisions become cell writes; --learn teaches the library a phrasing."""

from __future__ import annotations

from pathlib import Path

import pytest

from qfill.errors import InputError, LibraryError
from qfill.library import check_answer_file
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow, TargetCell
from qfill.review import add_alias, plan_decisions, read_decisions

FILE = b"""# access control answers
owner: sec@example.com
answers:
  - id: mfa-workforce   # keep this comment
    question: Is MFA required for staff?
    aliases:
      - Do staff use two-factor login?
    answer: Yes. Always.
    short: "Yes"
  - id: sso
    question: Do you support SSO?
    answer: >-
      Yes. SAML and
      OIDC.
"""


def test_learn_adds_alias_to_an_existing_list_and_keeps_the_rest() -> None:
    edited = add_alias(FILE, "mfa-workforce", "Is 2FA  enforced for employees?", name="x.yaml")
    assert edited is not None
    assert edited.replace(b'      - "Is 2FA enforced for employees?"\n', b"", 1) == FILE
    [entry, _], findings = check_answer_file(edited, "x.yaml")
    assert findings == []
    assert entry.aliases == ("Is 2FA enforced for employees?", "Do staff use two-factor login?")


def test_learn_creates_aliases_after_the_id_line() -> None:
    edited = add_alias(FILE, "sso", 'Single sign-on with "SAML"?', name="x.yaml")
    assert edited is not None
    [_, entry], findings = check_answer_file(edited, "x.yaml")
    assert findings == [] and entry.aliases == ('Single sign-on with "SAML"?',)
    assert entry.answer == "Yes. SAML and OIDC."


def test_learn_skips_a_phrasing_already_known() -> None:
    assert add_alias(FILE, "mfa-workforce", "is mfa  REQUIRED for staff?", name="x.yaml") is None
    with pytest.raises(LibraryError, match="no entry 'no-such-id'"):
        add_alias(FILE, "no-such-id", "anything", name="x.yaml")


def _questionnaire() -> Questionnaire:
    rows = (QuestionRow("Sec", 5, "Is 2FA enforced?", targets=(
        TargetCell("short", "C5", choices=("Y", "N")), TargetCell("answer", "D5"))),
        QuestionRow("Sec", 6, "Guard on site?", targets=(TargetCell("answer", "D6"),)),
        QuestionRow("Sec", 7, "Anything else?", targets=(TargetCell("answer", "D7"),)))
    return Questionnaire(Path("q.filled.xlsx"), FileFormat.XLSX, rows)


def test_decisions_become_writes(tmp_path: Path) -> None:
    from qfill.library import Library

    [mfa, sso], _ = check_answer_file(FILE, "answers/x.yaml")
    review = tmp_path / "review.csv"
    review.write_text("sheet,row,question_id,question,status,suggestion,confidence,decision\n"
                      "Sec,5,,Is 2FA enforced?,review,mfa-workforce,0.8,accept\n"
                      "Sec,6,,Guard on site?,unanswered,,,'=No guard; badge access\n"
                      "Sec,7,,Anything else?,unanswered,,,skip\n", encoding="utf-8")
    plan, applied = plan_decisions(read_decisions(review), _questionnaire(),
                                   Library(tmp_path, (mfa, sso)), review_path=review)
    assert [(w.ref, w.value) for w in plan.writes] == [
        ("C5", "Y"), ("D5", "Yes. Always."), ("D6", "'=No guard; badge access")]
    assert [a.answer.id if a.answer else None for a in applied] == ["mfa-workforce", None]


def test_decision_for_an_unknown_row_names_the_review_line(tmp_path: Path) -> None:
    from qfill.library import Library

    review = tmp_path / "review.csv"
    review.write_text("sheet,row,decision,suggestion\nSec,99,accept,x\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"review.csv:2: no question row at Sec!99"):
        plan_decisions(read_decisions(review), _questionnaire(), Library(tmp_path, ()),
                       review_path=review)


def test_review_file_without_required_columns(tmp_path: Path) -> None:
    review = tmp_path / "r.csv"
    review.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_decisions(review)


def test_csv_rows_are_found_by_number_whatever_the_file_is_called(tmp_path: Path) -> None:
    from qfill.library import Library

    [mfa, sso], _ = check_answer_file(FILE, "answers/x.yaml")
    rows = (QuestionRow("q.filled", 2, "Is 2FA enforced?", targets=(
        TargetCell("answer", "C2"),)),)
    filled = Questionnaire(Path("q.filled.csv"), FileFormat.CSV, rows)
    review = tmp_path / "review.csv"
    review.write_text("sheet,row,decision,suggestion\nq,2,accept,mfa-workforce\n",
                      encoding="utf-8")
    plan, _ = plan_decisions(read_decisions(review), filled, Library(tmp_path, (mfa, sso)),
                             review_path=review)
    assert [(w.ref, w.value) for w in plan.writes] == [("C2", "Yes. Always.")]

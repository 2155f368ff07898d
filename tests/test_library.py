"""Loading the answer library exactly as the format contract specifies."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qfill.errors import LibraryError
from qfill.library import check_answer_file, load_library, read_library

MFA = """
owner: security@example.com
review_every: 365
tags: [access-control]
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    aliases:
      - Do you enforce MFA for remote and administrative access?
    answer: >-
      Yes. Every employee and contractor signs in through our identity provider,
      which requires a phishing-resistant second factor.
    short: Yes
    evidence:
      - evidence/policies/access-control-policy.md
      - path: evidence/reports/soc2.pdf
        title: SOC 2 Type II report
        valid_until: 2027-09-30
      - https://trust.example.com/soc2
    refs:
      caiq: [IAM-14.1]
      sig: [H.2.1]
    tags: [identity]
    reviewed: 2026-06-01
"""


def test_loads_entries_with_file_defaults_and_evidence_forms(write_library) -> None:
    root = write_library({"answers/iam.yaml": MFA})
    library = load_library(root)
    [entry] = library.answers
    assert entry.id == "mfa-workforce"
    assert entry.owner == "security@example.com"  # inherited from the file
    assert entry.review_every == 365
    assert entry.tags == ("access-control", "identity")
    assert entry.short == "Yes"  # unquoted YAML 1.1 boolean read back as text
    assert entry.answer.startswith("Yes. Every employee") and "\n" not in entry.answer
    assert entry.aliases == ("Do you enforce MFA for remote and administrative access?",)
    assert [e.path for e in entry.evidence] == ["evidence/policies/access-control-policy.md",
                                                 "evidence/reports/soc2.pdf", None]
    assert entry.evidence[1].valid_until == date(2027, 9, 30)
    assert entry.evidence[2].url == "https://trust.example.com/soc2"
    assert entry.refs == {"caiq": ("IAM-14.1",), "sig": ("H.2.1",)}
    assert entry.reviewed == date(2026, 6, 1)
    assert (entry.source, entry.line) == ("answers/iam.yaml", 5)
    assert entry.is_stale(date(2027, 6, 2)) and not entry.is_stale(date(2027, 6, 1))


def test_reads_yml_files_at_any_depth(write_library) -> None:
    root = write_library({
        "answers/a/b/deep.yml": "answers:\n  - {id: deep, question: deep q, answer: a}\n",
        "answers/top.yaml": "answers:\n  - {id: top, question: top q, answer: a2}\n"})
    assert sorted(a.id for a in load_library(root).answers) == ["deep", "top"]


@pytest.mark.parametrize(("text", "where", "words"), [
    ("answers:\n  - id: x\n    question: q\n    answer: [unclosed\n", "answers/bad.yaml:5:1",
     "YAML syntax error"),
    ("answers:\n  - id: x\n    question: q\n    answer: a\n    answer: b\n",
     "answers/bad.yaml:5:5", "given twice"),
    ("answers:\n  - id: x\n    question: q\n    answr: a\n", "answers/bad.yaml:2:5",
     "entry 'x' has no 'answer'; add it (and 1 more)"),
    ("answers:\n  - id: Bad Id\n    question: q\n    answer: a\n", "answers/bad.yaml:2:9",
     "must match"),
    ("answers:\n  - id: x\n    question: q\n    answer: a\n    short: Maybe\n",
     "answers/bad.yaml:5:12", "short must be"),
    ("answers:\n  - id: x\n    question: !!python/object:os.system q\n    answer: a\n",
     "answers/bad.yaml:3:15", "unsupported YAML tag"),
])
def test_malformed_file_stops_with_one_line_naming_file_and_line(
        write_library, text: str, where: str, words: str) -> None:
    root = write_library({"answers/bad.yaml": text})
    with pytest.raises(LibraryError) as caught:
        load_library(root)
    message = str(caught.value)
    assert message.startswith(where), message
    assert words in message and "\n" not in message


def test_duplicate_ids_across_files_name_both_places(write_library) -> None:
    root = write_library({
        "answers/a.yaml": "answers:\n  - {id: same, question: deep q, answer: a}\n",
        "answers/b.yaml": "answers:\n  - id: same\n    question: q2?\n    answer: b\n"})
    with pytest.raises(LibraryError, match=r"answers/b.yaml:2:5: duplicate answer id 'same' "
                                           r"\(first at answers/a.yaml:2:5\)"):
        load_library(root)


def test_non_utf8_and_alias_bomb_are_findings_not_crashes(write_library) -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, n in zip("abcdefg", "bcdefgh", strict=True))
    root = write_library({"answers/latin1.yaml": b"answers:\n  - id: x\n" + b"\xe9\xff",
                          "answers/bomb.yaml": bomb})
    _, findings = read_library(root)
    rules = {f.path: f.rule for f in findings}
    assert rules == {"answers/latin1.yaml": "encoding", "answers/bomb.yaml": "yaml-too-complex"}


def test_missing_folder_and_empty_library(tmp_path: Path, write_library) -> None:
    with pytest.raises(LibraryError, match="library folder not found"):
        load_library(tmp_path / "nope")
    with pytest.raises(LibraryError, match="no answers found"):
        load_library(write_library({}))


def test_check_answer_file_keeps_entries_for_cross_file_rules() -> None:
    answers, findings = check_answer_file(
        b"answers:\n  - id: ok\n    question: q\n    answer: a\n    colour: red\n", "a.yaml")
    assert [a.id for a in answers] == ["ok"]
    assert [(f.rule, f.line, f.column) for f in findings] == [("unknown-key", 5, 5)]

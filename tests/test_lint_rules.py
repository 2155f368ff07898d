"""Each lint rule: its documented PASS/FAIL examples, then the cases around its edges."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from lint_fixtures import build, examples, found, prose_examples, run_lint

from qfill.errors import LibraryError, SettingsError
from qfill.findings import Severity
from qfill.library import Library
from qfill.lint import RULES
from qfill.lint.entries import answer_opening
from qfill.lint.evidence import url_problem
from qfill.settings import Settings

ENTRY = "  - id: {id}\n    question: {question}\n    answer: {answer}\n"


def _file(*entries: str, head: str = "") -> str:
    return head + "answers:\n" + "".join(entries)


# ----------------------------------------------------------------- documented examples


@pytest.mark.parametrize("rule_id", list(RULES))
def test_every_rule_documents_a_pass_and_a_fail_example(rule_id: str) -> None:
    runnable = examples(rule_id)
    prose = prose_examples(rule_id)
    assert runnable["PASS"] or "PASS" in prose, rule_id
    assert runnable["FAIL"] or "FAIL" in prose, rule_id
    assert RULES[rule_id].summary.endswith("."), rule_id


@pytest.mark.parametrize("rule_id", [r for r in RULES if examples(r)["PASS"]])
def test_documented_pass_examples_are_clean(rule_id: str, tmp_path: Path) -> None:
    for n, files in enumerate(examples(rule_id)["PASS"]):
        root = build(tmp_path / f"pass{n}", files)
        assert found(run_lint(root)) == [], files


@pytest.mark.parametrize("rule_id", [r for r in RULES if examples(r)["FAIL"]])
def test_documented_fail_examples_give_exactly_that_finding(rule_id: str,
                                                            tmp_path: Path) -> None:
    for n, files in enumerate(examples(rule_id)["FAIL"]):
        root = build(tmp_path / f"fail{n}", files)
        assert [f[0] for f in found(run_lint(root))] == [rule_id], files


# ----------------------------------------------------------------- structure (loader)


def test_yaml_syntax_points_at_the_line(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": "answers:\n  - id: x\n    question: [open\n"})
    [(rule, path, line, _)] = found(run_lint(root))
    assert (rule, path, line) == ("yaml-syntax", "answers/a.yaml", 4)


def test_non_utf8_file_is_an_encoding_finding(tmp_path: Path) -> None:
    root = build(tmp_path, {})
    (root / "answers" / "latin1.yaml").write_bytes(
        b"answers:\n  - id: x\n    question: S\xe9curit\xe9?\n    answer: Oui.\n")
    assert found(run_lint(root)) == [("encoding", "answers/latin1.yaml", 3, 16)]


def test_duplicate_key_points_at_the_second_key(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": _file(ENTRY.format(
        id="x", question="Q?", answer="Yes.") + "    question: Again?\n")})
    [finding] = run_lint(root).findings
    assert (finding.rule, finding.line, finding.column) == ("duplicate-key", 5, 5)
    assert "first at line 3" in finding.message


def test_duplicate_ids_across_files_name_the_first(tmp_path: Path) -> None:
    entry = ENTRY.format(id="same", question="Q?", answer="Yes.")
    other = ENTRY.format(id="same", question="Another question entirely?", answer="No.")
    root = build(tmp_path, {"answers/a.yaml": _file(entry), "answers/b.yaml": _file(other)})
    [finding] = run_lint(root).findings
    assert (finding.rule, finding.path, finding.line) == ("duplicate-id", "answers/b.yaml", 2)
    assert "answers/a.yaml:2:5" in finding.message


def test_empty_answer_without_a_value(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": "answers:\n  - id: x\n    question: Q?\n"
                            "    answer:\n"})
    assert found(run_lint(root)) == [("empty-answer", "answers/a.yaml", 4, 5)]


@pytest.mark.parametrize("raw", ["Yes", "yes", "NO", "no"])
def test_unquoted_short_is_a_warning_and_still_read(raw: str, tmp_path: Path) -> None:
    answer = "Yes, always." if raw.lower() == "yes" else "No, never."
    root = build(tmp_path, {"answers/a.yaml": _file(ENTRY.format(
        id="x", question="Q?", answer=answer) + f"    short: {raw}\n")})
    result = run_lint(root)
    assert found(result) == [("unquoted-short", "answers/a.yaml", 5, 12)]
    assert (result.errors, result.warnings, result.status) == (0, 1, "ok")


# ----------------------------------------------------------------- entries


def test_missing_required_key_accepts_a_file_level_default(tmp_path: Path) -> None:
    entry = ENTRY.format(id="x", question="Q?", answer="Yes.")
    root = build(tmp_path, {
        "qfill.yaml": "lint:\n  required: [owner, reviewed]\n",
        "answers/a.yaml": _file(entry, head="owner: sec@example.com\n"),
    })
    [finding] = run_lint(root).findings
    assert (finding.rule, finding.line) == ("missing-required-key", 3)
    assert "'reviewed'" in finding.message and "file-level" not in finding.message


def test_required_key_that_is_not_an_entry_key_is_a_settings_error(tmp_path: Path) -> None:
    root = build(tmp_path, {"qfill.yaml": "lint:\n  required: [ownr]\n"})
    with pytest.raises(SettingsError, match="did you mean 'owner'"):
        run_lint(root)


@pytest.mark.parametrize(("reviewed", "every", "stale"), [
    ("2025-11-29", "365", False),  # due today: not yet stale
    ("2025-11-28", "365", True),
    ("2026-10-01", "30", True),
])
def test_stale_answer_by_entry_period(reviewed: str, every: str, stale: bool,
                                      tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": _file(ENTRY.format(
        id="x", question="Q?", answer="Yes.") + f"    reviewed: {reviewed}\n"
        f"    review_every: {every}\n")})
    result = run_lint(root)
    assert found(result) == ([("stale-answer", "answers/a.yaml", 2, 5)] if stale else [])
    if stale:
        assert result.findings[0].severity is Severity.WARNING


def test_stale_answer_uses_file_then_settings_period(tmp_path: Path) -> None:
    entry = ENTRY.format(id="x", question="Q?", answer="Yes.") + "    reviewed: 2026-01-01\n"
    root = build(tmp_path, {"answers/a.yaml": _file(entry)})
    assert found(run_lint(root)) == []  # no period anywhere: never stale
    build(root, {"qfill.yaml": "lint:\n  review_every: 180\n"})
    assert [f[0] for f in found(run_lint(root))] == ["stale-answer"]
    build(root, {"answers/a.yaml": _file(entry, head="review_every: 400\n")})
    assert found(run_lint(root)) == []  # the file's period wins over qfill.yaml


@pytest.mark.parametrize(("text", "opening"), [
    ("Yes, always.", "Yes"), ("yes.", "Yes"), ("No. Never.", "No"), ("N/A: no office.", "N/A"),
    ("NA", "N/A"), ("Not applicable, we are cloud only.", "N/A"), ("None of our staff", None),
    ("Not all systems, but most.", None), ("Nobody can.", None), ("Partially.", None),
    ('"Yes", and more.', "Yes"), ("  - No", "No"), ("Yesterday's backup", None),
])
def test_answer_opening(text: str, opening: str | None) -> None:
    assert answer_opening(text) == opening


@pytest.mark.parametrize(("short", "answer", "flagged"), [
    ('"No"', "Yes, we do.", True), ('"Yes"', "No, we do not.", True),
    ('"N/A"', "Yes, in the EU.", True), ('"Yes"', "Not applicable.", True),
    ('"Yes"', "Yes.", False), ('"No"', "None of our staff can.", False),
    ('"N/A"', "'Not applicable: no offices.'", False), ('"Yes"', "Partly; see policy.", False),
    # "No" and "N/A" agree: the text gives the reason for the No.
    ('"No"', "Not applicable -- we run no data centre.", False),
    ('"N/A"', "No, there is nothing to apply it to.", False),
])
def test_short_contradicts_answer(short: str, answer: str, flagged: bool,
                                  tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": _file(ENTRY.format(
        id="x", question="Q?", answer=answer) + f"    short: {short}\n")})
    expected = [("short-contradicts-answer", "answers/a.yaml", 2, 5)] if flagged else []
    assert found(run_lint(root)) == expected


# ----------------------------------------------------------------- evidence


def _cite(tmp_path: Path, *items: str) -> Path:
    entry = ENTRY.format(id="x", question="Q?", answer="Yes.") + "    evidence:\n" + "".join(
        f"      - {item}\n" for item in items)
    return build(tmp_path, {"answers/a.yaml": _file(entry)})


@pytest.mark.parametrize(("item", "rule"), [
    ("evidence/policies/access-control-policy.md", None),
    ("evidence/policies/access-control-policy.pdf", "evidence-missing"),
    ("evidence/policies", "evidence-missing"),
    ("evidence/../qfill.yaml", "evidence-outside-root"),
    ("../secrets.txt", "evidence-outside-root"),
    ("/etc/passwd", "evidence-outside-root"),
    ("policies/access-control-policy.md", "evidence-outside-root"),
    ("'evidence\\policies\\access-control-policy.md'", "evidence-outside-root"),
    ("https://trust.example.com/soc2", None),
    ("https://trust.example.com:8443/a?b=c#d", None),
    ("http://trust.example.com/soc2", "invalid-url"),
    ("https://trust", "invalid-url"),
    ('"https://trust.example.com/two words"', "invalid-url"),
    ("https://user:secret@trust.example.com/", "invalid-url"),
    ("htps://trust.example.com/", "invalid-url"),
    ("ftp://files.example.com/report.pdf", "invalid-url"),
    ("www.example.com/report.pdf", "invalid-url"),
])
def test_evidence_item(item: str, rule: str | None, tmp_path: Path) -> None:
    result = run_lint(_cite(tmp_path, item))
    assert found(result) == ([(rule, "answers/a.yaml", 6, 9)] if rule else [])


def test_backslash_paths_get_a_forward_slash_hint(tmp_path: Path) -> None:
    [finding] = run_lint(_cite(tmp_path, "'evidence\\policies\\a.md'")).findings
    assert "forward slashes" in finding.message


def test_missing_evidence_suggests_the_nearest_file(tmp_path: Path) -> None:
    [finding] = run_lint(_cite(tmp_path, "evidence/policies/acces-control-policy.md")).findings
    assert "did you mean 'evidence/policies/access-control-policy.md'?" in finding.message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_out_of_evidence_is_outside_root(tmp_path: Path) -> None:
    root = _cite(tmp_path / "lib", "evidence/policies/linked.md",
                 "evidence/policies/inside-link.md")
    secret = tmp_path / "secret.md"
    secret.write_text("not evidence\n")
    (root / "evidence/policies/linked.md").symlink_to(secret)
    (root / "evidence/policies/inside-link.md").symlink_to(
        root / "evidence/policies/access-control-policy.md")
    [finding] = run_lint(root).findings
    assert (finding.rule, finding.line) == ("evidence-outside-root", 6)
    assert "symbolic link" in finding.message


def test_evidence_mapping_path_url_and_expiry(tmp_path: Path) -> None:
    root = _cite(tmp_path,
                 "path: evidence/reports/soc2-2026.pdf\n        valid_until: 2026-11-29",
                 "path: evidence/reports/soc2-2026.pdf\n        valid_until: 2026-11-28",
                 "url: http://trust.example.com/iso\n        title: ISO certificate")
    assert found(run_lint(root)) == [("evidence-expired", "answers/a.yaml", 8, 9),
                                     ("invalid-url", "answers/a.yaml", 10, 9)]


@pytest.mark.parametrize(("url", "why"), [
    ("http://a.example.com", "uses http"), ("https://a b.example.com", "spaces"),
    ("https://u:p@a.example.com", "user name or password"), ("mailto:x@example.com",
                                                             "not an https URL"),
    ("https://localhost/", "no valid host"), ("https://a.example.com:99999999/", "not a valid"),
])
def test_url_problem_says_what_is_wrong(url: str, why: str) -> None:
    problem = url_problem(url)
    assert problem is not None and why in problem


# ----------------------------------------------------------------- ambiguity


@dataclass(frozen=True)
class _Candidate:
    answer_id: str
    confidence: float


class _FixedRanker:
    """Stands in for the matcher: each text's candidates are given by the test."""

    calls: ClassVar[list[tuple[str, list[str]]]] = []

    def __init__(self, scores: dict[str, list[tuple[str, float]]]) -> None:
        self.scores = scores

    def rank_among(self, questions: list[str], among: list[list[str]],
                   **_: object) -> list[list[_Candidate]]:
        _FixedRanker.calls.extend((q, list(ids)) for q, ids in zip(questions, among, strict=True))
        return [[_Candidate(a, c) for a, c in self.scores.get(q, []) if a in ids]
                for q, ids in zip(questions, among, strict=True)]


def _twins(tmp_path: Path) -> Path:
    return build(tmp_path, {
        "answers/a.yaml": _file(ENTRY.format(id="at-rest", question="Is customer data "
                                             "encrypted at rest?", answer="Yes.")),
        "answers/b.yaml": _file(ENTRY.format(id="disk-encryption", question="Are customer "
                                             "data disks encrypted at rest?", answer="Yes."),
                                ENTRY.format(id="pen-test", question="Do you run yearly "
                                             "penetration tests?", answer="Yes.")),
    })


def test_ambiguity_is_reported_once_at_the_later_entry_naming_both(tmp_path: Path) -> None:
    root = _twins(tmp_path)
    scores = {"Is customer data encrypted at rest?": [("at-rest", 0.8), ("disk-encryption", 0.78)],
              "Are customer data disks encrypted at rest?": [("disk-encryption", 0.8),
                                                             ("at-rest", 0.79)]}
    _FixedRanker.calls = []
    result = run_lint(root, ranker=lambda library, settings: _FixedRanker(scores))
    [finding] = result.findings
    assert (finding.rule, finding.path, finding.line) == ("ambiguous-entries", "answers/b.yaml", 2)
    assert "'disk-encryption' and 'at-rest' (at answers/a.yaml:2)" in finding.message
    # Only the phrasings with a near twin (not the pen-test question), each scored
    # against its own entry and its twin's, not the library; the second wording's only
    # pair was flagged by the first, so it is not scored again.
    assert _FixedRanker.calls == [("Are customer data disks encrypted at rest?",
                                   ["at-rest", "disk-encryption"])]


def test_a_clear_self_match_is_not_ambiguous(tmp_path: Path) -> None:
    root = _twins(tmp_path)
    scores = {"Is customer data encrypted at rest?": [("at-rest", 0.97), ("disk-encryption", 0.6)],
              "Are customer data disks encrypted at rest?": [("disk-encryption", 0.96),
                                                             ("at-rest", 0.7)]}
    result = run_lint(root, ranker=lambda library, settings: _FixedRanker(scores))
    assert found(result) == []


def test_ranker_sees_the_library_and_enough_candidates(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    def factory(library: Library, settings: Settings) -> _FixedRanker:
        seen.append((len(library.answers), settings.matching.candidates))
        return _FixedRanker({})

    run_lint(_twins(tmp_path), ranker=factory)
    assert seen == [(3, 6)]


def test_real_matcher_flags_a_copied_alias_and_names_both(tmp_path: Path) -> None:
    root = _twins(tmp_path)
    build(root, {"answers/b.yaml": _file(ENTRY.format(
        id="disk-encryption", question="Are laptops encrypted?", answer="Yes.")
        + "    aliases:\n      - Is customer data encrypted at rest?\n")})
    [finding] = run_lint(root).findings
    assert (finding.rule, finding.path) == ("ambiguous-entries", "answers/b.yaml")
    assert "'disk-encryption' and 'at-rest'" in finding.message


def test_real_matcher_keeps_related_but_different_questions_apart(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": _file(
        ENTRY.format(id="rest", question="Is customer data encrypted at rest?", answer="Yes."),
        ENTRY.format(id="transit", question="Is customer data encrypted in transit?",
                     answer="Yes."),
        ENTRY.format(id="keys", question="Who can access the encryption keys for customer "
                     "data?", answer="Two administrators."))})
    assert found(run_lint(root)) == []


# ----------------------------------------------------------------- silencing, config


def test_silence_on_entry_line_or_alone_above_covers_the_entry(tmp_path: Path) -> None:
    stale = "    reviewed: 2020-01-01\n    review_every: 30\n    short: Yes\n"
    root = build(tmp_path, {"answers/a.yaml": (
        "answers:\n"
        "  - id: a  # qfill: disable=stale-answer\n    question: A?\n    answer: Yes.\n" + stale +
        "  # qfill: disable=stale-answer, unquoted-short\n"
        "  - id: b\n    question: B?\n    answer: Yes.\n" + stale +
        "  - id: c\n    question: C?\n    answer: Yes.\n" + stale)})
    result = run_lint(root)
    assert [(f.rule, f.answer_id, f.line) for f in result.findings] == [
        ("unquoted-short", "a", 7), ("stale-answer", "c", 15), ("unquoted-short", "c", 20)]
    assert result.silenced == 3


def test_trailing_comment_above_does_not_silence_the_next_entry(tmp_path: Path) -> None:
    root = build(tmp_path, {"answers/a.yaml": (
        "answers:\n  - id: a\n    question: A?\n    answer: Yes.\n"
        "    tags: [x]  # qfill: disable=stale-answer\n"
        "  - id: b\n    question: B?\n    answer: Yes.\n"
        "    reviewed: 2020-01-01\n    review_every: 30\n")})
    assert [f[0] for f in found(run_lint(root))] == ["stale-answer"]


def test_silence_on_a_finding_line(tmp_path: Path) -> None:
    root = _cite(tmp_path, "evidence/missing.pdf  # qfill: disable=evidence-missing")
    result = run_lint(root)
    assert (found(result), result.silenced) == ([], 1)


def test_rule_levels_from_settings_and_strict(tmp_path: Path) -> None:
    root = _cite(tmp_path, "http://trust.example.com/x", "evidence/nope.pdf")
    build(root, {"qfill.yaml": "lint:\n  rules:\n    invalid-url: off\n"
                 "    evidence-missing: warning\n"})
    result = run_lint(root)
    assert [(f.rule, f.severity) for f in result.findings] == [
        ("evidence-missing", Severity.WARNING)]
    assert (result.errors, result.warnings, result.status) == (0, 1, "ok")
    strict = run_lint(root, strict=True)
    assert [(f.rule, f.severity) for f in strict.findings] == [
        ("evidence-missing", Severity.ERROR)]
    assert (strict.errors, strict.warnings, strict.status) == (1, 0, "fail")


def test_unknown_rule_in_settings_is_an_error_with_a_hint(tmp_path: Path) -> None:
    root = build(tmp_path, {"qfill.yaml": "lint:\n  rules:\n    stale-answers: error\n"})
    with pytest.raises(SettingsError, match=r"'stale-answers'.*did you mean 'stale-answer'"):
        run_lint(root)


def test_missing_library_is_an_error_not_a_finding(tmp_path: Path) -> None:
    with pytest.raises(LibraryError):
        run_lint(tmp_path / "nowhere", settings=Settings())


def test_findings_are_sorted_and_counted(tmp_path: Path) -> None:
    root = build(tmp_path, {
        "answers/b.yaml": _file(ENTRY.format(id="B", question="Q?", answer="Yes.")),
        "answers/a.yaml": _file(ENTRY.format(id="a", question="Q?", answer="")
                                + "    short: Maybe\n"),
    })
    result = run_lint(root)
    assert [(f.path, f.line, f.rule) for f in result.findings] == [
        ("answers/a.yaml", 4, "empty-answer"), ("answers/a.yaml", 5, "invalid-short"),
        ("answers/b.yaml", 2, "invalid-id")]
    assert (result.files, result.errors, result.warnings) == (2, 3, 0)


def test_readme_rule_table_lists_every_rule_with_its_default() -> None:
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if "| rule | default |" not in text:
        pytest.skip("README.md has no lint rule table yet")
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning|off) \|", text, re.MULTILINE))
    assert rows == {r.id: r.default_name for r in RULES.values()}


def test_required_evidence_titles_and_the_value_key(tmp_path: Path) -> None:
    root = build(tmp_path, {
        "qfill.yaml": "lint:\n  required: [evidence.title, value]\n",
        "evidence/policy.md": "# Policy\n",
        "answers/a.yaml": _file(
            "  - id: titled\n    question: Is it titled?\n    answer: Yes.\n"
            "    value: Titled\n    evidence:\n      - path: evidence/policy.md\n"
            "        title: Security policy\n",
            "  - id: untitled\n    question: Is it untitled?\n    answer: Yes.\n"
            "    evidence:\n      - evidence/policy.md\n")})
    result = run_lint(root)
    assert [(f.rule, f.line, f.message) for f in result.findings] == [
        ("missing-required-key", 9, "entry 'untitled' has no 'value', which qfill.yaml "
         "lint.required asks for; add it to the entry"),
        ("missing-required-key", 13, "evidence evidence/policy.md of 'untitled' has no "
         "title, which qfill.yaml lint.required asks for; write it as a mapping with path "
         "(or url) and title")]


@pytest.mark.parametrize(("answer", "length"), [
    ("a" * 32_767, None),
    ("a" * 32_768, "32,768"),
    ("a" * 32_766 + "\U0001F600", "32,768"),  # an emoji is two UTF-16 units, as Excel counts
])
def test_answer_longer_than_a_cell_is_an_error_at_the_entry(answer: str, length: str | None,
                                                           tmp_path: Path) -> None:
    entry = ENTRY.format(id="policy", question="Describe your security policy.", answer=answer)
    result = run_lint(build(tmp_path, {"answers/a.yaml": _file("  - id: short\n"
                                                               "    question: Do you?\n"
                                                               "    answer: Yes.\n", entry)}))
    if length is None:
        assert found(result) == []
        return
    assert found(result) == [("answer-too-long", "answers/a.yaml", 5, 5)]
    [finding] = result.findings
    assert finding.severity.value == "error"
    assert finding.message == (f"answer of 'policy' is {length} characters, more than the "
                               "32,767 a spreadsheet cell holds; shorten it or cite the "
                               "detail as evidence")

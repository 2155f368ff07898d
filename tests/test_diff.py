"""Comparing two libraries entry by entry, and rendering the result safely."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping

import pytest

from qfill.diff import (
    ChangeKind,
    FailOn,
    ItemChange,
    ItemsChange,
    LibraryDiff,
    RiskCode,
    TextChange,
    ValueChange,
    WordOp,
    diff_libraries,
    snapshot_answers,
    word_diff,
)
from qfill.errors import LibraryError
from qfill.gitrev import WORKING_TREE, LibraryFile, Revision, Snapshot
from qfill.render.diff import RENDERERS, DiffFormat, render_diff, render_markdown, render_text

BASE = Revision("main", "1" * 40)
HEAD = Revision(WORKING_TREE)


def snapshot(files: Mapping[str, str], revision: Revision) -> Snapshot:
    return Snapshot(revision, tuple(
        LibraryFile(path, textwrap.dedent(text).lstrip("\n").encode("utf-8"))
        for path, text in files.items()), exists=True)


def compare(base: Mapping[str, str], head: Mapping[str, str]) -> LibraryDiff:
    return diff_libraries(snapshot_answers(snapshot(base, BASE)),
                          snapshot_answers(snapshot(head, HEAD)),
                          base_revision=BASE, head_revision=HEAD)


def codes(result: LibraryDiff) -> list[tuple[str, str]]:
    return [(r.code.value, r.id) for r in result.risks]


MFA = """
owner: security@example.com
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    aliases:
      - Do you enforce MFA for remote access?
      - Is MFA required for administrators?
    answer: >-
      Yes. Every employee and contractor signs in through our identity provider,
      which requires a phishing-resistant second factor.
    short: Yes
    evidence:
      - evidence/policies/access-control-policy.md
      - path: evidence/reports/soc2.pdf
        title: SOC 2 Type II report
        valid_until: 2027-09-30
    refs:
      caiq: [IAM-14.1]
      sig: [H.2.1]
    tags: [access-control, iam]
    reviewed: 2026-06-01
    review_every: 365
"""


def test_pure_reformatting_is_no_change() -> None:
    reformatted = """
    owner: "security@example.com"
    answers:
        -   id: mfa-workforce
            question: >
                Is multi-factor authentication required
                for all workforce access?
            aliases: ["Is MFA required for   administrators?",
                      "Do you enforce MFA for remote access?"]
            answer: "Yes. Every employee and contractor signs in through our identity
              provider, which requires a phishing-resistant second factor."
            short: "Yes"
            evidence:
                - path: evidence/reports/soc2.pdf
                  valid_until: 2027-09-30
                  title: SOC 2 Type II   report
                - evidence/policies/access-control-policy.md
            refs: {sig: [H.2.1], caiq: [IAM-14.1]}
            tags: [iam, access-control]
            # a comment changes nothing
            review_every: 365
            reviewed: 2026-06-01
    """
    result = compare({"answers/iam.yaml": MFA}, {"answers/iam.yaml": reformatted})
    assert result.entries == () and result.risks == () and result.unchanged == 1
    assert not result.fails(FailOn.ANY)


def test_answer_edit_is_a_word_diff() -> None:
    edited = MFA.replace("signs in", "logs in").replace("reviewed: 2026-06-01",
                                                        "reviewed: 2026-11-20")
    result = compare({"answers/iam.yaml": MFA}, {"answers/iam.yaml": edited})
    (entry,) = result.entries
    assert (entry.id, entry.kind, str(entry.base), str(entry.head)) == (
        "mfa-workforce", ChangeKind.CHANGED, "answers/iam.yaml:3", "answers/iam.yaml:3")
    answer, reviewed = entry.fields
    assert isinstance(answer, TextChange)
    assert answer.words == (
        WordOp("equal", "Yes. Every employee and contractor"), WordOp("delete", "signs"),
        WordOp("insert", "logs"), WordOp("equal", "in through our identity provider, which "
                                                  "requires a phishing-resistant second factor."))
    assert reviewed == ValueChange("reviewed", "2026-06-01", "2026-11-20")
    assert result.risks == ()  # reviewed moved forward with the edit


def test_word_diff_of_a_replacement_deletes_then_inserts() -> None:
    assert word_diff("a b c d", "a x y d") == (
        WordOp("equal", "a"), WordOp("delete", "b c"), WordOp("insert", "x y"),
        WordOp("equal", "d"))
    assert word_diff("", "new words") == (WordOp("insert", "new words"),)


def test_move_between_files_is_one_move_not_a_removal_and_an_addition() -> None:
    other = "owner: security@example.com\nanswers: []\n"
    moved_text = MFA.replace("answers:\n", "answers:\n  - id: filler\n    question: F?\n"
                             "    answer: f\n")
    result = compare({"answers/iam.yaml": MFA, "answers/other.yaml": other},
                     {"answers/iam.yaml": other, "answers/access/mfa.yaml": moved_text})
    kinds = [(e.id, e.kind, e.field_names()) for e in result.entries]
    assert kinds == [("filler", ChangeKind.ADDED, ("question", "answer", "owner")),
                     ("mfa-workforce", ChangeKind.MOVED, ())]
    moved = result.entries[1]
    assert (str(moved.base), str(moved.head)) == ("answers/iam.yaml:3",
                                                  "answers/access/mfa.yaml:6")
    assert codes(result) == []


def test_move_that_loses_the_file_owner_lists_the_field_and_the_risk() -> None:
    result = compare({"answers/iam.yaml": MFA},
                     {"answers/new.yaml": MFA.replace("owner: security@example.com\n", "")})
    (entry,) = result.entries
    assert entry.kind is ChangeKind.MOVED
    assert entry.fields == (ValueChange("owner", "security@example.com", None),)
    assert codes(result) == [("missing-owner", "mfa-workforce")]


def test_collections_report_added_removed_and_changed_items() -> None:
    edited = (MFA.replace("      - Is MFA required for administrators?\n",
                          "      - Is MFA enforced for admins?\n")
              .replace("      - evidence/policies/access-control-policy.md\n",
                       "      - https://trust.example.com/mfa\n")
              .replace("valid_until: 2027-09-30", "valid_until: 2028-09-30")
              .replace("sig: [H.2.1]", "sig: [H.2.2]").replace("[access-control, iam]", "[iam]"))
    (entry,) = compare({"answers/iam.yaml": MFA}, {"answers/iam.yaml": edited}).entries
    assert entry.fields == (
        ItemsChange("aliases", ("Is MFA enforced for admins?",),
                    ("Is MFA required for administrators?",)),
        ItemsChange("evidence", ("https://trust.example.com/mfa",),
                    ("evidence/policies/access-control-policy.md",),
                    (ItemChange("evidence/reports/soc2.pdf",
                                "title: SOC 2 Type II report; valid_until: 2027-09-30",
                                "title: SOC 2 Type II report; valid_until: 2028-09-30"),)),
        ItemsChange("refs", ("sig:H.2.2",), ("sig:H.2.1",)),
        ItemsChange("tags", (), ("access-control",)),
    )


def test_each_risk_is_named_with_its_entry_and_place() -> None:
    base = MFA + """
  - id: data-retention
    question: How long is customer data kept?
    answer: 30 days after termination.
    short: N/A
  - id: pen-test
    question: Do you run yearly penetration tests?
    answer: Yes, by an external firm.
    reviewed: 2026-01-10
"""
    head = (MFA.replace("short: Yes", "short: No")
            .replace("      - evidence/policies/access-control-policy.md\n", "")
            .replace("signs in", "logs in")) + """
  - id: pen-test
    question: Do you run yearly penetration tests?
    answer: Yes, by an external firm, twice a year.
    reviewed: 2026-01-10
"""
    extra = """
answers:
  - id: backups
    question: Are backups encrypted?
    answer: Yes.
"""
    result = compare({"answers/iam.yaml": base}, {"answers/iam.yaml": head,
                                                  "answers/new.yaml": extra})
    assert [(r.code.value, r.id, str(r.location), r.message) for r in result.risks] == [
        ("short-flipped", "mfa-workforce", "answers/iam.yaml:3", "short Yes -> No"),
        ("evidence-removed", "mfa-workforce", "answers/iam.yaml:3",
         "evidence removed: evidence/policies/access-control-policy.md"),
        ("answer-removed", "data-retention", "answers/iam.yaml:24",
         "entry removed; refs, reports and review files citing it no longer resolve"),
        ("missing-owner", "backups", "answers/new.yaml:2",
         "new entry has no owner; set owner on the entry or the file"),
        ("not-reviewed", "mfa-workforce", "answers/iam.yaml:3",
         "answer text changed but reviewed was not updated (still 2026-06-01)"),
        ("not-reviewed", "pen-test", "answers/iam.yaml:23",
         "answer text changed but reviewed was not updated (still 2026-01-10)"),
    ]
    assert result.fails(FailOn.RISKY) and result.fails(FailOn.ANY)
    assert not result.fails(FailOn.NEVER)


@pytest.mark.parametrize(("old", "new", "flipped"), [
    ("Yes", "No", True), ("No", "Yes", True), ("Yes", "N/A", True), ("Yes", None, False),
    (None, "Yes", False),
])
def test_short_flips(old: str | None, new: str | None, flipped: bool) -> None:
    def entry(short: str | None) -> str:
        line = f"    short: {short}\n" if short else ""
        return ("owner: o@example.com\nanswers:\n  - id: x\n    question: Q?\n"
                f"    answer: A.\n{line}")

    result = compare({"answers/a.yaml": entry(old)}, {"answers/a.yaml": entry(new)})
    assert (("short-flipped", "x") in codes(result)) is flipped


@pytest.mark.parametrize(("old", "new", "message"), [
    (None, None, "not set"), ("2026-01-01", None, "removed"),
    ("2026-01-01", "2025-01-01", "moved back to 2025-01-01"), (None, "2026-02-02", None),
    ("2026-01-01", "2026-01-02", None),
])
def test_not_reviewed(old: str | None, new: str | None, message: str | None) -> None:
    def entry(answer: str, reviewed: str | None) -> str:
        line = f"    reviewed: {reviewed}\n" if reviewed else ""
        return ("owner: o@example.com\nanswers:\n  - id: x\n    question: Q?\n"
                f"    answer: {answer}\n{line}")

    result = compare({"answers/a.yaml": entry("Old.", old)},
                     {"answers/a.yaml": entry("New.", new)})
    found = [r.message for r in result.risks if r.code is RiskCode.NOT_REVIEWED]
    assert found == ([] if message is None else
                     [f"answer text changed but reviewed was not updated ({message})"])


def test_a_new_id_for_the_same_question_is_a_rename_hint() -> None:
    base = "owner: o@example.com\nanswers:\n  - id: tls\n    question: Which TLS?\n" \
           "    answer: 1.2+\n"
    head = base.replace("id: tls", "id: tls-minimum-version")
    result = compare({"answers/a.yaml": base}, {"answers/a.yaml": head})
    assert [(e.id, e.kind, e.renamed) for e in result.entries] == [
        ("tls", ChangeKind.REMOVED, "tls-minimum-version"),
        ("tls-minimum-version", ChangeKind.ADDED, "tls")]
    assert [r.message for r in result.risks] == [
        "entry removed; renamed to 'tls-minimum-version'? (same question)"]


@pytest.mark.parametrize(("text", "message"), [
    ("answers:\n  - id: x\n    question: [unclosed\n",
     "answers/bad.yaml:4:1 at main: YAML syntax error: did not find expected ','"),
    ("answers:\n  - id: x\n    question: Q\n    answer: A\n    answer: B\n",
     "answers/bad.yaml:5:5 at main: key 'answer' given twice"),
])
def test_a_library_that_does_not_load_is_refused(text: str, message: str) -> None:
    with pytest.raises(LibraryError) as caught:
        snapshot_answers(snapshot({"answers/bad.yaml": text}, BASE))
    assert str(caught.value).startswith(message)
    assert str(caught.value).endswith("qfill diff needs both sides to load, run `qfill lint`")


def test_duplicate_ids_across_files_are_refused() -> None:
    entry = "answers:\n  - id: x\n    question: Q\n    answer: A\n"
    with pytest.raises(LibraryError, match=r"^answers/b.yaml:2:5 at main: duplicate answer id"):
        snapshot_answers(snapshot({"answers/a.yaml": entry, "answers/b.yaml": entry}, BASE))


# --------------------------------------------------------------------------- rendering

HOSTILE = """
answers:
  - id: x
    question: "Q | <b>bold</b>?"
    answer: "<script>alert(1)</script> [click](javascript:alert(1)) | *em* `code` $x$ cc @team"
    owner: "\\e[31mred\\e[0m \\u202eevil"
"""


def test_markdown_keeps_untrusted_text_inert() -> None:
    result = compare({"answers/a.yaml": "answers: []\n"}, {"answers/a.yaml": HOSTILE})
    md = render_markdown(result)
    assert "<script>" not in md and "<b>" not in md
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"\[click\](javascript:alert(1))" in md
    assert r"Q \| \<b\>bold\</b\>?" in md
    assert r"\*em\* \`code\` \$x\$" in md
    assert "@\u200bteam" in md and "@team" not in md
    assert "\x1b" not in md and "\u202e" not in md


def test_text_escapes_terminal_control_characters() -> None:
    result = compare({"answers/a.yaml": "answers: []\n"}, {"answers/a.yaml": HOSTILE})
    text = render_text(result)
    assert "\x1b" not in text and "\u202e" not in text
    assert r"owner: \u001b[31mred\u001b[0m \u202eevil" in text


def test_long_answers_show_context_around_the_change() -> None:
    words = [f"w{i}" for i in range(60)]
    old = " ".join(words)
    new = " ".join([*words[:30], "CHANGED", *words[31:]])
    base = f"owner: o@example.com\nanswers:\n  - id: x\n    question: Q\n    answer: {old}\n"
    result = compare({"answers/a.yaml": base},
                     {"answers/a.yaml": base.replace(old, new)})
    text = render_text(result)
    assert "answer: ... w22 w23 w24 w25 w26 w27 w28 w29 [-w30-] {+CHANGED+} w31 w32 w33 " \
           "w34 w35 w36 w37 w38 ..." in " ".join(text.split())
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "- **answer**: … w22 w23 w24 w25 w26 w27 w28 w29 ~~w30~~ **CHANGED** w31" \
        in render_markdown(result)


def test_no_change_renders_a_one_line_verdict() -> None:
    result = compare({"answers/a.yaml": MFA}, {"answers/a.yaml": MFA})
    assert render_text(result) == ("qfill diff: main (1111111) -> working tree\n"
                                   "No changes to answers (1 unchanged).\n")
    assert render_markdown(result).endswith("No changes to answers (1 unchanged).\n")


def test_every_format_has_a_renderer_and_json_is_stable() -> None:
    assert set(RENDERERS) == set(DiffFormat) - {DiffFormat.AUTO}
    result = compare({"answers/a.yaml": "answers: []\n"}, {"answers/a.yaml": MFA})
    assert render_diff(result, DiffFormat.AUTO) == render_text(result)
    text = render_diff(result, DiffFormat.JSON)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == ["version", "base", "head", "summary", "risks", "entries"]
    assert data["head"] == {"rev": "working tree", "commit": None}
    assert list(data["summary"]) == ["added", "removed", "moved", "changed", "unchanged",
                                     "risks"]
    assert list(data["entries"][0]) == ["id", "change", "base", "head", "renamed", "fields"]


def test_markdown_stays_under_the_pull_request_comment_limit() -> None:
    entries = "".join(f"  - id: e{i}\n    question: Question {i}?\n    answer: {'word ' * 20}\n"
                      for i in range(700))
    result = compare({"answers/a.yaml": "answers: []\n"},
                     {"answers/a.yaml": f"answers:\n{entries}"})
    md = render_markdown(result)
    assert len(md) <= 60_000
    assert "| 700 | 0 | 0 | 0 | 0 | 700 |" in md
    assert "more risks, not shown to keep this under GitHub's comment size limit" in md
    assert md.rstrip().endswith("more changed entries, not shown to keep this under GitHub's "
                                "comment size limit; run `qfill diff` locally to see them all.")
    assert len(render_markdown(result, max_chars=10**7)) > 60_000

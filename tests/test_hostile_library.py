"""Hostile libraries and the review loop: the library changes only through edits a reviewer
can see, and lint, `answer` and `diff` agree on which files make the library.

Each case was reproduced against the previous release: an alias learned into an approved
answer, a linked answer file read by `answer` but invisible to `diff` and lint, and an
unreadable folder skipped without a word.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from diff_fixtures import GitRepo, make_git_repo
from hostile_fixtures import assert_refused, digest
from openpyxl import Workbook

from qfill.library import load_library, read_library

ANSWERS = """\
owner: security@example.com
answers:
  - id: encryption-at-rest
    question: Is customer data encrypted at rest?
    answer: >-
      Yes. AES-256{sep1}      through AWS KMS on every data store, with keys rotated
      every year{sep2}      and access to them logged.
    short: "Yes"

  - id: pen-test   # reviewed by the CISO
    question: Do you run penetration tests?
    answer: "Yes. An independent firm tests the platform every year."
    short: "Yes"

  - id: vuln-scans
    question: Do you scan for vulnerabilities?
    aliases:
      - Are hosts scanned for known vulnerabilities?
    answer: "Yes. Weekly authenticated scans of every host."
    short: "Yes"
"""

QUESTIONS = [
    ("Does an independent firm perform a penetration test of the application?", "pen-test"),
    ("Is every container image scanned before release?", "vuln-scans"),
    ("Are external testers engaged to attack the product each year?", "pen-test"),
    ("Do you run scanners across the whole estate?", "vuln-scans"),
]


def _review_setup(tmp_path: Path, questions: list[tuple[str, str]]) -> tuple[Path, Path]:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Answer"])
    for n, (question, _) in enumerate(questions, start=1):
        ws.append([f"Q-{n}", question, None])
    questionnaire = tmp_path / "q.filled.xlsx"
    wb.save(questionnaire)
    review = tmp_path / "review.csv"
    with review.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sheet", "row", "question", "suggestion", "decision"])
        for n, (question, answer_id) in enumerate(questions, start=2):
            writer.writerow(["Sec", n, question, answer_id, answer_id])
    return questionnaire, review


# --------------------------------------------------------------------------- 1. --learn


@pytest.mark.parametrize(("sep1", "sep2"), [
    ("\u2028", "\n"),        # one LINE SEPARATOR, pasted from a document
    ("\u2028", "\x85"),      # plus a NEXT LINE: two breaks that str.split("\n") misses
    ("\u2029", "\r\n"),      # PARAGRAPH SEPARATOR in a CRLF file
], ids=["ls", "ls-nel", "ps-crlf"])
def test_learn_adds_aliases_exactly_where_the_parser_sees_entries(
        sep1: str, sep2: str, tmp_path: Path, run_cli, write_library) -> None:
    text = ANSWERS.format(sep1=sep1, sep2=sep2)
    if sep2 == "\r\n":
        text = text.replace("\n", "\r\n")
    library = write_library({"answers/security.yaml": text.encode("utf-8")})
    before = load_library(library)
    questionnaire, review = _review_setup(tmp_path, QUESTIONS)

    result = run_cli("apply", questionnaire, review, "--library", library, "--learn")
    assert result.exit_code == 0, result.output
    assert "learned 4 new phrasing(s) in answers/security.yaml" in result.stdout

    after = {a.id: a for a in load_library(library).answers}
    old = {a.id: a for a in before.answers}
    assert after["encryption-at-rest"].answer == old["encryption-at-rest"].answer
    assert after["encryption-at-rest"].aliases == ()
    assert set(after["pen-test"].aliases) == {QUESTIONS[0][0], QUESTIONS[2][0]}
    assert set(after["vuln-scans"].aliases) == {QUESTIONS[1][0], QUESTIONS[3][0],
                                               "Are hosts scanned for known vulnerabilities?"}
    for answer_id in after:
        assert (after[answer_id].answer, after[answer_id].short) == \
            (old[answer_id].answer, old[answer_id].short)
    # Only lines were inserted (the aliases and one `aliases:` key); the rest is untouched.
    edited = (library / "answers/security.yaml").read_bytes().decode("utf-8")
    diff = difflib.SequenceMatcher(None, text.splitlines(keepends=True),
                                   edited.splitlines(keepends=True), autojunk=False)
    inserted = [line for op, _, _, j1, j2 in diff.get_opcodes() if op != "equal"
                for line in edited.splitlines(keepends=True)[j1:j2]]
    assert {op for op, *_ in diff.get_opcodes()} == {"equal", "insert"}
    newline = "\r\n" if sep2 == "\r\n" else "\n"
    assert sorted(inserted) == sorted([f"    aliases:{newline}"] + [
        f'      - "{question}"{newline}' for question, _ in QUESTIONS])
    assert run_cli("lint", library, "--format", "text").exit_code == 0


def test_learn_that_cannot_be_proven_changes_nothing_and_fails(tmp_path: Path, run_cli,
                                                               write_library) -> None:
    library = write_library({"answers/security.yaml": """
        answers:
          - {id: pen-test, question: Do you run penetration tests?, answer: "Yes."}
          - id: vuln-scans
            question: Do you scan for vulnerabilities?
            answer: "Yes. Weekly."
        """})
    answers = library / "answers/security.yaml"
    original = digest(answers)
    questionnaire, review = _review_setup(tmp_path, QUESTIONS[:2])
    result = run_cli("apply", questionnaire, review, "--library", library, "--learn")
    assert_refused(result, 2, "answers/security.yaml:2:5", "flow style", "add the alias by hand")
    assert digest(answers) == original
    assert not (tmp_path / "q.reviewed.xlsx").exists()


def test_learn_undoes_its_edit_when_the_library_does_not_reload_as_proven(
        tmp_path: Path, run_cli, write_library, monkeypatch) -> None:
    library = write_library({"answers/security.yaml": ANSWERS.format(sep1="", sep2="\n")})
    answers = library / "answers/security.yaml"
    original = answers.read_bytes()
    questionnaire, review = _review_setup(tmp_path, QUESTIONS[:1])
    import qfill.library

    real = qfill.library.read_library
    calls = {"n": 0}

    def someone_else_edits(root: Path, **options):  # the second read: the check after writing
        calls["n"] += 1
        if calls["n"] == 2:
            answers.write_bytes(answers.read_bytes().replace(b"Weekly", b"Monthly"))
        return real(root, **options)

    monkeypatch.setattr(qfill.library, "read_library", someone_else_edits)
    result = run_cli("apply", questionnaire, review, "--library", library, "--learn")
    assert_refused(result, 2, "did not reload as the old entries plus the new aliases",
                   "undone")
    assert answers.read_bytes() == original
    assert not (tmp_path / "q.reviewed.xlsx").exists()


# --------------------------------------------------------------------------- 2. links


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return make_git_repo(tmp_path, monkeypatch)


SECRET_ANSWER = """\
answers:
  - id: secret-backdoor
    question: Is customer data encrypted at rest?
    answer: "No. We keep plain copies."
    short: "No"
"""


@pytest.mark.parametrize("target", ["inside", "outside", "folder"])
def test_a_linked_answer_file_is_refused_by_answer_lint_and_diff(
        target: str, git_repo: GitRepo, tmp_path: Path, run_cli) -> None:
    git_repo.commit("library", {"answers/security.yaml": ANSWERS.format(sep1="", sep2="\n"),
                                "evidence/notes.yaml": SECRET_ANSWER})
    library = git_repo.path
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.yaml").write_text(SECRET_ANSWER, encoding="utf-8")
    link = {"inside": (library / "answers/extra.yaml", Path("../evidence/notes.yaml")),
            "outside": (library / "answers/extra.yaml", outside / "x.yaml"),
            "folder": (library / "answers/more", outside)}[target]
    link[0].symlink_to(link[1])
    shown = "answers/more" if target == "folder" else "answers/extra.yaml"

    lint = run_cli("lint", library, "--format", "text")
    assert lint.exit_code == 1
    assert f"{shown}:1:1: error [not-a-regular-file]" in lint.stdout

    questionnaire, _ = _review_setup(tmp_path, QUESTIONS[:1])
    assert_refused(run_cli("answer", questionnaire, "--library", library, "--dry-run"), 2,
                   f"{shown}:1:1", "symbolic link")

    # Uncommitted, and committed: the reviewer is told, never shown "no changes".
    assert_refused(run_cli("diff", "-l", library, "--fail-on", "any"), 2, shown,
                   "symbolic link")
    git_repo.commit("add a linked answer file")
    assert_refused(run_cli("diff", "HEAD~1", "HEAD", "-l", library, "--fail-on", "any"), 2,
                   shown, "symbolic link")


def test_a_special_file_in_answers_is_refused(tmp_path: Path, run_cli, write_library) -> None:
    library = write_library({"answers/security.yaml": ANSWERS.format(sep1="", sep2="\n")})
    os.mkfifo(library / "answers" / "pipe.yaml")
    lint = run_cli("lint", library, "--format", "text")
    assert lint.exit_code == 1
    assert "answers/pipe.yaml:1:1: error [not-a-regular-file]" in lint.stdout


# --------------------------------------------------------------------------- 3. unreadable


@contextmanager
def unreadable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``folder`` cannot be listed: by its mode, and for root (whom modes do not stop, as
    in CI) by the listing call failing as it would."""
    folder.chmod(0)
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    if os.geteuid() == 0:
        monkeypatch.setattr(os, "scandir", scandir)
    try:
        yield
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("which", ["answers", "answers/team"])
def test_an_unreadable_folder_is_an_error_not_an_empty_library(
        which: str, tmp_path: Path, run_cli, write_library, monkeypatch) -> None:
    library = write_library({"answers/security.yaml": ANSWERS.format(sep1="", sep2="\n"),
                             "answers/team/hr.yaml": SECRET_ANSWER.replace("secret-backdoor",
                                                                           "hr")})
    questionnaire, _ = _review_setup(tmp_path, QUESTIONS[:1])
    with unreadable(library / which, monkeypatch):
        lint = run_cli("lint", library, "--format", "text")
        assert lint.exit_code == 1, lint.output
        assert f"{which}:1:1: error [unreadable] cannot list this folder (Permission denied)" \
            in lint.stdout
        assert_refused(run_cli("answer", questionnaire, "--library", library, "--dry-run"), 2,
                       f"{which}:1:1", "cannot list this folder")
        _, findings = read_library(library)
        assert [f.rule for f in findings] == ["unreadable"]


# --------------------------------------------------------------------------- 11. (library part)


def test_a_huge_sparse_answer_file_is_refused_before_it_is_read(tmp_path: Path, run_cli,
                                                                write_library) -> None:
    import time

    library = write_library({"answers/security.yaml": ANSWERS.format(sep1="", sep2="\n")})
    with (library / "answers" / "huge.yaml").open("wb") as handle:
        handle.truncate(4 * 1024 ** 3)  # 4 GB that take no disk space
    questionnaire, _ = _review_setup(tmp_path, QUESTIONS[:1])
    started = time.monotonic()
    lint = run_cli("lint", library, "--format", "text")
    assert lint.exit_code == 1
    assert "answers/huge.yaml:1:1: error [file-too-large] file is 4294967296 bytes" in lint.stdout
    assert_refused(run_cli("answer", questionnaire, "--library", library, "--dry-run"), 2,
                   "answers/huge.yaml:1:1", "over the 8388608-byte limit")
    assert time.monotonic() - started < 10

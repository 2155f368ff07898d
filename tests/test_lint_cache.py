"""Lint with a cache folder: a second run over an unchanged library parses and analyses
nothing again, an edited file is read and analysed afresh, and whatever the cache holds,
the findings are those of a run without it (an edit, new synonyms, a changed thesaurus
or qfill itself never meet a stale analysis)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

import qfill.answer_file_cache
import qfill.library
import qfill.terms
from qfill.lint import LintResult, lint_library
from qfill.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)

# Two entries that only the library's synonyms make one question.
_RIVALS = """answers:
  - id: zorblax-rotation
    question: Is the zorblax key rotated every year?
    answer: Yes, every year.
  - id: quuxflux-rotation
    question: Is the quuxflux key rotated every year?
    answer: Yes, every year.
"""


def _library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(REPO / "answers", root / "answers")
    shutil.copytree(REPO / "evidence", root / "evidence")
    shutil.copy(REPO / "qfill.yaml", root / "qfill.yaml")
    (root / "answers" / "zz-rivals.yaml").write_text(_RIVALS, encoding="utf-8")
    return root


class _Work:
    """The files parsed and the texts analysed from here on, in a fresh process's state
    (the analyser of this process forgets what it analysed)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.analysed: list[str] = []
        check = qfill.library.check_answer_file
        analyse = qfill.terms.Analyzer._analyze

        def parsing(data: bytes, name: str):  # type: ignore[no-untyped-def]
            self.parsed.append(name)
            return check(data, name)

        def analysing(analyzer: qfill.terms.Analyzer, text: str) -> qfill.terms.Analysis:
            self.analysed.append(text)
            return analyse(analyzer, text)

        monkeypatch.setattr(qfill.library, "check_answer_file", parsing)
        monkeypatch.setattr(qfill.terms.Analyzer, "_analyze", analysing)

    def lint(self, root: Path, cache: Path | None) -> LintResult:
        self.parsed.clear()
        self.analysed.clear()
        qfill.terms._analyzer_for.cache_clear()
        return lint_library(root, settings=load_settings(root), today=TODAY, cache=cache)


def _add_copy(root: Path, answer_id: str) -> str:
    """A new entry asking what ``answer_id`` asks (a near twin); its question."""
    question = qfill.library.load_library(root).by_id()[answer_id].question
    (root / "answers" / "zz-copy.yaml").write_text(
        f"answers:\n  - id: copy\n    question: \"{question}\"\n"
        "    answer: Yes, for everyone.\n", encoding="utf-8")
    return question


def _ambiguous(result: LintResult) -> set[str]:
    return {f.answer_id or "" for f in result.findings if f.rule == "ambiguous-entries"}


def test_a_second_run_parses_and_analyses_nothing_and_finds_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    _add_copy(root, "mfa-workforce")
    work = _Work(monkeypatch)
    plain = work.lint(root, None)
    assert "copy" in _ambiguous(plain) and work.analysed
    first = work.lint(root, cache)
    assert first == plain
    second = work.lint(root, cache)
    assert second == plain
    assert work.parsed == []
    # Only what is not an answer file's text: an entry's tags and file name, and the
    # thesaurus's own phrases, are analysed again.
    texts = {t for a in qfill.library.load_library(root).answers for t in (*a.phrasings,
                                                                           a.answer)}
    assert not texts & set(work.analysed)


def test_an_edited_file_is_analysed_afresh_and_its_findings_follow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    work = _Work(monkeypatch)
    before = work.lint(root, cache)
    library = qfill.library.load_library(root)
    texts = {t for a in library.answers for t in (*a.phrasings, a.answer)}
    _add_copy(root, "mfa-workforce")
    after = work.lint(root, cache)
    assert work.parsed == ["answers/zz-copy.yaml"]
    assert set(work.analysed) & (texts | {"Yes, for everyone."}) == {"Yes, for everyone."}
    assert "copy" in _ambiguous(after) and "copy" not in _ambiguous(before)
    assert after == work.lint(root, None)


def test_new_synonyms_never_meet_the_analyses_made_without_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    work = _Work(monkeypatch)
    assert not {"zorblax-rotation", "quuxflux-rotation"} & _ambiguous(work.lint(root, cache))
    settings = root / "qfill.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") +
                        "\nsynonyms:\n  zorblax: [quuxflux]\n", encoding="utf-8")
    with_synonyms = work.lint(root, cache)
    assert "Is the zorblax key rotated every year?" in work.analysed  # analysed afresh
    assert with_synonyms == work.lint(root, None)
    assert {"zorblax-rotation", "quuxflux-rotation"} & _ambiguous(with_synonyms)


def test_analyses_are_kept_for_one_analyser_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to qfill's term code or the shipped thesaurus is another analyser: the
    analyses kept before it are not used."""
    root, cache = _library(tmp_path), tmp_path / "cache"
    work = _Work(monkeypatch)
    first = work.lint(root, cache)
    monkeypatch.setattr(qfill.terms, "shipped_thesaurus_digest", lambda: "another thesaurus")
    assert work.lint(root, cache) == first
    assert "Is the zorblax key rotated every year?" in work.analysed
    key = qfill.answer_file_cache.analyser_key({})
    monkeypatch.setattr(qfill.terms, "__file__", str(REPO / "qfill" / "overlap.py"))
    assert qfill.answer_file_cache.analyser_key({}) != key

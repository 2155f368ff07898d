"""The library's index on disk: a second run against an unchanged library loads it, any
change to what it is built from builds it again, and a doubtful file is never loaded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_answer_cli import LIBRARY, build_questionnaire

import qfill.library_index
from qfill.library import load_library
from qfill.library_index import LibraryIndex, load_index
from qfill.matching import Matcher
from qfill.questionnaire import QuestionRow
from qfill.settings import Settings, load_settings
from qfill.terms import shared_analyzer

REPO = Path(__file__).resolve().parent.parent
ROWS = [QuestionRow("S", n + 2, q) for n, q in enumerate([
    "Is customer data encrypted at rest?", "Do you enforce MFA for administrators?",
    "How often are backups restored in a test?", "Do you have a bug bounty?"])]


def _decisions(matcher: Matcher) -> list[tuple[str, tuple[tuple[str, float], ...]]]:
    return [(m.status, tuple((c.answer_id, c.confidence) for c in m.candidates))
            for m in matcher.match(ROWS)]


def _no_build(*args: object) -> LibraryIndex:
    raise AssertionError("the index was built again")


def test_a_second_matcher_loads_the_index_and_decides_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library, settings = load_library(REPO), load_settings(REPO)
    first = Matcher(library, settings, index_cache=tmp_path)
    assert not first.index_from_cache
    assert len(list((tmp_path / "index").glob("*.pickle"))) == 1
    monkeypatch.setattr(LibraryIndex, "build", _no_build)
    second = Matcher(library, settings, index_cache=tmp_path)
    assert second.index_from_cache
    monkeypatch.undo()
    assert _decisions(second) == _decisions(first) == _decisions(Matcher(library, settings))


def test_the_loaded_index_equals_the_built_one_field_by_field(tmp_path: Path) -> None:
    library, settings = load_library(REPO), load_settings(REPO)
    analyze = shared_analyzer(settings.synonyms)
    built, cached = load_index(library.answers, analyze, settings.synonyms, tmp_path)
    loaded, from_cache = load_index(library.answers, analyze, settings.synonyms, tmp_path)
    assert (cached, from_cache) == (False, True)
    assert loaded == built  # every Analysis field too (tokens, terms, words as written...)
    assert [list(p) for p in loaded.postings.values()] == \
        [list(p) for p in built.postings.values()]


def test_a_changed_alias_answer_tag_file_or_synonym_builds_it_again(tmp_path: Path) -> None:
    root = tmp_path / "library"
    shutil.copytree(REPO / "answers", root / "answers")
    cache = tmp_path / "cache"
    settings = load_settings(REPO)
    assert not Matcher(load_library(root), settings, index_cache=cache).index_from_cache
    assert Matcher(load_library(root), settings, index_cache=cache).index_from_cache
    path = root / "answers" / "cryptography.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("aliases:", "aliases:\n"
                    "      - Is every laptop disk encrypted?", 1), encoding="utf-8")
    assert not Matcher(load_library(root), settings, index_cache=cache).index_from_cache
    # The answer text too: the guards read it from the index, analysed.
    path.write_text(path.read_text(encoding="utf-8").replace("AES-256", "AES-128", 1),
                    encoding="utf-8")
    assert not Matcher(load_library(root), settings, index_cache=cache).index_from_cache
    renamed = root / "answers" / "crypto.yaml"
    path.rename(renamed)
    assert not Matcher(load_library(root), settings, index_cache=cache).index_from_cache
    synonyms = Settings(synonyms={"mfa": ("two-step login",)})
    assert not Matcher(load_library(root), synonyms, index_cache=cache).index_from_cache
    assert Matcher(load_library(root), synonyms, index_cache=cache).index_from_cache


def test_a_file_others_may_write_or_a_damaged_one_is_not_loaded(tmp_path: Path) -> None:
    library, settings = load_library(REPO), load_settings(REPO)
    Matcher(library, settings, index_cache=tmp_path)
    [path] = (tmp_path / "index").glob("*.pickle")
    path.chmod(0o666)
    assert not Matcher(library, settings, index_cache=tmp_path).index_from_cache
    path.write_bytes(b"not a pickle")
    path.chmod(0o600)
    again = Matcher(library, settings, index_cache=tmp_path)
    assert not again.index_from_cache
    assert _decisions(again) == _decisions(Matcher(library, settings))
    assert Matcher(library, settings, index_cache=tmp_path).index_from_cache  # rewritten


def test_an_unwritable_cache_folder_means_no_cache_not_a_failure(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    matcher = Matcher(load_library(REPO), load_settings(REPO), index_cache=blocked)
    assert not matcher.index_from_cache and matcher.match(ROWS)


def test_old_index_files_are_pruned(tmp_path: Path) -> None:
    library = load_library(REPO)
    for n in range(qfill.library_index._KEEP + 3):
        Matcher(library, Settings(synonyms={f"term{n}": ("x",)}), index_cache=tmp_path)
    assert len(list((tmp_path / "index").glob("*.pickle"))) == qfill.library_index._KEEP


def test_a_second_answer_run_does_not_build_the_index_again(
        tmp_path: Path, write_library, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QFILL_CACHE_DIR", str(tmp_path / "cache"))
    library, questionnaire = write_library(LIBRARY), build_questionnaire(tmp_path / "q.xlsx")
    outputs = []
    for n in range(2):
        out = tmp_path / f"out{n}.xlsx"
        result = run_cli("answer", questionnaire, "--library", library, "--out", out,
                         "--report", tmp_path / f"r{n}.json", "--today", "2026-11-29")
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / f"r{n}.json").read_text(encoding="utf-8"))
        monkeypatch.setattr(LibraryIndex, "build", _no_build)  # the second run must load it
    assert outputs[0] == outputs[1].replace("out1.xlsx", "out0.xlsx")
    assert len(os.listdir(tmp_path / "cache" / "index")) == 1

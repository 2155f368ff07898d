"""Answer files kept by content between runs: an unchanged file is not parsed again, a
changed one is, the findings come back with the entries, and a doubtful cache file is
never loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import qfill.library
from qfill.library import read_library

REPO = Path(__file__).resolve().parent.parent


def _library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(REPO / "answers", root / "answers")
    shutil.copytree(REPO / "evidence", root / "evidence")
    return root


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parsed from here on."""
    parsed: list[str] = []
    check = qfill.library.check_answer_file

    def counting(data: bytes, name: str):  # type: ignore[no-untyped-def]
        parsed.append(name)
        return check(data, name)

    monkeypatch.setattr(qfill.library, "check_answer_file", counting)
    return parsed


def test_an_unchanged_library_is_read_from_the_cache_and_is_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    (root / "answers" / "zz-broken.yaml").write_text(
        "answers:\n  - id: broken\n    question: Is it?\n", encoding="utf-8")  # no answer
    first, first_findings = read_library(root, cache=cache)
    assert any(f.path == "answers/zz-broken.yaml" for f in first_findings)
    parsed = _parsed(monkeypatch)
    second, second_findings = read_library(root, cache=cache)
    assert parsed == []
    assert second == first and second_findings == first_findings
    assert (second, second_findings) == read_library(root)  # no cache: the same


def test_only_a_changed_or_new_file_is_parsed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    read_library(root, cache=cache)
    path = root / "answers" / "cryptography.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("AES-256", "AES-128", 1),
                    encoding="utf-8")
    parsed = _parsed(monkeypatch)
    library, _ = read_library(root, cache=cache)
    assert parsed == ["answers/cryptography.yaml"]
    assert any("AES-128" in a.answer for a in library.answers if
               a.source == "answers/cryptography.yaml")
    renamed = root / "answers" / "crypto.yaml"
    path.rename(renamed)
    parsed.clear()
    library, _ = read_library(root, cache=cache)
    assert parsed == ["answers/crypto.yaml"]  # the name is part of every entry's source
    assert {a.source for a in library.answers} >= {"answers/crypto.yaml"}


def test_a_cache_file_others_may_write_or_a_damaged_one_is_not_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = _library(tmp_path), tmp_path / "cache"
    expected = read_library(root, cache=cache)
    [path] = (cache / "answer-files").glob("*.pickle")
    path.chmod(0o666)
    parsed = _parsed(monkeypatch)
    assert read_library(root, cache=cache) == expected
    assert parsed  # parsed again: the file was not trusted
    path.write_bytes(b"not a pickle")
    path.chmod(0o600)
    parsed.clear()
    assert read_library(root, cache=cache) == expected
    assert parsed


def test_an_unwritable_cache_folder_means_no_cache_not_a_failure(tmp_path: Path) -> None:
    root = _library(tmp_path)
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    assert read_library(root, cache=blocked) == read_library(root)


def test_a_second_answer_run_parses_no_answer_file(
        tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_answer_cli import build_questionnaire

    monkeypatch.setenv("QFILL_CACHE_DIR", str(tmp_path / "cache"))
    root, questionnaire = _library(tmp_path), build_questionnaire(tmp_path / "q.xlsx")
    reports = []
    for n in range(2):
        if n:
            parsed = _parsed(monkeypatch)
        result = run_cli("answer", questionnaire, "--library", root, "--out",
                         tmp_path / f"out{n}.xlsx", "--report", tmp_path / f"r{n}.json",
                         "--today", "2026-11-29")
        assert result.exit_code == 0, result.output
        reports.append((tmp_path / f"r{n}.json").read_text(encoding="utf-8"))
    assert parsed == []
    assert reports[0] == reports[1].replace("out1.xlsx", "out0.xlsx")

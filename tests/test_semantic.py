"""Ranking by meaning (``matching.semantic``): finds what wording misses, keeps the guards,
caches vectors, and fails with one actionable line when its model is not installed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qfill import semantic
from qfill.errors import SettingsError
from qfill.library import load_library
from qfill.matching import Matcher
from qfill.questionnaire import QuestionRow
from qfill.settings import MatchSettings, Settings, parse_settings

np = pytest.importorskip("numpy", reason="the semantic extra is not installed")
pytest.importorskip("onnxruntime", reason="the semantic extra is not installed")

LIBRARY = {
    "answers/ops.yaml": """
        answers:
          - id: emergency-changes
            question: Is there a documented process for emergency changes?
            answer: Yes. The on-call lead approves them; they are reviewed the next day.
            short: "Yes"
          - id: vulnerability-remediation
            question: What are your timeframes for remediating vulnerabilities?
            answer: Critical within 7 days, high within 30 days.
          - id: automated-testing
            question: Are changes tested automatically before they are deployed?
            answer: Yes. Every change runs the full test suite in CI.
            short: "Yes"
          - id: asset-inventory
            question: Do you keep an inventory of hardware assets?
            answer: Yes. Laptops and servers are tracked in our device management.
            short: "Yes"
          - id: shared-accounts
            question: Are shared or generic user accounts prohibited?
            answer: Yes. Every person has a named account.
            short: "Yes"
          - id: backup-restore
            question: Do you regularly test restoring data from backups?
            answer: Yes. Restores are tested every quarter.
            short: "Yes"
    """,
}
SEMANTIC = Settings(matching=MatchSettings(semantic=True))


@pytest.fixture
def library(write_library: Callable[..., Path]) -> Path:
    return write_library(LIBRARY)


def test_a_paraphrase_is_closer_in_meaning_than_another_control() -> None:
    encoder = semantic.load_encoder()
    asked, same, other = encoder.encode([
        "Is customer data encrypted at rest?",
        "Do you encrypt stored customer information?",
        "How often do you test restores from backup?"])
    assert float(asked @ same) > 0.7
    assert float(asked @ same) > float(asked @ other) + 0.2


def test_a_vector_is_unit_length_and_the_same_alone_or_among_others() -> None:
    encoder = semantic.load_encoder()
    text = "Do you have a SOC 2 Type II report?"
    alone = encoder.encode_new([text])[0]
    among = encoder.encode_new([
        "A longer sentence about something else entirely, to see it is not padded.",
        "Do you have an ISO 27001 certificate today?",  # as many tokens: one batch
        text, "Are laptops encrypted?"])
    assert alone.shape == (semantic.DIMENSION,)
    assert abs(float(np.linalg.norm(alone)) - 1.0) < 1e-5
    assert np.array_equal(alone, among[2])
    assert not np.array_equal(among[1], among[2])


def test_vectors_are_cached_by_text_for_the_next_run(tmp_path: Path) -> None:
    calls: list[str] = []

    def encode_new(texts: Sequence[str]) -> Any:
        calls.extend(texts)
        return np.array([[len(t)] * semantic.DIMENSION for t in texts], dtype=np.float32)

    path = tmp_path / "cache" / "vectors.sqlite3"
    first = semantic.Encoder(encode_new, semantic.VectorCache(path))
    first.encode(["alpha", "beta", "alpha"])
    assert calls == ["alpha", "beta"]
    later = semantic.Encoder(encode_new, semantic.VectorCache(path))  # a new run
    vectors = later.encode(["beta", "gamma"])
    assert calls == ["alpha", "beta", "gamma"]  # only the new text was encoded
    assert vectors[0][0] == len("beta") and vectors[1][0] == len("gamma")


def test_an_unusable_cache_folder_costs_speed_not_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    cache = semantic.VectorCache(blocker / "vectors.sqlite3")
    encoder = semantic.Encoder(
        lambda texts: np.ones((len(texts), semantic.DIMENSION), dtype=np.float32), cache)
    assert encoder.encode(["x"]).shape == (1, semantic.DIMENSION)
    assert cache.get(["x"]) == {}


@pytest.mark.parametrize(("question", "expected"), [
    # No word in common with the entry: wording alone finds nothing at all.
    ("How do you push an urgent hotfix to production outside the normal release cycle?",
     "emergency-changes"),
    ("Can you recover lost files from your copies, and do you check that?", "backup-restore"),
])
def test_meaning_suggests_the_answer_that_wording_misses(library: Path, question: str,
                                                         expected: str) -> None:
    loaded = load_library(library)
    assert Matcher(loaded).search(question, 3) == []
    found = Matcher(loaded, SEMANTIC).search(question, 3)
    assert found and found[0].answer_id == expected
    [match] = Matcher(loaded, SEMANTIC).match([QuestionRow("Q", 2, question, None, None)])
    assert match.status != "filled"  # a suggestion for a person, never a silent fill
    assert match.candidates[0].answer_id == expected


def test_the_guards_still_hold_a_negated_question(library: Path) -> None:
    loaded = load_library(library)
    [match] = Matcher(loaded, SEMANTIC).match(
        [QuestionRow("Q", 2, "Do you allow shared accounts?", None, None)])
    assert match.status != "filled"
    assert match.best is not None and match.best.answer_id == "shared-accounts"
    assert "negation" in [r.code for r in match.best.reasons]


def test_close_wording_is_still_filled_with_meaning_on(library: Path) -> None:
    [match] = Matcher(load_library(library), SEMANTIC).match(
        [QuestionRow("Q", 2, "Do you keep an inventory of your hardware assets?", None, None)])
    assert match.status == "filled"
    assert match.best is not None and match.best.answer_id == "asset-inventory"


def test_qfill_yaml_turns_it_on_and_checks_the_value() -> None:
    assert parse_settings(b"matching:\n  semantic: true\n").matching.semantic is True
    assert parse_settings(b"matching: {}\n").matching.semantic is False
    with pytest.raises(SettingsError, match=r"qfill.yaml:2:13: matching.semantic must be "
                                            r"true or false"):
        parse_settings(b"matching:\n  semantic: often\n")


def test_search_and_answer_take_semantic_from_the_command_line(
        library: Path, run_cli: Callable[..., Any], tmp_path: Path) -> None:
    question = "How do you push an urgent hotfix to production outside the normal release cycle?"
    result = run_cli("search", question, "-l", library, "--json", "--semantic")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["candidates"][0]["answer_id"] == "emergency-changes"

    book = tmp_path / "customer.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Question", "Answer"])
    ws.append([question, None])
    ws.append(["Do you keep an inventory of your hardware assets?", None])
    wb.save(book)
    report = tmp_path / "report.json"
    result = run_cli("answer", book, "-l", library, "--semantic", "-r", report,
                     "-o", tmp_path / "filled.xlsx")
    assert result.exit_code == 0, result.stderr
    rows = {r["question"]: r for r in json.loads(report.read_text(encoding="utf-8"))["rows"]}
    urgent = rows[question]
    assert urgent["status"] != "filled"
    assert urgent["candidates"][0]["answer_id"] == "emergency-changes"
    assert rows["Do you keep an inventory of your hardware assets?"]["status"] == "filled"
    filled = openpyxl.load_workbook(tmp_path / "filled.xlsx")
    assert filled.active["B2"].value is None
    assert str(filled.active["B3"].value).startswith("Yes")


def test_missing_extra_is_one_line_naming_the_install(
        library: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_LOADED", {})
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if absent
    result = run_cli("search", "Do you test restores?", "-l", library, "--semantic")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "onnxruntime" in lines[0] and "pip install 'qfill[semantic]'" in lines[0]
    # Without --semantic nothing needs the model, and lint never does.
    assert run_cli("search", "Do you test restores?", "-l", library).exit_code == 0
    (library / "qfill.yaml").write_text("matching:\n  semantic: true\n", encoding="utf-8")
    assert run_cli("lint", library).exit_code == 0


def test_a_different_model_file_is_refused(
        library: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_LOADED", {})
    monkeypatch.setattr(semantic, "MODEL_SHA256", "0" * 64)
    result = run_cli("search", "Do you test restores?", "-l", library, "--semantic")
    assert result.exit_code == 2
    assert "not the sentence model qfill expects" in result.stderr
    assert "Traceback" not in result.stderr

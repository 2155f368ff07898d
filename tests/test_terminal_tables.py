"""Terminal tables: at any width, an id or a sheet name is printed whole on one line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from questionnaire_fixtures import build_sig
from rich.console import Console

from qfill.cli.tables import Column, column_widths, print_table

REPO = Path(__file__).resolve().parent.parent

IDS = ("encryption-in-transit-for-customer-data", "mfa", "production-data-in-non-production")
COLUMNS = (Column("#", keep=True, justify="right"), Column("answer id", keep=True),
           Column("question"), Column("reasons"))
ROWS = [(str(n), answer_id,
         "Is customer data encrypted in transit over public networks, including APIs?",
         f"uncovered-term: '{answer_id}' never mentions 'transit', the question's most "
         "telling word\nqualifier-mismatch: in transit vs at rest (data state)")
        for n, answer_id in enumerate(IDS, start=1)]


def _render(width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    print_table(console, COLUMNS, ROWS)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [24, 40, 60, 80, 100, 140, 200])
def test_ids_are_never_cut_or_wrapped_at_any_width(width: int) -> None:
    text = _render(width)
    for answer_id in IDS:
        # Whole, on one line, in the id column and inside the reasons.
        assert sum(line.count(answer_id) for line in text.splitlines()) == 2, text
    for word in ("telling", "networks,", "qualifier-mismatch:"):
        assert word in text.split(), text  # words are wrapped at spaces, never broken
    longest_word = max(len(w) for row in ROWS for cell in row for w in cell.split())
    assert all(len(line.rstrip()) <= max(width, longest_word + 12)
               for line in text.splitlines()), text


def test_a_table_when_it_fits_blocks_when_it_does_not() -> None:
    assert column_widths(COLUMNS, ROWS, 200) is not None
    wide = _render(200)
    assert wide.splitlines()[0].split() == ["#", "answer", "id", "question", "reasons"]
    assert column_widths(COLUMNS, ROWS, 60) is None
    narrow = _render(60)
    assert narrow.splitlines()[0] == "1  encryption-in-transit-for-customer-data"
    assert narrow.splitlines()[1].startswith("   question: Is customer data")


def _qfill(*args: str | Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """Run qfill as a shell would, piped (not a terminal), at a given COLUMNS."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "qfill", *map(str, args)], env=env,
                          capture_output=True, text=True, check=False)


LIBRARY = {
    "answers/crypto.yaml": """
        answers:
          - id: encryption-in-transit-between-services
            question: Is customer data encrypted in transit?
            answer: |-
              Yes. TLS 1.2 or higher on every connection.
              Internal traffic uses mutual TLS.
            short: "Yes"
          - id: encryption-at-rest-in-every-data-store
            question: Is customer data encrypted at rest?
            answer: Yes. AES-256 everywhere.
            short: "Yes"
          - id: key-management-with-customer-keys
            question: Can customers bring their own encryption keys?
            answer: No. Keys are held in AWS KMS by us.
            short: "No"
    """,
}


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_search_at_80_columns_shows_whole_ids_the_answer_and_its_yes_no(
        write_library: Callable[..., Path], run_cli, columns: int) -> None:
    root = write_library(LIBRARY)
    question = "Is customer data encrypted in transit?"
    result = _qfill("search", question, "-l", root, columns=columns)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    ids = [c["answer_id"] for c in json.loads(  # JSON has no width: asked in-process
        run_cli("search", question, "-l", root, "--format", "json").stdout)["candidates"]]
    assert len(ids) == 3
    lines = result.stdout.splitlines()
    for answer_id in ids:
        assert any(answer_id in line for line in lines), result.stdout
    first = next(line for line in lines if "encryption-in-transit-between-services" in line)
    assert "Yes" in first.split()  # the Yes/No beside the id
    assert "TLS 1.2 or higher on every connection." in " ".join(
        " ".join(lines).split())  # the answer's first line, wrapped or not
    assert "mutual TLS" not in result.stdout  # only the first line


def test_inspect_at_80_columns_keeps_sheet_names_whole(tmp_path: Path, run_cli) -> None:
    path = build_sig(tmp_path / "sig.xlsx")
    result = _qfill("inspect", path, columns=80)
    assert result.returncode == 0, result.stderr
    sheets = [s["sheet"] for s in json.loads(
        run_cli("inspect", path, "--format", "json").stdout)["sheets"]]
    for sheet in sheets:
        assert any(sheet in line for line in result.stdout.splitlines()), result.stdout
    assert all(len(line.rstrip()) <= 80 for line in result.stdout.splitlines()[1:])


def test_inspect_of_hecvat_at_80_columns_is_one_line_a_sheet_mostly(
        shared_questionnaires: Path) -> None:
    result = _qfill("inspect", shared_questionnaires / "hecvat" / "HECVAT414.xlsx")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for sheet in ("Privacy Analyst Evaluation", "Institution Evaluation", "IT Accessibility"):
        assert any(line.startswith(sheet + " ") for line in lines), result.stdout
    # 15 sheets; a skip reason wraps over a few lines, never ten.
    assert len(lines) < 15 * 4, result.stdout

"""The same questionnaire and library give the same decisions on every run.

Python salts string hashes per process, so anything that lets the iteration order of a
set of words decide (which of two equally rare words is "most telling", the order a float
sum is added up in) changes fills between runs. Each check runs in fresh interpreters
with different hash seeds and compares what a user would see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = ("0", "1", "2", "3")

# Every decision of the matcher on the repo's labelled benchmark (502 rows) and on its own
# aliases: status, answer, confidence to 12 places and reasons.
DECISIONS = """
import json, sys
from pathlib import Path
from qfill.library import load_library
from qfill.matching import Matcher
from qfill.questionnaire import QuestionRow
from qfill.settings import load_settings
import csv
root = Path(sys.argv[1])
library = load_library(root)
matcher = Matcher(library, load_settings(root))
with open(root / "benchmarks" / "data" / "labelled-questionnaire.csv", encoding="utf-8") as f:
    questions = [r["question"] for r in csv.DictReader(f)]
questions += [text for a in library.answers for text in a.aliases]
rows = [QuestionRow("Q", i + 2, q, None, None) for i, q in enumerate(questions)]
out = [(m.status, m.best.answer_id if m.best else None, round(m.confidence, 12),
        [str(r) for r in m.reasons], [c.answer_id for c in m.candidates])
       for m in matcher.match(rows)]
out.append(sorted(matcher.near_duplicates(0.6)))
print(json.dumps(out))
"""


def _run(seed: str, *args: str, cwd: Path = REPO) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_matching_decisions_do_not_depend_on_the_hash_seed() -> None:
    runs = {seed: _run(seed, "-c", DECISIONS, str(REPO)) for seed in SEEDS}
    first = runs[SEEDS[0]]
    assert len(json.loads(first)) > 600
    for seed, output in runs.items():
        assert output == first, f"PYTHONHASHSEED={seed} decided differently"


@pytest.mark.parametrize("mode", ["--no-semantic", "--semantic"])
def test_answer_report_does_not_depend_on_the_hash_seed(tmp_path: Path, mode: str) -> None:
    if mode == "--semantic":
        pytest.importorskip("onnxruntime", reason="the semantic extra is not installed")
    example = REPO / "examples" / "vendor-security-questionnaire.xlsx"
    reports: dict[str, dict[str, object]] = {}
    for seed in SEEDS:
        out = tmp_path / seed
        out.mkdir()
        _run(seed, "-m", "qfill", "answer", str(example), "--library", str(REPO),
             "--out", str(out / "filled.xlsx"), mode,
             "--report", str(out / "report.json"))
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        report.pop("output", None)
        reports[seed] = report
    first = reports[SEEDS[0]]
    assert first["rows"]
    for seed, report in reports.items():
        assert report == first, f"PYTHONHASHSEED={seed} gave another report"

"""The seeded library (one instance of every problem) in every format, and the sample library.

``tests/cases/lint/seeded/expected.txt`` lists the one finding each seeded problem must
give; every output format must report exactly those, and the golden files pin the full
output. The repository's own sample library must lint clean.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lint_fixtures import CASES, GOLDEN, TODAY, found, run_lint

from qfill import __version__
from qfill.lint import RULES

SEEDED = CASES / "seeded"
REPO = Path(__file__).resolve().parent.parent
FORMATS = {"text": "lint.txt", "json": "lint.json", "github": "lint.github",
           "sarif": "lint.sarif"}


def _expected() -> list[tuple[str, str, int]]:
    rows = []
    for line in (SEEDED / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rule, where = line.split()
            path, number = where.rsplit(":", 1)
            rows.append((rule, path, int(number)))
    return rows


def _repository_prefix() -> str:
    """Where the seeded library sits in the repository (as the github/sarif paths say)."""
    done = subprocess.run(["git", "-C", str(SEEDED), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=False)
    top = Path(done.stdout.strip()) if done.returncode == 0 else Path.cwd()
    try:
        return SEEDED.resolve().relative_to(top.resolve()).as_posix() + "/"
    except ValueError:
        return ""


def _reported(fmt: str, output: str) -> list[tuple[str, str, int]]:
    """(rule, library-relative path, line) of each finding, read back from one format."""
    prefix = _repository_prefix() if fmt in ("github", "sarif") else ""

    def local(path: str) -> str:
        assert path.startswith(prefix), (path, prefix)
        return path[len(prefix):]

    if fmt == "text":
        rows = [re.fullmatch(r"(\S+):(\d+):(\d+): (error|warning) \[([a-z-]+)\] .+", line)
                for line in output.splitlines()]
        assert all(rows), output
        return [(m.group(5), m.group(1), int(m.group(2))) for m in rows if m]
    if fmt == "json":
        return [(f["rule"], f["path"], f["line"]) for f in json.loads(output)["findings"]]
    if fmt == "github":
        found = []
        for line in output.splitlines():
            m = re.fullmatch(r"::(error|warning) file=([^,]+),line=(\d+),col=(\d+),"
                             r"title=([a-z-]+)::(.+)", line)
            if m:
                found.append((m.group(5), local(m.group(2)), int(m.group(3))))
        return found
    assert fmt == "sarif"
    results = json.loads(output)["runs"][0]["results"]
    return [(r["ruleId"], local(r["locations"][0]["physicalLocation"]["artifactLocation"]
                                ["uri"]), r["locations"][0]["physicalLocation"]["region"]
             ["startLine"]) for r in results]


def test_seeded_library_gives_exactly_the_expected_findings() -> None:
    result = run_lint(SEEDED)
    assert [(rule, path, line) for rule, path, line, _ in found(result)] == sorted(
        _expected(), key=lambda r: (r[1], r[2], r[0]))
    assert result.silenced == 1  # the stale entry whose comment disables stale-answer


def test_seeded_library_covers_every_rule_that_text_can_show() -> None:
    # each covered in test_lint_rules.py
    untestable_here = {"encoding", "file-too-large", "unreadable", "not-a-regular-file",
                       "yaml-tag", "yaml-too-complex", "answer-too-long"}
    assert {rule for rule, _, _ in _expected()} == set(RULES) - untestable_here


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_reports_each_seeded_problem_once(fmt: str, run_cli) -> None:
    result = run_cli("lint", SEEDED, "--format", fmt, "--today", TODAY.isoformat())
    assert result.exit_code == 1, result.output
    assert sorted(_reported(fmt, result.stdout)) == sorted(_expected())
    assert result.stderr == "16 errors, 3 warnings in 4 files (1 silenced)\n"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_golden_output(fmt: str, run_cli, update_golden: bool) -> None:
    result = run_cli("lint", SEEDED, "--format", fmt, "--today", TODAY.isoformat())
    output = result.stdout.replace(f'"{__version__}"', '"<version>"')
    golden = GOLDEN / FORMATS[fmt]
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


def test_sample_library_is_clean(run_cli) -> None:
    if not (REPO / "answers").is_dir():
        pytest.skip("the sample library (answers/) is not in this checkout")
    result = run_cli("lint", REPO, "--format", "text", "--today", TODAY.isoformat())
    assert (result.exit_code, result.stdout) == (0, ""), result.output
    assert result.stderr.startswith("0 errors, 0 warnings in ")

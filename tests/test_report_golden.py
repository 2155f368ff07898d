"""Golden reports from a real run: `qfill answer` on a workbook built here, every format.

The questionnaire has a row filled by wording, one filled by id, rows a person must
decide, one nothing answers, and one the customer had already answered, so the golden
files show the values written, the routes, the runner-ups and the proposed answers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

GOLDEN = Path(__file__).parent / "golden" / "answer"

LIBRARY = {
    "answers/security.yaml": """
        owner: security@example.com
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes. AES-256 with keys in AWS KMS on every data store.
            short: "Yes"
            evidence:
              - path: evidence/cryptography-policy.md
                title: Cryptography policy
          - id: encryption-in-transit
            question: Is customer data encrypted in transit?
            answer: Yes. TLS 1.2 or higher on every connection.
            short: "Yes"
          - id: mfa-workforce
            question: Is multi-factor authentication required for all workforce access?
            answer: Yes. Every employee signs in through Okta with WebAuthn.
            short: "Yes"
            refs: {caiq: [IAM-14.1]}
          - id: soc2-type2
            question: Do you have a current SOC 2 Type II report?
            answer: Yes. Our SOC 2 Type II report covers the last twelve months.
            short: "Yes"
          - id: shared-accounts
            question: Do you prohibit shared user accounts?
            answer: Yes. Every account belongs to one named person.
            short: "Yes"
    """,
    "evidence/cryptography-policy.md": (
        "# Cryptography policy\n\n## Data at rest\n\nAll customer data is encrypted at rest "
        "with AES-256.\n"),
    "evidence/office-security.md": (
        "# Office security\n\n## Visitors\n\nVisitors sign in at reception and are escorted "
        "at all times.\n"),
}

ROWS = [
    ("SEC-1", "Is all customer data encrypted at rest?", None, None),
    ("IAM-14.1", "Is multi-factor authentication required for all workforce access?",
     None, None),
    ("SEC-3", "Do you allow shared user accounts & A&A <b>logins</b>?", None, None),
    ("SEC-4", "Is data encrypted?", None, None),
    ("SEC-5", "How many parking spaces does your office have?", None, None),
    ("SEC-6", "Do you have a current SOC 2 Type II report?", "Yes", "See our trust portal"),
    ("SEC-7", "Are visitors escorted at all times in your offices?", None, None),
]


def build(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Ref", "Question", "Response", "Comments", "Evidence"])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    for ref, question, response, comment in ROWS:
        ws.append([ref, question, response, comment, None])
        dv.add(f"C{ws.max_row}")
    wb.save(path)
    return path


FORMATS = ["report.md", "report.json", "report.csv", "report.html"]


@pytest.fixture
def reports(tmp_path: Path, write_library: Callable[..., Path], run_cli: Callable[..., Any],
            monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    write_library(LIBRARY, root=tmp_path / "lib")
    build(tmp_path / "q.xlsx")
    monkeypatch.chdir(tmp_path)  # names in the reports as the user typed them
    texts: dict[str, str] = {}
    for name in FORMATS:
        args = ["answer", "q.xlsx", "-l", "lib", "-r", name, "--today", "2026-06-01",
                "--force"]
        if name == "report.md":
            args += ["--review-file", "review.csv"]
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        texts[name] = (tmp_path / name).read_text(encoding="utf-8")
    texts["review.csv"] = (tmp_path / "review.csv").read_text(encoding="utf-8")
    return texts


@pytest.mark.parametrize("name", [*FORMATS, "review.csv"])
def test_golden(reports: dict[str, str], name: str, update_golden: bool) -> None:
    path = GOLDEN / name
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reports[name], encoding="utf-8")
    assert reports[name] == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is intended, rerun with --update-golden "
        "and review the diff")


def test_every_format_carries_the_same_facts(reports: dict[str, str]) -> None:
    data = json.loads(reports["report.json"])
    rows = {r["question_id"]: r for r in data["rows"]}
    assert {qid: r["status"] for qid, r in rows.items()} == {
        "SEC-1": "filled", "IAM-14.1": "filled", "SEC-3": "review", "SEC-4": "review",
        "SEC-5": "unanswered", "SEC-6": rows["SEC-6"]["status"], "SEC-7": "unanswered"}
    draft = rows["SEC-7"]["draft"]
    assert draft["text"] == "Visitors sign in at reception and are escorted at all times."
    assert f"> {draft['text']} [evidence/office-security.md, line 5]" in reports["report.md"]
    assert rows["SEC-6"]["status"] in ("prefilled", "review")
    assert rows["SEC-6"]["existing"] == {"C7": "Yes", "D7": "See our trust portal"}
    filled = rows["SEC-1"]
    assert (filled["route"], rows["IAM-14.1"]["route"]) == ("wording", "id")
    assert filled["written"] == {
        "C2": "Yes", "D2": "Yes. AES-256 with keys in AWS KMS on every data store.",
        "E2": "Cryptography policy (available on request)"}  # a title, never a path
    markdown, html = reports["report.md"], reports["report.html"]
    table = list(csv.DictReader(io.StringIO(reports["report.csv"])))
    by_id = {r["question_id"]: r for r in table}
    for ref, value in filled["written"].items():
        assert f"- {ref}: {value}" in markdown
        assert f"<dt>{ref}</dt><dd>{value}</dd>" in html
        assert f"{ref}: {value}" in by_id["SEC-1"]["written"]
    runner = filled["runner_up"]["answer_id"]
    assert f"runner-up `{runner}`" in markdown and f"runner-up <code>{runner}</code>" in html
    assert by_id["SEC-1"]["runner_up"].startswith(runner)
    review = rows["SEC-3"]
    best = review["candidates"][0]
    assert best["short"] == "Yes" and best["answer"].startswith("Yes. Every account")
    assert best["answer"] in markdown and best["answer"] in html
    assert best["answer"] in by_id["SEC-3"]["suggestions"]
    for reason in review["reasons"]:
        code, _, message = reason.partition(": ")
        assert f"{message} (`{code}`)" in markdown.replace("\\", "")
        assert f"<code>{code}</code>" in html
    review_file = {r["question_id"]: r for r in csv.DictReader(io.StringIO(
        reports["review.csv"]))}
    assert (review_file["SEC-3"]["suggestion"], review_file["SEC-3"]["suggested_short"]) == (
        best["answer_id"], "Yes")
    # Grouped by what the reviewer must do, in this order.
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert [h.split(" (")[0] for h in headings][:2] == ["## Decide", "## Write an answer"]
    assert headings[-1].startswith("## Check the fills")

"""The reference pages in docs/ against the code they describe.

Tables that can be made from the code (answer-file keys, reason codes) are generated
between ``<!-- BEGIN generated: NAME -->`` and ``<!-- END generated: NAME -->`` and
compared exactly; ``pytest --update-golden`` rewrites them. The other tables are written
by hand and checked key by key: the settings qfill.yaml accepts (with their defaults), the
report's JSON fields (with a JSON Schema that real reports must satisfy), and the columns
of the CSV report and the review file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qfill.library import ENTRY_SCHEMA, EVIDENCE_SCHEMA, FILE_SCHEMA, KeySpec
from qfill.reasons import all_codes

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
KINDS = {
    "entries": "list of entries", "text": "text", "text-list": "text or list of texts",
    "days": "whole number of days", "id": "id: `[a-z0-9][a-z0-9-]*`",
    "short": '`"Yes"`, `"No"` or `"N/A"`', "evidence-list": "list of paths, URLs or mappings",
    "refs": "mapping of scheme to ids", "date": "date (YYYY-MM-DD)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _key_table(schema: dict[str, KeySpec]) -> str:
    lines = ["| key | value | required | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{key}` | {KINDS[spec.kind]} | {'yes' if spec.required else 'no'} | "
              f"{_cell(spec.description)} |" for key, spec in schema.items()]
    return "\n".join(lines)


def _reason_table() -> str:
    lines = ["| code | stage | meaning | what a reviewer should do |",
             "| --- | --- | --- | --- |"]
    lines += [f"| `{code}` | {entry.stage} | {_cell(entry.meaning)} | {_cell(entry.action)} |"
              for code, entry in all_codes().items()]
    return "\n".join(lines)


GENERATED: dict[str, dict[str, Callable[[], str]]] = {
    "answer-format.md": {"file-keys": lambda: _key_table(FILE_SCHEMA),
                         "entry-keys": lambda: _key_table(ENTRY_SCHEMA),
                         "evidence-keys": lambda: _key_table(EVIDENCE_SCHEMA)},
    "reason-codes.md": {"reason-codes": _reason_table},
}


def _section(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- BEGIN generated: {name} -->\n)(.*?)(<!-- END generated: "
                      rf"{name} -->)", re.S)


@pytest.mark.parametrize(("page", "name"), [(p, n) for p, sections in GENERATED.items()
                                            for n in sections])
def test_generated_tables_match_the_code(page: str, name: str, update_golden: bool) -> None:
    path = DOCS / page
    text = path.read_text(encoding="utf-8")
    expected = GENERATED[page][name]() + "\n"
    found = _section(name).search(text)
    assert found is not None, f"{page} has no generated section '{name}'"
    if update_golden and found.group(2) != expected:
        text = text[:found.start(2)] + expected + text[found.end(2):]
        path.write_text(text, encoding="utf-8")
        return
    assert found.group(2) == expected, (
        f"docs/{page} section '{name}' is out of date; run pytest --update-golden")


def _table_keys(page: str, first_heading: str) -> list[str]:
    """The first column (`code` spans) of the table whose header row starts with
    ``| first_heading |``, in order."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_heading} |"))
    keys = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        keys.append(line.split("|")[1].strip())
    return keys


def test_settings_page_lists_every_key_with_its_default() -> None:
    from qfill import settings

    documented = {k.strip("`"): row for k, row in zip(
        _table_keys("settings.md", "key"), _rows("settings.md", "key"), strict=True)}
    nested = {"matching": settings._MATCH_KEYS, "lint": settings._LINT_KEYS,
              "evidence": settings._EVIDENCE_KEYS, "filling": settings._FILL_KEYS}
    accepted = [f"{top}.{key}" for top in settings._TOP_KEYS for key in nested.get(top, ())]
    accepted += [top for top in settings._TOP_KEYS if top not in nested]
    assert sorted(documented) == sorted(accepted)
    defaults = settings.Settings()
    for key, row in documented.items():
        section, _, name = key.partition(".")
        value: Any = getattr(getattr(defaults, section), name) if name else None
        shown = row[1]
        if isinstance(value, bool):
            assert shown == f"`{str(value).lower()}`", key
        elif isinstance(value, float):
            assert shown == f"`{value:.2f}`", key
        elif isinstance(value, int):
            assert shown == f"`{value}`", key
        elif isinstance(value, str) and value:
            assert shown == f'`"{value}"`', key
        elif key != "version":
            assert shown == "none", key


def _rows(page: str, first_heading: str) -> list[list[str]]:
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_heading} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _column_table(heading: str) -> list[str]:
    """The backticked names of the column table right after ``heading`` in report.md."""
    text = (DOCS / "report.md").read_text(encoding="utf-8")
    block = text[text.index(heading):]
    block = block[block.index("| column | holds |"):]
    names = []
    for line in block.splitlines()[2:]:
        if not line.startswith("|"):
            break
        names.append(line.split("|")[1].strip().strip("`"))
    return names


def test_report_page_lists_the_csv_and_review_file_columns_in_order() -> None:
    from qfill.render.report import CSV_COLUMNS, REVIEW_COLUMNS

    assert _column_table("## CSV") == list(CSV_COLUMNS)
    assert _column_table("## Review file") == list(REVIEW_COLUMNS)


def _schema() -> dict[str, Any]:
    return json.loads((DOCS / "report.schema.json").read_text(encoding="utf-8"))


def test_report_page_lists_every_json_row_field_of_the_schema() -> None:
    text = (DOCS / "report.md").read_text(encoding="utf-8")
    block = text[text.index("Each row:"):text.index("Each candidate:")]
    documented = re.findall(r"`([a-z_]+)`", "\n".join(
        line.split("|")[1] for line in block.splitlines() if line.startswith("| `")))
    assert documented == list(_schema()["$defs"]["row"]["properties"])
    block = text[text.index("Each candidate:"):text.index("## CSV")]
    documented = [line.split("|")[1].strip().strip("`") for line in block.splitlines()
                  if line.startswith("| `")]
    assert documented == list(_schema()["$defs"]["candidate"]["properties"])


def _validate(document: Any) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize("golden", ["report/report.json", "answer/report.json"])
def test_the_schema_validates_the_golden_reports(golden: str) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(_schema())
    _validate(json.loads((REPO / "tests" / "golden" / golden).read_text(encoding="utf-8")))


def test_the_schema_validates_a_real_run_with_evidence(run_cli: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    """The sample questionnaire against the sample library: filled, review, unanswered and
    already-answered rows, passages and drafts from the sample evidence."""
    report = tmp_path / "r.json"
    result = run_cli("answer", REPO / "examples" / "vendor-security-questionnaire.xlsx",
                     "-l", REPO, "--dry-run", "-r", report, "--today", "2026-12-01")
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert {r["status"] for r in document["rows"]} >= {"filled", "review", "unanswered"}
    assert any(r["passages"] for r in document["rows"])
    _validate(document)


def test_the_schema_rejects_an_undocumented_field() -> None:
    from jsonschema import Draft202012Validator

    document = json.loads((REPO / "tests" / "golden" / "report" / "report.json").read_text(
        encoding="utf-8"))
    document["rows"][0]["surprise"] = 1
    assert not Draft202012Validator(_schema()).is_valid(document)


def test_every_reason_code_is_documented_and_listed_by_qfill_reasons(
        run_cli: Callable[..., Any]) -> None:
    text = (DOCS / "reason-codes.md").read_text(encoding="utf-8")
    listed = json.loads(run_cli("reasons", "--format", "json").stdout)["reasons"]
    assert [r["code"] for r in listed] == list(all_codes())
    for entry in listed:
        assert f"| `{entry['code']}` | {entry['stage']} |" in text


def test_readme_links_the_reference_pages_not_the_shared_specs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "shared/spec" not in readme
    for page in ("docs/answer-format.md", "docs/settings.md", "docs/report.md",
                 "docs/reason-codes.md", "docs/report.schema.json"):
        assert f"]({page}" in readme, page
        assert (REPO / page).is_file()

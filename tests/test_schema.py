"""`qfill schema` agrees with the loader and lint on what an answer file may hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lint_fixtures import CASES, DEFAULT_FILE, build, examples, found, run_lint

from qfill.library import ENTRY_SCHEMA, EVIDENCE_SCHEMA, FILE_SCHEMA
from qfill.lint import RULES
from qfill.schema import answer_file_schema, schema_json
from qfill.yamlsource import YamlProblem, YNode, parse_yaml

REPO = Path(__file__).resolve().parent.parent
# Rules whose problems are visible in one file's values, so the schema must reject them.
SCHEMA_RULES = {"unknown-key", "missing-key", "wrong-type", "invalid-id", "invalid-short",
                "empty-answer", "invalid-url", "evidence-outside-root", "yaml-syntax",
                "yaml-tag"}
# What only lint can see: other files, the disk, the date, the matcher, comments, settings,
# YAML 1.1 quirks (yaml-language-server reads YAML 1.2, where `Yes` is text) and loader
# limits (an editor's parser has its own), and lengths as Excel counts them (UTF-16 units).
LINT_ONLY = {"duplicate-key", "duplicate-id", "evidence-missing", "evidence-expired",
             "stale-answer", "short-contradicts-answer", "ambiguous-entries", "unknown-rule",
             "missing-required-key", "unquoted-short", "encoding", "file-too-large",
             "unreadable", "not-a-regular-file", "yaml-too-complex", "answer-too-long"}
_YAML_1_1_ONLY_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


def as_editor_sees_it(node: YNode) -> Any:
    """Plain data as a YAML 1.2 editor reads it: dates and yes/no stay text."""
    if node.kind == "map":
        return {k: as_editor_sees_it(v) for k, v in node.value.items()}
    if node.kind == "seq":
        return [as_editor_sees_it(v) for v in node.value]
    if node.kind == "date" or (node.kind == "bool" and node.raw is not None
                               and node.raw.lower() in _YAML_1_1_ONLY_BOOLEANS):
        return node.raw
    return node.value


def schema_accepts(data: bytes) -> bool:
    try:
        document = parse_yaml(data)
    except YamlProblem:
        return False
    if document.root is None:
        return False
    validator = jsonschema.Draft7Validator(answer_file_schema(),
                                           format_checker=jsonschema.FormatChecker())
    return validator.is_valid(as_editor_sees_it(document.root))


def test_schema_is_valid_draft_07_and_stable_json() -> None:
    schema = answer_file_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema_json().endswith("}\n") and schema_json() == schema_json()


def test_schema_has_exactly_the_loader_keys_with_descriptions() -> None:
    schema = answer_file_schema()
    entry = schema["definitions"]["entry"]
    evidence = schema["definitions"]["evidence"]["anyOf"][2]
    for table, shape in ((FILE_SCHEMA, schema), (ENTRY_SCHEMA, entry),
                         (EVIDENCE_SCHEMA, evidence)):
        assert list(shape["properties"]) == list(table)
        assert shape["additionalProperties"] is False
        assert all(p["description"] for p in shape["properties"].values())
    assert entry["required"] == ["id", "question", "answer"]
    assert entry["properties"]["short"]["enum"] == ["Yes", "No", "N/A"]


def test_every_rule_is_classified_for_the_schema() -> None:
    assert set(RULES) == SCHEMA_RULES | LINT_ONLY and not SCHEMA_RULES & LINT_ONLY


def test_sample_library_files_validate() -> None:
    files = sorted((REPO / "answers").rglob("*.y*ml"))
    if not files:
        pytest.skip("the sample library (answers/) is not in this checkout")
    rejected = [f.name for f in files if not schema_accepts(f.read_bytes())]
    assert rejected == []


@pytest.mark.parametrize("rule_id", sorted(r for r in RULES if examples(r)["PASS"]))
def test_documented_pass_examples_validate(rule_id: str) -> None:
    for files in examples(rule_id)["PASS"]:
        for name, text in files.items():
            if name.startswith("answers/"):
                assert schema_accepts(text.encode()), (rule_id, name)


@pytest.mark.parametrize("rule_id", sorted(r for r in SCHEMA_RULES if examples(r)["FAIL"]))
def test_schema_and_lint_both_reject_each_documented_failure(rule_id: str,
                                                             tmp_path: Path) -> None:
    for n, files in enumerate(examples(rule_id)["FAIL"]):
        root = build(tmp_path / str(n), files)
        assert [f[0] for f in found(run_lint(root))] == [rule_id]
        assert not schema_accepts(files[DEFAULT_FILE].encode()), rule_id


@pytest.mark.parametrize("name", ["access-control.yaml", "broken.yaml", "operations.yaml"])
def test_seeded_files_with_value_problems_are_rejected_by_both(name: str) -> None:
    path = CASES / "seeded" / "answers" / name
    assert not schema_accepts(path.read_bytes())
    assert any(f.path == f"answers/{name}" and f.rule in SCHEMA_RULES
               for f in run_lint(CASES / "seeded").findings)


@pytest.mark.parametrize(("snippet", "valid"), [
    ("evidence: [evidence/a.pdf]", True),
    ("evidence: evidence/a.pdf", True),
    ("evidence: [https://trust.example.com/a]", True),
    ("evidence: [{path: evidence/a.pdf, valid_until: 2027-01-01, title: A}]", True),
    ("evidence: [{title: A}]", False),
    ("evidence: [{path: evidence/a.pdf, expires: 2027-01-01}]", False),
    ("evidence: [evidence/../x.pdf]", False),
    ("evidence: [http://trust.example.com/a]", False),
    ("refs: {iso27001: [5.15], caiq: IAM-14.1}", True),
    ("refs: [IAM-14.1]", False),
    ("tags: security", True),
    ("reviewed: 2026-13-01", False),
    ("review_every: 0", False),
    ("short: 'Yes'", True),
    ("short: Yes", True),  # YAML 1.2 text; lint only suggests quoting
    ("short: Maybe", False),
    ("answer: '   '", False),
])
def test_schema_value_shapes(snippet: str, valid: bool) -> None:
    entry = "answers:\n  - id: x\n    question: Q?\n" + (
        "    answer: Yes.\n" if not snippet.startswith("answer:") else "")
    assert schema_accepts(f"{entry}    {snippet}\n".encode()) is valid

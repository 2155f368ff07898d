"""The JSON Schema of an answer file, generated from the loader's schema tables.

Editors that speak yaml-language-server (VS Code's YAML extension, JetBrains IDEs, Neovim)
use it to validate and autocomplete answer files as people type. It is built from
:data:`qfill.library.FILE_SCHEMA`, :data:`~qfill.library.ENTRY_SCHEMA` and
:data:`~qfill.library.EVIDENCE_SCHEMA`, the tables the loader and ``qfill lint`` use, and
the value patterns below are the ones the evidence rules apply, so the editor, the
loader and the linter agree on what a file may hold. Draft-07: the newest draft that
yaml-language-server fully supports.

What a schema cannot see stays with ``qfill lint``: duplicate keys and ids, files that do
not exist, symbolic links, dates in the past, and ambiguity between entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qfill.library import (
    ENTRY_SCHEMA,
    EVIDENCE_SCHEMA,
    FILE_SCHEMA,
    ID_PATTERN,
    SHORT_VALUES,
    KeySpec,
)

SCHEMA_VERSION = 1
SCHEMA_ID = "urn:qfill:answer-file:1"

# An https URL with a dotted host name, an optional port, and no spaces or credentials.
HTTPS_URL_PATTERN = r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?([/?#]\S*)?$"
# A path under evidence/, relative to the library root, with no ".." segment.
EVIDENCE_PATH_PATTERN = r"^evidence/(?!(.*/)?\.\.(/|$))\S.*$"
# Something that is not only white space (an answer must say something).
NOT_BLANK_PATTERN = r"\S"

_TEXT: dict[str, Any] = {"type": "string"}
# Ids in refs and tags are often written bare (`iso27001: [5.15]`); the loader reads
# them as written, so the schema accepts numbers there too.
_ID_TEXT: dict[str, Any] = {"type": ["string", "number"]}
_DATE: dict[str, Any] = {"type": "string", "format": "date",
                         "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

# Finer shapes for single keys, on top of what their kind says.
_KEY_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("entry", "answer"): {"type": "string", "pattern": NOT_BLANK_PATTERN},
    ("evidence", "path"): {"type": "string", "pattern": EVIDENCE_PATH_PATTERN},
    ("evidence", "url"): {"type": "string", "pattern": HTTPS_URL_PATTERN},
}


def _one_or_list(item: dict[str, Any]) -> dict[str, Any]:
    # The loader takes a single value where a list is expected (`tags: security`).
    return {"anyOf": [item, {"type": "array", "items": item}]}


def _kind(spec: KeySpec) -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {
        "text": dict(_TEXT),
        "text-list": _one_or_list(dict(_TEXT)),
        "date": dict(_DATE),
        "days": {"type": "integer", "minimum": 1},
        "id": {"type": "string", "pattern": ID_PATTERN.pattern},
        "short": {"type": "string", "enum": list(SHORT_VALUES)},
        "entries": {"type": "array", "items": {"$ref": "#/definitions/entry"}},
        "evidence-list": _one_or_list({"$ref": "#/definitions/evidence"}),
        "refs": {"type": "object",
                 "additionalProperties": _one_or_list(dict(_ID_TEXT))},
    }
    return kinds[spec.kind]


def _object(table: Mapping[str, KeySpec], name: str, description: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for key, spec in table.items():
        shape = _KEY_OVERRIDES.get((name, key)) or _kind(spec)
        if key == "tags":
            shape = _one_or_list(dict(_ID_TEXT))
        properties[key] = {"description": spec.description, **shape}
    result: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    required = [key for key, spec in table.items() if spec.required]
    if required:
        result["required"] = required
    return result


def answer_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of one file under ``answers/``."""
    root = _object(FILE_SCHEMA, "file",
                   "A qfill answer file: approved answers to security questionnaire "
                   "questions, with their evidence.")
    evidence_map = _object(EVIDENCE_SCHEMA, "evidence", "A cited document with details.")
    evidence_map["anyOf"] = [{"required": ["path"]}, {"required": ["url"]}]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "qfill answer file",
        **root,
        "definitions": {
            "entry": _object(ENTRY_SCHEMA, "entry", "One approved answer."),
            "evidence": {
                "description": "A document the answer cites: a path under evidence/, an "
                               "https URL, or a mapping with path or url and details.",
                "anyOf": [
                    {"type": "string", "pattern": EVIDENCE_PATH_PATTERN},
                    {"type": "string", "pattern": HTTPS_URL_PATTERN},
                    evidence_map,
                ],
            },
        },
    }


def schema_json() -> str:
    """The schema as stable, indented JSON text with a trailing newline."""
    return json.dumps(answer_file_schema(), indent=2, ensure_ascii=False) + "\n"

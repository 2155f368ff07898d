"""Library settings from ``qfill.yaml``, with every default declared once, here.

Precedence is command-line flag, then ``qfill.yaml``, then these defaults; the CLI applies
flags with :func:`dataclasses.replace`. Unknown keys are errors with a "did you mean" hint,
because a misspelt threshold silently ignored would change what gets written.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from qfill.errors import SettingsError
from qfill.yamlsource import YamlProblem, YNode, parse_yaml

SETTINGS_FILES = ("qfill.yaml", "qfill.yml")


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Thresholds of the matcher; confidences are in 0..1.

    A row is *filled* when its best candidate reaches ``fill_threshold`` and leads the
    runner-up by at least ``margin``; it goes to *review* when the best reaches
    ``review_threshold``; otherwise it is *unanswered*.
    """

    fill_threshold: float = 0.9
    review_threshold: float = 0.2
    margin: float = 0.06
    candidates: int = 3
    # Rank by meaning as well as wording (qfill.semantic; needs the `semantic` extra).
    semantic: bool = False


@dataclass(frozen=True, slots=True)
class LintSettings:
    """Per-library lint configuration: rule severities, required keys, stale period."""

    rules: Mapping[str, str] = field(default_factory=dict)  # rule id -> off|warning|error
    required: tuple[str, ...] = ()  # extra keys every entry must have, e.g. owner
    review_every: int | None = None  # default review period (days) for entries without one


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    """How the evidence under ``evidence/`` is quoted for rows a person decides.

    ``draft_command`` is a program (and its arguments, never run through a shell) that
    receives a question and its passages as JSON on stdin and returns a draft; qfill keeps
    only drafts whose every sentence a cited passage supports. ``valid_until`` gives
    expiry dates to documents no answer cites with one.
    """

    passages: int = 3  # best passages shown per row; 0 turns evidence off
    draft_command: tuple[str, ...] = ()
    draft_timeout: int = 60  # seconds the draft command may take for one question
    valid_until: Mapping[str, date] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FillSettings:
    """How answers are put into a customer's cells.

    ``local_evidence`` follows the title of a document kept in the library's
    ``evidence/`` folder in an evidence cell ("SOC 2 Type II report (available on
    request)"); empty: the title alone. A document with a URL shows the URL instead.
    ``unreviewed``: what a match on an entry with no ``reviewed`` date (a harvested draft
    nobody approved yet) does: ``fill`` writes it and the report marks it, ``review``
    holds the row for a person (reason ``unreviewed-entry``).
    """

    local_evidence: str = "available on request"
    unreviewed: str = "fill"


@dataclass(frozen=True, slots=True)
class Settings:
    matching: MatchSettings = field(default_factory=MatchSettings)
    filling: FillSettings = field(default_factory=FillSettings)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lint: LintSettings = field(default_factory=LintSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    # The product `qfill answer` answers for when --product is not given (None: shared
    # entries only); see Library.for_product.
    product: str | None = None
    source: str | None = None

    def with_matching(self, **changes: Any) -> Settings:
        """These settings with some matching settings replaced (a command-line flag over
        ``qfill.yaml``). A lower ``fill_threshold`` brings ``review_threshold`` down with
        it, so that a row the user asked to fill at that confidence is never unanswered."""
        if "fill_threshold" in changes and "review_threshold" not in changes:
            changes["review_threshold"] = min(self.matching.review_threshold,
                                              changes["fill_threshold"])
        return replace(self, matching=replace(self.matching, **changes))


_TOP_KEYS = ("version", "matching", "filling", "synonyms", "lint", "evidence", "product")
_FILL_KEYS = ("local_evidence", "unreviewed")
UNREVIEWED_CHOICES = ("fill", "review")
_MATCH_KEYS = ("fill_threshold", "review_threshold", "margin", "candidates", "semantic")
_LINT_KEYS = ("rules", "required", "review_every")
_EVIDENCE_KEYS = ("passages", "draft_command", "draft_timeout", "valid_until")
_SEVERITIES = ("off", "warning", "error")


def load_settings(root: Path) -> Settings:
    """Read ``qfill.yaml`` (or ``.yml``) from the library root; defaults if absent."""
    for name in SETTINGS_FILES:
        path = root / name
        if path.is_file():
            return parse_settings(path.read_bytes(), name)
    return Settings()


def parse_settings(data: bytes, name: str = "qfill.yaml") -> Settings:
    try:
        document = parse_yaml(data)
    except YamlProblem as e:
        raise SettingsError(f"{name}:{e.line}:{e.column}: {e.message}") from None
    if document.duplicates:
        dup = document.duplicates[0]
        raise SettingsError(f"{name}:{dup.line}:{dup.column}: key '{dup.key}' given twice; "
                            "remove one")
    root = document.root
    if root is None:
        return Settings(source=name)
    reader = _Reader(name)
    top = reader.mapping(root, _TOP_KEYS, "qfill.yaml")
    matching = MatchSettings()
    if "matching" in top:
        values = reader.mapping(top["matching"], _MATCH_KEYS, "matching")
        kwargs: dict[str, Any] = {}
        for key in ("fill_threshold", "review_threshold", "margin"):
            if key in values:
                kwargs[key] = reader.fraction(values[key], f"matching.{key}")
        if "candidates" in values:
            kwargs["candidates"] = reader.count(values["candidates"], "matching.candidates")
        if "semantic" in values:
            kwargs["semantic"] = reader.flag(values["semantic"], "matching.semantic")
        matching = MatchSettings(**kwargs)
        if matching.review_threshold > matching.fill_threshold:
            raise SettingsError(f"{name}: matching.review_threshold is above "
                                "matching.fill_threshold; lower it")
    filling = FillSettings()
    if "filling" in top:
        values = reader.mapping(top["filling"], _FILL_KEYS, "filling")
        if "local_evidence" in values:
            node = values["local_evidence"]
            if node.kind not in ("str", "null"):
                reader.fail(node, "filling.local_evidence must be text, e.g. "
                            "\"available on request\", or \"\" for none")
            filling = FillSettings(local_evidence=str(node.value or "").strip())
        if "unreviewed" in values:
            node = values["unreviewed"]
            if node.kind != "str" or node.value not in UNREVIEWED_CHOICES:
                reader.fail(node, "filling.unreviewed must be fill or review")
            filling = replace(filling, unreviewed=str(node.value))
    synonyms: dict[str, tuple[str, ...]] = {}
    if "synonyms" in top:
        node = top["synonyms"]
        if node.kind != "map":
            reader.fail(node, "synonyms must map a term to a list of variants")
        for term, variants in node.value.items():
            synonyms[str(term)] = reader.texts(variants, f"synonyms.{term}")
    lint = LintSettings()
    if "lint" in top:
        values = reader.mapping(top["lint"], _LINT_KEYS, "lint")
        rules: dict[str, str] = {}
        if "rules" in values:
            node = values["rules"]
            if node.kind != "map":
                reader.fail(node, "lint.rules must map a rule id to off, warning or error")
            for rule, level in node.value.items():
                text = level.raw if level.kind == "bool" else level.value
                if text is False or text == "false":
                    text = "off"
                if text not in _SEVERITIES:
                    reader.fail(level, f"lint.rules.{rule} must be off, warning or error")
                rules[str(rule)] = str(text)
        lint = LintSettings(
            rules=rules,
            required=reader.texts(values["required"], "lint.required")
            if "required" in values else (),
            review_every=reader.count(values["review_every"], "lint.review_every")
            if "review_every" in values else None,
        )
    evidence = EvidenceSettings()
    if "evidence" in top:
        evidence = _evidence_settings(reader, top["evidence"])
    product: str | None = None
    if "product" in top:
        node = top["product"]
        if node.kind != "str" or not str(node.value).strip():
            reader.fail(node, "product must be a product name, e.g. product: atlas")
        product = str(node.value).strip()
    return Settings(matching=matching, filling=filling, synonyms=synonyms, lint=lint,
                    evidence=evidence, product=product, source=name)


def _evidence_settings(reader: _Reader, node: YNode) -> EvidenceSettings:
    values = reader.mapping(node, _EVIDENCE_KEYS, "evidence")
    kwargs: dict[str, Any] = {}
    if "passages" in values:
        sub = values["passages"]
        if sub.kind != "int" or not 0 <= int(sub.value) <= 20:
            reader.fail(sub, "evidence.passages must be a whole number from 0 to 20")
        kwargs["passages"] = int(sub.value)
    if "draft_command" in values:
        sub = values["draft_command"]
        if sub.kind == "str":
            command = tuple(shlex.split(str(sub.value)))
        else:
            command = reader.texts(sub, "evidence.draft_command")
        if not command:
            reader.fail(sub, "evidence.draft_command is empty; name a program or remove it")
        kwargs["draft_command"] = command
    if "draft_timeout" in values:
        kwargs["draft_timeout"] = reader.count(values["draft_timeout"],
                                               "evidence.draft_timeout")
    if "valid_until" in values:
        sub = values["valid_until"]
        if sub.kind != "map":
            reader.fail(sub, "evidence.valid_until must map a document path to a date")
        dates: dict[str, date] = {}
        for path, day in sub.value.items():
            if day.kind == "date":
                dates[str(path)] = day.value
                continue
            try:
                dates[str(path)] = date.fromisoformat(str(day.value))
            except ValueError:
                reader.fail(day, f"evidence.valid_until.{path} must be a date YYYY-MM-DD")
        kwargs["valid_until"] = dates
    return EvidenceSettings(**kwargs)


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, node: YNode, message: str) -> NoReturn:
        raise SettingsError(f"{self.name}:{node.line}:{node.column}: {message}")

    def mapping(self, node: YNode, allowed: tuple[str, ...], what: str) -> dict[str, YNode]:
        if node.kind != "map":
            self.fail(node, f"{what} must be a mapping")
        for key, key_node in node.keys.items():
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                tip = f"did you mean '{hint[0]}'?" if hint else f"allowed: {', '.join(allowed)}"
                self.fail(key_node, f"unknown key '{key}' in {what}; {tip}")
        result: dict[str, YNode] = node.value
        return result

    def fraction(self, node: YNode, what: str) -> float:
        if node.kind not in ("int", "float") or not 0 <= float(node.value) <= 1:
            self.fail(node, f"{what} must be a number from 0 to 1")
        return float(node.value)

    def flag(self, node: YNode, what: str) -> bool:
        if node.kind != "bool":
            self.fail(node, f"{what} must be true or false")
        return bool(node.value)

    def count(self, node: YNode, what: str) -> int:
        if node.kind != "int" or int(node.value) < 1:
            self.fail(node, f"{what} must be a whole number above 0")
        return int(node.value)

    def texts(self, node: YNode, what: str) -> tuple[str, ...]:
        if node.kind == "str":
            return (str(node.value),)
        if node.kind != "seq" or any(item.kind not in ("str", "int", "float")
                                     for item in node.value):
            self.fail(node, f"{what} must be a list of text")
        return tuple(str(item.raw if item.raw is not None else item.value)
                     for item in node.value)

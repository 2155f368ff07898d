"""YAML read safely into values that remember where they came from.

PyYAML keeps the last of two equal keys silently and turns ``Yes``/``No`` into booleans
(YAML 1.1). So files are *composed* into nodes (never constructed into objects: a
``!!python/object`` tag stays inert), duplicate keys are recorded, and each value keeps
its 1-based line and column and, for scalars, the text as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

# Guards against hostile pull-request YAML: an alias "billion laughs" expands by
# reference, so count nodes while converting rather than trusting the file size.
MAX_NODES = 200_000
MAX_BYTES = 8 * 1024 * 1024

# libyaml's parser gives the same nodes and marks as the pure-Python one about 12 times
# faster (5,000 entries: 0.4 s against 5 s), and caps nesting depth; PyYAML wheels ship it.
_NodeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A file that cannot be read as YAML; carries a 1-based position."""

    def __init__(self, line: int, column: int, message: str, rule: str = "yaml-syntax") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.rule = rule


@dataclass(slots=True)
class YNode:
    """A YAML value with its position.

    ``kind`` is ``"map"``, ``"seq"`` or the scalar's resolved type: ``"str"``, ``"bool"``,
    ``"int"``, ``"float"``, ``"null"``, ``"date"``. ``raw`` is a scalar's text as written.
    A map's ``value`` is ``dict[str, YNode]`` and its ``keys`` give each key's own node.
    """

    kind: str
    value: Any
    line: int
    column: int
    raw: str | None = None
    quoted: bool = False
    keys: dict[str, YNode] = field(default_factory=dict)

    def get(self, key: str) -> YNode | None:
        if self.kind != "map":
            return None
        result: YNode | None = self.value.get(key)
        return result

    def plain(self) -> Any:
        """The value as plain Python (dicts, lists, scalars), positions dropped."""
        if self.kind == "map":
            return {k: v.plain() for k, v in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    key: str
    line: int
    column: int
    first_line: int
    first_column: int


@dataclass(slots=True)
class YamlDocument:
    root: YNode | None
    duplicates: list[DuplicateKey]


_SCALAR_KINDS = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "date",
}


def parse_yaml(data: bytes, *, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse one YAML document from bytes; raise :class:`YamlProblem` on anything unsafe."""
    if len(data) > MAX_BYTES:
        raise YamlProblem(1, 1, f"file is {len(data)} bytes, over the {MAX_BYTES}-byte limit",
                          rule="file-too-large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise YamlProblem(line, col, "not valid UTF-8; save the file as UTF-8",
                          rule="encoding") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _NodeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = e.problem or e.context or "invalid YAML"
        raise YamlProblem(line, col, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as e:
        raise YamlProblem(1, 1, f"YAML error: {e}") from None
    finally:
        loader.dispose()
    duplicates: list[DuplicateKey] = []
    if node is None:
        return YamlDocument(None, duplicates)
    converter = _Converter(max_nodes, duplicates)
    try:
        return YamlDocument(converter.convert(node), duplicates)
    except RecursionError:  # deep nesting within libyaml's own cap still exhausts Python's stack
        raise YamlProblem(node.start_mark.line + 1, node.start_mark.column + 1,
                          "values are nested too deeply; flatten the file",
                          rule="yaml-too-complex") from None


class _Converter:
    def __init__(self, max_nodes: int, duplicates: list[DuplicateKey]) -> None:
        self.budget = max_nodes
        self.duplicates = duplicates
        self.constructor = yaml.SafeLoader("")

    def convert(self, node: yaml.Node) -> YNode:
        self.budget -= 1
        if self.budget < 0:
            raise YamlProblem(node.start_mark.line + 1, node.start_mark.column + 1,
                              "document expands to too many values (alias bomb?); "
                              "remove the aliases", rule="yaml-too-complex")
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            values: dict[str, YNode] = {}
            keys: dict[str, YNode] = {}
            for key_node, value_node in node.value:
                key = self.convert(key_node)
                name = key.raw if key.raw is not None else str(key.value)
                if name in values:
                    first = keys[name]
                    self.duplicates.append(DuplicateKey(name, key.line, key.column,
                                                        first.line, first.column))
                    continue
                keys[name] = key
                values[name] = self.convert(value_node)
            return YNode("map", values, line, col, keys=keys)
        if isinstance(node, yaml.SequenceNode):
            return YNode("seq", [self.convert(item) for item in node.value], line, col)
        assert isinstance(node, yaml.ScalarNode)
        kind = _SCALAR_KINDS.get(node.tag)
        if kind is None:
            raise YamlProblem(line, col, f"unsupported YAML tag {node.tag!r}; "
                              "answer files hold plain text, lists and mappings",
                              rule="yaml-tag")
        quoted = node.style in ("'", '"')
        if kind == "str":  # most scalars; the constructor would return node.value as is
            return YNode(kind, node.value, line, col, raw=node.value, quoted=quoted)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            kind, value = "str", node.value
        if isinstance(value, datetime):
            value = value.date()
        if kind == "date" and not isinstance(value, date):
            kind = "str"
        return YNode(kind, value, line, col, raw=node.value, quoted=quoted)

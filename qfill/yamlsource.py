"""YAML read safely into values that remember where they came from.

PyYAML keeps the last of two equal keys silently and turns ``Yes``/``No`` into booleans
(YAML 1.1). So files are *composed* into nodes (never constructed into objects: a
``!!python/object`` tag stays inert), duplicate keys are recorded, and each value keeps
its 1-based line and column and, for scalars, the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import yaml

# Guards against hostile pull-request YAML: an alias "billion laughs" expands by
# reference, so count nodes while converting rather than trusting the file size.
MAX_NODES = 200_000
MAX_BYTES = 8 * 1024 * 1024

# libyaml's parser gives the same nodes and marks as the pure-Python one about 12 times
# faster (5,000 entries: 0.4 s against 5 s), and caps nesting depth; PyYAML wheels ship it.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_SHORT_TAGS: dict[str, str] = {}
_SHORT_TAGS_MAX = 20_000  # a hostile file cannot grow the memo without bound
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


class _NodeLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, with a fast path for the commonest scalar: plain prose.

    The resolver tries its implicit patterns (bool, int, float, date, null) by the
    scalar's first character; most library scalars are sentences that start with a
    letter no pattern starts with, so they are text without trying any.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        # Past five characters a word can no longer be a YAML 1.1 bool or null
        # ("false", "null"), the only patterns that start with a letter.
        if kind is yaml.ScalarNode and implicit[0] and value and (
                value[0] not in self.yaml_implicit_resolvers
                or (len(value) > 5 and value[0].isalpha())):
            return _STR_TAG
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= 12:
            # Short plain scalars (keys such as "title", dates, numbers) repeat in every
            # entry; their tag depends on the text alone, so resolve each text once.
            tag = _SHORT_TAGS.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))
                if len(_SHORT_TAGS) < _SHORT_TAGS_MAX:
                    _SHORT_TAGS[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))


# libyaml's line breaks (IS_BREAK in its scanner), "\r\n" counting as one: the lines that
# every position in this module counts. str.splitlines() and split("\n") disagree with it
# on NEL, LS and PS (pasted from documents), and splitlines() also breaks at \v \f \x1c-\x1e.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def split_lines(text: str) -> list[str]:
    """``text`` split into the lines libyaml numbers (line ``n`` is item ``n - 1``)."""
    return LINE_BREAK.split(text)


class YamlProblem(Exception):
    """A file that cannot be read as YAML; carries a 1-based position."""

    def __init__(self, line: int, column: int, message: str, rule: str = "yaml-syntax") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.rule = rule


_NO_KEYS: Mapping[str, Any] = MappingProxyType({})


class YNode:
    """A YAML value with its position.

    ``kind`` is ``"map"``, ``"seq"`` or the scalar's resolved type: ``"str"``, ``"bool"``,
    ``"int"``, ``"float"``, ``"null"``, ``"date"``. ``raw`` is a scalar's text as written.
    A map's ``value`` is ``dict[str, YNode]`` and its ``keys`` give each key's own node.
    A plain slotted class rather than a dataclass: one is built per value in the library,
    and lint's speed on large libraries is mostly this.
    """

    __slots__ = ("column", "keys", "kind", "line", "quoted", "raw", "value")

    def __init__(self, kind: str, value: Any, line: int, column: int, raw: str | None = None,
                 quoted: bool = False, keys: Mapping[str, YNode] | None = None) -> None:
        self.kind = kind
        self.value = value
        self.line = line
        self.column = column
        self.raw = raw
        self.quoted = quoted
        self.keys: Mapping[str, YNode] = _NO_KEYS if keys is None else keys

    def __repr__(self) -> str:
        return (f"YNode(kind={self.kind!r}, value={self.value!r}, line={self.line}, "
                f"column={self.column}, raw={self.raw!r})")

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

    def convert(self, node: Any) -> YNode:  # a yaml Node; its subclasses carry .id/.style
        # Hot path (one call per value in the library): dispatch on node.id, not isinstance.
        self.budget -= 1
        mark = node.start_mark
        line, col = mark.line + 1, mark.column + 1
        if self.budget < 0:
            raise YamlProblem(line, col, "document expands to too many values (alias bomb?); "
                              "remove the aliases", rule="yaml-too-complex")
        node_id = node.id
        if node_id == "scalar":
            kind = _SCALAR_KINDS.get(node.tag)
            if kind == "str":  # most scalars; the constructor would return node.value as is
                return YNode("str", node.value, line, col, node.value,
                             node.style == "'" or node.style == '"')
            return self._typed_scalar(node, kind, line, col)
        if node.tag not in _COLLECTION_TAGS:
            raise YamlProblem(line, col, f"unsupported YAML tag {node.tag!r}; answer files "
                              "hold plain text, lists and mappings", rule="yaml-tag")
        convert = self.convert
        if node_id == "sequence":
            return YNode("seq", [convert(item) for item in node.value], line, col)
        values: dict[str, YNode] = {}
        keys: dict[str, YNode] = {}
        for key_node, value_node in node.value:
            key = convert(key_node)
            name = key.raw if key.raw is not None else str(key.value)
            if name in values:
                first = keys[name]
                self.duplicates.append(DuplicateKey(name, key.line, key.column,
                                                    first.line, first.column))
                continue
            keys[name] = key
            values[name] = convert(value_node)
        return YNode("map", values, line, col, keys=keys)

    def _typed_scalar(self, node: Any, kind: str | None, line: int, col: int) -> YNode:
        if kind is None:
            raise YamlProblem(line, col, f"unsupported YAML tag {node.tag!r}; "
                              "answer files hold plain text, lists and mappings",
                              rule="yaml-tag")
        quoted = node.style in ("'", '"')
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            kind, value = "str", node.value
        if isinstance(value, datetime):
            value = value.date()
        if kind == "date" and not isinstance(value, date):
            kind = "str"
        return YNode(kind, value, line, col, raw=node.value, quoted=quoted)

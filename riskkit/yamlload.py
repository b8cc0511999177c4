"""YAML to plain data, keeping the file, line and column of every value.

Loading is safe by construction: only the YAML core types are built (no Python objects),
duplicate keys are refused, aliases are bounded, and odd input (not UTF-8, too deep, too
big, NaN) becomes a :class:`Problem` instead of an exception.
"""

from __future__ import annotations

import math
import os
from typing import Any

import yaml

from .problems import Problem

try:  # libyaml when present: the same nodes, parsed in C
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.SafeLoader

_RESOLVED: dict = {}


class _Loader(_Base):
    """The safe loader with scalar tag resolution memoised.

    The parser asks the resolver for the tag of every plain scalar, trying the YAML core
    regular expressions each time; in a register the same keys and values repeat across
    thousands of files. The answer depends only on the text (safe loaders have no path
    resolvers), so it is remembered, within a bound.
    """

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            key = (value, implicit)
            tag = _RESOLVED.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < 100_000 and len(value) < 200:
                    _RESOLVED[key] = tag
            return tag
        return super().resolve(kind, value, implicit)

MAX_BYTES = 5 * 1024 * 1024  # a risk or runbook file is a few KB; 5 MB is clearly not one
MAX_DEPTH = 64
MAX_VALUES = 200_000  # bounds alias expansion ("billion laughs")

Path_ = tuple  # a JSON path: keys and indexes from the document root

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_SCALARS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
_constructor = yaml.constructor.SafeConstructor()


class Doc:
    """A loaded YAML document: plain JSON-like data plus where each value came from.

    Positions are worked out when first asked for, by composing the text again: most
    files have no problem, and keeping a mark per value for all of them would double the
    cost of loading a big register.
    """

    __slots__ = ("path", "data", "_text", "_marks", "_keymarks")

    def __init__(self, path: str, data: Any, marks: dict | None = None,
                 keymarks: dict | None = None, text: str | None = None):
        self.path = path
        self.data = data
        self._text = text
        self._marks = marks
        self._keymarks = keymarks

    def _locate(self) -> None:
        if self._marks is not None:
            return
        self._marks, self._keymarks = {}, {}
        if self._text is None:
            return
        builder = _Builder(self.path, record=True)
        try:
            builder.build(_Loader(self._text).get_single_node(), (), 0)
        except Exception:  # the text loaded once; positions are best effort
            pass
        self._marks, self._keymarks = builder.marks, builder.keymarks

    def is_block(self, path: Path_) -> bool:
        """Whether the value at ``path`` is a block scalar (``|`` or ``>``)."""
        if self._text is None:
            return False
        line, col = self.at(path)
        lines = self._text.splitlines()
        return line <= len(lines) and lines[line - 1][col - 1:col] in ("|", ">")

    @property
    def marks(self) -> dict:
        self._locate()
        return self._marks

    @property
    def keymarks(self) -> dict:
        self._locate()
        return self._keymarks

    def at(self, path: Path_ = ()) -> tuple[int, int]:
        """The position of the value at ``path``, or of its nearest ancestor we know."""
        path = tuple(path)
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def key_at(self, path: Path_) -> tuple[int, int]:
        """The position of the key that holds ``path`` (falls back to the value)."""
        path = tuple(path)
        return self.keymarks.get(path) or self.at(path)

    def problem(self, path: Path_, code: str, message: str, *, key: bool = False,
                severity: str = "error") -> Problem:
        line, col = self.key_at(path) if key else self.at(path)
        return Problem(self.path, line, col, code, message, severity)


class _Stop(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _shown(text: str) -> str:
    """A value as quoted in a message, cut short when it is long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a node tree into plain data, recording marks; refuses what is unsafe."""

    def __init__(self, display: str, record: bool = False):
        self.display = display
        self.record = record
        self.marks: dict = {}
        self.keymarks: dict = {}
        self.budget = MAX_VALUES
        self.problems: list[Problem] = []

    def stop(self, node, code: str, message: str):
        line, col = _mark(node)
        raise _Stop(Problem(self.display, line, col, code, message))

    def build(self, node, path: tuple | None, depth: int):
        """Plain data for ``node``; ``path`` is its JSON path when recording marks."""
        self.budget -= 1
        if self.budget < 0:
            self.stop(node, "Y006", f"document expands to more than {MAX_VALUES} values "
                      "(an alias bomb?)")
        if depth > MAX_DEPTH:
            self.stop(node, "Y007", f"nesting deeper than {MAX_DEPTH} levels")
        if self.record:
            self.marks[path] = _mark(node)
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _MAP:
            return self.mapping(node, path, depth)
        if tag == _SEQ:
            if self.record:
                return [self.build(item, path + (i,), depth + 1)
                        for i, item in enumerate(node.value)]
            return [self.build(item, None, depth + 1) for item in node.value]
        if tag in _SCALARS:
            return self.scalar(node)
        self.stop(node, "Y005", f"unsupported YAML tag {tag!r}: riskkit files hold plain "
                  "data only")

    def scalar(self, node):
        try:
            return self._scalar(node)
        except (ValueError, KeyError, IndexError, AttributeError, OverflowError, TypeError):
            kind = {"timestamp": "date", "int": "integer", "float": "number",
                    "bool": "boolean"}.get(node.tag.rsplit(":", 1)[-1], "value")
            self.stop(node, "Y008", f"{_shown(node.value)} is not a valid {kind}")

    def _scalar(self, node):
        tag = node.tag
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return _constructor.construct_yaml_bool(node)
        if tag == "tag:yaml.org,2002:int":
            return _constructor.construct_yaml_int(node)
        if tag == "tag:yaml.org,2002:float":
            value = _constructor.construct_yaml_float(node)
            if not math.isfinite(value):
                self.stop(node, "Y008", f"{_shown(node.value)} is not a finite number")
            return value
        # timestamp: kept as its ISO text so data stays JSON
        return _constructor.construct_yaml_timestamp(node).isoformat()

    def mapping(self, node, path: tuple | None, depth: int) -> dict:
        result: dict = {}
        firsts: dict[str, int] = {}
        for key_node, value_node in self._pairs(node):
            if key_node.tag not in (_STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
                                    "tag:yaml.org,2002:null", "tag:yaml.org,2002:float",
                                    "tag:yaml.org,2002:timestamp"):
                self.stop(key_node, "Y005", "mapping keys must be plain scalars")
            key = key_node.value if key_node.tag == _STR else str(self.scalar(key_node))
            if key in result:
                first = firsts[key]
                line, col = _mark(key_node)
                self.problems.append(Problem(self.display, line, col, "Y002",
                                             f"duplicate key {key!r} (first at line {first})"))
                continue
            firsts[key] = key_node.start_mark.line + 1
            if self.record:
                self.keymarks[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,), depth + 1)
            else:
                result[key] = self.build(value_node, None, depth + 1)
        return result

    def _pairs(self, node):
        """Mapping pairs with YAML merge keys (``<<: *defaults``) expanded, explicit keys first."""
        pairs = node.value
        for key_node, _ in pairs:
            if key_node.tag == _MERGE:
                break
        else:
            return pairs
        merged, own = [], []
        for key_node, value_node in pairs:
            if key_node.tag == _MERGE:
                sources = value_node.value if value_node.tag == _SEQ else [value_node]
                for source in sources:
                    if source.tag != _MAP:
                        self.stop(source, "Y005", "a merge key (<<) takes a mapping")
                    self.budget -= len(source.value)
                    if self.budget < 0:
                        self.stop(source, "Y006", "merge keys expand to too many values")
                    merged.extend(self._pairs(source))  # a merged mapping may merge too
            else:
                own.append((key_node, value_node))
        if not merged:
            return own
        seen = {k.value for k, _ in own}
        extra, taken = [], set()
        for key_node, value_node in merged:
            if key_node.value not in seen and key_node.value not in taken:
                taken.add(key_node.value)
                extra.append((key_node, value_node))
        return own + extra


def _decode(raw: bytes, display: str) -> tuple[str | None, Problem | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]  # valid UTF-8 up to here, so columns count characters
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8")) + 1
        return None, Problem(display, line, col, "Y004",
                             f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x})")


def load_text(text: str, display: str) -> tuple[Doc | None, list[Problem]]:
    """Parse one YAML document; returns the document (or None) and its problems."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        before = text[: text.index("\x00")]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return None, [Problem(display, line, col, "Y004", "file holds binary data (NUL bytes)")]
    try:
        node = _Loader(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc.context or ""):
            what = "a file holds one YAML document; found another one here"
        return None, [Problem(display, line, col, "Y001", f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 1, 1, "Y001", f"YAML error: {exc}")]
    if node is None:
        return None, [Problem(display, 1, 1, "Y003", "file is empty")]
    builder = _Builder(display)
    try:
        data = builder.build(node, None, 0)
    except _Stop as stop:
        return None, builder.problems + [stop.problem]
    except RecursionError:
        return None, [Problem(display, 1, 1, "Y007", "nesting too deep")]
    if data is None:
        return None, [Problem(display, 1, 1, "Y003", "file holds no data (a null document)")]
    return Doc(display, data, text=text), builder.problems


def load_file(path: str | os.PathLike, display: str | None = None
              ) -> tuple[Doc | None, list[Problem]]:
    """Read and parse a YAML file; never raises for what is wrong with the file."""
    display = display or os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except IsADirectoryError:
        return None, [Problem(display, 1, 1, "Y009", "is a folder, not a YAML file")]
    except FileNotFoundError:
        kind = "broken symbolic link" if os.path.islink(path) else "no such file"
        return None, [Problem(display, 1, 1, "Y009", kind)]
    except OSError as exc:
        return None, [Problem(display, 1, 1, "Y009", f"cannot read: {exc.strerror}")]
    return load_bytes(raw, display)


def load_bytes(raw: bytes, display: str) -> tuple[Doc | None, list[Problem]]:
    """Parse a file's bytes (from disk or a git object)."""
    if len(raw) > MAX_BYTES:
        return None, [Problem(display, 1, 1, "Y006",
                              f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")]
    text, problem = _decode(raw, display)
    if problem:
        return None, [problem]
    return load_text(text, display)

"""YAML to plain data, keeping the file, line and column of every value.

Loading is safe by construction: only the YAML core types are built (no Python objects),
duplicate keys are refused, aliases are bounded, and odd input (not UTF-8, too deep, too
big, NaN) becomes a :class:`Problem` instead of an exception.

Values are never changed behind the user's back. A plain (unquoted) value is typed only
where YAML 1.1 and YAML 1.2 read it the same way: ``true``/``false`` (as YAML 1.2 spells
them), ``null``/``~``/nothing, and numbers in plain decimal (``90``, ``-3``, ``1.5``).
Everything else is the text as written: ``no``, ``off``, ``010``, ``0x1F``, ``1:30``,
``1_000`` and ``2026-01-05 10:00`` are strings, not false, 8, 31, 90, 1000 or a date spelled
again. A numeric or boolean field given such a text is refused by the schema at its line,
with a hint (:func:`type_hint`).
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import math
import os
import re
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from riskkit.codes import severity_of
from riskkit.files import reading
from riskkit.problems import Problem, Severity

if TYPE_CHECKING:  # checked as the C loader; both build the same nodes
    _Base = yaml.CSafeLoader
else:
    try:  # libyaml when present: the same nodes, parsed in C
        _Base = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        _Base = yaml.SafeLoader

_RESOLVED: dict[str, str] = {}


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"

# The plain values YAML 1.1 and YAML 1.2 read alike; every other plain value is a string.
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True,
          "false": False, "False": False, "FALSE": False}
_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_DECIMAL_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+][0-9]+)?")
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")  # refused when built


def _core_tag(value: str) -> str:
    """The tag of a plain scalar: typed only where YAML 1.1 and 1.2 agree on the value."""
    if value in _NULLS:
        return _NULL
    if value in _BOOLS:
        return _BOOL
    if value[0] in "-+.0123456789":
        if _DECIMAL_INT.fullmatch(value):
            return _INT
        if _DECIMAL_FLOAT.fullmatch(value) or _NOT_FINITE.fullmatch(value):
            return _FLOAT
    if value == "<<":
        return _MERGE
    return _STR


class _Loader(_Base):
    """The safe loader, resolving plain scalars by :func:`_core_tag`, memoised.

    The parser asks the resolver for the tag of every plain scalar; in a register the same
    keys and values repeat across thousands of files. The answer depends only on the text
    (safe loaders have no path resolvers), so it is remembered, within a bound. A quoted
    scalar, or one tagged ``!``, is always a string.
    """

    def resolve(self, kind: type[yaml.Node], value: str,
                implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = _core_tag(value)
                if len(_RESOLVED) < 100_000 and len(value) < 200:
                    _RESOLVED[value] = tag
            return tag
        # what PyYAML's resolver answers for a collection when no path resolver is added,
        # and none ever is to a safe loader
        return _SEQ if kind is yaml.SequenceNode else _MAP

    # The parser calls these around every node, to follow path resolvers, which a safe
    # loader never has: there is nothing to do. Built-ins that take the same arguments do
    # nothing fastest, without a Python call: slice(parent, index) makes a slice that no
    # one keeps, tuple() gives the empty tuple (2% of composing a register's files; the
    # collections' tags above, 3%). Their answers are never read.
    descend_resolver = staticmethod(slice)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]


MAX_BYTES = reading.MAX_BYTES  # a risk or runbook file is a few KB; 5 MB is clearly not one
MAX_DEPTH = 64
# Bounds alias expansion ("billion laughs"); a runbook of 30,000 steps holds ~250,000 values.
MAX_VALUES = 1_000_000

Path_ = Sequence[Any]  # a JSON path: keys and indexes from the document root
Marks = dict[tuple[Any, ...], tuple[int, int]]  # a JSON path -> (line, column)

_SCALARS = {_NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP}
_ScalarNode = yaml.ScalarNode
_constructor = yaml.constructor.SafeConstructor()


_NO_TEXTS: dict[Any, str] = {}  # shared, never written to
_WIDE = 32  # a container of more children than this indexes where each starts


class Positions:
    """Where every value of a document was written, in the order the values were built.

    The values of a document, walked depth first in the order of its data (a mapping's
    keys as they were written, merged keys after, repeats left out, an alias as often as
    it is used), are numbered 0, 1, 2...; the line and column of each are kept in that
    order, packed in one flat array. A lookup walks the data down the path, counting the
    values it steps over: the data is the index, so no path is stored. The text of a
    typed scalar is kept only where it differs from its value's spelling (``1.10`` for
    1.1, ``+5``, ``True``).
    """

    __slots__ = ("marks", "texts", "_starts")

    def __init__(self, marks: array, texts: dict[int, str]):
        self.marks = marks  # line << 32 | column, both 0-based, as PyYAML counts them
        self.texts = texts
        self._starts: dict[int, tuple[dict[Any, int] | None, list[int]]] | None = None

    def _child(self, index: int, value: Any, part: Any) -> tuple[int, Any] | None:
        """The number and value of ``value``'s child ``part`` (``value`` is number
        ``index``), or None when it has no such child."""
        if isinstance(value, dict):
            try:
                if part not in value:
                    return None
            except TypeError:  # an unhashable part names nothing
                return None
            if len(value) > _WIDE:
                ordinals, starts = self._wide(index, value)
                assert ordinals is not None  # a mapping's index has its keys
                return starts[ordinals[part]], value[part]
            at = index + 1
            for key, child in value.items():
                if key == part:
                    return at, child
                at += _count(child)
            return None  # pragma: no cover - the key is in the mapping
        if isinstance(value, list):
            if not isinstance(part, int) or not 0 <= part < len(value):
                return None
            if len(value) > _WIDE:
                return self._wide(index, value)[1][part], value[part]
            at = index + 1
            for child in value[:part]:
                at += _count(child)
            return at, value[part]
        return None

    def _wide(self, index: int, value: Any) -> tuple[dict[Any, int] | None, list[int]]:
        """Where each child of a wide container starts (and, for a mapping, each key's
        ordinal), worked out once."""
        if self._starts is None:
            self._starts = {}
        found = self._starts.get(index)
        if found is None:
            starts, at = [], index + 1
            for child in (value.values() if isinstance(value, dict) else value):
                starts.append(at)
                at += _count(child)
            ordinals = {key: i for i, key in enumerate(value)} \
                if isinstance(value, dict) else None
            found = self._starts[index] = (ordinals, starts)
        return found

    def _find(self, data: Any, path: Path_) -> tuple[int, bool]:
        """The number of the value at ``path`` or of its nearest ancestor, and whether it
        is the value at ``path`` itself."""
        index, value = 0, data
        for part in path:
            found = self._child(index, value, part)
            if found is None:
                return index, False
            index, value = found
        return index, True

    def at(self, data: Any, path: Path_) -> tuple[int, int]:
        packed = self.marks[self._find(data, path)[0]]
        return (packed >> 32) + 1, (packed & 0xFFFFFFFF) + 1

    def text(self, data: Any, path: Path_) -> str | None:
        index, whole = self._find(data, path)
        return self.texts.get(index) if whole else None


def _count(value: Any) -> int:
    """How many values ``value`` holds, itself included (as the builder numbered them)."""
    if isinstance(value, dict):
        return 1 + sum(map(_count, value.values()))
    if isinstance(value, list):
        return 1 + sum(map(_count, value))
    return 1


class Doc:
    """A loaded YAML document: plain JSON-like data plus where each value came from.

    The first parse keeps the position of every value compactly (:class:`Positions`:
    a few flat arrays in document order, not a mark per path), so a view or a problem
    finds a line without parsing the file again. A document built another way (from a
    spreadsheet, from data) gives its marks, or works them out by composing the text.
    """

    __slots__ = ("path", "data", "_text", "_marks", "_keymarks", "_texts", "_pos")

    def __init__(self, path: str, data: Any, marks: Marks | None = None,
                 keymarks: Marks | None = None, text: str | None = None,
                 positions: Positions | None = None):
        self.path = path
        self.data = data
        self._text = text
        self._marks = marks
        self._keymarks = keymarks
        self._texts: dict[tuple[Any, ...], str] = _NO_TEXTS  # replaced by _locate
        self._pos = positions if marks is None else None

    @property
    def source(self) -> str | None:
        """The text this document was parsed from; None once released."""
        return self._text

    def release(self) -> None:
        """Let go of the text once nothing needs more than :meth:`at` and :meth:`text`
        (a file without problems, its values loaded): those answer from the positions
        kept at the first parse."""
        if self._pos is not None:
            self._text = None

    def _locate(self) -> None:
        if self._marks is not None:
            return
        self._marks, self._keymarks = {}, {}
        if self._text is None:
            return
        builder = _Builder(self.path, record=True)
        try:
            node = _Loader(self._text).get_single_node()
            if node is not None:
                builder.build(node, (), 0)
        except Exception:  # the text loaded once; positions are best effort
            pass
        self._marks, self._keymarks = builder.marks, builder.keymarks
        self._texts = builder.texts

    def text(self, path: Path_) -> str | None:
        """The scalar at ``path`` as written in the file: ``1.10`` for the number 1.1,
        ``true`` for a boolean, a string as it is. None for null, a list, a mapping or a
        missing path."""
        value: Any = self.data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
        if value is None or isinstance(value, (str, list, dict)):
            return value if isinstance(value, str) else None
        if self._pos is not None:
            written = self._pos.text(self.data, path)
        else:
            self._locate()
            written = self._texts.get(tuple(path))
        if written is not None:
            return written
        if isinstance(value, bool):  # no text to go by (built from data): YAML's spelling
            return "true" if value else "false"
        return str(value)

    def is_block(self, path: Path_) -> bool:
        """Whether the value at ``path`` is a block scalar (``|`` or ``>``)."""
        if self._text is None:
            return False
        line, col = self.at(path)
        lines = self._text.splitlines()
        return line <= len(lines) and lines[line - 1][col - 1:col] in ("|", ">")

    @property
    def marks(self) -> Marks:
        self._locate()
        assert self._marks is not None  # _locate sets both
        return self._marks

    @property
    def keymarks(self) -> Marks:
        self._locate()
        assert self._keymarks is not None  # _locate sets both
        return self._keymarks

    def at(self, path: Path_ = ()) -> tuple[int, int]:
        """The position of the value at ``path``, or of its nearest ancestor we know."""
        if self._pos is not None:
            return self._pos.at(self.data, path)
        where = tuple(path)
        while where not in self.marks and where:
            where = where[:-1]
        return self.marks.get(where, (1, 1))

    def key_at(self, path: Path_) -> tuple[int, int]:
        """The position of the key that holds ``path`` (falls back to the value)."""
        where = tuple(path)
        return self.keymarks.get(where) or self.at(where)

    def problem(self, path: Path_, code: str, message: str, *, key: bool = False,
                severity: Severity | None = None) -> Problem:
        """A problem at ``path`` (at its key when ``key``), of the code's registered
        severity unless ``severity`` is given."""
        line, col = self.key_at(path) if key else self.at(path)
        return Problem(self.path, line, col, code, message, severity or severity_of(code))


class _Stop(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _shown(text: str) -> str:
    """A value as quoted in a message, cut short when it is long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_RADIX = {"0x": (16, "hexadecimal"), "0o": (8, "octal"), "0b": (2, "binary")}
_LOOSE_DECIMAL = re.compile(r"[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?")
_BOOLISH = frozenset(("yes", "no", "on", "off", "y", "n", "true", "false"))


def number_hint(text: str) -> str | None:
    """For a text given where a number goes: why it is not read as one and how to write
    it (``1:30`` -> "sexagesimal is not read as a number: write plain decimal, e.g. 90").
    None when the text does not look like a number at all."""
    if _DECIMAL_INT.fullmatch(text) or _DECIMAL_FLOAT.fullmatch(text):
        return "a quoted number is text: write it without quotes"
    sign = "-" if text[:1] == "-" else ""
    body = text[1:] if text[:1] in ("-", "+") else text
    try:
        if _SEXAGESIMAL.fullmatch(text):
            value = 0.0
            for part in body.replace("_", "").split(":"):
                value = value * 60 + float(part)
            what = "sexagesimal"
        elif body[:2].lower() in _RADIX:
            base, what = _RADIX[body[:2].lower()]
            value = float(int(body[2:].replace("_", ""), base))
        elif _LOOSE_DECIMAL.fullmatch(text):
            value = float(body.replace("_", ""))
            what = ("a digit separator" if "_" in body else
                    "a leading zero" if re.match(r"0[0-9]", body) else "this spelling")
        else:
            return None
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(value):
        return None
    shown = str(int(value)) if value.is_integer() else repr(value)
    return f"{what} is not read as a number: write plain decimal, e.g. {sign}{shown}"


def type_hint(expected: str, text: str) -> str | None:
    """How to write ``text`` where an ``expected`` value ("integer", "number" or "boolean")
    goes, when it looks like one in a spelling riskkit does not read as such."""
    if expected in ("integer", "number"):
        return number_hint(text)
    if expected == "boolean" and text.strip().lower() in _BOOLISH:
        return "write true or false"
    return None


_SHARED: dict[str, str] = {}


def _shared(text: str) -> str:
    """One string object for a short text that repeats (keys, owners, statuses, dates):
    in a register the same few hundred texts fill thousands of files."""
    if len(text) > 40:
        return text
    found = _SHARED.get(text)
    if found is None:
        if len(_SHARED) >= 200_000:
            return text
        found = _SHARED[text] = text
    return found


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a node tree into plain data, recording marks; refuses what is unsafe."""

    def __init__(self, display: str, record: bool = False):
        self.display = display
        self.record = record
        self.marks: Marks = {}
        self.keymarks: Marks = {}
        self.texts: dict[tuple[Any, ...], str] = {}  # path -> the text of a typed scalar
        self.budget = self.limit = MAX_VALUES
        self.problems: list[Problem] = []
        # Positions, compactly (when not recording by path): see Positions
        self.pos_marks: list[int] = []
        self.pos_texts: dict[int, str] = {}

    def positions(self) -> Positions:
        return Positions(array("Q", self.pos_marks), self.pos_texts or _NO_TEXTS)

    def stop(self, node: yaml.Node, code: str, message: str) -> NoReturn:
        line, col = _mark(node)
        raise _Stop(Problem(self.display, line, col, code, message))

    def build(self, node: yaml.Node, path: tuple[Any, ...] | None, depth: int) -> Any:
        """Plain data for ``node``; ``path`` is its JSON path when recording marks by path,
        else its position is kept compactly (:class:`Positions`)."""
        self.budget -= 1
        if self.budget < 0:
            self.stop(node, "Y006", f"document expands to more than {self.limit} values "
                      "(an alias bomb?)")
        if depth > MAX_DEPTH:
            self.stop(node, "Y007", f"nesting deeper than {MAX_DEPTH} levels")
        if path is not None:  # recording
            self.marks[path] = _mark(node)
            index = -1
        else:
            marks = self.pos_marks
            index = len(marks)
            mark = node.start_mark
            marks.append(mark.line << 32 | mark.column)
        tag = node.tag
        if tag == _STR and isinstance(node, yaml.ScalarNode):
            return _SHARED.get(node.value) or _shared(node.value)
        if tag == _MAP and isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if tag == _SEQ and isinstance(node, yaml.SequenceNode):
            if path is not None:  # recording
                return [self.build(item, path + (i,), depth + 1)
                        for i, item in enumerate(node.value)]
            return [self.build(item, None, depth + 1) for item in node.value]
        if tag in _SCALARS and isinstance(node, yaml.ScalarNode):
            if path is not None:  # recording
                self.texts[path] = node.value
                return self.scalar(node)
            value = self.scalar(node)
            if value is not None and node.value != (
                    ("true" if value else "false") if isinstance(value, bool) else str(value)):
                self.pos_texts[index] = node.value
            return value
        if tag == _STR or tag == _MAP or tag == _SEQ or tag in _SCALARS:  # `!!str {a: 1}`
            kind = "mapping" if isinstance(node, yaml.MappingNode) else \
                "sequence" if isinstance(node, yaml.SequenceNode) else "scalar"
            self.stop(node, "Y005", f"YAML tag {tag!r} on a {kind}: riskkit files hold "
                      "plain data only; drop the tag")
        self.stop(node, "Y005", f"unsupported YAML tag {tag!r}: riskkit files hold plain "
                  "data only")

    def scalar(self, node: yaml.ScalarNode) -> Any:
        try:
            return self._scalar(node)
        except (ValueError, KeyError, IndexError, AttributeError, OverflowError, TypeError):
            kind = {"timestamp": "date", "int": "integer", "float": "number",
                    "bool": "boolean"}.get(node.tag.rsplit(":", 1)[-1], "value")
            hint = type_hint(kind, node.value)
            self.stop(node, "Y008", f"{_shown(node.value)} is not a valid {kind}"
                      + (f" ({hint})" if hint else ""))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        """The value of a typed scalar. Plain ones only get these tags in the forms
        :func:`_core_tag` allows; an explicit tag (``!!int 010``) must use the same forms."""
        tag, text = node.tag, node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _BOOLS[text]
        if tag == _INT:
            if not _DECIMAL_INT.fullmatch(text):
                raise ValueError(text)
            return int(text)
        if tag == _FLOAT:
            if _NOT_FINITE.fullmatch(text):
                self.stop(node, "Y008", f"{_shown(text)} is not a finite number")
            if not (_DECIMAL_FLOAT.fullmatch(text) or _DECIMAL_INT.fullmatch(text)):
                raise ValueError(text)
            value = float(text)
            if not math.isfinite(value):
                self.stop(node, "Y008", f"{_shown(text)} is not a finite number")
            return value
        # timestamp, only with an explicit tag: checked, then kept as written
        _constructor.construct_yaml_timestamp(node)
        return text

    def mapping(self, node: yaml.MappingNode, path: tuple[Any, ...] | None, depth: int
                ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        pairs = self._pairs(node)
        marks, deeper = self.pos_marks, depth + 1
        for key_node, value_node in pairs:
            if key_node.tag != _STR and key_node.tag not in _SCALARS or \
                    not isinstance(key_node, _ScalarNode):  # `? !!str [a]`
                self.stop(key_node, "Y005", "mapping keys must be plain scalars")
            key = key_node.value  # a key is its text as written: `1.10:` is '1.10'
            key = _SHARED.get(key) or _shared(key)
            if key in result:
                first = next(k.start_mark.line + 1 for k, _ in pairs if k.value == key)
                line, col = _mark(key_node)
                self.problems.append(Problem(self.display, line, col, "Y002",
                                             f"duplicate key {key!r} (first at line {first})"))
                continue
            if path is not None:  # recording
                self.keymarks[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,), deeper)
            elif value_node.tag == _STR and isinstance(value_node, _ScalarNode) and \
                    self.budget > 0 and deeper <= MAX_DEPTH:
                # what build does for text, the most common value, without the call
                self.budget -= 1
                mark = value_node.start_mark
                marks.append(mark.line << 32 | mark.column)
                text = value_node.value
                result[key] = _SHARED.get(text) or _shared(text)
            else:
                result[key] = self.build(value_node, None, deeper)
        return result

    def _pairs(self, node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
        """Mapping pairs with YAML merge keys (``<<: *defaults``) expanded, explicit keys first."""
        pairs = node.value
        for key_node, _ in pairs:
            if key_node.tag == _MERGE:
                break
        else:
            return pairs
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in pairs:
            if key_node.tag == _MERGE:
                sources = value_node.value if value_node.tag == _SEQ and \
                    isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if source.tag != _MAP or not isinstance(source, yaml.MappingNode):
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
        extra: list[tuple[yaml.Node, yaml.Node]] = []
        taken: set[str] = set()
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


_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks, as marks count them


def _lines(text: str) -> list[str]:
    return _BREAKS.split(text)


def trap_hint(text: str, line: int, col: int, message: str) -> str:
    """`` (how to fix it)`` when a classic YAML trap at ``line``:``col`` (1-based) explains
    a syntax error, else ""."""
    lines = _lines(text)
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = here[:len(here) - len(here.lstrip(" \t"))]
    if "\t" in indent or ("tab" in message and "\t" in here):
        return " (a tab is not allowed for indentation in YAML: indent with spaces)"
    if "{{" in here or (line > 1 and "{{" in lines[line - 2]):
        return (" (an unquoted '{' starts a YAML mapping, so a value with {{ ... }} in it "
                "must be quoted: title: \"Restart {{ host }}\")")
    if "mapping values are not allowed" in message:
        if ": " in here[:col - 1]:  # a second colon on the line: in the value
            return " (a ': ' inside an unquoted value starts a mapping: quote the whole value)"
        above = next((x for x in reversed(lines[:line - 1]) if x.strip()), "")
        if len(indent) > len(above) - len(above.lstrip(" ")):
            return (" (this line is indented deeper than the one above, so it continues that "
                    "value: check the indentation)")
    return ""


_COMMENT = re.compile(r"[ \t]+#")


def cut_by_comments(node: yaml.Node, text: str, display: str) -> list[Problem]:
    """Warnings for plain values that end where a comment starts on the same line.

    ``title: Fix queue #2 now`` is the text "Fix queue" and the comment "#2 now";
    ``color: #c62828`` is no value at all. Text (a value with a space in it) followed by a
    comment is flagged, and so is any plain value followed by ``#`` and a non-space
    (``#2``, ``#inc-db``), which reads like a value rather than a remark; a quoted value,
    a number or a mapping with a comment after it is left alone.
    """
    # No comment after anything, the common case. Asked of the text directly: a search
    # for _COMMENT starts again at every space of every indentation (a tenth of a parse).
    if " #" not in text and "\t#" not in text:
        return []
    lines = _lines(text)
    commented = [i for i, line in enumerate(lines) if " #" in line or "\t#" in line]
    problems: list[Problem] = []
    seen: set[int] = set()  # aliases share nodes: look at each once
    # Each node with its place: None for the root, else (the parent's place, key or index,
    # whether it is an index); the label is spelled only for a value that is flagged.
    stack: list[tuple[yaml.Node, tuple | None]] = [(node, None)]
    while stack:
        current, place = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        # A node is written between its marks, and so is all it holds (an alias is the
        # node it names, written where the anchor is): none of it is on a line with a
        # comment unless one of those lines has one.
        first = bisect.bisect_left(commented, current.start_mark.line)
        if first == len(commented) or commented[first] > current.end_mark.line:
            continue
        if isinstance(current, yaml.MappingNode):
            for key, value in reversed(current.value):  # popped in document order
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((value, (place, name, False)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, (place, i, True))
                         for i, item in reversed(list(enumerate(current.value))))
        elif isinstance(current, yaml.ScalarNode):
            problem = cut_value(current, lines, display, lambda: _label(place))
            if problem is not None:
                problems.append(problem)
    return sorted(problems)


def cut_value(node: yaml.ScalarNode, lines: list[str], display: str,
              where: Callable[[], str]) -> Problem | None:
    """The warning for one scalar of ``lines`` (the file's, as :func:`_lines` splits
    them) that ends where a comment starts, or None; ``where`` spells its place, asked
    only for a value that is flagged."""
    if node.style or node.tag not in (_STR, _NULL):
        return None
    end = node.end_mark
    rest = lines[end.line][end.column:] if end.line < len(lines) else ""
    found = _COMMENT.match(rest)
    if found is None:
        return None
    comment = rest[found.end() - 1:].rstrip()
    value = node.value if node.tag == _STR else ""
    if not (" " in value.strip() or comment[1:2] not in ("", " ", "\t")):
        return None
    place = where()
    label = f"{place}: " if place else ""
    message = (f"{label}the value ends where a comment starts: {value!r} is kept, "
               f"{comment!r} is not; quote the whole value if the '#' belongs to it"
               if value else
               f"{label}the value is empty: {comment!r} is a YAML comment; quote the "
               "value if the '#' belongs to it")
    return Problem(display, end.line + 1, end.column + found.end(), "Y010", message)


def _label(place: tuple | None) -> str:
    """A value's place as a message names it (``steps[2].title``)."""
    parts = []
    while place is not None:
        place, part, indexed = place
        parts.append((part, indexed))
    where = ""
    for part, indexed in reversed(parts):
        where = f"{where}[{part}]" if indexed else f"{where}.{part}" if where else str(part)
    return where


def load_text(text: str, display: str) -> tuple[Doc | None, list[Problem]]:
    """Parse one YAML document; returns the document (or None) and its problems."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        before = text[: text.index("\x00")]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return None, [Problem(display, line, col, "Y004", "file holds binary data (NUL bytes)")]
    collecting = gc.isenabled()
    gc.disable()  # a parse makes only trees, no cycles: the collector would only walk them
    try:
        return _load(text, display)
    finally:
        if collecting:
            gc.enable()


def _load(text: str, display: str) -> tuple[Doc | None, list[Problem]]:
    try:
        node = _Loader(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc.context or ""):
            what = "a file holds one YAML document; found another one here"
        return None, [Problem(display, line, col, "Y001", f"YAML syntax error: {what}"
                              f"{trap_hint(text, line, col, what)}")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 1, 1, "Y001", f"YAML error: {exc}")]
    if node is None:
        return None, [Problem(display, 1, 1, "Y003", "file is empty")]
    builder = _Builder(display)
    builder.budget = builder.limit = max(MAX_VALUES, len(text) // 8)  # a big list file
    try:
        data = builder.build(node, None, 0)
    except _Stop as stop:
        hint = trap_hint(text, stop.problem.line, stop.problem.col, stop.problem.message)
        return None, builder.problems + [dataclasses.replace(
            stop.problem, message=stop.problem.message + hint)]
    except RecursionError:
        return None, [Problem(display, 1, 1, "Y007", "nesting too deep")]
    if data is None:
        return None, [Problem(display, 1, 1, "Y003", "file holds no data (a null document)")]
    return Doc(display, data, text=text, positions=builder.positions()), \
        builder.problems + cut_by_comments(node, text, display)


def load_file(path: str | os.PathLike[str], display: str | None = None, *,
              inside: str | None = None) -> tuple[Doc | None, list[Problem]]:
    """Read and parse a YAML file; never raises for what is wrong with the file.

    Only a regular file of at most :data:`MAX_BYTES` is read, and with ``inside`` (a real
    folder) only one that lies in it (``riskkit.files.reading``)."""
    display = display or os.fspath(path)
    try:
        raw = reading.read_bytes(path, inside=inside)
    except reading.Refused as refused:
        return None, [Problem(display, 1, 1, refused.code, refused.reason)]
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
    limit = reading.cap(len(raw), raw[:4096], MAX_BYTES) if len(raw) > MAX_BYTES else MAX_BYTES
    if len(raw) > limit:
        return None, [Problem(display, 1, 1, "Y006",
                              f"file is larger than {limit // (1024 * 1024)} MB")]
    text, problem = _decode(raw, display)
    if text is None:
        assert problem is not None  # _decode gives one or the other
        return None, [problem]
    return load_text(text, display)

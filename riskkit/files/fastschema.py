"""A fast yes/no check compiled from our JSON Schemas, for the common case of valid files.

jsonschema explains problems well but walks every keyword through generic machinery;
on a register of 10,000 files that dominates the run. This module compiles the subset
of draft 2020-12 keywords that riskkit's schemas use into generated Python functions
that only answer "valid or not". A file that fails the fast check goes to jsonschema for the
located, explained problems, so the messages come from one place. A schema using a
keyword this compiler does not know compiles to "not sure", which sends every file to
jsonschema: the fast path can only ever skip work, never change a verdict.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

Check = Callable[[Any], bool]
Schema = dict[str, Any]  # a JSON Schema, or one node of it

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "default", "examples",
                "$comment"}
KNOWN = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties",
                        "patternProperties", "items", "enum", "pattern", "minimum", "maximum",
                        "minLength", "minItems", "maxItems", "maxProperties", "uniqueItems",
                        "$ref", "format", "oneOf", "not", "propertyNames"}


class Unsupported(Exception):
    pass


_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _date(value: str) -> bool:
    """An RFC 3339 full-date, as jsonschema checks it (Python's fromisoformat alone would
    also take ``20240101``)."""
    if not _FULL_DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _regex(value: str) -> bool:
    try:
        re.compile(value)
    except re.error:
        return False
    return True


_FORMATS: dict[str, Check] = {"date": _date, "regex": _regex}


def python_pattern(pattern: str) -> str:
    """A JSON Schema ``pattern`` (ECMA-262) as a Python regular expression that means the
    same: ``$`` is the end of the string, where Python's ``$`` also matches before a final
    newline (so ``^RSK-[0-9]+$`` would take ``"RSK-007\\n"``). ``\\Z`` is Python's end."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:  # a $ in a class is a dollar sign
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return "".join(out)


def compile_schema(schema: Schema) -> Check:
    """A function value -> bool; raises Unsupported for keywords it does not know.

    The schema becomes the source of a few Python functions (one for the document, one
    for each ``$defs`` entry it refers to and each ``oneOf`` or ``not`` branch), the
    keywords of a node written out as plain tests of a local variable: a risk is checked
    by one call and a handful of tests rather than a closure per keyword. The source
    is compiled once and kept (``riskkit.compiled``).
    """
    from riskkit import compiled

    writer = _Writer(schema)
    entry = writer.function(schema)
    source = "\n".join(writer.lines)
    space = dict(writer.consts)
    exec(compiled.code(source, "<riskkit schema check>"), space)
    check: Check = space[entry]
    return check


class _Missing:
    """A property a mapping does not have (no JSON value is this)."""


# Each JSON type as a test of the variable ``{v}``; "integer" takes 3.0 as JSON Schema does.
_TYPE_TESTS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "integer": "(isinstance({v}, int) and not isinstance({v}, bool) "
               "or isinstance({v}, float) and {v}.is_integer())",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
}
MAX_INLINE = 12  # nesting of inlined nodes before a node becomes a function of its own


class _Writer:
    """Writes the check functions of one schema: ``lines`` of source, and ``consts``, the
    objects the source names (patterns, sets of allowed values, helpers)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"_MISSING": _Missing, "_unique": _unique}
        self.refs: dict[str, str] = {}
        self.names = 0

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def const(self, value: Any, prefix: str = "c") -> str:
        name = self.name(prefix)
        self.consts[name] = value
        return name

    def function(self, node: Schema, name: str | None = None) -> str:
        """The name of a function that checks ``node``; its source is added to ``lines``."""
        name = name or self.name("check")
        body = self.node(node, "v", 1)
        self.lines += [f"def {name}(v):", *body, "    return True", ""]
        return name

    def ref(self, pointer: str) -> str:
        if not pointer.startswith("#/$defs/"):
            raise Unsupported(pointer)
        key = pointer[len("#/$defs/"):]
        if key not in self.refs:
            self.refs[key] = name = self.name("ref")  # named first: a $def may recur
            self.function(self.schema["$defs"][key], name)
        return self.refs[key]

    def node(self, node: Schema, v: str, depth: int) -> list[str]:
        """Statements that return False when the value in variable ``v`` fails ``node``."""
        if not isinstance(node, dict):  # a boolean schema: not written out
            raise Unsupported(repr(node))
        unknown = set(node) - KNOWN
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        if depth > MAX_INLINE:
            return self._fails(f"not {self.function(node)}({v})", depth)
        out: list[str] = []
        fail = self._fails
        if "$ref" in node:
            out += fail(f"not {self.ref(node['$ref'])}({v})", depth)
        # Once "type" is checked, a test that applies only to one type need not ask again.
        kind = node.get("type") if node.get("type") in ("string", "object", "array") else None

        def only(json_type: str, python_type: str) -> str:
            """The guard of a test that applies only to one JSON type."""
            return "" if kind == json_type else f"isinstance({v}, {python_type}) and "
        if "type" in node:
            kinds = [node["type"]] if isinstance(node["type"], str) else node["type"]
            if not all(k in _TYPE_TESTS for k in kinds):
                raise Unsupported(f"type {kinds!r}")
            tests = [_TYPE_TESTS[k].format(v=v) for k in kinds]
            out += fail(f"not ({' or '.join(tests)})", depth)
        if "enum" in node:
            allowed = node["enum"]
            if allowed and all(type(a) is str for a in allowed):
                out += fail(f"not (type({v}) is str and {v} in "
                            f"{self.const(frozenset(allowed))})", depth)
            else:
                out += fail(f"not any({v} == a and type({v}) is type(a) "
                            f"for a in {self.const(tuple(allowed))})", depth)
        if "pattern" in node:
            search = self.const(re.compile(python_pattern(node["pattern"])).search, "search")
            out += fail(f"{only('string', 'str')}{search}({v}) is None", depth)
        if "format" in node and node["format"] in _FORMATS:
            fmt = self.const(_FORMATS[node["format"]], "fmt")
            out += fail(f"{only('string', 'str')}not {fmt}({v})", depth)
        if "minLength" in node:
            out += fail(f"{only('string', 'str')}len({v}) < "
                        f"{self.const(node['minLength'])}", depth)
        if "minimum" in node or "maximum" in node:
            bounds = [f"{v} >= {self.const(node['minimum'])}"] if "minimum" in node else []
            if "maximum" in node:
                bounds.append(f"{v} <= {self.const(node['maximum'])}")
            out += fail(f"isinstance({v}, (int, float)) and not isinstance({v}, bool) "
                        f"and not ({' and '.join(bounds)})", depth)
        if "minItems" in node:
            out += fail(f"{only('array', 'list')}len({v}) < "
                        f"{self.const(node['minItems'])}", depth)
        if "maxItems" in node:
            out += fail(f"{only('array', 'list')}len({v}) > "
                        f"{self.const(node['maxItems'])}", depth)
        if "maxProperties" in node:
            out += fail(f"{only('object', 'dict')}len({v}) > "
                        f"{self.const(node['maxProperties'])}", depth)
        if node.get("uniqueItems"):
            out += fail(f"{only('array', 'list')}not _unique({v})", depth)
        if "items" in node:
            item = self.name("item")
            if kind == "array":  # a list: no need to ask
                inner = self.node(node["items"], item, depth + 1)
                if inner:
                    out += [f"{'    ' * depth}for {item} in {v}:", *inner]
            else:
                inner = self.node(node["items"], item, depth + 2)
                if inner:
                    out += [f"{'    ' * depth}if isinstance({v}, list):",
                            f"{'    ' * (depth + 1)}for {item} in {v}:", *inner]
        if "required" in node:
            out += fail(f"{only('object', 'dict')}not "
                        f"{self.const(frozenset(node['required']))} <= {v}.keys()", depth)
        if any(k in node for k in ("properties", "additionalProperties", "patternProperties",
                                   "propertyNames")):
            if kind == "object":  # a dict: no need to ask
                out += self._object(node, v, depth)
            else:
                inner = self._object(node, v, depth + 1)
                if inner:
                    out += [f"{'    ' * depth}if isinstance({v}, dict):", *inner]
        if "oneOf" in node:
            options = [self.function(o) for o in node["oneOf"]]
            out += fail(f"({' + '.join(f'{o}({v})' for o in options)}) != 1", depth)
        if "not" in node:
            out += fail(f"{self.function(node['not'])}({v})", depth)
        return out

    @staticmethod
    def _fails(test: str, depth: int) -> list[str]:
        return [f"{'    ' * depth}if {test}:", f"{'    ' * (depth + 1)}return False"]

    def _object(self, node: Schema, v: str, depth: int) -> list[str]:
        """The statements of an object's keywords, for a ``v`` known to be a dict."""
        pad = "    " * depth
        props = node.get("properties", {})
        patterns = node.get("patternProperties", {})
        extra = node.get("additionalProperties", True)
        out: list[str] = []
        for key, sub in props.items():  # each property the mapping has
            value = self.name("value")
            inner = self.node(sub, value, depth + 1)
            if inner:
                out += [f"{pad}{value} = {v}.get({key!r}, _MISSING)",
                        f"{pad}if {value} is not _MISSING:", *inner]
        known = self.const(frozenset(props))
        # whether a pattern's schema checks anything, asked of a writer whose functions
        # are thrown away
        checked = {p: _Writer(self.schema).node(sub, "v", 1) for p, sub in patterns.items()}
        if "propertyNames" not in node and not any(checked.values()):
            # Only the keys outside "properties" matter: does a pattern name them, and
            # what does additionalProperties say of the rest?
            if extra is True:
                return out
            key = self.name("key")
            inner = [f"{pad}    for {key} in {v}.keys() - {known}:"]
            deeper = pad + "        "
            if patterns:
                searches = " or ".join(f"{self.const(re.compile(p).search, 'search')}({key})"
                                       for p in patterns)
                inner.append(f"{deeper}if {searches}:")
                inner.append(f"{deeper}    continue")
            if extra is False:
                inner.append(f"{deeper}return False")
            else:
                value = self.name("value")
                rest = self.node(extra, value, depth + 2)
                if not rest:
                    return out
                inner += [f"{deeper}{value} = {v}[{key}]", *rest]
            return out + [f"{pad}if not {known}.issuperset({v}):", *inner]
        # Every key: its name, the patterns it matches, and what is left over.
        key, value, matched = self.name("key"), self.name("value"), self.name("matched")
        out.append(f"{pad}for {key}, {value} in {v}.items():")
        if "propertyNames" in node:
            out += self.node(node["propertyNames"], key, depth + 1)
        out.append(f"{pad}    {matched} = {key} in {known}")
        for pattern, sub in patterns.items():
            search = self.const(re.compile(pattern).search, "search")
            out += [f"{pad}    if {search}({key}):", f"{pad}        {matched} = True",
                    *self.node(sub, value, depth + 2)]
        if extra is False:
            out += [f"{pad}    if not {matched}:", f"{pad}        return False"]
        elif extra is not True:
            inner = self.node(extra, value, depth + 2)
            if inner:
                out += [f"{pad}    if not {matched}:", *inner]
        return out


def _unique(items: list[Any]) -> bool:
    # Plain equality treats 1, 1.0 and True alike, which is stricter than JSON Schema:
    # a doubtful list goes to jsonschema rather than through.
    try:
        return len(set(items)) == len(items)
    except TypeError:  # unhashable items: compare pairwise
        return all(a != b for i, a in enumerate(items) for b in items[i + 1:])

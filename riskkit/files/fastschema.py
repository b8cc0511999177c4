"""A fast yes/no check compiled from our JSON Schemas, for the common case of valid files.

jsonschema explains problems well but walks every keyword through generic machinery;
on a register of 10,000 files that dominates the run. This module compiles the subset
of draft 2020-12 keywords that riskkit's schemas use into plain Python closures that
only answer "valid or not". A file that fails the fast check goes to jsonschema for the
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

_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "default", "examples",
                "$comment"}
KNOWN = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties",
                        "patternProperties", "items", "enum", "pattern", "minimum", "maximum",
                        "minLength", "minItems", "maxItems", "maxProperties", "uniqueItems",
                        "$ref", "format", "oneOf", "not", "propertyNames"}


class Unsupported(Exception):
    pass


def _date(value: str) -> bool:
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
    """A function value -> bool; raises Unsupported for keywords it does not know."""
    cache: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if not pointer.startswith("#/$defs/"):
            raise Unsupported(pointer)
        name = pointer[len("#/$defs/"):]
        if name not in cache:
            cache[name] = lambda v: target(v)  # placeholder for recursion
            target = build(schema["$defs"][name])
            cache[name] = target
        return cache[name]

    def build(node: Schema) -> Check:
        unknown = set(node) - KNOWN
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "$ref" in node:
            checks.append(ref(node["$ref"]))
        if "type" in node:
            kinds = [node["type"]] if isinstance(node["type"], str) else node["type"]
            tests = [_TYPES[k] for k in kinds]
            if len(tests) == 1:
                checks.append(tests[0])
            else:
                checks.append(lambda v: any(t(v) for t in tests))
        if "enum" in node:
            allowed = node["enum"]
            checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
        if "pattern" in node:
            search = re.compile(python_pattern(node["pattern"])).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "format" in node and node["format"] in _FORMATS:
            fmt = _FORMATS[node["format"]]
            checks.append(lambda v: not isinstance(v, str) or fmt(v))
        if "minLength" in node:
            n = node["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "minimum" in node or "maximum" in node:
            low, high = node.get("minimum"), node.get("maximum")

            def bounds(v: Any) -> bool:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    return True
                return (low is None or v >= low) and (high is None or v <= high)
            checks.append(bounds)
        if "minItems" in node:
            n = node["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= n)
        if "maxItems" in node:
            most = node["maxItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) <= most)
        if "maxProperties" in node:
            most_keys = node["maxProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) <= most_keys)
        if node.get("uniqueItems"):
            checks.append(lambda v: not isinstance(v, list) or _unique(v))
        if "items" in node:
            item = build(node["items"])
            def each(v: Any, item: Check = item) -> bool:
                if isinstance(v, list):
                    for x in v:
                        if not item(x):
                            return False
                return True
            checks.append(each)
        if "required" in node:
            required = tuple(node["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        if any(k in node for k in ("properties", "additionalProperties", "patternProperties",
                                   "propertyNames")):
            checks.append(_object(node, build))
        if "oneOf" in node:
            options = [build(o) for o in node["oneOf"]]
            checks.append(lambda v: sum(1 for o in options if o(v)) == 1)
        if "not" in node:
            inner = build(node["not"])
            checks.append(lambda v: not inner(v))
        return _all(checks)

    return build(schema)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    steps = tuple(checks)

    def every(v: Any) -> bool:
        for check in steps:
            if not check(v):
                return False
        return True
    return every


def _unique(items: list[Any]) -> bool:
    # Plain equality treats 1, 1.0 and True alike, which is stricter than JSON Schema:
    # a doubtful list goes to jsonschema rather than through.
    try:
        return len(set(items)) == len(items)
    except TypeError:  # unhashable items: compare pairwise
        return all(a != b for i, a in enumerate(items) for b in items[i + 1:])


def _object(node: Schema, build: Callable[[Schema], Check]) -> Check:
    props = {k: build(s) for k, s in node.get("properties", {}).items()}
    patterns = [(re.compile(p).search, build(s))
                for p, s in node.get("patternProperties", {}).items()]
    extra = node.get("additionalProperties", True)
    refuse_extra = extra is False  # additionalProperties: false
    extra_check = None if extra is True or extra is False else build(extra)
    names = build(node["propertyNames"]) if "propertyNames" in node else None

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key, value in v.items():
            if names is not None and not names(key):
                return False
            matched = False
            sub = props.get(key)
            if sub is not None:
                matched = True
                if not sub(value):
                    return False
            for search, pat in patterns:
                if search(key):
                    matched = True
                    if not pat(value):
                        return False
            if not matched:
                if refuse_extra or extra_check is not None and not extra_check(value):
                    return False
        return True
    return check

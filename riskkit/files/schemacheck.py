"""The JSON Schemas are the contract; this module checks documents against them.

jsonschema's errors are turned into problems that point at the YAML line of the offending
value (or key, for unknown fields), say what was expected and what was found, and suggest
the field that was probably meant.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from riskkit.problems import Names, Problem, did_you_mean, field_path
from riskkit.files.yamlload import Doc

if TYPE_CHECKING:  # imported when first needed: most runs never build a validator
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

    from riskkit.files.fastschema import Check

Where = tuple[Any, ...]  # a JSON path: keys and indexes
# (path, code, message, point at the key rather than the value)
Explained = tuple[Where, str, str, bool]

NAMES = ("risk", "runbook", "drill", "matrix", "settings")


def schema_text(name: str) -> str:
    """The published schema ``name`` as JSON text, exactly as shipped."""
    if name not in NAMES:
        raise KeyError(name)
    with open(os.path.join(schema_folder(), f"{name}.schema.json"), encoding="utf-8") as handle:
        return handle.read()


def schema_folder() -> str:
    """The folder the schemas ship in: the ``riskkit.schemas`` package (a plain import, not
    importlib.resources, which costs more to import than riskkit spends validating the demo)."""
    import importlib

    package = importlib.import_module("riskkit.schemas")  # shipped from schemas/
    return os.path.dirname(os.path.abspath(package.__file__ or ""))


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    return json.loads(schema_text(name))


# Schemas whose files may hold several items: one item is checked against this part.
ITEM = {"risk": "#/$defs/risk"}


@lru_cache(maxsize=None)
def item_schema(name: str) -> dict[str, Any]:
    """The schema one item is checked against (a risk, not a file of risks)."""
    full = schema(name)
    if name not in ITEM:
        return full
    return {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": ITEM[name]}


def _pattern(validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
             ) -> Iterator[ValidationError]:
    """``pattern`` as JSON Schema means it (ECMA-262): ``$`` is the end of the string."""
    import jsonschema

    from riskkit.files.fastschema import python_pattern

    if validator.is_type(instance, "string") and \
            not re.search(python_pattern(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=None)
def validator(name: str) -> Validator:
    import jsonschema

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                       {"pattern": _pattern})
    return cls(item_schema(name), format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=None)
def fast(name: str) -> Check | None:
    """The compiled yes/no check of schema ``name``, or None when it cannot be compiled."""
    from riskkit.files.fastschema import Unsupported, compile_schema

    try:
        return compile_schema(item_schema(name))
    except Unsupported:
        return None


_JSON_TYPES: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number", type(None): "null"}


def describe(value: Any) -> str:
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)) or value is None:
        return kind
    short = value if not isinstance(value, str) or len(value) < 40 else value[:37] + "..."
    shown = repr(short)
    return f"{kind} {shown}"


def _expected(types: str | Iterable[str]) -> str:
    names = {"integer": "an integer", "string": "a string", "object": "a mapping",
             "array": "a list", "number": "a number", "boolean": "true or false", "null": "null"}
    kinds = [types] if isinstance(types, str) else list(types)
    return " or ".join(names.get(t, t) for t in kinds)


def check(name: str, doc: Doc, base: Where = (), subject: str | None = None
          ) -> list[Problem]:
    """Every schema problem of the value at ``base`` in ``doc``, as located problems."""
    value = doc.data
    for part in base:
        value = value[part]
    quick = fast(name)
    if quick is not None and quick(value):
        return []
    problems: list[Problem] = []
    prefix = f"{subject}: " if subject else ""
    for error in validator(name).iter_errors(value):
        for path, code, message, at_key in _explain(error, lambda p: doc.text(base + p)):
            full = base + tuple(path)
            problems.append(doc.problem(full, code, prefix + message, key=at_key))
    return sorted(set(problems))


def _type_hint(types: str | Iterable[str], instance: Any, text: str | None) -> str | None:
    """How to write a value of the wrong type: YAML reads only plain decimal as a number
    and only true/false as a boolean; a number or boolean where text goes needs quotes."""
    from riskkit.files.yamlload import type_hint

    kinds = [types] if isinstance(types, str) else list(types)
    if isinstance(instance, str):
        for kind in kinds:
            hint = type_hint(kind, instance)
            if hint:
                return hint
        return None
    if kinds == ["string"] and isinstance(instance, (bool, int, float)):
        if text is None:
            text = ("true" if instance else "false") if isinstance(instance, bool) \
                else str(instance)
        return f"quote it to keep it as text: {text!r}"
    return None


def _one_of_required(alternatives: Iterable[Any]) -> set[str]:
    """The fields a ``oneOf`` chooses between (the matrix's grid or thresholds), read from
    the schema's structure, not its text."""
    return {name for alt in alternatives if isinstance(alt, dict)
            for name in alt.get("required", ())}


def _explain(error: ValidationError, written: Callable[[Where], str | None] | None = None
             ) -> Iterator[Explained]:
    """Yield (path, code, message, point-at-key) for one jsonschema error; ``written(path)``
    gives the text of a value as written in the file, for hints."""
    path = tuple(error.absolute_path)
    where = field_path(path)
    # An error from iter_errors carries all of these (jsonschema's Unset is for errors
    # made by hand), and the keyword's value and the instance are any JSON value.
    kind = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        node: Any = error.schema  # the object schema holding additionalProperties
        known = set(node.get("properties", {}))
        patterns = [re.compile(p) for p in node.get("patternProperties", {})]
        names = Names(known)  # once: a file may hold thousands of unknown keys
        for key in instance:
            if key in known or any(p.search(key) for p in patterns):
                continue
            suffix = did_you_mean(key, names) or \
                (f"; known fields: {', '.join(sorted(known))}" if known else "")
            place = f" in {where}" if path else ""
            yield path + (key,), "S100", f"unknown field '{key}'{place}{suffix}", True
        if known or patterns:
            return
        # A mapping of free keys whose values are wrong: report the values instead.
        for sub in error.context or []:
            yield from _explain(sub, written)
        return
    if kind == "required" and isinstance(instance, dict):
        for field in value:
            if field not in instance:
                place = f" in {where}" if path else ""
                yield path, "S101", f"missing required field '{field}'{place}", False
        return
    if kind == "type":
        hint = _type_hint(value, instance, written(path) if written else None)
        yield path, "S102", (f"{where}: expected {_expected(value)}, got {describe(instance)}"
                             + (f" ({hint})" if hint else "")), False
        return
    if kind == "enum":
        choices = ", ".join(str(v) for v in value)
        hint = did_you_mean(instance, [v for v in value if isinstance(v, str)]) \
            if isinstance(instance, str) else ""
        yield path, "S103", f"{where}: {instance!r} is not one of: {choices}{hint}", False
        return
    if kind == "pattern":
        hint = ""
        if isinstance(instance, str) and instance != instance.strip():
            hint = " (it ends with a line break)" if instance.endswith("\n") else \
                " (mind the spaces around it)"
        yield path, "S103", (f"{where}: {instance!r} does not match the pattern "
                             f"{value}{hint}"), False
        return
    if kind == "format":
        what = {"date": "a valid date (YYYY-MM-DD)", "regex": "a valid regular expression"}
        yield path, "S103", f"{where}: {instance!r} is not {what.get(value, value)}", False
        return
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">",
                "exclusiveMaximum": "<"}[kind]
        yield path, "S103", f"{where}: {instance!r} must be {sign} {value}", False
        return
    if kind == "minLength" and value == 1:
        yield path, "S103", f"{where}: must not be empty", False
        return
    if kind == "minItems":
        yield path, "S103", f"{where}: needs at least {value} item(s)", False
        return
    if kind in ("maxItems", "maxProperties"):
        unit = "item(s)" if kind == "maxItems" else "entries"
        yield path, "S103", (f"{where}: has {len(instance)} {unit}; riskkit takes at most "
                             f"{value}"), False
        return
    if kind == "uniqueItems":
        yield path, "S103", f"{where}: items must be unique", False
        return
    if kind == "propertyNames":
        for sub in error.context or []:
            yield path + (sub.instance,), "S103", \
                f"{where}: {sub.instance!r} is not a valid name ({sub.message})", True
        return
    if kind == "oneOf" and _one_of_required(value) == {"grid", "thresholds"}:
        yield path, "S104", "give either 'grid' or 'thresholds', not both and not neither", False
        return
    yield path, "S103", f"{where}: {error.message}", False

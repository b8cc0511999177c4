"""Input patterns that cannot backtrack catastrophically.

Python's ``re`` backtracks: ``^([a-z0-9]+-?)+$`` takes minutes on a 30-character value
that almost matches. Rather than a second regex engine, riskkit refuses, at validate time
and before any value is matched, the two shapes that make backtracking exponential:

- a varying repeat inside a repeat, when what it repeats can also start the next round
  (``(a+)+``, ``([a-z0-9]+-?)*``, ``(\\w{1,9}){2,}``; ``(-[a-z0-9]+)*`` is fine);
- inside a repeat, alternatives that can start with the same character (``(a|ab)+``,
  ``(\\w|\\d)*``).

What is left matches a short value in linear or small polynomial time (``\\w+-\\w+``).
"""

from __future__ import annotations

import functools
from typing import Any

try:  # Python 3.11 renamed the modules of re's parser
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _c
    import sre_parse as _p

_REPEATS = tuple(op for op in (_c.MAX_REPEAT, _c.MIN_REPEAT,
                               getattr(_c, "POSSESSIVE_REPEAT", None)) if op is not None)
_ANY = None  # a first character that could be anything


def parse(pattern: str) -> Any:
    """The parsed pattern (raises ``re.error``)."""
    return _p.parse(pattern)


@functools.lru_cache(maxsize=1024)
def danger(pattern: str) -> str | None:
    """Why ``pattern`` could backtrack catastrophically, or None when it cannot (worked
    out once per pattern: runbooks share their patterns, ``^[0-9]+$`` seven times in the
    demo's)."""
    try:
        return _walk(parse(pattern), _OUT)
    except Exception:  # a bad pattern: the schema reports it
        return None


_OUT = frozenset({"not in a repeat"})


def _walk(items: Any, enclosing: frozenset[str] | set[str] | None) -> str | None:
    """``enclosing``: :data:`_OUT`, or the characters the repeated body around ``items``
    can start with (None: almost any). A varying repeat inside a repeat is ambiguous when
    what it repeats can also start the next round (``([a-z]+-?)+``), not otherwise
    (``(-[a-z]+)*``)."""
    inside = enclosing is not _OUT
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            if inside and high != low and _meets(_first(body), enclosing):
                return "it repeats a repeat (like (a+)+), which can take exponential time"
            repeats = high is _c.MAXREPEAT or high > 1
            inner = enclosing
            if repeats:
                first = _first(body)
                inner = first if not inside else (
                    None if first is None or enclosing is None else first | enclosing)
            why = _walk(body, inner)
            if why:
                return why
        elif op is _c.SUBPATTERN:
            why = _walk(av[-1], enclosing)
            if why:
                return why
        elif op is _c.BRANCH:
            if inside and _overlap([_first(alt) for alt in av[1]]):
                return ("it repeats alternatives that can start alike (like (a|ab)+), which "
                        "can take exponential time")
            for alt in av[1]:
                why = _walk(alt, enclosing)
                if why:
                    return why
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            why = _walk(av[1], enclosing)
            if why:
                return why
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            why = _walk(av, enclosing)
            if why:
                return why
    return None


def _meets(a: set[str] | None, b: frozenset[str] | set[str] | None) -> bool:
    return a is None or b is None or bool(a & b)


def _first(items: Any) -> set[str] | None:
    """The characters ``items`` can start with; None when it could be almost any."""
    for op, av in items:
        if op is _c.LITERAL:
            return {chr(av)}
        if op is _c.IN:
            return _chars(av)
        if op is _c.SUBPATTERN:
            return _first(av[-1])
        if op in _REPEATS and av[0] >= 1:
            return _first(av[2])
        if op is _c.AT:
            continue
        return _ANY
    return set()  # empty: starts like whatever follows


_CATEGORIES = {
    _c.CATEGORY_DIGIT: set("0123456789"),
    _c.CATEGORY_WORD: set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
    _c.CATEGORY_SPACE: set(" \t\n\r\f\v"),
}


def _chars(av: Any) -> set[str] | None:
    """The characters of a class ``[...]``; None for a negated or very wide one."""
    out: set[str] = set()
    for op, value in av:
        if op is _c.LITERAL:
            out.add(chr(value))
        elif op is _c.RANGE and value[1] - value[0] < 256:
            out |= {chr(x) for x in range(value[0], value[1] + 1)}
        elif op is _c.CATEGORY and value in _CATEGORIES:
            out |= _CATEGORIES[value]
        else:
            return None
    return out


def _overlap(firsts: list[set[str] | None]) -> bool:
    seen: set[str] = set()
    for first in firsts:
        if first is None or not first:
            return True
        if seen & first:
            return True
        seen |= first
    return False

"""Trial rendering: ``validate`` renders every runbook as ``runbook render`` and ``drill
checklist`` would, so that a plan that validated always renders at incident time.

What is tried, per runbook (bounded, so validate stays fast):

- the plan of each scenario, and of none;
- the inputs at their defaults, then each choice of each input with choices, one at a time,
  the others at their defaults (not every combination: a runbook with five inputs of four
  choices is tried 21 times, not 1,024), then each ``example:`` of an input that has a
  default; at most :data:`MAX_TRIALS` sets of inputs;
- a free input with no default takes its ``example:``, else a value made up to match its
  ``pattern``, else a neutral sample;
- the drill checklist with no inputs given (they print as ``{name}`` for the room).
"""

from __future__ import annotations

import re
from typing import Any

from riskkit.problems import InputError, Problem, ProblemsFound
from riskkit.runbook.graph import PlanTooLarge
from riskkit.runbook.model import Runbook, Step


MAX_TRIALS = 64  # sets of inputs per runbook
SAMPLES = ("sample", "example", "a", "1", "0", "x1", "eu-west-1", "db-1", "A", "sample-1",
           "2026-01-01", "1.0", "a@example.com", "https://example.com")


def input_sets(runbook: Runbook) -> list[dict[str, str]] | None:
    """The ``--var`` values each trial gives, defaults first; None when a required input
    has no value riskkit can make up (an ``example:`` would give it one)."""
    base: dict[str, str] = {}
    for spec in runbook.inputs:
        if spec.default is not None:
            continue  # the default is the trial's value, as at render time
        if spec.choices:
            base[spec.name] = str(spec.choices[0])
        elif spec.example is not None:
            base[spec.name] = str(spec.example)
        elif spec.required:
            value = sample_for(spec.pattern)
            if value is None:
                return None
            base[spec.name] = value
    sets = [base]
    for spec in runbook.inputs:
        tries = [str(c) for c in spec.choices]
        if spec.example is not None and spec.default is not None:
            tries.append(str(spec.example))
        for value in tries:
            candidate = {**base, spec.name: value}
            if candidate not in sets:
                sets.append(candidate)
    return sets[:MAX_TRIALS]


def sample_for(pattern: str | None) -> str | None:
    """A value that matches ``pattern`` in full (a neutral sample when there is none)."""
    if not pattern:
        return "sample"
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    for value in SAMPLES:
        if compiled.fullmatch(value):
            return value
    try:
        made = _make(_parse(pattern))
    except Exception:  # a construct the maker does not know
        return None
    return made if compiled.fullmatch(made) else None


def _parse(pattern: str) -> Any:
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # Python < 3.11
        import sre_parse as parser
    return parser.parse(pattern)


def _make(items: Any) -> str:
    """The shortest-ish string the parsed pattern ``items`` matches."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
    except ImportError:  # Python < 3.11
        import sre_constants as c
    out = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(av) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_in(av, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, body = av
            out.append(_make(body) * max(low, 0))
        elif op is c.SUBPATTERN:
            out.append(_make(av[-1]))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.append(_make(av))
        elif op is c.BRANCH:
            out.append(_make(av[1][0]))
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        else:
            raise ValueError(f"cannot make a sample for {op}")
    return "".join(out)


def _in(av: Any, c: Any) -> str:
    if av and av[0][0] is c.NEGATE:
        excluded = str(av)
        return next(ch for ch in "a0-_xZ" if ch not in excluded)
    op, value = av[0]
    if op is c.LITERAL:
        return chr(value)
    if op is c.RANGE:
        return chr(value[0])
    if op is c.CATEGORY:
        return {c.CATEGORY_DIGIT: "0", c.CATEGORY_SPACE: " "}.get(value, "a")
    raise ValueError("a class the maker does not know")


def _touched(runbook: Runbook, given: dict[str, str], base: dict[str, str]
             ) -> tuple[Step, ...]:
    """The steps whose text may read an input ``given`` changes from ``base`` (the others
    rendered the same with ``base``): a choice costs its own steps."""
    from riskkit.runbook.model import TEXT_FIELDS

    if given is base or any(isinstance(i.default, str) and "{" in i.default
                            for i in runbook.inputs):
        return runbook.steps  # a default worked out from another input may change with it
    changed = [k for k, v in given.items() if base.get(k) != v]
    return tuple(s for s in runbook.steps
                 if any(name in getattr(s, f) for f in TEXT_FIELDS for name in changed))


def trial(runbook: Runbook) -> list[Problem]:
    """What ``runbook render`` (every scenario, the input sets of :func:`input_sets`) and
    ``drill checklist`` would refuse, located at the field's line; each problem once.

    A plan of any scenario prints the runbook's own texts and those of the steps it
    keeps, as written: so the texts are rendered once, with every step, and each scenario
    is asked only whether it has a plan. No plan is built."""
    from riskkit.runbook.model import scenario_nodes
    from riskkit.runbook.render import check_texts, resolve_inputs

    sets = input_sets(runbook)
    if sets is None:
        return []
    found: dict[tuple, Problem] = {}

    def keep(problems: list[Problem], tried: str) -> None:
        for p in problems:
            key = (p.path, p.line, p.col, p.code)
            if key not in found:
                found[key] = Problem(p.path, p.line, p.col, p.code,
                                     f"{p.message} (trial render {tried})", p.severity)

    for scenario in runbook.scenarios:
        try:
            scenario_nodes(runbook, scenario)
        except PlanTooLarge as exc:  # a size limit: refused here, not at incident time
            line, col = runbook.at("scenarios", scenario)
            found[(runbook.file, line, col, "B017")] = Problem(
                runbook.file, line, col, "B017", f"{runbook.id}: {exc}")
        except InputError:
            pass  # a scenario with no steps: W008 says so
    for given in sets:
        tried = "with " + (", ".join(f"{k}={v}" for k, v in given.items())
                           or "the defaults")
        try:
            values = resolve_inputs(runbook, given)
        except InputError as exc:
            line, col = runbook.at("inputs") if runbook.inputs else runbook.at("id")
            detail = str(exc).split(":\n", 1)[-1].strip().replace("\n  ", "; ")
            keep([Problem(runbook.file, line, col, "T005",
                          f"{runbook.id}: {detail}")], tried)
            continue
        try:
            check_texts(runbook, _touched(runbook, given, sets[0]), values)
        except ProblemsFound as exc:
            keep(exc.problems, tried)
    try:
        values = resolve_inputs(runbook, {}, partial=True)
        check_texts(runbook, runbook.steps, values, placeholders=True)
    except InputError:
        pass  # a bad default: reported above
    except ProblemsFound as exc:
        keep(exc.problems, "of the drill checklist, no inputs given")
    return sorted(found.values())

"""Runbooks: loaded from YAML, checked as graphs, linted the way an SRE would review them."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from riskkit.runbook import graph
from riskkit.files import schemacheck
from riskkit.problems import InputError, Names, Problem, did_you_mean
from riskkit.files.yamlload import Doc

TEXT_FIELDS = ("title", "do", "run", "verify", "rollback")


@dataclass(frozen=True)
class Input:
    """A value a runbook asks for at incident time (``--var name=value``)."""

    name: str
    description: str = ""
    required: bool = False
    default: object = None
    choices: tuple = ()
    pattern: str | None = None
    example: object = None  # a value validate's trial rendering may use


@dataclass(frozen=True)
class Step:
    """One response step of a runbook: who does it, after which steps, in how long."""

    id: str
    title: str
    role: str | None = None
    needs: tuple[str, ...] = ()
    minutes: float | None = None
    do: str = ""
    run: str = ""
    verify: str = ""
    rollback: str = ""
    when: tuple[str, ...] = ()
    approval: str | None = None
    irreversible: bool = False
    mitigates: bool = False  # the impact is over when this step is done
    doc: Doc | None = field(default=None, compare=False, repr=False)
    index: int = field(default=0, compare=False, repr=False)

    @property
    def line(self) -> int:
        """The line of the step in its file (looked up on demand)."""
        return self.doc.at(("steps", self.index))[0] if self.doc else 1

    def node(self) -> graph.Node:
        return graph.Node(self.id, self.needs, self.minutes, self.when, self.mitigates)


@dataclass(frozen=True)
class Runbook:
    """A runbook: its inputs and its graph of steps, with scenarios and roles."""

    id: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    severity: str = ""
    owner: str = ""
    risks: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()  # alert names, as the Prometheus rule files spell them
    inputs: tuple[Input, ...] = ()
    scenarios: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    comms: dict = field(default_factory=dict)
    exit_criteria: tuple[str, ...] = ()
    file: str = ""
    doc: Doc | None = field(default=None, compare=False, repr=False)

    @property
    def line(self) -> int:
        return self.at()[0]

    def step(self, step_id: str) -> Step:
        """The step of that id (the first, should two share it); KeyError if none."""
        return self._steps_by_id[step_id]

    @functools.cached_property
    def _steps_by_id(self) -> dict[str, Step]:
        by_id: dict[str, Step] = {}
        for step in self.steps:
            by_id.setdefault(step.id, step)
        return by_id

    def nodes(self) -> list[graph.Node]:
        return [s.node() for s in self.steps]

    @functools.cached_property
    def shape(self) -> graph.Plan:
        """Stages, critical path and times of the whole runbook (every scenario's steps)."""
        return graph.plan(self.nodes())

    @property
    def eta_minutes(self) -> float:
        """The expected time to mitigate, the figure held against the RTO: the critical
        path to the first step marked ``mitigates`` that can finish (the whole runbook
        when no step is marked)."""
        return self.shape.eta_minutes

    @property
    def finish_minutes(self) -> float:
        """The time to finish every step, follow-up included."""
        return self.shape.finish_minutes

    def drilled_eta_minutes(self, measured: Mapping[str, float]) -> float | None:
        """The time to mitigate as drilled: the same path with measured minutes where
        drills timed a step and estimates elsewhere; None when nothing was measured."""
        if not measured:
            return None
        return graph.plan(graph.timed(self.nodes(), measured)).eta_minutes

    def at(self, *path: Any) -> tuple[int, int]:
        return self.doc.at(path) if self.doc else (1, 1)


def check_scenario(runbook: Runbook, scenario: str | None) -> None:
    """Refuse a scenario the runbook does not name; None (every step) is always one."""
    if scenario is None or scenario in runbook.scenarios:
        return
    known = ", ".join(runbook.scenarios) or "none"
    hint = did_you_mean(scenario, runbook.scenarios)
    raise InputError(f"{runbook.id}: unknown scenario '{scenario}'{hint}; scenarios: {known}")


def scenario_nodes(runbook: Runbook, scenario: str | None = None) -> list[graph.Node]:
    """The steps of ``runbook`` left for ``scenario``, with the needs they inherit from
    dropped steps: every way a plan can be refused (an unknown scenario, one no step
    applies to, one whose pruned graph would be too large or cyclic), as ``view`` and a
    trial render ask it."""
    check_scenario(runbook, scenario)
    nodes = runbook.nodes()
    if scenario:
        nodes = graph.prune(nodes, scenario)
        if not nodes:
            raise InputError(f"{runbook.id}: no step applies to scenario '{scenario}', so "
                             "there is no plan to give")
        cycles = graph.cycles(nodes)
        if cycles:  # cannot happen for a valid runbook; checked again all the same
            raise InputError(f"{runbook.id}: pruned graph has a cycle: {cycles[0]}")
    return nodes


def is_commander(role_id: str | None, roles: dict) -> bool:
    """The incident commander coordinates; riskkit knows it as role ``ic`` or by its title."""
    if role_id is None:
        return False
    title = getattr(roles.get(role_id), "title", "") or ""
    return role_id == "ic" or title.lower().startswith("incident commander")




def load_runbook(doc: Doc, roles: dict) -> tuple[Runbook | None, list[Problem]]:
    """Check a runbook file (schema, graph, references, inputs) and build it when sound.

    ``roles`` are the workspace's roles; a runbook may add its own. Lint warnings come back
    with severity ``warning`` beside a built runbook.
    """
    data = doc.data
    subject = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) \
        else None
    problems = schemacheck.check("runbook", doc, (), subject)
    if problems:
        return None, problems
    rb = data["id"]
    all_roles = {**roles, **{k: v for k, v in data.get("roles", {}).items()}}
    scenarios = data.get("scenarios", {})
    steps_data = data["steps"]

    def problem(path: tuple[Any, ...], code: str, message: str, key: bool = False) -> None:
        problems.append(doc.problem(path, code, f"{rb}: {message}", key=key))

    ids: dict[str, int] = {}
    for i, step in enumerate(steps_data):
        if step["id"] in ids:
            first = doc.at(("steps", ids[step["id"]], "id"))
            problem(("steps", i, "id"), "B001",
                    f"duplicate step id '{step['id']}' (first at line {first[0]})")
        else:
            ids[step["id"]] = i
    # Prepared once: a runbook of thousands of steps may have a typo in every one.
    step_names, scenario_names, role_names = Names(ids), Names(scenarios), Names(all_roles)
    for i, step in enumerate(steps_data):
        for j, need in enumerate(step.get("needs", [])):
            if need not in ids:
                problem(("steps", i, "needs", j), "B002",
                        f"step '{step['id']}' needs unknown step '{need}'"
                        f"{did_you_mean(need, step_names)}")
            elif need == step["id"]:
                problem(("steps", i, "needs", j), "B003",
                        f"step '{step['id']}' needs itself")
        for j, scenario in enumerate(step.get("when", [])):
            if scenario not in scenarios:
                known = ", ".join(scenarios) or "none are declared"
                problem(("steps", i, "when", j), "B004",
                        f"step '{step['id']}': unknown scenario '{scenario}'"
                        f"{did_you_mean(scenario, scenario_names)} (scenarios: {known})")
        for key in ("role", "approval"):
            if key in step and step[key] not in all_roles:
                problem(("steps", i, key), "B005",
                        f"step '{step['id']}': {key} '{step[key]}' is not a defined role"
                        f"{did_you_mean(step[key], role_names)} "
                        "(define it under roles: in riskkit.yaml)")
    inputs = inputs_as_written(doc, ("inputs",), data.get("inputs", {}))
    problems += _check_inputs(doc, rb, inputs)
    problems += _check_templates(doc, rb, data)
    steps = tuple(
        Step(id=s["id"], title=s["title"], role=s.get("role"), needs=tuple(s.get("needs", [])),
             minutes=s.get("minutes"), do=s.get("do", ""), run=s.get("run", ""),
             verify=s.get("verify", ""), rollback=s.get("rollback", ""),
             when=tuple(s.get("when", [])), approval=s.get("approval"),
             irreversible=bool(s.get("irreversible", False)),
             mitigates=bool(s.get("mitigates", False)), doc=doc, index=i)
        for i, s in enumerate(steps_data))
    unique = list({s.id: s for s in reversed(steps)}.values())[::-1]
    for cycle in graph.cycles([s.node() for s in unique]):
        index = ids[cycle[0]]
        problem(("steps", index, "needs"), "B006",
                "dependency cycle: " + " -> ".join(cycle + [cycle[0]]))
    if any(p.is_error for p in problems):
        return None, problems
    runbook = Runbook(
        id=rb, title=data["title"], steps=steps, summary=data.get("summary", ""),
        severity=data.get("severity", ""), owner=data.get("owner", ""),
        risks=tuple(data.get("risks", [])), triggers=tuple(data.get("triggers", [])),
        alerts=tuple(data.get("alerts", [])),
        inputs=tuple(Input(name, spec.get("description", ""), bool(spec.get("required", False)),
                           spec.get("default"), tuple(spec.get("choices", ())),
                           spec.get("pattern"), spec.get("example"))
                     for name, spec in inputs.items()),
        scenarios=dict(scenarios), roles=dict(data.get("roles", {})),
        comms=dict(data.get("comms", {})), exit_criteria=tuple(data.get("exit_criteria", [])),
        file=doc.path, doc=doc,
    )
    problems += lint(runbook, all_roles)
    return runbook, problems


# Names a template cannot read from its inputs: literals, and the names Jinja binds
# itself (``self``; ``varargs``, ``kwargs`` and ``caller`` in macros). Jinja's globals
# (``range``, ``namespace``, ``loop``…) may be input names: the input shadows them.
RESERVED = {"self", "true", "false", "none", "True", "False", "None", "varargs", "kwargs",
            "caller"}


def as_written(doc: Doc, path: tuple[Any, ...], value: Any) -> Any:
    """An input value as the text written in the file: ``010`` is '010', ``1.10`` is
    '1.10', ``true`` is 'true'; a string, a null, a list or a mapping is left as it is."""
    if value is None or isinstance(value, (str, list, dict)):
        return value
    text = doc.text(path)
    return value if text is None else text


def inputs_as_written(doc: Doc, base: tuple, inputs: dict) -> dict:
    """The input specs at ``base`` with each ``default`` and ``choices`` item as written."""
    out = {}
    for name, spec in inputs.items():
        spec = dict(spec)
        if "default" in spec:
            spec["default"] = as_written(doc, base + (name, "default"), spec["default"])
        if "example" in spec:
            spec["example"] = as_written(doc, base + (name, "example"), spec["example"])
        if isinstance(spec.get("choices"), list):
            spec["choices"] = [as_written(doc, base + (name, "choices", i), choice)
                               for i, choice in enumerate(spec["choices"])]
        out[name] = spec
    return out


def _check_inputs(doc: Doc, rb: str, inputs: dict) -> list[Problem]:
    problems = []
    for name in inputs:
        if name in RESERVED:
            problems.append(doc.problem(("inputs", name), "B012",
                                        f"{rb}: input name '{name}' is reserved by the template "
                                        "language; choose another", key=True))
    from riskkit.runbook.pattern import danger

    risky = set()
    for name, spec in inputs.items():
        why = danger(spec["pattern"]) if isinstance(spec.get("pattern"), str) else None
        if why:
            risky.add(name)
            problems.append(doc.problem(("inputs", name, "pattern"), "B016",
                                        f"{rb}: input '{name}': pattern {spec['pattern']} is "
                                        f"refused: {why} on a value that almost matches"))
    for name, spec in inputs.items():
        default = spec.get("default")
        if default is None or name in risky:
            continue
        if isinstance(default, str) and "{{" in default:
            continue  # a template over other inputs: checked when rendered
        if "choices" in spec and default not in spec["choices"]:
            problems.append(doc.problem(("inputs", name, "default"), "B007",
                                        f"{rb}: input '{name}': default {default!r} is not one "
                                        f"of its choices ({', '.join(map(str, spec['choices']))})"))
        if "pattern" in spec:
            try:
                ok = re.fullmatch(spec["pattern"], str(default)) is not None
            except re.error:
                ok = True  # the schema reports a bad pattern
            if not ok:
                problems.append(doc.problem(("inputs", name, "default"), "B007",
                                            f"{rb}: input '{name}': default {default!r} does not "
                                            f"match its pattern {spec['pattern']}"))
    return problems


def _check_templates(doc: Doc, rb: str, data: dict) -> list[Problem]:
    """Text fields must parse as Jinja and use only declared inputs: a plan must never
    meet an unknown name in the middle of an incident."""
    from riskkit.runbook.text import template_variables

    declared = set(data.get("inputs", {}))
    fields: list[tuple[tuple[Any, ...], Any]] = [(("title",), data["title"])]
    fields += [(("inputs", name, "default"), spec["default"])
               for name, spec in data.get("inputs", {}).items()
               if isinstance(spec.get("default"), str)]
    if "summary" in data:
        fields.append((("summary",), data["summary"]))
    for key in ("triggers", "exit_criteria"):
        fields += [((key, i), text) for i, text in enumerate(data.get(key, []))]
    for key in ("channel", "notes"):
        if key in data.get("comms", {}):
            fields.append((("comms", key), data["comms"][key]))
    for i, step in enumerate(data["steps"]):
        fields += [(("steps", i, key), step[key]) for key in TEXT_FIELDS if key in step]
    inputs = data.get("inputs", {})
    # An optional input with no default has no value unless given: text using it would
    # print a blank, which a plan must never do.
    may_be_empty = {n for n, spec in inputs.items()
                    if not spec.get("required") and spec.get("default") is None}
    problems = []
    uses: dict[str, set[str]] = {}  # input -> the inputs its default uses
    input_names = Names(declared)
    for path, text in fields:
        if "{" not in text:
            continue
        names, unusable = template_variables(text, declared)
        if unusable:
            problems.append(_at_text_line(doc, path, unusable.line, unusable.code,
                                          f"{rb}: {unusable.message}"))
        for name in sorted(names - declared):
            hint = did_you_mean(name, input_names)
            problems.append(doc.problem(path, "B010", f"{rb}: uses '{{{{ {name} }}}}' but "
                                        f"declares no input '{name}'{hint}"))
        for name in sorted(names & may_be_empty):
            problems.append(doc.problem(path, "B014", f"{rb}: uses optional input '{name}', "
                                        "which has no default: a plan without it would show a "
                                        "blank (make it required or give it a default)"))
        if path[0] == "inputs":
            uses[path[1]] = names & declared
    for cycle in _default_cycles(uses):
        problems.append(doc.problem(("inputs", cycle[0], "default"), "B015",
                                    f"{rb}: input defaults depend on each other in a circle: "
                                    + " -> ".join(cycle + [cycle[0]])))
    return problems


def _default_cycles(uses: dict[str, set[str]]) -> list[list[str]]:
    """Circles among input defaults (a -> b -> a): one per tangled group of inputs, from
    its first input by name (the step graph's search, so no number of inputs can make it
    take long)."""
    names = sorted(set(uses).union(*uses.values()))
    users: dict[str, list[str]] = {name: [] for name in names}
    for name in names:  # an edge from each input to the inputs its default uses
        for used in sorted(uses.get(name, ())):
            users[used].append(name)
    return graph.cycles([graph.Node(name, tuple(users[name])) for name in names])


def _at_text_line(doc: Doc, path: tuple[Any, ...], line: int | None, code: str,
                  message: str) -> Problem:
    """A problem on the file line of line ``line`` of a text field: a block scalar
    (``|`` or ``>``) starts on the line after its indicator, a plain one on its own."""
    problem = doc.problem(path, code, message)
    if not line or line <= 1 and not doc.is_block(path):
        return problem
    offset = line if doc.is_block(path) else line - 1
    return Problem(problem.path, problem.line + offset, 1, code, message, problem.severity)


def roles_used(runbook: Runbook) -> set[str]:
    """The roles the runbook's steps name, as the role that does one or the role that
    approves it: each must be defined (``load_runbook``), in the workspace or the runbook."""
    return {r for step in runbook.steps for r in (step.role, step.approval) if r}


def lint(runbook: Runbook, roles: dict) -> list[Problem]:
    """Warnings an experienced reviewer would raise; they fail only under ``--strict``."""
    out = []
    rb = runbook.id

    def warn(path: tuple[Any, ...], code: str, message: str) -> None:
        line, col = runbook.at(*path)
        out.append(Problem(runbook.file, line, col, code, f"{rb}: {message}"))

    if not runbook.triggers and not runbook.alerts:  # alerts identify it too
        warn(("id",), "W004", "no triggers: say which alerts or symptoms identify this emergency")
    for name in runbook.scenarios:
        if not any(not step.when or name in step.when for step in runbook.steps):
            warn(("scenarios", name), "W008", f"scenario '{name}' has no steps: its plan would "
                 "be empty")
    for i, step in enumerate(runbook.steps):
        where = ("steps", i)
        if step.minutes is None:
            warn(where, "W007", f"step '{step.id}' has no 'minutes' estimate (counted as 0)")
        if not step.role:
            warn(where, "W003", f"step '{step.id}' has no role: who does it?")
        if not step.verify and (step.run or step.irreversible):
            warn(where, "W001", f"step '{step.id}' changes something but has no 'verify'")
        if step.irreversible and not step.approval:
            warn(where, "W002", f"step '{step.id}' is irreversible but needs no approval")
        if is_commander(step.role, roles) and step.run:
            warn(where, "W005", f"step '{step.id}' gives the incident commander hands-on work "
                 "(the commander coordinates; give the command to another role)")
    return out

"""The view of a runbook: what ``show``, ``graph`` and the templates consume.

The view is frozen dataclasses with named fields; templates read them as ``plan.eta_minutes``
and ``s.title``. ``to_dict()`` gives the JSON of ``runbook show --format json``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit.runbook import graph
from riskkit.runbook.measure import as_measured, measured_label
from riskkit.register import rules
from riskkit.runbook.model import Runbook, Step, scenario_nodes

if TYPE_CHECKING:
    from riskkit.register.links import MissingRisk
    from riskkit.register.risk import Control, Risk


@dataclass(frozen=True)
class InputView:
    """One input the runbook takes, as declared."""

    name: str
    description: str
    required: bool
    default: object
    choices: tuple[Any, ...]
    pattern: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "required": self.required,
                "default": self.default, "choices": list(self.choices),
                "pattern": self.pattern}


@dataclass(frozen=True)
class CommsView:
    """How the incident is communicated; every field may be empty."""

    channel: str | None = None
    cadence_minutes: int | None = None
    audiences: tuple[str, ...] = ()
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "cadence_minutes": self.cadence_minutes,
                "audiences": list(self.audiences), "notes": self.notes}


@dataclass(frozen=True)
class StepView:
    """One step in plan order, with its stage and whether it is on the critical path."""

    id: str
    title: str
    role: str | None
    needs: tuple[str, ...]
    minutes: float | None
    measured_minutes: float | None
    do: str
    run: str
    verify: str
    rollback: str
    when: tuple[str, ...]
    approval: str | None
    irreversible: bool
    mitigates: bool
    stage: int
    critical: bool
    # The step's line, or the step it is read from when asked: finding lines parses the
    # file again, and only the JSON of ``show`` prints them.
    where: int | Step
    incident_minutes: float | None = None  # the median of the last closed incidents

    @property
    def line(self) -> int:
        """The line of the step in its file."""
        return self.where if isinstance(self.where, int) else self.where.line

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "role": self.role, "needs": list(self.needs),
                "minutes": self.minutes, "measured_minutes": self.measured_minutes,
                "incident_minutes": self.incident_minutes,
                "do": self.do, "run": self.run, "verify": self.verify,
                "rollback": self.rollback, "when": list(self.when),
                "approval": self.approval, "irreversible": self.irreversible,
                "mitigates": self.mitigates, "stage": self.stage, "critical": self.critical, "line": self.line}


@dataclass(frozen=True)
class RoleView:
    """A role the plan uses: how to reach it, the steps it does and the ones it approves."""

    id: str
    title: str
    contact: str
    pager: str
    phone: str
    steps: int
    minutes: float
    approves: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "contact": self.contact,
                "pager": self.pager, "phone": self.phone, "steps": self.steps,
                "minutes": self.minutes, "approves": self.approves}


@dataclass(frozen=True)
class RoleLoad:
    """What one role does in one stage."""

    steps: int
    minutes: float

    def to_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "minutes": self.minutes}


@dataclass(frozen=True)
class StageLoad:
    """The work of each role in one stage (``(none)`` for steps without a role)."""

    stage: int
    roles: Mapping[str, RoleLoad]

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "roles": {k: v.to_dict() for k, v in self.roles.items()}}


@dataclass(frozen=True)
class ResidualView:
    """A linked risk's residual rating, with its level's name and colour."""

    likelihood: int
    impact: int
    score: int
    level: str
    level_name: str
    color: str

    def to_dict(self) -> dict[str, Any]:
        return {"likelihood": self.likelihood, "impact": self.impact, "score": self.score,
                "level": self.level, "level_name": self.level_name, "color": self.color}


@dataclass(frozen=True)
class RiskView:
    """A risk the runbook answers: its rating, RTO and controls."""

    id: str
    title: str
    owner: str
    status: str
    level: str
    level_name: str
    color: str
    score: int
    residual: ResidualView | None
    rto_minutes: int | None
    controls: tuple[Control, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "owner": self.owner, "status": self.status,
                "level": self.level, "level_name": self.level_name, "color": self.color,
                "score": self.score,
                "residual": self.residual.to_dict() if self.residual else None,
                "rto_minutes": self.rto_minutes,
                "controls": [c.to_dict() for c in self.controls]}


@dataclass(frozen=True)
class PlanView:
    """Stages, critical path, roles, risks and steps of a runbook (perhaps one scenario's)."""

    id: str
    title: str
    summary: str
    severity: str
    owner: str
    file: str
    scenario: str | None
    scenarios: Mapping[str, str]
    triggers: tuple[str, ...]
    inputs: tuple[InputView, ...]
    comms: CommsView
    exit_criteria: tuple[str, ...]
    stages: tuple[tuple[str, ...], ...]
    critical_path: tuple[str, ...]
    eta_minutes: float
    mitigated_by: str | None
    finish_path: tuple[str, ...]
    finish_minutes: float
    drilled_critical_path: tuple[str, ...] | None
    drilled_eta_minutes: float | None
    entry: tuple[str, ...]
    exit: tuple[str, ...]
    unestimated: tuple[str, ...]
    roles: tuple[RoleView, ...]
    role_load: tuple[StageLoad, ...]
    risks: tuple[RiskView, ...]
    rto_minutes: int | None
    within_rto: bool | None
    drilled_within_rto: bool | None
    steps: tuple[StepView, ...]
    # Risks the plan cannot show (declared but not found, or in a file with errors).
    missing: tuple[MissingRisk, ...] = ()
    alerts: tuple[str, ...] = ()  # the alerts that start it, as the rule files name them
    # Where the measured time to mitigate comes from: "drills", "incidents", "drills and
    # incidents" ("" when nothing was measured); see riskkit.runbook.measure.
    measured_in: str = ""

    @property
    def measured_label(self) -> str:
        """How the plan names its measured time to mitigate: ``as drilled`` while only
        drills measured it, else ``as measured in incidents`` or ``… drills and
        incidents``."""
        return measured_label(self.measured_in)

    def stage_steps(self, number: int) -> list[StepView]:
        """The steps of stage ``number`` (1-based), in plan order."""
        return list(self._by_stage.get(number, ()))

    @functools.cached_property
    def _by_stage(self) -> dict[int, list[StepView]]:
        # Worked out once: a template asks for every stage, and a runbook may have
        # thousands of stages of thousands of steps.
        by_stage: dict[int, list[StepView]] = {}
        for step in self.steps:
            by_stage.setdefault(step.stage, []).append(step)
        return by_stage

    def to_dict(self) -> dict[str, Any]:
        """The view as JSON-ready data (``runbook show --format json``)."""
        drilled = self.drilled_critical_path
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "severity": self.severity,
            "owner": self.owner,
            "file": self.file,
            "scenario": self.scenario,
            "scenarios": dict(self.scenarios),
            "triggers": list(self.triggers),
            "inputs": [i.to_dict() for i in self.inputs],
            "comms": self.comms.to_dict(),
            "exit_criteria": list(self.exit_criteria),
            "stages": [list(stage) for stage in self.stages],
            "critical_path": list(self.critical_path),
            "eta_minutes": self.eta_minutes,
            "mitigated_by": self.mitigated_by,
            "finish_path": list(self.finish_path),
            "finish_minutes": self.finish_minutes,
            "drilled_critical_path": list(drilled) if drilled is not None else None,
            "drilled_eta_minutes": self.drilled_eta_minutes,
            "entry": list(self.entry),
            "exit": list(self.exit),
            "unestimated": list(self.unestimated),
            "roles": [r.to_dict() for r in self.roles],
            "role_load": [load.to_dict() for load in self.role_load],
            "risks": [r.to_dict() for r in self.risks],
            "rto_minutes": self.rto_minutes,
            "within_rto": self.within_rto,
            "drilled_within_rto": self.drilled_within_rto,
            "measured_in": self.measured_in or None,
            "steps": [s.to_dict() for s in self.steps],
            "missing": [m.to_dict() for m in self.missing],
            "alerts": list(self.alerts),
        }


def stage_kind(steps: list[StepView]) -> str:
    """How the steps of one stage relate: "single", "parallel" (all can run at once),
    "alternatives" (each is for another scenario, so only one runs) or "mixed".

    Without a scenario the branches of a runbook share stages; calling them parallel work
    would have someone run the partition fix and the node-lost fix at once.
    """
    if len(steps) < 2:
        return "single"
    # Two steps run together when either is for every scenario or they share one. Steps
    # are grouped by their scenarios, so that the answer costs no more than the steps
    # (and the distinct groups, compared by pairs only while no common scenario decides).
    groups: dict[frozenset[str], int] = {}
    for step in steps:
        key = frozenset(step.when)
        groups[key] = groups.get(key, 0) + 1
    every = groups.pop(frozenset(), 0)
    seen: set[str] = set()
    shared = False  # two conditional steps share a scenario
    for key, count in groups.items():
        shared = shared or count > 1 or not seen.isdisjoint(key)
        seen |= key
    together = every > 0 or shared
    if not groups:
        return "parallel"
    apart = _apart(list(groups))
    if apart is None:  # too many distinct groups to compare by pairs
        return "mixed" if together else "alternatives"
    if not apart:
        return "parallel"
    return "mixed" if together else "alternatives"


def _apart(groups: list[frozenset[str]], budget: int = 1_000_000) -> bool | None:
    """Whether two of the scenario sets ``groups`` (distinct, none empty) share no
    scenario; None when that would take more than ``budget`` comparisons."""
    if len(groups) < 2 or frozenset.intersection(*groups):
        return False  # one set, or a scenario common to all: every pair shares it
    if len(groups) * (len(groups) - 1) // 2 > budget:
        return None
    return any(a.isdisjoint(b) for i, a in enumerate(groups) for b in groups[i + 1:])


def view(runbook: Runbook, roles: Mapping[str, Any], risks: Iterable[Risk] = (),
         scenario: str | None = None, measured: Mapping[str, float] | None = None,
         missing: Iterable[MissingRisk] = ()) -> PlanView:
    """Stages, critical path, roles and steps of ``runbook`` (pruned for ``scenario``).

    ``roles`` are the workspace's Role objects; ``risks`` the linked Risk objects;
    ``measured`` maps step id -> median minutes measured in drills; ``missing`` the
    risks the plan cannot show (``riskkit.register.links.missing_risks``).
    """
    nodes = scenario_nodes(runbook, scenario)
    split = as_measured(measured)
    measured = split.combined
    shape = graph.plan(nodes)
    # Drilled minutes where measured, estimates elsewhere: the same path to the same
    # mitigation point (Runbook.drilled_eta_minutes for the whole runbook).
    drilled = graph.plan(graph.timed(nodes, measured)) if measured else None
    stage_of = {sid: i for i, stage in enumerate(shape.stages, 1) for sid in stage}
    critical = set(shape.critical_path)
    needs = {n.id: list(n.needs) for n in nodes}
    steps = []
    for stage in shape.stages:
        for sid in stage:
            step = runbook.step(sid)
            steps.append(StepView(
                id=step.id, title=step.title, role=step.role, needs=tuple(needs[sid]),
                minutes=step.minutes, measured_minutes=split.drills.get(sid),
                incident_minutes=split.incidents.get(sid),
                do=step.do, run=step.run, verify=step.verify,
                rollback=step.rollback, when=tuple(step.when),
                approval=step.approval, irreversible=step.irreversible,
                mitigates=step.mitigates, stage=stage_of[sid], critical=sid in critical,
                where=step,
            ))
    local = {k: v for k, v in runbook.roles.items()}
    used: dict[str, dict[str, Any]] = {}
    for sv in steps:
        for rid in (sv.role, sv.approval):
            if rid and rid not in used:
                role = roles.get(rid)
                spec = local.get(rid) or (role.to_dict() if role else {"title": rid})
                used[rid] = {"id": rid, "title": spec.get("title", rid),
                             "contact": spec.get("contact", ""), "pager": spec.get("pager", ""),
                             "phone": spec.get("phone", ""), "steps": 0, "minutes": 0,
                             "approves": 0}
        if sv.role:
            used[sv.role]["steps"] += 1
            used[sv.role]["minutes"] += sv.minutes or 0
        if sv.approval:
            used[sv.approval]["approves"] += 1
    load = []
    for i, stage in enumerate(shape.stages, 1):
        per_role: dict[str, RoleLoad] = {}
        for sid in stage:
            step = runbook.step(sid)
            was = per_role.get(step.role or "(none)", RoleLoad(0, 0))
            per_role[step.role or "(none)"] = RoleLoad(was.steps + 1,
                                                       was.minutes + (step.minutes or 0))
        load.append(StageLoad(i, dict(sorted(per_role.items()))))
    risks = list(risks)
    rto = rules.binding_rto(risks)
    return PlanView(
        id=runbook.id,
        title=runbook.title,
        summary=runbook.summary,
        severity=runbook.severity,
        owner=runbook.owner,
        file=runbook.file,
        scenario=scenario,
        scenarios=dict(runbook.scenarios),
        triggers=tuple(runbook.triggers),
        inputs=tuple(InputView(i.name, i.description, i.required, i.default, tuple(i.choices),
                               i.pattern) for i in runbook.inputs),
        comms=CommsView(channel=runbook.comms.get("channel"),
                        cadence_minutes=runbook.comms.get("cadence_minutes"),
                        audiences=tuple(runbook.comms.get("audiences", [])),
                        notes=runbook.comms.get("notes")),
        exit_criteria=tuple(runbook.exit_criteria),
        stages=tuple(tuple(stage) for stage in shape.stages),
        critical_path=tuple(shape.critical_path),
        eta_minutes=shape.eta_minutes,
        mitigated_by=shape.mitigated_by,
        finish_path=tuple(shape.finish_path),
        finish_minutes=shape.finish_minutes,
        drilled_critical_path=tuple(drilled.critical_path) if drilled else None,
        drilled_eta_minutes=drilled.eta_minutes if drilled else None,
        entry=tuple(shape.entry),
        exit=tuple(shape.exit),
        unestimated=tuple(s.id for s in steps if s.minutes is None),
        roles=tuple(RoleView(**r) for r in sorted(used.values(),
                                                  key=lambda r: (-r["steps"], r["id"]))),
        role_load=tuple(load),
        risks=tuple(_risk(r) for r in risks),
        rto_minutes=rto,
        within_rto=rules.within_rto(shape.eta_minutes, risks),
        drilled_within_rto=(rules.within_rto(drilled.eta_minutes, risks)
                            if drilled else None),
        steps=tuple(steps),
        missing=tuple(missing),
        alerts=tuple(runbook.alerts),
        measured_in=split.sources if measured else "",
    )


def _risk(risk: Risk) -> RiskView:
    residual = risk.residual
    return RiskView(
        id=risk.id, title=risk.title, owner=risk.owner, status=risk.status,
        level=risk.level.id, level_name=risk.level.name, color=risk.level.color,
        score=risk.rating.score,
        residual=(ResidualView(residual.likelihood, residual.impact, residual.score,
                               residual.level.id, residual.level.name, residual.level.color)
                  if residual else None),
        rto_minutes=risk.rto_minutes,
        controls=tuple(risk.controls),
    )

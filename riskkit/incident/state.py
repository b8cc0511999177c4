"""An incident's state at a moment: worked out from its events and its pinned runbook.

``incident_state`` is a pure function of the journal's events, the runbook the incident
pinned and "now": the same journal and the same ``--at`` give the same state on any
machine. It never fails on a journal that reads: an event it cannot apply (an unknown
kind or step, from a newer riskkit or a hand edit) is left out here and reported by
``validate``.

The words it answers in:

- a step is *pending*, *in_progress*, *done* or *skipped*; a pending step is
  *unblocked* when every step it needs is done or skipped (it may still await its
  approval), else *blocked*;
- the *remaining* expected time is the critical path over the steps not done or
  skipped, from now, to the point where the impact is over (the first step marked
  ``mitigates`` that can finish; the whole runbook when none is marked). A step in
  progress counts its estimate less the minutes since it began, never below zero (it is
  then *over its estimate*); a done or skipped step counts nothing, and a skipped marked
  step ends nothing;
- the *projected finish* is now plus the remaining time (or when the impact ended, once
  a marked step is done), held against the tightest RTO of the linked risks, counted
  from the start;
- a *status update is due* the runbook's ``comms.cadence_minutes`` after the last one
  sent (or after the start).

A closed incident stands still at its close: "now" is the close's time for every figure.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from riskkit.dates import add_minutes
from riskkit.incident.journal import STEP_KINDS, Event, in_time_order
from riskkit.incident.pinned import Pinned, plan_nodes
from riskkit.incident.times import iso, minutes, number
from riskkit.runbook import graph
from riskkit.runbook.model import Runbook, is_commander

PENDING, IN_PROGRESS, DONE, SKIPPED = "pending", "in_progress", "done", "skipped"
OUTCOMES = ("resolved", "mitigated")


def _time(value: dt.datetime | None) -> str | None:
    return iso(value) if value is not None else None


@dataclass(frozen=True)
class StepState:
    """One step of the incident's plan (its scenario's steps) and where it stands."""

    id: str
    title: str
    role: str | None
    needs: tuple[str, ...]
    minutes: float | None
    stage: int
    status: str = PENDING
    unblocked: bool = False
    approval: str | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    irreversible: bool = False
    mitigates: bool = False
    began_at: dt.datetime | None = None
    began_by: str | None = None
    ended_at: dt.datetime | None = None
    ended_by: str | None = None
    note: str = ""
    reason: str = ""
    forced: bool = False
    remaining_minutes: float = 0
    over_estimate: bool = False
    critical: bool = False

    @property
    def settled(self) -> bool:
        """Done or skipped: what a step that needs it waits for."""
        return self.status in (DONE, SKIPPED)

    @property
    def awaits_approval(self) -> bool:
        return self.approval is not None and self.approved_by is None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "role": self.role,
                "needs": list(self.needs), "minutes": self.minutes, "stage": self.stage,
                "status": self.status, "unblocked": self.unblocked,
                "approval": self.approval, "approved_by": self.approved_by,
                "approved_at": _time(self.approved_at), "irreversible": self.irreversible,
                "mitigates": self.mitigates, "began_at": _time(self.began_at),
                "began_by": self.began_by, "ended_at": _time(self.ended_at),
                "ended_by": self.ended_by, "note": self.note, "reason": self.reason,
                "forced": self.forced, "remaining_minutes": number(self.remaining_minutes),
                "over_estimate": self.over_estimate, "critical": self.critical}


@dataclass(frozen=True)
class PendingApproval:
    """A step that needs an approval it has not had; ``unblocked``: it could start
    once approved."""

    step: str
    role: str
    unblocked: bool

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "role": self.role, "unblocked": self.unblocked}


@dataclass(frozen=True)
class IncidentState:
    """Where an incident stands at ``now``; ``to_dict`` is ``incident now --format json``."""

    id: str
    runbook: str
    title: str
    severity: str
    scenario: str | None
    state: str  # open | closed
    outcome: str | None
    now: dt.datetime
    started_at: dt.datetime
    started_by: str
    closed_at: dt.datetime | None
    elapsed_minutes: float
    steps: tuple[StepState, ...]
    assignees: Mapping[str, str]
    commander_role: str
    eta_remaining_minutes: float
    finish_remaining_minutes: float
    remaining_path: tuple[str, ...]
    finish_path: tuple[str, ...]
    mitigated_by: str | None
    mitigated_at: dt.datetime | None
    projected_finish: dt.datetime
    rto_minutes: int | None
    rto_deadline: dt.datetime | None
    within_rto: bool | None
    cadence_minutes: int | None
    last_status_update: dt.datetime | None
    status_update_due: dt.datetime | None
    status_update_overdue: bool
    pinned: Pinned = field(repr=False)
    events: tuple[Event, ...] = field(default=(), repr=False)  # up to now, in time order

    def _ids(self, status: str) -> list[str]:
        return [s.id for s in self.steps if s.status == status]

    @property
    def done(self) -> list[str]:
        return self._ids(DONE)

    @property
    def in_progress(self) -> list[str]:
        return self._ids(IN_PROGRESS)

    @property
    def skipped(self) -> list[str]:
        return self._ids(SKIPPED)

    @property
    def unblocked(self) -> list[str]:
        return [s.id for s in self.steps if s.status == PENDING and s.unblocked]

    @property
    def blocked(self) -> list[str]:
        return [s.id for s in self.steps if s.status == PENDING and not s.unblocked]

    @property
    def by_role(self) -> dict[str, list[str]]:
        """Each role's unblocked steps, in plan order (``(none)`` for steps without one)."""
        out: dict[str, list[str]] = {}
        for s in self.steps:
            if s.status == PENDING and s.unblocked:
                out.setdefault(s.role or "(none)", []).append(s.id)
        return dict(sorted(out.items()))

    @property
    def pending_approvals(self) -> list[PendingApproval]:
        return [PendingApproval(s.id, s.approval, s.unblocked) for s in self.steps
                if s.approval is not None and s.awaits_approval and not s.settled
                and s.status != IN_PROGRESS]

    @property
    def commander(self) -> str | None:
        return self.assignees.get(self.commander_role)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def step(self, step_id: str) -> StepState | None:
        return self._by_id.get(step_id)

    @functools.cached_property
    def _by_id(self) -> dict[str, StepState]:  # once, not a search per step
        by_id: dict[str, StepState] = {}
        for s in self.steps:
            by_id.setdefault(s.id, s)
        return by_id

    def to_dict(self) -> dict[str, Any]:
        pin = self.pinned
        return {
            "id": self.id,
            "runbook": self.runbook,
            "title": self.title,
            "severity": self.severity,
            "scenario": self.scenario,
            "state": self.state,
            "outcome": self.outcome,
            "now": iso(self.now),
            "started_at": iso(self.started_at),
            "started_by": self.started_by,
            "closed_at": _time(self.closed_at),
            "elapsed_minutes": number(self.elapsed_minutes),
            "done": self.done,
            "in_progress": self.in_progress,
            "unblocked": self.unblocked,
            "blocked": self.blocked,
            "skipped": self.skipped,
            "by_role": self.by_role,
            "pending_approvals": [a.to_dict() for a in self.pending_approvals],
            "assignees": dict(sorted(self.assignees.items())),
            "commander": self.commander,
            "eta_remaining_minutes": number(self.eta_remaining_minutes),
            "remaining_path": list(self.remaining_path),
            "finish_remaining_minutes": number(self.finish_remaining_minutes),
            "finish_path": list(self.finish_path),
            "mitigated_by": self.mitigated_by,
            "mitigated_at": _time(self.mitigated_at),
            "projected_finish": iso(self.projected_finish),
            "rto_minutes": self.rto_minutes,
            "rto_deadline": _time(self.rto_deadline),
            "within_rto": self.within_rto,
            "cadence_minutes": self.cadence_minutes,
            "last_status_update": _time(self.last_status_update),
            "status_update_due": _time(self.status_update_due),
            "status_update_overdue": self.status_update_overdue,
            "pinned": {"file": pin.file, "sha256": pin.sha256, "commit": pin.commit,
                       "uncommitted": pin.uncommitted, "inputs": dict(pin.inputs),
                       "risks": [r.to_dict() for r in pin.risks]},
            "steps": [s.to_dict() for s in self.steps],
        }


def commander_role(runbook: Runbook, pin: Pinned) -> str:
    """The role that commands the incident: the first of the runbook's roles that
    riskkit knows as the incident commander (``ic`` when none is)."""
    roles = {**pin.roles, **runbook.roles}
    for step in runbook.steps:
        for role in (step.role, step.approval):
            if role and is_commander(role, roles):
                return role
    return next((r for r in roles if is_commander(r, roles)), "ic")


def incident_state(incident_id: str, events: list[Event], runbook: Runbook, pin: Pinned,
                   now: dt.datetime, titles: Mapping[str, str] | None = None,
                   title: str | None = None) -> IncidentState:
    """The state of the incident at ``now`` from its ``events`` (any order; those after
    ``now`` are not counted). ``titles`` are the steps' titles as shown (inputs filled
    in); the titles as written otherwise. The journal must have a start at or before
    ``now`` (``first_start``)."""
    ordered = [e for e in in_time_order(_unique(events)) if e.at <= now]
    start = first_start(ordered)
    nodes = plan_nodes(runbook, pin.scenario)
    shape = graph.plan(nodes)
    stage_of = {sid: i for i, stage in enumerate(shape.stages, 1) for sid in stage}
    titles = titles or {}
    steps: dict[str, StepState] = {}
    node_of = {n.id: n for n in nodes}  # not a search per step: runbooks may be huge
    for step_id in (sid for stage in shape.stages for sid in stage):
        step = runbook.step(step_id)
        node = node_of[step_id]
        steps[step_id] = StepState(step_id, titles.get(step_id, step.title), step.role,
                                   node.needs, step.minutes, stage_of[step_id],
                                   approval=step.approval,
                                   irreversible=step.irreversible,
                                   mitigates=step.mitigates)
    lead = commander_role(runbook, pin)
    assignees: dict[str, str] = {}
    closed_at: dt.datetime | None = None
    outcome: str | None = None
    last_update: dt.datetime | None = None
    for event in ordered:
        if event.kind == "start" or event.at < start.at:
            continue  # a second start, or an event before the start: validate says so
        kind, sid = event.kind, event.step
        current = steps.get(sid) if sid else None
        if kind in STEP_KINDS and current is None:
            continue  # not a step of this incident: validate says so
        if current is not None and kind in STEP_KINDS:
            steps[current.id] = _apply(current, event)
        elif kind == "assign" and event.text("role") and event.text("name"):
            assignees[event.text("role")] = event.text("name")
        elif kind == "handover" and event.text("to"):
            assignees[event.text("role") or lead] = event.text("to")
        elif kind == "status-update":
            last_update = event.at
        elif kind == "close" and closed_at is None:
            closed_at, outcome = event.at, event.text("outcome") or "resolved"
    effective = closed_at if closed_at is not None else now
    return _figures(incident_id, runbook, pin, start, ordered, list(steps.values()),
                    effective, now, assignees, lead, closed_at, outcome, last_update,
                    title if title is not None else runbook.title)


def first_start(events: list[Event]) -> Event:
    """The incident's start: the earliest start event (ValueError when there is none)."""
    for event in in_time_order(events):
        if event.kind == "start":
            return event
    raise ValueError("the journal has no start event")


def _unique(events: list[Event]) -> list[Event]:
    """Each event once: a line copied twice (by hand, or by a merge tool that is not
    git's union merge) counts once."""
    seen: set[str] = set()
    out = []
    for event in events:
        if event.id not in seen:
            seen.add(event.id)
            out.append(event)
    return out


def _apply(step: StepState, event: Event) -> StepState:
    """One step event, applied as recorded (the guard rails ran when it was appended)."""
    kind = event.kind
    if kind == "approve":
        if step.approved_by is not None:
            return step
        return replace(step, approved_by=event.by, approved_at=event.at)
    if kind == "begin":
        return replace(step, status=IN_PROGRESS, began_at=event.at, began_by=event.by,
                       ended_at=None, ended_by=None, note="", reason=event.text("reason"),
                       forced=bool(event.data.get("force")))
    if kind == "done":
        return replace(step, status=DONE, ended_at=event.at, ended_by=event.by,
                       note=event.text("note"),
                       reason=event.text("reason") or step.reason,
                       forced=step.forced or bool(event.data.get("force")))
    if kind == "skip":
        return replace(step, status=SKIPPED, ended_at=event.at, ended_by=event.by,
                       reason=event.text("reason"))
    # reopen: back to pending, as if never begun (an approval given stays given)
    return replace(step, status=PENDING, began_at=None, began_by=None, ended_at=None,
                   ended_by=None, note="", reason=event.text("reason"), forced=False)


def _figures(incident_id: str, runbook: Runbook, pin: Pinned, start: Event,
             ordered: list[Event], steps: list[StepState], effective: dt.datetime,
             now: dt.datetime, assignees: dict[str, str], lead: str,
             closed_at: dt.datetime | None, outcome: str | None,
             last_update: dt.datetime | None, title: str) -> IncidentState:
    settled = {s.id for s in steps if s.settled}
    out: list[StepState] = []
    for s in steps:
        remaining: float = 0
        over = False
        if s.status == PENDING:
            remaining = s.minutes or 0
        elif s.status == IN_PROGRESS:
            spent = minutes(s.began_at, effective) if s.began_at else 0
            remaining = max(0.0, (s.minutes or 0) - spent)
            over = s.minutes is not None and spent > s.minutes
        out.append(replace(s, unblocked=s.status == PENDING and set(s.needs) <= settled,
                           remaining_minutes=remaining, over_estimate=over))
    marks = [s for s in out if s.mitigates and s.status != SKIPPED]
    done_marks = sorted((s for s in marks if s.status == DONE),
                        key=lambda s: (s.ended_at or effective))
    mitigated_by: str | None = None
    mitigated_at: dt.datetime | None = None
    if done_marks:
        mitigated_by, mitigated_at = done_marks[0].id, done_marks[0].ended_at
    elif not marks and out and all(s.settled for s in out):
        mitigated_at = max((s.ended_at for s in out if s.ended_at), default=effective)
    remaining_plan = graph.plan([graph.Node(s.id, s.needs, s.remaining_minutes, (),
                                            s.mitigates and s.status != SKIPPED)
                                 for s in out])
    left = [sid for sid in remaining_plan.critical_path if sid not in settled]
    finish_left = [sid for sid in remaining_plan.finish_path if sid not in settled]
    if mitigated_at is not None:
        eta: float = 0
        left = []
        projected = mitigated_at
    else:
        eta = remaining_plan.eta_minutes
        projected = add_minutes(effective, eta)
    on_path = set(left if left else finish_left)
    out = [replace(s, critical=s.id in on_path) for s in out]
    rto = pin.rto_minutes
    deadline = add_minutes(start.at, rto) if rto is not None else None
    cadence = runbook.comms.get("cadence_minutes")
    cadence = cadence if isinstance(cadence, int) and cadence > 0 else None
    due = None
    if cadence is not None and closed_at is None:
        due = add_minutes(last_update or start.at, cadence)
    return IncidentState(
        id=incident_id, runbook=pin.runbook, title=title, severity=runbook.severity,
        scenario=pin.scenario, state="closed" if closed_at is not None else "open",
        outcome=outcome, now=now, started_at=start.at, started_by=start.by,
        closed_at=closed_at, elapsed_minutes=minutes(start.at, effective), steps=tuple(out),
        assignees=assignees, commander_role=lead, eta_remaining_minutes=eta,
        finish_remaining_minutes=remaining_plan.finish_minutes,
        remaining_path=tuple(left), finish_path=tuple(finish_left),
        mitigated_by=mitigated_by, mitigated_at=mitigated_at, projected_finish=projected,
        rto_minutes=rto, rto_deadline=deadline,
        within_rto=None if deadline is None else projected <= deadline,
        cadence_minutes=cadence, last_status_update=last_update, status_update_due=due,
        status_update_overdue=due is not None and effective > due,
        pinned=pin, events=tuple(ordered))

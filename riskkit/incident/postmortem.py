"""The data of a postmortem draft, every figure worked out from the incident's journal.

The impact window, in the journal's words:

- *detected*: the start event (the incident was declared);
- *acknowledged*: the first event after the start that someone on the incident recorded
  (a role taken, a step begun or done, a note, a status update);
- *mitigated*: when the impact ended (``riskkit.incident.records.mitigated_at``: the first
  ``mitigates`` step done, else the last step settled, else the close);
- *resolved*: the close, when its outcome is ``resolved`` (closed as ``mitigated``, the
  cause is not fixed yet: no time).

Each step has its estimate, its drilled minutes (the median of its last drills) and what
it took this time (``records.step_minutes``). The time to mitigate is held against the
RTO of each risk the incident pinned at its start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit.incident.journal import Event
from riskkit.incident.records import ActionItem, action_items, mitigated_at, step_minutes
from riskkit.incident.state import DONE, IN_PROGRESS, SKIPPED, IncidentState
from riskkit.incident.times import iso, minutes, number, shown

if TYPE_CHECKING:
    from riskkit.incident.store import Incident

ACTED = ("assign", "handover", "begin", "done", "skip", "approve", "reopen", "note",
         "status-update")


@dataclass(frozen=True)
class Moment:
    """A time of the impact window: when, how long after the start, and what marks it."""

    label: str
    at: dt.datetime | None
    shown: str
    minutes: float | None
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "at": iso(self.at) if self.at else None,
                "minutes_after_start": self.minutes, "how": self.how}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: dt.datetime
    shown: str
    by: str
    kind: str
    what: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "by": self.by, "kind": self.kind, "what": self.what}


@dataclass(frozen=True)
class Holder:
    """Who filled a role, from when (a role may change hands)."""

    role: str
    title: str
    names: tuple[tuple[str, str], ...]  # (name, since: a time shown)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "title": self.title,
                "held_by": [{"name": n, "since": s} for n, s in self.names]}


@dataclass(frozen=True)
class StepRecord:
    """One step of the incident's plan: estimated, as drilled, and this time."""

    id: str
    title: str
    role: str | None
    estimate: float | None
    drilled: float | None
    took: float | None
    status: str  # done | skipped | not done
    began: str
    ended: str
    by: str
    forced: bool
    reason: str
    note: str
    mitigates: bool

    @property
    def over_estimate(self) -> bool:
        return self.took is not None and self.estimate is not None and self.took > self.estimate

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "role": self.role,
                "estimate_minutes": self.estimate, "drilled_minutes": self.drilled,
                "took_minutes": self.took, "status": self.status, "began": self.began or None,
                "ended": self.ended or None, "by": self.by or None, "forced": self.forced,
                "reason": self.reason or None, "note": self.note or None,
                "mitigates": self.mitigates}


@dataclass(frozen=True)
class RtoVerdict:
    """The time to mitigate against one pinned risk's RTO."""

    risk: str
    title: str
    rto_minutes: int
    time_to_mitigate: float
    within: bool
    margin: float  # minutes to spare (within) or over (above)

    def to_dict(self) -> dict[str, Any]:
        return {"risk": self.risk, "title": self.title, "rto_minutes": self.rto_minutes,
                "time_to_mitigate_minutes": self.time_to_mitigate, "within": self.within,
                "margin_minutes": self.margin}


@dataclass(frozen=True)
class ActionView:
    """An action item as the postmortem lists it, as of its day."""

    id: str
    title: str
    owner: str
    due: str
    state: str  # open | overdue | done
    done: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "owner": self.owner,
                "due": self.due or None, "state": self.state, "done": self.done or None}


@dataclass(frozen=True)
class Postmortem:
    """Everything a postmortem draft says that the journal knows."""

    id: str
    title: str
    severity: str
    org: str
    as_of: dt.date
    state: str  # open | closed
    outcome: str | None
    runbook: str | None
    file: str
    commit: str | None
    uncommitted: bool
    sha256: str
    scenario: str | None
    inputs: tuple[tuple[str, str], ...]
    risks: tuple[tuple[str, str, int | None], ...]  # (id, title, RTO)
    started_by: str
    day: str  # the start's date: times on it are shown without it
    window: tuple[Moment, ...]
    time_to_mitigate: float | None
    time_to_close: float | None
    mitigated_by: str | None
    rto: tuple[RtoVerdict, ...]
    roles: tuple[Holder, ...]
    steps: tuple[StepRecord, ...]
    status_updates: int
    cadence_minutes: int | None
    timeline: tuple[Entry, ...]
    actions: tuple[ActionView, ...]

    @property
    def skipped(self) -> list[StepRecord]:
        return [s for s in self.steps if s.status == "skipped"]

    @property
    def forced(self) -> list[StepRecord]:
        return [s for s in self.steps if s.forced]

    @property
    def not_done(self) -> list[StepRecord]:
        return [s for s in self.steps if s.status == "not done"]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "severity": self.severity,
                "as_of": self.as_of.isoformat(), "state": self.state, "outcome": self.outcome,
                "runbook": self.runbook, "file": self.file or None, "commit": self.commit,
                "uncommitted": self.uncommitted, "sha256": self.sha256 or None,
                "scenario": self.scenario, "inputs": dict(self.inputs),
                "risks": [{"id": i, "title": t, "rto_minutes": r} for i, t, r in self.risks],
                "started_by": self.started_by,
                "window": [m.to_dict() for m in self.window],
                "time_to_mitigate_minutes": self.time_to_mitigate,
                "time_to_close_minutes": self.time_to_close,
                "mitigated_by": self.mitigated_by,
                "rto": [v.to_dict() for v in self.rto],
                "roles": [h.to_dict() for h in self.roles],
                "steps": [s.to_dict() for s in self.steps],
                "status_updates": self.status_updates,
                "cadence_minutes": self.cadence_minutes,
                "timeline": [e.to_dict() for e in self.timeline],
                "actions": [a.to_dict() for a in self.actions]}


def postmortem(incident: Incident, as_of: dt.date, drilled: Mapping[str, float] | None = None,
               org: str = "") -> Postmortem:
    """The postmortem draft of ``incident``, as of ``as_of`` (the day action items are
    judged on); ``drilled`` maps step ids to their drilled minutes."""
    from riskkit.incident.records import end_of

    events = [e for e in incident.events if e.at < end_of(as_of)]
    last = max(e.at for e in events)
    title, titles = incident.texts
    from riskkit.incident.state import incident_state

    state = incident_state(incident.id, events, incident.runbook, incident.pin, last,
                           titles, title)
    day = state.started_at.date()

    def when(moment: dt.datetime | None) -> str:
        return shown(moment, day) if moment is not None else ""

    pin = state.pinned
    took = step_minutes(state, closed_only=False)
    drilled = drilled or {}
    ended = mitigated_at(state) if state.closed_at is not None else state.mitigated_at
    ttm = number(minutes(state.started_at, ended)) if ended is not None else None
    window = _window(state, ended, when)
    steps = tuple(_step(s, took, drilled, when) for s in state.steps)
    rto = tuple(RtoVerdict(r.id, r.title, r.rto_minutes, ttm, ttm <= r.rto_minutes,
                           number(abs(r.rto_minutes - ttm)))
                for r in pin.risks if r.rto_minutes is not None and ttm is not None)
    items = action_items(incident.id, incident.file, events)
    return Postmortem(
        id=incident.id, title=state.title, severity=state.severity, org=org, as_of=as_of,
        state=state.state, outcome=state.outcome, runbook=pin.runbook or None,
        file=pin.file, commit=pin.commit, uncommitted=pin.uncommitted, sha256=pin.sha256,
        scenario=pin.scenario,
        inputs=tuple((str(k), str(v)) for k, v in pin.inputs.items()),
        risks=tuple((r.id, r.title, r.rto_minutes) for r in pin.risks),
        started_by=state.started_by, day=day.isoformat(), window=window,
        time_to_mitigate=ttm,
        time_to_close=(number(minutes(state.started_at, state.closed_at))
                       if state.closed_at else None),
        mitigated_by=state.mitigated_by, rto=rto, roles=_roles(state, when), steps=steps,
        status_updates=sum(e.kind == "status-update" for e in state.events),
        cadence_minutes=state.cadence_minutes,
        timeline=tuple(Entry(e.at, when(e.at), e.by, e.kind, describe(e, titles))
                       for e in sorted(events, key=lambda e: (e.at, e.line))
                       if e.kind != "start"),
        actions=tuple(_action(a, as_of) for a in items))


def _window(state: IncidentState, ended: dt.datetime | None, when: Any) -> tuple[Moment, ...]:
    start = state.started_at

    def moment(label: str, at: dt.datetime | None, how: str) -> Moment:
        return Moment(label, at, when(at), number(minutes(start, at)) if at else None, how)

    first = next((e for e in state.events if e.kind in ACTED and e.at >= start), None)
    if state.mitigated_by:
        how = f"'{state.mitigated_by}' done"
    elif state.mitigated_at is not None:
        how = "every step done or skipped"
    elif ended is not None:
        how = "at the close: no step marks the end of the impact"
    else:
        how = "not yet"
    resolved = state.closed_at if state.outcome == "resolved" else None
    return (
        moment("detected", start, f"incident started by {state.started_by}"),
        moment("acknowledged", first.at if first else None,
               f"{first.kind} by {first.by}" if first else "nobody recorded anything"),
        moment("mitigated", ended, how),
        moment("resolved", resolved,
               "closed as resolved" if resolved else
               "closed as mitigated: the cause is not fixed yet" if state.closed_at
               else "not yet"),
    )


def _step(step: Any, took: Mapping[str, float], drilled: Mapping[str, float],
          when: Any) -> StepRecord:
    status = {DONE: "done", SKIPPED: "skipped"}.get(step.status, "not done")
    if step.status == IN_PROGRESS:
        status = "not done"
    return StepRecord(step.id, step.title, step.role, step.minutes, drilled.get(step.id),
                      took.get(step.id), status, when(step.began_at), when(step.ended_at),
                      step.ended_by or step.began_by or "", step.forced, step.reason,
                      step.note, step.mitigates)


def _roles(state: IncidentState, when: Any) -> tuple[Holder, ...]:
    held: dict[str, list[tuple[str, str]]] = {}
    for event in state.events:
        if event.kind == "assign" and event.text("role") and event.text("name"):
            held.setdefault(event.text("role"), []).append((event.text("name"), when(event.at)))
        elif event.kind == "handover" and event.text("to"):
            role = event.text("role") or state.commander_role
            held.setdefault(role, []).append((event.text("to"), when(event.at)))
    roles = state.pinned.roles
    return tuple(Holder(r, getattr(roles.get(r), "title", r) or r, tuple(names))
                 for r, names in sorted(held.items()))


def _action(item: ActionItem, as_of: dt.date) -> ActionView:
    if not item.is_open(as_of):
        state, done = "done", f"{item.done_at:%Y-%m-%d} by {item.done_by}"
    else:
        state, done = ("overdue" if item.overdue(as_of) else "open"), ""
    return ActionView(item.short, item.title, item.owner,
                      item.due.isoformat() if item.due else "", state, done)


def describe(event: Event, titles: Mapping[str, str]) -> str:
    """An event in a few words, for a postmortem's timeline."""
    kind, step = event.kind, event.step
    if step is not None:
        text = f"{kind} {step}" + (f" ({titles[step]})" if titles.get(step) else "")
        if event.data.get("force"):
            text += f"; forced although blocked: {event.text('reason')}"
        elif kind in ("skip", "reopen"):
            text += f"; because: {event.text('reason')}"
        if kind == "approve":
            text += f" as {event.text('role')}"
        if event.text("note"):
            text += f"; note: {event.text('note')}"
        return text
    if kind == "assign":
        return f"{event.text('name')} takes role {event.text('role')}"
    if kind == "handover":
        return (f"{event.text('role')} handed over to {event.text('to')}"
                + (f"; {event.text('note')}" if event.text("note") else ""))
    if kind == "close":
        return f"closed as {event.text('outcome') or 'resolved'}" + (
            f"; {event.text('note')}" if event.text("note") else "")
    if kind == "status-update":
        return f"status update: {event.text('text')}"
    if kind == "note":
        return event.text("text")
    if kind == "action":
        return (f"action item {event.id[:6]}: {event.text('title')} (owner "
                f"{event.text('owner')}, due {event.text('due')})")
    if kind == "action-done":
        return f"action item {event.text('action')[:6]} done" + (
            f"; {event.text('note')}" if event.text("note") else "")
    return kind

"""What closed and past incidents teach: the minutes each step took, when the impact
ended, which risks occurred, and the action items that follow an incident.

The rules, in one place:

- A step's minutes in an incident run from its ``begin`` to its ``done``. A step done
  without a ``begin`` is timed from the moment it could have begun: the latest end of the
  steps it needs, or its approval when that came later, or else the incident's start.
  Skipped steps and steps not done are not timed. Only closed incidents are timed: an
  open one is still going.
- The impact of a closed incident ended (it was *mitigated*) when its first step marked
  ``mitigates`` was done; in a runbook without a marked step, when its last step was
  settled; and when neither happened (an incident without a runbook, or one closed with
  steps left), at its close. The *time to mitigate* runs from the start to then.
- An action item is an ``action`` event (title, owner, due date), open until an
  ``action-done`` event names it; both may come after the close. Its id is its event's
  id; any unique beginning of it of four characters or more names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from riskkit.drill.model import Sample
from riskkit.incident.journal import Event, in_time_order
from riskkit.incident.pinned import PinnedRisk
from riskkit.incident.state import DONE, IncidentState
from riskkit.incident.times import iso, minutes, number

SHORT = 6  # characters of an action item's id shown; any unique prefix of 4+ names it


@dataclass(frozen=True)
class ActionItem:
    """A follow-up of an incident: what, who, by when, and whether it is done."""

    id: str
    incident: str
    title: str
    owner: str
    due: dt.date | None
    opened_at: dt.datetime
    opened_by: str
    file: str = ""
    line: int = 0
    done_at: dt.datetime | None = None
    done_by: str | None = None
    note: str = ""

    @property
    def short(self) -> str:
        return self.id[:SHORT]

    def is_open(self, as_of: dt.date | None = None) -> bool:
        """Not done (as of the end of ``as_of``, when given)."""
        if self.done_at is None:
            return True
        return as_of is not None and self.done_at.date() > as_of

    def overdue(self, as_of: dt.date) -> bool:
        return self.is_open(as_of) and self.due is not None and self.due < as_of

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.short, "event": self.id, "incident": self.incident,
                "title": self.title, "owner": self.owner,
                "due": self.due.isoformat() if self.due else None,
                "opened_at": iso(self.opened_at), "opened_by": self.opened_by,
                "done_at": iso(self.done_at) if self.done_at else None,
                "done_by": self.done_by, "note": self.note, "file": self.file,
                "line": self.line}


def _day(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def action_items(incident_id: str, file: str, events: Iterable[Event]) -> list[ActionItem]:
    """The incident's action items in the order they were added, each with its done
    event applied (the first one that names it); malformed ones are left out (validate
    reports them, I011)."""
    items: dict[str, ActionItem] = {}
    for event in in_time_order(list(events)):
        if event.kind == "action" and event.text("title") and event.text("owner") \
                and event.id not in items:
            items[event.id] = ActionItem(event.id, incident_id, event.text("title"),
                                         event.text("owner"), _day(event.data.get("due")),
                                         event.at, event.by, file, event.line)
        elif event.kind == "action-done":
            item = items.get(event.text("action"))
            if item is not None and item.done_at is None:
                items[item.id] = ActionItem(**{**item.__dict__, "done_at": event.at,
                                               "done_by": event.by,
                                               "note": event.text("note")})
    return list(items.values())


def find_action(items: Iterable[ActionItem], wanted: str) -> tuple[ActionItem | None, str]:
    """The action item ``wanted`` names (its id or a unique beginning of 4+ characters),
    or None and why not."""
    wanted = wanted.strip().lower()
    if len(wanted) < 4:
        return None, f"'{wanted}' is too short to name an action item (give 4 or more " \
                     "characters of its id)"
    found = [i for i in items if i.id.startswith(wanted)]
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, f"no action item has the id '{wanted}'"
    return None, (f"'{wanted}' names {len(found)} action items "
                  f"({', '.join(i.short for i in found)}): give more of the id")


def step_minutes(state: IncidentState, closed_only: bool = True) -> dict[str, float]:
    """The minutes each done step took in a closed incident (see the module's rules);
    with ``closed_only`` False, in an open one too (a postmortem drafted early)."""
    if state.closed_at is None and closed_only:
        return {}
    ends = {s.id: s.ended_at for s in state.steps if s.settled and s.ended_at}
    out: dict[str, float] = {}
    for step in state.steps:
        if step.status != DONE or step.ended_at is None:
            continue
        if step.began_at is not None:
            begun = step.began_at
        else:
            could = [ends[n] for n in step.needs if n in ends and ends[n] <= step.ended_at]
            if step.approved_at is not None and step.approved_at <= step.ended_at:
                could.append(step.approved_at)
            begun = max(could, default=state.started_at)
        out[step.id] = number(max(0.0, minutes(begun, step.ended_at)))
    return out


def mitigated_at(state: IncidentState) -> dt.datetime | None:
    """When the impact ended (see the module's rules); None while it goes on."""
    if state.mitigated_at is not None:
        return state.mitigated_at
    return state.closed_at


@dataclass(frozen=True)
class IncidentRecord:
    """One incident as the register learns from it."""

    id: str
    file: str
    line: int  # the start event's
    runbook: str | None  # None: started without a runbook (``incident start --risk``)
    scenario: str | None
    title: str
    severity: str
    started_at: dt.datetime
    started_by: str
    closed_at: dt.datetime | None
    outcome: str | None
    mitigated_at: dt.datetime | None
    risks: tuple[PinnedRisk, ...]
    step_minutes: Mapping[str, float] = field(default_factory=dict)
    actions: tuple[ActionItem, ...] = ()

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def time_to_mitigate(self) -> float | None:
        """Minutes from the start to the end of the impact (closed incidents only)."""
        if self.closed_at is None or self.mitigated_at is None:
            return None
        return number(minutes(self.started_at, self.mitigated_at))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "file": self.file, "runbook": self.runbook,
                "scenario": self.scenario, "title": self.title, "severity": self.severity,
                "started_at": iso(self.started_at), "started_by": self.started_by,
                "closed_at": iso(self.closed_at) if self.closed_at else None,
                "outcome": self.outcome,
                "mitigated_at": iso(self.mitigated_at) if self.mitigated_at else None,
                "time_to_mitigate_minutes": self.time_to_mitigate,
                "risks": [r.to_dict() for r in self.risks],
                "step_minutes": dict(self.step_minutes),
                "actions": [a.to_dict() for a in self.actions]}


def samples(records: Iterable[IncidentRecord], runbook_id: str) -> list[Sample]:
    """The step minutes of the closed incidents of ``runbook_id``, as measurements beside
    the drills' (``riskkit.drill.model.measured``), each dated the day it started."""
    return [Sample(r.started_at.date(), r.file, step, took, "incident")
            for r in records if r.runbook == runbook_id and r.closed
            for step, took in r.step_minutes.items()]


def end_of(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` (UTC): what "as of ``day``" includes (after
    9999-12-31, the calendar's last moment)."""
    if day == dt.date.max:
        return dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                               tzinfo=dt.timezone.utc)


def record_of(incident_id: str, file: str, events: list[Event], state: IncidentState
              ) -> IncidentRecord:
    """The record of an incident whose state (at its close, or at "now") is ``state``."""
    start = next(e for e in in_time_order(events) if e.kind == "start")
    pin = state.pinned
    return IncidentRecord(
        incident_id, file, start.line, pin.runbook or None, pin.scenario, state.title,
        state.severity, state.started_at, state.started_by, state.closed_at, state.outcome,
        mitigated_at(state) if state.closed_at is not None else state.mitigated_at,
        pin.risks, step_minutes(state), tuple(action_items(incident_id, file, events)))

"""The guard rails: every action on an incident is checked against its state at the
action's time before its event is written, and refused with the reason and the way
forward when it must not happen. A refused action writes nothing.

What is refused:

- anything on a closed incident;
- a time before the incident started; a close before the last event;
- a step event dated before an event of the same step already in the journal (an
  event may be dated earlier than the last one, to record what happened a while ago,
  but a step's own history stays in order);
- an unknown step (with a did-you-mean), a step outside the incident's scenario;
- beginning or doing a blocked step (one it needs is neither done nor skipped) without
  ``--force`` and a ``--reason``, both recorded;
- beginning or doing a step that needs an approval before it is approved, and an
  irreversible step without ``--confirm``;
- an approval by someone other than the person who holds the approving role (when
  someone was assigned to it), an approval of a step that needs none, twice, or of a
  step already done;
- repeating what is already so: beginning a step in progress, doing a step done,
  assigning a role to the person who holds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from riskkit.incident.journal import AFTER_CLOSE, Event, in_time_order, new_event
from riskkit.incident.pinned import Pinned
from riskkit.incident.state import (DONE, IN_PROGRESS, OUTCOMES, PENDING, SKIPPED,
                                    IncidentState, StepState, first_start, incident_state)
from riskkit.incident.times import shown
from riskkit.problems import InputError, did_you_mean
from riskkit.runbook.model import Runbook


class Refused(InputError):
    """An action the guard rails refuse (exit 1); the journal is left as it was."""


Refuse = Callable[[str], Refused]  # the error for a reason, worded for the action


@dataclass(frozen=True)
class Action:
    """What a command asks to record."""

    kind: str
    at: dt.datetime
    by: str
    step: str | None = None
    text: str | None = None  # a note, a status update, a reason to skip or reopen
    role: str | None = None
    name: str | None = None  # who takes a role; whom a handover goes to
    force: bool = False
    reason: str | None = None  # why a blocked step was forced
    confirm: bool = False
    outcome: str | None = None
    due: str | None = None  # an action item's due date, YYYY-MM-DD
    target: str | None = None  # the action item an action-done closes (its id)


# What a refusal says it could not do ({step} and {id} filled in).
WHAT = {"begin": "begin '{step}' in incident {id}", "done": "mark '{step}' done in incident {id}",
        "skip": "skip '{step}' in incident {id}", "approve": "approve '{step}' in incident {id}",
        "reopen": "reopen '{step}' in incident {id}", "assign": "assign a role in incident {id}",
        "handover": "hand over incident {id}", "note": "add a note to incident {id}",
        "status-update": "record a status update in incident {id}",
        "close": "close incident {id}", "action": "add an action item to incident {id}",
        "action-done": "mark an action item of incident {id} done"}


def decide(incident_id: str, events: list[Event], runbook: Runbook, pin: Pinned,
           action: Action) -> Event:
    """The event ``action`` appends to the journal of ``events``, or Refused."""
    ordered = in_time_order(events)
    start = first_start(ordered)
    what = WHAT.get(action.kind, "record '{kind}' in incident {id}").format(
        step=action.step, id=incident_id, kind=action.kind)

    day = start.at.date()

    def refuse(why: str) -> Refused:
        return Refused(f"cannot {what}: {why}; nothing was recorded")

    if action.kind in AFTER_CLOSE:  # follow-ups: on an open or a closed incident
        if action.at < start.at:
            raise refuse(f"{shown(action.at, day)} is before the incident started "
                         f"({shown(start.at, day)})")
        if not action.by.strip():
            raise refuse("no author: pass --by NAME")
        return _follow_up(ordered, action, refuse)
    closed = next((e for e in ordered if e.kind == "close"), None)
    if closed is not None:
        raise refuse(f"it was closed at {shown(closed.at, day)} by {closed.by}")
    if action.at < start.at:
        raise refuse(f"{shown(action.at, day)} is before the incident started "
                     f"({shown(start.at, day)})")
    if not action.by.strip():
        raise refuse("no author: pass --by NAME")
    state = incident_state(incident_id, events, runbook, pin, action.at)
    if action.kind in ("begin", "done", "skip", "approve", "reopen"):
        return _step_event(state, events, runbook, action, refuse)
    return _incident_event(state, ordered, runbook, action, refuse)


def _step_event(state: IncidentState, events: list[Event], runbook: Runbook,
                action: Action, refuse: Refuse) -> Event:
    sid = action.step or ""
    step = state.step(sid)
    day = state.started_at.date()
    if step is None:
        if not state.pinned.has_runbook:
            raise refuse("the incident follows no runbook, so it has no steps (record "
                         "what happens with note and status-update)")
        if any(s.id == sid for s in runbook.steps):
            raise refuse(f"the step is not part of scenario '{state.scenario}'")
        raise refuse(f"{runbook.id} has no step '{sid}'"
                     f"{did_you_mean(sid, [s.id for s in state.steps])}")
    if action.kind == "approve" and step.approval is None:
        raise refuse("the step needs no approval")
    later = [e for e in events if e.step == sid and e.at > action.at]
    if later:
        first = min(later, key=lambda e: e.at)
        raise refuse(f"the journal already records '{first.kind}' of this step at "
                     f"{shown(first.at, day)}; record this at or after that time")
    kind = action.kind
    data: dict[str, object] = {"step": sid}
    if kind == "approve":
        if step.approved_by is not None:
            raise refuse(f"it was approved by {step.approved_by} at "
                         f"{shown(step.approved_at or action.at, day)}")
        if step.settled:
            raise refuse(f"it is already {_status(step)}")
        # step.approval is set: an approve of a step without one was refused above
        holder = (state.assignees.get(step.approval) if step.approval is not None
                  else None)
        if holder is not None and holder != action.by:
            raise refuse(f"its approval belongs to role '{step.approval}', held by {holder} "
                         f"(pass --by {holder}, or assign the role first)")
        data["role"] = step.approval
        return new_event(kind, action.at, action.by, **data)
    if kind == "reopen":
        if step.status == PENDING:
            raise refuse("it was not begun, done or skipped")
        return new_event(kind, action.at, action.by, step=sid,
                         reason=_required(action.text, "--reason", refuse))
    if kind == "skip":
        if step.settled:
            raise refuse(f"it is already {_status(step)}")
        return new_event(kind, action.at, action.by, step=sid,
                         reason=_required(action.text, "--reason", refuse))
    if step.status == IN_PROGRESS and kind == "begin":
        raise refuse(f"it is in progress since {shown(step.began_at or action.at, day)} "
                     f"(begun by {step.began_by})")
    if step.settled:
        raise refuse(f"it is already {_status(step)}; to do it again, reopen it first "
                     f"(riskkit incident reopen {sid} --reason TEXT)")
    if step.status == PENDING:  # starting now: every rail of a start applies
        if not step.unblocked:
            waiting = ", ".join(f"'{n}' ({_status(state.step(n))})" for n in step.needs
                                if not _settled(state.step(n)))
            if not action.force:
                raise refuse(f"it is blocked: it needs {waiting}; to go ahead anyway, "
                             "pass --force --reason TEXT (both are recorded)")
            data["force"] = True
            data["reason"] = _required(action.reason, "--reason (with --force)", refuse)
        if step.awaits_approval:
            raise refuse(f"it needs the approval of role '{step.approval}' first "
                         f"(riskkit incident approve {sid} --by NAME)")
        if step.irreversible:
            if not action.confirm:
                raise refuse("it cannot be undone; pass --confirm to go ahead")
            data["confirmed"] = True
    if kind == "done" and action.text:
        data["note"] = action.text
    return new_event(kind, action.at, action.by, **data)


def _incident_event(state: IncidentState, ordered: list[Event], runbook: Runbook,
                    action: Action, refuse: Refuse) -> Event:
    kind = action.kind
    day = state.started_at.date()
    if kind in ("note", "status-update"):
        return new_event(kind, action.at, action.by,
                         text=_required(action.text, "a text", refuse))
    if kind == "assign":
        roles = incident_roles(state, runbook)
        role = action.role or ""
        if role not in roles:
            raise refuse(f"'{role}' is not a role of this incident"
                         f"{did_you_mean(role, roles)} (roles: {', '.join(roles)})")
        name = _required(action.name, "a name", refuse)
        if state.assignees.get(role) == name:
            raise refuse(f"{name} already holds role '{role}'")
        return new_event(kind, action.at, action.by, role=role, name=name)
    if kind == "handover":
        to = _required(action.name, "--to NAME", refuse)
        if state.commander == to:
            raise refuse(f"{to} is already the incident commander")
        return new_event(kind, action.at, action.by, role=state.commander_role, to=to,
                         **{"from": state.commander}, note=action.text or None)
    if kind == "close":
        last = ordered[-1]
        if action.at < last.at:
            raise refuse(f"{shown(action.at, day)} is before the journal's last event "
                         f"({last.kind} at {shown(last.at, day)})")
        outcome = action.outcome or "resolved"
        if outcome not in OUTCOMES:
            raise refuse(f"outcome '{outcome}' is not one of {', '.join(OUTCOMES)}")
        return new_event(kind, action.at, action.by, outcome=outcome,
                         note=action.text or None)
    raise refuse(f"'{kind}' is not an action riskkit records")


def _follow_up(ordered: list[Event], action: Action, refuse: Refuse) -> Event:
    """An action item, or the event that marks one done."""
    from riskkit.incident.records import action_items, find_action

    if action.kind == "action":
        title = _required(action.text, "a title", refuse)
        owner = _required(action.name, "--owner NAME", refuse)
        due = _required(action.due, "--due DATE", refuse)
        if not _is_day(due):
            raise refuse(f"--due {due!r} is not a date (YYYY-MM-DD)")
        return new_event("action", action.at, action.by, title=title.strip(),
                         owner=owner.strip(), due=due)
    items = action_items("", "", ordered)
    wanted = _required(action.target, "the action item's id", refuse)
    item, why = find_action(items, wanted)
    if item is None:
        raise refuse(why)
    if item.done_at is not None:
        raise refuse(f"action {item.short} was marked done at {shown(item.done_at)} by "
                     f"{item.done_by}")
    if action.at < item.opened_at:
        raise refuse(f"{shown(action.at)} is before the action item was added "
                     f"({shown(item.opened_at)})")
    return new_event("action-done", action.at, action.by, action=item.id,
                     note=action.text or None)


def _is_day(text: str) -> bool:
    import datetime as dt
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def incident_roles(state: IncidentState, runbook: Runbook) -> list[str]:
    """The roles one can assign: those the incident's steps do or approve, and the
    commander's."""
    roles = {state.commander_role}
    for step in state.steps:
        roles.update(r for r in (step.role, step.approval) if r)
    return sorted(roles)


def _required(value: str | None, what: str, refuse: Refuse) -> str:
    if value is None or not value.strip():
        raise refuse(f"{what} is required")
    return value


def _settled(step: StepState | None) -> bool:
    return step is not None and step.settled


def _status(step: StepState | None) -> str:
    if step is None:
        return "unknown"
    return {PENDING: "not begun", IN_PROGRESS: "in progress", DONE: "done",
            SKIPPED: "skipped"}[step.status]

"""Incident views for people and scripts: ``incident now`` (text, JSON; the HTML board is
``present.board``), ``incident log``, ``incident list`` and the handover summary."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskkit.incident.journal import Event
from riskkit.incident.state import IN_PROGRESS, IncidentState, StepState
from riskkit.incident.store import Summary
from riskkit.incident.times import iso, minutes, number, shown
from riskkit.present.formats import table, to_json


@dataclass(frozen=True)
class NowView:
    """``incident now``: the state, and whether "now" was given (``--at``) or read from
    the machine's clock."""

    state: IncidentState
    given: bool
    org: str = ""
    root: Path | None = None  # the workspace, whose templates/ may override the board's

    def to_dict(self) -> dict[str, Any]:
        return self.state.to_dict()


@dataclass(frozen=True)
class LogView:
    """``incident log``: the journal's events in time order, with the step titles."""

    id: str
    events: tuple[Event, ...]
    titles: dict[str, str]
    day: dt.date  # the start's day: times on it are shown without the date

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "events": [_event_dict(e) for e in self.events]}


def _event_dict(event: Event) -> dict[str, Any]:
    data = event.to_dict()
    data.pop("source", None)  # the pinned runbook's whole text: in the journal, not here
    data["line"] = event.line
    return data


def _in(delta: float) -> str:
    """``in 5 min`` / ``5 min ago`` / ``now``."""
    value = number(abs(delta))
    if value == 0:
        return "now"
    return f"in {value} min" if delta > 0 else f"{value} min ago"


def _step_line(step: StepState) -> str:
    bits = [step.role or "no role"]
    if step.minutes is not None:
        bits.append(f"{step.minutes:g} min")
    if step.awaits_approval:
        bits.append(f"awaits approval by {step.approval}")
    if step.irreversible:
        bits.append("irreversible")
    return f"{step.id}  {step.title}  ({', '.join(bits)})"


def _list(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "-"


def now_text(view: NowView) -> str:
    s = view.state
    day = s.started_at.date()
    out = [f"incident {s.id} · {s.state}" + (f" ({s.outcome})" if s.outcome else ""),
           (f"{s.severity} " if s.severity else "") + f"{s.title}",
           (f"runbook {s.runbook}" if s.runbook else "no runbook: risks "
            + ", ".join(r.id for r in s.pinned.risks))
           + (f" · scenario {s.scenario}" if s.scenario else "")
           + f" · started {shown(s.started_at, day)} by {s.started_by}"]
    source = "given by --at" if view.given else "the machine's clock"
    out.append(f"now: {shown(s.now, day)} ({source}) · {number(s.elapsed_minutes)} min in"
               + (f" · commander: {s.commander}" if s.commander else
                  f" · no commander assigned (riskkit incident assign {s.commander_role} "
                  "NAME)"))
    if s.closed_at is not None:
        out.append(f"closed at {shown(s.closed_at, day)}, after "
                   f"{number(s.elapsed_minutes)} min")
    out.append("")
    if s.mitigated_at is not None:
        by = f" ('{s.mitigated_by}' done)" if s.mitigated_by else " (every step settled)"
        out.append(f"mitigated at {shown(s.mitigated_at, day)}{by}, "
                   f"{number(minutes(s.started_at, s.mitigated_at))} min after the start")
    else:
        out.append(f"to mitigate: {number(s.eta_remaining_minutes)} min more, projected "
                   f"{shown(s.projected_finish, day)}")
        if s.remaining_path:
            out.append("remaining critical path: " + " -> ".join(s.remaining_path))
    if s.rto_minutes is not None and s.rto_deadline is not None:
        gap = number(abs(minutes(s.rto_deadline, s.projected_finish)))
        verdict = (f"within, {gap} min to spare" if s.within_rto
                   else f"ABOVE by {gap} min")
        out.append(f"RTO {s.rto_minutes} min: deadline {shown(s.rto_deadline, day)}, "
                   f"{verdict}")
    else:
        out.append("no linked risk states an RTO")
    if s.status_update_due is not None:
        due = minutes(s.now, s.status_update_due)
        late = f"OVERDUE by {number(-due)} min" if s.status_update_overdue else _in(due)
        out.append(f"next status update: {shown(s.status_update_due, day)} ({late})"
                   f", every {s.cadence_minutes} min")
    out.append(f"every step done: {number(s.finish_remaining_minutes)} min more")
    out.append("")
    out.append(f"done ({len(s.done)}): {_list(s.done)}")
    running = [x for x in s.steps if x.status == IN_PROGRESS]
    out.append(f"in progress ({len(running)}):" + ("" if running else " -"))
    for x in running:
        left = ("OVER its estimate" if x.over_estimate
                else f"{number(x.remaining_minutes)} min left")
        since = shown(x.began_at, day) if x.began_at else "?"
        out.append(f"  {x.role or '(none)':<10} {x.id}  {x.title}  (begun {since} by "
                   f"{x.began_by}, {left})")
    out.append(f"unblocked now ({len(s.unblocked)}), by role:" + ("" if s.unblocked
                                                               else " -"))
    for role, ids in s.by_role.items():
        holder = s.assignees.get(role)
        for sid in ids:
            step = s.step(sid)
            assert step is not None
            who = f" [{holder}]" if holder else ""
            out.append(f"  {role + who:<10} {_step_line(step)}")
    approvals = s.pending_approvals
    out.append(f"approvals pending ({len(approvals)}): " + (", ".join(
        f"{a.step} (by {a.role}{', ready' if a.unblocked else ', blocked'})"
        for a in approvals) or "-"))
    out.append(f"blocked ({len(s.blocked)}): {_list(s.blocked)}")
    out.append(f"skipped ({len(s.skipped)}): {_list(s.skipped)}")
    if s.assignees:
        out.append("roles: " + ", ".join(f"{r} {n}" for r, n in sorted(s.assignees.items())))
    return "\n".join(out) + "\n"


def now_json(view: NowView) -> str:
    return to_json(view.state.to_dict())


def _version(commit: object, uncommitted: object) -> str:
    """Which version of the runbook an incident pinned, in words."""
    if isinstance(commit, str) and commit:
        return f"@ {commit[:12]}" + (" with uncommitted changes" if uncommitted else "")
    return "(not committed)" if uncommitted else "(not in git)"


def _what(event: Event, titles: dict[str, str]) -> str:
    """An event in a few words, for the timeline."""
    data = event.data
    kind = event.kind
    step = event.step
    if kind == "start" and data.get("runbook") is None:
        listed = data.get("risks")
        risks = listed if isinstance(listed, list) else []
        return (f"{data.get('title')}; no runbook; risks "
                + ", ".join(str(r.get("id")) for r in risks if isinstance(r, dict)))
    if kind == "action":
        return (f"action {event.id[:6]}: {event.text('title')} (owner {event.text('owner')}, "
                f"due {event.text('due')})")
    if kind == "action-done":
        return f"action {event.text('action')[:6]} done" + (
            f"; {event.text('note')}" if event.text("note") else "")
    if kind == "start":
        scenario = data.get("scenario")
        inputs = data.get("inputs") or {}
        given = ", ".join(f"{k}={v}" for k, v in inputs.items()) if isinstance(inputs, dict) \
            else ""
        pinned = f"{data.get('file')} {_version(data.get('commit'), data.get('uncommitted'))}"
        return (f"{data.get('runbook')}" + (f", scenario {scenario}" if scenario else "")
                + (f"; {given}" if given else "") + f"; pinned {pinned}")
    if step is not None:
        title = titles.get(step, "")
        text = f"{step}" + (f"  {title}" if title else "")
        if kind == "approve":
            text += f"  (role {data.get('role')})"
        if data.get("force"):
            text += f"  FORCED: {event.text('reason')}"
        elif kind in ("skip", "reopen"):
            text += f"  because: {event.text('reason')}"
        if data.get("confirmed"):
            text += "  (irreversible, confirmed)"
        if event.text("note"):
            text += f"  note: {event.text('note')}"
        return text
    if kind == "assign":
        return f"{event.text('role')} is {event.text('name')}"
    if kind == "handover":
        before = data.get("from")
        return (f"{event.text('role')}: {before or 'nobody'} -> {event.text('to')}"
                + (f"; {event.text('note')}" if event.text("note") else ""))
    if kind == "close":
        return f"outcome {event.text('outcome')}" + (f"; {event.text('note')}"
                                                     if event.text("note") else "")
    if kind in ("note", "status-update"):
        return event.text("text")
    return json.dumps({k: v for k, v in data.items() if k != "source"}, ensure_ascii=False)


def log_text(view: LogView) -> str:
    rows = [[shown(e.at, view.day).replace(" UTC", ""), e.by, e.kind,
             _what(e, view.titles)] for e in view.events]
    return f"incident {view.id} (times in UTC)\n\n" + table(rows, ["at", "by", "kind", "what"])


def log_json(view: LogView) -> str:
    return to_json(view.to_dict())


def list_table(items: list[Summary]) -> str:
    if not items:
        return "no incidents (riskkit incident start RUNBOOK starts one)\n"
    rows = [[s.id, s.state + (f" ({s.outcome})" if s.outcome else ""), s.runbook or "-",
             s.scenario or "-", iso(s.started_at), s.started_by,
             iso(s.closed_at) if s.closed_at else "-", str(s.events)] for s in items]
    return table(rows, ["id", "state", "runbook", "scenario", "started", "by", "closed",
                        "events"])


def list_json(items: list[Summary]) -> str:
    return to_json([s.to_dict() for s in items])


def handover_text(state: IncidentState, since: Sequence[Event], titles: dict[str, str],
                  to: str, first: bool) -> str:
    """What the next incident commander reads: where things stand, and what happened
    since the last handover (``first``: since the start)."""
    head = [f"HANDOVER of incident {state.id} to {to} at {shown(state.now)}", ""]
    view = NowView(state, True)
    body = now_text(view)
    rows = [[shown(e.at, state.started_at.date()).replace(" UTC", ""), e.by, e.kind,
             _what(e, titles)] for e in since]
    period = "the start" if first else "the last handover"
    tail = ["", f"since {period}:" if since else f"nothing happened since {period}"]
    text = "\n".join(head) + body + "\n".join(tail) + "\n"
    if rows:
        text += table(rows, ["at", "by", "kind", "what"])
    return text

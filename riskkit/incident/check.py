"""What ``validate`` checks in every journal, each problem at its ``path:line``.

A journal is a record of what happened, like a drill record: a runbook renamed or
removed since is a warning, not an error, because the incident pinned its own copy.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from riskkit.dates import add_days
from riskkit.incident import journal
from riskkit.incident.journal import (AFTER_CLOSE, KINDS, STEP_KINDS, Event, in_time_order,
                                      journal_rel, journals)
from riskkit.incident.pinned import pinned, pinned_runbook, plan_nodes
from riskkit.incident.times import shown
from riskkit.problems import Problem
from riskkit.workspace import Workspace

if TYPE_CHECKING:
    from riskkit.runbook.model import Runbook


def check_journals(ws: Workspace, runbook_ids: Collection[str], as_of: dt.date,
                   current: Sequence[Runbook] = ()) -> tuple[list[Problem], int]:
    """The problems of every journal of the workspace, and how many journals there are.

    ``current`` are the runbooks the workspace loaded: a journal that pinned one of them
    as it is now is checked against it, without parsing the copy again."""
    found = journals(ws)
    problems: list[Problem] = []
    by_file = {rb.file: rb for rb in current}
    for incident_id, path in found.items():
        problems += check_journal(path, journal_rel(incident_id), runbook_ids, as_of,
                                  by_file)
    return problems, len(found)


def check_journal(path: str | os.PathLike[str], rel: str, runbook_ids: Collection[str],
                  as_of: dt.date, current: Mapping[str, Runbook] | None = None
                  ) -> list[Problem]:
    try:
        events, problems = journal.read(path, rel)
    except OSError as exc:
        return [Problem(rel, 1, 1, "I001", f"cannot read the journal: {exc.strerror or exc}")]
    if not events:
        return problems + [Problem(rel, 1, 1, "I002", "the journal holds no start event")]

    def at(event: Event, code: str, message: str) -> None:
        problems.append(Problem(rel, event.line, 1, code, message))

    ordered = in_time_order(events)
    starts = [e for e in ordered if e.kind == "start"]
    if not starts:
        return sorted(problems + [Problem(rel, ordered[0].line, 1, "I002",
                                          "the journal holds no start event")])
    start = starts[0]
    day = start.at.date()
    for extra in starts[1:]:
        at(extra, "I002", f"a second start event (the first is at line {start.line})")
    pin, why = pinned(start)
    runbook = None
    if pin is None:
        at(start, "I006", why)
    elif not pin.has_runbook:
        runbook, _ = pinned_runbook(pin)  # no steps: every step event is I005
    else:
        runbook, errors = pinned_runbook(pin, current)
        if runbook is None or errors:
            first = errors[0].format() if errors else "it does not load"
            at(start, "I006", f"the runbook pinned at the start does not load: {first}")
            runbook = None
        if pin.has_runbook and pin.runbook not in runbook_ids:
            at(start, "I007", f"runbook '{pin.runbook}' is no longer in the workspace (the "
               "incident keeps the copy it pinned)")
    steps: set[str] | None = None
    all_steps: set[str] = set()
    if runbook is not None and pin is not None:
        all_steps = {s.id for s in runbook.steps}
        steps = {n.id for n in plan_nodes(runbook, pin.scenario)}
    seen: dict[str, int] = {}
    actions: set[str] = set()  # the action items met so far, by event id
    closed: Event | None = None
    limit = add_days(as_of, 1)  # a day's slack: "today" differs by time zone
    for event in ordered:
        if event.id in seen:  # a line copied twice counts once
            at(event, "I010", f"event {event.id} appears twice (first at line "
               f"{seen[event.id]}); it counts once")
            continue
        seen[event.id] = event.line
        if event.kind != "start" and event.at < start.at:
            at(event, "I003", f"'{event.kind}' at {shown(event.at, day)} is before the "
               f"incident started ({shown(start.at, day)})")
        if event.at.date() > limit:
            at(event, "I009", f"'{event.kind}' is dated {shown(event.at, day)}, after "
               f"{as_of.isoformat()} (a journal records what has happened)")
        if event.kind in AFTER_CLOSE:
            why = _follow_up_problem(event, actions)
            if why:
                at(event, "I011", why)
            elif event.kind == "action":
                actions.add(event.id)
        if event.kind not in KINDS:
            at(event, "I004", f"unknown event kind '{event.kind}' (kinds: "
               f"{', '.join(KINDS)}); it is left out")
        elif event.kind in STEP_KINDS and steps is not None:
            sid = event.step
            if sid is None or sid not in steps:
                where = (f"is not part of scenario '{pin.scenario}'"
                         if pin is not None and sid in all_steps
                         else "is not a step of the pinned runbook"
                         if pin is None or pin.has_runbook
                         else "is not a step: the incident follows no runbook")
                at(event, "I005", f"'{event.kind}' names step '{sid}', which {where}; it "
                   "is left out")
        if closed is not None and event is not closed and event.kind not in AFTER_CLOSE:
            at(event, "I008", f"'{event.kind}' at {shown(event.at, day)} comes after the "
               f"incident was closed ({shown(closed.at, day)}, line {closed.line})")
        if event.kind == "close" and closed is None:
            closed = event
    return sorted(problems)


def _follow_up_problem(event: Event, actions: set[str]) -> str:
    """What is wrong with an action item event (empty when nothing is)."""
    if event.kind == "action":
        missing = [k for k in ("title", "owner", "due") if not event.text(k).strip()]
        if missing:
            return f"the action item has no {', '.join(missing)}; it is left out"
        try:
            dt.date.fromisoformat(event.text("due"))
        except ValueError:
            return (f"the action item's due date {event.text('due')!r} is not a date "
                    "(YYYY-MM-DD); it is left out")
        return ""
    target = event.text("action")
    if target not in actions:
        return (f"'action-done' names action item '{target}', which the journal does not "
                "hold before it; it is left out")
    return ""

"""Incidents in a workspace: ``incidents/<id>/journal``, started, found, opened, listed
and appended to through the guard rails."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.incident import journal
from riskkit.incident.journal import FOLDER, Event, in_time_order, journal_rel, journals, new_event
from riskkit.incident.pinned import (Pinned, PinnedRisk, digest, pinned, pinned_runbook,
                                     rendered_titles)
from riskkit.incident.state import IncidentState, first_start, incident_state
from riskkit.incident.times import iso, shown
from riskkit.incident.transitions import Action, Refused, decide
from riskkit.problems import InputError, Problem, ProblemsFound, did_you_mean
from riskkit.runbook.model import Runbook, is_commander
from riskkit.workspace import Role, Workspace

if TYPE_CHECKING:
    from riskkit.register.risk import Risk

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class Summary:
    """An incident as ``incident list`` shows it, read without its runbook."""

    id: str
    file: str
    runbook: str
    scenario: str | None
    started_at: dt.datetime
    started_by: str
    closed_at: dt.datetime | None
    outcome: str | None
    events: int
    last_at: dt.datetime

    @property
    def state(self) -> str:
        return "closed" if self.closed_at is not None else "open"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "runbook": self.runbook,
                "scenario": self.scenario, "started_at": iso(self.started_at),
                "started_by": self.started_by,
                "closed_at": iso(self.closed_at) if self.closed_at else None,
                "outcome": self.outcome, "events": self.events,
                "last_event_at": iso(self.last_at), "file": self.file}


def summary(incident_id: str, events: list[Event]) -> Summary | None:
    """What ``list`` shows of a journal; None when it has no start event first."""
    ordered = in_time_order(events)
    try:
        start = first_start(ordered)
    except ValueError:
        return None
    close = next((e for e in ordered if e.kind == "close"), None)
    scenario = start.data.get("scenario")
    return Summary(incident_id, journal_rel(incident_id), start.text("runbook"),
                   scenario if isinstance(scenario, str) else None, start.at, start.by,
                   close.at if close else None,
                   (close.text("outcome") or "resolved") if close else None,
                   len(events), ordered[-1].at)


def summaries(ws: Workspace) -> tuple[list[Summary], list[Problem]]:
    """Every incident of the workspace, oldest first, and the journals that cannot say
    what they are (for stderr)."""
    out: list[Summary] = []
    problems: list[Problem] = []
    for incident_id, path in journals(ws).items():
        rel = journal_rel(incident_id)
        try:
            events, _ = journal.read(path, rel)
        except OSError as exc:
            problems.append(Problem(rel, 1, 1, "I001", f"cannot read the journal: "
                                    f"{exc.strerror or exc}"))
            continue
        found = summary(incident_id, events)
        if found is None:
            problems.append(Problem(rel, 1, 1, "I002", "the journal holds no start event"))
        else:
            out.append(found)
    return sorted(out, key=lambda s: (s.started_at, s.id)), problems


@dataclass(frozen=True)
class Incident:
    """One incident read from its journal, with the runbook it pinned."""

    id: str
    path: Path
    file: str  # as users see it: incidents/<id>/journal
    events: tuple[Event, ...]  # in file order
    problems: tuple[Problem, ...]  # lines that are not events (left out, said on stderr)
    start: Event
    pin: Pinned
    runbook: Runbook

    @property
    def closed(self) -> bool:
        return any(e.kind == "close" for e in self.events)

    @functools.cached_property
    def texts(self) -> tuple[str, dict[str, str]]:
        """The runbook's title and its steps' titles, inputs filled in."""
        return rendered_titles(self.runbook, self.pin)

    def state(self, now: dt.datetime) -> IncidentState:
        """The state at ``now``; InputError when ``now`` is before the start."""
        if now < self.start.at:
            raise InputError(f"{shown(now)} is before incident {self.id} started "
                             f"({shown(self.start.at)})")
        title, titles = self.texts
        return incident_state(self.id, list(self.events), self.runbook, self.pin, now,
                              titles, title)


def open_incident(ws: Workspace, incident_id: str) -> Incident:
    """Incident ``incident_id``: InputError when there is none (with a did-you-mean),
    ProblemsFound when its start event or pinned runbook cannot be read."""
    known = journals(ws)
    path = known.get(incident_id)
    if path is None:
        names = ", ".join(known) or "there are none"
        raise InputError(f"unknown incident '{incident_id}'"
                         f"{did_you_mean(incident_id, known)} (incidents: {names})")
    return read_incident(incident_id, path)


def read_incident(incident_id: str, path: Path) -> Incident:
    rel = journal_rel(incident_id)
    try:
        events, problems = journal.read(path, rel)
    except OSError as exc:
        raise ProblemsFound([Problem(rel, 1, 1, "I001", f"cannot read the journal: "
                                     f"{exc.strerror or exc}")]) from None
    try:
        start = first_start(events)
    except ValueError:
        raise ProblemsFound(problems + [Problem(rel, 1, 1, "I002", "the journal holds no "
                                                "start event")]) from None
    pin, why = pinned(start)
    if pin is None:
        raise ProblemsFound([Problem(rel, start.line, 1, "I006", why)])
    runbook, errors = pinned_runbook(pin)
    if runbook is None or errors:
        first = errors[0].format() if errors else "it does not load"
        raise ProblemsFound([Problem(rel, start.line, 1, "I006", "the runbook pinned at the "
                                     f"start does not load: {first}")])
    return Incident(incident_id, path, rel, tuple(events), tuple(problems), start, pin,
                    runbook)


def choose(ws: Workspace, incident_id: str | None, reading: bool = False) -> Incident:
    """The incident a command is about: ``incident_id``, else the one open incident;
    when ``reading`` (``now``, ``log``) and none is open, the last one started."""
    if incident_id:
        return open_incident(ws, incident_id)
    found, _ = summaries(ws)
    running = [s for s in found if s.state == "open"]
    if len(running) == 1:
        return open_incident(ws, running[0].id)
    if not running and reading and found:
        return open_incident(ws, found[-1].id)
    if not running:
        closed = f" (closed: {', '.join(s.id for s in found)})" if found else ""
        raise InputError(f"no incident is open{closed}: start one with riskkit incident "
                         "start RUNBOOK, or name one with -i ID")
    raise InputError(f"{len(running)} incidents are open: "
                     f"{', '.join(s.id for s in running)}; pick one with -i ID")


def pin_runbook(ws: Workspace, runbook: Runbook, risks: Iterable[Risk],
                given: Mapping[str, Any], scenario: str | None) -> Pinned:
    """What starting ``runbook`` pins, once its inputs pass the checks ``runbook render``
    makes (missing, unknown and invalid values, the scenario, every text rendered):
    InputError or ProblemsFound otherwise."""
    from riskkit.git.info import pinned_commit
    from riskkit.register import rules
    from riskkit.runbook.model import roles_used
    from riskkit.runbook.render import render_steps, resolve_inputs
    from riskkit.runbook.view import view

    values = resolve_inputs(runbook, dict(given), doing="start",
                            consequence="no incident was started")
    render_steps(runbook, view(runbook, ws.roles, (), scenario), values)
    try:
        source = (ws.root / runbook.file).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {runbook.file} to pin it: {exc}") from None
    commit, uncommitted = pinned_commit(ws.root, runbook.file)
    active = [r for r in risks if rules.is_active(r)]
    used = roles_used(runbook)
    roles = {rid: role for rid, role in ws.roles.items()
             if rid in used or is_commander(rid, ws.roles)}
    for rid, spec in runbook.roles.items():  # a runbook's own roles are in its source too
        if isinstance(spec, dict):
            roles[rid] = Role(rid, str(spec.get("title", rid)), str(spec.get("contact", "")),
                              str(spec.get("pager", "")), str(spec.get("phone", "")))
    return Pinned(runbook.id, runbook.file, digest(source), commit, uncommitted, scenario,
                  {k: v for k, v in values.items()},
                  tuple(PinnedRisk(r.id, r.title, r.rto_minutes) for r in active),
                  dict(sorted(roles.items())), source)


def pin_without_runbook(ws: Workspace, risks: Iterable[Risk], title: str | None,
                        severity: str | None) -> Pinned:
    """What starting an incident without a runbook pins: the risks it is about (with
    their RTOs), a title (the first risk's, by default) and the workspace's roles."""
    chosen = list(risks)
    if not chosen:
        raise InputError("an incident without a runbook names the risk it is about: pass "
                         "--risk RISK-ID")
    name = (title or "").strip() or chosen[0].title
    return Pinned("", "", "", None, False, None, {},
                  tuple(PinnedRisk(r.id, r.title, r.rto_minutes) for r in chosen),
                  dict(sorted(ws.roles.items())), "", name, (severity or "").strip())


def start(ws: Workspace, pin: Pinned, at: dt.datetime, by: str,
          incident_id: str | None = None) -> str:
    """Create the journal of a new incident with its start event; returns its id:
    ``incident_id``, else ``<date>-<runbook>`` (UTC date of ``at``), then ``-2``, ``-3``…
    when taken."""
    if not by.strip():
        raise InputError("no author: pass --by NAME")
    if incident_id is not None and not ID.fullmatch(incident_id):
        raise InputError(f"incident id {incident_id!r} must be letters, digits, '.', '_' "
                         "or '-', starting with a letter or digit (at most 100)")
    base = incident_id or f"{at.date().isoformat()}-{pin.runbook or _slug(pin)}"
    folder = ws.root / FOLDER
    folder.mkdir(exist_ok=True)
    first = new_event("start", at, by, **pin.start_data())
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}-{n}"
        try:
            os.mkdir(folder / candidate)
        except FileExistsError:
            if incident_id is not None:
                raise InputError(f"incident '{incident_id}' exists already "
                                 f"({journal_rel(incident_id)})") from None
            continue
        journal.create(folder / candidate / journal.NAME, first)
        return candidate
    raise InputError(f"too many incidents named {base}-N; pass --id")


def _slug(pin: Pinned) -> str:
    """The id's tail for an incident without a runbook: its first risk's id, lower case."""
    text = re.sub(r"[^a-z0-9]+", "-", pin.risks[0].id.lower()).strip("-") if pin.risks \
        else ""
    return text or "incident"


def record(incident: Incident, action: Action) -> Event:
    """Append the event of ``action`` to the incident's journal, through the guard rails
    (Refused, and nothing written, when they refuse)."""
    def checked(events: list[Event], problems: list[Problem]) -> Event:
        if not any(e.id == incident.start.id for e in events):
            raise Refused(f"the journal of incident {incident.id} lost its start event; "
                          "nothing was recorded")
        return decide(incident.id, events, incident.runbook, incident.pin, action)

    return journal.append(incident.path, incident.file, checked)

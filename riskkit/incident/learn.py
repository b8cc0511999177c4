"""Reading what the workspace's incidents teach (``riskkit.incident.records``): every
journal as an :class:`IncidentRecord`, and an action item found in any incident."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

from riskkit.incident.records import ActionItem, IncidentRecord, end_of, find_action, record_of
from riskkit.incident.state import incident_state
from riskkit.incident.store import Incident, journal_rel, journals, read_incident
from riskkit.problems import InputError, RiskkitError

if TYPE_CHECKING:
    from riskkit.workspace import Workspace


def read_records(ws: Workspace, as_of: dt.date, runbook: str | None = None
                 ) -> list[IncidentRecord]:
    """Every incident of the workspace as of the end of ``as_of`` (events after it are
    not counted; an incident started after it is not there), oldest first. With
    ``runbook``, only the incidents of that runbook (journals are matched by their text
    first, so an incident-time command reads no other). A journal that cannot be read is
    left out: ``validate`` reports it."""
    limit = end_of(as_of)
    needle = runbook.encode("utf-8") if runbook else None
    out: list[IncidentRecord] = []
    for incident_id, path in journals(ws).items():
        if needle is not None and not _mentions(path, needle):
            continue
        try:
            incident = read_incident(incident_id, path)
        except (RiskkitError, OSError, ValueError):
            continue
        if incident.start.at >= limit or (runbook is not None
                                          and incident.pin.runbook != runbook):
            continue
        events = [e for e in incident.events if e.at < limit]
        title, titles = incident.texts
        state = incident_state(incident.id, events, incident.runbook, incident.pin,
                               max(e.at for e in events), titles, title)
        out.append(record_of(incident_id, journal_rel(incident_id), events, state))
    return sorted(out, key=lambda r: (r.started_at, r.id))


def _mentions(path: os.PathLike[str] | str, needle: bytes) -> bool:
    """Whether a journal's text holds ``needle`` (its start line names its runbook)."""
    from riskkit.files.reading import searchable

    text = searchable(path)
    return text is None or needle in text


def incident_of_action(ws: Workspace, wanted: str) -> tuple[Incident, ActionItem]:
    """The incident holding the action item ``wanted`` names (its id, or a unique
    beginning of 4+ characters), among every incident of the workspace: InputError
    when none or several do."""
    from riskkit.incident.records import action_items

    found: list[tuple[Incident, ActionItem]] = []
    every: list[ActionItem] = []
    for incident_id, path in journals(ws).items():
        try:
            incident = read_incident(incident_id, path)
        except (RiskkitError, OSError, ValueError):
            continue
        items = action_items(incident.id, incident.file, incident.events)
        every += items
        item, _ = find_action(items, wanted)
        if item is not None:
            found.append((incident, item))
    if len(found) == 1:
        return found[0]
    _, why = find_action(every, wanted)
    if len(found) > 1:
        why = (f"'{wanted}' names action items of {len(found)} incidents "
               f"({', '.join(i.id for i, _ in found)}): give more of the id, or -i ID")
    raise InputError(f"cannot mark an action item done: {why}; nothing was recorded")

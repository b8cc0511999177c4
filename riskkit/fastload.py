"""Incident-time loading: one runbook and the risks and drills linked to it.

An emergency plan must come fast on any register and must not be stopped by a broken,
unrelated file, so these functions never read the whole register: risk files are found
through the link index (plus whatever changed since it was written), or by a cheap text
search, and only the candidates are parsed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from riskkit.load import Loaded, _id_of
from riskkit.problems import InputError, ProblemsFound, did_you_mean
from riskkit.register.risk import entries, load_risk, sort_key
from riskkit.runbook.model import Runbook, load_runbook
from riskkit.workspace import Workspace
from riskkit.files.yamlload import load_file


def _read(path: Path) -> bytes:
    """A file's bytes for a text search; an unreadable one (a folder, a broken link) is
    simply not a match: it is validate's business, not an incident's."""
    try:
        return path.read_bytes()
    except OSError:
        return b""


def load_runbook_only(ws: Workspace, runbook_id: str, as_of: dt.date) -> Loaded:
    """Load one runbook and the risks linked to it, without reading the whole register.

    Incident-time commands use this: their cost must not grow with the register, and a
    broken, unrelated risk file must not stop an emergency plan. Files are first matched
    by their text (a cheap byte search), then only the candidates are parsed.
    """
    loaded = Loaded(ws)
    scan = _start_scan(ws)  # runs beside the runbook's own loading
    candidates = [p for p in ws.files("runbooks") if p.stem == runbook_id]
    candidates += [p for p in ws.files("runbooks") if p.stem != runbook_id]
    needle = runbook_id.encode("utf-8")
    for path in candidates:
        if path.stem != runbook_id and needle not in _read(path):
            continue
        doc, problems = load_file(path, ws.rel(path))
        if doc is None and path.stem == runbook_id:  # its own file is broken: say where
            raise ProblemsFound(problems)
        if doc is None or _id_of(doc, ()) != runbook_id:
            continue
        runbook, more = load_runbook(doc, ws.roles)
        problems += more
        loaded.problems += problems
        if runbook is None or any(p.is_error for p in problems):
            raise ProblemsFound([p for p in problems if p.is_error])
        loaded.runbooks.append(runbook)
        break
    else:
        ids = []
        for path in ws.files("runbooks"):  # only on this error path: read every id
            doc, _ = load_file(path, ws.rel(path))
            ident = _id_of(doc, ()) if doc is not None else None
            if ident:
                ids.append(ident)
        raise InputError(f"unknown runbook '{runbook_id}'{did_you_mean(runbook_id, ids)}")
    runbook = loaded.runbooks[0]
    _add_linked(loaded, runbook, _linked_risk_files(ws, runbook, scan=scan))
    missing = set(runbook.risks) - {r.id for r in loaded.risks}
    if missing:  # declared by the runbook since the index was written: look for them
        _add_linked(loaded, runbook, _linked_risk_files(ws, runbook, sorted(missing)))
    loaded.risks.sort(key=sort_key)
    _drills_of(loaded, runbook, as_of)
    return loaded


def _left_out(loaded: Loaded, problems: list) -> None:
    """Say so when a risk that may answer this runbook cannot be shown: an on-call
    engineer must not lose an RTO without being told."""
    first = next((p for p in problems if p.is_error), None)
    if first is not None:
        loaded.notes.append(f"{first.format()}\n  a risk in this file is left out of the plan; "
                            "run riskkit validate")


def _add_linked(loaded: Loaded, runbook: Runbook, paths: list[Path]) -> None:
    ws = loaded.workspace
    seen = {r.id for r in loaded.risks}
    wanted = [i.encode("utf-8") for i in (runbook.id, *runbook.risks)]
    for path in paths:
        doc, problems = load_file(path, ws.rel(path))
        if doc is None:
            if any(w in _read(path) for w in wanted):
                _left_out(loaded, problems)
            continue
        for base in entries(doc, []):
            risk, problems = load_risk(doc, base, ws.matrix)
            if risk is None and any(w in _read(path) for w in wanted):
                _left_out(loaded, problems)
            if risk and risk.id not in seen and (risk.id in runbook.risks
                                                 or runbook.id in risk.runbooks):
                seen.add(risk.id)
                loaded.risks.append(risk)
                loaded.links.add((risk.id, runbook.id))


def _start_scan(ws: Workspace):
    """When a link index exists, start looking for the risk files changed since."""
    from riskkit.files import cache

    if not cache.enabled():
        return None
    since = cache.written_ns(ws.root, "links")
    return cache.start_changed_since(ws.root, "risks", since) if since else None


def _linked_risk_files(ws: Workspace, runbook: Runbook, ids=None, scan=None) -> list[Path]:
    """The risk files that may link to ``runbook``.

    From the link index written by the last full load, plus every risk file changed since
    then (one ``find`` walk): nothing that changed can be missed, and candidates are
    parsed and checked, so a candidate too many costs time, never correctness. Without an
    index, every risk file whose text mentions an id involved.
    """
    from riskkit.files import cache
    from riskkit.files import walk  # find's answer, read by the walker's rules

    changed = cache.changed_files(scan)
    index = cache.read(ws.root, "links", {}, {}) if ids is None and changed is not None \
        else None
    if index is not None:
        rels = set(index["by_runbook"].get(runbook.id, [])) | set(changed)
        return [ws.root / rel for rel in sorted(rels) if walk.wanted(rel)
                and (ws.root / rel).is_file()]
    ids = ids if ids is not None else list(runbook.risks) + [runbook.id]
    wanted = [i.encode("utf-8") for i in ids]
    return [p for p in ws.files("risks") if any(w in _read(p) for w in wanted)]


def _drills_of(loaded: Loaded, runbook: Runbook, as_of: dt.date) -> None:
    """The drill records of one runbook (matched by text first), for measured minutes.

    A broken drill file, or one dated after ``as_of``, is left out here; ``validate``
    reports it.
    """
    from riskkit.drill.model import load_drill

    needle = runbook.id.encode("utf-8")
    for path in loaded.workspace.files("drills"):
        if needle not in _read(path):
            continue
        doc, _ = load_file(path, loaded.workspace.rel(path))
        if doc is None or not isinstance(doc.data, dict) or doc.data.get("runbook") != runbook.id:
            continue
        drill, _ = load_drill(doc, {runbook.id: runbook}, as_of)
        if drill is not None:
            loaded.drills.append(drill)
    loaded.drills.sort(key=lambda d: (d.date, d.file))

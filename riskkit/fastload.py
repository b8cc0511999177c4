"""Incident-time loading: one runbook and the risks and drills linked to it.

An emergency plan must come fast on any register and must not be stopped by a broken,
unrelated file, so these functions never read the whole register: risk files are found
through the link index (plus whatever changed since it was written), or by a cheap text
search, and only the candidates are parsed.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from riskkit.load import Loaded, _id_of
from riskkit.problems import InputError, Problem, ProblemsFound, did_you_mean
from riskkit.register.risk import entries, load_risk, sort_key
from riskkit.runbook.model import Runbook, load_runbook
from riskkit.workspace import Workspace
from riskkit.files.yamlload import load_file

if TYPE_CHECKING:
    import subprocess


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
    _link_risks(loaded, runbook, scan)
    loaded.risks.sort(key=sort_key)
    _drills_of(loaded, runbook, as_of)
    return loaded


def _left_out(loaded: Loaded, problems: list[Problem]) -> None:
    """Say so when a risk that may answer this runbook cannot be shown: an on-call
    engineer must not lose an RTO without being told. The errors are kept too, so the
    plan itself says which file is missing (``riskkit.register.links``)."""
    errors = [p for p in problems if p.is_error]
    if errors:
        loaded.problems += errors
        loaded.notes.append(f"{errors[0].format()}\n  a risk in this file is left out of the "
                            "plan; run riskkit validate")


def _names(path: Path, ids: list[str]) -> bool:
    """Whether a file's text holds one of ``ids`` (a superset of the files that link)."""
    text = _read(path)
    return any(i.encode("utf-8") in text for i in ids)


def _add_linked(loaded: Loaded, runbook: Runbook, paths: list[Path],
                done: set[Path]) -> dict[str, str]:
    """Parse ``paths`` (those not in ``done``) and keep the risks linked to ``runbook``
    on either side; returns every risk id the files hold, with its file."""
    ws = loaded.workspace
    seen = {r.id for r in loaded.risks}
    ids = [runbook.id, *runbook.risks]
    held: dict[str, str] = {}
    for path in paths:
        if path in done:
            continue
        done.add(path)
        doc, problems = load_file(path, ws.rel(path))
        if doc is None:
            if _names(path, ids):
                _left_out(loaded, problems)
            continue
        for base in entries(doc, []):
            ident = _id_of(doc, base)
            if ident is not None:
                held.setdefault(ident, doc.path)
            risk, problems = load_risk(doc, base, ws.matrix)
            if risk is None and _names(path, ids):
                _left_out(loaded, problems)
            if risk and risk.id not in seen and (risk.id in runbook.risks
                                                 or runbook.id in risk.runbooks):
                seen.add(risk.id)
                loaded.risks.append(risk)
                loaded.links.add((risk.id, runbook.id))
    return held


def _link_risks(loaded: Loaded, runbook: Runbook, scan: Scan | None) -> None:
    """The risks linked to ``runbook`` on either side: the answer a full load gives.

    With the link index: the files it names (each must still hold the risk it held), the
    risk files that had errors, and, among the risk files changed since the index (and
    every file of a folder renamed or moved in since, whose files keep their ctime),
    those whose text names an id involved. In any doubt (a risk the index named is not
    where it was, a declared risk is not found) and without an index: every risk file
    whose text names an id involved. A candidate too many costs time, never correctness.
    """
    ws = loaded.workspace
    ids = [runbook.id, *runbook.risks]
    done: set[Path] = set()
    candidates = _indexed_candidates(ws, runbook, scan)
    if candidates is not None:
        claims, paths = candidates
        held = _add_linked(loaded, runbook, paths, done)
        if set(claims) <= set(held) and set(runbook.risks) <= {r.id for r in loaded.risks}:
            return
    _add_linked(loaded, runbook, [p for p in ws.files("risks") if _names(p, ids)], done)


class Scan(NamedTuple):
    """The link index as last written, and the ``find`` walk for what changed since."""

    links: dict[str, Any]
    walk: subprocess.Popen[bytes] | None


def _start_scan(ws: Workspace) -> Scan | None:
    """When a link index exists, start looking for the risk files and folders changed
    since the load that wrote it began (an index written long after its load, or moved
    in time, does not hide an edit made meanwhile)."""
    from riskkit.files import cache

    index, written = cache.read_timed(ws.root, "links")
    if not isinstance(index, dict) or not isinstance(index.get("by_runbook"), dict):
        return None
    started = index.get("started_ns")
    since = min(written, started) if isinstance(started, int) else written
    return Scan(index, cache.start_changed_since(ws.root, "risks", since))


def _indexed_candidates(ws: Workspace, runbook: Runbook, scan: Scan | None
                        ) -> tuple[dict[str, str], list[Path]] | None:
    """From the link index: the risks it links to ``runbook`` (id -> file) and the risk
    files to parse; None when there is no usable index or the walk failed."""
    from riskkit.files import cache
    from riskkit.files import walk  # find's answer, read by the walker's rules

    changed = cache.changed_files(scan.walk) if scan is not None else None
    if scan is None or changed is None:
        return None
    claims = scan.links["by_runbook"].get(runbook.id, {})
    known = scan.links.get("folders")
    if not isinstance(claims, dict) or not isinstance(known, dict):
        return None
    parse = {*claims.values(), *scan.links.get("broken", [])}
    search: set[str] = set()
    for rel in changed:
        if walk.hidden(rel):
            continue
        if (ws.root / rel).is_dir():
            search |= _moved_in(ws, rel, known)
        elif walk.wanted(rel):
            search.add(rel)
    ids = [runbook.id, *runbook.risks]
    paths = [ws.root / rel for rel in sorted(parse) if (ws.root / rel).exists()]
    paths += [ws.root / rel for rel in sorted(search - parse) if _names(ws.root / rel, ids)]
    return claims, paths


def _moved_in(ws: Workspace, folder: str, known: dict[str, int]) -> set[str]:
    """The files a changed folder may have gained without their own ctime changing: every
    file under a subfolder the index did not list there (renamed, moved in, unhidden, or
    swapped: another inode), and linked files."""
    from riskkit.files import walk

    try:
        with os.scandir(ws.root / folder) as listing:
            found = list(listing)
    except OSError:
        return set()
    out: set[str] = set()
    for entry in found:
        if entry.name.startswith("."):
            continue
        rel = f"{folder}/{entry.name}"
        try:
            is_folder = entry.is_dir()
            inode = os.stat(entry.path).st_ino if is_folder else None
        except OSError:
            is_folder, inode = False, None
        if is_folder and known.get(rel) != inode:
            below = walk.walk(entry.path)
            out.update(rel + p[len(entry.path):].replace(os.sep, "/") for p in below.files)
        elif not is_folder and entry.is_symlink() and walk.is_yaml(entry.name):
            out.add(rel)
    return out


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

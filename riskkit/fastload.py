"""Incident-time loading: one runbook and the risks and drills linked to it.

An emergency plan must come fast on any register and must not be stopped by a broken,
unrelated file, so these functions never read the whole register: risk files are found
through the link index (plus whatever changed since it was written), or by a cheap text
search, and only the candidates are parsed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from riskkit.load import Loaded, _id_of
from riskkit.problems import InputError, Problem, ProblemsFound, did_you_mean
from riskkit.register.risk import entries, load_risk, sort_key
from riskkit.runbook.model import Runbook, load_runbook
from riskkit.workspace import Workspace
from riskkit.files.linkindex import Scan, start_scan
from riskkit.files.yamlload import load_file


def _read(path: Path) -> bytes:
    """A file's bytes for a text search; an unreadable one (a folder, a broken link, a
    pipe, a device, one too big) is simply not a match: it is validate's business, not an
    incident's. The paths come from the walker, which refused links out of the
    repository."""
    from riskkit.files.reading import read_or_empty

    return read_or_empty(path)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a runbook is parsed and built: a runbook
    of thousands of steps is hundreds of thousands of new objects, none of them garbage,
    which the collector would walk again and again (two thirds of loading one of 10,000
    steps). Back as it was after, so the objects are collected as ever."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_runbook_only(ws: Workspace, runbook_id: str, as_of: dt.date,
                      scan: Scan | None = None) -> Loaded:
    """Load one runbook and the risks linked to it, without reading the whole register.

    Incident-time commands use this: their cost must not grow with the register, and a
    broken, unrelated risk file must not stop an emergency plan. Files are first matched
    by their text (a cheap byte search), then only the candidates are parsed. ``scan``:
    the walk of ``riskkit.files.linkindex.start_scan``, if the caller started it already
    (to import what it needs meanwhile; the caller ends it); else it starts here, beside
    the runbook's loading, and ends here whatever happens.
    """
    if scan is None:
        scan = start_scan(ws.root)
        try:
            return load_runbook_only(ws, runbook_id, as_of, scan)
        finally:
            scan.stop()  # read by now, or the load failed: no walk outlives it
    loaded = Loaded(ws, as_of=as_of, only_runbook=runbook_id)
    found = ws.walk("runbooks")
    files = [Path(p) for p in found.files]
    candidates = [p for p in files if p.stem == runbook_id]
    candidates += [p for p in files if p.stem != runbook_id]
    needle = runbook_id.encode("utf-8")
    for path in candidates:
        if path.stem != runbook_id and needle not in _read(path):
            continue
        with collector_paused():
            doc, problems = load_file(path, ws.rel(path))
        if doc is None and path.stem == runbook_id:  # its own file is broken: say where
            raise ProblemsFound(problems)
        if doc is None or _id_of(doc, ()) != runbook_id:
            continue
        with collector_paused():
            runbook, more = load_runbook(doc, ws.roles)
        problems += more
        loaded.problems += problems
        if runbook is None or any(p.is_error for p in problems):
            raise ProblemsFound([p for p in problems if p.is_error])
        loaded.runbooks.append(runbook)
        break
    else:
        # Its file may be one riskkit does not read (a link out of the repository), or in
        # a folder it cannot list: that is the answer, not "unknown runbook".
        hidden = [p for p in found.problems(ws.rel) if Path(p.path).stem == runbook_id
                  or p.code == "Y009"]
        if hidden:
            raise ProblemsFound(hidden)
        ids = []
        for path in files:  # only on this error path: read every id
            doc, _ = load_file(path, ws.rel(path))
            ident = _id_of(doc, ()) if doc is not None else None
            if ident:
                ids.append(ident)
        raise InputError(f"unknown runbook '{runbook_id}'{did_you_mean(runbook_id, ids)}")
    runbook = loaded.runbooks[0]
    _drills_of(loaded, runbook, as_of)  # before the risks: find may still be walking
    _link_risks(loaded, runbook, scan)
    loaded.risks.sort(key=sort_key)
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


def _names(path: Path, ids: list[str], inside: str | None = None) -> bool:
    """Whether a file's text holds one of ``ids`` (a superset of the files that link);
    a file riskkit does not read (a pipe, a device, too big; with ``inside``, one out of
    the repository) may hold anything, so it does."""
    from riskkit.files.reading import searchable

    text = searchable(path, inside)
    return text is None or any(i.encode("utf-8") in text for i in ids)


def _add_linked(loaded: Loaded, runbook: Runbook, paths: list[Path],
                done: set[Path], inside: str | None = None) -> dict[str, str]:
    """Parse ``paths`` (those not in ``done``) and keep the risks linked to ``runbook``
    on either side; returns every risk id the files hold, with its file. ``inside``:
    the paths were not found by the walker, so each must still lie in the repository."""
    ws = loaded.workspace
    seen = {r.id for r in loaded.risks}
    ids = [runbook.id, *runbook.risks]
    held: dict[str, str] = {}
    for path in paths:
        if path in done:
            continue
        done.add(path)
        doc, problems = load_file(path, ws.rel(path), inside=inside)
        if doc is None:
            if _names(path, ids, inside):
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


def _link_risks(loaded: Loaded, runbook: Runbook, scan: Scan) -> None:
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
        held = _add_linked(loaded, runbook, paths, done, ws.boundary)
        if set(claims) <= set(held) and set(runbook.risks) <= {r.id for r in loaded.risks}:
            return
    found = ws.walk("risks")
    _left_out(loaded, found.problems(ws.rel))  # links out, folders that cannot be listed
    _add_linked(loaded, runbook, [p for p in map(Path, found.files) if _names(p, ids)], done)


def _indexed_candidates(ws: Workspace, runbook: Runbook, scan: Scan
                        ) -> tuple[dict[str, str], list[Path]] | None:
    """From the link index: the risks it links to ``runbook`` (id -> file) and the risk
    files to parse; None when there is no usable index or the walk failed."""
    from riskkit.files import cache
    from riskkit.files import walk  # find's answer, read by the walker's rules

    changed = cache.changed_files(scan.walk)
    if scan.links is None or changed is None:
        return None
    claims = scan.links["by_runbook"].get(runbook.id, {})
    known = scan.links["folders"]
    parse = {*claims.values(), *scan.links["broken"]}
    search: set[str] = set()
    for rel in changed:
        if walk.hidden(rel):
            continue
        if (ws.root / rel).is_dir():
            search |= _moved_in(ws, rel, known)
        elif walk.wanted(rel):
            search.add(rel)
    ids = [runbook.id, *runbook.risks]
    # Named by the index or by find, not by the walker: each is read only if it still lies
    # in the repository (a link out of it is reported, never opened).
    paths = [ws.root / rel for rel in sorted(parse) if os.path.lexists(ws.root / rel)]
    paths += [ws.root / rel for rel in sorted(search - parse)
              if _names(ws.root / rel, ids, ws.boundary)]
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
            below = walk.walk(entry.path, inside=ws.boundary)
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


def load_risks_only(ws: Workspace, risk_ids: list[str]) -> list[Any]:
    """The risks of ``risk_ids``, in that order, without reading the whole register
    (risk files are matched by their text first): InputError for an id no risk file
    holds (with a did-you-mean), ProblemsFound when its file has errors."""
    found = ws.walk("risks")
    paths = [Path(p) for p in found.files if _names(Path(p), risk_ids)]
    risks: dict[str, Any] = {}
    broken: list[Problem] = []
    for path in paths:
        doc, problems = load_file(path, ws.rel(path))
        if doc is None:
            broken += [p for p in problems if p.is_error]
            continue
        for base in entries(doc, []):
            risk, more = load_risk(doc, base, ws.matrix)
            if risk is not None and risk.id in risk_ids:
                risks.setdefault(risk.id, risk)
            elif risk is None and _id_of(doc, base) in risk_ids:
                broken += [p for p in more if p.is_error]
    missing = [i for i in risk_ids if i not in risks]
    if missing and broken:
        raise ProblemsFound(broken)
    if missing:
        known: list[str] = []
        for path in map(Path, found.files):  # only on this error path: read every id
            doc, _ = load_file(path, ws.rel(path))
            if doc is not None:
                known += [i for i in (_id_of(doc, b) for b in entries(doc, [])) if i]
        raise InputError(f"unknown risk '{missing[0]}'{did_you_mean(missing[0], known)}")
    return [risks[i] for i in dict.fromkeys(risk_ids)]

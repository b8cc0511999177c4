"""``riskkit validate``: every problem of the workspace, answered from the cache when it can.

Importing this module is cheap on purpose: a cache hit needs only the file stats (not
even the settings: see ``cached``); the loaders are imported on a miss.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit.files.walk import Walk, walk
from riskkit.problems import Problem

if TYPE_CHECKING:
    from riskkit.files.cache import Stats
    from riskkit.workspace import Workspace


# Every folder whose files can change an answer: what validate and the views read.
FOLDERS = ("risks", "runbooks", "drills", "incidents", "templates", "alerts")


def inputs(root: Path, extra: Sequence[str] = ()) -> Stats:
    """(size, mtime, ctime, inode) of every file of the workspace that can change an
    answer: the folders above, riskkit.yaml and the ``extra`` files (``extra_inputs``)."""
    from riskkit.files import cache

    return cache.stats(root, FOLDERS, extra)


def extra_inputs(ws: Workspace) -> tuple[str, ...]:
    """The files besides the folders and riskkit.yaml that can change an answer: the
    matrix file riskkit.yaml names, if any."""
    from riskkit.workspace import matrix_file

    matrix = matrix_file(ws.settings_doc.data) if ws.settings_doc else None
    return (matrix,) if matrix else ()


def read_cached(root: Path, section: str, key: dict) -> object:
    """What ``section`` keeps for ``key``, if no input file changed since; None else.
    The workspace's settings are not read: riskkit.yaml is an input (``cache.read_for``)."""
    from riskkit.files import cache

    return cache.read_for(root, section, key, lambda extra: inputs(root, extra))


def cached(root: Path, as_of: dt.date) -> tuple[list[Problem], dict] | None:
    """validate's answer for the workspace at ``root`` from the cache, or None."""
    return from_cache(read_cached(root, "validate", {"as_of": as_of.isoformat()}))


def validate(ws: Workspace, extra: list[Path], as_of: dt.date,
             alerts: Sequence[Path] = ()) -> tuple[list[Problem], dict]:
    """Every problem of the workspace and the counts of what loaded, from the cache when
    nothing that could change the answer has changed since the last run."""
    from riskkit.files import cache

    own = extra_inputs(ws)
    files = inputs(ws.root, own) if not extra and not alerts and cache.enabled() else None
    key = {"as_of": as_of.isoformat()}
    if files is not None:
        stats = files
        hit = from_cache(cache.read_for(ws.root, "validate", key, lambda kept: stats if
                                        tuple(kept) == own else inputs(ws.root, kept)))
        if hit is not None:
            return hit
    from riskkit.load import load  # only on a miss: a hit needs none of the loaders

    loaded = load(ws, as_of, extra, alerts)
    counts = {"risks": len(loaded.risks), "runbooks": len(loaded.runbooks),
              "drills": len(loaded.drills)}
    if loaded.incidents:  # said only when there are journals
        counts["incidents"] = loaded.incidents
    if loaded.alert_rules is not None:  # said only when rule files were read
        counts["alerts"] = len(loaded.alert_rules.rules)
    if files is not None:
        cache.write(ws.root, "validate", key, files,
                    {"problems": [p.to_dict() for p in loaded.problems], "counts": counts},
                    own)
    return loaded.problems, counts


_PROBLEM = {"path": str, "line": int, "col": int, "code": str, "message": str,
            "severity": str}


def from_cache(value: object) -> tuple[list[Problem], dict[str, int]] | None:
    """The answer a cached value holds, or None (a miss) when it is not of the shape
    validate writes, down to every field's type: the cache can only skip work."""
    if not isinstance(value, dict) or set(value) != {"problems", "counts"}:
        return None
    problems, counts = problems_of(value["problems"]), value["counts"]
    if problems is None or not isinstance(counts, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in counts.items()):
        return None
    return problems, counts


def problems_of(found: object) -> list[Problem] | None:
    """The problems a cached list of ``Problem.to_dict()`` holds, or None when it is not
    exactly that, down to every field's type."""
    from riskkit.codes import Severity

    if not isinstance(found, list):
        return None
    severities = {s.value for s in Severity}
    problems = []
    for item in found:
        if not isinstance(item, dict) or set(item) != set(_PROBLEM) or not all(
                type(item[k]) is t for k, t in _PROBLEM.items()) \
                or item["severity"] not in severities:
            return None
        problems.append(Problem(**item))
    return problems


def filter_problems(problems: list[Problem], ws: Workspace, paths: list[str]) -> list[Problem]:
    """Only the problems in the files or folders the user named."""
    if not paths:
        return problems
    wanted = [ws.rel(p) for p in paths]

    def inside(path: str) -> bool:
        return any(path == w or path.startswith(w.rstrip("/") + "/") or w in (".", "")
                   for w in wanted)

    return [p for p in problems if inside(p.path)]


def expand(paths: list[str], inside: str | None = None) -> Walk:
    """The YAML files named by ``paths``, in the order given: a folder is walked by the
    one walker's rules (``riskkit.files.walk``), a file is taken as named, even hidden.
    The folders that cannot be read and the links refused come with them, for the caller
    to report. A link under a named folder may not lead out of ``inside`` (the
    workspace's repository) when the folder is in it, else out of the folder itself: a
    path the user names is read, a link a change slipped into it is not followed out."""
    from riskkit.files.reading import contained

    files: list[str] = []
    unreadable: list[tuple[str, str]] = []
    refused: list[tuple[str, str, str]] = []
    for raw in paths:
        if os.path.isdir(raw):
            real = os.path.realpath(raw)
            found = walk(raw, inside=inside if inside is not None and contained(real, inside)
                         else real)
            files += found.files
            unreadable += found.unreadable
            refused += found.refused
        else:
            files.append(raw)
    # A journal (incidents/<id>/journal) is not YAML: validate checks it with the rest,
    # and naming it only filters what is reported.
    return Walk([p for p in files if os.path.basename(p) not in ("riskkit.yaml", "journal")],
                unreadable, refused=refused)

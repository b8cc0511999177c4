"""``riskkit validate``: every problem of the workspace, answered from the cache when it can.

Importing this module is cheap on purpose: a cache hit needs only the workspace settings
and the file stats; the loaders are imported on a miss.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from riskkit.files.walk import Walk, walk
from riskkit.problems import Problem
from riskkit.workspace import Workspace, matrix_file


def validate(ws: Workspace, extra: list[Path], as_of: dt.date) -> tuple[list[Problem], dict]:
    """Every problem of the workspace and the counts of what loaded, from the cache when
    nothing that could change the answer has changed since the last run."""
    from riskkit.files import cache

    matrix = matrix_file(ws.settings_doc.data) if ws.settings_doc else None
    own = (matrix,) if matrix else ()
    folders = ("risks", "runbooks", "drills", "templates")
    files = cache.stats(ws.root, folders, own) if not extra and cache.enabled() else None
    key = {"as_of": as_of.isoformat()}
    if files is not None:
        hit = cache.read(ws.root, "validate", key, files)
        if hit is not None:
            return [Problem(**p) for p in hit["problems"]], hit["counts"]
    from riskkit.load import load  # only on a miss: a hit needs none of the loaders

    loaded = load(ws, as_of, extra)
    counts = {"risks": len(loaded.risks), "runbooks": len(loaded.runbooks),
              "drills": len(loaded.drills)}
    if files is not None:
        cache.write(ws.root, "validate", key, files,
                    {"problems": [p.to_dict() for p in loaded.problems], "counts": counts})
    return loaded.problems, counts


def filter_problems(problems: list[Problem], ws: Workspace, paths: list[str]) -> list[Problem]:
    """Only the problems in the files or folders the user named."""
    if not paths:
        return problems
    wanted = [ws.rel(p) for p in paths]

    def inside(path: str) -> bool:
        return any(path == w or path.startswith(w.rstrip("/") + "/") or w in (".", "")
                   for w in wanted)

    return [p for p in problems if inside(p.path)]


def expand(paths: list[str]) -> Walk:
    """The YAML files named by ``paths``, in the order given: a folder is walked by the
    one walker's rules (``riskkit.files.walk``), a file is taken as named, even hidden.
    The folders that cannot be read come with them, for the caller to report."""
    files: list[str] = []
    unreadable: list[tuple[str, str]] = []
    for raw in paths:
        if os.path.isdir(raw):
            found = walk(raw)
            files += found.files
            unreadable += found.unreadable
        else:
            files.append(raw)
    return Walk([p for p in files if os.path.basename(p) != "riskkit.yaml"], unreadable)

"""A view's answer, remembered: the second ``riskkit risks`` (or ``matrix``, ``review``,
``report``, ``drill plan``, ``runbook list``) on unchanged files prints what the first one
printed, without reading a risk.

An answer is what the view wrote, the problems of the files it left out, and its exit
status. It is kept under the key validate's result is kept under (every input file's
size, mtime, ctime and inode, riskkit's own files and schemas: ``riskkit.files.cache``)
and everything else the view's output depends on, which its caller gives: the options,
"today", the environment it reads, whether the output is a terminal. Each view keeps its
last answer only. A cached value of any other shape is a miss: the cache can only skip
work, never change an answer.

Importing this module is cheap on purpose, like ``riskkit.validation``: a hit needs only
the workspace settings and the file stats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from riskkit.files import cache
from riskkit.problems import Problem
from riskkit.validation import inputs, problems_of
from riskkit.workspace import Workspace

VIEW = re.compile(r"[a-z][a-z-]*")  # a view's name is part of its cache file's name


@dataclass(frozen=True)
class Answer:
    text: str  # what the view wrote, before ``emit`` made control characters visible
    painted: bool  # the text carries its own colour codes (``emit``'s ``painted``)
    problems: tuple[Problem, ...]  # the errors of the files the view left out
    status: int  # the exit status the view asked for itself (review --strict)


def stats(ws: Workspace) -> cache.Stats | None:
    """The stats of every file a view reads, or None when the cache is off."""
    return inputs(ws) if cache.enabled() else None


def recall(ws: Workspace, view: str, key: dict[str, Any], files: cache.Stats) -> Answer | None:
    """The answer ``view`` gave for exactly this key and these files, or None."""
    assert VIEW.fullmatch(view), view
    value = cache.read(ws.root, f"view-{view}", key, files)
    if not isinstance(value, dict) or set(value) != {"text", "painted", "problems", "status"}:
        return None
    text, painted, status = value["text"], value["painted"], value["status"]
    problems = problems_of(value["problems"])
    if type(text) is not str or type(painted) is not bool or type(status) is not int \
            or problems is None:
        return None
    return Answer(text, painted, tuple(problems), status)


def remember(ws: Workspace, view: str, key: dict[str, Any], files: cache.Stats,
             answer: Answer) -> None:
    assert VIEW.fullmatch(view), view
    cache.write(ws.root, f"view-{view}", key, files,
                {"text": answer.text, "painted": answer.painted,
                 "problems": [p.to_dict() for p in answer.problems], "status": answer.status})

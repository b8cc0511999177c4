"""A view's answer, remembered: the second ``riskkit risks`` (or ``matrix``, ``review``,
``report``, ``drill plan``, ``runbook list``) on unchanged files prints what the first one
printed, without reading a risk, or even the settings.

An answer is what the view wrote, the problems of the files it left out, and its exit
status. It is kept under the key validate's result is kept under (every input file's
size, mtime, ctime and inode, riskkit's own files and schemas: ``riskkit.files.cache``)
and everything else the view's output depends on, which its caller gives: the options,
"today", the environment it reads, whether the output is a terminal. Each view keeps its
last answer only. A cached value of any other shape is a miss: the cache can only skip
work, never change an answer.

Importing this module is cheap on purpose, like ``riskkit.validation``: a hit needs only
the file stats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskkit.files import cache
from riskkit.files.fsutil import Text
from riskkit.problems import Problem
from riskkit.validation import inputs, problems_of

VIEW = re.compile(r"[a-z][a-z-]*")  # a view's name is part of its cache file's name


@dataclass(frozen=True)
class Answer:
    """What a view printed, and what it said besides, kept for the next run."""

    text: Text  # what the view wrote, its control characters made visible (``emit``)
    problems: tuple[Problem, ...]  # the errors of the files the view left out
    status: int  # the exit status the view asked for itself (review --strict)


def recall(root: Path, view: str, key: dict[str, Any]) -> Answer | None:
    """The answer ``view`` gave for exactly this key, if none of the workspace's files
    changed since; None else. The workspace's settings are not read."""
    assert VIEW.fullmatch(view), view
    found = cache.read_with_text(root, f"view-{view}", key, lambda extra: inputs(root, extra))
    if found is None:
        return None
    value, text = found
    if not isinstance(value, dict) or set(value) != {"problems", "status"}:
        return None
    status, problems = value["status"], problems_of(value["problems"])
    if type(status) is not int or problems is None:
        return None
    return Answer(text, tuple(problems), status)


def remember(root: Path, view: str, key: dict[str, Any], files: cache.Stats,
             answer: Answer, extra: Sequence[str] = ()) -> None:
    """Keep ``answer`` for ``key`` and ``files`` (their stats taken before the view read
    them; ``extra`` names the files of them besides the folders: ``validation.inputs``).
    Its text goes in a file of its own: the answer of 50,000 risks is 80 MB of JSON."""
    assert VIEW.fullmatch(view), view
    cache.write(root, f"view-{view}", key, files,
                {"problems": [p.to_dict() for p in answer.problems], "status": answer.status},
                extra, text=answer.text)

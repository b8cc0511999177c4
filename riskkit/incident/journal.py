"""The journal: one incident's events, one JSON object a line, only ever appended to.

Each line is ``{"at": "2026-12-01T10:21:00Z", "event": "<random id>", "by": "dana",
"kind": "done", ...data}``. Lines are written whole, each in one ``write`` on a file
opened for appending, then flushed to disk; a journal is never rewritten, so two clones
that each append merge in git line by line (``merge=union`` in .gitattributes). After
such a merge the lines of the two clones may interleave out of time order: readers sort
them by time, keeping the file's order among equal times.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.incident.times import iso, read_iso
from riskkit.problems import Problem

if TYPE_CHECKING:
    from riskkit.workspace import Workspace

FOLDER = "incidents"
NAME = "journal"  # incidents/<id>/journal
HEAD = ("at", "event", "by", "kind")  # every event's own fields, first on its line
MAX_LINE = 4 * 1024 * 1024  # a start event holds the runbook's source; nothing needs more
KINDS = ("start", "begin", "done", "skip", "reopen", "approve", "assign", "handover",
         "note", "status-update", "close", "action", "action-done")
AFTER_CLOSE = ("action", "action-done")  # follow-ups: the only events a closed incident takes
STEP_KINDS = ("begin", "done", "skip", "reopen", "approve")


def journal_rel(incident_id: str) -> str:
    return f"{FOLDER}/{incident_id}/{NAME}"


def journals(ws: Workspace) -> dict[str, Path]:
    """Every journal of the workspace, by incident id (``incidents/<id>/journal``),
    found by the one walker's rules (hidden folders are skipped)."""
    from riskkit.files.walk import walk

    top = ws.root / FOLDER
    found: dict[str, Path] = {}
    for path in walk(top, yaml_only=False, inside=ws.boundary).files:  # no link out of the repository
        parts = Path(path).relative_to(top).parts
        if len(parts) == 2 and parts[1] == NAME:
            found[parts[0]] = Path(path)
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Event:
    """One line of a journal: when, who, what, and the kind's own data."""

    at: dt.datetime
    id: str
    by: str
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)
    line: int = 0  # in the file, from 1 (0 for an event not written yet)

    @property
    def step(self) -> str | None:
        value = self.data.get("step")
        return value if isinstance(value, str) else None

    def text(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "event": self.id, "by": self.by, "kind": self.kind,
                **{k: v for k, v in self.data.items() if k not in HEAD}}


def new_event(kind: str, at: dt.datetime, by: str, **data: Any) -> Event:
    """An event to append, with a random id: two identical actions in two clones stay
    two lines after a merge, never one. Optional data given as None is left out (the
    start event keeps every field, a missing commit as null)."""
    return Event(at, os.urandom(8).hex(), by, kind,
                 {k: v for k, v in data.items() if v is not None or kind == "start"})


def encode(event: Event) -> bytes:
    """The event as its journal line, newline included."""
    return (json.dumps(event.to_dict(), ensure_ascii=False, separators=(", ", ": "))
            + "\n").encode("utf-8")


def parse(raw: bytes, display: str) -> tuple[list[Event], list[Problem]]:
    """The events of a journal's bytes in file order, and a problem (I001) for each line
    that is not one (not JSON, not an object, a field missing or of the wrong type)."""
    events: list[Event] = []
    problems: list[Problem] = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        why, col, event = _event(line)
        if event is None:
            problems.append(Problem(display, number, col, "I001",
                                    f"not a journal event: {why}"))
        else:
            events.append(replace(event, line=number))
    return events, problems


def _event(line: bytes) -> tuple[str, int, Event | None]:
    """A line as an event, or why it is not one and the column where that shows."""
    try:
        data = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return "the line is not UTF-8 text", exc.start + 1, None
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}", exc.colno, None
    if not isinstance(data, dict):
        return "a line holds one JSON object", 1, None
    for key in HEAD:
        if not isinstance(data.get(key), str) or not data[key]:
            return f"'{key}' is missing or not a text", 1, None
    try:
        at = read_iso(data["at"])
    except ValueError:
        return f"'at' is not a time with its offset: {data['at']!r}", 1, None
    return "", 1, Event(at, data["event"], data["by"], data["kind"],
                        {k: v for k, v in data.items() if k not in HEAD})


def in_time_order(events: list[Event]) -> list[Event]:
    """Events sorted by time; among equal times, in the order of the file."""
    return sorted(events, key=lambda e: (e.at, e.line))


MAX_BYTES = 64 * 1024 * 1024  # events of a few hundred bytes: far more than any incident


def read(path: str | os.PathLike[str], display: str) -> tuple[list[Event], list[Problem]]:
    """A journal's events in file order, and the lines that are not events. A journal
    that is not a regular file (a pipe, a device) or is over :data:`MAX_BYTES` is an
    OSError saying so, never read (``riskkit.files.reading``)."""
    from riskkit.files.reading import Refused, read_bytes

    try:
        raw = read_bytes(path, limit=MAX_BYTES)
    except Refused as refused:
        raise OSError(refused.reason) from None
    return parse(raw, display)


def create(path: str | os.PathLike[str], first: Event) -> None:
    """A new journal holding ``first``; FileExistsError when there is one already."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
    try:
        _write(fd, encode(first))
    finally:
        os.close(fd)


@contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[int]:
    """The journal open for appending, locked against other riskkit processes on this
    machine, so that a check and the append it allows cannot interleave with another's."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def content(fd: int) -> bytes:
    """Everything in the journal open at ``fd``."""
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def append(path: str | os.PathLike[str], display: str,
           decide: Callable[[list[Event], list[Problem]], Event]) -> Event:
    """Append the event ``decide`` returns, given the journal's events (file order) and
    its unreadable lines; ``decide`` raises to refuse, and then nothing is written."""
    with locked(path) as fd:
        raw = content(fd)
        events, problems = parse(raw, display)
        event = decide(events, problems)
        line = encode(event)
        if raw and not raw.endswith(b"\n"):  # a torn or hand-edited last line stays apart
            line = b"\n" + line
        _write(fd, line)
        return event


def _write(fd: int, line: bytes) -> None:
    """One write of the whole line, then to disk; a short write is an error."""
    if len(line) > MAX_LINE:
        raise ValueError(f"a journal event is limited to {MAX_LINE // (1024 * 1024)} MB")
    written = os.write(fd, line)
    if written != len(line):
        raise OSError(f"only {written} of {len(line)} bytes of the event were written")
    os.fsync(fd)

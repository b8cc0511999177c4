"""Times of an incident: what ``--at`` accepts, and how times are written and shown.

A journal holds UTC times to the second (``2026-12-01T10:21:00Z``). On the command line a
time is ISO 8601 with an offset, or ``HH:MM`` meaning today in the local time zone; a
time without an offset is refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re

UTC = dt.timezone.utc
_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


class TimeError(ValueError):
    """A time the user gave cannot be read; the message says what is accepted."""


def parse_at(text: str, today: dt.date) -> dt.datetime:
    """``text`` as an aware UTC time: ISO 8601 with an offset (``Z``, ``+01:00``), or
    ``HH:MM[:SS]`` on ``today`` in the local time zone (the process's ``TZ``)."""
    value = text.strip()
    clock = _CLOCK_TIME.fullmatch(value)
    if clock:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        try:
            local = dt.datetime.combine(today, dt.time(hour, minute, second))
        except ValueError:
            raise TimeError(f"{text!r} is not a time of day (HH:MM, 00:00 to 23:59)") from None
        return utc(local.astimezone())  # a naive time is read in the local zone
    iso = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        parsed = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise TimeError(f"{text!r} is not a time: give HH:MM (today, local time) or ISO "
                        "8601 with an offset, such as 2026-12-01T10:21:00Z or "
                        "2026-12-01T11:21+01:00") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimeError(f"{text!r} has no UTC offset, so it could be any of 24 times: add "
                        "Z or an offset such as +01:00, or give HH:MM for today")
    return utc(parsed)


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, to the second (a journal records no finer)."""
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """The journal's form: ``2026-12-01T10:21:00Z``."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_iso(text: str) -> dt.datetime:
    """A journal time back (``…Z`` or an offset); ValueError when it is not one."""
    iso_text = text[:-1] + "+00:00" if text.endswith("Z") else text
    parsed = dt.datetime.fromisoformat(iso_text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return utc(parsed)


def minutes(start: dt.datetime, end: dt.datetime) -> float:
    """Minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).total_seconds() / 60


def shown(moment: dt.datetime, day: dt.date | None = None) -> str:
    """A time for people, in UTC: ``10:21 UTC``, with the date when it is not ``day``."""
    moment = utc(moment)
    clock = moment.strftime("%H:%M") if moment.second == 0 else moment.strftime("%H:%M:%S")
    if day is not None and moment.date() == day:
        return f"{clock} UTC"
    return f"{moment.date().isoformat()} {clock} UTC"


def number(value: float) -> float | int:
    """Minutes as shown and in JSON: a whole number as an int, else one decimal."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded

"""Date arithmetic that cannot overflow.

Every date a user writes between 0001-01-01 and 9999-12-31 is valid, and so is every
``--as-of``; an interval added to one of them (a review cadence, a drill interval, an RTO)
may land past the calendar's end. Python raises OverflowError there; riskkit saturates
instead: the answer is the calendar's last (or first) day, which is later (or earlier)
than any date a file can hold, so every comparison still comes out right.
"""

from __future__ import annotations

import datetime as dt


def add_days(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days`` (may be negative), kept within 0001-01-01..9999-12-31."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def add_minutes(moment: dt.datetime, minutes: float) -> dt.datetime:
    """``moment`` plus ``minutes`` (may be negative), kept within the calendar; the time
    zone, if any, is kept."""
    try:
        return moment + dt.timedelta(minutes=minutes)
    except OverflowError:
        edge = dt.datetime.max if minutes > 0 else dt.datetime.min
        return edge.replace(tzinfo=moment.tzinfo)

"""The quarter's drills as an iCalendar file (RFC 5545), for the team's calendar.

Each runbook due for a drill is an all-day event on a proposed day: one a week, on
Tuesdays from the quarter's first, riskiest first (the plan's order), for people to move
in their calendar. Its UID is the quarter, the runbook and the register's name, so a
calendar that imports the file again updates the events instead of adding copies; its
DTSTAMP is the as-of day, never the clock, so the same plan is the same bytes.

RFC 5545's rules are kept: CRLF line ends, lines folded at 75 octets (never inside a
UTF-8 character), and ``\\``, ``;``, ``,`` and line breaks escaped in text.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from riskkit.dates import add_days
from riskkit.problems import visible

PRODID = "-//riskkit//drill plan//EN"
LIMIT = 75  # octets a line, CRLF not counted (RFC 5545, 3.1)


def text(value: object) -> str:
    """A TEXT value: backslash, semicolon, comma and line breaks escaped (3.3.11); a
    control character shown as ``\\u001b`` text, never sent."""
    out = str(value).replace("\r\n", "\n").replace("\r", "\n")
    out = visible(out.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                  .replace("\n", "\\n"))
    return out


def fold(line: str) -> str:
    """``line`` folded into lines of at most 75 octets, each continuation starting with a
    space, ending in CRLF (3.1); a UTF-8 character is never split."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > LIMIT:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out) + "\r\n"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "riskkit"


def proposed_days(quarter_start: dt.date, quarter_end: dt.date, count: int) -> list[dt.date]:
    """One day a week, Tuesdays from the quarter's first, for ``count`` drills; when they
    are more than the quarter's Tuesdays, the weeks are used again."""
    first = add_days(quarter_start, (1 - quarter_start.weekday()) % 7)
    tuesdays = []
    day = first
    while day <= quarter_end:
        tuesdays.append(day)
        if day > dt.date.max - dt.timedelta(days=7):  # the calendar's last week
            break
        day += dt.timedelta(days=7)
    return [tuesdays[i % len(tuesdays)] for i in range(count)]


def _stamp(day: dt.date) -> str:
    return f"{day:%Y%m%d}T000000Z"


def drill_plan_ics(data: dict[str, Any], as_of: dt.date | None = None,
                   calendar: str = "") -> str:
    """``data``: ``{"quarter": "2027Q1", "due": [...]}`` as ``drill.model.plan`` ranks it;
    ``as_of`` gives DTSTAMP; ``calendar`` names the register (in the UIDs, the title)."""
    from riskkit.drill.model import parse_quarter

    quarter = data["quarter"]
    start, end = parse_quarter(quarter)
    stamp = _stamp(as_of or start)
    name = calendar or "riskkit"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{text(name + ': drills ' + quarter)}"]
    days = proposed_days(start, end, len(data["due"]))
    for item, day in zip(data["due"], days):
        runbook = item["runbook"]
        last = item.get("last_drill") or "never"
        summary = f"Drill {runbook}: {item.get('title') or runbook}"
        uid = f"drill-{quarter}-{runbook}@{slug(name)}.riskkit"
        description = "\n".join([
            item["reason"],
            f"Risks: {', '.join(item.get('risks') or []) or '-'}",
            f"Last drill: {last}",
            f"Checklist: riskkit drill checklist {runbook} --format html -o {runbook}.html",
            "The day is a proposal: move the event to the day the drill is held.",
        ])
        lines += [
            "BEGIN:VEVENT",
            f"UID:{text(uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{add_days(day, 1):%Y%m%d}",
            f"SUMMARY:{text(summary)}",
            f"DESCRIPTION:{text(description)}",
            f"CATEGORIES:{text('drill')},{text(item['level'])}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)

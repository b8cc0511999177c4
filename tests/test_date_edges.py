"""Dates at the calendar's edges: whatever validate accepts, every command answers.

Reviews, acceptances, treatments, drills and findings dated 0001-01-01 or 9999-12-31,
and --as-of on those days: adding a cadence or an interval to them would run off the
calendar (OverflowError in Python); riskkit saturates instead, so the answers stay right.
"""

from __future__ import annotations

import datetime as dt

import pytest

from riskkit.dates import add_days, add_minutes

from conftest import invoke

RISK = """\
id: RSK-1
title: Ledger lost
owner: team-data
status: {status}
likelihood: 4
impact: 5
runbooks: [rb]
review: {{last: {day}, by: dana}}
acceptance: {{by: sofia, since: {day}, until: {until}}}
treatment: {{strategy: mitigate, rationale: r, due: {until}}}
"""

RUNBOOK = """\
id: rb
title: Fail over
triggers: [The primary stops answering]
steps:
  - {id: promote, title: Promote the replica, role: dba, minutes: 10}
"""

DRILL = """\
runbook: rb
date: {day}
kind: tabletop
participants: [{{name: dana, role: dba}}]
outcome: partial
findings: [{{title: Alert too late, owner: team-data, due: {until}}}]
"""

LAST, FIRST = "9999-12-31", "0001-01-01"
# (as of, the day things happened, the day they are due or end)
CASES = [
    (LAST, LAST, LAST),
    (LAST, "9999-12-20", LAST),  # an acceptance ending within 30 days of the last day
    (LAST, FIRST, FIRST),  # everything overdue by nearly ten thousand years
    (LAST, FIRST, LAST),
    (FIRST, FIRST, FIRST),
    (FIRST, FIRST, LAST),
    ("2026-11-26", FIRST, LAST),
]

COMMANDS = [
    ["validate"], ["validate", "--format", "json"],
    ["risks"], ["risks", "--sort", "review"], ["risks", "--format", "json"],
    ["matrix"], ["review"], ["review", "--format", "json"], ["review", "--format", "md"],
    ["report", "-o", "{out}"],
    ["runbook", "list"], ["runbook", "show", "rb"], ["runbook", "render", "rb"],
    ["runbook", "render", "rb", "--format", "html"], ["runbook", "graph", "rb"],
    ["drill", "plan", "--quarter", "{quarter}"],
    ["drill", "plan", "--quarter", "{quarter}", "--format", "ics"],
    ["drill", "checklist", "rb"],
    ["retro", "--quarter", "{quarter}"], ["retro", "--quarter", "{quarter}", "--format", "json"],
    ["export", "--sqlite", "{db}"], ["site", "-o", "{site}"],
]


@pytest.mark.parametrize("status", ["accepted", "mitigating"])
@pytest.mark.parametrize("as_of,day,until", CASES)
def test_every_command_answers_at_the_edges_of_the_calendar(make_ws, tmp_path, as_of, day,
                                                            until, status):
    root = make_ws({"risks/r.yaml": RISK.format(status=status, day=day, until=until),
                    "runbooks/rb.yaml": RUNBOOK,
                    "drills/d.yaml": DRILL.format(day=day, until=until)})
    quarter = f"{as_of[:4]}Q{(int(as_of[5:7]) - 1) // 3 + 1}"
    validated = invoke("-C", root, "validate", "--as-of", as_of)
    assert validated.exit_code == 0, validated.stdout  # the files are valid on that day
    argv_done: list[list[str]] = []
    for args in COMMANDS:
        argv = [a.format(out=tmp_path / "report.html", quarter=quarter,
                         db=tmp_path / f"{len(argv_done)}.db",
                         site=tmp_path / f"site-{len(argv_done)}") for a in args]
        argv_done.append(argv)
        result = invoke("-C", root, *argv, "--as-of", as_of)  # a crash raises here
        assert result.exit_code in (0, 1), (argv, result.stdout, result.stderr)


def review_kinds(root, as_of: str) -> dict[str, str]:
    result = invoke("-C", root, "review", "--format", "json", "--as-of", as_of)
    import json

    return {f["kind"]: f["message"] for f in json.loads(result.stdout)["findings"]}


def test_what_is_due_past_the_calendar_is_not_overdue(make_ws):
    """Reviewed on 9999-12-30 with a 30-day cadence: due after the calendar ends, so not
    overdue on its last day; an acceptance ending that day is expiring, not expired."""
    root = make_ws({"risks/r.yaml": RISK.format(status="accepted", day="9999-12-30",
                                                until=LAST),
                    "runbooks/rb.yaml": RUNBOOK,
                    "drills/d.yaml": DRILL.format(day="9999-12-30", until=LAST)})
    kinds = review_kinds(root, LAST)
    assert "review-overdue" not in kinds and "drill-overdue" not in kinds
    assert "acceptance-expired" not in kinds
    assert "expires on 9999-12-31 (in 1 days)" in kinds["acceptance-expiring"] \
        or "(in 0 days)" in kinds["acceptance-expiring"]


def test_what_happened_on_the_first_day_is_overdue_on_the_last(make_ws):
    root = make_ws({"risks/r.yaml": RISK.format(status="accepted", day=FIRST, until=FIRST),
                    "runbooks/rb.yaml": RUNBOOK,
                    "drills/d.yaml": DRILL.format(day=FIRST, until=FIRST)})
    kinds = review_kinds(root, LAST)
    late = (dt.date.max - dt.date.min).days
    assert f"{late - 30} days past its 30-day cadence" in kinds["review-overdue"]
    assert f"{late - 90} days past its 90-day interval" in kinds["drill-overdue"]
    assert "expired on 0001-01-01" in kinds["acceptance-expired"]


def test_init_on_the_last_day(tmp_path):
    result = invoke("init", tmp_path / "ws", "--as-of", LAST)
    assert result.exit_code == 0, result.output
    assert invoke("-C", tmp_path / "ws", "validate", "--as-of", LAST).exit_code == 0


@pytest.mark.parametrize("start,days,end", [
    (dt.date.max, 1, dt.date.max), (dt.date(9999, 12, 1), 10**9, dt.date.max),
    (dt.date.min, -1, dt.date.min), (dt.date(2026, 1, 1), 30, dt.date(2026, 1, 31)),
    (dt.date(2026, 1, 1), 10**12, dt.date.max),
])
def test_adding_days_saturates(start, days, end):
    assert add_days(start, days) == end


def test_adding_minutes_saturates_and_keeps_the_time_zone():
    utc = dt.timezone.utc
    assert add_minutes(dt.datetime(9999, 12, 31, 23, 0, tzinfo=utc), 120) == \
        dt.datetime.max.replace(tzinfo=utc)
    assert add_minutes(dt.datetime(1, 1, 1, 0, 30), -60) == dt.datetime.min
    assert add_minutes(dt.datetime(2026, 1, 1), 1e18) == dt.datetime.max
    assert add_minutes(dt.datetime(2026, 1, 1), 90) == dt.datetime(2026, 1, 1, 1, 30)

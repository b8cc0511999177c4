"""`drill plan --format ics`: the quarter's drills as RFC 5545 events, read back by a real
iCalendar parser."""

from __future__ import annotations

import datetime as dt
import re

import icalendar

from conftest import REPO
from riskkit.exchange.ics import drill_plan_ics, fold, proposed_days

ARGS = ("drill", "plan", "--quarter", "2027Q1", "--format", "ics", "--as-of", "2026-11-26")


def plan_ics(run, *extra: str) -> str:
    result = run("-C", REPO, *ARGS, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes.decode("utf-8")  # .stdout would turn CRLF into LF


def test_a_real_parser_reads_the_quarters_drills(run):
    text = plan_ics(run)
    table = run("-C", REPO, "drill", "plan", "--quarter", "2027Q1", "--format", "json",
                "--as-of", "2026-11-26")
    import json

    due = json.loads(table.stdout)["due"]
    calendar = icalendar.Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]).split(":")[0] for e in events] == \
        [f"Drill {d['runbook']}" for d in due]
    first = events[0]
    assert first["DTSTART"].dt == dt.date(2027, 1, 5)  # the quarter's first Tuesday
    assert first["DTEND"].dt == dt.date(2027, 1, 6)
    assert events[1]["DTSTART"].dt == dt.date(2027, 1, 12)  # a week later
    assert first["DTSTAMP"].dt == dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
    assert str(first["UID"]) == f"drill-2027Q1-{due[0]['runbook']}@larkspur-payments.riskkit"
    description = str(first["DESCRIPTION"])
    assert description.splitlines()[0] == due[0]["reason"]  # ; and , read back as written
    assert str(calendar["X-WR-CALNAME"]) == "Larkspur Payments: drills 2027Q1"


def test_the_file_keeps_rfc_5545s_rules(run):
    text = plan_ics(run)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines), "long lines are folded"
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"


def test_the_same_plan_is_the_same_bytes_and_uids_are_stable(run):
    first = plan_ics(run)
    assert plan_ics(run) == first
    later = run("-C", REPO, *ARGS[:-1], "2026-12-01").stdout_bytes.decode()
    uids = re.findall(r"^UID:(.*)\r$", first, re.M)
    assert re.findall(r"^UID:(.*)\r$", later, re.M) == uids  # re-importing updates
    assert "DTSTAMP:20261201T000000Z" in later and later != first


def test_text_is_escaped_and_folded_without_splitting_a_character():
    data = {"quarter": "2027Q2", "due": [{
        "runbook": "rb", "title": "Fail over; then, check \\ this\nnow " + "é" * 60,
        "level": "high", "risks": ["R-1", "R-2"], "last_drill": None,
        "reason": "never drilled\x1b[2J"}]}
    text = drill_plan_ics(data, dt.date(2027, 1, 2), "Team, A")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\x1b" not in text
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Drill rb: Fail over; then, check \\ this\nnow " + "é" * 60
    assert str(event["DESCRIPTION"]).startswith("never drilled\\u001b[2J\nRisks: R-1, R-2")
    assert str(event["UID"]) == "drill-2027Q2-rb@team-a.riskkit"
    assert event["DTSTART"].dt == dt.date(2027, 4, 6)


def test_folding_counts_octets():
    line = "X:" + "€" * 40  # three octets each
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "").rstrip("\r\n") == line


def test_more_drills_than_weeks_use_the_weeks_again():
    days = proposed_days(dt.date(2027, 1, 1), dt.date(2027, 3, 31), 15)
    assert days[0] == dt.date(2027, 1, 5) and days[12] == dt.date(2027, 3, 30)
    assert days[13] == days[0] and all(d.weekday() == 1 for d in days)


def test_nothing_due_is_an_empty_calendar(run):
    text = plan_ics(run, "--max", "1")
    assert text.count("BEGIN:VEVENT") == 1
    empty = drill_plan_ics({"quarter": "2027Q1", "due": []}, dt.date(2026, 11, 26), "x")
    assert list(icalendar.Calendar.from_ical(empty).walk("VEVENT")) == []


def test_a_file_written_with_o_is_the_same_bytes(run, tmp_path):
    out = tmp_path / "drills.ics"
    assert run("-C", REPO, *ARGS, "-o", out).exit_code == 0
    assert out.read_bytes() == plan_ics(run).encode("utf-8")

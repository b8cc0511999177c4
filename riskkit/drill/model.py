"""Drills: records of runbooks exercised, the quarterly plan, and measured durations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riskkit.register import rules
from riskkit.runbook.measure import RECENT, Measured, Sample, medians
from riskkit.files import schemacheck
from riskkit.files.written import AsWritten
from riskkit.problems import InputError, Names, Problem, did_you_mean
from riskkit.files.yamlload import Doc

if TYPE_CHECKING:
    from riskkit.load import Loaded


@dataclass(frozen=True)
class StepResult(AsWritten):
    """How one step went in a drill: the minutes it took, whether it worked, a note."""

    minutes: float | None = None
    ok: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class DrillFinding(AsWritten):
    """Something a drill found to fix: who owns it, when it is due (as written), and
    whether it is done."""

    title: str
    owner: str | None = None
    due: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Drill:
    """One drill record: a runbook exercised on a date, how it went, and what each step took."""

    runbook: str
    date: dt.date
    kind: str
    outcome: str
    scenario: str | None = None
    commit: str | None = None
    participants: tuple = ()
    steps: dict[str, StepResult] = field(default_factory=dict, compare=False)
    findings: tuple[DrillFinding, ...] = ()
    file: str = ""
    line: int = 1
    doc: Doc | None = field(default=None, compare=False, repr=False)


def load_drill(doc: Doc, runbooks: dict, as_of: dt.date,
               known: set[str] | None = None) -> tuple[Drill | None, list[Problem]]:
    """Check a drill record against the schema and the runbook it names.

    ``known`` are runbook ids that exist but did not load (they have problems of their
    own): a drill of one is not "unknown", its steps just cannot be checked now.
    """
    data = doc.data
    problems = schemacheck.check("drill", doc)
    if problems:
        return None, problems
    name = data["runbook"]
    subject = f"drill of {name} on {data['date']}"
    # A record is history: a runbook, step or scenario it names may have been renamed or
    # removed since. That is a warning at the record (the runbook is not wrong), and what
    # is unknown is just not counted. The record's commit says what it was drilled against.
    since = f"commit {data['commit']}" if data.get("commit") else "the drill"
    steps = {k: StepResult.from_dict(v) for k, v in data.get("steps", {}).items()}
    runbook = runbooks.get(name)
    if runbook is None and name in (known or ()):
        pass
    elif runbook is None:
        problems.append(doc.problem(("runbook",), "D001",
                                    f"{subject}: unknown runbook '{name}'"
                                    f"{did_you_mean(name, runbooks)}: renamed or removed "
                                    f"since {since}? the drill counts for no runbook"))
    else:
        ids = {s.id for s in runbook.steps}
        names: Names | None = None  # made once, when a step is unknown
        for step_id in list(steps):
            if step_id not in ids:
                del steps[step_id]
                names = names or Names(ids)
                problems.append(doc.problem(("steps", step_id), "D002",
                                            f"{subject}: unknown step '{step_id}'"
                                            f"{did_you_mean(step_id, names)}: renamed or removed "
                                            f"since {since}? its minutes are not counted",
                                            key=True))
        scenario = data.get("scenario")
        if scenario and scenario not in runbook.scenarios:
            problems.append(doc.problem(("scenario",), "D004",
                                        f"{subject}: unknown scenario '{scenario}'"
                                        f"{did_you_mean(scenario, runbook.scenarios)}: "
                                        f"renamed or removed since {since}?"))
    date = dt.date.fromisoformat(data["date"])
    if date > as_of:
        problems.append(doc.problem(("date",), "D003", f"{subject}: the date is after "
                                    f"{as_of.isoformat()} (a drill record is of the past)"))
    if any(p.is_error for p in problems):
        return None, problems
    return Drill(
        runbook=name, date=date, kind=data["kind"], outcome=data["outcome"],
        scenario=data.get("scenario"), commit=data.get("commit"),
        participants=tuple((p["name"], p["role"]) for p in data.get("participants", [])),
        steps=steps, findings=tuple(DrillFinding.from_dict(f) for f in data.get("findings", [])),
        file=doc.path, line=doc.at()[0], doc=doc,
    ), problems


RECENT_DRILLS = RECENT
"""How many drills a step's measured minutes come from: the most recent ones that timed it.

Recent drills weigh more than old ones, in the plainest way: a step's drilled minutes are
the median of the last ``RECENT_DRILLS`` drills that timed it (by date, then file), and
older drills no longer count. A team that got faster sees it after two drills; one slow
outlier among the three moves nothing. This is the one place that says so.

Closed incidents time steps too (``riskkit.incident.records``). The figure the ETA-vs-RTO
verdicts use counts them as measurements like drills: a step's measured minutes are the
median of its last ``RECENT_DRILLS`` measurements by date, drills and incidents alike
(``measured``); the drilled figure and the incidents' figure are also shown apart.
"""


def measured_minutes(drills: list[Drill], runbook_id: str) -> dict[str, float]:
    """The minutes each step of ``runbook_id`` took as drilled: the median of the most
    recent ``RECENT_DRILLS`` drills that timed the step."""
    return medians(_drill_samples(drills, runbook_id))


def _drill_samples(drills: list[Drill], runbook_id: str) -> list[Sample]:
    return [Sample(d.date, d.file, step_id, result.minutes)
            for d in drills if d.runbook == runbook_id
            for step_id, result in d.steps.items() if result.minutes is not None]


def measured(drills: list[Drill], runbook_id: str, incidents: Iterable[Sample] = ()
             ) -> Measured:
    """The measurements of ``runbook_id``'s steps, from its drills and the samples of
    its closed incidents (``riskkit.incident.records``)."""
    from_drills = _drill_samples(drills, runbook_id)
    from_incidents = list(incidents)
    return Measured(medians(from_drills + from_incidents), medians(from_drills),
                    medians(from_incidents))


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """``2027Q1`` -> (2027-01-01, 2027-03-31)."""
    match = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", text.strip())
    if not match:
        raise InputError(f"'{text}' is not a quarter (write it like 2027Q1)")
    year, q = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 9999:
        raise InputError(f"'{text}': the year is out of range")
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year, 12, 31) if q == 4 else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> str:
    return f"{day.year:04d}Q{(day.month - 1) // 3 + 1}"


def last_drills(drills: list[Drill]) -> dict[str, Drill]:
    out: dict[str, Drill] = {}
    for drill in sorted(drills, key=lambda d: (d.date, d.file)):
        out[drill.runbook] = drill
    return out


def plan(loaded: Loaded, quarter: str) -> list[dict]:
    """The runbooks due for a drill in ``quarter``, riskiest then stalest first, with why.

    A runbook needs drills when a linked risk's level has a ``drill_days`` interval; it is
    due when it was never drilled, or its last drill will be older than the interval by the
    quarter's end.
    """
    ws = loaded.workspace
    start, end = parse_quarter(quarter)
    quarter = quarter_of(start)  # 2027-q1 -> 2027Q1
    last = last_drills([d for d in loaded.drills if d.date <= end])
    due: list[dict[str, Any]] = []
    for runbook in loaded.runbooks:
        risks = loaded.risks_of(runbook.id)
        need = rules.drill_need(ws, risks)
        if need is None:
            continue
        top, interval = need.risk, need.interval_days
        previous = last.get(runbook.id)
        if previous is None:
            age, reason = None, (f"never drilled; linked to {top.level.id} {top.id} "
                                 f"(drill every {interval} days)")
        else:
            age = (end - previous.date).days
            if age < interval:
                continue
            reason = (f"last drilled {previous.date.isoformat()} ({previous.outcome}), "
                      f"{age} days before {quarter} ends; {top.level.id} {top.id} needs a "
                      f"drill every {interval} days")
        due.append({
            "runbook": runbook.id, "title": runbook.title, "severity": runbook.severity or None,
            "level": top.level.id, "level_rank": top.level.rank, "risk": top.id,
            "risks": [r.id for r in risks], "interval_days": interval,
            "last_drill": previous.date.isoformat() if previous else None,
            "last_outcome": previous.outcome if previous else None,
            "days_since": age, "reason": reason, "file": runbook.file,
        })
    due.sort(key=lambda d: (-d["level_rank"], d["last_drill"] is not None,
                            d["last_drill"] or "", d["runbook"]))
    for rank, item in enumerate(due, 1):
        item["rank"] = rank
        del item["level_rank"]
    return due


def parse_finding(text: str) -> DrillFinding:
    """``TITLE[|OWNER[|DUE]]`` -> a finding record."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) > 3 or not parts[0]:
        raise InputError(f"--finding {text!r}: write TITLE, TITLE|OWNER or TITLE|OWNER|DUE")
    return DrillFinding(parts[0], owner=parts[1] if len(parts) > 1 and parts[1] else None,
                        due=parts[2] if len(parts) > 2 and parts[2] else None)


def next_quarter(day: dt.date) -> str:
    """The quarter after the one ``day`` is in: 2026-11-26 -> 2027Q1 (the last quarter
    there is has no next one, and stays itself)."""
    q = (day.month - 1) // 3 + 1
    if q == 4:
        return f"{day.year + 1:04d}Q1" if day.year < 9999 else f"{day.year}Q4"
    return f"{day.year:04d}Q{q + 1}"

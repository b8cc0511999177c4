"""``drill record``: a new drill record, validated before it is written, never overwriting."""

from __future__ import annotations

import datetime as dt
import math
import re

import yaml

from riskkit.drill.model import DrillFinding, load_drill, parse_finding
from riskkit.files.fsutil import write_atomic
from riskkit.git.info import commit_on, file_version
from riskkit.fastload import load_runbook_only
from riskkit.problems import InputError, ProblemsFound, did_you_mean
from riskkit.files.yamlload import load_text


def _day(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` as a date, or None: the only spelling a drill record holds."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _check_values(runbook, date: str, scenario, steps: dict, findings: list[str],
                  as_of: dt.date) -> list[DrillFinding]:
    """What the command line got wrong, said about the command line (no file exists yet);
    returns the findings as records."""
    errors = []
    day = _day(date)
    if day is None:
        errors.append(f"--date: {date!r} is not a valid date (YYYY-MM-DD)")
    elif day > as_of:
        errors.append(f"--date {date}: the date is after {as_of.isoformat()} (record "
                      "drills that have happened)")
    ids = [s.id for s in runbook.steps]
    for step_id, minutes in steps.items():
        if step_id not in ids:
            errors.append(f"--minutes: unknown step '{step_id}'{did_you_mean(step_id, ids)} "
                          f"in {runbook.id}")
        elif not math.isfinite(minutes):
            errors.append(f"--minutes {step_id}: {minutes} is not a number of minutes")
        elif minutes < 0:
            errors.append(f"--minutes {step_id}: {minutes} must be >= 0")
    if scenario and scenario not in runbook.scenarios:
        errors.append(f"--scenario: unknown scenario '{scenario}'"
                      f"{did_you_mean(scenario, runbook.scenarios)} in {runbook.id}")
    records = []
    for text in findings:
        try:
            finding = parse_finding(text)
        except InputError as exc:
            errors.append(str(exc))
            continue
        if finding.due is not None and _day(finding.due) is None:
            errors.append(f"--finding {text!r}: the due date {finding.due!r} is not a "
                          "valid date (YYYY-MM-DD)")
        records.append(finding)
    if errors:
        raise InputError("nothing was recorded:\n  " + "\n  ".join(errors))
    return records


def _drilled_commit(root, rel: str, date: str) -> str | None:
    """The runbook version drilled on ``date``: the last commit of its file on or before
    that day (a drill recorded a week late was still of the runbook of its day). When that
    is the file's latest commit and the file has uncommitted changes, they may have been
    drilled too: ``-dirty`` says so."""
    commit = commit_on(root, rel, date)
    if commit is None:
        return None
    version = file_version(root, rel)
    if version.split()[0] == commit and "uncommitted" in version:
        commit += "-dirty"
    return commit


def record_drill(ws, runbook_id: str, date: str, kind: str, outcome: str,
                 scenario: str | None, steps: dict, participants: list[tuple[str, str]],
                 findings: list[str], commit: str | None, as_of: dt.date) -> str:
    """Write ``drills/<date>-<runbook>.yaml`` (or -2, -3…); returns its workspace path."""
    runbook = load_runbook_only(ws, runbook_id, as_of).runbooks[0]
    finding_records = _check_values(runbook, date, scenario, steps, findings, as_of)
    if commit is None:
        commit = _drilled_commit(ws.root, runbook.file, date)
    data: dict = {"runbook": runbook.id, "date": date, "kind": kind, "outcome": outcome}
    if scenario:
        data["scenario"] = scenario
    if commit:
        data["commit"] = commit
    if participants:
        data["participants"] = [{"name": n, "role": r} for n, r in participants]
    if steps:
        data["steps"] = {k: {"minutes": v} for k, v in steps.items()}
    if finding_records:
        data["findings"] = [f.to_dict() for f in finding_records]
    text = ("# yaml-language-server: $schema=../schemas/drill.schema.json\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    folder = ws.root / "drills"
    name = f"{date}-{runbook.id}"
    path = folder / f"{name}.yaml"
    n = 2
    while path.exists():
        path, n = folder / f"{name}-{n}.yaml", n + 1
    rel = ws.rel(path)
    doc, problems = load_text(text, rel)
    if doc is not None:
        _, problems = load_drill(doc, {runbook.id: runbook}, as_of)
    problems = [p for p in problems if p.is_error]
    if problems:
        raise ProblemsFound(problems)
    write_atomic(path, text, exclusive=True)
    return rel

"""``drill record``: a new drill record, validated before it is written, never overwriting."""

from __future__ import annotations

import datetime as dt
import math

import yaml

from .drills import load_drill, parse_finding
from .fsutil import write_atomic
from .gitinfo import file_version
from .incident import load_runbook_only
from .problems import InputError, ProblemsFound, did_you_mean
from .yamlload import load_text


def _check_values(runbook, date: str, scenario, steps: dict, as_of: dt.date) -> None:
    """What the command line got wrong, said about the command line (no file exists yet)."""
    errors = []
    try:
        if dt.date.fromisoformat(date) > as_of:
            errors.append(f"--date {date}: the date is after {as_of.isoformat()} (record "
                          "drills that have happened)")
    except ValueError:
        errors.append(f"--date: {date!r} is not a valid date (YYYY-MM-DD)")
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
    if errors:
        raise InputError("nothing was recorded:\n  " + "\n  ".join(errors))


def record_drill(ws, runbook_id: str, date: str, kind: str, outcome: str,
                 scenario: str | None, steps: dict, participants: list[tuple[str, str]],
                 findings: list[str], commit: str | None, as_of: dt.date) -> str:
    """Write ``drills/<date>-<runbook>.yaml`` (or -2, -3…); returns its workspace path."""
    runbook = load_runbook_only(ws, runbook_id, as_of).runbooks[0]
    _check_values(runbook, date, scenario, steps, as_of)
    if commit is None:
        version = file_version(ws.root, runbook.file)
        if version not in ("not in git", "uncommitted changes"):
            commit = version.split()[0] + ("-dirty" if "uncommitted" in version else "")
    data: dict = {"runbook": runbook.id, "date": date, "kind": kind, "outcome": outcome}
    if scenario:
        data["scenario"] = scenario
    if commit:
        data["commit"] = commit
    if participants:
        data["participants"] = [{"name": n, "role": r} for n, r in participants]
    if steps:
        data["steps"] = {k: {"minutes": v} for k, v in steps.items()}
    if findings:
        data["findings"] = [parse_finding(f) for f in findings]
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
    if problems:
        raise ProblemsFound(problems)
    write_atomic(path, text, exclusive=True)
    return rel

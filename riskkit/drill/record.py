"""``drill record``: a new drill record, validated before it is written, never overwriting."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from riskkit.drill.model import DrillFinding, load_drill, parse_finding
from riskkit.files.fsutil import write_atomic
from riskkit.git.info import commit_on, file_version
from riskkit.fastload import load_runbook_only
from riskkit.problems import ConfigError, InputError, ProblemsFound, did_you_mean
from riskkit.files.yamlload import load_text

if TYPE_CHECKING:
    from riskkit.runbook.model import Runbook
    from riskkit.workspace import Workspace


def _day(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` as a date, or None: the only spelling a drill record holds."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _check_values(runbook: Runbook, date: str, scenario: str | None, steps: dict,
                  findings: list[str], as_of: dt.date) -> list[DrillFinding]:
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


def _drilled_commit(root: Path, rel: str, date: str) -> str | None:
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


def record_drill(ws: Workspace, runbook_id: str, date: str, kind: str, outcome: str,
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
    doc, problems = load_text(text, ws.rel(folder / f"{name}.yaml"))
    if doc is not None:
        _, problems = load_drill(doc, {runbook.id: runbook}, as_of)
    problems = [p for p in problems if p.is_error]
    if problems:
        raise ProblemsFound(problems)
    return ws.rel(write_new(folder, name, text, ws.rel))


MAX_SAME_DAY = 1000  # records of one runbook on one day: -2 ... -999, then a clear error


def write_new(folder: Path, name: str, text: str, rel: Callable[[Path], str]) -> Path:
    """Write ``text`` to ``folder/name.yaml``, or ``name-2.yaml``, ``-3``...: the first
    name that is free. Each name is taken by an exclusive create (a hard link, atomic:
    ``write_atomic``), so records made at the same moment each get a name of their own,
    whole, and none replaces another. A folder that cannot be written is a ConfigError
    that says why (``rel`` names paths as users see them)."""
    if os.path.lexists(folder) and not folder.is_dir():
        what = "a broken link" if folder.is_symlink() and not folder.exists() else \
            "not a folder"
        raise ConfigError(f"cannot record a drill: {rel(folder)} is {what}")
    for n in range(1, MAX_SAME_DAY):
        path = folder / (f"{name}.yaml" if n == 1 else f"{name}-{n}.yaml")
        if os.path.lexists(path):  # a file, or a link (broken or not): taken
            continue
        try:
            write_atomic(path, text, exclusive=True)
            return path
        except FileExistsError:
            if os.path.lexists(path):  # another run took this name first: the next one
                continue
            raise ConfigError(f"cannot write {rel(path)}: {rel(folder)} is not a "
                              "folder") from None
        except OSError as exc:
            raise ConfigError(f"cannot write {rel(path)}: {exc.strerror or exc}") from None
    raise ConfigError(f"cannot record a drill: {rel(folder)} holds {MAX_SAME_DAY - 1} "
                      f"records named {name}")

"""``riskkit export --sqlite FILE``: one or more workspaces as a SQLite database, for
Datasette, Grafana, Metabase or plain SQL.

:data:`SCHEMA` is the documented schema (the README shows it as it is here). Every table
has a ``workspace`` column, the key of the workspace in ``workspaces``: with several
workspaces, an id is unique only together with it. Dates are ``YYYY-MM-DD`` text, times
ISO 8601 in UTC, booleans 0 or 1. The same workspaces and ``--as-of`` give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from riskkit.register import rules

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded

SCHEMA = """\
CREATE TABLE workspaces (
  workspace TEXT PRIMARY KEY,      -- the key every other table names its workspace by
  name TEXT NOT NULL,              -- riskkit.yaml's name
  matrix TEXT NOT NULL,            -- the matrix's name: 5x5, nist-800-30, a file
  appetite TEXT,                   -- the appetite level's id
  as_of TEXT NOT NULL              -- the day "today" was for this export (YYYY-MM-DD)
);
CREATE TABLE levels (
  workspace TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
  rank INTEGER NOT NULL,           -- 1 is the lowest level of the workspace's matrix
  color TEXT,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE risks (
  workspace TEXT NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL, description TEXT,
  category TEXT, owner TEXT NOT NULL, status TEXT NOT NULL,
  likelihood INTEGER NOT NULL,     -- ranks on the workspace's matrix
  impact INTEGER NOT NULL,
  score INTEGER NOT NULL, level TEXT NOT NULL, level_rank INTEGER NOT NULL,
  residual_likelihood INTEGER, residual_impact INTEGER, residual_score INTEGER,
  residual_level TEXT,
  above_appetite INTEGER NOT NULL,
  treatment_strategy TEXT, treatment_rationale TEXT, treatment_due TEXT,
  acceptance_by TEXT, acceptance_since TEXT, acceptance_until TEXT,
  acceptance_rationale TEXT,
  review_last TEXT, review_by TEXT, rto_minutes INTEGER,
  file TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE controls (
  workspace TEXT NOT NULL, risk TEXT NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL,
  kind TEXT NOT NULL, status TEXT NOT NULL,
  PRIMARY KEY (workspace, risk, id)
);
CREATE TABLE risk_tags (
  workspace TEXT NOT NULL, risk TEXT NOT NULL, tag TEXT NOT NULL,
  PRIMARY KEY (workspace, risk, tag)
);
CREATE TABLE runbooks (
  workspace TEXT NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL, severity TEXT,
  owner TEXT, steps INTEGER NOT NULL,
  eta_minutes REAL NOT NULL,       -- expected time to mitigate
  finish_minutes REAL NOT NULL,    -- to finish every step
  rto_minutes INTEGER,             -- the tightest RTO of its risks
  within_rto INTEGER,              -- NULL when no linked risk has an RTO
  file TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
CREATE TABLE links (
  workspace TEXT NOT NULL, risk TEXT NOT NULL, runbook TEXT NOT NULL,
  PRIMARY KEY (workspace, risk, runbook)
);
CREATE TABLE steps (
  workspace TEXT NOT NULL, runbook TEXT NOT NULL, id TEXT NOT NULL,
  position INTEGER NOT NULL,       -- order in the runbook's file, from 1
  title TEXT NOT NULL, role TEXT, minutes REAL,
  stage INTEGER NOT NULL,          -- steps of a stage can run in parallel, from 1
  critical INTEGER NOT NULL,       -- on the critical path to mitigation
  mitigates INTEGER NOT NULL, irreversible INTEGER NOT NULL, approval TEXT,
  PRIMARY KEY (workspace, runbook, id)
);
CREATE TABLE step_needs (
  workspace TEXT NOT NULL, runbook TEXT NOT NULL, step TEXT NOT NULL,
  needs TEXT NOT NULL,             -- a step that must finish first
  PRIMARY KEY (workspace, runbook, step, needs)
);
CREATE TABLE drills (
  workspace TEXT NOT NULL,
  file TEXT NOT NULL,              -- the drill record, which identifies the drill
  runbook TEXT NOT NULL, date TEXT NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL,
  scenario TEXT, runbook_commit TEXT,
  PRIMARY KEY (workspace, file)
);
CREATE TABLE drill_steps (
  workspace TEXT NOT NULL, drill TEXT NOT NULL, step TEXT NOT NULL,
  minutes REAL, ok INTEGER, note TEXT,
  PRIMARY KEY (workspace, drill, step)
);
CREATE TABLE findings (            -- what drills found to fix
  workspace TEXT NOT NULL, drill TEXT NOT NULL, position INTEGER NOT NULL,
  runbook TEXT NOT NULL, title TEXT NOT NULL, owner TEXT, due TEXT, status TEXT,
  PRIMARY KEY (workspace, drill, position)
);
CREATE TABLE review_findings (     -- riskkit review, as of workspaces.as_of
  workspace TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, owner TEXT NOT NULL,
  message TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL
);
CREATE TABLE incidents (
  workspace TEXT NOT NULL, id TEXT NOT NULL, runbook TEXT NOT NULL, scenario TEXT,
  state TEXT NOT NULL,             -- open or closed
  started_at TEXT NOT NULL, started_by TEXT NOT NULL, closed_at TEXT, outcome TEXT,
  events INTEGER NOT NULL, file TEXT NOT NULL,
  PRIMARY KEY (workspace, id)
);
"""


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def _rows(key: str, loaded: Loaded, as_of: dt.date) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows for one workspace."""
    from riskkit.incident.store import summaries
    from riskkit.review.findings import review

    ws = loaded.workspace
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    out["workspaces"].append((key, ws.name, ws.matrix.name,
                              ws.appetite.id if ws.appetite else None, as_of.isoformat()))
    out["levels"] += [(key, lv.id, lv.name, lv.rank, lv.color) for lv in ws.matrix.levels]
    for r in loaded.risks:
        t, a, rv, res = r.treatment, r.acceptance, r.review, r.residual
        out["risks"].append((
            key, r.id, r.title, r.description or None, r.category or None, r.owner, r.status,
            r.rating.likelihood, r.rating.impact, r.rating.score, r.level.id, r.level.rank,
            res.likelihood if res else None, res.impact if res else None,
            res.score if res else None, res.level.id if res else None,
            int(rules.above_appetite(ws, r)),
            t.strategy if t else None, t.rationale if t else None, t.due if t else None,
            a.by if a else None, a.since if a else None, a.until if a else None,
            a.rationale if a else None, rv.last if rv else None, rv.by if rv else None,
            r.rto_minutes, r.file))
        out["controls"] += [(key, r.id, c.id, c.title, c.kind, c.status) for c in r.controls]
        out["risk_tags"] += [(key, r.id, tag) for tag in dict.fromkeys(r.tags)]
    for rb in loaded.runbooks:
        risks = loaded.risks_of(rb.id)
        out["runbooks"].append((key, rb.id, rb.title, rb.severity or None, rb.owner or None,
                                len(rb.steps), rb.eta_minutes, rb.finish_minutes,
                                rules.binding_rto(risks),
                                _flag(rules.within_rto(rb.eta_minutes, risks)), rb.file))
        shape = rb.shape
        stage = {s: i for i, ids in enumerate(shape.stages, 1) for s in ids}
        critical = set(shape.critical_path)
        for position, step in enumerate(rb.steps, 1):
            out["steps"].append((key, rb.id, step.id, position, step.title, step.role,
                                 step.minutes, stage.get(step.id, 0), int(step.id in critical),
                                 int(step.mitigates), int(step.irreversible), step.approval))
            out["step_needs"] += [(key, rb.id, step.id, need)
                                  for need in dict.fromkeys(step.needs)]
    out["links"] += [(key, risk, runbook) for risk, runbook in sorted(loaded.links)]
    for d in loaded.drills:
        out["drills"].append((key, d.file, d.runbook, d.date.isoformat(), d.kind, d.outcome,
                              d.scenario, d.commit))
        out["drill_steps"] += [(key, d.file, step, result.minutes, _flag(result.ok),
                                result.note) for step, result in sorted(d.steps.items())]
        out["findings"] += [(key, d.file, i, d.runbook, f.title, f.owner, f.due, f.status)
                            for i, f in enumerate(d.findings, 1)]
    out["review_findings"] += [(key, f.kind, f.subject, f.owner, f.message, f.path, f.line)
                               for f in review(loaded, as_of)]
    if (ws.root / "incidents").is_dir():
        found, _ = summaries(ws)
        out["incidents"] += [(key, s.id, s.runbook, s.scenario, s.state,
                              s.to_dict()["started_at"], s.started_by,
                              s.to_dict()["closed_at"], s.outcome, s.events, s.file)
                             for s in found]
    return out


TABLES = ("workspaces", "levels", "risks", "controls", "risk_tags", "runbooks", "links",
          "steps", "step_needs", "drills", "drill_steps", "findings", "review_findings",
          "incidents")


def database_bytes(workspaces: Sequence[tuple[str, Loaded]], as_of: dt.date) -> bytes:
    """The database of ``workspaces`` (key, loaded workspace), as the bytes of its file."""
    with tempfile.TemporaryDirectory(prefix="riskkit-sqlite-") as folder:
        path = os.path.join(folder, "export.db")
        connection = sqlite3.connect(path)
        try:
            connection.executescript(SCHEMA)
            for key, loaded in workspaces:
                for table, rows in _rows(key, loaded, as_of).items():
                    _insert(connection, table, rows)
            connection.commit()
        finally:
            connection.close()
        with open(path, "rb") as handle:
            return handle.read()


def _insert(connection: sqlite3.Connection, table: str, rows: Iterable[tuple[Any, ...]]
            ) -> None:
    rows = list(rows)
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

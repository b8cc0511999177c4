"""``riskkit retro --quarter 2026Q4``: a quarter summed up, every figure from the files and
git.

Where each figure comes from:

- *incidents*: the journals, those started in the quarter (up to ``as_of``); each closed
  one with its time to mitigate against the tightest RTO it pinned
  (``riskkit.incident.records``);
- *drills*: planned are the runbooks the quarter's drill plan named at its first day
  (the plan worked out from the drills recorded before it); done are the drill records
  dated in the quarter, with their outcomes;
- *drill findings*: opened are those of the quarter's drills; closed are those whose
  ``status: done`` was committed in the quarter (the drill files at the last commit
  before the quarter against the last commit in it);
- *action items*: added and marked done in the quarter, by their journal events;
- *risks added, closed, re-rated up or down, removed*: each commit in the quarter (by
  author date, up to ``as_of``) against the one before it, as ``riskkit diff`` compares
  two revisions (each scored on its own matrix); a risk re-rated twice counts twice;
- *acceptances expiring next quarter*: the accepted risks as they are now;
- *the review backlog*: ``review`` of the workspace as committed at the start of the
  quarter, as of its first day (then), and of the files now, as of ``as_of`` (now);
- *the next quarter's drill plan*: ``drill plan`` for the quarter after.

Without git (not a repository, or no commits) the history figures are left out, and
the retrospective says so.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.drill.model import next_quarter, parse_quarter, plan as drill_plan, quarter_of
from riskkit.incident.records import end_of
from riskkit.incident.times import iso
from riskkit.problems import ConfigError

if TYPE_CHECKING:
    from riskkit.git.repo import Repo
    from riskkit.load import Loaded


@dataclass(frozen=True)
class IncidentLine:
    """One incident of the quarter, as the retro lists it."""

    id: str
    runbook: str | None
    title: str
    started: str
    state: str
    outcome: str | None
    time_to_mitigate: float | None
    rto_minutes: int | None
    within: bool | None  # None: no RTO, or not mitigated

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DrillLine:
    """One drill of the quarter, as the retro lists it."""

    runbook: str
    date: str
    kind: str
    outcome: str
    planned: bool
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RiskEvent:
    """A change to one risk in one commit of the quarter."""

    date: str
    commit: str
    risk: str
    title: str
    kind: str  # added | closed | up | down | removed
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Retro:
    """A quarter summed up (see the module's notes for where each figure comes from)."""

    quarter: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    org: str
    incidents: tuple[IncidentLine, ...]
    planned: tuple[str, ...]
    drills: tuple[DrillLine, ...]
    findings_opened: int
    findings_closed: int | None
    actions_opened: int
    actions_closed: int
    actions_open: tuple[dict[str, Any], ...]
    risk_events: tuple[RiskEvent, ...]
    history: str  # empty, or why git history could not be read
    expiring: tuple[tuple[str, str, str], ...]  # (risk, owner, until) in the next quarter
    backlog_then: dict[str, int] | None
    backlog_now: dict[str, int]
    next_quarter: str
    next_plan: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def in_progress(self) -> bool:
        return self.as_of < self.end

    def count(self, kind: str) -> int:
        """How many risk events of ``kind`` (added, closed, up, down, removed)."""
        return sum(e.kind == kind for e in self.risk_events)

    @property
    def drilled_as_planned(self) -> list[str]:
        done = {d.runbook for d in self.drills}
        return [r for r in self.planned if r in done]

    @property
    def not_drilled(self) -> list[str]:
        done = {d.runbook for d in self.drills}
        return [r for r in self.planned if r not in done]

    @property
    def incidents_above_rto(self) -> int:
        return sum(i.within is False for i in self.incidents)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "as_of": self.as_of.isoformat(),
            "in_progress": self.in_progress,
            "incidents": [i.to_dict() for i in self.incidents],
            "incidents_above_rto": self.incidents_above_rto,
            "drills": {"planned": list(self.planned), "done": [d.to_dict() for d in self.drills],
                       "drilled_as_planned": self.drilled_as_planned,
                       "not_drilled": self.not_drilled},
            "findings": {"opened": self.findings_opened, "closed": self.findings_closed},
            "actions": {"opened": self.actions_opened, "closed": self.actions_closed,
                        "open_now": list(self.actions_open)},
            "risks": {k: self.count(k) for k in ("added", "closed", "up", "down", "removed")}
            | {"events": [e.to_dict() for e in self.risk_events]},
            "history": self.history or None,
            "acceptances_expiring": [{"risk": r, "owner": o, "until": u}
                                     for r, o, u in self.expiring],
            "backlog": {"then": self.backlog_then, "now": self.backlog_now},
            "next_quarter": self.next_quarter, "next_plan": list(self.next_plan),
        }


def retro(loaded: Loaded, quarter: str, as_of: dt.date) -> Retro:
    """The retrospective of ``quarter`` as of ``as_of`` (its end, for a past quarter)."""
    from riskkit.review.findings import review, summary

    start, end = parse_quarter(quarter)
    label = quarter_of(start)
    if start > as_of:
        from riskkit.problems import InputError

        raise InputError(f"{label} has not begun on {as_of.isoformat()} (--as-of): there is "
                         "nothing to look back on")
    upto = min(end, as_of)

    def inside(day: dt.date) -> bool:
        return start <= day <= upto

    records = loaded.incident_records()
    incidents = tuple(_incident(r) for r in records if inside(r.started_at.date()))
    before = replace(loaded, drills=[d for d in loaded.drills if d.date < start])
    planned = tuple(d["runbook"] for d in drill_plan(before, label))
    drills = tuple(DrillLine(d.runbook, d.date.isoformat(), d.kind, d.outcome,
                             d.runbook in planned, len(d.findings))
                   for d in loaded.drills if inside(d.date))
    limit = end_of(upto)
    begun = dt.datetime.combine(start, dt.time(), tzinfo=dt.timezone.utc)  # = end_of(day before)
    actions = [a for r in records for a in r.actions]
    opened = sum(begun <= a.opened_at < limit for a in actions)
    closed = sum(a.done_at is not None and begun <= a.done_at < limit for a in actions)
    still_open = tuple(a.to_dict() | {"overdue": a.overdue(as_of)} for a in actions
                       if a.is_open(as_of))
    history = _History(loaded.workspace.root, start, upto)
    nxt_start, nxt_end = parse_quarter(next_quarter(end))
    expiring = tuple(
        (r.id, r.owner, until.isoformat()) for r in loaded.risks
        if r.status == "accepted" and (until := r.date("acceptance", "until")) is not None
        and nxt_start <= until <= nxt_end)
    nxt = next_quarter(end)
    try:
        events = tuple(history.events())
        findings_closed = history.findings_closed()
        then = history.backlog_then()
    finally:
        history.close()
    return Retro(
        quarter=label, start=start, end=end, as_of=as_of, org=loaded.workspace.name,
        incidents=incidents, planned=planned, drills=drills,
        findings_opened=sum(d.findings for d in drills),
        findings_closed=findings_closed,
        actions_opened=opened, actions_closed=closed, actions_open=still_open,
        risk_events=events, history=history.why,
        expiring=expiring, backlog_then=then,
        backlog_now=summary(review(loaded, as_of)),
        next_quarter=nxt, next_plan=tuple(drill_plan(loaded, nxt)))


def _incident(record: Any) -> IncidentLine:
    rtos = [r.rto_minutes for r in record.risks if r.rto_minutes is not None]
    rto = min(rtos) if rtos else None
    took = record.time_to_mitigate
    return IncidentLine(record.id, record.runbook, record.title,
                        iso(record.started_at), "closed" if record.closed else "open",
                        record.outcome, took, rto,
                        None if rto is None or took is None else took <= rto)


class _History:
    """The quarter in git: its commits (by author date), and the one before it."""

    def __init__(self, root: Path, start: dt.date, upto: dt.date):
        from riskkit.git.repo import Repo

        self.root, self.start, self.upto = root, start, upto
        self.why = ""
        self.repo: Repo | None = None
        self.baseline: str | None = None
        self.commits: list[dict[str, str]] = []
        try:
            self.repo = Repo(root)
            log = self.repo.log(["risks", "runbooks", "drills", "riskkit.yaml"])
        except ConfigError as exc:
            self.why = str(exc)
            return
        if not log:
            self.why = "the repository has no commits yet"
            return
        first, last = start.isoformat(), upto.isoformat()
        for commit in log:
            if commit["date"] < first:
                self.baseline = commit["commit"]
            elif commit["date"] <= last:
                self.commits.append(commit)

    def events(self) -> list[RiskEvent]:
        """Every change to a risk, commit by commit through the quarter."""
        from riskkit.git.diff import compare_risks
        from riskkit.git.repo import snapshot

        if self.repo is None or self.why:
            return []
        out: list[RiskEvent] = []
        try:
            previous = self._snapshot(self.baseline, "before")
            for commit in self.commits:
                current = snapshot(self.repo, commit["commit"], commit["short"])
                out += _events(compare_risks(previous, current), current, commit)
                previous = current
        except ConfigError as exc:  # settings broken at a commit: say so, count nothing
            self.why = f"the history cannot be read: {exc}"
            return []
        return out

    def close(self) -> None:
        if self.repo is not None:
            self.repo.close()

    def _snapshot(self, commit: str | None, label: str) -> Any:
        from riskkit.git.repo import Snapshot, snapshot
        from riskkit.workspace import open_workspace

        assert self.repo is not None
        if commit is None:
            return Snapshot(label, open_workspace(self.root))
        return snapshot(self.repo, commit, label)

    def _done_findings(self, commit: str | None) -> set[tuple[str, str]]:
        """(file, title) of every drill finding marked done at ``commit``."""
        from riskkit.files.yamlload import load_bytes

        if commit is None or self.repo is None:
            return set()
        done: set[tuple[str, str]] = set()
        for rel in self.repo.files(commit, ("drills",)):
            raw = self.repo.read(commit, rel)
            doc = load_bytes(raw, rel)[0] if raw is not None else None
            data = doc.data if doc is not None else None
            findings = data.get("findings") if isinstance(data, dict) else None
            for f in findings if isinstance(findings, list) else []:
                if isinstance(f, dict) and f.get("status") == "done":
                    done.add((rel, str(f.get("title"))))
        return done

    def findings_closed(self) -> int | None:
        """Drill findings whose ``status: done`` was committed in the quarter."""
        if self.repo is None or self.why:
            return None
        last = self.commits[-1]["commit"] if self.commits else self.baseline
        return len(self._done_findings(last) - self._done_findings(self.baseline))

    def backlog_then(self) -> dict[str, int] | None:
        """``review`` of the workspace as committed before the quarter, as of its first
        day (None without such a commit)."""
        from riskkit.load import load
        from riskkit.review.findings import review, summary
        from riskkit.workspace import open_workspace

        if self.repo is None or self.baseline is None:
            return None
        with tempfile.TemporaryDirectory(prefix="riskkit-retro-") as tmp:
            root = Path(tmp)
            self._materialise(self.baseline, root)
            try:
                loaded = load(open_workspace(root), self.start).trusted()
            except ConfigError:
                return None
            return summary(review(loaded, self.start))

    def _materialise(self, commit: str, root: Path) -> None:
        """The workspace's files at ``commit`` written under ``root`` (no checkout)."""
        from riskkit.workspace import SETTINGS, matrix_file
        from riskkit.files.yamlload import load_bytes

        assert self.repo is not None
        settings = self.repo.read(commit, SETTINGS)
        if settings is None:
            return
        wanted = [SETTINGS] + self.repo.files(commit, ("risks", "runbooks", "drills"))
        doc = load_bytes(settings, SETTINGS)[0]
        extra = matrix_file(doc.data) if doc is not None else None
        if extra:
            wanted.append(extra)
        for rel in wanted:
            raw = self.repo.read(commit, rel)
            target = root / rel
            if raw is None or ".." in Path(rel).parts or Path(rel).is_absolute():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)


def _events(diff: dict[str, Any], current: Any, commit: dict[str, str]) -> list[RiskEvent]:
    def event(risk: str, title: str, kind: str, detail: str) -> RiskEvent:
        return RiskEvent(commit["date"], commit["short"], risk, title, kind, detail)

    out = [event(r["id"], r["title"], "added", f"{r['level']} {r['score']}")
           for r in diff["added"]]
    out += [event(r["id"], r["title"], "removed", "") for r in diff["removed"]]
    for change in diff["changed"]:
        for c in change["changes"]:
            if c["field"] == "rating":
                a, b = c["from"], c["to"]
                out.append(event(change["id"], change["title"], c["direction"],
                                 f"{a['level']} {a['score']} -> {b['level']} {b['score']}"))
            elif c["field"] == "status" and c["to"] == "closed":
                out.append(event(change["id"], change["title"], "closed",
                                 f"{c['from']} -> closed"))
    order = {"added": 0, "up": 1, "down": 2, "closed": 3, "removed": 4}
    return sorted(out, key=lambda e: (e.risk, order[e.kind]))

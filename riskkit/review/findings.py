"""``riskkit review``: what needs attention now, each finding with its place and owner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from riskkit.register import rules
from riskkit.drill.model import last_drills

EXPIRING_DAYS = 30

KINDS = {
    "review-overdue": "risk review overdue",
    "acceptance-expired": "risk acceptance expired",
    "acceptance-expiring": "risk acceptance expiring soon",
    "no-treatment": "above appetite without a treatment",
    "no-runbook": "above appetite without a runbook",
    "treatment-overdue": "treatment past its due date",
    "drill-never": "runbook never drilled",
    "drill-overdue": "runbook drill overdue",
    "finding-overdue": "drill finding past due",
    "eta-above-rto": "expected time to mitigate above the RTO",
    "runbook-unlinked": "runbook linked to no risk",
}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    kind: str
    subject: str
    owner: str
    message: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "owner": self.owner,
                "message": self.message, "path": self.path, "line": self.line, "col": self.col}


def review(loaded, as_of: dt.date) -> list[Finding]:
    """Every finding, sorted by file and line."""
    ws = loaded.workspace
    out: list[Finding] = []

    def add(kind, where, subject, owner, message):
        path, (line, col) = where
        out.append(Finding(path, line, col, kind, subject, owner or "-", message))

    for risk in loaded.risks:
        if risk.status == "closed":
            continue
        here = (risk.file, (risk.line, risk.col))
        interval = ws.review_days.get(risk.level.id)
        last = risk.date("review", "last")
        if interval and last is None:
            add("review-overdue", (risk.file, risk.at("id")), risk.id, risk.owner,
                f"{risk.id} ({risk.level.id}) has never been reviewed; {risk.level.id} risks "
                f"are reviewed every {interval} days")
        elif interval and last + dt.timedelta(days=interval) < as_of:
            late = (as_of - last).days - interval
            add("review-overdue", (risk.file, risk.at("review", "last")), risk.id, risk.owner,
                f"{risk.id} ({risk.level.id}) last reviewed {last.isoformat()}, {late} days past "
                f"its {interval}-day cadence")
        until = risk.date("acceptance", "until")
        if until and risk.status == "accepted":
            where = (risk.file, risk.at("acceptance", "until"))
            by = risk.acceptance.get("by", "?")
            if until < as_of:
                add("acceptance-expired", where, risk.id, risk.owner,
                    f"{risk.id}: acceptance by {by} expired on {until.isoformat()}; renew it or "
                    "treat the risk")
            elif until <= as_of + dt.timedelta(days=EXPIRING_DAYS):
                add("acceptance-expiring", where, risk.id, risk.owner,
                    f"{risk.id}: acceptance by {by} expires on {until.isoformat()} "
                    f"(in {(until - as_of).days} days)")
        above = rules.needs_response(ws, risk)
        if above and not risk.treatment:
            add("no-treatment", here, risk.id, risk.owner,
                f"{risk.id} is {risk.level.id} ({risk.rating.score}), above the appetite "
                f"({ws.appetite.id}), with no treatment")
        if above and not loaded.runbooks_of(risk.id):
            add("no-runbook", here, risk.id, risk.owner,
                f"{risk.id} is {risk.level.id} ({risk.rating.score}), above the appetite "
                f"({ws.appetite.id}), with no runbook")
        due = risk.date("treatment", "due")
        if due and due < as_of and risk.status in ("open", "mitigating"):
            add("treatment-overdue", (risk.file, risk.at("treatment", "due")), risk.id,
                risk.owner, f"{risk.id}: treatment ({risk.treatment['strategy']}) was due "
                f"{due.isoformat()}, {(as_of - due).days} days ago")
    last = last_drills([d for d in loaded.drills if d.date <= as_of])
    for runbook in loaded.runbooks:
        here = (runbook.file, runbook.at("id"))
        risks = loaded.risks_of(runbook.id)
        if not risks:
            add("runbook-unlinked", here, runbook.id, runbook.owner,
                f"{runbook.id} answers no risk: link it with risks: or retire it")
        need = rules.drill_need(ws, risks)
        if need:
            interval, top = need.interval_days, need.risk
            previous = last.get(runbook.id)
            if previous is None:
                add("drill-never", here, runbook.id, runbook.owner,
                    f"{runbook.id} has never been drilled; it answers {top.level.id} {top.id} "
                    f"(drill every {interval} days)")
            elif previous.date + dt.timedelta(days=interval) < as_of:
                add("drill-overdue", here, runbook.id, runbook.owner,
                    f"{runbook.id} last drilled {previous.date.isoformat()}, "
                    f"{(as_of - previous.date).days - interval} days past its {interval}-day "
                    f"interval ({top.level.id} {top.id})")
        for check in rules.rto_checks(runbook.eta_minutes, risks):
            if not check.within:
                add("eta-above-rto", here, runbook.id, runbook.owner,
                    f"{runbook.id}: expected time to mitigate {check.eta_minutes:g} min is "
                    f"above the RTO of {check.risk} ({check.rto_minutes} min)")
    for drill in loaded.drills:
        for i, finding in enumerate(drill.findings):
            due = finding.get("due")
            if finding.get("status") == "done":
                continue
            if due and dt.date.fromisoformat(due) < as_of:
                line, col = drill.doc.at(("findings", i, "due"))
                add("finding-overdue", (drill.file, (line, col)), drill.runbook,
                    finding.get("owner"), f"finding from the {drill.date.isoformat()} drill of "
                    f"{drill.runbook} was due {due}: {finding['title']}")
    return sorted(out)


def summary(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return dict(sorted(counts.items()))

"""``riskkit report``: one self-contained HTML page for the ops lead and management."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import TYPE_CHECKING

from riskkit import __version__
from riskkit.register import rules
from riskkit.drill.model import next_quarter, plan as drill_plan
from riskkit.present.heatmap import heatmap, heatmap_svg
from riskkit.present.jinja import render_template
from riskkit.review.findings import KINDS, review, summary

if TYPE_CHECKING:
    from riskkit.incident.records import IncidentRecord
    from riskkit.load import Loaded


def report_context(loaded: Loaded, as_of: dt.date) -> dict:
    ws = loaded.workspace
    risks = loaded.risks
    findings = review(loaded, as_of)
    quarter = next_quarter(as_of)
    active = [r for r in risks if rules.is_active(r)]  # as on the heat maps beside it
    levels = [{"id": lv.id, "name": lv.name, "color": lv.color,
               "count": sum(r.level.id == lv.id for r in active),
               "residual": sum((r.residual or r.rating).level.id == lv.id for r in active)}
              for lv in reversed(ws.matrix.levels)]
    records = loaded.incident_records()
    runbooks = []
    for rb in loaded.runbooks:
        eta = rb.eta_minutes
        drilled = rb.drilled_eta_minutes(loaded.measured(rb.id))
        linked = loaded.risks_of(rb.id)
        runbooks.append({"id": rb.id, "title": rb.title, "severity": rb.severity,
                         "steps": len(rb.steps), "eta_minutes": eta,
                         "drilled_eta_minutes": drilled,
                         "rto_minutes": rules.binding_rto(linked),
                         "within": rules.within_rto(eta, linked),
                         "drilled_within": (rules.within_rto(drilled, linked)
                                            if drilled is not None else None),
                         "risks": [r.id for r in linked],
                         "in_incidents": incidents_median(records, rb.id)})
    return {
        "org": ws.name,
        "as_of": as_of.isoformat(),
        "matrix": ws.matrix.name,
        "appetite": ws.appetite.id if ws.appetite else None,
        "totals": {
            "risks": len(risks),
            "open": sum(r.status in ("open", "mitigating") for r in risks),
            "above_appetite": sum(rules.above_appetite(ws, r) for r in risks),
            "accepted": sum(r.status == "accepted" for r in risks),
            "runbooks": len(loaded.runbooks),
            "drills": len(loaded.drills),
            "findings": len(findings),
        },
        "levels": levels,
        "heatmap_current": heatmap_svg(heatmap(ws.matrix, risks), "Current ratings"),
        "heatmap_residual": heatmap_svg(heatmap(ws.matrix, risks, residual=True),
                                        "Residual ratings"),
        "risks": [r.to_dict(rules.above_appetite(ws, r)) | {"color": r.level.color,
                                                            "level_name": r.level.name}
                  for r in risks],
        "findings": [f.to_dict() | {"label": KINDS[f.kind]} for f in findings],
        "finding_counts": [{"kind": k, "label": KINDS[k], "count": n}
                           for k, n in summary(findings).items()],
        "quarter": quarter,
        "drills_due": drill_plan(loaded, quarter),
        "runbooks": runbooks,
        "actions": open_actions(records, as_of),
        "incidents": sum(r.closed and (as_of - r.started_at.date()).days < 365
                         for r in records),
        "riskkit_version": __version__,
    }


def incidents_median(records: list[IncidentRecord], runbook_id: str
                     ) -> dict[str, float | int] | None:
    """The median time to mitigate of the runbook's last closed incidents (as many as a
    step's measured minutes count), and how many there were; None when there were none."""
    from riskkit.drill.model import RECENT_DRILLS
    from riskkit.incident.times import number

    took = [r.time_to_mitigate for r in records if r.runbook == runbook_id and r.closed
            and r.time_to_mitigate is not None]
    if not took:
        return None
    return {"median": number(statistics.median(took[-RECENT_DRILLS:])), "count": len(took)}


def open_actions(records: list[IncidentRecord], as_of: dt.date) -> list[dict[str, object]]:
    """Every action item open as of ``as_of``, the most overdue first."""
    items = [a for r in records for a in r.actions if a.is_open(as_of)]
    items.sort(key=lambda a: (a.due or dt.date.max, a.incident, a.opened_at))
    return [a.to_dict() | {"overdue": a.overdue(as_of)} for a in items]


def render_report(loaded: Loaded, as_of: dt.date) -> str:
    return render_template(loaded.workspace.root, "report.html.j2",
                           report_context(loaded, as_of), risks=len(loaded.risks))

"""Plain-data contexts for the printed documents: emergency plans and drill checklists."""

from __future__ import annotations

import datetime as dt

from . import __version__
from .gitinfo import file_version
from .plan import view as runbook_view
from .render import render_steps, render_template, resolve_inputs

PREFLIGHT = [
    "No live incident and no risky change under way (check the incident channel and the "
    "change calendar)",
    "Steady state verified and recorded below (dashboards, error rate, latency)",
    "Bridge, chat channel and status page ready; links written on this sheet",
    "Drill tagged as a simulation so it stays out of incident metrics",
    "Stakeholders and dependent teams told of the date and scope",
    "Access and permissions for every role tested beforehand",
    "Abort criteria agreed: stop the drill on real customer impact",
    "Start announced in the incident channel",
]


def _stages(view: dict) -> list[dict]:
    return [{"number": i, "steps": [s for s in view["steps"] if s["stage"] == i],
             "parallel": len(stage) > 1} for i, stage in enumerate(view["stages"], 1)]


def plan_context(ws, loaded, runbook, given: dict, scenario: str | None,
                 as_of: dt.date, measured: dict | None = None) -> dict:
    """Everything the emergency plan templates need, as sorted plain data."""
    values = resolve_inputs(runbook, given)
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured)
    render_steps(runbook, view, values)
    return {
        "org": ws.name,
        "plan": view,
        "stages": _stages(view),
        "inputs": [{"name": i["name"], "value": values.get(i["name"]),
                    "description": i["description"]} for i in view["inputs"]],
        "generated": as_of.isoformat(),
        "version": file_version(ws.root, runbook.file),
        "riskkit_version": __version__,
    }


def checklist_context(ws, loaded, runbook, given: dict, scenario: str | None,
                      as_of: dt.date, kind: str, measured: dict | None = None) -> dict:
    """One drill checklist: the runbook's steps with room for what really happened."""
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured)
    render_steps(runbook, view, given, placeholders=True)
    quarter = f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}"
    roles = [{"id": "game-master", "title": "Game master (runs the drill, injects "
              "complications, calls abort)", "contact": ""}]
    roles += [{"id": r["id"], "title": r["title"], "contact": r["contact"]}
              for r in view["roles"]]
    roles += [{"id": "observer", "title": "Observer (takes notes, does not act)", "contact": ""}] * 2
    complications = []
    hands_on = [r for r in view["roles"] if r["id"] not in ("ic", "scribe", "comms")]
    if hands_on:
        complications.append(f"The first {hands_on[0]['title'].lower()} is unavailable for "
                             "15 minutes: who takes over, and do they have access?")
    if view["comms"].get("channel"):
        complications.append(f"{view['comms']['channel']} is unavailable: move to the "
                             "bridge and say so in the status update")
    critical = view["critical_path"]
    if len(critical) > 2:
        complications.append(f"Step '{critical[len(critical) // 2]}' fails its verification "
                             "the first time: roll back or retry?")
    complications.append("A senior stakeholder joins the bridge asking for an ETA")
    objectives = [f"Mitigate within the expected {view['eta_minutes']:g} minutes"
                  + (f" (RTO {view['rto_minutes']} min)" if view["rto_minutes"] else "")]
    objectives += [f"Exit criterion met: {c}" for c in view["exit_criteria"]]
    objectives += ["Every step verified as written, or a finding raised",
                   "Status updates sent on the cadence"
                   + (f" (every {view['comms']['cadence_minutes']} min)"
                      if view["comms"].get("cadence_minutes") else "")]
    return {
        "org": ws.name,
        "drill_id": f"DRILL-{as_of.isoformat()}-{runbook.id}",
        "date": as_of.isoformat(),
        "quarter": quarter,
        "kind": kind,
        "plan": view,
        "stages": _stages(view),
        "version": file_version(ws.root, runbook.file),
        "participants": roles,
        "objectives": objectives,
        "preflight": PREFLIGHT,
        "complications": complications,
        "rollbacks": [{"id": s["id"], "rollback": s["rollback"]} for s in view["steps"]
                      if s["rollback"]],
        "riskkit_version": __version__,
    }


def render_plan(ws, context: dict, fmt: str, paper: str = "a4") -> str:
    return render_template(ws.root, f"plan.{fmt}.j2", {**context, "paper": paper})


def render_checklists(ws, contexts: list[dict], fmt: str, paper: str = "a4") -> str:
    return render_template(ws.root, f"checklist.{fmt}.j2", {"checklists": contexts,
                                                            "paper": paper,
                                                            "org": ws.name})

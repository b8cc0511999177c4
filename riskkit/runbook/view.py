"""The plain-data view of a runbook: what ``show``, ``graph`` and the templates consume."""

from __future__ import annotations

import difflib

from riskkit.runbook import graph
from riskkit.register import rules
from riskkit.problems import InputError
from riskkit.runbook.model import Runbook


def check_scenario(runbook: Runbook, scenario: str | None) -> None:
    if scenario is None or scenario in runbook.scenarios:
        return
    known = ", ".join(runbook.scenarios) or "none"
    match = difflib.get_close_matches(scenario, list(runbook.scenarios), n=1)
    hint = f" (did you mean '{match[0]}'?)" if match else ""
    raise InputError(f"{runbook.id}: unknown scenario '{scenario}'{hint}; scenarios: {known}")


def stage_kind(steps: list[dict]) -> str:
    """How the steps of one stage relate: "single", "parallel" (all can run at once),
    "alternatives" (each is for another scenario, so only one runs) or "mixed".

    Without a scenario the branches of a runbook share stages; calling them parallel work
    would have someone run the partition fix and the node-lost fix at once.
    """
    pairs = [(a, b) for i, a in enumerate(steps) for b in steps[i + 1:]]
    if not pairs:
        return "single"
    together = sum(1 for a, b in pairs
                   if not a["when"] or not b["when"] or set(a["when"]) & set(b["when"]))
    if together == len(pairs):
        return "parallel"
    return "alternatives" if together == 0 else "mixed"


def view(runbook: Runbook, roles: dict, risks=(), scenario: str | None = None,
         measured: dict | None = None) -> dict:
    """Stages, critical path, roles and steps of ``runbook`` (pruned for ``scenario``).

    ``roles`` are the workspace's Role objects; ``risks`` the linked Risk objects;
    ``measured`` maps step id -> median minutes measured in drills.
    """
    check_scenario(runbook, scenario)
    nodes = runbook.nodes()
    if scenario:
        nodes = graph.prune(nodes, scenario)
        if not nodes:
            raise InputError(f"{runbook.id}: no step applies to scenario '{scenario}', so "
                             "there is no plan to give")
        cycles = graph.cycles(nodes)
        if cycles:  # cannot happen for a valid runbook; checked again all the same
            raise InputError(f"{runbook.id}: pruned graph has a cycle: {cycles[0]}")
    measured = measured or {}
    shape = graph.plan(nodes)
    drilled = graph.plan([graph.Node(n.id, n.needs, measured.get(n.id, n.minutes), n.when)
                          for n in nodes]) if measured else None
    stage_of = {sid: i for i, stage in enumerate(shape.stages, 1) for sid in stage}
    critical = set(shape.critical_path)
    needs = {n.id: list(n.needs) for n in nodes}
    steps = []
    for stage in shape.stages:
        for sid in stage:
            step = runbook.step(sid)
            steps.append({
                "id": step.id, "title": step.title, "role": step.role, "needs": needs[sid],
                "minutes": step.minutes, "measured_minutes": measured.get(sid),
                "do": step.do, "run": step.run, "verify": step.verify,
                "rollback": step.rollback, "when": list(step.when),
                "approval": step.approval, "irreversible": step.irreversible,
                "stage": stage_of[sid], "critical": sid in critical,
                "line": step.line,
            })
    local = {k: v for k, v in runbook.roles.items()}
    used: dict[str, dict] = {}
    for step in steps:
        for key in ("role", "approval"):
            rid = step[key]
            if rid and rid not in used:
                role = roles.get(rid)
                spec = local.get(rid) or (role.to_dict() if role else {"title": rid})
                used[rid] = {"id": rid, "title": spec.get("title", rid),
                             "contact": spec.get("contact", ""), "pager": spec.get("pager", ""),
                             "phone": spec.get("phone", ""), "steps": 0, "minutes": 0,
                             "approves": 0}
        if step["role"]:
            used[step["role"]]["steps"] += 1
            used[step["role"]]["minutes"] += step["minutes"] or 0
        if step["approval"]:
            used[step["approval"]]["approves"] += 1
    load = []
    for i, stage in enumerate(shape.stages, 1):
        per_role: dict[str, dict] = {}
        for sid in stage:
            step = runbook.step(sid)
            entry = per_role.setdefault(step.role or "(none)", {"steps": 0, "minutes": 0})
            entry["steps"] += 1
            entry["minutes"] += step.minutes or 0
        load.append({"stage": i, "roles": dict(sorted(per_role.items()))})
    linked = [_risk(r) for r in risks]
    rto = rules.binding_rto(risks)
    return {
        "id": runbook.id,
        "title": runbook.title,
        "summary": runbook.summary,
        "severity": runbook.severity,
        "owner": runbook.owner,
        "file": runbook.file,
        "scenario": scenario,
        "scenarios": dict(runbook.scenarios),
        "triggers": list(runbook.triggers),
        "inputs": [{"name": i.name, "description": i.description, "required": i.required,
                    "default": i.default, "choices": list(i.choices), "pattern": i.pattern}
                   for i in runbook.inputs],
        "comms": {"channel": runbook.comms.get("channel"),
                  "cadence_minutes": runbook.comms.get("cadence_minutes"),
                  "audiences": list(runbook.comms.get("audiences", [])),
                  "notes": runbook.comms.get("notes")},
        "exit_criteria": list(runbook.exit_criteria),
        "stages": shape.stages,
        "critical_path": shape.critical_path,
        "eta_minutes": shape.eta_minutes,
        "drilled_critical_path": drilled.critical_path if drilled else None,
        "drilled_eta_minutes": drilled.eta_minutes if drilled else None,
        "entry": shape.entry,
        "exit": shape.exit,
        "unestimated": [s["id"] for s in steps if s["minutes"] is None],
        "roles": sorted(used.values(), key=lambda r: (-r["steps"], r["id"])),
        "role_load": load,
        "risks": linked,
        "rto_minutes": rto,
        "within_rto": rules.within_rto(shape.eta_minutes, risks),
        "steps": steps,
    }


def _risk(risk) -> dict:
    return {
        "id": risk.id, "title": risk.title, "owner": risk.owner, "status": risk.status,
        "level": risk.level.id, "level_name": risk.level.name, "color": risk.level.color,
        "score": risk.rating.score,
        "residual": ({**risk.residual.to_dict(), "level_name": risk.residual.level.name,
                      "color": risk.residual.level.color} if risk.residual else None),
        "rto_minutes": risk.rto_minutes,
        "controls": [c.__dict__ for c in risk.controls],
    }

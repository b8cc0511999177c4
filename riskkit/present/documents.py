"""Plain-data contexts for the printed documents: emergency plans and drill checklists."""

from __future__ import annotations

import datetime as dt
import re
import textwrap

from riskkit import __version__
from riskkit.drill.model import quarter_of
from riskkit.git.info import file_version
from riskkit.runbook.view import stage_kind
from riskkit.runbook.view import view as runbook_view
from riskkit.present.jinja import render_template
from riskkit.runbook.render import render_steps, resolve_inputs

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
    """The plan's stages; ``kind`` says whether their steps run side by side or are
    alternatives for different scenarios (see ``plan.stage_kind``)."""
    out = []
    for number in range(1, len(view["stages"]) + 1):
        steps = [s for s in view["steps"] if s["stage"] == number]
        kind = stage_kind(steps)
        out.append({"number": number, "steps": steps, "kind": kind,
                    "parallel": kind in ("parallel", "mixed")})
    return out


# A line that starts like a shell command (a lower-case program name or a path, perhaps
# after a "$ " prompt) rather than like a sentence, which in a runbook starts in capitals.
_COMMAND = re.compile(r"(?:\$\s+)?(?:[a-z0-9_~.][\w.~+-]*|/[\w./-]+)(?:\s|$)")


def command_blocks(text: str) -> list[dict]:
    """``text`` (a rollback) cut into prose and command blocks: ``{"code": bool, "text"}``.

    Authors write a rollback as a command, as a sentence, or as a sentence that introduces
    commands; the commands should print as code, the sentences as text. A line that ends in
    a backslash, or an indented line after a command, continues that command.
    """
    blocks: list[dict] = []
    fresh = True
    for line in text.strip("\n").splitlines():
        if not line.strip():
            fresh = True
            continue
        last = None if fresh or not blocks else blocks[-1]
        continued = last is not None and last["code"] and (
            last["text"].rstrip().endswith("\\") or line[:1].isspace())
        code = continued or bool(_COMMAND.match(line.strip()))
        if last is not None and last["code"] == code:
            last["text"] += "\n" + line
        else:
            blocks.append({"code": code, "text": line})
        fresh = False
    for block in blocks:
        block["text"] = textwrap.dedent(block["text"]).strip() if block["code"] \
            else " ".join(ln.strip() for ln in block["text"].splitlines())
    return blocks


def _with_blocks(view: dict) -> None:
    for step in view["steps"]:
        step["rollback_blocks"] = command_blocks(step["rollback"]) if step["rollback"] else []


def plan_context(ws, loaded, runbook, given: dict, scenario: str | None,
                 as_of: dt.date, measured: dict | None = None) -> dict:
    """Everything the emergency plan templates need, as sorted plain data."""
    values = resolve_inputs(runbook, given)
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured)
    render_steps(runbook, view, values)
    _with_blocks(view)
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
    """One drill checklist: the runbook's steps with room for what really happened.

    Given inputs and the defaults they allow are filled in; the rest print as ``{name}``.
    """
    values = resolve_inputs(runbook, given, partial=True, doing="print the checklist for")
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured)
    render_steps(runbook, view, values, placeholders=True)
    _with_blocks(view)
    quarter = quarter_of(as_of)
    roles = [{"id": "game-master", "title": "Game master (runs the drill, injects "
              "complications, calls abort)", "contact": ""}]
    roles += [{"id": r["id"], "title": r["title"],
               "contact": ", ".join(x for x in (r["contact"], r["phone"]) if x)}
              for r in view["roles"]]
    roles += [{"id": "observer", "title": "Observer (takes notes, does not act)",
               "contact": ""}] * 2
    complications = []
    hands_on = [r for r in view["roles"] if r["id"] not in ("ic", "scribe", "comms")]
    if hands_on:
        complications.append(f"The {hands_on[0]['title']} ({hands_on[0]['id']}) is "
                             "unavailable for the first 15 minutes: who takes over, and do "
                             "they have access?")
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
    objectives.append("Every step verified as written, or a finding raised")
    comms = view["comms"]
    if comms.get("cadence_minutes"):
        objectives.append(f"Status updates sent on the cadence (every "
                          f"{comms['cadence_minutes']} min)")
    elif comms.get("channel") or comms.get("audiences"):
        objectives.append("Status updates sent" + (f" in {comms['channel']}"
                                                   if comms.get("channel") else ""))
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
        # undo the last change first
        "rollbacks": [{"id": s["id"], "rollback": s["rollback"],
                       "blocks": s["rollback_blocks"]}
                      for s in reversed(view["steps"]) if s["rollback"]],
        "riskkit_version": __version__,
    }


def pack_inputs(runbooks: list, given: dict) -> list[dict]:
    """The ``--var`` values for each runbook of a checklist pack: the inputs it declares,
    and the names no runbook of the pack declares (so that it refuses them, with a
    did-you-mean, as ``runbook render`` would)."""
    everywhere = {i.name for rb in runbooks for i in rb.inputs}
    out = []
    for rb in runbooks:
        mine = {i.name for i in rb.inputs}
        out.append({k: v for k, v in given.items() if k in mine or k not in everywhere})
    return out


def render_plan(ws, context: dict, fmt: str, paper: str = "a4") -> str:
    return render_template(ws.root, f"plan.{fmt}.j2", {**context, "paper": paper})


def render_checklists(ws, contexts: list[dict], fmt: str, paper: str = "a4") -> str:
    return render_template(ws.root, f"checklist.{fmt}.j2", {"checklists": contexts,
                                                            "paper": paper,
                                                            "org": ws.name})

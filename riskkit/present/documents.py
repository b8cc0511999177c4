"""Contexts for the printed documents: emergency plans and drill checklists.

A context is the templates' namespace: the plan view (its steps as printed, text rendered
over the inputs) and small frozen records built for the page, never a view mutated in place.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit import __version__
from riskkit.drill.model import quarter_of
from riskkit.git.info import file_version
from riskkit.runbook.view import PlanView, StepView, stage_kind
from riskkit.runbook.view import view as runbook_view
from riskkit.present.jinja import render_template
from riskkit.register.links import missing_risks
from riskkit.runbook.render import render_steps, resolve_inputs

if TYPE_CHECKING:
    from riskkit.load import Loaded
    from riskkit.runbook.model import Runbook
    from riskkit.workspace import Workspace

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


@dataclass(frozen=True)
class CommandBlock:
    """A piece of a rollback: a command to print as code, or prose."""

    code: bool
    text: str


@dataclass(frozen=True)
class PrintedStep(StepView):
    """A step as a document prints it: its rollback cut into command and prose blocks."""

    rollback_blocks: tuple[CommandBlock, ...] = ()


@dataclass(frozen=True)
class Stage:
    """One stage of the printed plan; ``kind`` says whether its steps run side by side or
    are alternatives for different scenarios (see ``stage_kind``)."""

    number: int
    steps: tuple[StepView, ...]
    kind: str
    parallel: bool


@dataclass(frozen=True)
class FilledInput:
    """An input of the plan with the value it was given (or got by default)."""

    name: str
    value: object
    description: str


@dataclass(frozen=True)
class Participant:
    """A row of a checklist's participants table."""

    id: str
    title: str
    contact: str


@dataclass(frozen=True)
class Rollback:
    """A step to roll back when the drill closes, with its rollback as blocks."""

    id: str
    rollback: str
    blocks: tuple[CommandBlock, ...]


def _stages(view: PlanView) -> list[Stage]:
    """The plan's stages, in order."""
    out = []
    for number in range(1, len(view.stages) + 1):
        steps = view.stage_steps(number)
        kind = stage_kind(steps)
        out.append(Stage(number, tuple(steps), kind, kind in ("parallel", "mixed")))
    return out


# A line that starts like a shell command (a lower-case program name or a path, perhaps
# after a "$ " prompt) rather than like a sentence, which in a runbook starts in capitals.
_COMMAND = re.compile(r"(?:\$\s+)?(?:[a-z0-9_~.][\w.~+-]*|/[\w./-]+)(?:\s|$)")


def command_blocks(text: str) -> list[CommandBlock]:
    """``text`` (a rollback) cut into prose and command blocks.

    Authors write a rollback as a command, as a sentence, or as a sentence that introduces
    commands; the commands should print as code, the sentences as text. A line that ends in
    a backslash, or an indented line after a command, continues that command.
    """
    blocks: list[tuple[bool, list[str]]] = []  # (code, lines) while a block grows
    fresh = True
    for line in text.strip("\n").splitlines():
        if not line.strip():
            fresh = True
            continue
        last = None if fresh or not blocks else blocks[-1]
        continued = last is not None and last[0] and (
            last[1][-1].rstrip().endswith("\\") or line[:1].isspace())
        code = continued or bool(_COMMAND.match(line.strip()))
        if last is not None and last[0] == code:
            last[1].append(line)
        else:
            blocks.append((code, [line]))
        fresh = False
    return [CommandBlock(code, textwrap.dedent("\n".join(lines)).strip() if code
                         else " ".join(ln.strip() for ln in lines))
            for code, lines in blocks]


def _printed(view: PlanView) -> PlanView:
    """The view with its steps as printed (rollbacks cut into blocks)."""
    names: dict[type, list[str]] = {}  # the fields of each type of step (one or two)

    def fields_of(step: StepView) -> list[str]:
        if type(step) not in names:
            names[type(step)] = [f.name for f in fields(step)]
        return names[type(step)]

    steps = tuple(PrintedStep(**{name: getattr(s, name) for name in fields_of(s)},
                              rollback_blocks=tuple(command_blocks(s.rollback))
                              if s.rollback else ())
                  for s in view.steps)
    return replace(view, steps=steps)


def plan_context(ws: Workspace, loaded: Loaded, runbook: Runbook, given: dict, scenario: str | None,
                 as_of: dt.date, measured: Mapping[str, float] | None = None) -> dict:
    """Everything the emergency plan templates need, as sorted plain data."""
    values = resolve_inputs(runbook, given)
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured,
                        missing_risks(loaded, runbook))
    view = _printed(render_steps(runbook, view, values))
    return {
        "org": ws.name,
        "plan": view,
        "stages": _stages(view),
        "inputs": [FilledInput(i.name, values.get(i.name), i.description)
                   for i in view.inputs],
        "generated": as_of.isoformat(),
        "version": file_version(ws.root, runbook.file),
        "riskkit_version": __version__,
    }


def checklist_context(ws: Workspace, loaded: Loaded, runbook: Runbook, given: dict,
                      scenario: str | None, as_of: dt.date, kind: str,
                      measured: Mapping[str, float] | None = None) -> dict:
    """One drill checklist: the runbook's steps with room for what really happened.

    Given inputs and the defaults they allow are filled in; the rest print as ``{name}``.
    """
    values = resolve_inputs(runbook, given, partial=True, doing="print the checklist for")
    view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario, measured,
                        missing_risks(loaded, runbook))
    view = _printed(render_steps(runbook, view, values, placeholders=True))
    quarter = quarter_of(as_of)
    roles = [Participant("game-master", "Game master (runs the drill, injects "
                         "complications, calls abort)", "")]
    roles += [Participant(r.id, r.title, ", ".join(x for x in (r.contact, r.phone) if x))
              for r in view.roles]
    roles += [Participant("observer", "Observer (takes notes, does not act)", "")] * 2
    complications = []
    hands_on = [r for r in view.roles if r.id not in ("ic", "scribe", "comms")]
    if hands_on:
        complications.append(f"The {hands_on[0].title} ({hands_on[0].id}) is "
                             "unavailable for the first 15 minutes: who takes over, and do "
                             "they have access?")
    comms = view.comms
    if comms.channel:
        complications.append(f"{comms.channel} is unavailable: move to the "
                             "bridge and say so in the status update")
    critical = view.critical_path
    if len(critical) > 2:
        complications.append(f"Step '{critical[len(critical) // 2]}' fails its verification "
                             "the first time: roll back or retry?")
    complications.append("A senior stakeholder joins the bridge asking for an ETA")
    objectives = [f"Mitigate within the expected {view.eta_minutes:g} minutes"
                  + (f" (RTO {view.rto_minutes} min)" if view.rto_minutes else "")
                  + (f", when '{view.mitigated_by}' is done; every step done in "
                     f"{view.finish_minutes:g} minutes" if view.mitigated_by else "")]
    objectives += [f"Exit criterion met: {c}" for c in view.exit_criteria]
    objectives.append("Every step verified as written, or a finding raised")
    if comms.cadence_minutes:
        objectives.append(f"Status updates sent on the cadence (every "
                          f"{comms.cadence_minutes} min)")
    elif comms.channel or comms.audiences:
        objectives.append("Status updates sent" + (f" in {comms.channel}"
                                                   if comms.channel else ""))
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
        "rollbacks": [Rollback(s.id, s.rollback, _blocks(s))
                      for s in reversed(view.steps) if s.rollback],
        "riskkit_version": __version__,
    }


def _blocks(step: StepView) -> tuple[CommandBlock, ...]:
    return step.rollback_blocks if isinstance(step, PrintedStep) else ()


def pack_inputs(runbooks: list[Runbook], given: dict) -> list[dict]:
    """The ``--var`` values for each runbook of a checklist pack: the inputs it declares,
    and the names no runbook of the pack declares (so that it refuses them, with a
    did-you-mean, as ``runbook render`` would)."""
    everywhere = {i.name for rb in runbooks for i in rb.inputs}
    out = []
    for rb in runbooks:
        mine = {i.name for i in rb.inputs}
        out.append({k: v for k, v in given.items() if k in mine or k not in everywhere})
    return out


def plan_md(context: dict, root: Path | None = None, paper: str = "a4") -> str:
    """The emergency plan from ``plan_context``; ``root``: the workspace, whose
    templates/ may override the built-in ones."""
    return render_template(root, "plan.md.j2", {**context, "paper": paper})


def plan_html(context: dict, root: Path | None = None, paper: str = "a4") -> str:
    return render_template(root, "plan.html.j2", {**context, "paper": paper})


def plan_txt(context: dict, root: Path | None = None, paper: str = "a4") -> str:
    return render_template(root, "plan.txt.j2", {**context, "paper": paper})


def checklist_pack(ws: Workspace, contexts: list[dict]) -> dict:
    """One or more checklists (from ``checklist_context``) printed as one pack."""
    return {"checklists": contexts, "org": ws.name}


def checklists_md(pack: dict, root: Path | None = None, paper: str = "a4") -> str:
    return render_template(root, "checklist.md.j2", {**pack, "paper": paper})


def checklists_html(pack: dict, root: Path | None = None, paper: str = "a4") -> str:
    return render_template(root, "checklist.html.j2", {**pack, "paper": paper})


# The other documents built from plans (the runbook site, the binder) print them alike.
printed_view = _printed
printed_stages = _stages

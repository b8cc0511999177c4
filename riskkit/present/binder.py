"""The offline binder: every runbook's plan (or those named) in one pack, with a blank
line wherever an input goes, for the day the laptop or the network is gone.

Each plan is printed as ``runbook render`` prints it (the same template, the same print
rules: a step never split across pages, a plan starting on a new page); a value the room
must write is a line to write on, named for its input, never a made-up value.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit import __version__
from riskkit.git.info import file_version
from riskkit.present.documents import FilledInput, printed_stages, printed_view
from riskkit.present.jinja import render_template
from riskkit.register.links import missing_risks
from riskkit.runbook.render import MARK_CLOSE, MARK_OPEN, MARKED, render_steps
from riskkit.runbook.view import view as runbook_view

if TYPE_CHECKING:
    from riskkit.load import Loaded
    from riskkit.runbook.model import Runbook


def binder_context(loaded: Loaded, runbooks: list[Runbook], scenario: str | None,
                   as_of: dt.date) -> dict[str, Any]:
    """The pack: a plan context (as ``plan_context`` gives) per runbook, every input open."""
    ws = loaded.workspace
    plans = []
    for runbook in runbooks:
        view = runbook_view(runbook, ws.roles, loaded.risks_of(runbook.id), scenario,
                            loaded.measured(runbook.id), missing_risks(loaded, runbook))
        view = printed_view(render_steps(runbook, view, {}, placeholders=True, marks=True))
        inputs = [FilledInput(i.name, f"{MARK_OPEN}{i.name}{MARK_CLOSE}",
                              i.description + _default_note(i.default))
                  for i in runbook.inputs]
        plans.append({"plan": view, "stages": printed_stages(view), "inputs": inputs,
                      "version": file_version(ws.root, runbook.file)})
    return {"org": ws.name, "plans": plans, "generated": as_of.isoformat(),
            "riskkit_version": __version__}


def _default_note(default: object) -> str:
    if default is None:
        return ""
    text = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", r"{\1}", str(default))
    return f" (default: {' '.join(text.split())})"


def _blank_html(name: str) -> str:
    return f'<span class="blank" title="{name}"><small>{name}</small></span>'


def binder_html(pack: dict[str, Any], root: Path | None = None, paper: str = "a4") -> str:
    html = render_template(root, "binder.html.j2", {**pack, "paper": paper})
    return MARKED.sub(lambda m: _blank_html(m.group(1)), html)


def _joined(pack: dict[str, Any], root: Path | None, paper: str, template: str,
            between: str) -> str:
    common = {k: v for k, v in pack.items() if k != "plans"}
    parts = [render_template(root, template, {**common, **plan, "paper": paper})
             for plan in pack["plans"]]
    return MARKED.sub(lambda m: f"________ ({m.group(1)})", between.join(parts))


def binder_md(pack: dict[str, Any], root: Path | None = None, paper: str = "a4") -> str:
    return _joined(pack, root, paper, "plan.md.j2", "\n---\n\n")


def binder_txt(pack: dict[str, Any], root: Path | None = None, paper: str = "a4") -> str:
    return _joined(pack, root, paper, "plan.txt.j2", "\f\n")

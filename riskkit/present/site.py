"""``riskkit site``: the runbook library as a self-contained static site.

An index (search by alert, trigger or title; severity; time to mitigate against the RTO;
last drill; the register's heat map) and one page per runbook at ``runbooks/<id>/``, the
stable path an alert's ``runbook_url`` names. A page shows the plan with its inputs as
fields: the commands are rendered here with each open input marked (a span per input), and
a few lines of plain JavaScript put the typed values in as text. Every scenario's plan is
rendered too, and the page switches between them. Nothing is fetched: the CSS and the
script are in each page, the links are relative (to ``index.html`` files, so the site
works from ``file://`` as well as from any static host).

The core returns the files as text; the command writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit import __version__
from riskkit.alerts.url import page_path, page_url, target
from riskkit.drill.model import last_drills
from riskkit.present.heatmap import heatmap, heatmap_svg
from riskkit.present.jinja import render_template
from riskkit.register import rules
from riskkit.runbook.measure import measured_label
from riskkit.runbook.render import MARK_CLOSE, MARK_OPEN, MARKED

if TYPE_CHECKING:
    from markupsafe import Markup

    from riskkit.load import Loaded
    from riskkit.runbook.model import Input, Runbook
    from riskkit.runbook.view import PlanView
    from riskkit.present.documents import Stage

MANIFEST = "riskkit-site.json"  # the files the last run wrote, to remove stale pages


@dataclass(frozen=True)
class AlertLink:
    """An alert that leads to a runbook: by name in the runbook, or by its runbook_url."""

    name: str
    severity: str
    where: str  # file:line of the rule, or "" when no rule file defines it
    by: str  # "alerts:" or "runbook_url"


@dataclass(frozen=True)
class Variant:
    """The plan for one scenario (``key`` "" for every scenario's steps)."""

    key: str
    label: str
    plan: PlanView
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class SiteInput:
    """An input as the page's form and script take it: its default as parts (text, and the
    inputs it is worked out from), or None when working it out takes more than
    substitution (the field then stays open until typed)."""

    name: str
    description: str
    required: bool
    default: str | None  # as shown: {name} where it uses another input
    default_parts: tuple[tuple[str, str], ...] | None
    choices: tuple[str, ...]
    pattern: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "required": self.required, "default": self.default,
                "default_parts": None if self.default_parts is None
                else [list(p) for p in self.default_parts],
                "choices": list(self.choices), "pattern": self.pattern}


@dataclass(frozen=True)
class RunbookRow:
    """A runbook as the index lists it."""

    id: str
    title: str
    severity: str
    owner: str
    alerts: tuple[str, ...]
    triggers: tuple[str, ...]
    eta_minutes: float
    rto_minutes: int | None
    within_rto: bool | None
    drilled_eta_minutes: float | None
    last_drill: str  # "2026-10-15 (pass)", or "never"
    risks: tuple[str, ...]
    href: str
    search: str  # the lower-case text the search box looks in
    measured_label: str = "as drilled"  # or "as measured in drills and incidents"…


def site_files(loaded: Loaded, as_of: dt.date, base_url: str | None) -> dict[str, str]:
    """Every file of the site by its path from the top (``/``-separated), as text."""
    ws = loaded.workspace
    last = last_drills(loaded.drills)
    links = _alert_links(loaded)
    files: dict[str, str] = {}
    rows = []
    for runbook in loaded.runbooks:
        path = page_path(runbook.id) + "index.html"
        files[path] = _page(loaded, runbook, as_of, base_url, links.get(runbook.id, []))
        rows.append(_row(loaded, runbook, last, path, links.get(runbook.id, [])))
    risks = loaded.risks
    context = {
        "org": ws.name,
        "generated": as_of.isoformat(),
        "riskkit_version": __version__,
        "base_url": base_url,
        "rows": rows,
        "severities": sorted({r.severity for r in rows if r.severity}),
        "heatmap_current": _inline_svg(heatmap_svg(heatmap(ws.matrix, risks),
                                                   "Current ratings")),
        "heatmap_residual": _inline_svg(heatmap_svg(heatmap(ws.matrix, risks, residual=True),
                                                    "Residual ratings")),
        "risk_count": sum(1 for r in risks if rules.is_active(r)),
    }
    files["index.html"] = render_template(ws.root, "site_index.html.j2", context)
    files[MANIFEST] = json.dumps({"generator": "riskkit site",
                                  "files": sorted([*files, MANIFEST])}, indent=2) + "\n"
    return files


def stale_files(folder: str, files: dict[str, str]) -> list[str]:
    """Files an earlier run wrote into ``folder`` (by its manifest) that this run does not:
    the pages of runbooks since renamed or removed, which must not answer a runbook_url."""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            written = json.load(handle).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    out = []
    for rel in written if isinstance(written, list) else []:
        if not isinstance(rel, str) or rel in files or rel.startswith("/") \
                or ".." in rel.split("/") or not rel.endswith(".html"):
            continue
        if os.path.isfile(os.path.join(folder, *rel.split("/"))):
            out.append(rel)
    return sorted(out)


def _inline_svg(svg: str) -> str:
    """An SVG to put in a page: in HTML the namespace is implied, so no URL is left."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)


def _alert_links(loaded: Loaded) -> dict[str, list[AlertLink]]:
    """By runbook id: the alerts it names and the alerts whose runbook_url names it."""
    found = loaded.alert_rules
    by_name: dict[str, list[Any]] = {}
    for rule in found.rules if found else ():
        by_name.setdefault(rule.name, []).append(rule)
    out: dict[str, list[AlertLink]] = {}
    for runbook in loaded.runbooks:
        for name in runbook.alerts:
            for rule in by_name.get(name) or [None]:
                where = f"{rule.file}:{rule.at('alert')[0]}" if rule else ""
                out.setdefault(runbook.id, []).append(
                    AlertLink(name, (rule.severity or "") if rule else "", where, "alerts:"))
    base = loaded.workspace.site_base_url
    for rule in found.rules if found else ():
        if rule.runbook_url:
            ident = target(rule.runbook_url, base).runbook
            if ident and not any(a.where == f"{rule.file}:{rule.at('alert')[0]}"
                                 for a in out.get(ident, [])):
                out.setdefault(ident, []).append(AlertLink(
                    rule.name, rule.severity or "", f"{rule.file}:{rule.at('alert')[0]}",
                    "runbook_url"))
    return out


def _row(loaded: Loaded, runbook: Runbook, last: dict[str, Any], href: str,
         alerts: list[AlertLink]) -> RunbookRow:
    linked = loaded.risks_of(runbook.id)
    eta = runbook.eta_minutes
    measured = loaded.measured(runbook.id)
    drilled = runbook.drilled_eta_minutes(measured)
    drill = last.get(runbook.id)
    names = tuple(dict.fromkeys([*runbook.alerts, *(a.name for a in alerts)]))
    triggers = tuple(_plain(t) for t in runbook.triggers)
    search = " ".join([runbook.id, _plain(runbook.title), *names, *triggers,
                       *(r.id for r in linked)]).lower()
    return RunbookRow(
        id=runbook.id, title=_plain(runbook.title), severity=runbook.severity,
        owner=runbook.owner, alerts=names, triggers=triggers, eta_minutes=eta,
        rto_minutes=rules.binding_rto(linked), within_rto=rules.within_rto(eta, linked),
        drilled_eta_minutes=drilled,
        last_drill=f"{drill.date.isoformat()} ({drill.outcome})" if drill else "never",
        risks=tuple(r.id for r in linked), href=href, search=search,
        measured_label=measured_label(measured.sources))


def _plain(text: str) -> str:
    """Runbook text where it cannot be filled in (the index, a page title): an input
    shows as ``{name}``."""
    return re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", r"{\1}", text)


def _page(loaded: Loaded, runbook: Runbook, as_of: dt.date, base_url: str | None,
          alerts: list[AlertLink]) -> str:
    from riskkit.present.documents import printed_stages, printed_view
    from riskkit.problems import InputError
    from riskkit.register.links import missing_risks
    from riskkit.runbook.render import render_steps
    from riskkit.runbook.view import view

    ws = loaded.workspace
    measured = loaded.measured(runbook.id)
    missing = missing_risks(loaded, runbook)
    variants = []
    for key in ("", *runbook.scenarios):
        try:
            plan = view(runbook, ws.roles, loaded.risks_of(runbook.id), key or None, measured,
                        missing)
        except InputError:  # a scenario with no steps (validate warns: W008)
            continue
        plan = printed_view(render_steps(runbook, plan, {}, placeholders=True, marks=True))
        variants.append(Variant(key, key or "every scenario", plan,
                                tuple(printed_stages(plan))))
    drills = [d for d in loaded.drills if d.runbook == runbook.id]
    inputs = [_input(i) for i in runbook.inputs]
    context = {
        "org": ws.name,
        "generated": as_of.isoformat(),
        "riskkit_version": __version__,
        "plan": variants[0].plan,
        "title": _plain(runbook.title),
        "variants": variants,
        "inputs": inputs,
        "inputs_json": _script_json({"inputs": [i.to_dict() for i in inputs],
                                     "scenarios": [v.key for v in variants]}),
        "alerts": alerts,
        "drills": [{"date": d.date.isoformat(), "kind": d.kind, "outcome": d.outcome,
                    "scenario": d.scenario or ""} for d in reversed(drills)],
        "url": page_url(base_url, runbook.id) if base_url else None,
        "index": "../../index.html",
    }
    html = render_template(ws.root, "site_runbook.html.j2", context)
    return MARKED.sub(lambda m: _slot(m.group(1), {i.name for i in runbook.inputs}), html)


def _slot(name: str, inputs: set[str]) -> str:
    """The span the page's script fills with input ``name``'s value (as text)."""
    if name not in inputs:  # cannot happen for a valid runbook; show it as the plan would
        return "{" + name + "}"
    return f'<span class="slot" data-input="{name}">{{{name}}}</span>'


def _input(spec: Input) -> SiteInput:
    default = spec.default
    parts: tuple[tuple[str, str], ...] | None = None
    if default is not None:
        pieces = re.split(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", str(default))
        if not any(m in p for p in pieces[::2] for m in ("{{", "{%", "{#")):
            parts = tuple(("input" if i % 2 else "text", p) for i, p in enumerate(pieces)
                          if p)
    return SiteInput(spec.name, spec.description, spec.required,
                     None if default is None else _plain(str(default)), parts,
                     tuple(str(c) for c in spec.choices), spec.pattern)


def _script_json(data: Any) -> Markup:
    """JSON to put inside a ``<script type="application/json">`` as it is (a script's
    text is not HTML): no ``<``, ``>`` or ``&`` in it, so nothing can close the script."""
    from markupsafe import Markup

    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          (MARK_OPEN, ""), (MARK_CLOSE, "")):
        text = text.replace(char, escaped)
    return Markup(text)

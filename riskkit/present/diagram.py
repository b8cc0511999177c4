"""Runbook graphs as Graphviz DOT and Mermaid, with the critical path highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from riskkit.runbook.view import PlanView, StepView

CRITICAL = "#c62828"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(step: StepView) -> str:
    bits = [step.role or "no role"]
    if step.minutes is not None:
        bits.append(f"{step.minutes:g} min")
    marks = (" [approval: " + step.approval + "]" if step.approval else "") + \
        (" [irreversible]" if step.irreversible else "")
    title = step.title if len(step.title) <= 48 else step.title[:45] + "..."
    return f"{step.id}\n{title}\n{' · '.join(bits)}{marks}"


def _missing(view: PlanView, mark: str) -> list[str]:
    """Comment lines naming the risks the plan cannot show (a graph has no header)."""
    return [f"  {mark} MISSING " + " ".join(m.text.split()) for m in view.missing]


def to_dot(view: PlanView) -> str:
    critical = view.critical_path
    on_path = set(zip(critical, critical[1:]))
    label = f"{view.title} (ETA {view.eta_minutes:g} min)"
    lines = [f"digraph {_dot_str(view.id)} {{",
             f"  label={_dot_str(label)};",
             "  labelloc=t; rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
             'fontname="Helvetica", fontsize=10];',
             '  edge [color="#607d8b"];']
    lines += _missing(view, "//")
    for step in view.steps:
        attrs = [f"label={_dot_str(_label(step))}"]
        if step.critical:
            attrs += [f'color="{CRITICAL}"', "penwidth=2.5", 'fillcolor="#ffebee"']
        if step.irreversible:
            attrs.append('peripheries=2')
        lines.append(f"  {_dot_str(step.id)} [{', '.join(attrs)}];")
    for i, stage in enumerate(view.stages, 1):
        members = "; ".join(_dot_str(s) for s in stage)
        lines.append(f"  {{ rank=same; {members}; }}  // stage {i}")
    for step in view.steps:
        for need in step.needs:
            style = f' [color="{CRITICAL}", penwidth=2.5]' if (need, step.id) in on_path else ""
            lines.append(f"  {_dot_str(need)} -> {_dot_str(step.id)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;").replace("\n", "<br/>"))


def to_mermaid(view: PlanView) -> str:
    ids = {step.id: f"s{i}" for i, step in enumerate(view.steps)}
    critical = view.critical_path
    on_path = set(zip(critical, critical[1:]))
    lines = ["flowchart TD", *_missing(view, "%%")]
    for step in view.steps:
        lines.append(f'  {ids[step.id]}["{_mermaid_text(_label(step))}"]')
    edge, highlighted = 0, []
    for step in view.steps:
        for need in step.needs:
            lines.append(f"  {ids[need]} --> {ids[step.id]}")
            if (need, step.id) in on_path:
                highlighted.append(str(edge))
            edge += 1
    lines.append(f"  classDef critical stroke:{CRITICAL},stroke-width:3px,fill:#ffebee")
    if critical:
        lines.append("  class " + ",".join(ids[s] for s in critical) + " critical")
    if highlighted:
        lines.append(f"  linkStyle {','.join(highlighted)} stroke:{CRITICAL},stroke-width:3px")
    return "\n".join(lines) + "\n"

"""``runbook show`` as text for people (JSON is the same view, as data)."""

from __future__ import annotations

from riskkit.runbook.view import PlanView, StepView, stage_kind


def minutes_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


STAGE_NOTES = {"single": "", "parallel": " (in parallel)",
               "alternatives": " (alternatives: one per scenario)",
               "mixed": " (in parallel, each step only in its scenarios)"}


def measured_text(step: StepView) -> str:
    """What drills and incidents measured of a step, for beside its estimate:
    ``drilled 6``, ``in incidents: median 7``, or both; empty when neither did."""
    parts = []
    if step.measured_minutes is not None:
        parts.append(f"drilled {step.measured_minutes:g}")
    if step.incident_minutes is not None:
        parts.append(f"in incidents: median {step.incident_minutes:g}")
    return "; ".join(parts)


def view_text(v: PlanView) -> str:
    """The text of ``runbook show``: the plan view for a person."""
    out = [f"{v.id}: {v.title}"]
    meta = [x for x in (v.severity, v.owner and f"owner {v.owner}") if x]
    if meta:
        out.append(" · ".join(meta))
    if v.risks:
        out.append("risks: " + ", ".join(f"{r.id} ("
                                        + ("closed, " if r.status == "closed" else "")
                                        + f"{r.level} {r.score}"
                                        + (f", RTO {r.rto_minutes} min" if r.rto_minutes
                                           is not None else "") + ")" for r in v.risks))
    out += [f"MISSING {m.text}" for m in v.missing]  # never left to stderr alone
    if v.alerts:
        out.append("alerts: " + ", ".join(v.alerts))
    if v.scenario:
        out.append(f"scenario: {v.scenario} ({v.scenarios[v.scenario]})")
    elif v.scenarios:
        out.append("scenarios: " + ", ".join(v.scenarios) + " (pick one with --scenario)")
    eta = f"expected time to mitigate: {v.eta_minutes:g} min"
    if v.rto_minutes is not None:
        verdict = "within" if v.within_rto else "ABOVE"
        eta += f" ({verdict} the RTO of {v.rto_minutes} min)"
    if v.mitigated_by:
        eta += f", when '{v.mitigated_by}' is done"
    out += [eta, "critical path: " + " -> ".join(v.critical_path)]
    if v.drilled_eta_minutes is not None:
        drilled = f"{v.measured_label}: {v.drilled_eta_minutes:g} min via " \
            + " -> ".join(v.drilled_critical_path or ())
        if v.drilled_within_rto is not None:
            verdict = "within" if v.drilled_within_rto else "ABOVE"
            drilled += f" ({verdict} the RTO of {v.rto_minutes} min)"
        out.append(drilled)
    if v.mitigated_by:
        out.append(f"to finish every step: {v.finish_minutes:g} min via "
                   + " -> ".join(v.finish_path))
    else:
        out.append(f"to finish every step: {v.finish_minutes:g} min (no step is marked "
                   "'mitigates': the whole runbook counts)")
    if v.unestimated:
        out.append("no estimate (counted as 0): " + ", ".join(v.unestimated))
    for i in range(1, len(v.stages) + 1):
        steps = v.stage_steps(i)
        out.append("")
        out.append(f"Stage {i}" + STAGE_NOTES[stage_kind(steps)])
        for step in steps:
            mark = "*" if step.critical else " "
            minutes = minutes_text(step.minutes)
            measured = measured_text(step)
            if measured:
                minutes += f" ({measured})"
            flags = "".join([f" [approval: {step.approval}]" if step.approval else "",
                             " [irreversible]" if step.irreversible else "",
                             " [mitigates]" if step.mitigates else "",
                             f" [only when: {', '.join(step.when)}]"
                             if step.when and not v.scenario else ""])
            out.append(f" {mark} {step.id:<22} {step.role or '-':<10} {minutes:>5} min  "
                       f"{step.title}{flags}")
    out += ["", "* on the critical path", "", "Roles"]
    for role in v.roles:
        reach = ", ".join(x for x in (role.contact, role.pager and f"pager {role.pager}",
                                      role.phone) if x)
        out.append(f"  {role.id:<10} {role.title:<32} {role.steps} step(s), "
                   f"{role.minutes:g} min" + (f"  {reach}" if reach else ""))
    if v.inputs:
        out += ["", "Inputs"]
        for inp in v.inputs:
            bits = ["required" if inp.required else "optional"]
            if inp.default is not None:
                bits.append(f"default {inp.default}")
            if inp.choices:
                bits.append("one of " + ", ".join(map(str, inp.choices)))
            if inp.pattern:
                bits.append(f"pattern {inp.pattern}")
            out.append(f"  {inp.name:<12} {'; '.join(bits)}  {inp.description}")
    return "\n".join(out) + "\n"

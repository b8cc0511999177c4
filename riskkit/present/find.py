"""``runbook find`` as text: the matches, best first, and the command for the top one."""

from __future__ import annotations

from riskkit.alerts.find import Found
from riskkit.present.formats import table


def find_text(found: Found) -> str:
    rows = [[str(n), m.runbook.id, m.runbook.severity or "-", f"{m.runbook.eta_minutes:g} min",
             _short("; ".join(m.why), 60)] for n, m in enumerate(found.matches, 1)]
    out = [f"Runbooks for {found.query}, best first:", "",
           table(rows, ["#", "runbook", "severity", "eta", "why"]).rstrip("\n"), "",
           "Render the top one:", f"  {found.command}"]
    out += [f"    {name}: {about}" for name, about in found.needs]
    if found.page:
        out.append(f"  or open {found.page}")
    return "\n".join(out) + "\n"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"

"""The tabular views: the scored register, the runbook list and a quarter's drill plan,
each as a text table, JSON, Markdown (and CSV for the register)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit.files.fsutil import Pieces
from riskkit.present.formats import json_list, markdown_table, table
from riskkit.present.showtext import minutes_text
from riskkit.register import rules

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded
    from riskkit.register.risk import Risk
    from riskkit.workspace import Workspace


@dataclass(frozen=True)
class RiskList:
    """Risks in the order to show them, each with whether it is above the appetite."""

    risks: list[Risk]
    above: list[bool]
    appetite: str | None  # the appetite level's id, for the table's footnote

    @classmethod
    def of(cls, ws: Workspace, risks: list[Risk]) -> RiskList:
        return cls(list(risks), [rules.above_appetite(ws, r) for r in risks],
                   ws.appetite.id if ws.appetite else None)


RISK_HEADERS = ["id", "level", "score", "LxI", "residual", "status", "owner", "title"]


def _risk_rows(data: RiskList) -> list[list[Any]]:
    rows = []
    for r, above in zip(data.risks, data.above):
        res = f"{r.residual.level.id} {r.residual.score}" if r.residual else "-"
        rows.append([r.id, r.level.id + ("!" if above else ""), r.rating.score,
                     f"{r.rating.likelihood}x{r.rating.impact}", res, r.status, r.owner,
                     r.title])
    return rows


def risks_table(data: RiskList) -> str:
    text = table(_risk_rows(data), RISK_HEADERS)
    if data.appetite:
        text += f"\n{len(data.risks)} risk(s); ! = above the appetite ({data.appetite})\n"
    return text


def risks_md(data: RiskList) -> str:
    return markdown_table(_risk_rows(data), RISK_HEADERS)


def risks_csv(data: RiskList) -> str:
    """Every field of every risk, one row a risk, in the flat shape of
    ``riskkit.exchange.rows`` (what ``riskkit import`` reads back)."""
    from riskkit.exchange.rows import csv_text, risk_row

    return csv_text(risk_row(r, above) for r, above in zip(data.risks, data.above))


def risks_xlsx(data: RiskList, as_of: dt.date | None = None) -> bytes:
    """The rows of ``risks_csv`` as an Excel workbook (needs the ``xlsx`` extra); the
    same bytes for the same register and ``as_of``."""
    from riskkit.exchange.rows import risk_row
    from riskkit.exchange.xlsx import workbook_bytes

    return workbook_bytes([risk_row(r, above) for r, above in zip(data.risks, data.above)],
                          as_of or dt.date(1980, 1, 1), "riskkit register")


def risks_json(data: RiskList) -> Pieces:
    return json_list(r.to_dict(above) for r, above in zip(data.risks, data.above))


def runbook_list(loaded: Loaded) -> list[dict]:
    """Every runbook: severity, steps, expected time to mitigate (and to finish every
    step) against the tightest RTO of its risks, linked risks."""
    out = []
    for rb in loaded.runbooks:
        risks = loaded.risks_of(rb.id)
        out.append({"id": rb.id, "title": rb.title, "severity": rb.severity or None,
                    "owner": rb.owner or None, "steps": len(rb.steps),
                    "eta_minutes": rb.eta_minutes, "finish_minutes": rb.finish_minutes,
                    "rto_minutes": rules.binding_rto(risks),
                    "within_rto": rules.within_rto(rb.eta_minutes, risks),
                    "risks": [r.id for r in risks], "file": rb.file})
    return out


RUNBOOK_HEADERS = ["id", "severity", "steps", "eta_min", "done_min", "rto_min", "risks",
                   "title"]


def _runbook_rows(items: list[dict]) -> list[list[Any]]:
    return [[i["id"], i["severity"] or "-", i["steps"],
             minutes_text(i["eta_minutes"]) + ("!" if i["within_rto"] is False else ""),
             minutes_text(i["finish_minutes"]), minutes_text(i["rto_minutes"]),
             ", ".join(i["risks"]) or "-", i["title"]] for i in items]


def runbooks_table(items: list[dict]) -> str:
    text = table(_runbook_rows(items), RUNBOOK_HEADERS)
    if any(i["within_rto"] is False for i in items):
        text += "\n! = the expected time to mitigate is above the RTO\n"
    return text


def runbooks_md(items: list[dict]) -> str:
    return markdown_table(_runbook_rows(items), RUNBOOK_HEADERS)


DRILL_HEADERS = ["#", "runbook", "level", "last drill", "why"]


def _drill_rows(data: dict) -> list[list[Any]]:
    return [[d["rank"], d["runbook"], d["level"], d["last_drill"] or "never", d["reason"]]
            for d in data["due"]]


def drill_plan_table(data: dict) -> str:
    """``data``: ``{"quarter": "2027Q1", "due": [...]}`` as ``drill.model.plan`` ranks it."""
    rows = _drill_rows(data)
    text = table(rows, DRILL_HEADERS) if rows else "nothing is due\n"
    return f"Drills due in {data['quarter']}: {len(data['due'])}\n\n{text}"


def drill_plan_md(data: dict) -> str:
    return f"## Drills due in {data['quarter']}\n\n" + markdown_table(_drill_rows(data),
                                                                      DRILL_HEADERS)

"""``riskkit retro``: the quarter's retrospective as Markdown, HTML (charts as inline SVG,
as in the report) or JSON, from ``riskkit.retro.quarter``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from riskkit import __version__
from riskkit.present.formats import to_json
from riskkit.present.jinja import render_template
from riskkit.retro.quarter import Retro


@dataclass(frozen=True)
class RetroView:
    """The retrospective and the workspace, whose templates/ may override the built-ins."""

    retro: Retro
    root: Path | None = None

    def to_dict(self) -> dict[str, object]:
        return self.retro.to_dict()


def _context(view: RetroView) -> dict[str, object]:
    from riskkit.review.registry import KINDS

    return {"r": view.retro, "version": __version__, "labels": KINDS}


def retro_md(view: RetroView) -> str:
    return render_template(view.root, "retro.md.j2", _context(view))


def retro_html(view: RetroView) -> str:
    return render_template(view.root, "retro.html.j2", {**_context(view),
                                                        "charts": charts(view.retro)})


def retro_json(view: RetroView) -> str:
    return to_json(view.to_dict())


def charts(r: Retro) -> dict[str, str]:
    """The page's charts, each an inline SVG (empty when there is nothing to draw)."""
    from riskkit.present.charts import bars_svg

    out: dict[str, str] = {}
    timed = [i for i in r.incidents if i.time_to_mitigate is not None]
    if timed:
        out["incidents"] = bars_svg(
            "Incidents: time to mitigate against the RTO (min)", [i.id for i in timed],
            [("time to mitigate", "#e65100"), ("RTO", "#90a4ae")],
            [[i.time_to_mitigate, i.rto_minutes] for i in timed], " min")
    out["work"] = bars_svg(
        "The quarter's work", ["drills", "drill findings", "action items"],
        [("planned / opened", "#90a4ae"), ("done / closed", "#2e7d32")],
        [[len(r.planned), len(r.drills)], [r.findings_opened, r.findings_closed],
         [r.actions_opened, r.actions_closed]])
    if not r.history:
        out["risks"] = bars_svg(
            "Risks in git this quarter", ["added", "re-rated up", "re-rated down", "closed",
                                          "removed"],
            [("risks", "#4f83cc")],
            [[r.count(k)] for k in ("added", "up", "down", "closed", "removed")])
    kinds = sorted(set(r.backlog_now) | set(r.backlog_then or {}))
    if kinds:
        out["backlog"] = bars_svg(
            "Review backlog: at the start of the quarter and now", kinds,
            [("then", "#90a4ae"), ("now", "#c62828")],
            [[(r.backlog_then or {}).get(k, 0) if r.backlog_then is not None else None,
              r.backlog_now.get(k, 0)] for k in kinds])
    return out

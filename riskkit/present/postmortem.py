"""``riskkit postmortem``: the postmortem draft as Markdown (to commit beside the journal
and review in a pull request), HTML or JSON, from ``riskkit.incident.postmortem``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from riskkit import __version__
from riskkit.incident.postmortem import Postmortem
from riskkit.present.formats import to_json
from riskkit.present.jinja import render_template


@dataclass(frozen=True)
class PostmortemView:
    """The draft's data and the workspace, whose templates/ may override the built-ins."""

    pm: Postmortem
    root: Path | None = None

    def to_dict(self) -> dict[str, object]:
        return self.pm.to_dict()


def _context(view: PostmortemView) -> dict[str, object]:
    return {"pm": view.pm, "version": __version__}


def _chart(pm: Postmortem) -> str:
    """Each timed step: its estimate, its drilled minutes and this time."""
    from riskkit.present.charts import bars_svg

    steps = [s for s in pm.steps if s.took is not None or s.estimate is not None]
    return bars_svg("Minutes per step: estimated, drilled, this time",
                    [s.id for s in steps],
                    [("estimate", "#90a4ae"), ("drilled", "#4f83cc"),
                     ("this time", "#e65100")],
                    [[s.estimate, s.drilled, s.took] for s in steps], " min")


def postmortem_md(view: PostmortemView) -> str:
    return render_template(view.root, "postmortem.md.j2", _context(view))


def postmortem_html(view: PostmortemView) -> str:
    return render_template(view.root, "postmortem.html.j2",
                           {**_context(view), "chart": _chart(view.pm) if view.pm.steps
                            else ""})


def postmortem_json(view: PostmortemView) -> str:
    return to_json(view.to_dict())

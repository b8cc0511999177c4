"""``riskkit report`` over several workspaces: one page, each workspace on its own matrix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from riskkit import __version__
from riskkit.exchange.rollup import rollup
from riskkit.present.heatmap import heatmap, heatmap_svg
from riskkit.present.jinja import render_template

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded


def rollup_context(spaces: Sequence[tuple[str, Loaded]], as_of: dt.date) -> dict[str, Any]:
    data = rollup(spaces, as_of)
    maps = {key: heatmap_svg(heatmap(loaded.workspace.matrix, loaded.risks),
                             f"{key} ({loaded.workspace.matrix.name})")
            for key, loaded in spaces}
    for row in data["workspaces"]:
        row["heatmap"] = maps[row["key"]]
    return data | {"riskkit_version": __version__}


def render_rollup(spaces: Sequence[tuple[str, Loaded]], as_of: dt.date) -> str:
    """The page; templates/rollup.html.j2 of the first workspace overrides the built-in."""
    return render_template(spaces[0][1].workspace.root, "rollup.html.j2",
                           rollup_context(spaces, as_of),
                           risks=sum(len(loaded.risks) for _, loaded in spaces))

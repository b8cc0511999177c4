"""The heat map: risks per matrix cell, as data, text and standalone SVG."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from riskkit.problems import visible
from riskkit.register import rules
from riskkit.register.matrix import Matrix
from riskkit.register.risk import Risk


def heatmap(matrix: Matrix, risks: Iterable[Risk], residual: bool = False) -> dict:
    """Plain data: one cell per likelihood x impact, with its level and the risks in it."""
    cells: dict[tuple[int, int], list[str]] = {}
    for risk in risks:
        if not rules.is_active(risk):  # a closed risk no longer sits on the map
            continue
        rating = risk.residual if residual else risk.rating
        if rating is None:
            rating = risk.rating  # no planned controls: residual is the current rating
        cells.setdefault((rating.likelihood, rating.impact), []).append(risk.id)
    levels = {lv.id: lv for lv in matrix.levels}
    out = []
    for li in range(len(matrix.likelihood), 0, -1):
        for im in range(1, len(matrix.impact) + 1):
            level = levels[matrix.grid[li - 1][im - 1]]
            ids = sorted(cells.get((li, im), []))
            out.append({"likelihood": li, "impact": im, "level": level.id, "color": level.color,
                        "count": len(ids), "risks": ids})
    return {
        "matrix": matrix.name,
        "rating": "residual" if residual else "current",
        "likelihood": [e.id for e in matrix.likelihood],
        "impact": [e.id for e in matrix.impact],
        "levels": [{"id": lv.id, "name": lv.name, "color": lv.color} for lv in matrix.levels],
        "cells": out,
        "total": sum(len(v) for v in cells.values()),
    }


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _paint(text: str, color: str) -> str:
    """Black text on the level's colour (24-bit ANSI), for terminals."""
    r, g, b = _rgb(color)
    return f"\x1b[48;2;{r};{g};{b}m\x1b[30m{text}\x1b[0m"


def heatmap_text(data: dict, color: bool = False) -> str:
    """The heat map for a terminal. Its names are made visible here, before the colour
    codes go in (the command emits painted text as it is: ``riskkit.cli.common.emit``)."""
    likelihood = [visible(x) for x in data["likelihood"]]
    impact = [visible(x) for x in data["impact"]]
    names = {lv["id"]: visible(lv["name"]) for lv in data["levels"]}
    width = max(12, *(len(names[c["level"]]) + 5 for c in data["cells"]))
    label = max(len(x) for x in likelihood) + 4
    lines = [f"{data['rating'].capitalize()} ratings on the {visible(data['matrix'])} matrix "
             f"({data['total']} risks)", ""]
    by_row: dict[int, list] = {}
    for cell in data["cells"]:
        by_row.setdefault(cell["likelihood"], []).append(cell)
    for li in sorted(by_row, reverse=True):
        parts = []
        for cell in by_row[li]:
            text = f"{cell['count'] or '.':>3} {names[cell['level']]}".ljust(width)
            if color:
                text = _paint(text, cell["color"])
            parts.append(text)
        lines.append(f"{li} {likelihood[li - 1]}".ljust(label) + "|" + "|".join(parts) + "|")
    lines.append(" " * label + "+" + "+".join("-" * width for _ in impact) + "+")
    lines.append(" " * label + " " + " ".join(f"{i} {x}"[:width].ljust(width)
                                               for i, x in enumerate(impact, 1)))
    lines.append("")
    lines.append("rows: likelihood (highest at the top); columns: impact")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def heatmap_svg(data: dict, title: str | None = None) -> str:
    """A clean standalone SVG (no scripts, no external references)."""
    cell, left, top = 64, 120, 40
    rows, cols = len(data["likelihood"]), len(data["impact"])
    width, height = left + cols * cell + 20, top + rows * cell + 60
    title = title or f"{data['rating'].capitalize()} ratings ({data['matrix']})"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>",
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    for c in data["cells"]:
        x = left + (c["impact"] - 1) * cell
        y = top + (rows - c["likelihood"]) * cell
        tip = escape(", ".join(c["risks"]) or "no risks")
        out.append(f'<g><title>{tip}</title><rect x="{x}" y="{y}" width="{cell}" '
                   f'height="{cell}" fill="{c["color"]}" stroke="#ffffff" stroke-width="2"/>')
        if c["count"]:
            out.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 6}" text-anchor="middle" '
                       f'font-size="18" font-weight="bold" fill="#000000">{c["count"]}</text>')
        out.append("</g>")
    for i, name in enumerate(data["likelihood"], 1):
        y = top + (rows - i) * cell + cell / 2 + 4
        out.append(f'<text x="{left - 6}" y="{y}" text-anchor="end">{escape(name)}</text>')
    for i, name in enumerate(data["impact"], 1):
        x = left + (i - 1) * cell + cell / 2
        out.append(f'<text x="{x}" y="{top + rows * cell + 16}" text-anchor="middle" '
                   f'font-size="10">{escape(name)}</text>')
    out.append(f'<text x="{left + cols * cell / 2}" y="{height - 12}" text-anchor="middle">'
               "impact</text>")
    out.append(f'<text x="14" y="{top + rows * cell / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + rows * cell / 2})">likelihood</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

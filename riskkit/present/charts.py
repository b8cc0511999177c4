"""Small inline SVG bar charts for the postmortem and the retrospective pages: each bar
labelled with its value, so the chart reads without colour and prints."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

Series = tuple[str, str]  # (legend, colour)


def bars_svg(title: str, labels: Sequence[str], series: Sequence[Series],
             values: Sequence[Sequence[float | None]], unit: str = "",
             limit: float | None = None, limit_label: str = "") -> str:
    """Horizontal grouped bars: one group per label, one bar per series (``values[i][j]``
    is label i's value of series j; None draws no bar). ``limit`` draws a dashed line (an
    RTO, say)."""
    left, right, bar, gap, top = 170, 60, 11, 8, 34
    width = 640
    group = bar * len(series) + gap
    height = top + max(1, len(labels)) * group + 26
    top_value = max([v for row in values for v in row if v is not None]
                    + ([limit] if limit is not None else []) + [1.0])
    scale = (width - left - right) / top_value
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10" '
           f'role="img"><title>{escape(title)}</title>',
           f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    x = left
    for legend, colour in series:
        out.append(f'<rect x="{x}" y="20" width="10" height="8" fill="{colour}"/>'
                   f'<text x="{x + 13}" y="28">{escape(legend)}</text>')
        x += 13 + 7 * len(legend) + 14
    for i, label in enumerate(labels):
        y = top + i * group
        short = label if len(label) <= 26 else label[:25] + "…"
        out.append(f'<text x="{left - 6}" y="{y + bar * len(series) / 2 + 4}" '
                   f'text-anchor="end">{escape(short)}</text>')
        for j, (legend, colour) in enumerate(series):
            value = values[i][j]
            if value is None:
                continue
            w = max(1.0, value * scale)
            by = y + j * bar
            out.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="{bar - 2}" '
                       f'fill="{colour}"><title>{escape(label)}: {escape(legend)} '
                       f'{value:g}{escape(unit)}</title></rect>'
                       f'<text x="{left + w + 3:.1f}" y="{by + bar - 3}">{value:g}</text>')
    if limit is not None:
        lx = left + limit * scale
        out.append(f'<line x1="{lx:.1f}" y1="{top - 4}" x2="{lx:.1f}" y2="{height - 20}" '
                   'stroke="#c62828" stroke-dasharray="4 3"/>'
                   f'<text x="{lx:.1f}" y="{height - 8}" text-anchor="middle" '
                   f'fill="#c62828">{escape(limit_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)

"""The text and SVG of ``riskkit history`` (its JSON is the data as it is)."""

from __future__ import annotations

from html import escape

from riskkit.present.diff import one_line


def history_text(data: dict) -> str:
    lines = [f"{data['id']}: {len(data['entries'])} change(s)"]
    for e in data["entries"]:
        s = e["state"]
        rating = f"{s['level']:<9} {s['score']:>3}" if s else f"{'-':<9} {'-':>3}"
        lines.append(one_line(f"{e['date']}  {e['short']}  {rating}  {e['author']}: "
                              f"{'; '.join(e['changes'])}  ({e['subject']})"))
    return "\n".join(lines) + "\n"


def history_svg(data: dict, levels: list) -> str:
    """A small step chart of the level over the commits (levels lowest first)."""
    entries = data["entries"]
    # Rows: the current matrix's levels plus any level a past matrix had, by rank.
    rows = {lv.id: (lv.rank, lv.name, lv.color) for lv in levels}
    for e in entries:
        if e["state"] and e["state"]["level"] not in rows:
            s = e["state"]
            rows[s["level"]] = (s["level_rank"] + 0.5, s["level_name"], s["color"])
    ordered = sorted(rows.items(), key=lambda item: item[1][0])
    step, left, top, band = 70, 90, 30, 26
    width = left + max(1, len(entries)) * step + 30
    height = top + len(ordered) * band + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f"<title>{escape(data['id'])}: level over time</title>",
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">'
           f"{escape(data['id'])}: level over time</text>"]
    level_y = {}
    for i, (level_id, (_, name, color)) in enumerate(ordered):
        y = top + (len(ordered) - 1 - i) * band
        level_y[level_id] = y + band / 2
        out.append(f'<rect x="{left}" y="{y}" width="{width - left - 20}" height="{band}" '
                   f'fill="{color}" fill-opacity="0.25"/>')
        out.append(f'<text x="{left - 6}" y="{y + band / 2 + 4}" text-anchor="end">'
                   f"{escape(name)}</text>")
    points: list[tuple[float, float]] = []
    for i, e in enumerate(entries):
        x = left + i * step + step / 2
        if e["state"] is not None:
            cy = level_y[e["state"]["level"]]
            if points:
                points.append((x, points[-1][1]))
            points.append((x, cy))
            out.append(f'<circle cx="{x}" cy="{cy}" r="4" fill="#263238"><title>'
                       f"{escape(e['date'])} {escape(e['short'])}: {escape(e['state']['level'])} "
                       f"{e['state']['score']}</title></circle>")
        out.append(f'<text x="{x}" y="{height - 24}" text-anchor="middle" font-size="9">'
                   f"{escape(e['date'])}</text>")
        out.append(f'<text x="{x}" y="{height - 12}" text-anchor="middle" font-size="9" '
                   f'fill="#555555">{escape(e["short"][:7])}</text>')
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#263238" stroke-width="2"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

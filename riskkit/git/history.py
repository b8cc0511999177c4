"""``riskkit history``: one risk's rating over the commits that changed it."""

from __future__ import annotations

from html import escape

from riskkit.git.diff import RISK_FIELDS
from riskkit.git.repo import Repo, snapshot
from riskkit.register.risk import entries, load_risk
from riskkit.files.yamlload import load_bytes
from riskkit.problems import ConfigError, InputError


def _state(risk) -> dict | None:
    if risk is None:
        return None
    return {"id": risk.id,
            "level": risk.level.id, "level_rank": risk.level.rank, "level_name": risk.level.name,
            "color": risk.level.color, "score": risk.rating.score,
            "likelihood": risk.rating.likelihood, "impact": risk.rating.impact,
            "residual": risk.residual.to_dict() if risk.residual else None,
            "file": risk.file, **{f: _plain(getattr(risk, f)) for f in RISK_FIELDS}}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _what_changed(before: dict | None, after: dict | None) -> list[str]:
    if before is None and after is not None:
        return ["added"]
    if after is None:
        return ["removed"]
    out = []
    if (before["level"], before["score"]) != (after["level"], after["score"]):
        out.append(f"rating {before['level']} {before['score']} -> {after['level']} "
                   f"{after['score']}")
    for key in ("residual", "file") + RISK_FIELDS:
        if before[key] == after[key]:
            continue
        simple = all(isinstance(v, (str, int, type(None))) for v in (before[key], after[key]))
        out.append(f"{key} {before[key]} -> {after[key]}" if simple and key != "title" else key)
    return out


def _renumbered(repo, commit: str, snap, path: str, old_id: str):
    """The risk now in the file that held ``old_id``, if its id changed in place."""
    raw = repo.read(commit, path)
    if raw is None:
        return None
    doc, _ = load_bytes(raw, path)
    if doc is None:
        return None
    found = []
    for base in entries(doc, []):
        risk, _ = load_risk(doc, base, snap.workspace.matrix)
        if risk is not None and risk.id != old_id:
            found.append(risk)
    return found[0] if len(found) == 1 else None


def history(ws_root, risk_id: str, since: str | None = None) -> dict:
    """Each commit where the risk's state changed, oldest first, with what changed."""
    repo = Repo(ws_root)
    try:
        from riskkit.workspace import matrix_file, open_workspace

        matrix = matrix_file(open_workspace(ws_root).settings_doc.data)
        paths = ["risks", "riskkit.yaml"] + ([matrix] if matrix else [])
        entries = []
        previous = None
        current = risk_id  # the id it goes by; a renumbered risk is followed
        for commit in repo.log(paths):
            try:
                snap = snapshot(repo, commit["commit"], commit["short"], only_risk=current)
            except ConfigError:  # settings broken (or not there yet) at that commit
                continue
            risk = snap.risks.get(current)
            renamed_from = None
            if risk is None and previous is not None:
                risk = _renumbered(repo, commit["commit"], snap, previous["file"], current)
                if risk is not None:
                    renamed_from, current = current, risk.id
            state = _state(risk)
            if state == previous:
                continue
            changes = _what_changed(previous, state)
            if renamed_from:
                changes = [f"id {renamed_from} -> {current}"] + [
                    c for c in changes if c != "added"]
            # Commits before --since still set the baseline a later change is measured from.
            if since is None or commit["date"] >= since:
                entries.append({**{k: commit[k] for k in ("date", "short", "author",
                                                          "subject")},
                                "commit": commit["commit"], "id": current, "state": state,
                                "changes": changes})
            previous = state
    finally:
        repo.close()
    if not entries:
        raise InputError(f"no commit{' since ' + since if since else ''} holds a risk "
                         f"'{risk_id}'")
    return {"id": risk_id, "since": since, "entries": entries}


def history_text(data: dict) -> str:
    lines = [f"{data['id']}: {len(data['entries'])} change(s)"]
    for e in data["entries"]:
        s = e["state"]
        rating = f"{s['level']:<9} {s['score']:>3}" if s else f"{'-':<9} {'-':>3}"
        lines.append(f"{e['date']}  {e['short']}  {rating}  {e['author']}: "
                     f"{'; '.join(e['changes'])}  ({e['subject']})")
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
    points = []
    for i, e in enumerate(entries):
        x = left + i * step + step / 2
        if e["state"] is not None:
            y = level_y[e["state"]["level"]]
            if points:
                points.append((x, points[-1][1]))
            points.append((x, y))
            out.append(f'<circle cx="{x}" cy="{y}" r="4" fill="#263238"><title>'
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

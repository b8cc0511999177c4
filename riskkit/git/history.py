"""``riskkit history``: one risk's rating over the commits that changed it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from riskkit.git.diff import RISK_FIELDS, plain
from riskkit.git.repo import Repo, Snapshot, snapshot
from riskkit.register.risk import Risk, entries, load_risk
from riskkit.files.yamlload import load_bytes
from riskkit.problems import ConfigError, InputError


def _state(risk: Risk | None) -> dict[str, Any] | None:
    if risk is None:
        return None
    return {"id": risk.id,
            "level": risk.level.id, "level_rank": risk.level.rank, "level_name": risk.level.name,
            "color": risk.level.color, "score": risk.rating.score,
            "likelihood": risk.rating.likelihood, "impact": risk.rating.impact,
            "residual": risk.residual.to_dict() if risk.residual else None,
            "file": risk.file, **{f: plain(getattr(risk, f)) for f in RISK_FIELDS}}


def _what_changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if after is None:
        return ["removed"]
    if before is None:
        return ["added"]
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


def _renumbered(repo: Repo, commit: str, snap: Snapshot, path: str, old_id: str
                ) -> Risk | None:
    """The risk now in the file that held ``old_id``, if its id changed in place."""
    raw = repo.read(commit, path)
    if raw is None:
        return None
    doc, _ = load_bytes(raw, path)
    if doc is None:
        return None
    found: list[Risk] = []
    for base in entries(doc, []):
        risk, _ = load_risk(doc, base, snap.workspace.matrix)
        if risk is not None and risk.id != old_id:
            found.append(risk)
    return found[0] if len(found) == 1 else None


def history(ws_root: Path, risk_id: str, since: str | None = None) -> dict[str, Any]:
    """Each commit where the risk's state changed, oldest first, with what changed."""
    repo = Repo(ws_root)
    try:
        from riskkit.workspace import matrix_file, open_workspace

        ws = open_workspace(ws_root)
        matrix = matrix_file(ws.settings_doc.data) if ws.settings_doc else None
        paths = ["risks", "riskkit.yaml"] + ([matrix] if matrix else [])
        entries: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
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


"""Several workspaces in one picture: each keeps its matrix, and its ids are qualified by
a key of its own (``payments:RSK-007``)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskkit.register import rules

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded
    from riskkit.register.matrix import Matrix
    from riskkit.workspace import Workspace


def keys(workspaces: Sequence[Workspace]) -> list[str]:
    """A short key per workspace, from its name in riskkit.yaml (else its folder's):
    ``Larkspur Payments`` is ``larkspur-payments``; a key taken already gets ``-2``, ``-3``
    in the order the workspaces were given."""
    out: list[str] = []
    for ws in workspaces:
        base = slug(ws.name) or slug(ws.root.name) or "workspace"
        key, n = base, 1
        while key in out:
            n += 1
            key = f"{base}-{n}"
        out.append(key)
    return out


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def matrix_signature(matrix: Matrix) -> str:
    """What two matrices must share for their levels to be compared: the scales' ids, the
    levels' ids in order, and the level of every cell (a name alone does not count: a
    file that copies the 5x5 preset agrees with it)."""
    return json.dumps([[e.id for e in matrix.likelihood], [e.id for e in matrix.impact],
                       [lv.id for lv in matrix.levels], [list(r) for r in matrix.grid]])


@dataclass(frozen=True)
class Group:
    """Workspaces whose matrices agree: their levels can be added up."""

    matrix: str  # the first workspace's matrix name
    keys: tuple[str, ...]
    levels: tuple[dict[str, Any], ...]  # id, name, color, count, by_workspace


def rollup(spaces: Sequence[tuple[str, Loaded]], as_of: dt.date) -> dict[str, Any]:
    """The roll-up of several workspaces as plain data: each workspace's totals, the
    groups of workspaces whose matrices agree (levels are added up only within a group),
    a note saying how matrices differ, and the risks above each one's appetite with
    their ids qualified (``key:RSK-007``)."""
    from riskkit.drill.model import next_quarter, plan as drill_plan
    from riskkit.review.findings import review, summary

    quarter = next_quarter(as_of)
    signatures: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    above: list[dict[str, Any]] = []
    for key, loaded in spaces:
        ws = loaded.workspace
        signatures.setdefault(matrix_signature(ws.matrix), []).append(key)
        findings = review(loaded, as_of)
        active = [r for r in loaded.risks if rules.is_active(r)]
        rows.append({
            "key": key, "name": ws.name, "matrix": ws.matrix.name,
            "appetite": ws.appetite.id if ws.appetite else None,
            "risks": len(loaded.risks), "active": len(active),
            "above_appetite": sum(rules.above_appetite(ws, r) for r in loaded.risks),
            "accepted": sum(r.status == "accepted" for r in loaded.risks),
            "runbooks": len(loaded.runbooks), "drills": len(loaded.drills),
            "drills_due": len(drill_plan(loaded, quarter)),
            "findings": len(findings), "finding_counts": summary(findings),
            "levels": [{"id": lv.id, "name": lv.name, "color": lv.color,
                        "count": sum(r.level.id == lv.id for r in active)}
                       for lv in reversed(ws.matrix.levels)],
        })
        above += [{"qid": f"{key}:{r.id}", "workspace": key, "id": r.id, "title": r.title,
                   "owner": r.owner, "status": r.status, "level": r.level.id,
                   "level_name": r.level.name, "level_rank": r.level.rank,
                   "color": r.level.color, "score": r.rating.score, "file": r.file}
                  for r in loaded.risks if rules.above_appetite(ws, r)]
    by_key = {row["key"]: row for row in rows}
    groups = []
    for keys in signatures.values():
        first = by_key[keys[0]]
        levels = tuple({"id": lv["id"], "name": lv["name"], "color": lv["color"],
                        "count": sum(_count(by_key[k], lv["id"]) for k in keys),
                        "by_workspace": {k: _count(by_key[k], lv["id"]) for k in keys}}
                       for lv in first["levels"])
        groups.append(Group(first["matrix"], tuple(keys), levels))
    group_of = {k: i for i, g in enumerate(groups) for k in g.keys}
    above.sort(key=lambda r: (group_of[r["workspace"]], -r["level_rank"], -r["score"],
                              r["qid"]))
    return {"as_of": as_of.isoformat(), "quarter": quarter, "workspaces": rows,
            "groups": [g.__dict__ for g in groups], "note": _note(groups),
            "above": above,
            "totals": {k: sum(row[k] for row in rows)
                       for k in ("risks", "active", "above_appetite", "accepted",
                                 "runbooks", "drills", "drills_due", "findings")}}


def _count(row: dict[str, Any], level: str) -> int:
    return next(lv["count"] for lv in row["levels"] if lv["id"] == level)


def _note(groups: list[Group]) -> str:
    """How the matrices differ, in a sentence; empty when they all agree."""
    if len(groups) < 2:
        return ""
    parts = [f"{', '.join(g.keys)} ({g.matrix})" for g in groups]
    return ("The matrices differ: " + "; ".join(parts) + ". Levels are added up only "
            "among workspaces whose matrices agree (the same scales, levels and grid); "
            "across groups each risk keeps its own workspace's level, and the number of "
            "risks above each one's appetite is what compares.")

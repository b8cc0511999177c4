"""``riskkit diff``: what changed in the register and the runbooks between two revisions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.files.written import AsWritten
from riskkit.git.repo import WORKTREE, Repo, Snapshot, changed_snapshots, snapshot

if TYPE_CHECKING:
    from riskkit.register.matrix import Rating
    from riskkit.register.risk import Risk

RISK_FIELDS = ("title", "owner", "status", "category", "treatment", "acceptance",
               "rto_minutes", "runbooks")
STEP_FIELDS = ("title", "role", "needs", "minutes", "do", "run", "verify", "rollback", "when",
               "approval", "irreversible")


def parse_revs(revs: tuple[str, ...]) -> tuple[str, str | None, bool]:
    """``()`` -> HEAD..worktree; ``(A,)`` -> A..worktree; ``(A, B)`` or ``("A..B",)``;
    ``("A...B",)`` as git reads it: B against where it branched off A (the third value
    says so). An empty side is HEAD."""
    if len(revs) == 1:
        for sep in ("...", ".."):  # the longer first: "A...B" is not "A." .. ".B"
            if sep in revs[0]:
                old, new = revs[0].split(sep, 1)
                return old or "HEAD", new or "HEAD", sep == "..."
    if len(revs) == 2:
        return revs[0], revs[1], False
    return (revs[0] if revs else "HEAD"), WORKTREE, False


def _rating(r: Rating) -> dict:
    return {"likelihood": r.likelihood, "impact": r.impact, "score": r.score,
            "level": r.level.id, "level_rank": r.level.rank}


def _risk_summary(risk: Risk) -> dict:
    return {"id": risk.id, "title": risk.title, "owner": risk.owner, "status": risk.status,
            "level": risk.level.id, "score": risk.rating.score, "file": risk.file}


def compare_risks(old: Snapshot, new: Snapshot) -> dict:
    added = sorted(set(new.risks) - set(old.risks))
    removed = sorted(set(old.risks) - set(new.risks))
    renamed = []
    pairs = [(rid, rid) for rid in sorted(set(old.risks) & set(new.risks))]
    for rid in list(removed):  # an id changed in place: same file, one out, one in
        for nid in list(added):
            if old.risks[rid].file == new.risks[nid].file:
                renamed.append({"from": rid, "to": nid, "file": new.risks[nid].file})
                removed.remove(rid)
                added.remove(nid)
                pairs.append((rid, nid))  # and whatever else changed with the id
                break
    changed = []
    for rid, nid in sorted(pairs, key=lambda p: p[1]):
        a, b = old.risks[rid], new.risks[nid]
        changes: list[dict[str, Any]] = []
        ra, rb = a.rating, b.rating
        if (ra.level.id, ra.score) != (rb.level.id, rb.score):
            direction = "up" if (rb.level.rank, rb.score) > (ra.level.rank, ra.score) else "down"
            changes.append({"field": "rating", "direction": direction,
                            "from": _rating(ra), "to": _rating(rb)})
        resa = a.residual.to_dict() if a.residual else None
        resb = b.residual.to_dict() if b.residual else None
        if resa != resb:
            changes.append({"field": "residual", "from": resa, "to": resb})
        for name in RISK_FIELDS:
            va, vb = getattr(a, name), getattr(b, name)
            if va != vb:
                changes.append({"field": name, "from": plain(va), "to": plain(vb)})
        if a.file != b.file:
            changes.append({"field": "file", "from": a.file, "to": b.file})
        if changes:
            changed.append({"id": nid, "title": b.title, "owner": b.owner, "changes": changes})
    return {"added": [_risk_summary(new.risks[i]) for i in added],
            "removed": [_risk_summary(old.risks[i]) for i in removed],
            "renamed": renamed, "changed": changed}


def plain(value: Any) -> Any:
    """A risk field as JSON-ready data: a tuple as a list, a record (treatment…) as a dict."""
    if isinstance(value, AsWritten):
        return value.to_dict()
    return list(value) if isinstance(value, tuple) else value


def compare_runbooks(old: Snapshot, new: Snapshot) -> dict:
    added = sorted(set(new.runbooks) - set(old.runbooks))
    removed = sorted(set(old.runbooks) - set(new.runbooks))
    changed = []
    for rid in sorted(set(old.runbooks) & set(new.runbooks)):
        a, b = old.runbooks[rid], new.runbooks[rid]
        sa, sb = {s.id: s for s in a.steps}, {s.id: s for s in b.steps}
        steps_changed = []
        for sid in sorted(set(sa) & set(sb)):
            fields = [f for f in STEP_FIELDS if getattr(sa[sid], f) != getattr(sb[sid], f)]
            if fields:
                steps_changed.append({"id": sid, "fields": fields})
        eta_a = a.eta_minutes
        eta_b = b.eta_minutes
        entry: dict[str, Any] = {"id": rid, "title": b.title,
                                 "steps_added": sorted(set(sb) - set(sa)),
                                 "steps_removed": sorted(set(sa) - set(sb)),
                                 "steps_changed": steps_changed,
                                 "eta_minutes": {"from": eta_a, "to": eta_b}}
        other = [f for f in ("title", "severity", "owner", "risks", "triggers", "inputs",
                             "scenarios", "exit_criteria") if getattr(a, f) != getattr(b, f)]
        entry["fields"] = other
        if entry["steps_added"] or entry["steps_removed"] or steps_changed or other \
                or eta_a != eta_b:
            changed.append(entry)
    return {"added": [{"id": i, "title": new.runbooks[i].title,
                       "eta_minutes": new.runbooks[i].eta_minutes}
                      for i in added],
            "removed": [{"id": i, "title": old.runbooks[i].title} for i in removed],
            "changed": changed}


def diff(ws_root: Path, revs: tuple[str, ...]) -> dict:
    """The differences between two revisions of the workspace, as plain data."""
    repo = Repo(ws_root)
    try:
        old_rev, new_rev, from_base = parse_revs(revs)
        if from_base and new_rev is not WORKTREE:
            old_commit = repo.merge_base(old_rev, new_rev)
            old_rev = f"merge-base({old_rev}, {new_rev})"
        else:
            old_commit = repo.resolve(old_rev)
        new_commit = repo.resolve(new_rev) if new_rev is not WORKTREE else WORKTREE
        both = None if new_commit is WORKTREE else \
            changed_snapshots(repo, old_commit, old_rev, new_commit, new_rev or "working tree")
        if both is None:  # the working tree, or every risk scored again: read them all
            both = (snapshot(repo, old_commit, old_rev),
                    snapshot(repo, new_commit, new_rev or "working tree"))
        old, new = both
    finally:
        repo.close()
    return {
        "from": {"rev": old_rev, "commit": old_commit},
        "to": {"rev": new_rev or "working tree", "commit": new_commit},
        "matrix": {"from": old.workspace.matrix.name, "to": new.workspace.matrix.name},
        "risks": compare_risks(old, new),
        "runbooks": compare_runbooks(old, new),
        "skipped": {"from": old.skipped, "to": new.skipped},
    }


"""``riskkit diff``: what changed in the register and the runbooks between two revisions."""

from __future__ import annotations

from riskkit.git.repo import WORKTREE, Repo, Snapshot, snapshot

RISK_FIELDS = ("title", "owner", "status", "category", "treatment", "acceptance",
               "rto_minutes", "runbooks")
STEP_FIELDS = ("title", "role", "needs", "minutes", "do", "run", "verify", "rollback", "when",
               "approval", "irreversible")


def parse_revs(revs: tuple[str, ...]) -> tuple[str, str | None]:
    """``()`` -> HEAD..worktree; ``(A,)`` -> A..worktree; ``(A, B)`` or ``("A..B",)``."""
    if len(revs) == 1 and ".." in revs[0]:
        old, new = revs[0].split("..", 1)
        return old or "HEAD", new or "HEAD"
    if len(revs) == 2:
        return revs[0], revs[1]
    return (revs[0] if revs else "HEAD"), WORKTREE


def _rating(r) -> dict:
    return {"likelihood": r.likelihood, "impact": r.impact, "score": r.score,
            "level": r.level.id, "level_rank": r.level.rank}


def _risk_summary(risk) -> dict:
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
        changes = []
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
                changes.append({"field": name, "from": _plain(va), "to": _plain(vb)})
        if a.file != b.file:
            changes.append({"field": "file", "from": a.file, "to": b.file})
        if changes:
            changed.append({"id": nid, "title": b.title, "owner": b.owner, "changes": changes})
    return {"added": [_risk_summary(new.risks[i]) for i in added],
            "removed": [_risk_summary(old.risks[i]) for i in removed],
            "renamed": renamed, "changed": changed}


def _plain(value):
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
        entry = {"id": rid, "title": b.title,
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


def diff(ws_root, revs: tuple[str, ...]) -> dict:
    """The differences between two revisions of the workspace, as plain data."""
    repo = Repo(ws_root)
    try:
        old_rev, new_rev = parse_revs(revs)
        old_commit = repo.resolve(old_rev)
        new_commit = repo.resolve(new_rev) if new_rev is not WORKTREE else WORKTREE
        old = snapshot(repo, old_commit, old_rev)
        new = snapshot(repo, new_commit, new_rev or "working tree")
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


def _change_text(change: dict) -> str:
    name = change["field"]
    if name == "rating":
        a, b = change["from"], change["to"]
        arrow = "↑" if change["direction"] == "up" else "↓"
        return (f"rating {arrow} {a['level']} {a['score']} ({a['likelihood']}x{a['impact']}) -> "
                f"{b['level']} {b['score']} ({b['likelihood']}x{b['impact']})")
    if name == "residual":
        fa = f"{change['from']['level']} {change['from']['score']}" if change["from"] else "none"
        fb = f"{change['to']['level']} {change['to']['score']}" if change["to"] else "none"
        return f"residual {fa} -> {fb}"
    if name in ("treatment", "acceptance"):
        return f"{name} {_short(change['from'])} -> {_short(change['to'])}"
    return f"{name} {_short(change['from'])} -> {_short(change['to'])}"


def _short(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if k != "rationale") + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def diff_lines(data: dict) -> list[tuple[str, str]]:
    """(section, line) pairs shared by the text and Markdown formats."""
    out = []
    r = data["risks"]
    for item in r["added"]:
        out.append(("risks", f"+ {item['id']} added: {item['level']} {item['score']}, "
                             f"{item['owner']}: {item['title']}"))
    for item in r["removed"]:
        out.append(("risks", f"- {item['id']} removed (was {item['level']} {item['score']}): "
                             f"{item['title']}"))
    for item in r["renamed"]:
        out.append(("risks", f"~ {item['from']} is now {item['to']} ({item['file']})"))
    for item in r["changed"]:
        for change in item["changes"]:
            out.append(("risks", f"~ {item['id']} {_change_text(change)}"))
    b = data["runbooks"]
    for item in b["added"]:
        out.append(("runbooks", f"+ {item['id']} added (ETA {item['eta_minutes']:g} min): "
                                f"{item['title']}"))
    for item in b["removed"]:
        out.append(("runbooks", f"- {item['id']} removed: {item['title']}"))
    for item in b["changed"]:
        bits = []
        if item["steps_added"]:
            bits.append("steps added: " + ", ".join(item["steps_added"]))
        if item["steps_removed"]:
            bits.append("steps removed: " + ", ".join(item["steps_removed"]))
        for step in item["steps_changed"]:
            bits.append(f"step {step['id']} changed ({', '.join(step['fields'])})")
        if item["fields"]:
            bits.append("changed: " + ", ".join(item["fields"]))
        eta = item["eta_minutes"]
        if eta["from"] != eta["to"]:
            bits.append(f"ETA {eta['from']:g} -> {eta['to']:g} min")
        for bit in bits:
            out.append(("runbooks", f"~ {item['id']} {bit}"))
    return out


def diff_text(data: dict) -> str:
    head = f"{data['from']['rev']} -> {data['to']['rev']}"
    if data["matrix"]["from"] != data["matrix"]["to"]:
        head += f" (matrix {data['matrix']['from']} -> {data['matrix']['to']})"
    lines = diff_lines(data)
    body = "\n".join(line for _, line in lines) if lines else "no changes to risks or runbooks"
    skipped = data["skipped"]["from"] + data["skipped"]["to"]
    tail = f"\n(skipped files with problems: {', '.join(sorted(set(skipped)))})" if skipped else ""
    return f"{head}\n{body}{tail}\n"


def diff_md(data: dict) -> str:
    out = [f"### riskkit: register changes `{data['from']['rev']}` → `{data['to']['rev']}`", ""]
    lines = diff_lines(data)
    if not lines:
        out.append("No changes to risks or runbooks.")
    for section in ("risks", "runbooks"):
        items = [line for s, line in lines if s == section]
        if items:
            out += [f"**{section.capitalize()}**", ""]
            for line in items:
                out.append(f"- {line[2:]}")
            out.append("")
    return "\n".join(out).rstrip() + "\n"

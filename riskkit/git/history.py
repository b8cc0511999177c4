"""``riskkit history``: one risk's rating over the commits that changed it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from riskkit.git.diff import RISK_FIELDS, plain
from riskkit.files.walk import wanted
from riskkit.files.yamlload import Doc, load_bytes
from riskkit.git.repo import Change, Repo, workspace_at
from riskkit.register.risk import Risk, entries, load_risk
from riskkit.workspace import Workspace
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


RISKS = "risks"


class _Timeline:
    """The register's risk files at each commit ``history`` visits, kept up to date from
    what git says changed between one commit and the next: only a changed blob is read,
    only a file that holds the risk's id is parsed, and the workspace (settings, matrix)
    is built again only when a file it was built from changed.

    It answers exactly what a full snapshot of each commit would (``snapshot`` with
    ``only_risk``): the risk of that id from the last file, in name order, holding it.
    """

    def __init__(self, repo: Repo, commit: str, needle: str) -> None:
        self.repo = repo
        self.tree = repo.tree(commit, RISKS)  # path -> (mode, blob id), every blob
        self.needle = b""
        self.holders: set[str] = set()  # the files whose bytes hold the needle
        self._has: dict[str, bool] = {}  # blob id -> holds the needle
        self._raw: dict[str, bytes] = {}  # the bytes of a holder read but not parsed yet
        self._docs: dict[tuple[str, str], Doc | None] = {}  # (path, blob) -> parsed
        self._risks: dict[tuple[str, str], list[Risk]] = {}  # for the current workspace
        self._ws: Workspace | ConfigError | None = None
        self._ws_files: set[str] | None = None  # what it was built from; None: build
        self.retarget(commit, needle)

    def retarget(self, commit: str, needle: str) -> None:
        """Follow the id ``needle`` from ``commit`` on: the files holding it, by git grep
        over the tree (links, which git grep skips, and anything grep cannot do, read)."""
        self.needle = needle.encode()
        self._has = {}
        found = self.repo.grep(commit, self.needle, RISKS)
        self.holders = set()
        for rel, (mode, blob) in self.tree.items():
            if not wanted(rel):
                continue
            if found is not None and mode != "120000":
                self._has[blob] = rel in found
            if self._holds(blob):
                self.holders.add(rel)

    def _holds(self, blob: str) -> bool:
        if blob not in self._has:
            raw = self.repo.read_blob(blob)
            self._has[blob] = raw is not None and self.needle in raw
            if raw is not None and self._has[blob]:  # it is parsed next: not read twice
                self._raw[blob] = raw
        return self._has[blob]

    def apply(self, changes: list[Change]) -> None:
        """Move on to the next commit: ``changes`` are what differ from the last one."""
        prefix = RISKS + "/"
        for change in changes:
            if change.old is not None and change.old.startswith(prefix):
                self.tree.pop(change.old, None)
                self.holders.discard(change.old)
            if self._ws_files is not None and (change.old in self._ws_files
                                               or change.new in self._ws_files):
                self._ws_files = None
            if change.status == "D" or change.new is None or \
                    not change.new.startswith(prefix) or change.mode == "160000":
                continue
            self.tree[change.new] = (change.mode, change.blob)
            if wanted(change.new) and self._holds(change.blob):
                self.holders.add(change.new)

    def workspace(self, root: Path, commit: str, label: str) -> Workspace | None:
        """The workspace at ``commit``, built again only when its files changed; None
        when there is no riskkit.yaml there; a ``ConfigError`` when it cannot be read."""
        if self._ws_files is None:
            read_from: set[str] = set()

            def read(rel: str) -> bytes | None:
                read_from.add(rel)
                return self.repo.read(commit, rel)
            try:
                self._ws = workspace_at(root, label, read)
            except ConfigError as exc:
                self._ws = exc
            # a file outside the workspace is not in what diff-tree lists: build each time
            inside = all(not rel.startswith(("/", "../")) and "/../" not in rel
                         for rel in read_from)
            self._ws_files = read_from if inside else None
            self._risks = {}
        if isinstance(self._ws, ConfigError):
            raise self._ws
        return self._ws

    def _loaded(self, rel: str, ws: Workspace) -> list[Risk]:
        blob = self.tree[rel][1]
        if (rel, blob) not in self._risks:
            doc = self._doc(rel, blob)
            found: list[Risk] = []
            if doc is not None:
                for base in entries(doc, []):
                    risk, _ = load_risk(doc, base, ws.matrix)
                    if risk is not None:
                        found.append(risk)
            self._risks[(rel, blob)] = found
        return self._risks[(rel, blob)]

    def _doc(self, rel: str, blob: str) -> Doc | None:
        if (rel, blob) not in self._docs:
            raw = self._raw.pop(blob, None) or self.repo.read_blob(blob)
            self._docs[(rel, blob)] = None if raw is None else load_bytes(raw, rel)[0]
        return self._docs[(rel, blob)]

    def risk(self, rid: str, ws: Workspace) -> Risk | None:
        found = None
        for rel in sorted(self.holders):
            for risk in self._loaded(rel, ws):
                if risk.id == rid:
                    found = risk
        return found

    def renumbered(self, path: str, old_id: str, ws: Workspace) -> Risk | None:
        """The risk now in the file that held ``old_id``, if its id changed in place."""
        if path not in self.tree:
            return None
        found = [r for r in self._loaded(path, ws) if r.id != old_id]
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
        commits = repo.log(paths)
        # what changed from each commit to the next one listed (not its parent: a merge's
        # sides are listed one after the other)
        between = repo.changes([(a["commit"], b["commit"])
                                for a, b in zip(commits, commits[1:])])
        timeline = _Timeline(repo, commits[0]["commit"], current) if commits else None
        for n, commit in enumerate(commits):
            assert timeline is not None
            if n:
                timeline.apply(between[n - 1])
            try:
                at = timeline.workspace(ws_root, commit["commit"], commit["short"])
            except ConfigError:  # settings broken at that commit
                continue
            if at is None:  # the register did not exist yet: everything since is new
                ws = open_workspace(ws_root)
                risk = None
            else:
                ws = at
                risk = timeline.risk(current, ws)
            renamed_from = None
            if risk is None and previous is not None:
                risk = timeline.renumbered(previous["file"], current, ws)
                if risk is not None:
                    renamed_from, current = current, risk.id
                    timeline.retarget(commit["commit"], current)
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


"""Reading a workspace as it was at a git revision, without a checkout.

Blobs are read through one ``git cat-file --batch`` process; the files are parsed and
checked with the same loaders as the working tree, each revision with its own matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from riskkit.files import schemacheck
from riskkit.files.walk import wanted
from riskkit.git import run as git
from riskkit.problems import ConfigError, InputError
from riskkit.register.risk import Risk, entries, load_risk
from riskkit.runbook.model import Runbook, load_runbook
from riskkit.workspace import SETTINGS, Workspace, build_workspace
from riskkit.files.yamlload import load_bytes

WORKTREE = None  # the revision that means "the files on disk"


class Repo:
    """A git repository holding the workspace at ``prefix`` (relative to the top level)."""

    def __init__(self, ws_root: Path):
        self.ws_root = ws_root
        out = git.run(ws_root, "rev-parse", "--show-toplevel", check=False)
        if not out.ok:
            raise ConfigError(f"{ws_root} is not in a git repository (riskkit diff and history "
                              "read the register's git history)")
        self.top = Path(out.text()).resolve()
        rel = ws_root.resolve().relative_to(self.top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"
        self._batch: git.Batch | None = None

    def _has_commits(self) -> bool:
        return git.run(self.top, "rev-parse", "--verify", "--quiet", "HEAD", check=False).ok

    def resolve(self, rev: str) -> str:
        out = git.run(self.top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}",
                      check=False)
        if not out.ok:
            if not self._has_commits():
                raise ConfigError("the repository has no commits yet: commit the register "
                                  "first, then compare revisions")
            raise InputError(f"unknown revision '{rev}'")  # a wrong value: exit 1
        return out.text().strip()

    def files(self, commit: str, folders=("risks", "runbooks")) -> list[str]:
        """Workspace-relative paths of the YAML files under ``folders`` at ``commit``."""
        paths = [self.prefix + f for f in folders]
        out = git.run(self.top, "ls-tree", "-r", "-z", "--name-only", commit, "--", *paths)
        # The walker's rules, as for the working tree: no hidden file, .YAML too.
        return sorted(p[len(self.prefix):] for p in git.names(out.stdout)
                      if wanted(p[len(self.prefix):]))

    def read(self, commit: str, rel: str) -> bytes | None:
        """A file's bytes at ``commit``, or None when it is not there."""
        if self._batch is None:
            self._batch = git.Batch(self.top)
        return self._batch.read(f"{commit}:{self.prefix}{rel}")

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()
            self._batch = None

    def log(self, paths: list[str]) -> list[dict]:
        """Commits that touched ``paths``, oldest first, with their author dates."""
        if not self._has_commits():
            return []
        args = ["log", "--reverse", "--format=%H%x1f%h%x1f%ad%x1f%an%x1f%s",
                "--date=short"]
        out = git.run(self.top, *args, "--", *[self.prefix + p for p in paths]).stdout
        commits = []
        # Authors and subjects are text for people: a byte that is not UTF-8 shows as �.
        for line in out.decode("utf-8", "replace").splitlines():
            full, short, date, author, subject = line.split("\x1f")
            commits.append({"commit": full, "short": short, "date": date, "author": author,
                            "subject": subject})
        return commits


@dataclass
class Snapshot:
    """The register and runbooks at one revision (or the working tree)."""

    label: str
    workspace: Workspace
    risks: dict[str, Risk] = field(default_factory=dict)
    runbooks: dict[str, Runbook] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files with problems, left out


def snapshot(repo: Repo, commit: str | None, label: str, only_risk: str | None = None
             ) -> Snapshot:
    """Load the workspace at ``commit`` (None: the working tree)."""
    root = repo.ws_root
    if commit is WORKTREE:
        def read(rel):
            path = root / rel
            return path.read_bytes() if path.is_file() else None
        from riskkit.workspace import open_workspace

        ws = open_workspace(root)
        walks = [ws.walk(folder) for folder in ("risks", "runbooks")]
        names = [ws.rel(p) for found in walks for p in found.files]
        unreadable = [ws.rel(p) for found in walks for p, _ in found.unreadable]
    else:
        def read(rel):
            return repo.read(commit, rel)
        raw = read(SETTINGS)
        if raw is None:  # the register did not exist yet: everything since is new
            from riskkit.workspace import open_workspace

            return Snapshot(label, open_workspace(root))
        doc, problems = load_bytes(raw, f"{label}:{SETTINGS}")
        if doc is not None:
            problems += schemacheck.check("settings", doc)
        if doc is None or any(p.is_error for p in problems):
            raise ConfigError(f"{SETTINGS} cannot be read at {label}", problems)
        ws = build_workspace(root, doc, read)
        names = repo.files(commit)
        unreadable = []
    snap = Snapshot(label, ws, skipped=unreadable)  # a folder that cannot be read
    needle = only_risk.encode() if only_risk else None
    for rel in names:
        raw = read(rel)
        if raw is None or (needle is not None and needle not in raw):
            continue
        doc, problems = load_bytes(raw, rel)
        if doc is None:
            snap.skipped.append(rel)
            continue
        if rel.startswith("runbooks/"):
            if only_risk:
                continue
            runbook, problems = load_runbook(doc, ws.roles)
            if runbook is None:
                snap.skipped.append(rel)
            else:
                snap.runbooks[runbook.id] = runbook
            continue
        for base in entries(doc, []):
            risk, problems = load_risk(doc, base, ws.matrix)
            if risk is None:
                snap.skipped.append(rel)
            else:
                snap.risks[risk.id] = risk
    return snap

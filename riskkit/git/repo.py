"""Reading a workspace as it was at a git revision, without a checkout.

Blobs are read through one ``git cat-file --batch`` process; the files are parsed and
checked with the same loaders as the working tree, each revision with its own matrix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
COMMIT = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")  # a full commit id, SHA-1 or SHA-256


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
        self._blobs: dict[tuple[str, str], str] = {}  # (commit, path) -> blob id, from ls-tree

    def _has_commits(self) -> bool:
        return git.run(self.top, "rev-parse", "--verify", "--quiet", "HEAD", check=False).ok

    def resolve(self, rev: str) -> str:
        # --end-of-options: a revision that starts with "-" is a name, never an option.
        out = git.run(self.top, "rev-parse", "--verify", "--quiet", "--end-of-options",
                      f"{rev}^{{commit}}", check=False)
        if not out.ok:
            if not self._has_commits():
                raise ConfigError("the repository has no commits yet: commit the register "
                                  "first, then compare revisions")
            raise InputError(f"unknown revision '{rev}'")  # a wrong value: exit 1
        return out.text().strip()

    def merge_base(self, a: str, b: str) -> str:
        """The commit ``a...b`` compares from: where ``b`` branched off ``a``."""
        first, second = self.resolve(a), self.resolve(b)
        out = git.run(self.top, "merge-base", first, second, check=False)
        if not out.ok:
            raise InputError(f"'{a}' and '{b}' have no common ancestor, so '{a}...{b}' "
                             f"compares nothing; use '{a}..{b}'")
        return out.text().strip()

    def files(self, commit: str, folders: tuple[str, ...] = ("risks", "runbooks")
              ) -> list[str]:
        """Workspace-relative paths of the YAML files under ``folders`` at ``commit``."""
        found: list[str] = []
        for path, blob in self._tree(commit, [self.prefix + f for f in folders], True):
            rel = path[len(self.prefix):]
            self._blobs[(commit, rel)] = blob
            if wanted(rel):  # the walker's rules, as for the working tree
                found.append(rel)
        return sorted(found)

    def _tree(self, commit: str, paths: list[str], recursive: bool
              ) -> list[tuple[str, str]]:
        """(path, blob id) of the files ``git ls-tree`` lists under ``paths``: read from
        NUL-separated output, so a name may hold any byte but NUL (a newline too), and
        the paths are literal (a folder named ``risks[1]`` is no pattern)."""
        out = git.run(self.top, "--literal-pathspecs", "ls-tree", *(["-r"] if recursive
                                                                   else []),
                      "-z", "--end-of-options", commit, "--", *paths)
        found = []
        for record in out.stdout.split(b"\0"):
            meta, tab, name = record.partition(b"\t")  # "<mode> <type> <id>\t<name>"
            parts = meta.split(b" ")
            if tab and len(parts) == 3 and parts[1] == b"blob":
                found.append((git.decode(name), parts[2].decode("ascii")))
        return found

    def read(self, commit: str, rel: str) -> bytes | None:
        """A file's bytes at ``commit``, or None when it is not there.

        A file is asked for by its blob id when ``files`` listed it (or the name cannot
        go on ``cat-file --batch``'s one request a line, a newline in it): the name is
        never parsed back out of git's answer."""
        blob = self._blobs.get((commit, rel))
        if blob is None and "\n" in rel:
            listed = dict(self._tree(commit, [self.prefix + rel], False))
            blob = listed.get(self.prefix + rel)
            if blob is None:
                return None
        if self._batch is None:
            self._batch = git.Batch(self.top)
        return self._batch.read(blob or f"{commit}:{self.prefix}{rel}")

    def read_blob(self, blob: str) -> bytes | None:
        """A blob's bytes by its id (as ``tree``, ``changes`` and ``ls-tree`` give it)."""
        if self._batch is None:
            self._batch = git.Batch(self.top)
        return self._batch.read(blob)

    def tree(self, commit: str, folder: str) -> dict[str, tuple[str, str]]:
        """Workspace-relative path -> (mode, blob id) of every blob under ``folder`` at
        ``commit``: names and ids only, no blob is read."""
        out = git.run(self.top, "--literal-pathspecs", "ls-tree", "-r", "-z",
                      "--end-of-options", commit, "--", self.prefix + folder)
        found = {}
        for record in out.stdout.split(b"\0"):
            meta, tab, name = record.partition(b"\t")  # "<mode> <type> <id>\t<name>"
            parts = meta.split(b" ")
            if tab and len(parts) == 3 and parts[1] == b"blob":
                path = git.decode(name)
                if path.startswith(self.prefix):
                    found[path[len(self.prefix):]] = (parts[0].decode("ascii"),
                                                      parts[2].decode("ascii"))
        return found

    def grep(self, commit: str, needle: bytes, folder: str) -> set[str] | None:
        """Workspace-relative paths of the files under ``folder`` at ``commit`` whose bytes
        hold ``needle`` (regular files: git grep skips links), found by git without a
        blob read here; None when git cannot say (the caller reads the files instead)."""
        if b"\n" in needle or b"\0" in needle or not needle:
            return None
        out = git.run(self.top, "--literal-pathspecs", "grep", "-l", "-z", "-a", "-F",
                      "--no-color", "--no-textconv", "-e", git.decode(needle), commit, "--",
                      self.prefix + folder, check=False)
        if out.returncode not in (0, 1):
            return None
        lead = f"{commit}:{self.prefix}"
        found = set()
        for name in git.names(out.stdout):
            if not name.startswith(lead):
                return None
            found.add(name[len(lead):])
        return found

    def changes(self, pairs: list[tuple[str, str]]) -> list[list[Change]]:
        """For each (``old``, ``new``) commit pair, the files under the workspace that
        differ between them, renames followed (``-M``): one ``git diff-tree --stdin`` for
        all the pairs, names and blob ids only, no blob read here."""
        if not pairs:
            return []
        lines = b"".join(git.encode(f"{new} {old}\n") for old, new in pairs)
        out = git.run(self.top, "--literal-pathspecs", "diff-tree", "--stdin", "-r", "-z",
                      "--no-abbrev", "-M", "--always", "--no-textconv", "--no-ext-diff",
                      "--", *([self.prefix] if self.prefix else []), input=lines)
        tokens = out.stdout.split(b"\0")
        found: list[list[Change]] = []
        at = 0
        while at < len(tokens):
            token = tokens[at]
            at += 1
            if token.startswith(b":"):  # ":<mode> <mode> <id> <id> <status>", then names
                if not found:
                    raise ConfigError("git diff-tree: cannot read its output")
                meta = token[1:].split(b" ")
                status = meta[4][:1].decode("ascii") if len(meta) == 5 else ""
                count = 2 if status in ("R", "C") else 1
                if not status or at + count > len(tokens):
                    raise ConfigError("git diff-tree: cannot read its output")
                paths = [git.decode(t) for t in tokens[at:at + count]]
                at += count
                found[-1].append(Change(status, self._rel(paths[0]), self._rel(paths[-1]),
                                        meta[1].decode("ascii"), meta[3].decode("ascii")))
            elif COMMIT.fullmatch(token):  # the header of the next pair's changes
                found.append([])
            elif token:
                raise ConfigError("git diff-tree: cannot read its output")
        if len(found) != len(pairs):
            raise ConfigError("git diff-tree: cannot read its output")
        return found

    def _rel(self, path: str) -> str | None:
        return path[len(self.prefix):] if path.startswith(self.prefix) else None

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()
            self._batch = None

    def log(self, paths: list[str]) -> list[dict]:
        """Commits that touched ``paths``, oldest first, with their author dates."""
        if not self._has_commits():
            return []
        # Each field ends in a NUL, the one byte a subject or a name cannot hold (git
        # stops a message at a NUL), so no text in a field can move the ones after it.
        args = ["--literal-pathspecs", "log", "--reverse", "--date=short",
                "--format=%H%x00%h%x00%ad%x00%an%x00%s%x00"]
        out = git.run(self.top, *args, "--", *[self.prefix + p for p in paths]).stdout
        fields = out.split(b"\0")
        commits = []
        for start in range(0, len(fields) - 5, 5):
            full, short, date, author, subject = fields[start:start + 5]
            full = full.lstrip(b"\n")  # git ends each commit's record with a newline
            if not COMMIT.fullmatch(full) or not full.startswith(short) or len(short) < 4:
                raise ConfigError("git log: cannot read its output")
            # Authors and subjects are text for people: a byte that is not UTF-8 is �.
            commits.append({"commit": full.decode("ascii"),
                            "short": short.decode("ascii"),
                            "date": date.decode("ascii", "replace"),
                            "author": author.decode("utf-8", "replace"),
                            "subject": subject.decode("utf-8", "replace")})
        return commits


@dataclass(frozen=True)
class Change:
    """A file that differs between two commits: workspace-relative paths (None outside
    it), git's status letter (A, M, D, R, T...), the new side's mode and blob id."""

    status: str
    old: str | None
    new: str | None
    mode: str
    blob: str


@dataclass
class Snapshot:
    """The register and runbooks at one revision (or the working tree)."""

    label: str
    workspace: Workspace
    risks: dict[str, Risk] = field(default_factory=dict)
    runbooks: dict[str, Runbook] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # files with problems, left out


def workspace_at(root: Path, label: str, read: Callable[[str], bytes | None]
                 ) -> Workspace | None:
    """The workspace whose files ``read`` gives (at revision ``label``); None when there
    is no riskkit.yaml; a ``ConfigError`` when it cannot be read."""
    raw = read(SETTINGS)
    if raw is None:
        return None
    doc, problems = load_bytes(raw, f"{label}:{SETTINGS}")
    if doc is not None:
        problems += schemacheck.check("settings", doc)
    if doc is None or any(p.is_error for p in problems):
        raise ConfigError(f"{SETTINGS} cannot be read at {label}", problems)
    return build_workspace(root, doc, read)


def snapshot(repo: Repo, commit: str | None, label: str, only_risk: str | None = None
             ) -> Snapshot:
    """Load the workspace at ``commit`` (None: the working tree)."""
    root = repo.ws_root
    if commit is WORKTREE:
        def read(rel: str) -> bytes | None:  # no pipe, no device, 5 MB at most
            from riskkit.files.reading import Refused, read_bytes

            try:
                return read_bytes(root / rel)
            except (OSError, Refused):  # validate says what is wrong with the file
                return None
        from riskkit.workspace import open_workspace

        ws = open_workspace(root)
        walks = [ws.walk(folder) for folder in ("risks", "runbooks")]
        names = [ws.rel(p) for found in walks for p in found.files]
        unreadable = [ws.rel(p) for found in walks for p, _ in found.unreadable]
        unreadable += [ws.rel(p) for found in walks for p, _, _ in found.refused]  # links out
    else:
        def read(rel: str) -> bytes | None:
            return repo.read(commit, rel)
        at = workspace_at(root, label, read)
        if at is None:  # the register did not exist yet: everything since is new
            from riskkit.workspace import open_workspace

            return Snapshot(label, open_workspace(root))
        ws = at
        names = repo.files(commit)
        unreadable = []
    snap = Snapshot(label, ws, skipped=unreadable)  # a folder that cannot be read
    needle = only_risk.encode() if only_risk else None
    for rel in names:
        raw = read(rel)
        if raw is None and commit is WORKTREE:  # a pipe, a device, too big: not read
            snap.skipped.append(rel)
            continue
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

"""Reading a workspace as it was at a git revision, without a checkout.

Blobs are read through one ``git cat-file --batch`` process; the files are parsed and
checked with the same loaders as the working tree, each revision with its own matrix.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit.files import schemacheck
from riskkit.files.walk import wanted
from riskkit.git import run as git
from riskkit.problems import ConfigError, InputError
from riskkit.register.risk import Risk, entries, load_risk
from riskkit.workspace import SETTINGS, Workspace, build_workspace
from riskkit.files.yamlload import load_bytes

if TYPE_CHECKING:  # loaded when a runbook is: a diff of risk files alone does without it
    from riskkit.runbook.model import Runbook

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

    def read_blobs(self, blobs: list[str]) -> dict[str, bytes | None]:
        """Many blobs' bytes by their ids, asked for all at once (one ``git cat-file
        --batch`` run a few thousand ids, not a round trip per blob); None for an id
        that names no blob."""
        found: dict[str, bytes | None] = {}
        wanted_ids = sorted(set(blobs))
        for start in range(0, len(wanted_ids), 2000):
            chunk = wanted_ids[start:start + 2000]
            if any(not COMMIT.fullmatch(b.encode()) for b in chunk):
                raise ConfigError("git cat-file: not a blob id")
            out = git.run(self.top, "cat-file", "--batch",
                          input=b"".join(b.encode() + b"\n" for b in chunk)).stdout
            at = 0
            for blob in chunk:  # git answers in the order asked
                end = out.find(b"\n", at)
                head = git.FOUND.fullmatch(out, at, end + 1) if end >= 0 else None
                if head is not None and head["oid"].decode() == blob:
                    size = int(head["size"])
                    data = out[end + 1:end + 1 + size]
                    if len(data) != size or out[end + 1 + size:end + 2 + size] != b"\n":
                        raise ConfigError("git cat-file: cannot read its output")
                    found[blob] = data if head["type"] == b"blob" else None
                    at = end + 2 + size
                elif end >= 0 and out[at:end + 1] == blob.encode() + b" missing\n":
                    found[blob] = None
                    at = end + 1
                else:
                    raise ConfigError("git cat-file: cannot read its output")
        return found

    def tree(self, commit: str, *folders: str) -> dict[str, tuple[str, str]]:
        """Workspace-relative path -> (mode, blob id) of every blob under ``folders`` at
        ``commit``: names and ids only, no blob is read."""
        out = git.run(self.top, "--literal-pathspecs", "ls-tree", "-r", "-z",
                      "--end-of-options", commit, "--", *[self.prefix + f for f in folders])
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
        return self.grep_any(commit, [needle], folder)

    def grep_any(self, commit: str, needles: list[bytes], folder: str, words: bool = False
                 ) -> set[str] | None:
        """Workspace-relative paths of the files under ``folder`` at ``commit`` whose bytes
        hold any of ``needles`` (with ``words``: not beside a letter, a digit or ``_``;
        regular files: git grep skips links); None when git cannot say. The needles go
        to git on its stdin (``-f -``), one a line, so there may be many of them."""
        return self._grep(commit, ["-F", *(["-w"] if words else [])], needles, folder)

    def grep_perl(self, commit: str, patterns: list[bytes], folder: str) -> set[str] | None:
        """As ``grep_any``, for Perl-compatible ``patterns`` matched byte by byte (the C
        locale: no pattern or file is read as UTF-8); None also when this git has no
        PCRE or refuses a pattern (too large, say)."""
        return self._grep(commit, ["-P"], patterns, folder, {"LC_ALL": "C"})

    def _grep(self, commit: str, flags: list[str], lines: list[bytes], folder: str,
              env: dict[str, str] | None = None) -> set[str] | None:
        if not lines or any(not n or b"\n" in n or b"\r" in n or b"\0" in n for n in lines):
            return None
        out = git.run(self.top, "--literal-pathspecs", "grep", "-l", "-z", "-a", *flags,
                      "--no-color", "--no-textconv", "-f", "-", commit, "--",
                      self.prefix + folder, check=False, input=b"\n".join(lines) + b"\n",
                      env=env)
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
        if only_risk and rel.startswith("runbooks/"):  # named if broken, never loaded
            if load_bytes(raw, rel)[0] is None:
                snap.skipped.append(rel)
            continue
        _add(snap, load_file(rel, raw, ws))
    return snap


@dataclass(frozen=True)
class Loaded:
    """What one file gives a snapshot: its risks or its runbook, in file order, and how
    many times it is named among the skipped (once per part that could not be loaded)."""

    rel: str
    risks: tuple[Risk, ...] = ()
    runbook: Runbook | None = None
    skips: int = 0


def load_file(rel: str, raw: bytes, ws: Workspace) -> Loaded:
    """Parse and check one risk or runbook file of a snapshot with ``ws``'s matrix and
    roles (a file under runbooks/ is a runbook, any other a risk file)."""
    doc, _ = load_bytes(raw, rel)
    if doc is None:
        return Loaded(rel, skips=1)
    if rel.startswith("runbooks/"):
        from riskkit.runbook.model import load_runbook

        runbook, _ = load_runbook(doc, ws.roles)
        return Loaded(rel, runbook=runbook, skips=int(runbook is None))
    risks, skips = [], 0
    for base in entries(doc, []):
        risk, _ = load_risk(doc, base, ws.matrix)
        if risk is None:
            skips += 1
        else:
            risks.append(risk)
    return Loaded(rel, tuple(risks), skips=skips)


def _load(rel: str, raw: bytes | None, ws: Workspace) -> Loaded:
    """``load_file``; a blob git cannot give is left out, as ``snapshot`` does."""
    return Loaded(rel) if raw is None else load_file(rel, raw, ws)


def _add(snap: Snapshot, loaded: Loaded, skips: bool = True) -> None:
    """A file's risks and runbook into ``snap``: of two with the same id, the later wins."""
    if skips:
        snap.skipped += [loaded.rel] * loaded.skips
    for risk in loaded.risks:
        snap.risks[risk.id] = risk
    if loaded.runbook is not None:
        snap.runbooks[loaded.runbook.id] = loaded.runbook


LINK = "120000"  # a symbolic link's mode: git grep does not look into its blob


def changed_snapshots(repo: Repo, old_commit: str, old_label: str, new_commit: str,
                      new_label: str) -> tuple[Snapshot, Snapshot] | None:
    """The two commits' snapshots as far as a comparison of them can tell, parsing only
    the files whose blobs differ between them (``ls-tree`` blob ids, no blob read to
    find them); None when that cannot be done exactly (the caller takes full
    snapshots): the workspace (settings, matrix file) differs, so every risk is scored
    again, or there is no register at one of them.

    A file whose blob is the same on both sides gives the same risks and runbooks on
    both, so it can only matter to the comparison where it holds an id that a changed
    file holds too (of two files with one id, the later in name order wins): those
    files, found by git grep (and any file with a backslash, which an escaped id
    needs, and any link, which grep skips), are parsed as well. Files with problems are
    listed among the skipped only when they changed."""
    root = repo.ws_root
    seen: tuple[dict[str, bytes | None], dict[str, bytes | None]] = ({}, {})
    workspaces = []
    for commit, label, read_from in ((old_commit, old_label, seen[0]),
                                     (new_commit, new_label, seen[1])):
        def read(rel: str, commit: str = commit, read_from: dict = read_from
                 ) -> bytes | None:
            read_from[rel] = repo.read(commit, rel)
            return read_from[rel]
        ws = workspace_at(root, label, read)
        if ws is None:
            return None
        workspaces.append(ws)
    for rel in set(seen[0]) | set(seen[1]):  # the same bytes make the same workspace
        if (seen[0][rel] if rel in seen[0] else repo.read(old_commit, rel)) != \
                (seen[1][rel] if rel in seen[1] else repo.read(new_commit, rel)):
            return None
    old_ws, new_ws = workspaces
    trees: list[dict[str, tuple[str, str]]] = []
    for commit in (old_commit, new_commit):
        trees.append({rel: entry for rel, entry in repo.tree(commit, "risks", "runbooks").items()
                      if wanted(rel)})
    old_tree, new_tree = trees
    differ = [{rel: blob for rel, (_, blob) in sorted(tree.items())
               if rel not in other or other[rel][1] != blob}
              for tree, other in ((old_tree, new_tree), (new_tree, old_tree))]
    raw = repo.read_blobs([blob for side in differ for blob in side.values()])
    loaded: list[dict[str, Loaded]] = [
        {rel: _load(rel, raw[blob], ws) for rel, blob in side.items()}
        for side, ws in zip(differ, (old_ws, new_ws))]
    same = {rel: entry for rel, entry in new_tree.items()
            if rel in old_tree and old_tree[rel][1] == entry[1]}
    shared: dict[str, Loaded] = {}  # unchanged files that may share an id with a changed one
    for folder in ("risks", "runbooks"):
        ids = sorted({item.runbook.id for side in loaded for item in side.values()
                      if item.runbook is not None} if folder == "runbooks" else
                     {risk.id for side in loaded for item in side.values()
                      for risk in item.risks})
        mine = {rel: entry for rel, entry in same.items()
                if rel.startswith("runbooks/") == (folder == "runbooks")}
        if not ids or not mine:
            continue
        found = _holders(repo, new_commit, ids, folder)
        holders = {rel: blob for rel, (mode, blob) in mine.items()
                   if found is None or mode == LINK or rel in found}
        raw = repo.read_blobs(list(holders.values()))
        for rel, blob in holders.items():
            shared[rel] = _load(rel, raw[blob], new_ws)
    snaps = []
    for side, label, ws in ((loaded[0], old_label, old_ws), (loaded[1], new_label, new_ws)):
        snap = Snapshot(label, ws)
        for rel in sorted(set(side) | set(shared)):
            if rel in side:
                _add(snap, side[rel])
            else:
                _add(snap, shared[rel], skips=False)
        snaps.append(snap)
    return snaps[0], snaps[1]


def _holders(repo: Repo, commit: str, ids: list[str], folder: str) -> set[str] | None:
    """The files under ``folder`` at ``commit`` that may hold one of ``ids``: the id's
    bytes, as a word, or a backslash (an escape in a double-quoted string can spell any
    id); None when an id could be spelled otherwise (a space or a line break folded, a
    quote doubled) and so every file has to be read.

    An id of other characters is in the file as written: YAML changes a scalar only by
    escapes, by doubling a single quote and by folding lines, and whatever stands next
    to a scalar (a space, a quote, a bracket, a comma, a colon, a line end) is no letter,
    digit or ``_``.

    One git grep -P looks for all of it in one pass over the files; a git without PCRE
    is asked once for the ids (a fixed string each, every one looked for on every line,
    so the time grows with their number) and once for a backslash."""
    if any(not i or not i.isprintable() or any(c.isspace() or c in "'\"\\" for c in i)
           for i in ids):
        return None
    try:
        needles = [i.encode("utf-8") for i in ids]
    except UnicodeEncodeError:  # a lone surrogate
        return None
    found = None if max(map(len, needles)) > LONGEST else \
        repo.grep_perl(commit, [*word_patterns(needles), rb"\\"], folder)
    if found is not None:
        return found
    # this git has no PCRE: one fixed string a needle, each looked for on every line
    found = repo.grep_any(commit, needles, folder, words=True)
    escaped = repo.grep_any(commit, [b"\\"], folder)
    return None if found is None or escaped is None else found | escaped


WORD = rb"[A-Za-z0-9_]"  # what git grep -w counts as a word's character
LONGEST = 256  # bytes of a needle in a pattern (a trie is as deep as its longest needle)
PATTERN_BYTES = 8_000  # of needles a pattern: PCRE2 refuses a compiled pattern over 64 KB


def word_patterns(needles: list[bytes]) -> list[bytes]:
    """Perl-compatible patterns, for bytes, that together match a line holding any of
    ``needles`` as a word, as ``git grep -F -w`` with one needle a line would, but in
    one pass: each pattern is a trie of needles (a shared start is spelled once), so a
    line costs the length of the longest needle at each place, not the number of
    needles. Every byte but a letter, a digit and ``_`` is written as ``\\xHH``."""
    patterns: list[list[bytes]] = []
    chunk: list[bytes] = []
    size = 0
    for needle in sorted(set(needles)):
        if chunk and size + len(needle) > PATTERN_BYTES:
            patterns.append(chunk)
            chunk, size = [], 0
        chunk.append(needle)
        size += len(needle)
    patterns.append(chunk)
    return [b"(?<!" + WORD + b")" + _trie(group) + b"(?!" + WORD + b")" for group in patterns]


def _trie(needles: list[bytes]) -> bytes:
    """A pattern matching exactly ``needles`` (sorted, none empty, none a repeat)."""
    ends = b"" in needles
    rest = [n for n in needles if n]
    branches = []
    for first, group in itertools.groupby(rest, key=lambda n: n[0]):
        literal = bytes([first]) if bytes([first]).isalnum() or first == 0x5F \
            else b"\\x%02x" % first
        branches.append(literal + _trie([n[1:] for n in group]))
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + body + b")?" if ends else body

"""What git knows about a file: the commit it was last changed in, and whether it is dirty."""

from __future__ import annotations

from pathlib import Path

from riskkit.git import run
from riskkit.problems import ConfigError


def _git(root: Path, *args: str) -> str | None:
    """git's answer, or None when there is none (no git, not a repository, no answer
    within 10 seconds): a document's version line must never stop the document."""
    try:
        done = run.run(root, *args, check=False, timeout=10)
    except ConfigError:
        return None
    return done.text().strip() if done.ok else None


def file_version(root: Path, rel: str) -> str:
    """``<short commit>``, ``<short commit> with uncommitted changes``, or ``not in git``."""
    # --literal-pathspecs: a file named "runbooks/[x].yaml" is that file, not a pattern.
    commit = _git(root, "--literal-pathspecs", "log", "-1", "--format=%h", "--abbrev=12",
                  "--", rel)
    if commit is None or _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        return "not in git"
    dirty = _git(root, "--literal-pathspecs", "status", "--porcelain", "--", rel)
    if not commit:
        return "uncommitted changes"
    return f"{commit} with uncommitted changes" if dirty else commit


def commit_on(root: Path, rel: str, day: str) -> str | None:
    """The short commit that last changed ``rel`` on or before ``day`` (YYYY-MM-DD), or
    None (not in git, or first committed after that day).

    A commit's day is its committer date in its own time zone: the day the change landed
    where it was made, the same on every machine.
    """
    out = _git(root, "--literal-pathspecs", "log", "--format=%h %cI", "--abbrev=12", "--",
               rel)
    for line in (out or "").splitlines():
        commit, _, when = line.partition(" ")
        if when[:10] <= day:
            return commit
    return None


def pinned_commit(root: Path, rel: str) -> tuple[str | None, bool]:
    """The full commit that last changed ``rel``, and whether the file differs from it
    (changed or not yet committed); ``(None, False)`` outside git."""
    if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        return None, False
    commit = _git(root, "log", "-1", "--format=%H", "--", rel) or None
    dirty = bool(_git(root, "status", "--porcelain", "--", rel))
    return commit, dirty or commit is None


def merge_driver(root: Path, rel: str) -> str | None:
    """The ``merge`` attribute git gives ``rel`` (``union``, ``unspecified``…); None
    outside git."""
    if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    out = _git(root, "check-attr", "merge", "--", rel)
    return out.rpartition(": ")[2] if out else None

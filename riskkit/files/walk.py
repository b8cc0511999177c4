"""The one folder walker: which files under a folder riskkit reads, by one set of rules.

- Hidden entries (a name starting with ".") are skipped, files and folders alike: .git,
  editor swap files, a draft kept out of the register on purpose.
- YAML files are those ending in .yaml or .yml, in any case (``R2.YAML`` is read). An
  entry so named counts even when it is a folder or a broken link, so that reading it
  reports the problem instead of leaving the file out without a word.
- Linked folders are followed, each real folder once: a link back up does not loop, and
  a folder reached twice is read at the first place in sorted order.
- A folder that cannot be listed (no permission) is returned with the reason, for the
  caller to report; a top folder that is not there is empty.
- Given a boundary (``inside``, a real folder: the workspace's repository), a link that
  leads outside it, to a file or a folder, is not followed: it is returned as refused,
  for the caller to report (``riskkit.files.reading``).
- The files come sorted, so every output built from them is stable.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from riskkit.files.reading import contained, outside
from riskkit.problems import Problem

YAML = (".yaml", ".yml")


def hidden(rel: str) -> bool:
    """Whether a relative path (``/``-separated) has a hidden part the walker skips."""
    return any(part.startswith(".") for part in rel.split("/") if part not in ("", "."))


def is_yaml(name: str) -> bool:
    return name.lower().endswith(YAML)


def wanted(rel: str) -> bool:
    """Whether the walker would list the YAML file at ``rel`` (a path from another
    source, such as git or ``find``, checked by the same rules)."""
    return is_yaml(rel) and not hidden(rel)


@dataclass(frozen=True)
class Walk:
    """What a walk found: the files (paths under the top folder, sorted), the folders
    that could not be listed, each with the reason, the folders listed (the top one
    first; an index keeps them to notice a folder renamed or moved in later), and the
    links refused for leading outside the boundary, each with its problem code and
    reason."""

    files: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)

    def problems(self, rel: Callable[[str], str]) -> list[Problem]:
        """A problem for each folder that could not be listed and each link refused;
        ``rel`` names a path as users see it."""
        return [Problem(rel(path), 1, 1, "Y009", f"cannot read folder: {reason}")
                for path, reason in self.unreadable] + \
            [Problem(rel(path), 1, 1, code, reason) for path, code, reason in self.refused]


def walk(top: str | os.PathLike[str], yaml_only: bool = True,
         inside: str | None = None) -> Walk:
    """The files under ``top`` (recursively), by the rules above; every file when not
    ``yaml_only`` (the folders are walked then, whatever their names). With ``inside``
    (a real folder), links leading out of it are refused rather than followed."""
    found: list[str] = []
    unreadable: list[tuple[str, str]] = []
    listed: list[str] = []
    refused: list[tuple[str, str, str]] = []
    visited: set[str] = set()
    stack = [os.fspath(top)]
    while stack:  # os.scandir: one system call a folder, no stat a file
        current = stack.pop()
        real = os.path.realpath(current)
        if real in visited:  # a linked folder seen already: no loops
            continue
        visited.add(real)
        if inside is not None and not contained(real, inside):
            if os.path.isdir(current):  # a folder not there is empty, as below
                refused.append((current, "Y012", outside().reason))
            continue
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except (FileNotFoundError, NotADirectoryError):
            continue  # gone, or not a folder: nothing under it
        except OSError as exc:
            unreadable.append((current, exc.strerror or str(exc)))
            continue
        listed.append(current)
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if inside is not None and entry.is_symlink() \
                    and not contained(entry.path, inside):  # not even looked at
                if not yaml_only or is_yaml(entry.name) or _is_dir(entry):
                    refused.append((entry.path, "Y012", outside().reason))
                continue
            if yaml_only and is_yaml(entry.name):  # a folder so named too: it is reported
                found.append(entry.path)
                continue
            try:
                is_folder = entry.is_dir()
            except OSError:  # a link that loops on itself: read it, and say why not
                is_folder = False
            if is_folder:
                folders.append(entry.path)
            elif not yaml_only:
                found.append(entry.path)
        stack.extend(sorted(folders, reverse=True))  # depth first, in sorted order
    found.sort()
    unreadable.sort()
    refused.sort()
    return Walk(found, unreadable, listed, refused)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False

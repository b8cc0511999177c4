"""Reading a file of a workspace: only regular files, only so much, only from inside.

Everything riskkit reads from a workspace goes through :func:`read_bytes` (or is checked by
the same rules first), so that a pull request cannot make riskkit hang, fill its memory or
print a file of the machine it runs on:

- Only regular files are read. A named pipe (FIFO), a device, a socket, or a link to one
  (``/dev/zero``) is refused without being read: it is opened without blocking and looked
  at with ``fstat`` first, so a pipe with no writer cannot make riskkit wait.
- At most :data:`MAX_BYTES` are read; a larger file is refused by its size.
- A file reached through a link must lie inside the *boundary*: the git repository that
  holds the workspace, or the workspace itself when it is in none. A link to anything
  outside is refused, and the file it names is not opened.
"""

from __future__ import annotations

import os
import re
import stat

MAX_BYTES = 5 * 1024 * 1024  # a risk or runbook file is a few KB; 5 MB is clearly not one
# A list file (``risks:`` at the top, a register in one file) holds about 1 KB a risk: one
# of 10,000 risks is some 9 MB. Up to this size it is read; any other file stops at 5 MB.
LIST_MAX_BYTES = 16 * 1024 * 1024
_LIST_START = re.compile(rb"(?:\xef\xbb\xbf)?(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*"
                         rb"(?:---[ \t]*\r?\n)?risks:[ \t]*(?:#[^\r\n]*)?\r?\n")


def is_list_file(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first KB or so) is a list file: comments
    and blank lines, then ``risks:`` alone on its line."""
    return _LIST_START.match(head) is not None


def cap(size: int, head: bytes, limit: int = MAX_BYTES) -> int:
    """The most bytes read of a file of ``size`` bytes starting with ``head``: ``limit``,
    or :data:`LIST_MAX_BYTES` for a list file when ``limit`` is the YAML default."""
    if size > limit and limit == MAX_BYTES and is_list_file(head):
        return LIST_MAX_BYTES
    return limit


class Refused(Exception):
    """A file riskkit does not read, and why: ``code`` is the problem code to report."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def kind(mode: int) -> str | None:
    """What a file that is not a regular one is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def not_regular(what: str) -> Refused:
    return Refused("Y011", f"is {what}, not a regular file; riskkit does not read it")


def too_big(limit: int = MAX_BYTES) -> Refused:
    return Refused("Y006", f"file is larger than {limit // (1024 * 1024)} MB")


def outside(shown: str = "the repository") -> Refused:
    return Refused("Y012", f"leads outside {shown}; riskkit does not read it")


def boundary(root: str | os.PathLike[str]) -> str:
    """The folder every file of the workspace at ``root`` must lie in, as a real path: the
    top of the git repository holding it (a ``.git`` entry, as git finds it), else
    ``root`` itself."""
    real = os.path.realpath(root)
    top = real
    while True:
        if os.path.lexists(os.path.join(top, ".git")):
            return top
        parent = os.path.dirname(top)
        if parent == top:
            return real
        top = parent


def contained(path: str | os.PathLike[str], inside: str) -> bool:
    """Whether ``path``, every link followed, lies in the real folder ``inside``."""
    real = os.path.realpath(path)
    return real == inside or real.startswith(inside.rstrip(os.sep) + os.sep)


def read_bytes(path: str | os.PathLike[str], *, limit: int = MAX_BYTES,
               inside: str | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`Refused` for a file that is not regular, is larger than ``limit`` or,
    with ``inside`` (a real folder), lies outside it; OSError when it cannot be opened.
    """
    return read_stat(path, limit=limit, inside=inside)[0]


def read_stat(path: str | os.PathLike[str], *, limit: int = MAX_BYTES,
              inside: str | None = None) -> tuple[bytes, os.stat_result]:
    """:func:`read_bytes`, with the file's ``fstat`` as it was opened."""
    if inside is not None and not contained(path, inside):
        raise outside()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # a pipe opens at once without blocking; nothing is read yet
    try:
        st = os.fstat(fd)
        what = kind(st.st_mode)
        if what is not None:
            if what == "a folder":
                raise IsADirectoryError(21, "Is a directory", os.fspath(path))
            raise not_regular(what)
        if st.st_size > limit:
            limit = cap(st.st_size, os.pread(fd, 4096, 0) if hasattr(os, "pread") else b"",
                        limit)
        if st.st_size > limit:
            raise too_big(limit)
        chunks = []
        left = limit + 1  # a file that grew since fstat is still bounded
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise too_big(limit)
        return data, st
    finally:
        os.close(fd)


def read_or_empty(path: str | os.PathLike[str], inside: str | None = None) -> bytes:
    """The bytes of ``path`` for a text search; whatever cannot or may not be read is
    simply empty (reporting it is the business of whoever parses the file)."""
    found = searchable(path, inside)
    return found or b""


def searchable(path: str | os.PathLike[str], inside: str | None = None) -> bytes | None:
    """The bytes of ``path`` for a text search: empty when it cannot be read (gone, a
    folder, no permission), None when riskkit does not read it (:class:`Refused`), so
    that a caller can say that it may hold anything."""
    try:
        return read_bytes(path, inside=inside)
    except Refused:
        return None
    except OSError:
        return b""

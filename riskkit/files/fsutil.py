"""Files riskkit writes are written atomically: a temporary file, then a rename."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20  # characters encoded at a time: a big text is never copied whole


class Pieces:
    """A text kept as the pieces it was made of, written out a chunk at a time: the JSON
    of 50,000 risks (70 MB) is never one string beside the pieces it was joined from.
    ``str()`` joins it, for whoever needs it whole."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts

    def __str__(self) -> str:
        return "".join(self.parts)

    def __len__(self) -> int:
        return sum(map(len, self.parts))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pieces) and str(self) == str(other)

    __hash__ = None  # type: ignore[assignment]


Text = str | Pieces  # what a view prints


def chunks(text: Text, size: int | None = None) -> Iterator[str]:
    """``text`` as strings of about ``size`` characters (:data:`CHUNK` unless given; a
    piece longer than that is cut), in order; nothing for an empty text."""
    if size is None:
        size = CHUNK
    if isinstance(text, str):
        for start in range(0, len(text), size):
            yield text[start:start + size]
        return
    batch: list[str] = []
    held = 0
    for part in text.parts:
        if len(part) >= size:
            if held:
                yield "".join(batch)
                batch, held = [], 0
            yield from chunks(part, size)
        elif part:
            batch.append(part)
            held += len(part)
            if held >= size:
                yield "".join(batch)
                batch, held = [], 0
    if held:
        yield "".join(batch)


def _encoded(data: Text | bytes) -> Iterator[bytes]:
    if isinstance(data, bytes):
        yield data
    else:
        for piece in chunks(data):
            yield piece.encode("utf-8")


def write_atomic(path: str | os.PathLike, data: Text | bytes, *, exclusive: bool = False,
                 through_links: bool = False, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one.

    With ``exclusive`` an existing file is never replaced (FileExistsError), and
    neither is a link, even a broken one. Otherwise what is at ``path`` is respected:
    with ``through_links`` (``-o FILE``) a link is written through (the file it points at
    is replaced, the link stays); a FIFO or a device is opened and written to
    (``/dev/null`` stays a device); only a regular file, or nothing, is replaced by a
    rename.

    ``durable`` flushes the new file to disk before the rename, so a crash cannot leave
    an empty file in place of the old one. Only the cache goes without: a cache file that
    was not written whole is a miss (``riskkit.files.cache``), and a cold command should
    not wait for the disk.
    """
    path = Path(path)
    if not exclusive:
        if through_links:
            path = target(path)
        if path.exists() and not path.is_file():  # -o /dev/null, a named pipe
            with open(path, "wb") as handle:  # a rename would replace the device itself
                handle.writelines(_encoded(data))
            return
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = private_file(folder, f".{path.name}.", ".tmp")
    try:
        # private_file makes the file private (0600); give it the mode the file had, or the
        # one a plain open() would have given it.
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(_encoded(data))
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if path exists, atomically
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def target(path: Path) -> Path:
    """The file a write to ``path`` lands in: ``path``, or, when it is a link (a chain of
    links, a broken one too), the path it leads to. A link that loops is an OSError."""
    if not path.is_symlink():
        return path
    try:
        return path.resolve(strict=False)
    except RuntimeError:  # Python before 3.13 says a loop so
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fspath(path)) from None


def private_file(folder: str | os.PathLike[str], prefix: str, suffix: str = ""
                 ) -> tuple[int, str]:
    """Create a new file only this user can read in ``folder``, as ``tempfile.mkstemp``
    does (a random name, ``O_EXCL``, mode 0600), and return its descriptor and path.

    Kept here because importing tempfile (and the random and shutil modules it pulls in)
    costs a cold command more than the write itself."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", os.fspath(folder))

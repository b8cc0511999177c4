"""A cache for the second run: validate results and the risk -> runbook link index.

Keyed like git's index: every input file's size, mtime, ctime and inode (ctime changes on
any write and cannot be set back by a user), plus riskkit's own files, the schemas and
"today". A file touched within two seconds of the cache being written is "racily clean"
and makes the cache unusable, so an edit in the same clock tick is never missed. Any
doubt means a miss: the cache can only skip work, never change an answer.

Any content at all in a cache file is a miss unless riskkit wrote it whole: each file
carries the SHA-1 of its body, so a truncated, edited or foreign file is never believed;
a file that is not a regular one (a pipe, a device) is not opened for reading, and one
over :data:`MAX_BYTES` is not read. The readers of each section check the shape of what
they get as well (``riskkit.validation``, ``riskkit.files.linkindex``): a value of the wrong
shape is a miss too.

It lives outside the work tree, under $RISKKIT_CACHE_DIR or the user's cache folder;
RISKKIT_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import functools
import json
import os
import stat as stat_mode
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit import __version__
from riskkit.files.digests import sha1
from riskkit.files.fsutil import Text, chunks, private_file, write_atomic

if TYPE_CHECKING:
    import subprocess

RACY_NS = 2_000_000_000
FORMAT = 4
MAX_BYTES = 256 * 1024 * 1024  # a link index of a million risks is about 40 MB
_HEAD = b'{"sum":"'  # then 40 hex digits, _BODY, the entry as JSON, and "}"
_BODY = b'","entry":'

Stat = tuple[int, int, int, int]  # size, mtime, ctime, inode
Stats = dict[str, Stat | None]  # a file (relative, "/"-separated) -> its stat, None if gone


def enabled() -> bool:
    return os.environ.get("RISKKIT_NO_CACHE", "") in ("", "0")


def _folder() -> Path:
    if os.environ.get("RISKKIT_CACHE_DIR"):
        return Path(os.environ["RISKKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "riskkit"


def clock_ns() -> int:
    """The time now on the clock that stamps files (a file made and removed in the cache
    folder), so that "changed since" compares times of one clock even when the process's
    clock is set apart from the disk's; the process's clock when nothing can be made."""
    try:
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = private_file(folder, ".clock-")
    except OSError:
        return time.time_ns()
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        os.unlink(name)


def _path(root: Path, section: str) -> Path:
    digest = sha1(os.fsencode(os.fspath(root))).hexdigest()[:20]
    return _folder() / f"{digest}-{section}.json"


def _scan(root: Path, folder: str, out: Stats) -> None:
    """Every file under ``folder``, by the one walker's rules (every file, not only YAML:
    templates count too); a folder that cannot be read is None, which is a miss."""
    from riskkit.files.walk import walk

    top = os.path.join(root, folder)
    found = walk(top, yaml_only=False)
    cut = len(top) + 1
    prefix = folder + "/"
    for path in found.files:
        rel = prefix + (path[cut:] if os.sep == "/" else path[cut:].replace(os.sep, "/"))
        try:
            st = os.stat(path)
        except OSError:
            out[rel] = None
            continue
        out[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    for path, _ in found.unreadable:
        out[f"{folder}/{path[cut:]}".replace(os.sep, "/").rstrip("/")] = None


def stats(root: Path, folders: Iterable[str] = ("risks", "runbooks", "drills"),
          extra: Iterable[str] = ()) -> Stats:
    """(size, mtime, ctime, inode) of every file that can change an answer."""
    out: Stats = {}
    for folder in folders:
        _scan(root, folder, out)
    for rel in ("riskkit.yaml", *extra):
        try:
            st = os.stat(os.path.join(root, rel))
            out[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        except OSError:
            out[rel] = None
    return out


@functools.lru_cache(maxsize=None)
def _own_files() -> tuple[tuple[str | int, ...], ...]:
    """riskkit's code, templates and schemas: a change to any of them is a miss. Every
    file of every folder of the package but ``__pycache__`` (compiled code follows its
    source), with its size and mtime."""
    package = os.path.dirname(os.path.dirname(__file__))
    own: list[tuple[str | int, ...]] = []
    folders = [(package, ".")]
    while folders:
        folder, rel = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            own.append((rel, "unreadable"))
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    folders.append((entry.path, f"{rel}/{entry.name}"))
            elif entry.is_file():
                st = entry.stat()
                own.append((rel, entry.name, st.st_size, st.st_mtime_ns))
    from riskkit.files.schemacheck import schema_folder

    for entry in sorted(os.scandir(schema_folder()), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            st = entry.stat()
            own.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(own)


def _digest(files: Stats) -> str:
    text = "\n".join(f"{rel}\0{stat}" for rel, stat in sorted(files.items()))
    return sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


def _fresh(files: Stats, written_ns: int) -> bool:
    """No file missing, and none changed in the two seconds before the cache was written
    (or since): such a file could change again within the same clock tick."""
    limit = written_ns - RACY_NS
    for stat in files.values():
        if stat is None or stat[1] >= limit or stat[2] >= limit:
            return False
    return True


def read(root: Path, section: str, key: dict[str, Any], files: Stats) -> Any:
    """The cached value of ``section`` for exactly these files and key, or None."""
    if not enabled():
        return None
    entry, written = _entry(root, section)
    if entry is None:
        return None
    if entry.get("key") != _key(key) or entry.get("files") != _digest(files) \
            or not _fresh(files, written):
        return None
    return entry.get("value")


def read_for(root: Path, section: str, key: dict[str, Any],
             files_of: Callable[[list[str]], Stats]) -> Any:
    """The cached value of ``section`` for this key, when the files it was kept for are
    unchanged: ``files_of(extra)`` gives their stats now, ``extra`` being the files
    besides the folders that were named when it was written (a matrix file that
    riskkit.yaml names). So a caller needs no settings read to ask: riskkit.yaml is among
    the files, and when it changes the answer is a miss anyway. None for a miss."""
    entry = _entry_for(root, section, key, files_of)
    return None if entry is None else entry.get("value")


def read_with_text(root: Path, section: str, key: dict[str, Any],
                   files_of: Callable[[list[str]], Stats]) -> tuple[Any, str] | None:
    """``read_for``, and the text kept beside the value (``write``'s ``text``); None
    for a miss, and for a text that is not the one the entry was written with."""
    entry = _entry_for(root, section, key, files_of)
    if entry is None:
        return None
    text = _read_text(root, section, entry.get("text"))
    return None if text is None else (entry.get("value"), text)


def _entry_for(root: Path, section: str, key: dict[str, Any],
               files_of: Callable[[list[str]], Stats]) -> dict[str, Any] | None:
    if not enabled():
        return None
    entry, written = _entry(root, section)
    if entry is None or entry.get("key") != _key(key):
        return None
    extra = entry.get("extra", [])
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        return None
    files = files_of(extra)
    if entry.get("files") != _digest(files) or not _fresh(files, written):
        return None
    return entry


TEXT_CHUNK = 1 << 20  # characters encoded at a time: a big text is never copied whole


def _text_path(root: Path, section: str) -> Path:
    return _path(root, section).with_suffix(".txt")


def _write_text(root: Path, section: str, text: Text) -> dict[str, Any] | None:
    """``text`` as UTF-8 in a file beside the section's, written atomically a chunk at a
    time, so that a text of 80 MB is neither escaped into JSON nor copied whole: its size
    and SHA-1, for the entry. None when it cannot be written."""
    path = _text_path(root, section)
    try:
        if not stat_mode.S_ISREG(os.lstat(path).st_mode):  # a pipe, a link: not written into
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    digest, size, tmp = sha1(), 0, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = private_file(path.parent, f".{path.name}.", ".tmp")
        with os.fdopen(fd, "wb") as out:
            for piece in chunks(text, TEXT_CHUNK):
                data = piece.encode("utf-8")
                digest.update(data)
                out.write(data)
                size += len(data)
        os.replace(tmp, path)
    except (OSError, UnicodeError):
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return None
    return {"sha1": digest.hexdigest(), "bytes": size}


def _read_text(root: Path, section: str, kept: object) -> str | None:
    """The text the entry's ``kept`` (size and SHA-1) describes, or None for any other."""
    from riskkit.files.reading import Refused, read_stat

    if not isinstance(kept, dict) or set(kept) != {"sha1", "bytes"} \
            or type(kept["bytes"]) is not int or not isinstance(kept["sha1"], str):
        return None
    try:
        raw, _ = read_stat(_text_path(root, section), limit=MAX_BYTES)
    except (OSError, Refused):
        return None
    if len(raw) != kept["bytes"] or sha1(raw).hexdigest() != kept["sha1"]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # cannot happen for what _write_text wrote
        return None


def _entry(root: Path, section: str) -> tuple[dict[str, Any] | None, int]:
    """A cache file's content and when it was written, by the file system's own clock
    (its mtime, as git's index does for racy entries): the files it is compared with
    are stamped by that clock too, whatever the process's clock says. (None, 0) for
    anything riskkit did not write whole."""
    from riskkit.files.reading import Refused, read_stat

    try:
        raw, st = read_stat(_path(root, section), limit=MAX_BYTES)
    except (OSError, Refused):
        return None, 0
    entry = unseal(raw)
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None, 0
    return entry, st.st_mtime_ns


def seal(entry: dict[str, Any]) -> bytes:
    """A cache file's bytes: the entry as JSON, with the SHA-1 of that JSON before it."""
    body = json.dumps(entry, separators=(",", ":")).encode("utf-8")
    return _HEAD + sha1(body).hexdigest().encode("ascii") + _BODY + body + b"}"


def unseal(raw: bytes) -> Any:
    """The entry :func:`seal` wrote, or None for any other bytes at all."""
    start = len(_HEAD) + 40 + len(_BODY)
    if not (raw.startswith(_HEAD) and raw[len(_HEAD) + 40:start] == _BODY
            and raw.endswith(b"}")):
        return None
    body = raw[start:-1]
    if sha1(body).hexdigest().encode("ascii") != raw[len(_HEAD):len(_HEAD) + 40]:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # cannot happen for what seal wrote
        return None


def write(root: Path, section: str, key: dict[str, Any], files: Stats, value: Any,
          extra: Iterable[str] = (), text: Text | None = None) -> None:
    """Remember ``value``; failures (read-only home, full disk) are ignored. ``extra``
    names the files of ``files`` besides its folders, for ``read_for``; a ``text`` (a
    view's answer) is kept in a file of its own, for ``read_with_text``."""
    if not enabled():
        return
    entry = {"format": FORMAT, "key": _key(key), "files": _digest(files), "value": value,
             "extra": list(extra)}
    if text is not None:
        kept = _write_text(root, section, text)
        if kept is None:
            return
        entry["text"] = kept
    path = _path(root, section)
    try:
        if not stat_mode.S_ISREG(os.lstat(path).st_mode):  # a pipe, a link: not written into
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    try:
        write_atomic(path, seal(entry), durable=False)
    except (OSError, ValueError, TypeError):  # a value JSON cannot hold: nothing kept
        pass


def _key(key: dict[str, Any]) -> str:
    material = json.dumps({"version": __version__, "own": _own_files(), **key},
                          sort_keys=True, default=str)
    return sha1(material.encode()).hexdigest()


def written_ns(root: Path, section: str) -> int | None:
    """When ``section`` was last written, if it is usable for this riskkit."""
    entry, written = _entry(root, section)
    if entry is None or entry.get("key") != _key({}):
        return None
    return written


def read_timed(root: Path, section: str) -> tuple[Any, int, str | None]:
    """A section kept whatever the files (an index its reader checks), when it was
    written, and the key it was written under; (None, 0, None) when there is none.

    The value is this riskkit's only if the key is :func:`own_key`, which walks riskkit's
    own files: a reader may start work on the value first (a walk on another core) and
    check the key meanwhile, but must not believe the value before it has."""
    if not enabled():
        return None, 0, None
    entry, written = _entry(root, section)
    if entry is None:
        return None, 0, None
    return entry.get("value"), written, entry.get("key")


def own_key() -> str:
    """The key of a section kept whatever the files: riskkit's version and own files."""
    return _key({})


def start_changed_since(root: Path, folder: str, since_ns: int
                        ) -> subprocess.Popen[bytes] | None:
    """Start one ``find`` walk (in C, on another core) for the files and folders under
    ``folder`` whose inode changed (written, renamed, created; for a folder, an entry
    added, removed or renamed in it) at or after ``since_ns`` less the racy window;
    ``changed_files`` collects the answer. None when find is missing."""
    import subprocess

    find = _find()
    if find is None or not os.path.isdir(os.path.join(root, folder)):
        return None
    since = (since_ns - RACY_NS) / 1e9
    try:  # -L follows linked folders, as Workspace.files does
        return subprocess.Popen([find, "-L", folder, "-newerct",
                                 f"@{since:.9f}", "-print0"], cwd=root,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def _find() -> str | None:
    """``find`` from PATH's absolute folders only: a relative entry (``.``, an empty one)
    would name a file of the workspace find runs in."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if os.path.isabs(folder):
            candidate = os.path.join(folder, "find")
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def changed_files(walk: subprocess.Popen[bytes] | None) -> list[str] | None:
    """The files and folders a ``start_changed_since`` walk found; None if it failed
    (the caller then falls back to its full scan)."""
    import subprocess

    if walk is None:
        return None
    try:
        out, _ = walk.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        walk.kill()
        walk.wait()
        return None
    if walk.returncode != 0:
        return None
    return sorted(os.fsdecode(p) for p in out.split(b"\0") if p)

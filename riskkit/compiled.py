"""Code riskkit generates at run time, compiled once and kept beside riskkit's .pyc.

Two kinds of source are written while riskkit runs. Python 3.11's ``dataclasses`` writes
the ``__init__``, ``__repr__``, ``__eq__`` (and ``__setattr__``, ``__delattr__`` and
``__hash__`` for a frozen one) of every record class when the class is made, and compiles
each with ``exec``: for the 45 classes a ``validate`` makes, that compiling was a fifth of
a small register's cold run. And each JSON Schema becomes the source of its fast check
(``riskkit.files.fastschema``). Python keeps a module's compiled code in ``__pycache__``
so that it is not compiled on every run; this does the same for those sources.

The key is the file name given to the compiler and the source text itself: the same text
compiles to the same code (with the same flags: none, as in ``dataclasses``), so a code
object kept for a text is exactly what compiling it would give, and a class or a schema
that changes writes a new text, which is simply not found. Nothing else is ever run from
the file: it is read only if it starts with this Python's bytecode magic number and holds
a mapping of texts to marshalled code objects, as the ``.pyc`` beside it would be
trusted; what is kept for a text is used only if it unmarshals to code. Like a ``.pyc``,
it is written only where riskkit's folder can be written and ``sys.dont_write_bytecode``
is not set (``PYTHONDONTWRITEBYTECODE``), atomically, once, at exit.
"""

from __future__ import annotations

import atexit
import builtins
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import Any

FILE = os.path.join(os.path.dirname(__file__), "__pycache__",
                    f"riskkit-generated.{sys.implementation.cache_tag}.bin")
MAX_KEPT = 4000  # texts; a tree whose code changed a lot starts again from those in use

# A key -> its code, marshalled: each is unmarshalled only when it is asked for, so a run
# pays for the classes and schemas it uses, not for everything the file holds.
_kept: dict[str, bytes] = {}
_used: set[str] = set()
_read_yet = False  # the file is read when code is first asked for, not at start-up
_added = False


def _read() -> dict[str, bytes]:
    try:
        with open(FILE, "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    if not raw.startswith(MAGIC_NUMBER):
        return {}
    try:
        kept = marshal.loads(raw[len(MAGIC_NUMBER):])
    except Exception:  # a damaged file (marshal may say so with SystemError): a miss
        return {}
    if not isinstance(kept, dict) or not all(
            type(k) is str and type(v) is bytes for k, v in kept.items()):
        return {}
    return kept


def _kept_code(key: str) -> CodeType | None:
    global _read_yet
    if not _read_yet:
        _read_yet = True
        _kept.update(_read())
    kept = _kept.get(key)
    if kept is None:
        return None
    try:
        code = marshal.loads(kept)
    except Exception:  # damaged bytes: compiled anew
        return None
    return code if type(code) is CodeType else None


def code(source: str, filename: str = "<string>") -> CodeType:
    """``compile(source, filename, "exec")`` with no inherited flags, kept for the next run."""
    global _added
    key = f"{filename}\0{source}"
    found = _kept_code(key)
    if found is None:
        found = compile(source, filename, "exec", dont_inherit=True)
        _kept[key] = marshal.dumps(found)
        if not _added:
            _added = True
            atexit.register(_write)
    _used.add(key)
    return found


def _exec(source: Any, globals_: dict[str, Any] | None = None,
          locals_: Any = None, /) -> None:
    """``exec`` as ``dataclasses`` calls it, with the code for a text looked up first."""
    if globals_ is None:  # exec's own default: the globals of its caller, dataclasses
        import dataclasses

        globals_ = vars(dataclasses)
    builtins.exec(code(source) if type(source) is str else source, globals_, locals_)


def _write() -> None:
    if not _added or sys.dont_write_bytecode:
        return
    kept = _kept if len(_kept) <= MAX_KEPT else {k: _kept[k] for k in _used}
    temp = f"{FILE}.{os.getpid()}.{os.urandom(6).hex()}.tmp"  # one writer's own file
    try:
        os.makedirs(os.path.dirname(FILE), exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC_NUMBER + marshal.dumps(kept))
        os.replace(temp, FILE)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


def keep_record_methods() -> None:
    """From now on, the record classes' methods compile once (see the module's text)."""
    import dataclasses

    dataclasses.exec = _exec  # type: ignore[attr-defined]

"""Code riskkit generates at run time, compiled once and kept beside riskkit's .pyc.

Two kinds of source are written while riskkit runs, and one more is compiled. Python
3.11's ``dataclasses`` writes the ``__init__``, ``__repr__``, ``__eq__`` (and
``__setattr__``, ``__delattr__`` and ``__hash__`` for a frozen one) of every record class
when the class is made, and compiles each with ``exec``: for the 45 classes a ``validate`` makes, that compiling was a fifth of
a small register's cold run. And each JSON Schema becomes the source of its fast check
(``riskkit.files.fastschema``). Python keeps a module's compiled code in ``__pycache__``
so that it is not compiled on every run; this does the same for those sources. The
third is regular expressions: ``re`` compiles each pattern (riskkit's, PyYAML's, the
standard library's) in Python on every run, 60 to 80 of them, which was a tenth of a
small ``validate``; what it hands to ``_sre`` to build a pattern is kept the same way.

The key is the file name given to the compiler and the source text itself: the same text
compiles to the same code (with the same flags: none, as in ``dataclasses``), so a code
object kept for a text is exactly what compiling it would give, and a class or a schema
that changes writes a new text, which is simply not found. Nothing else is ever run from
the file: it is read only if it starts with this Python's bytecode magic number and holds
a mapping of texts to marshalled code objects, as the ``.pyc`` beside it would be
trusted; what is kept for a text is used only if it unmarshals to code, and what is kept
for a pattern only if ``_sre`` (which checks the code it is given) builds a pattern of it,
under the key of this ``_sre``'s format. Like a ``.pyc``, it is written only where
riskkit's folder can be written and ``sys.dont_write_bytecode`` is not set
(``PYTHONDONTWRITEBYTECODE``), atomically, once, at exit.
"""

from __future__ import annotations

import atexit
import builtins
import marshal
import os
import sys
import warnings
from _thread import get_ident
from importlib.util import MAGIC_NUMBER
from re import _compiler  # type: ignore[attr-defined]
from types import CodeType
from typing import Any

_FOLDER = os.path.join(os.path.dirname(__file__), "__pycache__")
_DEFAULT = os.path.join(_FOLDER, f"riskkit-generated.{sys.implementation.cache_tag}.bin")
FILE = _DEFAULT  # until a command names its own (keep_for)
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


def code(source: str, filename: str = "<string>") -> CodeType:
    """``compile(source, filename, "exec")`` with no inherited flags, kept for the next run."""
    key = f"{filename}\0{source}"
    found = _found(key)
    if type(found) is not CodeType:
        found = compile(source, filename, "exec", dont_inherit=True)
        _keep(key, found)
    _used.add(key)
    return found


def _found(key: str) -> Any:
    """What is kept for ``key``, unmarshalled; None for nothing or damaged bytes."""
    global _read_yet
    if not _read_yet:
        _read_yet = True
        _kept.update(_read())
    kept = _kept.get(key)
    if kept is None:
        return None
    try:
        return marshal.loads(kept)
    except Exception:  # damaged bytes (marshal may say so with SystemError): a miss
        return None


def _keep(key: str, value: Any) -> None:
    global _added
    _kept[key] = marshal.dumps(value)
    if not _added:
        _added = True
        atexit.register(_write)


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


def keep_for(command: str) -> None:
    """Keep this run's code in ``command``'s own file, unless one was chosen already or
    read. A run reads its whole file, so one file for every command (530 texts, 770 KB,
    where ``validate`` uses 310) cost a cold ``validate`` 5 ms more than a file of its own
    (reading it, and the memory it fills, in one run of 25 side by side)."""
    global FILE
    if FILE == _DEFAULT and not _read_yet and command.replace("-", "").isalnum():
        FILE = os.path.join(_FOLDER, f"riskkit-generated.{command}."
                                     f"{sys.implementation.cache_tag}.bin")


def keep_record_methods() -> None:
    """From now on, the record classes' methods compile once (see the module's text)."""
    import dataclasses

    dataclasses.exec = _exec  # type: ignore[attr-defined]


_compile_pattern = _compiler.compile
_sre: Any = _compiler._sre  # the C half of re
# What re's compiler last asked _sre to build, for each thread.
_built: dict[int, tuple[Any, ...]] = {}


class _Sre:
    """``_sre`` as re's compiler sees it: the same, but for remembering the arguments of
    the pattern it builds."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_sre, name)

    @staticmethod
    def compile(*args: Any) -> Any:
        _built[get_ident()] = args
        return _sre.compile(*args)


def _pattern(p: Any, flags: int = 0) -> Any:
    """``re``'s compiler, with what it builds for a pattern text and flags kept."""
    if type(p) not in (str, bytes) or flags & _compiler.SRE_FLAG_DEBUG:
        return _compile_pattern(p, flags)
    text = p if type(p) is str else p.decode("latin-1")
    key = f"re\0{_sre.MAGIC}\0{type(p).__name__}\0{int(flags)}\0{text}"
    found = _found(key)
    if type(found) is tuple:
        try:
            built = _sre.compile(p, *found)
        except Exception:  # not what this _sre builds from: compiled anew
            pass
        else:
            _used.add(key)
            return built
    # A pattern re warns about (a possible nested set, say) is compiled on every run, so
    # that the warning is given on every run; the warnings are given again as they came.
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        _built.pop(get_ident(), None)
        built = _compile_pattern(p, flags)
    for warning in said:
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)
    args = _built.pop(get_ident(), None)
    if not said and args is not None and args[0] is p:
        _, final_flags, program, groups, groupindex, indexgroup = args
        # as marshal can write them: the compiler's opcodes are named ints
        _keep(key, (int(final_flags), [int(c) for c in program], int(groups),
                    dict(groupindex), tuple(indexgroup)))
        _used.add(key)
    return built


def keep_patterns() -> None:
    """From now on, regular expressions compile once (see the module's text)."""
    if _compiler.compile is not _pattern:
        _compiler._sre = _Sre()
        _compiler.compile = _pattern

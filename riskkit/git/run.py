"""The one way riskkit runs git: a clean environment, a timeout, bytes in and out, and
typed errors instead of exceptions.

Every git call goes through ``run`` (one command, its whole output) or ``Batch`` (one
``git cat-file --batch`` process that many blobs are read through), as every git call of
pre-commit goes through its ``git.py``. Output is bytes; file names are decoded with
``decode``, which keeps any byte a name may hold, so a name read from git can be handed
back to git or to the disk unchanged.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from riskkit.problems import ConfigError

TIMEOUT = 60.0  # seconds: every git call riskkit makes reads a local repository

MISSING = "git is not installed (riskkit diff and history need it)"

# The variables git itself treats as naming a repository (``git rev-parse
# --local-env-vars``). Git exports some of them to the hooks it runs (GIT_INDEX_FILE to
# a pre-commit hook, GIT_DIR from a linked worktree or a submodule), and they outrank
# ``git -C``: left in, riskkit started by a hook would read another repository, or
# another index, than its workspace's. githooks(5) says to unset exactly these.
# pre-commit drops every GIT_* variable instead; riskkit keeps the rest because they are
# the user's settings, not a hook's (GIT_CONFIG_GLOBAL, GIT_CEILING_DIRECTORIES, ...).
REPOSITORY_VARIABLES = frozenset({
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT", "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
})


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (the process environment) without the variables that point git at a
    repository or an index: each git call finds its repository from ``-C`` alone."""
    base = os.environ if base is None else base
    return {k: v for k, v in base.items() if k not in REPOSITORY_VARIABLES}


def decode(raw: bytes) -> str:
    """A name git printed, as text: UTF-8, with any other byte kept as a lone surrogate
    (as ``os.fsdecode`` does), so that ``encode`` gives the same bytes back."""
    return raw.decode("utf-8", "surrogateescape")


def encode(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def names(raw: bytes) -> list[str]:
    """The names of NUL-separated output (``-z``)."""
    return [decode(n) for n in raw.split(b"\0") if n]


@dataclass(frozen=True)
class Result:
    """A finished git command."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def text(self) -> str:
        """The output as text, names decoded by ``decode``, without the final newline."""
        return decode(self.stdout).rstrip("\n")


def _what(args: Iterable[str]) -> str:
    return " ".join(list(args)[:2])


def run(root: str | os.PathLike, *args: str, check: bool = True, timeout: float = TIMEOUT,
        input: bytes | None = None, env: Mapping[str, str] | None = None) -> Result:
    """``git -C root ARGS``, with ``env`` over the cleaned environment; a missing git, a
    timeout and (with ``check``) a failure are ``ConfigError``s that say which."""
    command = ["git", "-C", os.fspath(root), *args]
    try:
        done = subprocess.run(command, input=input, capture_output=True, timeout=timeout,
                              check=False, env={**environment(), **(env or {})},
                              stdin=subprocess.DEVNULL if input is None else None)
    except FileNotFoundError:
        raise ConfigError(MISSING) from None
    except subprocess.TimeoutExpired:  # run() has killed it
        raise ConfigError(f"git {_what(args)}: no answer within {timeout:g} seconds") \
            from None
    except OSError as exc:
        raise ConfigError(f"cannot run git: {exc.strerror or exc}") from None
    result = Result(tuple(args), done.returncode, done.stdout, done.stderr)
    if check and not result.ok:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(f"git {_what(args)}: {message or 'failed'}")
    return result


# A found object's header: only git's own words, so a name in a request cannot pass for one.
FOUND = re.compile(rb"(?P<oid>[0-9a-f]{40}|[0-9a-f]{64}) (?P<type>[a-z]+) (?P<size>[0-9]+)\n")


class Batch:
    """One ``git cat-file --batch`` process: many blobs read through one pipe.

    A read that gets no answer within ``timeout`` kills the process and is a
    ``ConfigError``. Each read waits on the pipe with ``select`` and a deadline, so there
    is no watchdog thread, and a read costs no more than the pipe.
    """

    def __init__(self, root: str | os.PathLike, timeout: float = TIMEOUT):
        self.timeout = timeout
        try:
            self._proc = subprocess.Popen(
                ["git", "-C", os.fspath(root), "cat-file", "--batch"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment())
        except FileNotFoundError:
            raise ConfigError(MISSING) from None
        except OSError as exc:
            raise ConfigError(f"cannot run git: {exc.strerror or exc}") from None
        assert self._proc.stdout is not None
        self._out = self._proc.stdout.fileno()
        self._buffer = bytearray()

    def _fill(self, deadline: float) -> None:
        """At least one more byte of git's answer into the buffer, before ``deadline``."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._proc.kill()
                raise ConfigError(f"git cat-file: no answer within {self.timeout:g} seconds")
            ready, _, _ = select.select([self._out], [], [], remaining)
            if ready:
                chunk = os.read(self._out, 1 << 16)
                if not chunk:
                    raise ConfigError("git cat-file stopped answering")
                self._buffer += chunk
                return

    def _line(self, deadline: float) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            self._fill(deadline)
        line = bytes(self._buffer[:end + 1])
        del self._buffer[:end + 1]
        return line

    def _take(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, spec: str) -> bytes | None:
        """The blob ``spec`` (``commit:path``) names, or None when there is none."""
        if "\n" in spec:  # the batch protocol is one request a line
            return None
        stdin = self._proc.stdin
        assert stdin is not None
        deadline = time.monotonic() + self.timeout
        try:
            stdin.write(encode(spec) + b"\n")
            stdin.flush()
        except (OSError, ValueError):
            raise ConfigError("git cat-file stopped answering") from None
        line = self._line(deadline)
        found = FOUND.fullmatch(line)
        if found:  # "<oid> <type> <size>", then the object and a newline
            size = int(found["size"])
            data = self._take(size + 1, deadline)[:size]
            return data if found["type"] == b"blob" else None
        if line.endswith((b" missing\n", b" ambiguous\n")):
            # "<spec> missing": the spec is echoed as given, spaces and all, so the
            # answer is read from its end, never by splitting the line on spaces.
            return None
        raise ConfigError("git cat-file stopped answering")

    def close(self) -> None:
        proc = self._proc
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:  # it had ended already
            pass
        try:
            proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

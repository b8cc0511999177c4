"""Problems are data: every finding in a user's file is a small frozen record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from riskkit.codes import Severity, severity_of


@dataclass(frozen=True, order=True)
class Problem:
    """One problem at ``path:line:col``; sorts by place, then code.

    ``severity`` is the one registered for ``code`` (see :mod:`riskkit.codes`) unless
    given; a string ("warning", from a cache entry) becomes a :class:`Severity`.
    """

    path: str
    line: int
    col: int
    code: str
    message: str
    # None only until __post_init__ has looked the code up: always a Severity after.
    severity: Severity = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if type(self.severity) is not Severity:
            severity = severity_of(self.code) if self.severity is None else \
                Severity(self.severity)
            object.__setattr__(self, "severity", severity)

    def format(self) -> str:
        """One line, always: a newline in a message (from a key, say) is shown escaped."""
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{self.path}:{self.line}:{self.col}: {self.code} {message}"

    def to_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class RiskkitError(Exception):
    """Base of the errors riskkit raises on purpose; the CLI maps them to exit codes."""

    exit_code = 3


class ProblemsFound(RiskkitError):
    """The user's files have problems (exit 1)."""

    exit_code = 1

    def __init__(self, problems: list[Problem], note: str = ""):
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s) found" + (f"; {note}" if note else ""))


class ConfigError(RiskkitError):
    """Bad usage or settings (exit 2); may carry problems that point into riskkit.yaml."""

    exit_code = 2

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = sorted(problems or [])
        super().__init__(message)


class InputError(RiskkitError):
    """A value the user gave on the command line is wrong (exit 1): unknown id, bad variable."""

    exit_code = 1


def field_path(path: Iterable[str | int]) -> str:
    """The one notation for a place in a document shown to users:
    ``('controls', 1, 'kind')`` -> ``controls[1].kind``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'title'?)`` when one of ``options`` is close to ``word``, else ""."""
    import difflib

    choices = sorted(options)
    same = [o for o in choices if o.lower() == word.lower()]  # MITIGATING, Medium
    match = same or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""

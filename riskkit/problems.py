"""Problems are data: every finding in a user's file is a small frozen record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from riskkit.codes import Severity, severity_of

# What never reaches a terminal or a file from user text: the C0 controls but tab and
# newline (ESC starts every escape sequence: colours, cursor moves, OSC titles and links),
# DEL, the C1 controls (U+009B is a CSI, U+009D an OSC on their own), and lone surrogates
# (a byte of a file name that is not UTF-8).
# And the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
# shown as they are, a title could print in an order other than the one it is stored in.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with each control character shown as ``\\uXXXX``, never sent: ESC is
    ``\\u001b``. The same six characters are the character's JSON escape, so JSON output
    stays valid JSON of the same data."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
        """One line, always: a newline in a message (from a key, say) or in a file name is
        shown escaped, and so is any other control character (``visible``)."""
        def line(text: str) -> str:
            return visible(text.replace("\r", "\\r").replace("\n", "\\n"))
        return f"{line(self.path)}:{self.line}:{self.col}: {self.code} {line(self.message)}"

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


class Names:
    """Names to suggest from, prepared once for many did-you-means (the step ids of a
    runbook, every runbook id): each suggestion then costs the same whatever the number
    of names, and a word asked for again is answered from memory.

    Names and words over :attr:`LONGEST` characters are matched only regardless of case.
    Up to :attr:`EVERY` names, each is compared with the word. Beyond, only some are:
    those one typo away (a letter left out, added, changed or two swapped, found through
    an index of each name with one letter left out), and those nearest to it in sorted
    order, written forwards and backwards (a longer typo keeps either what comes before
    it or what comes after it).
    """

    EVERY = 300  # names compared one by one up to this many
    NEAR = 12  # neighbours on each side, forwards and backwards, beyond
    INDEX_CHARS = 8_000_000  # the most characters the index of one-typo names may hold
    LONGEST = 100  # a longer word or name is not compared (difflib's cost grows fast)

    def __init__(self, options: Iterable[str]):
        given = sorted({str(o) for o in options})
        self.names = [name for name in given if len(name) <= self.LONGEST]
        self._lower: dict[str, str] = {}
        for name in given:
            self._lower.setdefault(name.lower(), name)  # MITIGATING, Medium
        self._backwards: list[tuple[str, str]] | None = None
        self._shortened: dict[str, list[str]] | None = None
        self._memo: dict[str, str | None] = {}

    def suggest(self, word: str) -> str | None:
        """The name ``word`` was probably meant to be, or None."""
        if word not in self._memo:
            if len(self._memo) > 10_000:
                self._memo.clear()
            self._memo[word] = self._suggest(word)
        return self._memo[word]

    def _suggest(self, word: str) -> str | None:
        same = self._lower.get(word.lower())
        if same is not None:
            return same
        if len(word) > self.LONGEST:
            return None
        if len(self.names) <= self.EVERY:
            tries = [self.names]
        else:  # one typo away (the usual case), else the neighbours in sorted order
            tries = [sorted(self._one_typo(word)), self._neighbours(word)]
        for choices in tries:
            match = _closest(word, choices)
            if match is not None:
                return match
        return None

    def _one_typo(self, word: str) -> set[str]:
        if self._shortened is None:  # each name, and each with one letter left out
            self._shortened = {}
            # The index holds about as many characters as the names squared: within a
            # bound of memory, else the neighbours alone must do.
            if sum(len(name) ** 2 for name in self.names) <= self.INDEX_CHARS:
                for name in self.names:
                    for variant in {name, *_one_less(name)}:
                        self._shortened.setdefault(variant, []).append(name)
        if not self._shortened:
            return set()
        near: set[str] = set()
        for variant in {word, *_one_less(word)}:
            near.update(self._shortened.get(variant, ()))
        return near

    def _neighbours(self, word: str) -> list[str]:
        import bisect

        if self._backwards is None:
            self._backwards = sorted((name[::-1], name) for name in self.names)
        at = bisect.bisect_left(self.names, word)
        near = set(self.names[max(0, at - self.NEAR):at + self.NEAR])
        at = bisect.bisect_left(self._backwards, (word[::-1], ""))
        near.update(name for _, name in self._backwards[max(0, at - self.NEAR):at + self.NEAR])
        return sorted(near)


CUTOFF = 0.6  # difflib's similarity, as difflib.get_close_matches uses it
RATIOS = 20  # exact similarities worked out per word, at most


def _closest(word: str, choices: Iterable[str]) -> str | None:
    """``difflib.get_close_matches(word, choices, n=1, cutoff=0.6)``, bounded: the exact
    similarity (slow on long, repetitive names) is worked out in the order of its cheap
    upper bound, only while that bound can still beat the best so far, and at most
    :data:`RATIOS` times. The answer is difflib's except when more than that many names
    are all about as close."""
    import difflib

    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    bounds = []
    for name in choices:
        matcher.set_seq1(name)
        if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
            bounds.append((matcher.quick_ratio(), name))
    bounds.sort(reverse=True)
    best: tuple[float, str] | None = None
    for count, (bound, name) in enumerate(bounds):
        if best is not None and (bound < best[0] or count >= RATIOS):
            break
        matcher.set_seq1(name)
        score = matcher.ratio()
        if score >= CUTOFF and (best is None or (score, name) > best):
            best = (score, name)
    return best[1] if best is not None else None


def _one_less(word: str) -> list[str]:
    """``word`` with each of its letters left out in turn."""
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def did_you_mean(word: str, options: Iterable[str] | Names) -> str:
    """`` (did you mean 'title'?)`` when one of ``options`` is close to ``word``, else "".

    In a loop over many words, pass :class:`Names` made once from the options."""
    names = options if isinstance(options, Names) else Names(options)
    match = names.suggest(word)
    return f" (did you mean '{match}'?)" if match is not None else ""

"""``riskkit review``: what needs attention now, each finding with its place and owner.

The engine: every rule of the registry is asked about every subject it looks at, and what
they find comes back as ``Finding``s -- problems (a warning whose code is the kind) that
also name their subject and its owner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from riskkit.codes import Severity
from riskkit.problems import Problem
from riskkit.register import rules
from riskkit.review.registry import KINDS, RULE_BY_ID, RULES
from riskkit.review.rule import Context, Rule

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded

__all__ = ["KINDS", "Finding", "review", "summary"]


@dataclass(frozen=True, order=True)
class Finding(Problem):
    """A problem found by ``review``: ``code`` is its kind, it is always a warning, and it
    names the risk or runbook it is about (``subject``) and who should act (``owner``)."""

    severity: Severity = field(default=Severity.WARNING, compare=False)
    subject: str = ""
    owner: str = "-"

    @property
    def kind(self) -> str:
        return self.code

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "owner": self.owner,
                "message": self.message, "path": self.path, "line": self.line, "col": self.col}


# What each kind of rule is given, from a loaded workspace.
SUBJECTS: dict[str, Callable[[Loaded], Iterable[Any]]] = {
    "risk": lambda loaded: [r for r in loaded.risks if rules.is_active(r)],
    "runbook": lambda loaded: loaded.runbooks,
    "drill": lambda loaded: loaded.drills,
    "incident": lambda loaded: loaded.incident_records(),
}


def _order(f: Finding) -> tuple:
    """The order review has always printed: place, kind, subject, owner, then message (a
    Problem's own order would compare the message before the subject)."""
    return (f.path, f.line, f.col, f.code, f.subject, f.owner, f.message)


def review(loaded: Loaded, as_of: dt.date, kinds: Iterable[str] = ()) -> list[Finding]:
    """Every finding (or those of ``kinds``, ids of the registry), sorted by file and line."""
    chosen: Iterable[Rule] = [RULE_BY_ID[k] for k in dict.fromkeys(kinds)] or RULES
    ctx = Context(loaded, as_of)
    subjects: dict[str, list[Any]] = {}
    out = []
    for rule in chosen:
        if rule.on not in subjects:
            subjects[rule.on] = list(SUBJECTS[rule.on](loaded))
        for subject in subjects[rule.on]:
            for hit in rule.check(ctx, subject):
                line, col = hit.place
                out.append(Finding(hit.path, line, col, rule.id, hit.message,
                                   subject=hit.subject, owner=hit.owner or "-"))
    return sorted(out, key=_order)


def summary(findings: list[Finding]) -> dict[str, int]:
    """How many findings of each kind, by kind."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return dict(sorted(counts.items()))

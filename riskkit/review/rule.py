"""What a review rule is: an id, a label, what it looks at, and a check.

Like a yamllint rule, each finding kind is a small check the engine (``findings.review``)
calls on every subject of its kind -- each active risk, each runbook, each drill -- and
that yields a ``Hit`` for everything that needs attention. The engine turns hits into
findings, so a check never repeats its own id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator, Literal, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.drill.model import Drill
    from riskkit.incident.records import IncidentRecord
    from riskkit.load import Loaded
    from riskkit.register.risk import Risk
    from riskkit.workspace import Workspace

Subject = Literal["risk", "runbook", "drill", "incident"]


class Hit(NamedTuple):
    """One thing a check found: where, about what, whose, and what to do about it."""

    path: str
    place: tuple[int, int]  # (line, column)
    subject: str
    owner: str | None
    message: str


@dataclass(eq=False)
class Context:
    """What a check may ask besides its subject: the workspace, the day, and answers
    several rules share (computed once a review, not once a rule)."""

    loaded: Loaded
    as_of: dt.date
    _risks_of: dict[str, list[Risk]] = field(default_factory=dict, repr=False)

    @property
    def ws(self) -> Workspace:
        return self.loaded.workspace

    def risks_of(self, runbook_id: str) -> list[Risk]:
        """The risks a runbook answers, in the register's order."""
        if runbook_id not in self._risks_of:
            self._risks_of[runbook_id] = self.loaded.risks_of(runbook_id)
        return self._risks_of[runbook_id]

    @cached_property
    def incidents(self) -> list[IncidentRecord]:
        """Every incident of the workspace as of the load (``riskkit.incident.records``)."""
        return self.loaded.incident_records()

    @cached_property
    def last_drills(self) -> dict[str, Drill]:
        """Each runbook's latest drill on or before the day of the review."""
        from riskkit.drill.model import last_drills

        return last_drills([d for d in self.loaded.drills if d.date <= self.as_of])


Check = Callable[[Context, Any], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    """A finding kind: ``id`` (what ``--kind`` takes and findings carry as their code),
    ``label`` (how the report names it), ``on`` (what ``check`` is given) and ``check``."""

    id: str
    label: str
    on: Subject
    check: Check = field(repr=False)


def rule(id: str, label: str, on: Subject) -> Callable[[Check], Rule]:
    """Make a check function a ``Rule``; list it in ``review.registry.RULES`` to use it."""
    def make(check: Check) -> Rule:
        return Rule(id, label, on, check)
    return make

"""The questions riskkit answers about a register, each answered in one place.

Is this risk above the appetite? Is this runbook's expected time to mitigate within the
RTO of the risks it answers? Does it need drills, how often, and for which risk? Every
view (the register table, the heat map, review, the report, the plan header, the
templates, validate's warnings) asks these functions and never re-derives the answer, so
two views can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.register.risk import Risk
    from riskkit.workspace import Workspace


def is_active(risk: Risk) -> bool:
    """A closed risk is history: no rule about exposure or response applies to it."""
    return risk.status != "closed"


def above_appetite(ws: Workspace, risk: Risk) -> bool:
    """An active risk rated (currently) above the workspace's appetite."""
    return (is_active(risk) and ws.appetite is not None
            and risk.level.rank > ws.appetite.rank)


def needs_response(ws: Workspace, risk: Risk) -> bool:
    """Above the appetite and not accepted: it needs a treatment and a runbook."""
    return above_appetite(ws, risk) and risk.status != "accepted"


@dataclass(frozen=True)
class RtoCheck:
    """One linked risk's RTO held against an expected time to mitigate."""

    risk: str
    rto_minutes: int
    eta_minutes: float

    @property
    def within(self) -> bool:
        return self.eta_minutes <= self.rto_minutes


def rto_checks(eta: float, risks: Iterable[Risk]) -> list[RtoCheck]:
    """The ETA against the RTO of every active risk that states one, in the risks' order."""
    return [RtoCheck(r.id, r.rto_minutes, eta) for r in risks
            if is_active(r) and r.rto_minutes is not None]


def binding_rto(risks: Iterable[Risk]) -> int | None:
    """The tightest RTO among the active risks: the one a plan is held against."""
    rtos = [r.rto_minutes for r in risks if is_active(r) and r.rto_minutes is not None]
    return min(rtos) if rtos else None


def within_rto(eta: float, risks: Iterable[Risk]) -> bool | None:
    """True/False against the tightest RTO; None when no active linked risk has one."""
    rto = binding_rto(risks)
    return None if rto is None else eta <= rto


@dataclass(frozen=True)
class DrillNeed:
    """Why a runbook must be drilled: the riskiest active risk it answers that has a
    drill interval, and the shortest interval among them."""

    risk: Risk
    interval_days: int


def drill_need(ws: Workspace, risks: Iterable[Risk]) -> DrillNeed | None:
    """Whether a runbook answering ``risks`` needs drills (None: it does not)."""
    needing = [r for r in risks if is_active(r) and r.level.id in ws.drill_days]
    if not needing:
        return None
    top = min(needing, key=lambda r: (-r.level.rank, -r.rating.score, r.id))
    return DrillNeed(top, min(ws.drill_days[r.level.id] for r in needing))


def likelihood_allows(ws: Workspace, risk: Risk, occurrences: int) -> bool:
    """Whether ``occurrences`` in a year fit the risk's likelihood rating: its level on
    the matrix states the most it stands for (``frequency.per_year_max``); a level that
    states none allows any number."""
    limit = ws.matrix.likelihood[risk.rating.likelihood - 1].per_year_max
    return limit is None or occurrences <= limit

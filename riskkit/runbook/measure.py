"""Measured minutes: a runbook's steps as drills and closed incidents timed them.

Kept with the runbook (below the drill and incident records that produce the samples)
so that every view of a plan can show them; ``riskkit.drill.model`` documents the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

RECENT = 3  # measurements a step's figure comes from: its most recent ones (drill.model)


@dataclass(frozen=True)
class Sample:
    """One measurement of one step: from a drill (its date and file) or from a closed
    incident (the day it started and its journal)."""

    day: dt.date
    ref: str  # the drill's file, or the incident's journal: the order among equal days
    step: str
    minutes: float
    source: str = "drill"  # drill | incident


def medians(samples: list[Sample]) -> dict[str, float]:
    """Per step, the median of its last ``RECENT`` samples by day."""
    import statistics  # with decimal and fractions: only when there is something to measure

    by_step: dict[str, list[float]] = {}
    for sample in sorted(samples, key=lambda x: (x.day, x.ref)):
        by_step.setdefault(sample.step, []).append(sample.minutes)
    return {k: _clean(statistics.median(v[-RECENT:]))
            for k, v in sorted(by_step.items())}


@dataclass(frozen=True, eq=False)  # equal to any mapping of the same combined figures
class Measured(Mapping[str, float]):
    """What drills and closed incidents measured of one runbook's steps.

    As a mapping it is the figure every ETA-vs-RTO verdict uses: per step, the median of
    its last ``RECENT`` measurements by date, drills and incidents together (an
    incident is a measurement like a drill; the latest three count, whatever they were).
    ``drills`` and ``incidents`` are each source alone, as shown beside the estimates
    ("drilled 6", "in incidents: median 7").
    """

    combined: Mapping[str, float]
    drills: Mapping[str, float]
    incidents: Mapping[str, float]

    def __getitem__(self, key: str) -> float:
        return self.combined[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.combined)

    def __len__(self) -> int:
        return len(self.combined)

    @property
    def sources(self) -> str:
        """Where the combined figures come from: drills, incidents, both, or none."""
        used = {src for src, figures in (("drills", self.drills),
                                         ("incidents", self.incidents)) if figures}
        return " and ".join(sorted(used))


def measured_label(sources: str) -> str:
    """How a time to mitigate measured from ``sources`` (``Measured.sources``) is named:
    ``as drilled`` while only drills measured it, else ``as measured in incidents`` or
    ``as measured in drills and incidents``."""
    return "as drilled" if sources in ("", "drills") else f"as measured in {sources}"


def as_measured(figures: Mapping[str, float] | None) -> Measured:
    """``figures`` as :class:`Measured` (plain figures are drilled ones)."""
    if isinstance(figures, Measured):
        return figures
    plain = dict(figures or {})
    return Measured(plain, plain, {})


def _clean(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 1)

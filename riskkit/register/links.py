"""What a runbook's plan cannot show of the risks it answers, and why.

A plan that leaves out a risk (and so perhaps its RTO) must say so in the plan itself: a
risk the runbook declares that is nowhere in the register, or a risk file with errors that
names the runbook or a risk it declares. Incident-time loading and the whole workspace
both ask :func:`missing_risks`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskkit.load import Loaded
    from riskkit.runbook.model import Runbook

NOT_FOUND = "declared by this runbook, not found in the register"
BROKEN = "has errors; a risk in it may answer this runbook (run riskkit validate)"
DECLARED_BROKEN = "declared by this runbook; its file has errors (run riskkit validate)"


@dataclass(frozen=True)
class MissingRisk:
    """A risk the plan cannot show: its id and its file, as far as they are known."""

    risk: str | None
    file: str | None
    reason: str

    @property
    def text(self) -> str:
        """One line for a plan: ``RSK-9: declared by this runbook, ...``."""
        label = " in ".join(x for x in (self.risk, self.file) if x)
        return f"{label}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"risk": self.risk, "file": self.file, "reason": self.reason}


def mentions(text: bytes, ids: list[str]) -> set[str]:
    """The ``ids`` that ``text`` names as a whole word (``rb`` is not in ``rb-2``)."""
    return {i for i in ids
            if re.search(rb"(?<![\w-])" + re.escape(i.encode("utf-8")) + rb"(?![\w-])", text)}


def missing_risks(loaded: Loaded, runbook: Runbook) -> list[MissingRisk]:
    """What the plan of ``runbook`` cannot show: the risks it declares that did not load
    (in declared order), then the risk files with errors that name it or one of them."""
    shown = {r.id for r in loaded.risks_of(runbook.id)}
    from riskkit.files.reading import searchable

    root = loaded.workspace.root
    inside = loaded.workspace.boundary  # a link out of the repository is an error too
    named: dict[str, set[str]] = {}
    for path in sorted({p.path for p in loaded.errors if p.path.startswith("risks/")}):
        text = searchable(root / path, inside)
        if text is None:  # not read (a pipe, a device, too big, outside): may hold any
            named[path] = set()
            continue
        found = mentions(text, [runbook.id, *runbook.risks])
        if found:
            named[path] = found
    out = []
    told: set[str] = set()
    for risk_id in dict.fromkeys(runbook.risks):
        if risk_id in shown:
            continue
        files = [path for path, ids in named.items() if risk_id in ids]
        if files:
            out += [MissingRisk(risk_id, path, DECLARED_BROKEN) for path in files]
            told.update(files)
        else:
            out.append(MissingRisk(risk_id, None, NOT_FOUND))
    out += [MissingRisk(None, path, BROKEN) for path in named if path not in told]
    return out

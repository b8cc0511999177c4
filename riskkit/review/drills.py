"""Review rules about drill records: what a drill found and is still not done."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Iterator

from riskkit.review.rule import Context, Hit, rule

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.drill.model import Drill


@rule("finding-overdue", "drill finding past due", on="drill")
def finding_overdue(ctx: Context, drill: Drill) -> Iterator[Hit]:
    for i, finding in enumerate(drill.findings):
        due = finding.due
        if finding.status == "done" or not due:
            continue
        if dt.date.fromisoformat(due) < ctx.as_of:
            place = drill.doc.at(("findings", i, "due")) if drill.doc else (drill.line, 1)
            yield Hit(drill.file, place, drill.runbook, finding.owner,
                      f"finding from the {drill.date.isoformat()} drill of {drill.runbook} "
                      f"was due {due}: {finding.title}")

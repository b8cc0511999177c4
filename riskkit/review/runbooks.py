"""Review rules about runbooks: linked to no risk, drills never held or overdue, and a time
to mitigate above an RTO, as estimated or as drilled. Each points at the runbook's id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from riskkit.dates import add_days
from riskkit.register import rules
from riskkit.review.rule import Context, Hit, rule
from riskkit.runbook.measure import measured_label

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.runbook.model import Runbook


def _hit(runbook: Runbook, message: str) -> Hit:
    return Hit(runbook.file, runbook.at("id"), runbook.id, runbook.owner, message)


@rule("runbook-unlinked", "runbook linked to no risk", on="runbook")
def runbook_unlinked(ctx: Context, runbook: Runbook) -> Iterator[Hit]:
    if not ctx.risks_of(runbook.id):
        yield _hit(runbook, f"{runbook.id} answers no risk: link it with risks: or retire it")


@rule("drill-never", "runbook never drilled", on="runbook")
def drill_never(ctx: Context, runbook: Runbook) -> Iterator[Hit]:
    need = rules.drill_need(ctx.ws, ctx.risks_of(runbook.id))
    if need and runbook.id not in ctx.last_drills:
        top = need.risk
        yield _hit(runbook, f"{runbook.id} has never been drilled; it answers {top.level.id} "
                            f"{top.id} (drill every {need.interval_days} days)")


@rule("drill-overdue", "runbook drill overdue", on="runbook")
def drill_overdue(ctx: Context, runbook: Runbook) -> Iterator[Hit]:
    need = rules.drill_need(ctx.ws, ctx.risks_of(runbook.id))
    previous = ctx.last_drills.get(runbook.id)
    if need is None or previous is None:
        return
    interval, top = need.interval_days, need.risk
    if add_days(previous.date, interval) < ctx.as_of:  # saturates at 9999-12-31
        late = (ctx.as_of - previous.date).days - interval
        yield _hit(runbook, f"{runbook.id} last drilled {previous.date.isoformat()}, {late} days "
                            f"past its {interval}-day interval ({top.level.id} {top.id})")


@rule("eta-above-rto", "expected time to mitigate above the RTO", on="runbook")
def eta_above_rto(ctx: Context, runbook: Runbook) -> Iterator[Hit]:
    for check in rules.rto_checks(runbook.eta_minutes, ctx.risks_of(runbook.id)):
        if not check.within:
            yield _hit(runbook, f"{runbook.id}: expected time to mitigate "
                                f"{check.eta_minutes:g} min is above the RTO of {check.risk} "
                                f"({check.rto_minutes} min)")


@rule("drilled-above-rto", "time to mitigate as drilled above the RTO", on="runbook")
def drilled_above_rto(ctx: Context, runbook: Runbook) -> Iterator[Hit]:
    measured = ctx.loaded.measured(runbook.id)
    drilled = runbook.drilled_eta_minutes(measured)
    if drilled is None:
        return
    label = measured_label(measured.sources)
    for check in rules.rto_checks(drilled, ctx.risks_of(runbook.id)):
        if not check.within:
            yield _hit(runbook, f"{runbook.id}: time to mitigate {label} "
                                f"{check.eta_minutes:g} min is above the RTO of {check.risk} "
                                f"({check.rto_minutes} min)")

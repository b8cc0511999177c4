"""Review rules that learn from incidents: action items past due, an incident that took
longer than a risk's RTO, a risk that occurred more often than its likelihood allows, and
a risk an incident met without a runbook.

An incident is an *occurrence* of the risks it pinned at its start (the risks its runbook
answered then, or those named with ``incident start --risk``), dated by its start; only
closed incidents count, and those of the last :data:`YEAR_DAYS` days, for the
likelihood. Each rule points at the journal line or the risk field it is about."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from riskkit.dates import add_days
from riskkit.register import rules
from riskkit.review.rule import Context, Hit, rule

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.incident.records import IncidentRecord
    from riskkit.register.risk import Risk

YEAR_DAYS = 365  # the window occurrences are counted in, up to the day of the review


def occurrences(ctx: Context, risk_id: str) -> list[IncidentRecord]:
    """The closed incidents of the last year (to the review's day) that pinned the risk."""
    since = add_days(ctx.as_of, -YEAR_DAYS)  # saturates at 0001-01-01
    return [r for r in ctx.incidents if r.closed and since < r.started_at.date() <= ctx.as_of
            and any(p.id == risk_id for p in r.risks)]


@rule("action-overdue", "incident action item past due", on="incident")
def action_overdue(ctx: Context, record: IncidentRecord) -> Iterator[Hit]:
    for item in record.actions:
        if item.overdue(ctx.as_of):
            assert item.due is not None  # overdue() says so
            yield Hit(record.file, (item.line, 1), record.id, item.owner,
                      f"action item {item.short} of incident {record.id} was due "
                      f"{item.due.isoformat()}: {item.title} (riskkit incident action-done "
                      f"{item.short} when it is done)")


@rule("incident-above-rto", "incident took longer than the RTO", on="incident")
def incident_above_rto(ctx: Context, record: IncidentRecord) -> Iterator[Hit]:
    took = record.time_to_mitigate
    since = add_days(ctx.as_of, -YEAR_DAYS)
    if took is None or record.actions or not since < record.started_at.date() <= ctx.as_of:
        return  # an action item is the response; an incident over a year old is history
    owners = {r.id: r.owner for r in ctx.loaded.risks}
    for risk in record.risks:
        if risk.rto_minutes is not None \
                and not rules.RtoCheck(risk.id, risk.rto_minutes, took).within:
            yield Hit(record.file, (record.line, 1), record.id, owners.get(risk.id),
                      f"incident {record.id} took {took:g} min to mitigate, above the RTO "
                      f"of {risk.id} ({risk.rto_minutes} min); add an action item (riskkit "
                      f"incident action TITLE --owner NAME --due DATE -i {record.id})")


@rule("likelihood-understated", "risk occurred more often than its likelihood", on="risk")
def likelihood_understated(ctx: Context, risk: Risk) -> Iterator[Hit]:
    found = occurrences(ctx, risk.id)
    if not rules.likelihood_allows(ctx.ws, risk, len(found)):
        entry = ctx.ws.matrix.likelihood[risk.rating.likelihood - 1]
        evidence = ", ".join(f"{r.id} ({r.started_at.date().isoformat()})" for r in found)
        yield Hit(risk.file, risk.at("likelihood"), risk.id, risk.owner,
                  f"{risk.id} is rated likelihood {entry.id} (at most "
                  f"{entry.frequency_text}) but occurred {_times(len(found))} in the "
                  f"{YEAR_DAYS} days to {ctx.as_of.isoformat()}: {evidence}; re-rate it")


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


@rule("incident-no-runbook", "risk an incident met without a runbook", on="risk")
def incident_no_runbook(ctx: Context, risk: Risk) -> Iterator[Hit]:
    if ctx.loaded.runbooks_of(risk.id):
        return
    met = [r for r in ctx.incidents if r.runbook is None
           and r.started_at.date() <= ctx.as_of and any(p.id == risk.id for p in r.risks)]
    if met:
        names = ", ".join(f"{r.id} ({r.started_at.date().isoformat()})" for r in met)
        yield Hit(risk.file, risk.at("id"), risk.id, risk.owner,
                  f"{risk.id} has no runbook, and incidents met it without one: {names}; "
                  "write a runbook for it and link it")



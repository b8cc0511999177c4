"""Review rules about risks: reviews, acceptances and treatments that are due, and risks
above the appetite with no response. Each is given every active risk; closed risks are
history and never reviewed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Iterator

from riskkit.dates import add_days
from riskkit.register import rules
from riskkit.review.rule import Context, Hit, rule

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.register.risk import Risk

EXPIRING_DAYS = 30  # an acceptance ending within this many days is "expiring"


def _hit(risk: Risk, place: tuple[int, int], message: str) -> Hit:
    return Hit(risk.file, place, risk.id, risk.owner, message)


@rule("review-overdue", "risk review overdue", on="risk")
def review_overdue(ctx: Context, risk: Risk) -> Iterator[Hit]:
    interval = ctx.ws.review_days.get(risk.level.id)
    if not interval:
        return
    last = risk.date("review", "last")
    level = risk.level.id
    if last is None:  # nothing to point at but the risk's id
        yield _hit(risk, risk.at("id"),
                   f"{risk.id} ({level}) has never been reviewed; {level} risks are reviewed "
                   f"every {interval} days")
    elif add_days(last, interval) < ctx.as_of:  # saturates at 9999-12-31
        late = (ctx.as_of - last).days - interval
        yield _hit(risk, risk.at("review", "last"),
                   f"{risk.id} ({level}) last reviewed {last.isoformat()}, {late} days past "
                   f"its {interval}-day cadence")


def _accepted_until(risk: Risk) -> dt.date | None:
    """The end of a risk's acceptance, when it is accepted (a stale one is not a finding)."""
    return risk.date("acceptance", "until") if risk.status == "accepted" else None


def _accepted_by(risk: Risk) -> str:
    by = risk.acceptance.by if risk.acceptance else None
    return "?" if by is None else by


@rule("acceptance-expired", "risk acceptance expired", on="risk")
def acceptance_expired(ctx: Context, risk: Risk) -> Iterator[Hit]:
    until = _accepted_until(risk)
    if until and until < ctx.as_of:
        yield _hit(risk, risk.at("acceptance", "until"),
                   f"{risk.id}: acceptance by {_accepted_by(risk)} expired on "
                   f"{until.isoformat()}; renew it or treat the risk")


@rule("acceptance-expiring", "risk acceptance expiring soon", on="risk")
def acceptance_expiring(ctx: Context, risk: Risk) -> Iterator[Hit]:
    until = _accepted_until(risk)
    if until and ctx.as_of <= until <= add_days(ctx.as_of, EXPIRING_DAYS):
        yield _hit(risk, risk.at("acceptance", "until"),
                   f"{risk.id}: acceptance by {_accepted_by(risk)} expires on "
                   f"{until.isoformat()} (in {(until - ctx.as_of).days} days)")


def _above(ctx: Context, risk: Risk) -> str:
    appetite = ctx.ws.appetite.id if ctx.ws.appetite else "-"
    return (f"{risk.id} is {risk.level.id} ({risk.rating.score}), above the appetite "
            f"({appetite})")


@rule("no-treatment", "above appetite without a treatment", on="risk")
def no_treatment(ctx: Context, risk: Risk) -> Iterator[Hit]:
    if rules.needs_response(ctx.ws, risk) and not risk.treatment:
        yield _hit(risk, risk.at(), f"{_above(ctx, risk)}, with no treatment")


@rule("no-runbook", "above appetite without a runbook", on="risk")
def no_runbook(ctx: Context, risk: Risk) -> Iterator[Hit]:
    if rules.needs_response(ctx.ws, risk) and not ctx.loaded.runbooks_of(risk.id):
        yield _hit(risk, risk.at(), f"{_above(ctx, risk)}, with no runbook")


@rule("treatment-overdue", "treatment past its due date", on="risk")
def treatment_overdue(ctx: Context, risk: Risk) -> Iterator[Hit]:
    due = risk.date("treatment", "due")
    if due and due < ctx.as_of and risk.status in ("open", "mitigating"):
        strategy = risk.treatment.strategy if risk.treatment else None
        yield _hit(risk, risk.at("treatment", "due"),
                   f"{risk.id}: treatment ({strategy}) was due {due.isoformat()}, "
                   f"{(ctx.as_of - due).days} days ago")

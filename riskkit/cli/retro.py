"""``riskkit retro``: the quarter's retrospective."""

from __future__ import annotations

import datetime as dt

import click

from riskkit.cli.app import cli
from riskkit.cli.common import as_of_option, emit, format_option, output_option, today, workspace


@cli.command(short_help="The quarter's retrospective, from the files and git.")
@click.option("--quarter", metavar="Q", help="The quarter (2026Q4; default: the one "
              "--as-of is in).")
@format_option("retro")
@output_option
@as_of_option
@click.pass_context
def retro(ctx: click.Context, quarter: str | None, fmt: str, output: str | None,
          as_of: dt.date | None) -> None:
    """What the register and the team did in a quarter: incidents (time to mitigate
    against the RTO), drills planned and done with their outcomes, drill findings and
    incident action items opened and closed, risks added, closed and re-rated up or down
    (from the git history, commit by commit), acceptances expiring next quarter, the review
    backlog at the start of the quarter and now, and the next quarter's drill plan.

    \b
    riskkit retro --quarter 2026Q4 --as-of 2026-12-31 --format html -o retro.html
    """
    from riskkit.cli.register import load_clean
    from riskkit.drill.model import quarter_of
    from riskkit.present.registry import render
    from riskkit.present.retro import RetroView
    from riskkit.retro.quarter import retro as sum_up

    day = today(as_of)
    loaded = load_clean(ctx, as_of)
    data = sum_up(loaded, quarter or quarter_of(day), day)
    emit(render("retro", fmt, RetroView(data, workspace(ctx).root)), output)

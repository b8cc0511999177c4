"""Git commands: diff and history."""

from __future__ import annotations

import datetime as dt

import click

from riskkit.cli.app import cli
from riskkit.cli.common import emit, format_option, output_option, parse_date, workspace


@cli.command()
@click.argument("revs", nargs=-1, metavar="[REV [REV]]")
@format_option("diff")
@output_option
@click.pass_context
def diff(ctx: click.Context, revs: tuple[str, ...], fmt: str, output: str | None) -> None:
    """What changed in the register and runbooks between git revisions.

    \b
    riskkit diff                 HEAD against the working tree
    riskkit diff main            main against the working tree
    riskkit diff main HEAD       (or main..HEAD) between two commits
    riskkit diff main...HEAD     what HEAD changed since it branched off main
    riskkit diff main.. --format md   a pull-request comment

    Files are read from git objects, so nothing is checked out; renamed files are
    matched by risk id, and each revision is scored on its own matrix.
    """
    from riskkit.git.diff import diff as compute
    from riskkit.present.registry import render

    if len(revs) > 2:
        raise click.UsageError("give at most two revisions")
    data = compute(workspace(ctx).root, tuple(revs))
    emit(render("diff", fmt, data), output)


@cli.command()
@click.argument("risk_id", metavar="RISK-ID")
@click.option("--since", metavar="DATE", callback=parse_date,
              help="Only changes committed (author date) on or after DATE.")
@format_option("history")
@output_option
@click.pass_context
def history(ctx: click.Context, risk_id: str, since: dt.date | None, fmt: str,
            output: str | None) -> None:
    """A risk's rating over the commits that changed it."""
    from riskkit.git.history import history as compute
    from riskkit.present.registry import render

    ws = workspace(ctx)
    data = compute(ws.root, risk_id, since.isoformat() if since else None)
    emit(render("history", fmt, data, levels=list(ws.matrix.levels)), output)

"""Drill commands: plan, checklist, record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from riskkit.problems import InputError, did_you_mean
from riskkit.cli.app import cli
from riskkit.cli.common import (answered, as_of_option, emit, format_option, output_option,
                                paper_option, parse_vars, say, today, with_vars, workspace)

if TYPE_CHECKING:
    import datetime as dt

    from riskkit.runbook.model import Runbook


@cli.group(short_help="Plan drills, print checklists, record results.")
def drill() -> None:
    """Drills: which runbooks to exercise, checklists for the room, and their results."""


@drill.command("plan", short_help="Which runbooks to drill in a quarter, and why.")
@click.option("--quarter", metavar="YYYYQN", help="The quarter to plan (default: the next one).")
@click.option("--max", "limit", type=click.IntRange(min=1), help="At most N runbooks.")
@format_option("drill-plan")
@output_option
@as_of_option
@click.pass_context
@answered("drill-plan")
def plan_(ctx: click.Context, quarter: str | None, limit: int | None, fmt: str,
          output: str | None, as_of: dt.date | None) -> None:
    """The runbooks due for a drill in a quarter: riskiest, then stalest, first.

    A runbook needs drills when a risk it answers is at a level with a drill_days interval
    in riskkit.yaml; it is due when never drilled, or when its last drill will be older
    than that interval by the end of the quarter.

    --format ics gives the drills as calendar events (RFC 5545) on proposed days, one a
    week on Tuesdays, riskiest first; importing the file again updates them.
    """
    from riskkit.drill.model import next_quarter, plan
    from riskkit.present.registry import render
    from riskkit.cli.register import load_clean

    quarter = quarter or next_quarter(today(as_of))
    loaded = load_clean(ctx, as_of)
    due = plan(loaded, quarter)[:limit]
    # ics: CRLF line ends are the format's; its text values are made visible by it
    emit(render("drill-plan", fmt, {"quarter": quarter, "due": due}, as_of=today(as_of),
                calendar=loaded.workspace.name), output, painted=fmt == "ics")


@drill.command(short_help="Printable drill checklists.")
@click.argument("runbook_ids", nargs=-1, metavar="[ID]...")
@click.option("--quarter", metavar="YYYYQN", help="Print the pack for the runbooks due then.")
@with_vars
@click.option("--scenario", "-s", metavar="S", help="The scenario to drill.")
@click.option("--kind", type=click.Choice(["tabletop", "live", "game-day"]),
              default="tabletop", show_default=True)
@format_option("checklist")
@output_option
@as_of_option
@paper_option
@click.pass_context
def checklist(ctx: click.Context, runbook_ids: Sequence[str], quarter: str | None,
              variables: tuple[str, ...], vars_file: str | None, scenario: str | None,
              kind: str, fmt: str, output: str | None, as_of: dt.date | None,
              paper: str) -> None:
    """Printable drill checklists for runbook IDs, or for a quarter's plan (one pack).

    Inputs given with --var, and defaults that need nothing missing, are filled in; the
    others print as {name} for the room. A --var no runbook takes is an error.

    \b
    riskkit drill checklist db-failover --scenario host-lost --format html -o drill.html
    riskkit drill checklist --quarter 2027Q1 --format html -o pack.html
    """
    from riskkit.present.documents import checklist_context, checklist_pack, pack_inputs
    from riskkit.present.registry import render
    from riskkit.drill.model import plan
    from riskkit.cli.register import load_clean

    if bool(runbook_ids) == bool(quarter):
        raise click.UsageError("give runbook IDs or --quarter, not both and not neither")
    loaded = load_clean(ctx, as_of)
    ws = loaded.workspace
    if quarter:
        runbook_ids = [d["runbook"] for d in plan(loaded, quarter)]
        if not runbook_ids:
            click.echo(f"riskkit: no runbook is due for a drill in {quarter}", err=True)
    given = parse_vars(variables, vars_file)
    runbooks = [loaded.runbook(rid) for rid in runbook_ids]
    if quarter and scenario and not any(scenario in rb.scenarios for rb in runbooks):
        known = {name for rb in runbooks for name in rb.scenarios}
        raise InputError(f"no runbook due in {quarter} has a scenario '{scenario}'"
                         f"{did_you_mean(scenario, known)}")

    def scenario_of(rb: Runbook) -> str | None:
        # a quarter's pack drills the scenario where a runbook has it
        return scenario if not quarter or scenario in rb.scenarios else None
    contexts = [checklist_context(ws, loaded, rb, mine, scenario_of(rb), today(as_of), kind,
                                  loaded.measured(rb.id))
                for rb, mine in zip(runbooks, pack_inputs(runbooks, given))]
    emit(render("checklist", fmt, checklist_pack(ws, contexts), root=ws.root, paper=paper),
         output)


def _pairs(values: tuple[str, ...], sep: str, what: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        left, ok, right = item.partition(sep)
        if not ok or not left or not right:
            raise click.BadParameter(f"{item!r} is not {what}")
        out.append((left.strip(), right.strip()))
    return out


@drill.command(short_help="Add a drill's results.")
@click.argument("runbook_id", metavar="RUNBOOK")
@click.option("--date", "date_", required=True, metavar="DATE",
              help="When the drill ran (YYYY-MM-DD).")
@click.option("--kind", type=click.Choice(["tabletop", "live", "game-day"]), required=True)
@click.option("--outcome", type=click.Choice(["pass", "partial", "fail"]), required=True)
@click.option("--scenario", "-s", metavar="S", help="The scenario drilled.")
@click.option("--minutes", multiple=True, metavar="STEP=N", help="Minutes a step took.")
@click.option("--participant", multiple=True, metavar="NAME:ROLE", help="Who took part.")
@click.option("--finding", multiple=True, metavar="TITLE[|OWNER[|DUE]]",
              help="A finding to follow up.")
@click.option("--commit", help="The runbook commit drilled (default: the last commit of the "
              "runbook's file on or before --date).")
@as_of_option
@click.pass_context
def record(ctx: click.Context, runbook_id: str, date_: str, kind: str, outcome: str,
           scenario: str | None, minutes: tuple[str, ...], participant: tuple[str, ...],
           finding: tuple[str, ...], commit: str | None, as_of: dt.date | None) -> None:
    """Add a drill's results as a new file under drills/ (never overwrites).

    \b
    riskkit drill record db-failover --date 2026-11-20 --kind tabletop --outcome partial \\
        --minutes promote=22 --minutes declare=4 --participant dana:ic \\
        --finding "Replica lag alert missing|team-data|2027-01-31"
    """
    from riskkit.drill.record import record_drill

    steps: dict[str, float] = {}
    for step, value in _pairs(minutes, "=", "STEP=MINUTES"):
        try:
            number = float(value)
            steps[step] = int(number) if number.is_integer() else number
        except ValueError:
            raise InputError(f"--minutes {step}={value}: minutes must be a number")
    path = record_drill(workspace(ctx), runbook_id, date_, kind, outcome, scenario, steps,
                        _pairs(participant, ":", "NAME:ROLE"), list(finding), commit,
                        today(as_of))
    say(f"recorded {path}")

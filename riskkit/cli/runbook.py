"""Runbook commands: list, show, graph (and render, in the rendering module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from riskkit.cli.app import cli
from riskkit.cli.common import (answered, as_of_option, emit, format_option, output_option,
                                paper_option, parse_vars, say, today, with_vars, workspace)

if TYPE_CHECKING:
    import datetime as dt

    from riskkit.load import Loaded
    from riskkit.runbook.model import Runbook
    from riskkit.runbook.view import PlanView
    from riskkit.workspace import Workspace


@cli.group()
def runbook() -> None:
    """Runbooks: dependency graphs of incident response steps."""


@runbook.command("list", short_help="Every runbook with its ETA and risks.")
@format_option("runbooks")
@output_option
@as_of_option
@click.pass_context
@answered("runbook-list")
def list_(ctx: click.Context, fmt: str, output: str | None, as_of: dt.date | None) -> None:
    """Every runbook: severity, steps, expected time to mitigate, linked risks."""
    from riskkit.present.registry import render
    from riskkit.present.tables import runbook_list
    from riskkit.cli.register import load_clean

    emit(render("runbooks", fmt, runbook_list(load_clean(ctx, as_of))), output)


def load_one(ctx: click.Context, runbook_id: str, as_of: dt.date | None,
             meanwhile: tuple[str, ...] = ()) -> tuple[Workspace, Loaded, Runbook]:
    """The workspace and one runbook with its linked risks; notes go to stderr.

    ``meanwhile``: the modules the command needs next, imported while ``find`` looks on
    another core for the risk files changed since the link index was written; that walk
    grows with the register, so overlapped it costs a big register no extra wall time.
    """
    import importlib

    from riskkit.files.linkindex import start_scan
    from riskkit.files.root import find_root

    scan = start_scan(find_root(ctx.obj.get("dir")))  # the index is the root's: no settings
    try:
        ws = workspace(ctx)
        from riskkit.fastload import load_runbook_only

        for module in meanwhile:
            importlib.import_module(module)
        loaded = load_runbook_only(ws, runbook_id, today(as_of), scan)
    finally:
        scan.stop()  # read by now, or the command failed: no walk outlives it
    for note in loaded.notes:
        say(f"riskkit: note: {note}", err=True)
    return ws, loaded, loaded.runbooks[0]


def runbook_view(ctx: click.Context, runbook_id: str, scenario: str | None,
                 as_of: dt.date | None) -> PlanView:
    ws, loaded, rb = load_one(ctx, runbook_id, as_of,
                              meanwhile=("riskkit.runbook.view", "riskkit.register.links",
                                         "riskkit.incident.records"))
    from riskkit.runbook.view import view

    from riskkit.register.links import missing_risks

    return view(rb, ws.roles, loaded.risks, scenario, loaded.measured(rb.id),
                missing_risks(loaded, rb))


scenario_option = click.option("--scenario", "-s", metavar="S",
                               help="Keep only the steps that apply to scenario S.")


@runbook.command(short_help="Stages, critical path, ETA, roles, inputs.")
@click.argument("runbook_id", metavar="ID")
@scenario_option
@format_option("runbook")
@output_option
@as_of_option
@click.pass_context
def show(ctx: click.Context, runbook_id: str, scenario: str | None, fmt: str,
         output: str | None, as_of: dt.date | None) -> None:
    """Stages, critical path, expected time to mitigate, roles and inputs of runbook ID."""
    from riskkit.present.registry import render

    emit(render("runbook", fmt, runbook_view(ctx, runbook_id, scenario, as_of)), output)


@runbook.command(short_help="The step graph as DOT or Mermaid.")
@click.argument("runbook_id", metavar="ID")
@scenario_option
@format_option("graph")
@output_option
@as_of_option
@click.pass_context
def graph(ctx: click.Context, runbook_id: str, scenario: str | None, fmt: str,
          output: str | None, as_of: dt.date | None) -> None:
    """The step graph of runbook ID as Graphviz DOT or Mermaid, critical path in red.

    \b
    riskkit runbook graph db-failover | dot -Tsvg > db-failover.svg
    """
    from riskkit.present.registry import render

    emit(render("graph", fmt, runbook_view(ctx, runbook_id, scenario, as_of)), output)


@runbook.command(short_help="The emergency plan, inputs filled in (or the binder).")
@click.argument("runbook_ids", metavar="ID...", nargs=-1)
@with_vars
@scenario_option
@click.option("--blank", is_flag=True,
              help="Print the plan with a blank line wherever an input goes (no --var), "
                   "for the paper binder; several IDs, or --all, make one pack.")
@click.option("--all", "all_", is_flag=True, help="Every runbook, with --blank: the binder.")
@format_option("plan")
@output_option
@as_of_option
@paper_option
@click.pass_context
def render(ctx: click.Context, runbook_ids: tuple[str, ...], variables: tuple[str, ...],
           vars_file: str | None, scenario: str | None, blank: bool, all_: bool, fmt: str,
           output: str | None, as_of: dt.date | None, paper: str) -> None:
    """The emergency plan for runbook ID, with the incident's inputs filled in.

    Every required input must be given; a plan is never printed with a blank. Only the
    runbook and the risks linked to it are read, so this stays fast on a big register.

    With --blank, the plan has a line to write on wherever an input goes: the offline
    binder, every runbook with --all (or those named), one per page, kept for the day the
    laptop or the network is gone.

    \b
    riskkit runbook render db-failover --var region=eu-west-1 --scenario host-lost
    riskkit runbook render db-failover --var region=eu-west-1 --format html -o plan.html
    riskkit runbook render --all --blank --format html -o binder.html
    """
    if blank or all_ or len(runbook_ids) != 1:
        _binder(ctx, runbook_ids, bool(variables or vars_file), scenario, blank, all_, fmt,
                output, as_of, paper)
        return
    ws, loaded, rb = load_one(ctx, runbook_ids[0], as_of,
                              meanwhile=("riskkit.present.documents",
                                         "riskkit.incident.records"))
    from riskkit.present.documents import plan_context
    from riskkit.present.registry import render

    given = parse_vars(variables, vars_file)
    context = plan_context(ws, loaded, rb, given, scenario, today(as_of),
                           loaded.measured(rb.id))
    emit(render("plan", fmt, context, root=ws.root, paper=paper), output)


def _binder(ctx: click.Context, runbook_ids: tuple[str, ...], given: bool, scenario: str | None,
            blank: bool, all_: bool, fmt: str, output: str | None, as_of: dt.date | None,
            paper: str) -> None:
    """``runbook render --blank``: the named runbooks (or --all) as one pack of plans with
    a blank line wherever an input goes."""
    from riskkit.cli.register import load_clean
    from riskkit.present.binder import binder_context
    from riskkit.present.registry import render

    if not runbook_ids and not all_:
        raise click.UsageError("Missing argument 'ID...' (or --all --blank for the binder).")
    if runbook_ids and all_:
        raise click.UsageError("give runbook IDs or --all, not both")
    if not blank:
        raise click.UsageError("several runbooks print only as the binder, with blank lines "
                               "for the inputs: add --blank")
    if given:
        raise click.UsageError("--blank leaves every input blank, to write by hand: "
                               "leave out --var and --vars-file")
    if scenario and all_:
        raise click.UsageError("--scenario names a scenario of one runbook: name the "
                               "runbooks instead of --all")
    loaded = load_clean(ctx, as_of)
    chosen = loaded.runbooks if all_ else [loaded.runbook(i) for i in
                                           dict.fromkeys(runbook_ids)]
    pack = binder_context(loaded, chosen, scenario, today(as_of))
    emit(render("binder", fmt, pack, root=loaded.workspace.root, paper=paper), output)

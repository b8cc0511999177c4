"""Runbook commands: list, show, graph (and render, in the rendering module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from riskkit.cli.app import cli
from riskkit.cli.common import (as_of_option, emit, format_option, output_option, paper_option,
                     parse_vars, today, with_vars, workspace)

if TYPE_CHECKING:
    from riskkit.runbook.view import PlanView


@cli.group()
def runbook() -> None:
    """Runbooks: dependency graphs of incident response steps."""


@runbook.command("list", short_help="Every runbook with its ETA and risks.")
@format_option("runbooks")
@output_option
@as_of_option
@click.pass_context
def list_(ctx, fmt: str, output: str | None, as_of) -> None:
    """Every runbook: severity, steps, expected time to mitigate, linked risks."""
    from riskkit.present.registry import render
    from riskkit.present.tables import runbook_list
    from riskkit.cli.register import load_clean

    emit(render("runbooks", fmt, runbook_list(load_clean(ctx, as_of))), output)


def load_one(ctx, runbook_id: str, as_of):
    """The workspace and one runbook with its linked risks; notes go to stderr."""
    from riskkit.fastload import load_runbook_only

    ws = workspace(ctx)
    loaded = load_runbook_only(ws, runbook_id, today(as_of))
    for note in loaded.notes:
        click.echo(f"riskkit: note: {note}", err=True)
    return ws, loaded, loaded.runbooks[0]


def runbook_view(ctx, runbook_id: str, scenario: str | None, as_of) -> PlanView:
    from riskkit.runbook.view import view

    from riskkit.register.links import missing_risks

    ws, loaded, rb = load_one(ctx, runbook_id, as_of)
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
def show(ctx, runbook_id: str, scenario: str | None, fmt: str, output: str | None,
         as_of) -> None:
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
def graph(ctx, runbook_id: str, scenario: str | None, fmt: str, output: str | None,
          as_of) -> None:
    """The step graph of runbook ID as Graphviz DOT or Mermaid, critical path in red.

    \b
    riskkit runbook graph db-failover | dot -Tsvg > db-failover.svg
    """
    from riskkit.present.registry import render

    emit(render("graph", fmt, runbook_view(ctx, runbook_id, scenario, as_of)), output)


@runbook.command(short_help="The emergency plan, inputs filled in.")
@click.argument("runbook_id", metavar="ID")
@with_vars
@scenario_option
@format_option("plan")
@output_option
@as_of_option
@paper_option
@click.pass_context
def render(ctx, runbook_id, variables, vars_file, scenario, fmt, output, as_of, paper) -> None:
    """The emergency plan for runbook ID, with the incident's inputs filled in.

    Every required input must be given; a plan is never printed with a blank. Only the
    runbook and the risks linked to it are read, so this stays fast on a big register.

    \b
    riskkit runbook render db-failover --var region=eu-west-1 --scenario host-lost
    riskkit runbook render db-failover --var region=eu-west-1 --format html -o plan.html
    """
    from riskkit.present.documents import plan_context
    from riskkit.present.registry import render

    ws, loaded, rb = load_one(ctx, runbook_id, as_of)
    given = parse_vars(variables, vars_file)
    context = plan_context(ws, loaded, rb, given, scenario, today(as_of),
                           loaded.measured(rb.id))
    emit(render("plan", fmt, context, root=ws.root, paper=paper), output)

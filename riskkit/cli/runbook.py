"""Runbook commands: list, show, graph (and render, in the rendering module)."""

from __future__ import annotations

import click

from riskkit.cli.app import cli
from riskkit.cli.common import (as_of_option, emit, format_option, output_option, paper_option,
                     parse_vars, today, with_vars, workspace)


@cli.group()
def runbook() -> None:
    """Runbooks: dependency graphs of incident response steps."""


@runbook.command("list", short_help="Every runbook with its ETA and risks.")
@format_option("table", "json", "md")
@output_option
@as_of_option
@click.pass_context
def list_(ctx, fmt: str, output: str | None, as_of) -> None:
    """Every runbook: severity, steps, expected time to mitigate, linked risks."""
    from riskkit.present.formats import markdown_table, table, to_json
    from riskkit.present.showtext import minutes_text
    from riskkit.cli.register import load_clean

    loaded = load_clean(ctx, as_of)
    items = []
    for rb in loaded.runbooks:
        items.append({"id": rb.id, "title": rb.title, "severity": rb.severity or None,
                      "owner": rb.owner or None, "steps": len(rb.steps),
                      "eta_minutes": rb.eta_minutes,
                      "risks": [r.id for r in loaded.risks_of(rb.id)], "file": rb.file})
    if fmt == "json":
        emit(to_json(items), output)
        return
    rows = [[i["id"], i["severity"] or "-", i["steps"], minutes_text(i["eta_minutes"]),
             ", ".join(i["risks"]) or "-", i["title"]] for i in items]
    headers = ["id", "severity", "steps", "eta_min", "risks", "title"]
    emit((markdown_table if fmt == "md" else table)(rows, headers), output)


def load_one(ctx, runbook_id: str, as_of):
    """The workspace and one runbook with its linked risks; notes go to stderr."""
    from riskkit.fastload import load_runbook_only

    ws = workspace(ctx)
    loaded = load_runbook_only(ws, runbook_id, today(as_of))
    for note in loaded.notes:
        click.echo(f"riskkit: note: {note}", err=True)
    return ws, loaded, loaded.runbooks[0]


def runbook_view(ctx, runbook_id: str, scenario: str | None, as_of) -> dict:
    from riskkit.runbook.view import view

    ws, loaded, rb = load_one(ctx, runbook_id, as_of)
    return view(rb, ws.roles, loaded.risks, scenario, loaded.measured(rb.id))


scenario_option = click.option("--scenario", "-s", metavar="S",
                               help="Keep only the steps that apply to scenario S.")


@runbook.command(short_help="Stages, critical path, ETA, roles, inputs.")
@click.argument("runbook_id", metavar="ID")
@scenario_option
@format_option("text", "json")
@output_option
@as_of_option
@click.pass_context
def show(ctx, runbook_id: str, scenario: str | None, fmt: str, output: str | None,
         as_of) -> None:
    """Stages, critical path, expected time to mitigate, roles and inputs of runbook ID."""
    from riskkit.present.formats import to_json
    from riskkit.present.showtext import view_text

    data = runbook_view(ctx, runbook_id, scenario, as_of)
    emit(to_json(data) if fmt == "json" else view_text(data), output)


@runbook.command(short_help="The step graph as DOT or Mermaid.")
@click.argument("runbook_id", metavar="ID")
@scenario_option
@format_option("dot", "mermaid")
@output_option
@as_of_option
@click.pass_context
def graph(ctx, runbook_id: str, scenario: str | None, fmt: str, output: str | None,
          as_of) -> None:
    """The step graph of runbook ID as Graphviz DOT or Mermaid, critical path in red.

    \b
    riskkit runbook graph db-failover | dot -Tsvg > db-failover.svg
    """
    from riskkit.present.diagram import to_dot, to_mermaid

    data = runbook_view(ctx, runbook_id, scenario, as_of)
    emit(to_dot(data) if fmt == "dot" else to_mermaid(data), output)


@runbook.command(short_help="The emergency plan, inputs filled in.")
@click.argument("runbook_id", metavar="ID")
@with_vars
@scenario_option
@format_option("md", "html", "txt")
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
    from riskkit.present.documents import plan_context, render_plan

    ws, loaded, rb = load_one(ctx, runbook_id, as_of)
    given = parse_vars(variables, vars_file)
    context = plan_context(ws, loaded, rb, given, scenario, today(as_of),
                           loaded.measured(rb.id))
    emit(render_plan(ws, context, fmt, paper), output)

"""Register commands: init, validate, risks, matrix, schema."""

from __future__ import annotations

import dataclasses
import datetime

import click

from riskkit.register import rules
from riskkit.problems import ConfigError, did_you_mean
from riskkit.cli.app import EXIT_PROBLEMS, cli
from riskkit.cli.common import (as_of_option, emit, format_option, output_option, repo_path,
                     use_color, workspace)


def load_clean(ctx: click.Context, as_of: datetime.date | None):
    """The loaded workspace, as of ``as_of`` (today when not given) for every check.

    Like a compiler, a view degrades instead of going dark: files with errors are left
    out, the view shows the rest, and the errors go to stderr with exit status 1 once the
    view is written (see ``defer_problems``). Warnings never stop a view.
    """
    from riskkit.load import load
    from riskkit.cli.common import defer_problems, today

    loaded = load(workspace(ctx), today(as_of))
    defer_problems(ctx, loaded.errors)
    return loaded.trusted()


@cli.command(short_help="Scaffold a workspace (never overwrites).")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", default=None, help="Name of the register (default: the folder name).")
@as_of_option
def init(directory: str, name: str | None, as_of) -> None:
    """Scaffold a workspace in DIRECTORY (default: here); never overwrites a file."""
    from riskkit.scaffold import scaffold
    from riskkit.cli.common import today

    written = scaffold(directory, today(as_of), name)
    for path in written:
        click.echo(f"created {path}")
    click.echo("next: riskkit -C {} validate".format(directory) if directory != "." else
               "next: riskkit validate", err=True)


@cli.command(short_help="Check every file; report every problem.")
@click.argument("paths", nargs=-1, type=click.Path())
@format_option("text", "json", "github", "auto", default="auto")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@as_of_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...], fmt: str, strict: bool, as_of) -> None:
    """Check every file (or just PATHS) against the schemas and each other.

    Reports every problem in one run as path:line:col: CODE message. Exit status 0 when
    clean, 1 when problems are found, 2 for bad usage or settings. Warnings (lint) fail
    only with --strict.

    \b
    --format auto is github under GitHub Actions, text elsewhere.
    """
    import os

    from riskkit.validation import expand, filter_problems, validate as validate_all
    from riskkit.present.formats import PROBLEM_FORMATS
    from riskkit.cli.common import today

    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    try:
        ws = workspace(ctx)
    except ConfigError as exc:
        # The settings' problems are this command's result: stdout, like any other.
        click.echo(PROBLEM_FORMATS[fmt](exc.problems), nl=False)
        raise ConfigError(str(exc)) from None
    files = expand(list(paths))
    problems, counts = validate_all(ws, files, today(as_of))
    problems = filter_problems(problems, ws, list(paths))
    if fmt == "github":  # annotations name files from the top of the repository
        problems = [dataclasses.replace(p, path=repo_path(ws, p.path)) for p in problems]
    click.echo(PROBLEM_FORMATS[fmt](problems), nl=False)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if fmt == "text":
        summary = (f"{counts['risks']} risks, {counts['runbooks']} runbooks, "
                   f"{counts['drills']} drills: "
                   f"{errors} error(s), {warnings} warning(s)")
        click.echo(summary, err=True)
    if errors or (strict and warnings):
        ctx.exit(EXIT_PROBLEMS)


def _risk_rows(loaded, level, owner, tag, status, above):
    ws = loaded.workspace
    floor = None
    if level:
        floor = ws.matrix.level(level)
        if floor is None:
            ids = [lv.id for lv in ws.matrix.levels]
            raise click.BadParameter(f"'{level}' is not a level of the {ws.matrix.name} matrix "
                                     f"({', '.join(ids)}){did_you_mean(level, ids)}",
                                     param_hint="--level")
    out = []
    for risk in loaded.risks:
        if floor and risk.level.rank < floor.rank:
            continue
        if owner and risk.owner not in owner:
            continue
        if tag and not set(tag) & set(risk.tags):
            continue
        if status and risk.status not in status:
            continue
        if above and not rules.above_appetite(ws, risk):
            continue
        out.append(risk)
    return out


SORTS = {
    "score": None,  # the register's natural order: level, score, id
    "residual": lambda r: (-(r.residual or r.rating).level.rank, -(r.residual or r.rating).score,
                           r.id),
    "id": lambda r: r.id,
    "owner": lambda r: (r.owner, r.id),
    "review": lambda r: (r.date("review", "last") or datetime.date.min, r.id),
}


@cli.command(short_help="The scored register, highest first.")
@click.option("--level", help="Only risks rated at this level or above.")
@click.option("--owner", multiple=True, help="Only risks of this owner (repeatable).")
@click.option("--tag", multiple=True, help="Only risks with this tag (repeatable).")
@click.option("--status", multiple=True,
              type=click.Choice(["open", "mitigating", "accepted", "closed"]),
              help="Only risks with this status (repeatable).")
@click.option("--above-appetite", is_flag=True, help="Only risks rated above the appetite.")
@click.option("--sort", "sort", type=click.Choice(list(SORTS)), default="score",
              show_default=True, help="Order of the register (score: highest first).")
@format_option("table", "json", "csv", "md")
@output_option
@as_of_option
@click.pass_context
def risks(ctx, level, owner, tag, status, above_appetite, sort, fmt, output, as_of) -> None:
    """The scored register: current and residual rating of every risk, highest first."""
    from riskkit.present.formats import csv_table, markdown_table, table, to_json

    loaded = load_clean(ctx, as_of)
    ws = loaded.workspace
    chosen = _risk_rows(loaded, level, owner, tag, status, above_appetite)
    if SORTS[sort]:
        chosen = sorted(chosen, key=SORTS[sort])
    if fmt == "json":
        emit(to_json([r.to_dict(rules.above_appetite(ws, r)) for r in chosen]), output)
        return
    headers = ["id", "level", "score", "LxI", "residual", "status", "owner", "title"]
    rows = []
    for r in chosen:
        res = f"{r.residual.level.id} {r.residual.score}" if r.residual else "-"
        mark = "!" if rules.above_appetite(ws, r) else ""
        rows.append([r.id, r.level.id + mark, r.rating.score,
                     f"{r.rating.likelihood}x{r.rating.impact}", res, r.status, r.owner, r.title])
    if fmt == "csv":
        rows = [[r.id, r.level.id, r.rating.score, r.rating.likelihood, r.rating.impact,
                 r.residual.level.id if r.residual else "", r.residual.score if r.residual else "",
                 r.status, r.owner, str(rules.above_appetite(ws, r)).lower(), r.title, r.file]
                for r in chosen]
        emit(csv_table(rows, ["id", "level", "score", "likelihood", "impact", "residual_level",
                              "residual_score", "status", "owner", "above_appetite", "title",
                              "file"]), output)
    elif fmt == "md":
        emit(markdown_table(rows, headers), output)
    else:
        text = table(rows, headers)
        if ws.appetite:
            text += f"\n{len(chosen)} risk(s); ! = above the appetite ({ws.appetite.id})\n"
        emit(text, output)


@cli.command(short_help="The heat map of risks on the matrix.")
@click.option("--residual", is_flag=True, help="Place risks by their residual rating.")
@format_option("text", "json", "svg")
@output_option
@as_of_option
@click.pass_context
def matrix(ctx, residual: bool, fmt: str, output: str | None, as_of) -> None:
    """The heat map: how many risks sit in each cell of the matrix."""
    from riskkit.present.heatmap import heatmap, heatmap_svg, heatmap_text
    from riskkit.present.formats import to_json

    loaded = load_clean(ctx, as_of)
    data = heatmap(loaded.workspace.matrix, loaded.risks, residual)
    if fmt == "json":
        emit(to_json(data), output)
    elif fmt == "svg":
        emit(heatmap_svg(data), output)
    else:
        emit(heatmap_text(data, color=use_color() and not output), output)


@cli.command(short_help="Print a JSON Schema.")
@click.argument("name", type=click.Choice(["risk", "runbook", "drill", "matrix", "settings"]))
@output_option
def schema(name: str, output: str | None) -> None:
    """Print the JSON Schema of a file kind (for editors and other validators)."""
    from riskkit.files.schemacheck import schema_text

    emit(schema_text(name), output)


@cli.command(short_help="What needs attention now.")
@as_of_option
@click.option("--strict", is_flag=True, help="Exit 1 when anything needs attention.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only findings of this kind (repeatable).")
@format_option("text", "json", "md", "github", "auto", default="auto")
@output_option
@click.pass_context
def review(ctx, as_of, strict, kinds, fmt, output) -> None:
    """What needs attention now: overdue reviews and drills, expired acceptances, risks
    above appetite without treatment or runbook, and more.

    \b
    Kinds: review-overdue, acceptance-expired, acceptance-expiring, no-treatment,
    no-runbook, treatment-overdue, drill-never, drill-overdue, finding-overdue,
    eta-above-rto, runbook-unlinked.
    """
    import os

    from riskkit.present.formats import github_line, markdown_table, to_json
    from riskkit.review.findings import KINDS, review as find, summary
    from riskkit.cli.common import today

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind {unknown[0]!r}; kinds: {', '.join(KINDS)}",
                                 param_hint="--kind")
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    day = today(as_of)
    loaded = load_clean(ctx, as_of)
    findings = [f for f in find(loaded, day) if not kinds or f.kind in kinds]
    if fmt == "json":
        text = to_json({"as_of": day.isoformat(), "summary": summary(findings),
                        "findings": [f.to_dict() for f in findings]})
    elif fmt == "github":
        text = "".join(github_line("warning", repo_path(loaded.workspace, f.path), f.line,
                                   f.col, f.kind, f.message) for f in findings)
    elif fmt == "md":
        rows = [[f.kind, f.subject, f.owner, f.message, f"{f.path}:{f.line}"] for f in findings]
        text = (f"## Needs attention as of {day.isoformat()}\n\n"
                + markdown_table(rows, ["kind", "subject", "owner", "finding", "where"]))
    else:
        text = "".join(f"{f.path}:{f.line}:{f.col}: {f.kind} [{f.owner}] {f.message}\n"
                       for f in findings)
        counts = ", ".join(f"{n} {k}" for k, n in summary(findings).items())
        text += f"\n{len(findings)} finding(s) as of {day.isoformat()}" + \
            (f": {counts}\n" if counts else "\n")
    emit(text, output)
    if strict and findings:
        ctx.exit(EXIT_PROBLEMS)


@cli.command(short_help="A self-contained HTML report.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write (atomically).")
@as_of_option
@click.pass_context
def report(ctx, output, as_of) -> None:
    """A self-contained HTML report: heat maps, the register, what needs attention,
    next quarter's drills, and each runbook's ETA against its risks' RTO."""
    from riskkit.present.report import render_report
    from riskkit.cli.common import today

    loaded = load_clean(ctx, as_of)
    emit(render_report(loaded, today(as_of)), output)

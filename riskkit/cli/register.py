"""Register commands: init, validate, risks, matrix, schema."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from riskkit.register import rules
from riskkit.problems import ConfigError, did_you_mean
from riskkit.cli.app import EXIT_PROBLEMS, cli
from riskkit.cli.common import (answered, as_of_option, emit, format_option, output_option,
                                repo_path, say, use_color, workspace)

if TYPE_CHECKING:
    from riskkit.load import Loaded
    from riskkit.problems import Problem
    from riskkit.register.risk import Risk
    from riskkit.review.findings import Finding


def load_clean(ctx: click.Context, as_of: datetime.date | None) -> Loaded:
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
def init(directory: str, name: str | None, as_of: datetime.date | None) -> None:
    """Scaffold a workspace in DIRECTORY (default: here); never overwrites a file."""
    import os

    from riskkit.scaffold import merge_rule, scaffold
    from riskkit.cli.common import today

    written = scaffold(directory, today(as_of), name)
    for path in written:
        say(f"created {path}")
    rule = merge_rule(directory)  # incident journals merge line by line in git
    if rule:
        say(f"{rule} {os.path.join(directory, '.gitattributes')}")
    say("next: riskkit -C {} validate".format(directory) if directory != "." else
        "next: riskkit validate", err=True)


@cli.command(short_help="Check every file; report every problem.")
@click.argument("paths", nargs=-1, type=click.Path())
@format_option("problems")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--alerts", "alert_paths", multiple=True, metavar="PATH",
              type=click.Path(exists=True),
              help="Prometheus rule files (or folders of them) to check against the "
                   "runbooks, besides the workspace's alerts/ folder (repeatable).")
@as_of_option
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...], fmt: str, strict: bool,
             alert_paths: tuple[str, ...], as_of: datetime.date | None) -> None:
    """Check every file (or just PATHS) against the schemas and each other.

    Reports every problem in one run as path:line:col: CODE message; riskkit explain
    CODE says what a code means and how to fix it. Exit status 0 when clean, 1 when
    problems are found, 2 for bad usage or settings. Warnings (lint) fail only with
    --strict.

    Prometheus rule files in the workspace's alerts/ folder (and those given with
    --alerts) are checked too: a paging alert needs a runbook, and every runbook_url
    must name a runbook page of the site.

    \b
    --format auto is github under GitHub Actions, text elsewhere.
    """
    from pathlib import Path

    from riskkit.validation import expand, filter_problems, validate as validate_all
    from riskkit.present.formats import validate_summary
    from riskkit.present.registry import view
    from riskkit.cli.common import today

    problems_view = view("problems")
    fmt = problems_view.resolve(fmt)
    hit = None
    if not paths and not alert_paths and fmt != "github":  # the whole workspace, as is
        hit = _cached_validate(ctx, today(as_of))
    if hit is not None:
        problems, counts = hit
    else:
        try:
            ws = workspace(ctx)
        except ConfigError as exc:
            # The settings' problems are this command's result: stdout, like any other.
            say(problems_view.render(fmt, exc.problems), nl=False)
            raise ConfigError(str(exc)) from None
        named = expand(list(paths), ws.boundary)
        rule_files = expand(list(alert_paths), ws.boundary)
        problems, counts = validate_all(ws, [Path(p) for p in named.files], today(as_of),
                                        [Path(p) for p in rule_files.files])
        if named.unreadable or rule_files.unreadable or named.refused or rule_files.refused:
            # a folder the user named, or under it, that cannot be read; a link out of it
            problems = sorted(set(problems) | set(named.problems(ws.rel))
                              | set(rule_files.problems(ws.rel)))
        problems = filter_problems(problems, ws, list(paths) + (list(alert_paths) if paths
                                                                 else []))
        if fmt == "github":  # annotations name files from the top of the repository
            problems = [dataclasses.replace(p, path=repo_path(ws, p.path)) for p in problems]
    say(problems_view.render(fmt, problems), nl=False)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if fmt == "text":
        click.echo(validate_summary(counts, problems), err=True)
    if errors or (strict and warnings):
        ctx.exit(EXIT_PROBLEMS)


def _cached_validate(ctx: click.Context, day: datetime.date
                     ) -> tuple[list[Problem], dict[str, int]] | None:
    """validate's answer from the cache, found without reading the settings (None: run
    it). A workspace that cannot be found is the full run's error to report."""
    from riskkit.files.root import find_root
    from riskkit.validation import cached

    try:
        return cached(find_root(ctx.obj.get("dir")), day)
    except ConfigError:
        return None


def _risk_rows(loaded: Loaded, level: str | None, owner: tuple[str, ...], tag: tuple[str, ...],
               status: tuple[str, ...], above: bool) -> list[Risk]:
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


SORTS: dict[str, Callable[[Risk], Any] | None] = {
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
@format_option("risks")
@output_option
@as_of_option
@click.pass_context
@answered("risks")
def risks(ctx: click.Context, level: str | None, owner: tuple[str, ...], tag: tuple[str, ...],
          status: tuple[str, ...], above_appetite: bool, sort: str, fmt: str,
          output: str | None, as_of: datetime.date | None) -> None:
    """The scored register: current and residual rating of every risk, highest first.

    csv and xlsx carry every field, one row a risk, in the flat shape riskkit import
    reads back (see the README, "Moving in from a spreadsheet").
    """
    from riskkit.cli.common import emit_bytes, today
    from riskkit.files.fsutil import Pieces
    from riskkit.present.registry import render
    from riskkit.present.tables import RiskList

    loaded = load_clean(ctx, as_of)
    chosen = _risk_rows(loaded, level, owner, tag, status, above_appetite)
    by = SORTS[sort]
    if by:
        chosen = sorted(chosen, key=by)
    result: object = render("risks", fmt, RiskList.of(loaded.workspace, chosen),
                            as_of=today(as_of))
    if isinstance(result, bytes):  # a workbook
        emit_bytes(result, output, f"--format {fmt}")
    else:
        emit(result if isinstance(result, Pieces) else str(result), output)


@cli.command(short_help="The heat map of risks on the matrix.")
@click.option("--residual", is_flag=True, help="Place risks by their residual rating.")
@format_option("heatmap")
@output_option
@as_of_option
@click.pass_context
@answered("matrix")
def matrix(ctx: click.Context, residual: bool, fmt: str, output: str | None,
           as_of: datetime.date | None) -> None:
    """The heat map: how many risks sit in each cell of the matrix."""
    from riskkit.present.heatmap import heatmap
    from riskkit.present.registry import render

    loaded = load_clean(ctx, as_of)
    data = heatmap(loaded.workspace.matrix, loaded.risks, residual)
    color = fmt == "text" and use_color() and output in (None, "-")
    emit(render("heatmap", fmt, data, color=color), output, painted=color)


@cli.command(short_help="Print a JSON Schema.")
@click.argument("name", type=click.Choice(["risk", "runbook", "drill", "matrix", "settings"]))
@output_option
def schema(name: str, output: str | None) -> None:
    """Print the JSON Schema of a file kind (for editors and other validators)."""
    from riskkit.files.schemacheck import schema_text

    emit(schema_text(name), output)


def _review_help() -> str:
    """The review command's help; its list of kinds is the registry's."""
    import textwrap

    from riskkit.review.registry import KINDS

    kinds = textwrap.fill(f"Kinds: {', '.join(KINDS)}.", width=78, break_on_hyphens=False)
    return ("What needs attention now: overdue reviews and drills, expired acceptances, risks\n"
            "above appetite without treatment or runbook, and more.\n\n\b\n" + kinds)


class _ReviewCommand(click.Command):
    """Asks the rule registry for its help only when help is shown, so that starting
    riskkit does not import every review rule."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = _review_help()
        super().format_help_text(ctx, formatter)


@cli.command(cls=_ReviewCommand, short_help="What needs attention now.")
@as_of_option
@click.option("--strict", is_flag=True, help="Exit 1 when anything needs attention.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only findings of this kind (repeatable).")
@click.option("--owner", "owners", multiple=True, metavar="OWNER",
              help="Only findings of this owner (repeatable).")
@click.option("--by-owner", is_flag=True, help="One digest per owner (md, json, and always "
              "for slack and email), stable for the same --as-of, for a CI job to post.")
@click.option("--mail-domain", metavar="DOMAIN", help="email: mail an owner that is not an "
              "address at OWNER@DOMAIN (default: localhost, a local alias).")
@click.option("--mail-from", metavar="ADDRESS", help="email: the sender (default: "
              "riskkit@DOMAIN).")
@format_option("text", "json", "md", "github", "slack", "email", "auto", default="auto")
@output_option
@click.pass_context
@answered("review")
def review(ctx: click.Context, as_of: datetime.date | None, strict: bool,
           kinds: tuple[str, ...], owners: tuple[str, ...], by_owner: bool,
           mail_domain: str | None, mail_from: str | None, fmt: str,
           output: str | None) -> None:
    import os

    from riskkit.present.review import REVIEW_FORMATS
    from riskkit.review.findings import KINDS, review as find
    from riskkit.cli.common import today

    for kind in kinds:
        if kind not in KINDS:
            raise click.BadParameter(f"unknown kind {kind!r}{did_you_mean(kind, KINDS)}; "
                                     f"kinds: {', '.join(KINDS)}", param_hint="--kind")
    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if fmt in ("slack", "email"):
        by_owner = True  # a digest is for one owner
    if by_owner and fmt not in ("md", "json", "slack", "email"):
        raise click.UsageError("--by-owner prints md, json, slack or email")
    day = today(as_of)
    loaded = load_clean(ctx, as_of)
    findings = find(loaded, day, kinds)
    if owners:
        findings = [f for f in findings if f.owner in owners]
    if by_owner:
        emit(_digests(findings, day, loaded.workspace.name, fmt, mail_domain, mail_from),
             output)
    else:
        emit(REVIEW_FORMATS[fmt](findings, day, loaded.workspace), output)
    if strict and findings:
        ctx.exit(EXIT_PROBLEMS)


def _digests(findings: list[Finding], day: datetime.date, register: str, fmt: str,
             domain: str | None, sender: str | None) -> str:
    """review --by-owner: one digest per owner, in ``fmt``."""
    from riskkit.exchange import digest

    digests = digest.by_owner(findings, day, register)
    if fmt == "md":
        from riskkit.present.review import digests_md

        return digests_md(digests)
    if fmt == "slack":
        return digest.slack_digests(digests)
    if fmt == "email":
        return digest.email_digests(digests, sender, domain)
    return digest.json_digests(digests)


@cli.command(short_help="A self-contained HTML report (of one workspace or several).")
@click.argument("workspaces", nargs=-1, type=click.Path(exists=True, file_okay=False),
                metavar="[WORKSPACE]...")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write (atomically).")
@as_of_option
@click.pass_context
@answered("report", unless=lambda options: bool(options["workspaces"]))
def report(ctx: click.Context, workspaces: tuple[str, ...], output: str,
           as_of: datetime.date | None) -> None:
    """A self-contained HTML report: heat maps, the register, what needs attention,
    next quarter's drills, and each runbook's ETA against its risks' RTO.

    Given several WORKSPACEs (folders of them: paths, or git repositories already
    cloned), one roll-up page: each workspace's totals and heat map on its own matrix,
    levels added up only where matrices agree, the risks above each one's appetite with
    ids qualified by workspace (key:RSK-007).
    """
    from riskkit.cli.common import today

    if len(workspaces) > 1:
        from riskkit.cli.exchange import load_many
        from riskkit.present.rollup import render_rollup

        emit(render_rollup(load_many(ctx, workspaces, as_of), today(as_of)), output)
        return
    from riskkit.present.report import render_report

    if workspaces:
        ctx.obj["dir"] = workspaces[0]
    loaded = load_clean(ctx, as_of)
    emit(render_report(loaded, today(as_of)), output)

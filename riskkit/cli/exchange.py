"""Exchange commands: import a spreadsheet, export to SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from riskkit.cli.app import cli
from riskkit.cli.common import as_of_option, say, today, workspace

if TYPE_CHECKING:
    import datetime as dt

    from riskkit.load import Loaded


@cli.command("import", short_help="Turn the rows of a spreadsheet into risk files.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", metavar="NAME", help="The sheet of an .xlsx workbook (default: the "
              "first, or the mapping file's sheet:).")
@click.option("--map", "map_file", metavar="MAP.yaml", type=click.Path(exists=True,
              dir_okay=False), help="Which column feeds which field, how values translate "
              "and how dates are written.")
@click.option("--update", is_flag=True, help="Merge a row into the risk of the same id "
              "(the row's fields replace the file's) and say what changed.")
@click.option("--dry-run", is_flag=True, help="Print the files that would be written, and "
              "write nothing.")
@as_of_option
@click.pass_context
def import_(ctx: click.Context, file: str, sheet: str | None, map_file: str | None,
            update: bool, dry_run: bool, as_of: dt.date | None) -> None:
    """Turn the rows of FILE (.csv, or .xlsx with openpyxl) into risk files under risks/.

    Headers are matched by name: riskkit's own export (riskkit risks --format csv|xlsx),
    a few usual names (Ref, Risk, Probability, Last reviewed…), and what a --map file
    names. Every problem of every row is reported at FILE:ROW:COL, in one run, and then
    nothing is written. A risk already in the register is never overwritten; --update
    merges the row into it.

    \b
    riskkit import register.xlsx --sheet Risks --map register-map.yaml --dry-run
    riskkit risks --format csv > r.csv && riskkit import r.csv --update
    """
    from riskkit.exchange.importer import run_import, summary, write_plan
    from riskkit.exchange.mapping import Mapping, load_mapping
    from riskkit.load import load
    from riskkit.problems import Problem, ProblemsFound

    ws = workspace(ctx)
    mapping, problems = Mapping(), list[Problem]()
    if map_file:
        mapping, problems = load_mapping(map_file, map_file)
        if any(p.is_error for p in problems):
            raise ProblemsFound(problems, "nothing was written")
    loaded = load(ws, today(as_of))
    plan = run_import(ws, loaded, file, sheet, mapping, update, today(as_of), problems)
    for problem in plan.warnings:
        say(f"{problem.format()} (warning)", err=True)
    if dry_run:
        for change in plan.changes:
            if change.action == "unchanged":
                say(f"# unchanged {change.path} ({change.risk})")
                continue
            say(f"# would {change.action} {change.path} ({change.risk})")
            for line in change.changes:
                say(f"#   {line}")
            say(change.text, nl=False)
        say(summary(plan, dry_run=True), err=True)
        return
    for change in write_plan(ws, plan):
        details = f": {'; '.join(change.changes)}" if change.changes else ""
        say(f"{change.action}d {change.path} ({change.risk}){details}")
    say(summary(plan, dry_run=False), err=True)


def load_many(ctx: click.Context, paths: tuple[str, ...], as_of: dt.date | None
              ) -> list[tuple[str, Loaded]]:
    """Each workspace named (a folder in it, as for -C), or this one, loaded as a view
    loads it: files with errors are left out and their errors reported after the result,
    each named from the folder given."""
    import dataclasses
    import os

    from riskkit.cli.common import defer_problems
    from riskkit.exchange.rollup import keys
    from riskkit.load import load
    from riskkit.workspace import open_workspace

    spaces = [open_workspace(p) for p in paths] if paths else [workspace(ctx)]
    if len({ws.root.resolve() for ws in spaces}) < len(spaces):
        raise click.BadParameter("a workspace is named twice", param_hint="WORKSPACE")
    out = []
    for key, ws, given in zip(keys(spaces), spaces, paths or ("",)):
        loaded = load(ws, today(as_of))
        prefix = os.path.relpath(ws.root) if given else ""
        defer_problems(ctx, [dataclasses.replace(p, path=os.path.join(prefix, p.path))
                             for p in loaded.errors])
        out.append((key, loaded.trusted()))
    return out


@cli.command(short_help="The whole workspace (or several) as a SQLite database.")
@click.argument("workspaces", nargs=-1, type=click.Path(exists=True, file_okay=False),
                metavar="[WORKSPACE]...")
@click.option("--sqlite", "sqlite_file", required=True, metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True),
              help="The database to write (atomically; a new file each time).")
@as_of_option
@click.pass_context
def export(ctx: click.Context, workspaces: tuple[str, ...], sqlite_file: str,
           as_of: dt.date | None) -> None:
    """Write the workspace, or each WORKSPACE given (a folder of it: a path, or a git
    repository already cloned), to a SQLite database for dashboards: risks, controls,
    runbooks, steps, drills, findings, review findings as of --as-of, incidents.

    Every table has a workspace column; the schema is in the README.

    \b
    riskkit export --sqlite register.db --as-of 2026-11-26
    riskkit export --sqlite all.db ../payments ../platform ../data
    """
    from riskkit.cli.common import emit_bytes
    from riskkit.exchange.sqlite import database_bytes

    loaded = load_many(ctx, workspaces, as_of)
    emit_bytes(database_bytes(loaded, today(as_of)), sqlite_file, "--sqlite")

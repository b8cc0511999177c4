"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click

from ..fsutil import write_atomic


def workspace(ctx: click.Context):
    from ..workspace import open_workspace

    return open_workspace(ctx.obj.get("dir"))


def format_option(*choices: str, default: str | None = None):
    return click.option("--format", "fmt", type=click.Choice(choices), default=default or choices[0],
                        show_default=True, help="Output format.")


output_option = click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
                             help="Write to FILE (atomically) instead of standard output.")


def _parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)")


as_of_option = click.option("--as-of", callback=_parse_date, metavar="DATE",
                            help="Treat DATE (YYYY-MM-DD) as today, for reproducible output.")


def today(as_of: dt.date | None) -> dt.date:
    return as_of or dt.date.today()


def emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ

"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import click

from riskkit.files.fsutil import write_atomic


def workspace(ctx: click.Context):
    from riskkit.workspace import open_workspace

    return open_workspace(ctx.obj.get("dir"))


class FormatOption(click.Option):
    """``--format`` of a view in the format registry; ``view`` names it there."""

    def __init__(self, *args: Any, view: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view


def format_option(view: str, *choices: str, default: str | None = None):
    """``--format`` of ``view`` (see ``riskkit.present.registry``): the choices, the
    default and the help are the registry's, so they cannot drift from what the view
    can print; the command hands the chosen name to ``registry.render``.

    A command whose formats are not in the registry yet names its choices instead:
    ``format_option("text", "json", default="text")``.
    """
    from riskkit.present.registry import VIEWS

    if not choices and default is None and view in VIEWS:
        registered = VIEWS[view]
        return click.option("--format", "fmt", cls=FormatOption, view=view,
                            type=click.Choice(registered.choices),
                            default=registered.default_choice, show_default=True,
                            help=registered.help())
    names = (view, *choices)
    return click.option("--format", "fmt", type=click.Choice(names),
                        default=default or names[0], show_default=True, help="Output format.")


output_option = click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
                             help="Write to FILE (atomically) instead of standard output.")


def parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)")


as_of_option = click.option("--as-of", callback=parse_date, metavar="DATE",
                            help="Treat DATE (YYYY-MM-DD) as today, for reproducible output.")


def clock() -> dt.date:
    """The one place riskkit reads the machine's clock (the tests pin it far ahead)."""
    return dt.date.today()


def today(as_of: dt.date | None) -> dt.date:
    """"Today" for a command: ``--as-of`` wins, always."""
    return as_of or clock()


def defer_problems(ctx: click.Context, problems: list) -> None:
    """Report ``problems`` once the command's result is written, and exit 1 then."""
    if problems:
        ctx.obj.setdefault("deferred", []).extend(problems)


def emit(text: str, output: str | None) -> None:
    if output:
        try:
            write_atomic(output, text)
        except OSError as exc:
            from riskkit.problems import ConfigError

            raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def repo_path(ws, path: str) -> str:
    """``path`` as seen from the top of its git repository (see ``workspace.repo_path``)."""
    from riskkit.workspace import repo_path as top_relative

    return top_relative(ws, path)


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def parse_vars(values: tuple[str, ...], vars_file: str | None) -> dict[str, str]:
    """``--var K=V`` pairs (and a YAML ``--vars-file``) as a dict; the command line wins."""
    from riskkit.problems import ProblemsFound
    from riskkit.files.yamlload import load_file

    out: dict[str, object] = {}
    if vars_file:
        doc, problems = load_file(vars_file)
        if doc is not None and not isinstance(doc.data, dict):
            problems = problems + [doc.problem((), "S102", "a vars file holds a mapping of "
                                               "input names to values")]
        if any(p.is_error for p in problems):
            raise ProblemsFound(problems)
        for problem in problems:  # warnings: a value cut short by a comment, say
            click.echo(f"{problem.format()} (warning)", err=True)
        from riskkit.runbook.model import as_written

        # Values are the text as written: `no` stays no, `010` stays 010, `1.10` stays 1.10.
        out.update({str(k): as_written(doc, (k,), v) for k, v in doc.data.items()})
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--var")
        out[name.strip()] = value
    return out


vars_options = [
    click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                 help="Set an input of the runbook (repeatable)."),
    click.option("--vars-file", type=click.Path(dir_okay=False, exists=True),
                 help="A YAML file of input values."),
]


def with_vars(func):
    for option in reversed(vars_options):
        func = option(func)
    return func


paper_option = click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4",
                            show_default=True, help="Paper size of the HTML print stylesheet.")

"""Options and helpers shared by the commands."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from riskkit.files.fsutil import Pieces, Text, chunks, write_atomic
from riskkit.problems import visible

if TYPE_CHECKING:
    from click.decorators import FC

    from riskkit.workspace import Workspace


def workspace(ctx: click.Context) -> Workspace:
    from riskkit.workspace import open_workspace

    return open_workspace(ctx.obj.get("dir"))


class FormatOption(click.Option):
    """``--format`` of a view in the format registry; ``view`` names it there."""

    def __init__(self, *args: Any, view: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view


def format_option(view: str, *choices: str, default: str | None = None
                  ) -> Callable[[FC], FC]:
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


output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                             default=None, help="Write to FILE (atomically; a link is written "
                             "through, a pipe or device written to) instead of standard "
                             "output; - is standard output.")


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None
               ) -> dt.date | None:
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


def now() -> dt.datetime:
    """The machine's time, in UTC: what an incident command records when no ``--at`` is
    given (the tests pin it, with ``clock``)."""
    return dt.datetime.now(dt.timezone.utc)


def today(as_of: dt.date | None) -> dt.date:
    """"Today" for a command: ``--as-of`` wins, always."""
    return as_of or clock()


def defer_problems(ctx: click.Context, problems: list) -> None:
    """Report ``problems`` once the command's result is written, and exit 1 then."""
    if problems:
        ctx.obj.setdefault("deferred", []).extend(problems)


CHUNK = 1 << 20  # characters written to standard output at a time


def emit(text: Text, output: str | None, *, painted: bool = False) -> None:
    """A command's result, to standard output or to ``-o FILE`` (``-o -`` is standard
    output). The one place results are written: control characters of user text are
    made visible here (``riskkit.problems.visible``), on a terminal and in a file alike;
    ``painted`` text (a coloured heat map) has had its user text made visible by its
    formatter, so that its own colour codes are kept."""
    if not painted:
        text = Pieces([visible(part) for part in text.parts]) if isinstance(text, Pieces) \
            else visible(text)
    ctx = click.get_current_context(silent=True)
    recording = ctx.obj.get("record") if ctx is not None and ctx.obj else None
    if recording is not None:  # an answered view remembers what it wrote (see answered)
        recording.append(text)
    if output and output != "-":
        try:
            write_atomic(output, text, through_links=True)
        except OSError as exc:
            from riskkit.problems import ConfigError

            raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(visible(f"wrote {output}"), err=True)
    elif isinstance(text, str) and (painted or len(text) <= CHUNK):
        click.echo(text, nl=False)
    else:  # a text of 80 MB is encoded a piece at a time, never copied whole
        for piece in chunks(text, CHUNK):
            click.echo(piece, nl=False)


def emit_bytes(data: bytes, output: str | None, what: str) -> None:
    """A binary result (a workbook, a database) to ``-o FILE``, written atomically, or to
    standard output when that is not a terminal (``> file``, a pipe)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.obj and ctx.obj.get("record") is not None:
        ctx.obj["record"].append(None)  # not text: the view's answer is not remembered
    if output and output != "-":
        try:
            write_atomic(output, data, through_links=True)
        except OSError as exc:
            from riskkit.problems import ConfigError

            raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(visible(f"wrote {output}"), err=True)
        return
    stream = binary_stdout()
    if stream.isatty():
        raise click.UsageError(f"{what} is binary: give -o FILE (or redirect the output)")
    stream.write(data)
    stream.flush()


# What a view's output depends on besides its files and options (see ``answered``).
VIEW_ENVIRONMENT = ("NO_COLOR", "GITHUB_ACTIONS")


def answered(view: str, unless: Callable[[dict[str, Any]], bool] | None = None
             ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Answer the view from the cache when nothing it reads has changed (``riskkit.answers``):
    the command runs only on a miss, and what it wrote is remembered then.

    The key is every option of the command but ``-o`` (whether the result goes to a file
    or a terminal is in it, and the environment the views read), "today", and the
    current folder. A view that writes bytes, or writes twice, is not remembered; one
    that fails is not either. ``unless(options)`` true runs the command uncached.
    """
    import functools

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def run(*args: Any, **options: Any) -> None:
            from riskkit import answers, validation
            from riskkit.files import cache
            from riskkit.files.root import find_root
            from riskkit.problems import ConfigError

            ctx = click.get_current_context()
            if (unless is not None and unless(options)) or not cache.enabled():
                return func(*args, **options)
            try:
                root = find_root(ctx.obj.get("dir"))
            except ConfigError:  # the command says it, as it would without the cache
                return func(*args, **options)
            output = options.get("output")
            key = {"options": {k: v for k, v in options.items() if k != "output"},
                   "today": today(options.get("as_of")).isoformat(),
                   "to_file": bool(output and output != "-"), "tty": sys.stdout.isatty(),
                   "environment": {k: os.environ.get(k) for k in VIEW_ENVIRONMENT},
                   "cwd": os.getcwd()}
            hit = answers.recall(root, view, key)
            if hit is not None:
                emit(hit.text, output, painted=True)  # made visible when it was written
                defer_problems(ctx, list(hit.problems))
                if hit.status:
                    ctx.exit(hit.status)
                return None
            try:
                ws = workspace(ctx)
            except ConfigError:
                return func(*args, **options)
            extra = validation.extra_inputs(ws)
            files = validation.inputs(ws.root, extra)  # before the view reads them
            record: list[Text | None] = []

            def keep(status: int) -> None:
                if len(record) == 1 and record[0] is not None:
                    answers.remember(ws.root, view, key, files, answers.Answer(
                        record[0], tuple(ctx.obj.get("deferred", ())), status), extra)

            ctx.obj["record"] = record
            try:
                func(*args, **options)
            except click.exceptions.Exit as exc:
                keep(exc.exit_code)
                raise
            finally:
                ctx.obj.pop("record", None)
            keep(0)
            return None

        return run

    return decorate


def binary_stdout() -> BinaryIO:
    """Standard output, for bytes."""
    return sys.stdout.buffer


def repo_path(ws: Workspace, path: str) -> str:
    """``path`` as seen from the top of its git repository (see ``workspace.repo_path``)."""
    from riskkit.workspace import repo_path as top_relative

    return top_relative(ws, path)


def use_color() -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set to something (https://no-color.org:
    an empty ``NO_COLOR`` does not count)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def say(text: str, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of a message that may hold user text (a path, a value typed on the
    command line): its control characters are shown, never sent (see ``emit``)."""
    click.echo(visible(text), err=err, nl=nl)


def parse_vars(values: tuple[str, ...], vars_file: str | None) -> dict[str, object]:
    """``--var K=V`` pairs (and a YAML ``--vars-file``) as a dict; the command line wins."""
    from riskkit.problems import ProblemsFound
    from riskkit.files.yamlload import load_file

    out: dict[str, object] = {}
    if vars_file:
        doc, problems = load_file(vars_file)
        if doc is not None and not isinstance(doc.data, dict):
            problems = problems + [doc.problem((), "S102", "a vars file holds a mapping of "
                                               "input names to values")]
        if doc is None or any(p.is_error for p in problems):
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


def with_vars(func: FC) -> FC:
    for option in reversed(vars_options):
        func = option(func)
    return func


paper_option = click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4",
                            show_default=True, help="Paper size of the HTML print stylesheet.")

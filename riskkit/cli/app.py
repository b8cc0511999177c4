"""The root command: the group every command joins, and the one place errors become
messages and exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from riskkit import __version__
from riskkit.problems import ConfigError, ProblemsFound, RiskkitError, visible

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUG = 3


class RiskkitGroup(click.Group):
    """A group that turns riskkit's typed errors into messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            deferred = (ctx.obj or {}).pop("deferred", None)
            if deferred:  # a view that left out broken files: say which, then fail
                raise ProblemsFound(sorted(set(deferred)), "left out of the result: "
                                    "fix these and run again")
            return result
        except click.BadParameter as exc:
            # A wrong value on the command line (not a choice, out of range, not a date,
            # no such file) is exit 1, like an unknown id; a malformed command (a missing
            # argument or option, an unknown option) stays click's usage error, exit 2.
            if not isinstance(exc, click.MissingParameter):
                # click types exit_code as a ClassVar; this one error's code is meant
                exc.exit_code = EXIT_PROBLEMS  # type: ignore[misc]
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ProblemsFound as exc:
            for problem in exc.problems:
                click.echo(problem.format(), err=True)
            click.echo(visible(f"riskkit: {exc}"), err=True)
            ctx.exit(EXIT_PROBLEMS)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(problem.format(), err=True)
            click.echo(visible(f"riskkit: {exc}"), err=True)
            ctx.exit(EXIT_USAGE)
        except RiskkitError as exc:
            click.echo(visible(f"riskkit: {exc}"), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("riskkit: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug in riskkit: say so briefly, no bare traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(visible(f"riskkit: internal error: {type(exc).__name__}: {exc}\n"
                               "This is a bug in riskkit; rerun with --debug for the "
                               "traceback and please report it."), err=True)
            ctx.exit(EXIT_BUG)


@click.group(cls=RiskkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="riskkit")
@click.option("-C", "directory", metavar="DIR",
              type=click.Path(exists=True, file_okay=False),
              help="Run as if started in DIR (the workspace is found by walking up from it).")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, directory: str | None, debug: bool) -> None:
    """riskkit: a git-native risk register and incident runbook engine.

    A workspace is a folder with a riskkit.yaml: risks/, runbooks/ and drills/ hold one
    YAML file per item. riskkit finds it by walking up from the current folder.

    \b
    Start here:
      riskkit validate                 check every file, report every problem
      riskkit explain CODE             what a problem's code means, how to fix it
      riskkit risks --above-appetite   the scored register
      riskkit runbook render ID --var K=V   an emergency plan, now
    """
    ctx.ensure_object(dict)
    if directory:  # as git -C: every path on the command line is relative to DIR
        here = os.getcwd()
        os.chdir(directory)
        ctx.call_on_close(lambda: os.chdir(here))
    ctx.obj["dir"] = os.getcwd()
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    for stream in (sys.stdout, sys.stderr):  # a plan must print on any terminal encoding
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    cli.main(args=argv, prog_name="riskkit")

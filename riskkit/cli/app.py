"""The root command: the group every command joins, and the one place errors become
messages and exit codes.

Start-up imports this module and click only: a command's module is imported when the
command is looked up (``COMMAND_MODULES``), so ``riskkit --version`` and a command pay for
no other command's imports, and ``--help`` (which lists them all) imports them all.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import click

from riskkit import __version__

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUG = 3

# Objects a command may make before Python's cyclic collector first looks at them (its own
# default is 700). Loading a register makes millions of objects that live until the
# command ends and hold no cycles: with the default, the collector walks them again and
# again (a third of a cold report of 50,000 risks). The workers that parse inherit it.
YOUNG_OBJECTS = 100_000

# Each command of the root group and the modules of riskkit.cli that define it (and its
# subcommands). A module adds its commands to ``cli`` when imported; a new command belongs
# here too (tests/test_startup.py checks that the table names every command).
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "diff": ("git",), "history": ("git",),
    "drill": ("drill",),
    "explain": ("explain",),
    "export": ("exchange",), "import": ("exchange",),
    "incident": ("incident",), "postmortem": ("incident",),
    "init": ("register",), "matrix": ("register",), "report": ("register",),
    "review": ("register",), "risks": ("register",), "schema": ("register",),
    "validate": ("register",),
    "retro": ("retro",),
    "runbook": ("runbook", "alerts"),  # alerts adds ``runbook find``
    "site": ("alerts",),
}


class LazyCommands(MutableMapping[str, click.Command]):
    """The root group's commands, their modules imported on first use: looking a command up
    imports its own modules; listing the commands (help, a mistyped name) imports all."""

    def __init__(self, modules: dict[str, tuple[str, ...]]) -> None:
        self._modules = modules
        self._commands: dict[str, click.Command] = {}
        self._loaded: set[str] = set()

    def _load(self, name: str) -> None:
        if name not in self._loaded:
            from riskkit import compiled

            compiled.keep_for(name)  # in a file of what this command uses
            compiled.keep_record_methods()  # before a command's modules make their classes
            compiled.keep_patterns()  # and compile their regular expressions
            self._loaded.add(name)
            for module in self._modules[name]:
                importlib.import_module(f"riskkit.cli.{module}")

    def _load_all(self) -> None:
        for name in self._modules:
            self._load(name)

    def __getitem__(self, name: str) -> click.Command:
        if name in self._modules:
            self._load(name)
        elif name not in self._commands:  # not in the table: look everywhere
            self._load_all()
        return self._commands[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(list(self._commands))

    def __len__(self) -> int:
        self._load_all()
        return len(self._commands)


class RiskkitGroup(click.Group):
    """A group that turns riskkit's typed errors into messages and exit codes, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        threshold = gc.get_threshold()
        gc.set_threshold(max(YOUNG_OBJECTS, threshold[0]), *threshold[1:])
        try:
            return self._invoke(ctx)
        finally:
            gc.set_threshold(*threshold)

    def _invoke(self, ctx: click.Context) -> Any:
        from riskkit.problems import ConfigError, ProblemsFound, RiskkitError, visible

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


@click.group(cls=RiskkitGroup, commands=LazyCommands(COMMAND_MODULES),
             context_settings={"help_option_names": ["-h", "--help"]})
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

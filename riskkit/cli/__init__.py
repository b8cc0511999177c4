"""The command line: parse options, call the core, pick a formatter, map errors to exits.

Heavy libraries (networkx, jinja2, jsonschema) are imported by the commands that use them,
never here, so ``riskkit --help`` starts at once. Each module of this package adds its
commands to the root group of ``app`` when imported.
"""

from __future__ import annotations

from riskkit.cli import alerts, drill, exchange, explain, git, incident, register, retro, runbook  # noqa: F401
from riskkit.cli.app import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cli, main

__all__ = ["cli", "main", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "EXIT_BUG"]

"""The command line: parse options, call the core, pick a formatter, map errors to exits.

Heavy libraries (networkx, jinja2, jsonschema) are imported by the commands that use them,
never here, so ``riskkit --help`` starts at once. Each module of this package adds its
commands to the root group of ``app`` when imported, and the root group imports a module
when one of its commands is looked up (``app.COMMAND_MODULES``): start-up imports none.
"""

from __future__ import annotations

from riskkit.cli.app import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cli, main

__all__ = ["cli", "main", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "EXIT_BUG"]

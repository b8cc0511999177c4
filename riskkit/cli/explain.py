"""explain: what a problem code means and how to fix it, from the registry of codes."""

from __future__ import annotations

import click

from riskkit.codes import CODES, FAMILIES, REGISTRY
from riskkit.problems import InputError, did_you_mean
from riskkit.cli.app import cli
from riskkit.cli.common import emit, format_option


def _help() -> str:
    """The help text; its list of families comes from the registry, so it cannot drift."""
    import textwrap

    families = ", ".join(f"{letter} {name}" for letter, name in FAMILIES.items())
    families = textwrap.fill(families + ".", 80, initial_indent="  ", subsequent_indent="  ")
    return (
        "Explain CODE, the id every problem carries after its place:\n\n"
        "\b\n"
        "  risks/db.yaml:6:9: R002 RSK-001: impact 7 is not on the 5x5 matrix\n\n"
        "what it means, why riskkit checks it, an example fix, and whether it fails "
        "validate. Without CODE, list every code with its severity and meaning.\n\n"
        "\b\n"
        "The first letter of a code says what is wrong:\n"
        f"{families}\n\n"
        "Errors fail validate (exit 1); warnings fail it only with --strict.\n\n"
        "\b\n"
        "  riskkit explain              every code, one line each\n"
        "  riskkit explain r002         one code (any case)\n"
        "  riskkit explain --format md  the table in the README")


@cli.command(short_help="What a problem code means, and how to fix it.", help=_help())
@click.argument("code", required=False)
@format_option("codes")
def explain(code: str | None, fmt: str) -> None:
    from riskkit.present import registry

    if code is None:
        emit(registry.render("codes", fmt, REGISTRY), None)
        return
    wanted = code.strip().upper()
    if wanted not in CODES:
        raise InputError(f"unknown problem code '{code}'{did_you_mean(wanted, CODES)}; "
                         "riskkit explain lists them all")
    emit(registry.render("code", fmt, CODES[wanted]), None)

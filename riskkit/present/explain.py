"""Problem codes for people: the list, or one code explained, as text, JSON or Markdown
(the views ``codes`` and ``code`` of the format registry)."""

from __future__ import annotations

import textwrap

from riskkit.codes import FAMILIES, REGISTRY, Code, Severity
from riskkit.present.formats import markdown_table, table_cell, to_json

WIDTH = 88

CONSEQUENCE = {
    Severity.ERROR: "riskkit validate fails on it (exit 1)",
    Severity.WARNING: "riskkit validate reports it and still passes, unless --strict",
}
ARTICLE = {Severity.ERROR: "An error", Severity.WARNING: "A warning"}


def families_line(markup: str = "") -> str:
    """``Y YAML, S schema, …``: what the first letter of a code says."""
    return ", ".join(f"{markup}{letter}{markup} {name}" for letter, name in FAMILIES.items())


def list_text(codes: tuple[Code, ...] = REGISTRY) -> str:
    out = []
    for letter, family in FAMILIES.items():
        members = [c for c in codes if c.id.startswith(letter)]
        if members:
            out.append(f"{family}\n" + "".join(f"  {c.id}  {c.severity:<7}  {c.meaning}\n"
                                              for c in members))
    return "\n".join(out) + "\nriskkit explain CODE says what one means and how to fix it.\n"


def list_md(codes: tuple[Code, ...] = REGISTRY) -> str:
    rows = [[f"`{c.id}`", c.severity.value, c.meaning] for c in codes]
    intro = (f"The first letter says what is wrong: {families_line('`')}. Errors fail "
             "`riskkit validate`; warnings fail it only with `--strict`.")
    return (textwrap.fill(intro, WIDTH) + "\n\n"
            + markdown_table(rows, ["code", "severity", "meaning"], escape=table_cell))


def list_json(codes: tuple[Code, ...] = REGISTRY) -> str:
    return to_json([c.to_dict() for c in codes])


def code_text(code: Code) -> str:
    def para(text: str) -> str:
        return textwrap.fill(text, WIDTH, initial_indent="  ", subsequent_indent="  ") + "\n"

    out = f"{code.id} ({code.severity}, {code.family}): {code.meaning}\n\n"
    if code.explanation:
        out += para(code.explanation) + "\n"
    if code.example:
        out += "  For example:\n" + textwrap.indent(code.example, "    ") + "\n\n"
    return out + para(f"{ARTICLE[code.severity]}: {CONSEQUENCE[code.severity]}.")


def code_md(code: Code) -> str:
    out = f"### {code.id}: {code.meaning}\n\n"
    out += f"**{code.severity}** ({code.family}): {CONSEQUENCE[code.severity]}.\n\n"
    if code.explanation:
        out += textwrap.fill(code.explanation, WIDTH) + "\n\n"
    if code.example:
        out += f"```yaml\n{code.example}\n```\n"
    return out.rstrip("\n") + "\n"


def code_json(code: Code) -> str:
    return to_json(code.to_dict())


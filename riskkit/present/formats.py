"""Formatters: problems and tables as text, JSON, CSV, Markdown or CI annotations.

Each formatter takes plain data and returns a string; commands pick one by name.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from riskkit.problems import Problem


def to_json(data: Any) -> str:
    """``data`` as indented JSON; a typed view in it (one with ``to_dict()``) as its dict.

    A list is written item by item (the same text): indented JSON is built of a small
    string per value, and for a whole register at once those would outweigh the register.
    """
    if isinstance(data, list):
        return json_list(data)
    return _json(data) + "\n"


def json_list(items: Iterable[Any]) -> str:
    """``to_json`` of the list of ``items``, each encoded as it comes: a generator of
    dicts never holds them all."""
    text = ",\n  ".join(_json(item).replace("\n", "\n  ") for item in items)
    return f"[\n  {text}\n]\n" if text else "[]\n"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=_as_dict)


def _as_dict(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return to_dict()


def problems_text(problems: list[Problem]) -> str:
    return "".join(p.format() + ("" if p.is_error else " (warning)") + "\n" for p in problems)


def problems_json(problems: list[Problem]) -> str:
    return to_json([p.to_dict() for p in problems])


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_line(kind: str, path: str, line: int, col: int, title: str, message: str) -> str:
    """One GitHub Actions workflow command (``::error file=…,line=…,col=…::message``)."""
    return (f"::{kind} file={_gh_escape(path, True)},line={line},col={col},"
            f"title={_gh_escape(title, True)}::{_gh_escape(message)}\n")


def problems_github(problems: list[Problem]) -> str:
    return "".join(github_line("error" if p.is_error else "warning", p.path, p.line, p.col,
                               p.code, p.message) for p in problems)


# The same three as the registry's "problems" view (a test keeps them so), for a format
# that prints problems inside its own (review's github annotations).
PROBLEM_FORMATS = {"text": problems_text, "json": problems_json, "github": problems_github}


def validate_summary(counts: dict, problems: list[Problem]) -> str:
    """The line ``validate`` ends its text output with (on stderr)."""
    errors = sum(p.is_error for p in problems)
    alerts = f", {counts['alerts']} alerts" if "alerts" in counts else ""
    incidents = f", {counts['incidents']} incidents" if counts.get("incidents") else ""
    return (f"{counts['risks']} risks, {counts['runbooks']} runbooks, "
            f"{counts['drills']} drills{incidents}{alerts}: {errors} error(s), "
            f"{len(problems) - errors} warning(s)")


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def markdown_table(rows: list[list[Any]], headers: list[str],
                   escape: Callable[[Any], str] | None = None) -> str:
    """A Markdown table; each cell is user text, escaped by ``md_text`` unless ``escape``
    says otherwise (``table_cell`` for riskkit's own Markdown, code spans and all)."""
    esc = escape or md_text
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def table_cell(value: Any) -> str:
    """A cell of riskkit's own Markdown: on one line, its pipes escaped, nothing else."""
    return " ".join(str(value).replace("|", "\\|").splitlines())


# Markdown that user text must not make: emphasis, code, links and images ([ ] !),
# HTML (< >), entities (&), tables (|), strike-through (~), math ($), escapes (\).
MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$!])")
# A zero-width space after "@" (as the entity, which GitHub renders invisibly), so that
# "@team" in a title reads as written but neither links nor notifies anyone.
NO_MENTION = "@&#8203;"
# The same zero-width space after the "#" (or "GH-") of an issue reference: "#123" in a
# title reads as written but neither links nor cross-references issue 123.
NO_REFERENCE = re.compile(r"(#|\bGH-)(?=\d)", re.IGNORECASE)
# What starts a bare link on GitHub: "scheme://" and "www." (the last character of each
# match becomes an entity).
NO_AUTOLINK = re.compile(r"(?<=:)/|(?i:www)\.")


def md_text(value: Any) -> str:
    """User text (a title, an owner, an id) as inline Markdown that renders as the text it
    is: on one line, every character that Markdown or GitHub would read as markup
    backslash-escaped (so no image, link, HTML tag or table cell comes out of a title),
    and no ``@`` mention or ``#123`` reference."""
    text = " ".join(str(value).splitlines())
    text = NO_REFERENCE.sub(lambda m: m.group() + "&#8203;", MD_SPECIAL.sub(r"\\\1", text))
    text = text.replace("@", NO_MENTION)  # after: its entity has a "#" and digits
    # GitHub links a bare URL from its raw text, escapes and all (a link to a mangled
    # address): an entity for "/" or "." keeps the text and makes no link.
    return NO_AUTOLINK.sub(lambda m: m.group()[:-1] + f"&#{ord(m.group()[-1])};", text)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span (a revision, say), whatever backticks it holds."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def csv_table(rows: list[list], headers: list[str]) -> str:
    import csv  # only the csv views need it

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()

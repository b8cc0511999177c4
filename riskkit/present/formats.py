"""Formatters: problems and tables as text, JSON, CSV, Markdown or CI annotations.

Each formatter takes plain data and returns a string (a register's JSON: its pieces, see
``json_list``); commands pick one by name.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _quoted
from typing import Any

from riskkit.files.fsutil import Pieces
from riskkit.problems import Problem


def to_json(data: Any) -> str:
    """``data`` as indented JSON; a typed view in it (one with ``to_dict()``) as its dict."""
    return indented(data) + "\n"


def json_list(items: Iterable[Any]) -> Pieces:
    """``to_json`` of the list of ``items``, kept as one piece per item, each encoded as
    it comes: a generator of dicts never holds them all, and the JSON of a register of
    50,000 risks is written out without ever being one string (``Pieces``)."""
    parts = [",\n  " + indented(item, "\n  ") for item in items]
    if not parts:
        return Pieces(["[]\n"])
    parts[0] = "[\n  " + parts[0][4:]
    parts.append("\n]\n")
    return Pieces(parts)


_INFINITY = float("inf")


def indented(value: Any, newline: str = "\n") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, a typed view as its dict, with
    each line after the first starting with ``newline``: the same text at half the cost
    of json's own indenting encoder, which makes a generator per container. Plain data
    (exact dicts with text keys, lists, text, whole and finite numbers, booleans, null) is
    written here; anything else is json's to write."""
    kind = type(value)
    if kind is str:
        return _quoted(value)
    if len(newline) > len(_DEEPEST):
        return _by_json(value, newline)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + "  "
        items = []
        for key, item in value.items():
            if type(key) is not str:
                return _by_json(value, newline)
            items.append(f"{_quoted(key)}: {indented(item, inner)}")
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([indented(v, inner) for v in value]) \
            + newline + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and -_INFINITY < value < _INFINITY:
        return float.__repr__(value)
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and not isinstance(value, _JSON_TYPES):  # as json's default=
        return indented(to_dict(), newline)
    return _by_json(value, newline)


_JSON_TYPES = (str, int, float, list, tuple, dict)
_DEEPEST = "\n" + "  " * 100  # nested deeper: json's encoder says what is wrong (a cycle)


def _by_json(value: Any, newline: str) -> str:
    """``value`` as json writes it, at the indentation of ``newline``."""
    return _json(value).replace("\n", newline)


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

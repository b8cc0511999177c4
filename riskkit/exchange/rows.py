"""The register as flat rows: one row a risk, one documented list of columns.

Export (``risks --format csv|xlsx``) and import (``riskkit import``) both read
:data:`COLUMNS`, so the two cannot drift: a column the export writes is a column the
import reads back, and the README's table is this list.

A cell holds the value as written in the risk's file (a rating stays ``likely`` or
``4``, a date stays ``2027-02-28``). Lists and controls, which a cell cannot hold as
such, are written in a small text form that reads back exactly:

- a list (``runbooks``, ``tags``): items separated by commas, ``pci, database``;
- ``controls``: one control a line, ``CTL-pitr: Point-in-time recovery (corrective,
  in-place)``.

In both, a backslash escapes the next character (``\\,`` a comma in a tag, ``\\:`` a
colon in a control id, ``\\\\`` a backslash, ``\\n`` a line break, ``\\ `` a space at an
edge). A text cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``, as
OWASP advises against CSV injection; import takes that ``'`` off again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.register.risk import Risk

# What a column holds, and so how its cells are read back:
TEXT = "text"  # text as it is
KEY = "key"  # text, spaces around it dropped (an id, a status, a strategy)
RATING = "rating"  # a rank (a whole number) or a scale id
DATE = "date"  # YYYY-MM-DD (or a format the mapping file names)
INT = "int"  # a whole number
LIST = "list"  # items separated by commas
CONTROLS = "controls"  # one control a line: ID: title (kind, status)
COMPUTED = "computed"  # worked out by riskkit: exported, ignored on import


@dataclass(frozen=True)
class Column:
    """One column of the flat shape: its header, what it holds, the field of the risk
    file it is (``("treatment", "due")``; empty for a computed column), a few words
    for the README, and other headers a spreadsheet may give it."""

    name: str
    kind: str
    field: tuple[str, ...]
    help: str
    aliases: tuple[str, ...] = ()

    @property
    def computed(self) -> bool:
        return self.kind == COMPUTED


def _c(name: str, kind: str, help: str, *aliases: str) -> Column:
    field: tuple[str, ...] = ()
    if kind != COMPUTED:
        head, _, tail = name.partition("_")
        field = (head, tail) if head in ("residual", "treatment", "acceptance", "review") \
            else (name,)
    return Column(name, kind, field, help, aliases)


COLUMNS: tuple[Column, ...] = (
    _c("id", KEY, "the risk's id", "risk_id", "ref", "reference", "risk_ref"),
    _c("title", TEXT, "one line", "risk", "name", "risk_title"),
    _c("description", TEXT, "", "details"),
    _c("category", TEXT, "", "risk_category"),
    _c("owner", TEXT, "team or person accountable", "risk_owner"),
    _c("status", KEY, "open, mitigating, accepted or closed", "risk_status"),
    _c("likelihood", RATING, "a rank or a scale id, as written", "probability"),
    _c("impact", RATING, "a rank or a scale id, as written"),
    _c("level", COMPUTED, "the level on the matrix"),
    _c("score", COMPUTED, "likelihood rank x impact rank"),
    _c("residual_likelihood", RATING, "after planned controls", "residual_probability"),
    _c("residual_impact", RATING, "after planned controls"),
    _c("residual_level", COMPUTED, ""),
    _c("residual_score", COMPUTED, ""),
    _c("above_appetite", COMPUTED, "true or false"),
    _c("controls", CONTROLS, "one a line: ID: title (kind, status)"),
    _c("treatment_strategy", KEY, "mitigate, accept, transfer or avoid", "treatment",
       "strategy"),
    _c("treatment_rationale", TEXT, ""),
    _c("treatment_due", DATE, "", "due", "due_date"),
    _c("acceptance_by", TEXT, "", "accepted_by"),
    _c("acceptance_since", DATE, "", "accepted_on", "accepted_since"),
    _c("acceptance_until", DATE, "", "accepted_until", "acceptance_expiry"),
    _c("acceptance_rationale", TEXT, ""),
    _c("review_last", DATE, "", "last_review", "last_reviewed", "reviewed"),
    _c("review_by", TEXT, "", "reviewed_by", "reviewer"),
    _c("rto_minutes", INT, "", "rto", "rto_min"),
    _c("runbooks", LIST, "ids, separated by commas"),
    _c("tags", LIST, "separated by commas", "labels"),
    _c("file", COMPUTED, "the risk's file in the workspace"),
)

BY_NAME = {c.name: c for c in COLUMNS}
IMPORTED = tuple(c for c in COLUMNS if not c.computed)


def header() -> list[str]:
    return [c.name for c in COLUMNS]


def normalise(text: str) -> str:
    """A header as riskkit compares it: ``Last reviewed`` and ``last-reviewed`` are
    ``last_reviewed``."""
    out = "".join(ch if ch.isalnum() else "_" for ch in text.strip().lower())
    return "_".join(part for part in out.split("_") if part)


def column_for(header_text: str) -> Column | None:
    """The column a sheet's header names, by its name or one of its aliases."""
    wanted = normalise(header_text)
    for column in COLUMNS:
        if wanted == column.name or wanted in column.aliases:
            return column
    return None


# Export


def written(risk: Risk) -> dict[str, Any]:
    """The risk's fields as written in its file (a rating as ``likely`` or ``4``); for a
    risk made in code, its fields."""
    if risk.doc is not None:
        value: Any = risk.doc.data
        for part in risk.base:
            value = value[part]
        if isinstance(value, dict):
            return value
    out: dict[str, Any] = {"id": risk.id, "title": risk.title}
    if risk.description:
        out["description"] = risk.description
    if risk.category:
        out["category"] = risk.category
    out.update(owner=risk.owner, status=risk.status, likelihood=risk.rating.likelihood,
               impact=risk.rating.impact)
    if risk.controls:
        out["controls"] = [c.to_dict() for c in risk.controls]
    if risk.residual:
        out["residual"] = {"likelihood": risk.residual.likelihood,
                           "impact": risk.residual.impact}
    for name in ("treatment", "acceptance", "review"):
        record = getattr(risk, name)
        if record is not None:
            out[name] = record.to_dict()
    if risk.rto_minutes is not None:
        out["rto_minutes"] = risk.rto_minutes
    if risk.runbooks:
        out["runbooks"] = list(risk.runbooks)
    if risk.tags:
        out["tags"] = list(risk.tags)
    return out


def cell_of(column: Column, data: dict[str, Any]) -> Any:
    """The cell of ``column`` for a risk whose fields are ``data`` (None when absent);
    lists and controls in their text form. Not for computed columns."""
    value: Any = data
    for part in column.field:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    if column.kind == LIST:
        return ", ".join(_escape(str(item), ",") for item in value) if value else None
    if column.kind == CONTROLS:
        return "\n".join(control_text(c) for c in value) if value else None
    return value


def control_text(control: dict[str, Any]) -> str:
    return (f"{_escape(str(control.get('id', '')), ':')}: "
            f"{_escape(str(control.get('title', '')))} "
            f"({control.get('kind', '')}, {control.get('status', '')})")


def risk_row(risk: Risk, above: bool) -> list[Any]:
    """The row of one risk, cell by cell in the order of :data:`COLUMNS`: text, whole
    numbers, a boolean (``above_appetite``) or None for an empty cell."""
    data = written(risk)
    computed = {
        "level": risk.rating.level.id, "score": risk.rating.score,
        "residual_level": risk.residual.level.id if risk.residual else None,
        "residual_score": risk.residual.score if risk.residual else None,
        "above_appetite": above, "file": risk.file or None,
    }
    return [computed[c.name] if c.computed else cell_of(c, data) for c in COLUMNS]


# A cell starting with one of these is run as a formula by spreadsheets (OWASP, "CSV
# Injection"): it is written with a ' before it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` as a cell no spreadsheet runs: a ``'`` before a formula's first
    character (and before a ``'`` that :func:`restore` would otherwise take off)."""
    if text[:1] in FORMULA_START or (text[:1] == "'" and _quoted(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """A cell as it was before :func:`neutralise`: ``'=SUM(A1)`` is ``=SUM(A1)``; a
    ``'`` before anything else is kept (``'quoted'`` stays)."""
    return text[1:] if _quoted(text) else text


def _quoted(text: str) -> bool:
    return len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_START or text[1] == "'")


def csv_cell(value: Any) -> str:
    """A cell's text in a CSV file."""
    if type(value) is str:
        return value if value[:1] not in _NEUTRALISED else neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


_NEUTRALISED = frozenset(FORMULA_START + ("'",))  # a cell starting so may need a ' before it


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """The header and ``rows`` as CSV (RFC 4180 quoting, a line feed after each row)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header())
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


# The text form of lists and controls


def _escape(text: str, specials: str = "") -> str:
    if not text or (not text[0].isspace() and not text[-1].isspace()
                    and not any(ch in text for ch in _ESCAPED + specials)):
        return text  # nothing to escape: most names, tags and titles
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    for ch in specials:
        out = out.replace(ch, "\\" + ch)
    # whitespace at an edge is dropped on import unless it is escaped
    lead = len(out) - len(out.lstrip())
    trail = len(out) - len(out.rstrip())
    if lead == len(out):
        return "".join(_edge(ch) for ch in out)
    return ("".join(_edge(ch) for ch in out[:lead]) + out[lead:len(out) - trail]
            + "".join(_edge(ch) for ch in out[len(out) - trail:]))


_ESCAPED = "\\\n\r"  # always escaped, wherever they are


def _edge(ch: str) -> str:
    return "\\t" if ch == "\t" else "\\" + ch


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
Token = tuple[str, bool]  # a character, and whether it was escaped


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append((_ESCAPES.get(nxt, nxt), True))
            i += 2
        else:
            out.append((ch, False))
            i += 1
    return out


def _split(tokens: list[Token], sep: str, limit: int = -1) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    for ch, escaped in tokens:
        if ch == sep and not escaped and limit != 0:
            parts.append([])
            limit -= 1
        else:
            parts[-1].append((ch, escaped))
    return parts


def _joined(tokens: list[Token]) -> str:
    """The text of ``tokens``, without the whitespace (not escaped) at its edges."""
    start, end = 0, len(tokens)
    while start < end and not tokens[start][1] and tokens[start][0].isspace():
        start += 1
    while end > start and not tokens[end - 1][1] and tokens[end - 1][0].isspace():
        end -= 1
    return "".join(ch for ch, _ in tokens[start:end])


def parse_list(text: str) -> list[str]:
    """``pci, database`` -> ``["pci", "database"]`` (empty items are left out)."""
    items = [_joined(part) for part in _split(_tokens(text), ",")]
    return [item for item in items if item]


class CellError(ValueError):
    """A cell is not in the form its column takes; the message says which form."""


def parse_controls(text: str) -> list[dict[str, str]]:
    """One control a line, ``ID: title (kind, status)``, as the risk file's mappings."""
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        tokens = _tokens(line)
        head = _split(tokens, ":", limit=1)
        close = len(tokens)
        while close and not tokens[close - 1][1] and tokens[close - 1][0].isspace():
            close -= 1
        opens = [i for i, (ch, esc) in enumerate(tokens) if ch == "(" and not esc]
        if len(head) < 2 or not close or tokens[close - 1] != (")", False) or not opens:
            raise CellError(f"a control is written 'ID: title (kind, status)', one a line; "
                            f"got {line.strip()!r}")
        ident = _joined(head[0])
        colon = len(head[0]) + 1
        paren = opens[-1]
        inner = _split(tokens[paren + 1:close - 1], ",")
        if len(inner) != 2 or paren < colon:
            raise CellError(f"a control ends with '(kind, status)'; got {line.strip()!r}")
        out.append({"id": ident, "title": _joined(tokens[colon:paren]),
                    "kind": _joined(inner[0]), "status": _joined(inner[1])})
    return out

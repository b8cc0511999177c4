"""``riskkit import``: rows of a spreadsheet (CSV or xlsx) become risk files.

Every row is checked the way ``validate`` checks a risk file (the same schema, the same
matrix, the same rules), with each problem placed at ``FILE:ROW:COL`` of the sheet: the
row as a spreadsheet numbers it (the header is row 1) and the column's number (A is 1).
Every problem of every row is reported in one run, and when there is one nothing is
written. A risk already in the register is never overwritten: ``update`` merges a row
into it (the fields the row gives replace the file's; an empty cell leaves a field as
it is) and says what changed.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.exchange import riskfile
from riskkit.exchange.mapping import Mapping, translate
from riskkit.exchange.rows import (CONTROLS, DATE, IMPORTED, INT, KEY, LIST, RATING,
                                   CellError, Column, cell_of, column_for, parse_controls,
                                   parse_list, restore)
from riskkit.files.fsutil import write_atomic
from riskkit.files.yamlload import Doc, load_file, load_text
from riskkit.problems import ConfigError, InputError, Problem, ProblemsFound
from riskkit.register.risk import entries, load_risk

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.load import Loaded
    from riskkit.workspace import Workspace

MAX_BYTES = 100 * 1024 * 1024  # a sheet of 100,000 risks is some 60 MB of CSV
REQUIRED = ("id", "title", "owner", "status", "likelihood", "impact")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Table:
    """A sheet as read: its header row and data rows, each with its row number."""

    path: str  # as the user named it
    sheet: str | None  # the sheet of a workbook; None for CSV
    header_row: int
    headers: list[Any]
    rows: list[tuple[int, list[Any]]]

    def where(self, col: int) -> str:
        """``sheet Risks, column C (Owner)``: what a problem's message starts with."""
        head = self.headers[col - 1] if col - 1 < len(self.headers) else None
        name = f"column {letters(col)}" + (f" ({head})" if head not in (None, "") else "")
        return (f"sheet {self.sheet}, " if self.sheet else "") + name


def letters(col: int) -> str:
    """A column's number as a spreadsheet names it: 1 is A, 27 is AA."""
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(path: str, sheet: str | None = None) -> Table:
    """The header (the first row that is not blank) and the rows under it, of a CSV file
    or of a sheet of an xlsx workbook (the first unless ``sheet`` is given)."""
    if path.lower().endswith((".xlsx", ".xlsm")):
        from riskkit.exchange.xlsx import read_sheet

        title, numbered = read_sheet(path, sheet)
    else:
        if sheet is not None:
            raise InputError(f"--sheet: {path} is a CSV file, which has no sheets")
        title, numbered = None, _read_csv(path)
    numbered = [(n, v) for n, v in numbered if not _blank(v)]
    if not numbered:
        raise ProblemsFound([Problem(path, 1, 1, "X002", "the sheet has no header row "
                                     "(it is empty)")])
    (header_row, headers), rows = numbered[0], numbered[1:]
    return Table(path, title, header_row, headers, rows)


def _read_csv(path: str) -> list[tuple[int, list[Any]]]:
    import csv
    import io

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ProblemsFound([Problem(path, line, col, "Y004", "the file is not UTF-8 text "
                                     "(save it as CSV UTF-8)")]) from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    return [(n, list(row)) for n, row in enumerate(reader, 1)]


# Which column feeds which field


@dataclass(frozen=True)
class Source:
    """A column of the sheet that feeds a field: its number (A is 1)."""

    column: Column
    col: int


def match_columns(table: Table, mapping: Mapping, update: bool = False
                  ) -> tuple[list[Source], list[Problem]]:
    """The sheet's columns that feed fields: those the mapping names, then the others by
    header (riskkit's own export's headers, and a few usual aliases). A field every risk
    needs and no column gives is one problem, at the header (with ``update``, a sheet
    may give only some fields: a new risk's row lacking one is a problem of that row)."""
    from riskkit.exchange.rows import BY_NAME, normalise

    problems: list[Problem] = []
    headers = ["" if h is None else str(h) for h in table.headers]
    taken: dict[str, int] = {}  # field -> col
    used: set[int] = set()
    for name, wanted in mapping.columns.items():
        matches = [i for i, h in enumerate(headers, 1) if h.strip() == wanted.strip()] or \
            [i for i, h in enumerate(headers, 1) if normalise(h) == normalise(wanted)]
        if not matches:
            from riskkit.problems import did_you_mean

            line, col = mapping.at("columns", name)
            problems.append(Problem(mapping.path, line, col, "X002",
                                    f"columns.{name}: the sheet has no column {wanted!r}"
                                    f"{did_you_mean(wanted, [h for h in headers if h])}"))
            continue
        taken[name] = matches[0]
        used.add(matches[0])
    for i, head in enumerate(headers, 1):
        if i in used or not head.strip():
            continue
        column = column_for(head)
        if column is None:
            problems.append(Problem(table.path, table.header_row, i, "X001",
                                    f"{table.where(i)} is not imported: no field is called "
                                    "so (name it under columns: in a mapping file)"))
            continue
        if column.computed:
            continue  # riskkit's own export: worked out again from the ratings
        if column.name in taken:
            first = taken[column.name]
            problems.append(Problem(table.path, table.header_row, i, "X004",
                                    f"{table.where(i)} and column {letters(first)} both feed "
                                    f"{column.name}; map one of them"))
            continue
        taken[column.name] = i
    sources = sorted((Source(BY_NAME[name], col) for name, col in taken.items()),
                     key=lambda s: s.col)
    for name in () if update else REQUIRED:
        if name not in taken and name not in mapping.defaults:
            problems.append(Problem(table.path, table.header_row, 1, "X002",
                                    f"no column gives {name}, which every risk needs "
                                    f"(name its column under columns: in a mapping file, "
                                    f"or give it under defaults:)"))
    return sources, problems


# From a cell to a field's value


def decode(column: Column, value: Any, dates: list[str]) -> Any:
    """A cell's value as the field takes it (None for an empty cell); a cell not in its
    column's form is a CellError that says what was expected."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        value = restore(value)
    kind = column.kind
    if kind == DATE:
        return _date(value, dates)
    if kind == INT:
        number = _whole(value)
        if number is None:
            raise CellError(f"{_shown(value)} is not a whole number")
        return number
    if kind == RATING:
        number = _whole(value)
        return number if number is not None else _text(value).strip()
    if kind == LIST:
        return parse_list(_text(value)) or None
    if kind == CONTROLS:
        return parse_controls(_text(value)) or None
    text = _text(value)
    return text.strip() if kind == KEY else text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _shown(value: Any) -> str:
    return repr(_text(value))


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value).strip()
    return int(text) if re.fullmatch(r"[0-9]+", text) else None


def _date(value: Any, formats: list[str]) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value).strip()
    if ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise CellError(f"{text!r} is not a date: no such day") from None
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    spelled = f"YYYY-MM-DD or {', '.join(formats)}" if formats else \
        "YYYY-MM-DD; name the sheet's formats under dates: in a mapping file"
    raise CellError(f"{text!r} is not a date ({spelled})")


# Rows to risks


@dataclass
class Row:
    """One data row as a risk's fields, with where each came from."""

    number: int
    data: dict[str, Any]
    marks: dict[tuple[Any, ...], tuple[int, int]]
    given: set[str]  # the columns (flat names) that gave a value
    problems: list[Problem]


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    holder = data
    for part in path[:-1]:
        holder = holder.setdefault(part, {})
    holder[path[-1]] = value


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> None:
    holder: Any = data
    for part in path[:-1]:
        holder = holder.get(part)
        if not isinstance(holder, dict):
            return
    holder.pop(path[-1], None)
    if len(path) == 2 and not data.get(path[0]):
        data.pop(path[0], None)


def read_row(table: Table, number: int, values: list[Any], sources: list[Source],
             mapping: Mapping, defaults: bool) -> Row:
    """The fields one row gives (and, for a new risk, the mapping's defaults)."""
    row = Row(number, {}, {(): (number, 0)}, set(), [])
    for source in sources:
        column, col = source.column, source.col
        raw = values[col - 1] if col - 1 < len(values) else None
        if isinstance(raw, str) and raw.strip():
            raw = restore(raw)
        raw = translate(mapping, column.name, raw)
        try:
            value = decode(column, raw, mapping.dates)
        except CellError as exc:
            row.problems.append(Problem(table.path, number, col, "X003",
                                        f"{table.where(col)}: {exc}"))
            continue
        if value is None:
            continue
        _put(row.data, column.field, value)
        row.given.add(column.name)
        row.marks.setdefault(column.field[:1], (number, col))
        row.marks[column.field] = (number, col)
    if defaults:
        for name, value in mapping.defaults.items():
            column = next(c for c in IMPORTED if c.name == name)
            if name in row.given:
                continue
            try:
                decoded = decode(column, value, mapping.dates)
            except CellError as exc:
                line, col = mapping.at("defaults", name)
                row.problems.append(Problem(mapping.path, line, col, "X003",
                                            f"defaults.{name}: {exc}"))
                continue
            if decoded is not None:
                _put(row.data, column.field, decoded)
    return row


def _locate(table: Table, problems: list[Problem], cols: dict[str, int],
            sheet_lacks: set[str]) -> list[Problem]:
    """Problems of a row's risk, each message naming its column. A missing field is
    placed at its column when the sheet has one, and left out when the sheet lacks it
    (said once, at the header); a problem of a value from the mapping's defaults is
    placed at the row (column 0 stands for that)."""
    out = []
    for p in problems:
        found = re.search(r"missing required field '([^']+)'$", p.message)
        if p.code == "S101" and found and p.col == 0:
            name = found.group(1)
            if name in sheet_lacks:
                continue
            if name in cols:
                p = dataclasses.replace(p, col=cols[name])
        if p.col == 0:
            out.append(dataclasses.replace(p, col=1))
        else:
            out.append(dataclasses.replace(p, message=f"{table.where(p.col)}: {p.message}"))
    return out


@dataclass
class Change:
    """What import does with one row: ``create`` a file, ``update`` a risk, or nothing
    (``unchanged``)."""

    action: str
    risk: str
    path: str  # the file, workspace-relative
    text: str = ""  # the file's new text (create, update)
    changes: list[str] = field(default_factory=list)  # "owner: 'a' -> 'b'" (update)


@dataclass
class Plan:
    """What an import would do: the files it would write or change, and what it warns about."""

    changes: list[Change]
    warnings: list[Problem]


def plan_import(loaded: Loaded, table: Table, mapping: Mapping, update: bool,
                as_of: dt.date, extra: list[Problem] | None = None) -> Plan:
    """Check every row and work out the files to write; every problem of every row is
    raised together (ProblemsFound), warnings come back with the plan."""
    from riskkit.load import _future_dates

    ws = loaded.workspace
    sources, problems = match_columns(table, mapping, update)
    problems = (extra or []) + problems
    cols = {s.column.name: s.col for s in sources}
    sheet_lacks = set() if update else {n for n in REQUIRED if n not in cols}
    existing = {r.id: r for r in loaded.risks}
    broken = _ids_in_broken_files(loaded)
    id_col = next((s.col for s in sources if s.column.name == "id"), 1)
    seen: dict[str, int] = {}
    changes: list[Change] = []
    files: dict[str, Any] = {}  # a list file being updated: its data so far
    new_paths: set[str] = set()
    for number, values in table.rows:
        row = read_row(table, number, values, sources, mapping, defaults=True)
        problems += row.problems
        ident = row.data.get("id")
        key = ident if isinstance(ident, str) else None
        if key is not None and key in seen:
            problems.append(Problem(table.path, number, id_col, "R001",
                                    f"{table.where(id_col)}: {key}: duplicate risk id (first "
                                    f"in row {seen[key]})"))
            continue
        if key is not None:
            seen[key] = number
        if key in broken:
            problems.append(Problem(table.path, number, id_col, "R001",
                                    f"{table.where(id_col)}: {key} is already in the register "
                                    f"at {broken[key]}, which has errors: fix that file first"))
            continue
        current = existing.get(key) if key is not None else None
        if current is not None and not update:
            line, col = current.line, current.col
            problems.append(Problem(table.path, number, id_col, "R001",
                                    f"{table.where(id_col)}: {key} is already in the register "
                                    f"at {current.file}:{line}:{col}; import never overwrites "
                                    "a risk (--update merges the row into it)"))
            continue
        if current is not None:
            row = read_row(table, number, values, sources, mapping, defaults=False)
            before = riskfile_data(current)
            data = copy.deepcopy(before)
            for name in row.given:
                column = next(c for c in IMPORTED if c.name == name)
                _drop(data, column.field)
                value: Any = row.data
                for part in column.field:
                    value = value[part]
                _put(data, column.field, value)
            data = riskfile.ordered(data)
        else:
            data = riskfile.ordered(row.data)
        doc = Doc(table.path, data, marks=dict(row.marks), keymarks={})
        risk, found = load_risk(doc, (), ws.matrix)
        if risk is not None:
            found += _future_dates([risk], as_of)
            found += _unknown_runbooks(table, risk, loaded, row.marks)
        problems += _locate(table, found, cols, sheet_lacks)
        if risk is None or found:
            continue
        if current is None:
            changes.append(_create(ws, data, new_paths))
        else:
            changes.append(_update(current, before, data, files))
    errors = [p for p in problems if p.is_error]
    if errors:
        raise ProblemsFound(problems, "nothing was written")
    for change in changes:  # a list file updated for several rows: its final text
        if change.action == "update" and change.path in files:
            change.text = riskfile.dump(files[change.path])
        _check_text(ws, change)
    return Plan(changes, sorted(problems))


def riskfile_data(risk: Any) -> dict[str, Any]:
    from riskkit.exchange.rows import written

    return copy.deepcopy(written(risk))


def _ids_in_broken_files(loaded: Loaded) -> dict[str, str]:
    """Ids of risks in files that have errors (and so did not load), by file."""
    ws = loaded.workspace
    out: dict[str, str] = {}
    for path in sorted({p.path for p in loaded.errors if p.path.startswith("risks/")}):
        doc, _ = load_file(ws.root / path, path)
        if doc is None:
            continue
        for base in entries(doc, []):
            value: Any = doc.data
            for part in base:
                value = value[part]
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                out.setdefault(value["id"], path)
    return out


def _unknown_runbooks(table: Table, risk: Any, loaded: Loaded,
                      marks: dict[tuple[Any, ...], tuple[int, int]]) -> list[Problem]:
    from riskkit.problems import did_you_mean

    known = set(loaded.runbook_files)
    out = []
    for ident in risk.runbooks:
        if ident not in known:
            line, col = marks.get(("runbooks",), marks[()])
            out.append(Problem(table.path, line, col, "R005",
                               f"{risk.id}: unknown runbook '{ident}'"
                               f"{did_you_mean(ident, known)}"))
    return out


def _create(ws: Workspace, data: dict[str, Any], taken: set[str]) -> Change:
    ident = data["id"]
    folder = ws.root / "risks"
    for n in range(1, 1000):
        name = f"{ident}.yaml" if n == 1 else f"{ident}-{n}.yaml"
        rel = ws.rel(folder / name)
        if rel not in taken and not _taken_name(folder / name):
            taken.add(rel)
            return Change("create", ident, rel, riskfile.dump(data))
    raise ConfigError(f"cannot find a free file name for {ident} in {ws.rel(folder)}")


def _taken_name(path: Path) -> bool:
    """A name in use, by a file or a link (broken or not), in any case on a file system
    that ignores case."""
    if os.path.lexists(path):
        return True
    try:
        return path.name.lower() in {p.lower() for p in os.listdir(path.parent)}
    except OSError:
        return False


def _update(risk: Any, before: dict[str, Any], after: dict[str, Any],
            files: dict[str, Any]) -> Change:
    changed = []
    for column in IMPORTED:
        old, new = cell_of(column, before), cell_of(column, after)
        if old != new:
            changed.append(f"{column.name}: {_brief(old)} -> {_brief(new)}")
    if not changed:
        return Change("unchanged", risk.id, risk.file)
    if risk.base:  # one of a list file's risks: the whole file is written again
        data = files.get(risk.file) or copy.deepcopy(risk.doc.data)
        data["risks"][risk.base[1]] = after
        files[risk.file] = data
        return Change("update", risk.id, risk.file, "", changed)
    return Change("update", risk.id, risk.file, riskfile.dump(after), changed)


def _brief(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, int):
        return str(value)
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _check_text(ws: Workspace, change: Change) -> None:
    """The text about to be written reads back as the risks it was made from: a safety
    net against a YAML spelling riskkit would read differently (a bug, exit 3)."""
    if change.action == "unchanged":
        return
    doc, problems = load_text(change.text, change.path)
    errors = [p for p in problems if p.is_error]
    if doc is None or errors:
        raise RuntimeError(f"import made a file that does not read back: {change.path}: "
                           f"{errors[:1]}")
    for base in entries(doc, []):
        _, found = load_risk(doc, base, ws.matrix)
        if found:
            raise RuntimeError(f"import made a risk that does not check: {found[0].format()}")


def write_plan(ws: Workspace, plan: Plan) -> list[Change]:
    """Write the plan's files: each new one by an exclusive create (never over another
    file), each updated one atomically; returns what was written."""
    done = []
    for change in plan.changes:
        if change.action == "unchanged":
            continue
        path = ws.root / change.path
        try:
            if change.action == "create":
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(path, change.text, exclusive=True)
            else:
                write_atomic(path, change.text)
        except FileExistsError:
            raise ConfigError(f"cannot write {change.path}: it appeared while importing; "
                              "nothing after it was written") from None
        except OSError as exc:
            raise ConfigError(f"cannot write {change.path}: {exc.strerror or exc}") from None
        done.append(change)
    return done


def run_import(ws: Workspace, loaded: Loaded, path: str, sheet: str | None,
               mapping: Mapping, update: bool, as_of: dt.date,
               extra: list[Problem] | None = None) -> Plan:
    """Read ``path`` and plan its import (see :func:`plan_import`)."""
    table = read_table(path, sheet if sheet is not None else
                       (mapping.sheet if path.lower().endswith((".xlsx", ".xlsm")) else None))
    return plan_import(loaded, table, mapping, update, as_of, extra)


def summary(plan: Plan, dry_run: bool) -> str:
    counts = {a: sum(c.action == a for c in plan.changes)
              for a in ("create", "update", "unchanged")}
    verb = "would be " if dry_run else ""
    return (f"{len(plan.changes)} risk(s): {counts['create']} {verb}created, "
            f"{counts['update']} {verb}updated, {counts['unchanged']} unchanged")

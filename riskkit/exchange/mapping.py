"""The mapping file of ``riskkit import``: which column feeds which field, and how values
translate.

.. code-block:: yaml

    sheet: Register                 # the sheet of a workbook (default: the first)
    columns:                        # field: the sheet's header
      id: Ref
      title: Risk
      likelihood: Probability
      review_last: Last reviewed
    values:                         # field: {the sheet's value: riskkit's}
      likelihood: {Low: 2, Medium: 3, High: 4}
      status: {Yes: accepted, No: open}
    dates: ["%d/%m/%Y"]             # how the sheet writes dates (besides YYYY-MM-DD)
    defaults:                       # a value for a field a new risk's row leaves empty
      status: open

Fields are the column names of the flat shape (``riskkit.exchange.rows``). Problems in
the file are reported at its lines, like any other file riskkit reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from riskkit.exchange.rows import BY_NAME, IMPORTED
from riskkit.files.yamlload import Doc, load_file
from riskkit.problems import Problem, did_you_mean

KEYS = ("sheet", "columns", "values", "dates", "defaults")
FIELDS = [c.name for c in IMPORTED]


@dataclass
class Mapping:
    """A mapping file as read: every part optional."""

    path: str = ""
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> translation
    dates: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    doc: Doc | None = None

    def at(self, *path: str) -> tuple[int, int]:
        return self.doc.at(path) if self.doc else (1, 1)


def load_mapping(path: str, display: str) -> tuple[Mapping, list[Problem]]:
    """Read and check a mapping file; its problems point at its lines."""
    doc, problems = load_file(path, display)
    mapping = Mapping(display, doc=doc)
    if doc is None:
        return mapping, problems
    data = doc.data
    if not isinstance(data, dict):
        return mapping, problems + [doc.problem((), "S102", "a mapping file holds a mapping "
                                                f"with {', '.join(KEYS)}")]
    for key in data:
        if key not in KEYS:
            problems.append(doc.problem((key,), "S100", f"unknown field '{key}'"
                                        f"{did_you_mean(str(key), KEYS)}; known fields: "
                                        f"{', '.join(KEYS)}", key=True))
    if "sheet" in data:
        if isinstance(data["sheet"], str):
            mapping.sheet = data["sheet"]
        else:
            problems.append(doc.problem(("sheet",), "S102", "sheet: expected a sheet's name"))
    for part in ("columns", "values", "defaults"):
        given = data.get(part)
        if given is None:
            continue
        if not isinstance(given, dict):
            problems.append(doc.problem((part,), "S102", f"{part}: expected a mapping of "
                                        "field names"))
            continue
        for name, value in given.items():
            if name not in FIELDS:
                hint = " (worked out by riskkit, never imported)" if name in BY_NAME else \
                    did_you_mean(str(name), FIELDS)
                problems.append(doc.problem((part, name), "S100",
                                            f"{part}: unknown field '{name}'{hint}", key=True))
                continue
            if part == "columns":
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    mapping.columns[name] = str(value)
                else:
                    problems.append(doc.problem((part, name), "S102", f"columns.{name}: "
                                                "expected the header of a column"))
            elif part == "values":
                if isinstance(value, dict):
                    mapping.values[name] = {str(k): v for k, v in value.items()}
                else:
                    problems.append(doc.problem((part, name), "S102", f"values.{name}: "
                                                "expected a mapping of the sheet's values to "
                                                "riskkit's"))
            else:
                mapping.defaults[name] = value
    dates = data.get("dates")
    if dates is not None:
        if isinstance(dates, str):
            dates = [dates]
        if not isinstance(dates, list) or not all(isinstance(d, str) for d in dates):
            problems.append(doc.problem(("dates",), "S102", "dates: expected a list of "
                                        "formats such as '%d/%m/%Y'"))
        else:
            for i, fmt in enumerate(dates):
                if "%" not in fmt:
                    problems.append(doc.problem(("dates", i), "S103", f"dates: {fmt!r} is "
                                                "not a date format (write it like %d/%m/%Y)"))
            mapping.dates = list(dates)
    return mapping, problems


def translate(mapping: Mapping, name: str, value: Any) -> Any:
    """``value`` of field ``name`` as the mapping translates it: the exact text first,
    then ignoring case and spaces around it; else unchanged."""
    table = mapping.values.get(name)
    if not table or value is None:
        return value
    text = _key(value)
    if text in table:
        return table[text]
    folded = text.strip().casefold()
    for key, target in table.items():
        if key.strip().casefold() == folded:
            return target
    return value


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

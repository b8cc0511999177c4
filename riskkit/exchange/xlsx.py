"""Excel workbooks through openpyxl, an optional extra (``pip install 'riskkit[xlsx]'``).

A workbook riskkit writes is the same bytes for the same register and ``--as-of``: its
document dates are the as-of day and every entry of the zip archive carries that day,
never the machine's clock.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from riskkit.exchange.rows import header, neutralise
from riskkit.problems import ConfigError, visible

if TYPE_CHECKING:  # pragma: no cover
    from types import ModuleType

INSTALL = "pip install 'riskkit[xlsx]'"
SHEET = "Risks"


def openpyxl() -> ModuleType:
    """The openpyxl module, or a ConfigError (exit 2) that says how to install it."""
    try:
        import openpyxl as module
    except ImportError:
        raise ConfigError(f"reading and writing .xlsx needs openpyxl: {INSTALL}") from None
    return module


def _cell(value: Any) -> Any:
    if isinstance(value, str):  # XML cannot hold most control characters
        return neutralise(visible(value))
    return value


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive whose entries all carry one date (openpyxl writes entries by name,
    which would stamp them with the clock)."""

    stamp: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: Any,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: str | os.PathLike[str], arcname: str | os.PathLike[str] | None = None,
              compress_type: int | None = None, compresslevel: int | None = None) -> None:
        # openpyxl writes each sheet to a temporary file and adds it by path, which
        # would stamp the entry with that file's time: add its bytes under the stamp.
        with open(filename, "rb") as handle:
            self.writestr(os.fspath(arcname or filename), handle.read(), compress_type,
                          compresslevel)


def workbook_bytes(rows: Iterable[Sequence[Any]], as_of: dt.date, title: str = "") -> bytes:
    """A workbook of one sheet, ``Risks``: the header, then ``rows``; a number stays a
    number, a text cell is neutralised as in CSV (see ``rows.neutralise``)."""
    xl = openpyxl()
    from openpyxl.writer.excel import ExcelWriter

    book = xl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(header())
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "B2"
    when = dt.datetime(as_of.year, as_of.month, as_of.day)
    book.properties.created = book.properties.modified = when
    book.properties.creator = "riskkit"
    book.properties.title = visible(title) or None
    buffer = io.BytesIO()
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.stamp = (max(1980, as_of.year), as_of.month, as_of.day, 0, 0, 0)
    ExcelWriter(book, archive).save()  # save_workbook would stamp "modified" with now
    return buffer.getvalue()


def read_sheet(path: str, sheet: str | None) -> tuple[str, list[tuple[int, list[Any]]]]:
    """The rows of a sheet (the first unless ``sheet`` names one) as (row number,
    values); cell values as openpyxl reads them (text, numbers, dates)."""
    xl = openpyxl()
    from riskkit.problems import InputError, did_you_mean

    try:
        book = xl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise InputError(f"{path}: cannot read the workbook: {exc}") from None
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise InputError(f"{path}: no sheet {sheet!r}{did_you_mean(sheet, names)}; "
                             f"sheets: {', '.join(names)}")
        chosen = book[sheet] if sheet is not None else book[names[0]]
        out: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(chosen.iter_rows(values_only=True), 1):
            out.append((number, list(values)))
        return chosen.title, out
    finally:
        book.close()

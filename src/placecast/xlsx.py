"""Workbooks Placecast writes for people (the Excel error report, the budget workbook) start alike."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook as ReadBook

UNPACKED_LIMIT = 1_000_000_000  # bytes: a council's budget or a year's return as a workbook unpacks to a few MB


class WorkbookTooLarge(ValueError):
    """A workbook whose parts would unpack to more than :data:`UNPACKED_LIMIT`."""


def open_workbook(path: Path, data_only: bool = True) -> ReadBook:
    """A workbook opened to read (openpyxl's read-only mode), once the sizes its zip directory declares are
    known to come to at most :data:`UNPACKED_LIMIT` (a file of a few kB can unpack to many GB, which the
    reader would hold in memory); :class:`WorkbookTooLarge` when they do not."""
    with zipfile.ZipFile(path) as packed:
        size = sum(i.file_size for i in packed.infolist())
    if size > UNPACKED_LIMIT:
        raise WorkbookTooLarge(f"it unpacks to {size / 1e6:,.0f} MB, more than any workbook Placecast reads "
                               f"({UNPACKED_LIMIT / 1e6:,.0f} MB): check that it is the right file")
    return load_workbook(path, read_only=True, data_only=data_only)


def workbook_with_about(lines: Sequence[str]) -> Workbook:
    """A workbook whose first sheet, "About", explains it: a bold title line, then the text."""
    book = Workbook()
    about = book.active
    about.title = "About"
    for line in lines:
        about.append([line])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 120
    return book


def formulas_without_results(path: Path, sheets: Iterable[str]) -> list[tuple[str, int, int, str]]:
    """(sheet, row, column, formula) of every formula cell in ``sheets`` whose result is not saved in the file.

    Excel and LibreOffice save each formula's last result beside it, and Placecast reads that result. A
    workbook written by a program (openpyxl, a report generator) may hold the formula alone: read for its
    values, such a cell is blank, and a blank is "not given". The caller makes that an error.
    """
    formulas = open_workbook(path, data_only=False)
    values = open_workbook(path)
    found = []
    try:
        for title in sheets:
            if title not in formulas.sheetnames:
                continue
            rows = zip(formulas[title].iter_rows(), values[title].iter_rows(), strict=False)
            for f_row, v_row in rows:
                for f, v in zip(f_row, v_row, strict=False):
                    if getattr(f, "data_type", None) == "f" and v.value is None:
                        found.append((title, f.row, f.column, str(getattr(f.value, "text", f.value))))
    finally:
        formulas.close()
        values.close()
    return found


def as_text_not_formulas(book: Workbook) -> Workbook:
    """Every cell openpyxl took for a formula (any text beginning with '=') stored as the text it is.

    Placecast's workbooks hold no formulas of their own, but they hold text people typed: a budget line's
    name, a commentary, a value from an uploaded return, a user name typed at sign-in. Stored as a formula,
    such text would be run by Excel when the file is opened.
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    return book

"""Workbooks Placecast writes for people (the Excel error report, the budget workbook) start alike."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font


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

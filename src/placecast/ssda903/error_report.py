"""The Excel error report councils know from the DfE's validator: an error summary by rule and a
child summary, one row per finding.

Child ids are withheld unless the data owner asks for them (``show_child_ids``): each child then
appears as "child 1", "child 2"... in order of first finding, so a child's findings still group.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from placecast.ssda903.findings import RULES, Findings
from placecast.xlsx import as_text_not_formulas, workbook_with_about

ABOUT = [
    "Placecast validation report",
    "",
    "Error summary: one row per rule that found something, with the DfE's rule code where the DfE has one, "
    "Placecast's own rule id, the severity, how many rows it found, what it means and the fields it looks at.",
    "Child summary: one row per finding, with the file, the spreadsheet line (the header row is line 1; 0 means "
    "the whole file), the rule, the message saying what to do, the field and its value.",
    "Errors stop a return being used as it is; warnings are worth checking.",
]


def _fields(findings: Findings) -> dict[tuple[str, str], str]:
    fields: dict[tuple[str, str], set[str]] = {}
    for f in findings:
        fields.setdefault((f.dfe_rule, f.rule), set()).add(f.column)
    return {k: ", ".join(sorted(c for c in v if c)) for k, v in fields.items()}


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[object]], widths: list[int]) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    return sheet


def write_error_report(findings: Findings, path: Path, show_child_ids: bool = False) -> Path:
    """Write the error report to ``path`` (.xlsx), replacing it only once it is complete."""
    book = workbook_with_about(ABOUT)
    items = findings.sorted()
    counts = Counter((f.dfe_rule, f.rule, f.severity) for f in items)
    fields = _fields(items)
    summary = [[dfe or "-", rule, severity, n, RULES.get(rule, ("", "", rule))[2], fields[(dfe, rule)]]
               for (dfe, rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    _sheet(book, "Error summary", ["DfE rule", "Placecast rule", "severity", "count", "what it means", "fields"],
           summary, [10, 28, 10, 8, 70, 30])
    refs: dict[str, str] = {}
    rows = []
    for f in items:
        child = f.child if show_child_ids else (refs.setdefault(f.child, f"child {len(refs) + 1}") if f.child else "")
        value = f.value if show_child_ids or f.column != "CHILD" else "(withheld)"
        if show_child_ids and f.column == "CHILD":
            value = f.child
        rows.append([child, f.file, f.line, f.dfe_rule or "-", f.rule, f.severity, f.message, f.column, value])
    _sheet(book, "Child summary", ["child", "file", "line", "DfE rule", "Placecast rule", "severity", "message",
                                   "field", "value"], rows, [14, 50, 8, 10, 28, 10, 90, 20, 20])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".placecast-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        as_text_not_formulas(book).save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path

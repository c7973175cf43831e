"""Excel rendering (openpyxl): a first sheet explaining the workbook, the headline figures, one sheet per
table with numbers stored as numbers and real number formats, and the charts as images."""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from placecast.report.model import KINDS, RAG_SYMBOL, Report, Table, Text, display, is_blank
from placecast.xlsx import as_text_not_formulas

HEADER_FILL = "1F4E79"
RAG_FILL = {"Red": "F4C7C3", "Amber": "FDE9C4", "Green": "CFE8D0"}


def _value(value: object, kind: str) -> object:
    """What the cell stores: numbers as numbers (unrounded; the format rounds), words for RAG and arrows."""
    if is_blank(value):
        return None
    if kind in ("rag", "dot"):
        return display(value, kind)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", name)[:31] or "Sheet"
    out, i = base, 2
    while out.lower() in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out.lower())
    return out


def _table_sheet(wb, t: Table, name: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(name)
    ws["A1"] = t.title
    ws["A1"].font = Font(bold=True, size=13)
    if t.note:
        ws["A2"] = t.note
        ws["A2"].alignment = Alignment(wrap_text=False)
    header_row = 4
    for j, c in enumerate(t.columns, start=1):
        cell = ws.cell(header_row, j, c.label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = max([len(c.label) * 0.9] + [len(display(r.get(c.key), t.kind(r, c))) for r in t.rows[:200]] + [8])
        ws.column_dimensions[cell.column_letter].width = min(width + 2, 60)
    for i, row in enumerate(t.rows, start=header_row + 1):
        total = t.total_row and i == header_row + len(t.rows)
        for j, c in enumerate(t.columns, start=1):
            kind = t.kind(row, c)
            raw = row.get(c.key)
            cell = ws.cell(i, j, _value(raw, kind))
            if isinstance(cell.value, int | float) and not isinstance(raw, str):
                cell.number_format = KINDS[kind][0]
            elif kind == "date" and cell.value is not None and not isinstance(raw, str):
                cell.number_format = "dd/mm/yyyy"  # the dates councils write
            if kind == "rag" and str(raw) in RAG_FILL:
                cell.fill = PatternFill("solid", fgColor=RAG_FILL[str(raw)])
            if total:
                cell.font = Font(bold=True)
    if not t.rows:
        ws.cell(header_row + 1, 1, "None.")
    ws.freeze_panes = ws.cell(header_row + 1, 2)
    if t.rows:
        ws.auto_filter.ref = f"A{header_row}:{ws.cell(header_row + len(t.rows), len(t.columns)).coordinate}"
    _print_setup(ws, f"{header_row}:{header_row}")


def _print_setup(ws, title_rows: str | None = None) -> None:
    """Print set-up: A4 landscape, fitted to one page wide, the header row repeated, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if ws.max_row and ws.max_column:
        ws.print_area = f"A1:{ws.cell(ws.max_row, max(ws.max_column, 1)).coordinate}"
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&A: page &P of &N"


def _text_sheet(wb, name: str, title: str, blocks: list[tuple[str, list[str]]]) -> None:
    """A sheet of text: a title, then headed groups of paragraphs, each paragraph in one wrapped cell."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(name)
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 130
    row = 3
    for heading, paragraphs in blocks:
        if heading:
            ws.cell(row, 1, heading).font = Font(bold=True)
            row += 1
        for text in paragraphs or ["None."]:
            cell = ws.cell(row, 1, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * (1 + len(text) // 150)
            row += 1
        row += 1
    _print_setup(ws)


def _texts(section) -> list[str]:
    return [p for b in section.blocks if isinstance(b, Text) for p in b.paragraphs]


def _text_sheets(wb, report: Report) -> list[tuple[str, str]]:
    """Commentary, warnings, data quality and the model card as text sheets; returns (sheet, what) pairs."""
    by_id = {s.id: s for s in report.sections}
    commentary = [(s.title, [p for p in [s.intro, *_texts(s)] if p]) for s in report.sections
                  if s.id not in ("quality", "model") and (s.intro or _texts(s))]
    sheets = [("Commentary", "Commentary for each section, and on indicators that need it.", commentary),
              ("Warnings", "Warnings about this report.", [("", list(report.warnings))])]
    for ident, name in (("quality", "Data quality"), ("model", "Model card")):
        if ident in by_id:
            section = by_id[ident]
            sheets.append((name, section.title, [("", [p for p in [section.intro, *_texts(section)] if p])]))
    for name, title, blocks in sheets:
        _text_sheet(wb, name, f"{title}" if name != "Commentary" else "Commentary", blocks)
    return [(name, title) for name, title, _ in sheets]


def render_excel(report: Report, path: Path) -> Path:
    """The report as an Excel workbook: an About sheet, the headline, one sheet per table with
    number formats, and the charts as pictures."""
    import vl_convert as vlc
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    about = wb.active
    about.title = "About"
    used = {"about", "headline", "charts", "commentary", "warnings", "data quality", "model card"}
    names = {t.name: _sheet_name(t.name, used) for t in report.tables()}
    lines: list[tuple[str, object]] = [
        (f"{report.council}: {report.title}", None),
        (f"{report.quarter}, position at {report.as_at:%d/%m/%Y}", None),
        ("", None),
        ("This workbook holds the figures of the quarterly report, the same figures as its HTML and PDF versions "
         "(all three are made from one report model).", None),
        ("Numbers are stored unrounded as numbers, with a display format: money in the unit each table's title "
         "states (£000 as whole thousands, £m to one decimal place), percentages to one decimal place. Negative "
         "amounts show in brackets.", None),
        ("RAG ratings are words with a symbol (" + ", ".join(f"{s} {w}" for w, s in RAG_SYMBOL.items()) +
         ") as well as a colour; direction of travel is a word with an arrow.", None),
        ("", None), ("Sheets", None), ("Headline", "The headline figures."),
    ]
    lines += [(name, what) for name, what in (("Commentary", "Commentary for each section."),
                                              ("Warnings", "Warnings about this report."),
                                              ("Data quality", "Validation findings and repairs, in words."),
                                              ("Model card", "How the forecast was made and how well it backtests."))]
    lines += [(names[t.name], t.title) for t in report.tables()]
    if report.charts():
        lines.append(("Charts", "Every chart as a picture, with its description."))
    lines += [("", None), ("Warnings", None)] + [(w, None) for w in report.warnings or ["None."]]
    lines += [("", None), ("Provenance", None)] + [(n, None) for n in report.notes]
    lines.append((f"Made by Placecast on {datetime.now():%d/%m/%Y %H:%M}.", None))
    for i, (a, b) in enumerate(lines, start=1):
        about.cell(i, 1, a)
        if b is not None:
            about.cell(i, 2, b)
    about["A1"].font = Font(bold=True, size=14)
    for r in (8, len(lines)):
        about.cell(r, 1).font = Font(bold=True)
    about.column_dimensions["A"].width = 40
    about.column_dimensions["B"].width = 90

    head = wb.create_sheet("Headline")
    head.append(["Figure", "Value", "Unit / note"])
    for c in head[1]:
        c.font = Font(bold=True)
    for f in report.headline:
        head.append([f.label, _value(f.value, f.kind), f.note])
        head.cell(head.max_row, 2).number_format = KINDS[f.kind][0]
    head.column_dimensions["A"].width = 32
    head.column_dimensions["B"].width = 14
    head.column_dimensions["C"].width = 50

    _text_sheets(wb, report)
    for t in report.tables():
        _table_sheet(wb, t, names[t.name])

    if report.charts():
        ws = wb.create_sheet("Charts")
        row = 1
        for ch in report.charts():
            ws.cell(row, 1, ch.title).font = Font(bold=True, size=12)
            ws.cell(row + 1, 1, ch.alt).alignment = Alignment(wrap_text=False)
            png = vlc.vegalite_to_png(ch.spec, scale=1.5)
            img = Image(io.BytesIO(png))
            ws.add_image(img, f"A{row + 3}")
            row += 3 + int(img.height / 20) + 3
        _print_setup(ws)
    _print_setup(about)
    _print_setup(head, "1:1")
    as_text_not_formulas(wb).save(str(path))
    return Path(path)

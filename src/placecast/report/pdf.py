"""PDF rendering with WeasyPrint: the print version of the HTML (charts as inline SVG, so vector),
A4 landscape, page numbers, table headers repeated on every page a table spans."""

from __future__ import annotations

import logging
from pathlib import Path

from placecast.report.html import render_html
from placecast.report.model import Report


def render_pdf(report: Report, path: Path) -> Path:
    """The report as a PDF (A4 landscape, vector charts, page numbers), through WeasyPrint."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=render_html(report, interactive=False)).write_pdf(str(path))
    return Path(path)

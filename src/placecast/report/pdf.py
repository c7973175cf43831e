"""PDF rendering with WeasyPrint: the print version of the HTML (charts as SVG images, so vector),
A4 landscape, page numbers, table headers repeated on every page a table spans, tagged as PDF/UA-1."""

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
    # PDF/UA-1: a tagged PDF with the document's language and title, headings, table header cells,
    # figures with their alternative text, bookmarks from the headings and a reading order that follows the page
    HTML(string=render_html(report, interactive=False)).write_pdf(str(path), pdf_variant="pdf/ua-1")
    return Path(path)

"""Write the three renderings of a report into a folder, all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

from placecast.outputs import atomic_folder
from placecast.report.excel import render_excel
from placecast.report.html import render_html
from placecast.report.model import Report
from placecast.report.pdf import render_pdf


def report_stem(report: Report) -> str:
    quarter = re.sub(r"[^0-9A-Za-z]+", "-", report.quarter).strip("-")
    return f"placecast-report-{quarter}"


def write_report(report: Report, out: Path) -> dict[str, Path]:
    """``report.html``, ``report.pdf`` and ``report.xlsx`` (named by quarter) in ``out``; returns their paths."""
    stem = report_stem(report)
    written: list[Path] = []
    with atomic_folder(Path(out), written) as tmp:
        (tmp / f"{stem}.html").write_text(render_html(report), encoding="utf-8")
        render_pdf(report, tmp / f"{stem}.pdf")
        render_excel(report, tmp / f"{stem}.xlsx")
    return {ext: Path(out) / f"{stem}.{ext}" for ext in ("html", "pdf", "xlsx")}

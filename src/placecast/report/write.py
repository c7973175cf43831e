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
    """The report's file name without extension, e.g. placecast-report-2025-26-Q2."""
    quarter = re.sub(r"[^0-9A-Za-z]+", "-", report.quarter).strip("-")
    return f"placecast-report-{quarter}"


def write_report(report: Report, out: Path) -> dict[str, Path]:
    """``report.html``, ``report.pdf`` and ``report.xlsx`` (named by quarter) in ``out``; returns their paths.

    Parameters
    ----------
    report : the report model (:func:`~placecast.report.build_report`).
    out : the folder to write into (all three files or none).

    Returns
    -------
    dict[str, Path]
        ``{"html": ..., "pdf": ..., "xlsx": ...}``.

    Examples
    --------
    >>> write_report(report, Path("placecast-output"))["pdf"].name  # doctest: +SKIP
    'placecast-report-2025-26-Q2.pdf'
    """
    stem = report_stem(report)
    written: list[Path] = []
    with atomic_folder(Path(out), written) as tmp:
        (tmp / f"{stem}.html").write_text(render_html(report), encoding="utf-8")
        render_pdf(report, tmp / f"{stem}.pdf")
        render_excel(report, tmp / f"{stem}.xlsx")
    return {ext: Path(out) / f"{stem}.{ext}" for ext in ("html", "pdf", "xlsx")}

"""Write the three renderings of a report into a folder, all or nothing."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from placecast.outputs import atomic_folder
from placecast.report.excel import render_excel
from placecast.report.html import render_html
from placecast.report.model import Report
from placecast.report.pdf import render_pdf

if TYPE_CHECKING:
    from placecast.quarter.config import ReportConfig


def report_stem(report: Report) -> str:
    """The report's file name without extension, e.g. placecast-report-2025-26-Q2."""
    quarter = re.sub(r"[^0-9A-Za-z]+", "-", report.quarter).strip("-")
    return f"placecast-report-{quarter}"


def render_report(report: Report, folder: Path) -> dict[str, Path]:
    """Render ``report`` as HTML, PDF and Excel (named by quarter) into ``folder``, as they are made: for a
    folder that is itself moved into place whole (see :func:`write_report`)."""
    stem = report_stem(report)
    paths = {ext: Path(folder) / f"{stem}.{ext}" for ext in ("html", "pdf", "xlsx")}
    paths["html"].write_text(render_html(report), encoding="utf-8")
    render_pdf(report, paths["pdf"])
    render_excel(report, paths["xlsx"])
    return paths


def write_report(report: Report, out: Path, inputs: ReportConfig | None = None,
                 made: datetime | None = None) -> dict[str, Path]:
    """``report.html``, ``report.pdf`` and ``report.xlsx`` (named by quarter) in ``out``; returns their paths.

    Parameters
    ----------
    report : the report model (:func:`~placecast.report.build_report`).
    out : the folder to write into (every file or none).
    inputs : the configuration the report was made from: the record of its inputs is written beside the
        report (``...-inputs.zip``, :mod:`placecast.report.record`), in the same all-or-nothing step, so
        that an interrupted run never leaves a new report beside an earlier record or the other way round.
    made : when the record says the report was made (default: now).

    Returns
    -------
    dict[str, Path]
        ``{"html": ..., "pdf": ..., "xlsx": ...}``, and ``"inputs"`` with the record.

    Examples
    --------
    >>> write_report(report, Path("placecast-output"))["pdf"].name  # doctest: +SKIP
    'placecast-report-2025-26-Q2.pdf'
    """
    from placecast.report.record import write_inputs_record

    with atomic_folder(Path(out)) as tmp:
        names = {kind: path.name for kind, path in render_report(report, tmp).items()}
        if inputs is not None:
            names["inputs"] = f"{report_stem(report)}-inputs.zip"
            write_inputs_record(inputs, tmp / names["inputs"], made or datetime.now())
    return {kind: Path(out) / name for kind, name in names.items()}

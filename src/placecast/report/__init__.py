"""The quarterly Portfolio Performance and Resources report: one report model, three renderings
(self-contained HTML, PDF, Excel)."""

from placecast.quarter.config import ReportConfig, ReportConfigError, parse_quarter, read_commentary, read_config
from placecast.report.build import build_report, report_from_results
from placecast.report.excel import render_excel
from placecast.report.html import render_html
from placecast.report.model import Report
from placecast.report.pdf import render_pdf
from placecast.report.write import write_report

__all__ = ["Report", "ReportConfig", "ReportConfigError", "build_report", "parse_quarter", "read_commentary",
           "read_config", "render_excel", "report_from_results", "render_html", "render_pdf", "write_report"]

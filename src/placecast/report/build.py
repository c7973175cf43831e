"""Build the report model for a quarter: the quarter's results laid out as sections.

Every figure comes from :func:`placecast.quarter.run_quarter` (nothing is typed in), so the three
renderings agree with each other and with the CSV outputs of the individual commands.
"""

from __future__ import annotations

from collections.abc import Callable

from placecast.quarter import QuarterInputs, QuarterResults, ReportConfig, run_quarter
from placecast.quarter.run import quarter_date
from placecast.report.model import Report
from placecast.report.sections import SECTIONS
from placecast.report.sections import headline as headline_section

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def report_from_results(results: QuarterResults) -> Report:
    """The report model of a quarter's results: headline figures and every section in the registry.

    Examples
    --------
    >>> report = report_from_results(results)  # doctest: +SKIP
    >>> [s.id for s in report.sections][:3]  # doctest: +SKIP
    ['outturn', 'children', 'costs']
    """
    from placecast.kpi.rag import rules_in_effect

    with rules_in_effect(results.inputs.rules):  # the tables state the thresholds of the council's rules
        sections = [s for module in SECTIONS if (s := module.build(results)) is not None]
        warnings = list(results.warnings)
        for module in SECTIONS:
            warnings += getattr(module, "warnings", lambda _: [])(results)
    return Report(results.inputs.title, results.inputs.council, results.quarter, results.as_at,
                  headline_section.build(results), sections, warnings, list(results.notes), results)


def build_report(source: ReportConfig | QuarterInputs | QuarterResults, quarter: str | None = None,
                 progress: Progress = _quiet) -> Report:
    """The whole quarterly report for ``quarter`` (default: the configuration's) from a configuration,
    the quarter's inputs, or results already computed.

    Parameters
    ----------
    source : a report configuration, the quarter's inputs, or the quarter's results.
    quarter : ``2025-Q2`` or ``2025/26 Q2`` (default: the configuration's).
    progress : called with a short description before each step.

    Returns
    -------
    Report
        The report model; :func:`~placecast.report.write_report` renders it as HTML, PDF and Excel.

    Examples
    --------
    >>> report = build_report(read_config("report.yaml"), "2025-Q2")  # doctest: +SKIP
    >>> report.figure("Cash limit").value  # doctest: +SKIP
    Decimal('57610')
    """
    if isinstance(source, QuarterResults):
        return report_from_results(source)
    if isinstance(source, ReportConfig):
        quarter_date(quarter, source.quarter)  # a bad quarter is reported before any file is read
        progress("Reading and validating the inputs")
        source = QuarterInputs.from_config(source)
    results = run_quarter(source, quarter, progress)
    progress("Assembling the report")
    return report_from_results(results)

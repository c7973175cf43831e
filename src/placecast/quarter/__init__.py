"""The quarter as one library call: typed inputs -> run as at the quarter end -> frozen typed results.

>>> from placecast.quarter import QuarterInputs, run_quarter  # doctest: +SKIP
>>> results = run_quarter(QuarterInputs.from_config(read_config("report.yaml")), "2025-Q2")  # doctest: +SKIP
>>> results.outturn.headline()["deficit_after_reserves"]  # doctest: +SKIP

The CLI's ``report`` command, the demo and the report all go through :func:`run_quarter`.
"""

from placecast.quarter.config import (
    Benchmarking,
    CommentaryFile,
    ReportConfig,
    ReportConfigError,
    parse_quarter,
    read_commentary,
    read_config,
)
from placecast.quarter.inputs import QuarterInputs
from placecast.quarter.results import (
    CostResults,
    DataQuality,
    ForecastResults,
    IndicatorResults,
    QuarterResults,
    ScenarioOutcome,
)
from placecast.quarter.run import run_quarter

__all__ = ["Benchmarking", "CommentaryFile", "CostResults", "DataQuality", "ForecastResults", "IndicatorResults",
           "QuarterInputs", "QuarterResults", "ReportConfig", "ReportConfigError", "ScenarioOutcome", "parse_quarter",
           "read_commentary", "read_config", "run_quarter"]

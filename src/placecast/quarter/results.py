"""The quarter's results: frozen, typed, and what every front end (CLI, report, web) reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from placecast.finance.outturn import Outturn
from placecast.kpi.benchmarks import Benchmark
from placecast.kpi.definitions import Indicator, IndicatorValues
from placecast.model.backtesting import BacktestResult
from placecast.model.demand import DemandModel, Forecast
from placecast.programme.scenario import Scenario, ScenarioComparison
from placecast.programme.tracker import ProgrammeResults
from placecast.quarter.inputs import QuarterInputs
from placecast.ssda903.assemble import History


@dataclass(frozen=True)
class ForecastResults:
    """The fitted model, its Monte Carlo forecast and the model card's backtest (None if not asked for)."""

    model: DemandModel
    forecast: Forecast
    backtest: BacktestResult | None


@dataclass(frozen=True)
class CostResults:
    """Every run's placement cost by month and category (pence) and its summary by financial year."""

    run_costs: pd.DataFrame
    by_year: pd.DataFrame


@dataclass(frozen=True)
class ScenarioOutcome:
    """The recovery scenario as run (its own runs, seed and horizon), against the frozen baseline."""

    scenario: Scenario
    comparison: ScenarioComparison
    capacity: dict[str, int]


@dataclass(frozen=True)
class IndicatorResults:
    """Indicator definitions, the values computed from the history, and the derived RAG and direction."""

    definitions: dict[str, Indicator]
    values: dict[str, IndicatorValues]
    rated: pd.DataFrame
    computed: pd.DataFrame  # every indicator computed at the quarter end, with numerator and denominator
    previous_year_end: date
    two_years_ago: date


@dataclass(frozen=True)
class DataQuality:
    """Validation findings (rule, severity) and the repairs made when assembling the history."""

    findings: pd.DataFrame
    repairs: pd.DataFrame

    @property
    def errors(self) -> int:
        """The number of findings that are errors."""
        return int((self.findings["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        """The number of findings that are warnings."""
        return int((self.findings["severity"] != "error").sum())


@dataclass(frozen=True)
class QuarterResults:
    """Everything computed for one quarter, as known at its end.

    Examples
    --------
    >>> sorted(QuarterResults.__dataclass_fields__)[:4]
    ['as_at', 'costs', 'forecast', 'history']
    """

    inputs: QuarterInputs
    quarter: str  # "2025/26 Q2"
    as_at: date
    history: History  # the history as known at the quarter end
    forecast: ForecastResults
    costs: CostResults
    outturn: Outturn
    scenario: ScenarioOutcome
    programme: ProgrammeResults | None
    indicators: IndicatorResults
    quality: DataQuality
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # provenance: data, settings, seeds, and any setting the report chose

    @property
    def benchmark(self) -> Benchmark | None:
        """The statistical-neighbour benchmark, when the DfE statistics were given."""
        return self.inputs.benchmark

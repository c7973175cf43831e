"""The quarter as one library call: :func:`run_quarter` takes the inputs and a quarter, and returns the
frozen results. Each step is a short call into its package."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from placecast.errors import UnusableInputError
from placecast.finance.budget import check_budget_year, period_warning
from placecast.finance.calendar import fy_end, fy_start
from placecast.finance.forecast_cost import cost_runs, cost_summary
from placecast.finance.outturn import check_counts_every_child, check_data_cover_the_year, forecast_outturn
from placecast.model import DemandModel
from placecast.model.card import unknown_ages
from placecast.model.combine import projected
from placecast.model.settings import ForecastSettings, few_runs_warning
from placecast.quarter.config import parse_quarter
from placecast.quarter.inputs import QuarterInputs
from placecast.quarter.results import (
    CostResults,
    DataQuality,
    ForecastResults,
    IndicatorResults,
    QuarterResults,
    ScenarioOutcome,
)
from placecast.ssda903.assemble import History, known_at

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def quarter_date(quarter: str | None, default: str | None = None) -> tuple[str, date]:
    """The quarter's label and end date: ``quarter`` if given, else ``default`` (the configuration's)."""
    q = quarter or default
    if q is None:
        raise UnusableInputError("No quarter given: pass --quarter YYYY-Qn or add 'quarter:' to the configuration.")
    try:
        return parse_quarter(q)
    except ValueError as exc:
        raise UnusableInputError(str(exc)) from exc


def history_at(full: History, as_at: date) -> tuple[History, list[str], list[str]]:
    """The history as known at ``as_at``, with a warning when the data end before it."""
    warnings, notes = [], []
    if full.census_date < as_at:
        from placecast.finance.outturn import data_gap_warning

        history = full
        warnings.append(f"The data end on {full.census_date:%d/%m/%Y}, before the quarter end ({as_at:%d/%m/%Y}): "
                        "counts at the quarter end are forecast.")
        warnings.append(str(data_gap_warning(full.census_date, as_at)))
    else:
        history = known_at(full, as_at)
    notes.append(f"Care history: {full.census_date:%d/%m/%Y} census date, {len(full.years)} collection year(s); "
                 f"this report uses what was known on {history.census_date:%d/%m/%Y}.")
    return history, warnings, notes


def forecast_step(history: History, settings: ForecastSettings, as_at: date) -> ForecastResults:
    """Fit, forecast to the 31 March two years after the quarter's year end, and backtest."""
    model = DemandModel.from_settings(settings).fit(history)
    horizon_end = fy_end(fy_end(as_at) + timedelta(days=1) + timedelta(days=366))
    origin = model.origin_
    horizon = max((horizon_end.year - origin.year) * 12 + horizon_end.month - origin.month, 12)
    forecast, bt = projected(model, history, settings, horizon)
    return ForecastResults(model, forecast, bt)


def scenario_step(history: History, inputs: QuarterInputs) -> tuple[ScenarioOutcome, list[str]]:
    """The recovery scenario from the quarter end, with its file's runs, seed and horizon (notes say
    where the report's choices differ from the file)."""
    from placecast.programme.scenario import already_running, comparison_tables, run_scenarios

    scenario, notes = inputs.scenario, []
    if scenario.start is not None and scenario.start != history.census_date:
        notes.append(f"The recovery scenario file starts on {scenario.start:%d/%m/%Y}; the report runs it from "
                     f"the quarter's data ({history.census_date:%d/%m/%Y}).")
    if (scenario.runs, scenario.seed) != (inputs.settings.runs, inputs.settings.seed):
        notes.append(f"The recovery scenario uses its file's {scenario.runs:,} runs and seed {scenario.seed}; the "
                     f"forecast uses {inputs.settings.runs:,} runs and seed {inputs.settings.seed}.")
    if inputs.settings.combine != "none":
        notes.append("The recovery scenario compares the microsimulation with and without the programme's levers "
                     "(the same runs, so the difference is the levers'); the forecast and outturn use the "
                     "microsimulation pooled with 'no change' (see the model card).")
    scenario = dataclasses.replace(scenario, start=history.census_date)
    notes += [n for n in (already_running(scenario, history.census_date),) if n]
    baseline, results = run_scenarios(history, [scenario], inputs.unit_costs)
    capacity = inputs.capacity or scenario.capacity
    return ScenarioOutcome(scenario, comparison_tables(baseline, results, capacity), capacity), notes


def indicator_step(history: History, inputs: QuarterInputs, as_at: date, forecast: ForecastResults
                   ) -> tuple[IndicatorResults, list[str]]:
    """Indicators at the quarter end, the previous year end and the one before, rated by the rules."""
    from placecast.kpi import compute_indicators, rate_table
    from placecast.kpi.computed import forecast_indicators, population_warning, why_not_computed
    from placecast.kpi.definitions import IndicatorValues, scale_warnings

    prev_ye = fy_start(as_at) - timedelta(days=1)
    two_ye = prev_ye.replace(year=prev_ye.year - 1)
    pop = inputs.population_0_17
    frames = {when: compute_indicators(history.episodes, when, pop).set_index("id") for when in (as_at, prev_ye)}
    said = population_warning(int(frames[as_at].loc["CLA", "value"]), pop)  # 60 for 60,000: an error or a warning
    first = history.first_day
    last_year = as_at.replace(year=as_at.year - 1)  # the same period last year (quarter ends are never 29 Feb)
    for when in {two_ye, last_year} - set(frames):
        frames[when] = compute_indicators(history.episodes, when, pop).set_index("id") if when >= first \
            else pd.DataFrame(columns=["value"])
    table = forecast.forecast.table()
    year_end = table[(table["date"] == fy_end(as_at).isoformat()) & (table["category"] == "total")]
    forecasts = forecast_indicators(float(year_end["mean"].iloc[0]), pop) \
        if len(year_end) and as_at < fy_end(as_at) else {}

    def value(when: date, ident: str) -> float | None:
        frame = frames[when]
        v = float(frame.loc[ident, "value"]) if ident in frame.index else float("nan")
        return None if v != v else v

    values, warnings = {}, [said] if said else []
    for ident in inputs.indicators:
        if ident not in frames[as_at].index:
            if ident in inputs.values:
                values[ident] = inputs.values[ident]
                warnings += given_value_warnings(inputs.values[ident], as_at, inputs.values_source)
            else:
                warnings.append(f"Indicator {ident} is left out: {why_not_computed(ident)} (its values from the "
                                "council's other systems may be given in the indicator values file).")
            continue
        if ident in inputs.values:
            warnings.append(f"Indicator {ident} is computed from the SSDA903 returns; the values given for it in "
                            f"{Path(inputs.values_source).name} are not used.")
        row = frames[as_at].loc[ident]
        values[ident] = IndicatorValues(ident, value(two_ye, ident), value(prev_ye, ident), value(as_at, ident),
                                        as_at, forecasts.get(ident), float(row["numerator"]),
                                        None if pd.isna(row["denominator"]) else float(row["denominator"]),
                                        same_period_last_year=value(last_year, ident))
    warnings += scale_warnings(inputs.indicators, values)
    rated = rate_table(inputs.indicators, values)
    return IndicatorResults(inputs.indicators, values, rated, frames[as_at].reset_index(), prev_ye, two_ye), warnings


def given_value_warnings(given, as_at: date, source: str) -> list[str]:
    """A value from the council's other systems that is not at the quarter end: last quarter's figure left in
    the file would be shown, and rated, as this quarter's."""
    source = Path(source).name
    if given.current_date is not None and given.current_date != as_at:
        return [f"Indicator {given.id}: its current value in {source} is at {given.current_date:%d/%m/%Y}, not the "
                f"quarter end {as_at:%d/%m/%Y}: it is shown as given; update the file if it is last quarter's."]
    if given.current is None:
        return [f"Indicator {given.id}: {source} gives no current value for it."]
    return []


def run_quarter(inputs: QuarterInputs, quarter: str | None = None, progress: Progress = _quiet) -> QuarterResults:
    """Run the quarter as known at its end: forecast, costs, outturn, scenario, programme, indicators.

    Parameters
    ----------
    inputs : what the quarter is computed from (:meth:`QuarterInputs.from_config` reads it from files).
    quarter : ``2025-Q2`` or ``2025/26 Q2`` (default: the inputs').
    progress : called with a short description before each step.

    Returns
    -------
    QuarterResults
        Frozen, typed results; the report, the CLI and the web app read them.

    Examples
    --------
    >>> from placecast.quarter import QuarterInputs, read_config
    >>> results = run_quarter(QuarterInputs.from_config(read_config("report.yaml")), "2025-Q2")  # doctest: +SKIP
    >>> results.outturn.headline()["deficit_after_reserves"]  # doctest: +SKIP
    604
    """
    from placecast.kpi.rag import rules_in_effect

    with rules_in_effect(inputs.rules):  # the council's own RAG rules, if it gave them
        return _run_quarter(inputs, quarter, progress)


def _run_quarter(inputs: QuarterInputs, quarter: str | None, progress: Progress) -> QuarterResults:
    label, as_at = quarter_date(quarter, inputs.quarter)
    check_budget_year(inputs.budget.model, as_at, "The budget",
                      "give the budget for {position}, or a quarter in {budget}")
    check_data_cover_the_year(inputs.history.first_day, as_at)
    inputs.unit_costs.check_in_force(fy_start(as_at), "the days of the quarter's financial year")
    check_counts_every_child(inputs.settings.uasc, "The quarter's forecast", "remove uasc from the forecast "
                             "settings ('placecast forecast --uasc' forecasts the groups apart)", inputs.settings.ages)
    progress("Reading the care history as known at the quarter end")
    history, warnings, notes = history_at(inputs.history, as_at)
    warnings += [w for w in (period_warning(inputs.budget.model, as_at),) if w]
    logger.info("%s, position at %s: the care history holds %s episodes of %s children; it is used as known on %s.",
                label, f"{as_at:%d/%m/%Y}", f"{len(history.episodes):,}", f"{history.episodes['child_id'].nunique():,}",
                f"{history.census_date:%d/%m/%Y}")
    progress(f"Forecasting children in care ({inputs.settings.runs:,} runs) and backtesting")
    forecast = forecast_step(history, inputs.settings, as_at)
    model = forecast.model
    warnings += [note for note in (unknown_ages(model), few_runs_warning(inputs.settings.runs)) if note]
    logger.info("Fitted on %s to %s with %s children in care at the start; forecast %s months ahead; backtest at %s "
                "origin(s).", f"{model.fit_window_[0]:%d/%m/%Y}", f"{model.fit_window_[1]:%d/%m/%Y}",
                f"{len(model.stock_):,}", forecast.forecast.counts.sizes["month_end"] - 1,
                len(forecast.backtest.origins) if forecast.backtest else 0)
    progress("Costing the forecast and the outturn")
    run_costs = cost_runs(forecast.forecast.run_days(), inputs.unit_costs)
    costs = CostResults(run_costs, cost_summary(run_costs, "financial_year"))
    outturn = forecast_outturn(inputs.budget, as_at, inputs.unit_costs, commitments=inputs.commitments,
                               run_costs=run_costs, history_episodes=history.episodes)
    warnings += outturn.warnings()
    if inputs.commitments is not None and (said := inputs.commitments.price_warning(inputs.unit_costs, as_at)):
        warnings.append(f"The commitments register: {said}")
    logger.info("Outturn: computed components %s.", ", ".join(f"{k} {'-' if v < 0 else ''}£{abs(v):,.0f}"
                                                             for k, v in outturn.sources.items())
                or "none")
    progress("Running the recovery scenario and tracking the programme")
    scenario, scenario_notes = scenario_step(history, inputs)
    programme = None
    if inputs.plan is not None:
        from placecast.programme.plan import saving_warnings
        from placecast.programme.tracker import programme_tables

        plan = inputs.plan
        warnings += plan.warnings() + saving_warnings(plan, inputs.unit_costs)
        programme = programme_tables(plan, as_at, history if plan.approved else None, inputs.unit_costs,
                                     inputs.settings, forecast.forecast)
    progress("Rating indicators")
    indicators, indicator_warnings = indicator_step(history, inputs, as_at, forecast)
    s = inputs.settings
    notes += [*scenario_notes, f"Forecast: {s.runs:,} runs, seed {s.seed}; backtest {s.backtest_runs} runs; "
              f"recovery scenario file {scenario.scenario.file_hash}."]
    return QuarterResults(inputs, label, as_at, history, forecast, costs, outturn, scenario, programme, indicators,
                          DataQuality(inputs.findings, inputs.history.repairs),
                          (*warnings, *indicator_warnings, *inputs.warnings), tuple(notes))

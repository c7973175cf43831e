"""The end-to-end demo: a synthetic council taken through every capability that exists."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console

from placecast.outputs import write_tables

DEMO_KEY = "placecast-demo-key-synthetic-data-only"


def run_demo(out_dir: Path, seed: int, console: Console) -> None:
    """Synthesise a council, validate its returns, ingest them, store them and print the summary."""
    from placecast.ssda903 import (
        assemble,
        load_taxonomy,
        read_returns,
        summarise,
        validate_returns,
        write_history,
    )
    from placecast.store import Store
    from placecast.synth import SynthSettings, simulate, write_returns

    started = time.perf_counter()
    out_dir = Path(out_dir)
    returns_dir = out_dir / "returns"
    history_dir = out_dir / "history"
    key = os.environ.get("PLACECAST_KEY", DEMO_KEY).encode()
    tax = load_taxonomy()
    with console.status("1/7 Simulating a council of about 500 children in care over 5 years..."):
        result = simulate(SynthSettings(children_in_care=500, years=5, end_year=2025, seed=seed))
        write_returns(result, returns_dir)
    console.print(f"1/7 Synthetic returns written to {returns_dir}")
    with console.status("2/7 Validating..."):
        returns = read_returns([returns_dir])
        validated = validate_returns(returns)
    console.print(f"2/7 Validated {len(returns.files)} files: {len(validated.findings.errors)} errors, "
                  f"{len(validated.findings.warnings)} warnings")
    with console.status("3/7 Assembling and storing the history..."):
        history = assemble(validated, key, tax)
        store = Store(f"sqlite:///{(out_dir / 'placecast.sqlite').resolve()}")
        store.import_dataset(returns.files, history, validated.findings)
        write_history(history, validated.findings, history_dir)
    console.print(f"3/7 History: {len(history.episodes):,} episodes, {history.episodes['child_id'].nunique():,} "
                  f"children, {len(history.repairs)} repairs -> {history_dir}")
    summary = summarise(history, tax)
    summary.to_csv(out_dir / "summary.csv", index=False)
    from placecast.presentation import summary_table

    table = summary_table(summary, tax.categories, "4/7 Children looked after at 31 March")
    console.print(table)
    forecast_dir = out_dir / "forecast"
    with console.status("5/7 Forecasting 24 months ahead (1,000 Monte Carlo runs) and backtesting..."):
        from placecast.model import DemandModel, backtest, write_forecast

        model = DemandModel(n_runs=1000, random_state=seed).fit(history)
        forecast = model.project(24)
        bt = backtest(history, n_runs=200, random_state=seed)
        table = forecast.table()
        write_forecast(forecast_dir, model, forecast, bt)
    end = table[(table["date"] == table["date"].max()) & (table["category"] == "total")].iloc[0]
    console.print(f"5/7 Forecast: {len(model.stock_):,} children in care at {model.origin_.date()}, "
                  f"{end['mean']:,.0f} expected at {end['date']} (80% range {end['p10']:,.0f}-{end['p90']:,.0f}). "
                  f"{bt.summary_text(12)}")
    from importlib import resources

    from placecast.finance import cost_runs, cost_summary, default_unit_costs
    from placecast.kpi import compute_indicators
    from placecast.programme.scenario import comparison_tables, read_scenario, run_scenarios

    with console.status("6/7 Costing the forecast and running the default recovery scenario..."):
        costed = cost_runs(forecast.run_days(), default_unit_costs())
        by_year = cost_summary(costed, "financial_year").round(0)
        by_year.to_csv(forecast_dir / "cost_by_year.csv", index=False)
        scenario_file = resources.files("placecast.programme").joinpath("default_scenario.yaml")
        with resources.as_file(scenario_file) as path:
            scenario = read_scenario(path)
        baseline, results = run_scenarios(history, [scenario])
        scenario_dir = out_dir / "scenario"
        tables = comparison_tables(baseline, results, scenario.capacity)
        write_tables(scenario_dir, tables)
    first_fy = by_year[by_year["category"] == "total"].iloc[0]
    money = tables["cost_by_year.csv"]
    avoided = money[money["scenario"] == scenario.name]
    console.print(f"6/7 Placement cost {first_fy['financial_year']}: £{first_fy['p50_gbp'] / 1e6:,.1f}m "
                  f"(80% range £{first_fy['p10_gbp'] / 1e6:,.1f}m-£{first_fy['p90_gbp'] / 1e6:,.1f}m). "
                  f"'{scenario.name}' avoids £{avoided['avoided_mean'].sum() / 1e6:,.1f}m over "
                  f"{scenario.horizon_months} months before £{avoided['delivery_cost'].sum() / 1e6:,.1f}m of delivery "
                  "costs.")
    with console.status("7/7 Computing indicators..."):
        now = history.census_date
        indicators = compute_indicators(history.episodes, now)
        indicators.to_csv(out_dir / "indicators.csv", index=False)
        year_ago = compute_indicators(history.episodes, now.replace(year=now.year - 1)).set_index("id")
    ind = indicators.set_index("id")
    console.print(f"7/7 Children looked after {int(ind.loc['CLA', 'value']):,} at {now} "
                  f"({int(year_ago.loc['CLA', 'value']):,} a year before); {ind.loc['FOSTER', 'value']:.1f}% fostered; "
                  f"{int(ind.loc['EXT_RES_N', 'value'])} in external residential care.")
    console.print(f"Done in {time.perf_counter() - started:.1f} s. Outputs in {out_dir.resolve()}:")
    for p in (returns_dir, history_dir, out_dir / "summary.csv", forecast_dir, scenario_dir, out_dir / "indicators.csv",
              out_dir / "placecast.sqlite"):
        console.print(f"  {p}")

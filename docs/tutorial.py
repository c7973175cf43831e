"""Tutorial: from SSDA903 returns to the forecast outturn, in Python.

Run it with ``python docs/tutorial.py [FOLDER]`` (the test suite runs it too). It makes a synthetic
council's returns in FOLDER (a temporary folder by default) so that it runs anywhere; with a council's
own returns, start at step 2 and point ``read_returns`` at their folder (one folder per collection
year, named by the year the collection ends: ``2025/`` holds 1 April 2024 to 31 March 2025).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from importlib import resources
from pathlib import Path

import placecast
from placecast.synth import SynthSettings, simulate, write_returns


def main(folder: Path) -> dict[str, object]:
    # 1. Some returns to work with: a synthetic council of about 300 children in care, four years.
    returns = folder / "returns"
    write_returns(simulate(SynthSettings(children_in_care=300, years=4, end_year=2026, seed=3)), returns)

    # 2. Read and validate the returns. Every finding names its file, line, column and value.
    read = placecast.read_returns([returns])
    validated = placecast.validate([returns])
    print(f"{len(read.files)} files; {len(validated.findings.errors)} errors, "
          f"{len(validated.findings.warnings)} warnings")

    # 3. Assemble the care history. Child ids are pseudonymised with a key you keep with the data.
    history = placecast.assemble(validated, b"tutorial-key-keep-it-with-the-data")
    as_at = date(2025, 9, 30)
    print(placecast.summarise(history).tail(3).to_string(index=False))

    # 4. Forecast children in care from the quarter end, with settings checked in one place.
    settings = placecast.ForecastSettings(runs=300, seed=1, horizon_months=18)
    model = placecast.DemandModel.from_settings(settings).fit(history, as_at)
    forecast = model.project(settings.horizon_months)
    table = forecast.table()
    year_end = table[(table["date"] == "2026-03-31") & (table["category"] == "total")].iloc[0]
    print(f"Forecast at 31/03/2026: {year_end['mean']:.0f} children in care "
          f"(80% range {year_end['p10']:.0f} to {year_end['p90']:.0f})")
    # The arrays are labelled: runs x month ends x placement categories.
    external = forecast.counts.sel(category="residential_external").mean("run")
    print(f"External residential care at the horizon: {float(external[-1]):.1f}")

    # 5. Cost every run's placement-days at the weekly unit costs (day-counted, exact).
    rates = placecast.default_unit_costs()
    run_costs = placecast.cost_runs(forecast.run_days(), rates)
    by_year = placecast.cost_summary(run_costs, "financial_year")
    print(by_year[by_year["category"] == "total"][["financial_year", "mean_gbp", "p10_gbp", "p90_gbp"]]
          .round(0).to_string(index=False))

    # 6. The forecast outturn: a budget whose placements line is computed from the data.
    budget = placecast.read_budget_input(Path(str(resources.files("placecast.report").joinpath(
        "defaults", "demo_budget.yaml"))))
    outturn = placecast.forecast_outturn(budget, as_at, rates, run_costs=run_costs,
                                         history_episodes=history.episodes)
    head = outturn.headline()
    print(f"Cash limit £{head['cash_limit']:,}k; forecast outturn £{head['forecast_outturn']:,}k; "
          f"(surplus)/deficit after reserves £{head['deficit_after_reserves']:,}k")
    return {"history": history, "forecast": forecast, "outturn": outturn, "headline": head}


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))

"""Children in care under one and aged 1-4: the demand model's forecast 12 months ahead (400 runs, by age)
against the history, at origins 31/03/2023 and 31/03/2024, for the returns folders given (for example
synthetic councils from ``placecast synth --children-in-care 600 --seed S``).

Run: ``.venv/bin/python benchmarks/bench_entry_ages.py FOLDER [FOLDER ...]``; prints a row per council and
origin (council, origin, actual under one, forecast, actual 1-4, forecast) and the means over them.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.model import DemandModel
from placecast.model.settings import ForecastSettings
from placecast.ssda903 import ingest

ORIGINS = (date(2023, 3, 31), date(2024, 3, 31))
YEAR = 365.25


def actual_by_age(episodes: pd.DataFrame, day: date) -> tuple[int, int]:
    """Children in care on ``day`` under one, and aged 1-4."""
    d = pd.Timestamp(day)
    live = episodes[(episodes["start"] <= d) & (episodes["end"].isna() | (episodes["end"] > d))]
    age = (d - pd.to_datetime(live.drop_duplicates("child_id")["dob"])).dt.days
    return int((age < YEAR).sum()), int(((age >= YEAR) & (age < 5 * YEAR)).sum())


def forecast_by_age(history, origin: date) -> tuple[float, float]:
    """The mean forecast under one and aged 1-4, 12 months after ``origin``."""
    model = DemandModel.from_settings(ForecastSettings(runs=400, horizon_months=12, backtest_runs=0)).fit(history,
                                                                                                          origin)
    table = model.project(12, n_runs=400, by_age=True).age_table()
    end = table[table["date"] == table["date"].max()].set_index("age_band")["mean"]
    return float(end["0"]), float(end["1-4"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path)
    rows = []
    for folder in parser.parse_args().folders:
        history, _ = ingest([folder], b"bench-entry-ages")
        for origin in ORIGINS:
            under_one, one_to_four = actual_by_age(history.episodes, date(origin.year + 1, 3, 31))
            f_under_one, f_one_to_four = forecast_by_age(history, origin)
            rows.append((under_one, f_under_one, one_to_four, f_one_to_four))
            print(folder.name, origin.isoformat(), under_one, round(f_under_one, 1), one_to_four,
                  round(f_one_to_four, 1))
    mean = np.array(rows, dtype=float).mean(axis=0).round(1)
    print(f"means: under one {mean[0]} actual, {mean[1]} forecast; aged 1-4 {mean[2]} actual, {mean[3]} forecast")


if __name__ == "__main__":
    main()

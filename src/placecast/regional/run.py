"""A region's forecast from its councils' returns: each council validated, assembled, fitted and forecast
on its own (its own findings and pseudonyms), as Dask tasks; the region is the sum of the councils' runs,
so its intervals come from summed runs, never from summed quantiles.

Every council is forecast from the same start (the earliest census date among them, unless given) with
its own seed, ``council_seed(seed, name)``: ``placecast forecast COUNCIL --seed <that seed> --start
<start>`` gives the same figures for the council alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placecast.distributed import run_tasks
from placecast.errors import UnusableInputError
from placecast.finance.unit_costs import UnitCosts
from placecast.model.combine import POOLED, pooling
from placecast.model.demand import Forecast
from placecast.model.settings import ForecastSettings


def council_seed(seed: int, name: str) -> int:
    """The seed of council ``name`` in a region run with ``seed``: its own stream, so councils' runs are
    independent, and reproducible alone.

    >>> council_seed(42, "Barnsley") == council_seed(42, "Barnsley") != council_seed(42, "Bolton")
    True
    """
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:4], "big")


@dataclass(frozen=True)
class CouncilResult:
    """One council's forecast, with its data's census date and what validation found."""

    name: str
    seed: int
    census_date: date
    children_now: int
    errors: int
    warnings: int
    forecast: Forecast


def _council_task(settings: ForecastSettings, start: date | None, by_age: bool, item: tuple[str, Path, int]
                  ) -> tuple[str, date, int, int, int, Forecast]:
    """Read, validate, assemble, fit and forecast one council (in a worker)."""
    import secrets

    from placecast.model import DemandModel
    from placecast.model.combine import projected
    from placecast.ssda903 import check_usable, folder_findings, ingest, is_history_folder, read_history

    name, path, seed = item
    if is_history_folder(path):
        check_usable(folder_findings(path), f"council {name} ({path})")
        history, errors, warnings = read_history(path), 0, 0
    else:  # returns: pseudonymised with a key of their own that never leaves this task
        history, validated = ingest([path], secrets.token_bytes(32))
        found = validated.findings
        check_usable(found, f"council {name} ({path})")
        errors, warnings = len(found.errors), len(found.warnings)
    own = settings.model_copy(update={"seed": seed})
    model = DemandModel.from_settings(own).fit(history, start)
    forecast, _ = projected(model, history, own, settings.horizon_months, by_age)
    return name, history.census_date, forecast.children_at_start, errors, warnings, forecast


def summed(forecasts: list[Forecast]) -> Forecast:
    """The forecast of a group of councils: their runs added run by run (same start, horizon and runs)."""
    categories = list(dict.fromkeys(c for f in forecasts for c in f.categories))
    dates = forecasts[0].dates
    counts = sum(f.counts.reindex(category=categories, fill_value=0).to_numpy() for f in forecasts)
    days = sum(f.placement_days.reindex(category=categories, fill_value=0).to_numpy() for f in forecasts)
    ages = None
    age_arrays = [f.age_array for f in forecasts if f.age_array is not None]
    if len(age_arrays) == len(forecasts):
        ages = np.sum(age_arrays, axis=0)
    settings = dict(forecasts[0].settings)
    if any(pooling(f) for f in forecasts):
        settings[POOLED] = ("Each council's forecast combines its microsimulation with 'no change', "
                                             "weighted by that council's own backtest.")
    return Forecast.from_arrays(dates, categories, np.asarray(counts), np.asarray(days), settings,
                                None if ages is None else np.asarray(ages))


@dataclass(frozen=True)
class RegionalResults:
    """Per council and for the region: children in care by category with intervals, cost by financial year,
    beds needed against the regional capacity, and each council's validation findings."""

    start: date
    councils: list[CouncilResult]
    region: Forecast
    unit_costs: UnitCosts
    capacity: dict[str, int] = field(default_factory=dict)
    own_costs: dict[str, UnitCosts] = field(default_factory=dict)  # councils priced at their own unit costs

    def priced_by(self, council: str) -> UnitCosts:
        """The unit costs council ``council`` is costed at: its own when given, else the region's."""
        return self.own_costs.get(council, self.unit_costs)

    def children(self) -> pd.DataFrame:
        """``council, date, category, mean, p05, p10, p50, p90, p95``: each council and the region."""
        parts = [r.forecast.table().assign(council=r.name) for r in self.councils]
        parts.append(self.region.table().assign(council="Region"))
        frame = pd.concat(parts, ignore_index=True)
        return frame[["council", *[c for c in frame.columns if c != "council"]]]

    def costs(self) -> pd.DataFrame:
        """Cost by financial year and category (pounds; mean and P10/P50/P90 over runs): councils and region.
        Each council is costed at its own unit costs (:meth:`priced_by`) and the region's runs are the
        councils' costed runs added run by run."""
        from placecast.finance.forecast_cost import cost_array_by_year, summary_of_cost_array

        categories = list(self.region.categories)
        parts, region, labels = [], np.zeros(0), list[str]()
        for r in self.councils:
            f = r.forecast
            labels, cost = cost_array_by_year(f.days_array, [d.date() for d in f.month_ends[1:]], list(f.categories),
                                              self.priced_by(r.name))
            parts.append(summary_of_cost_array(labels, list(f.categories), cost).assign(council=r.name))
            if not region.size:
                region = np.zeros((*cost.shape[:2], len(categories)))
            region[:, :, [categories.index(c) for c in f.categories]] += cost
        parts.append(summary_of_cost_array(labels, categories, region).assign(council="Region"))
        frame = pd.concat(parts, ignore_index=True)
        return frame[["council", *[c for c in frame.columns if c != "council"]]]

    def beds(self) -> pd.DataFrame:
        """Beds the region needs of each type with capacity (the peak over the horizon, P50 and P90) and the
        shortfall at P90."""
        rows = []
        for category, capacity in self.capacity.items():
            p50, p90 = self.region.peak_beds(category)
            rows.append({"category": category, "capacity": capacity, "needed_p50": p50, "needed_p90": p90,
                         "shortfall_p90": max(0, p90 - capacity)})
        return pd.DataFrame(rows, columns=["category", "capacity", "needed_p50", "needed_p90", "shortfall_p90"])

    def councils_table(self) -> pd.DataFrame:
        """One row per council: seed, the census date its data reach, children in care at the region's start,
        validation errors and warnings."""
        return pd.DataFrame([{"council": r.name, "seed": r.seed, "census_date": r.census_date.isoformat(),
                              "start": self.start.isoformat(), "children_at_start": r.children_now,
                              "errors": r.errors, "warnings": r.warnings} for r in self.councils])

    def later_data(self, advice: str = "Add their later returns, leave them out with --councils, or forecast them "
                                       "alone.") -> str | None:
        """Councils whose data go beyond the region's start (the earliest council's census date, so that every
        council's runs start together): their later months are forecast, not used, with ``advice`` on what to
        do. None when all agree."""
        later = [r for r in self.councils if r.census_date > self.start]
        if not later:
            return None
        behind = [r.name for r in self.councils if r.census_date <= self.start]
        ends = sorted({r.census_date for r in later})
        text = (f"{', '.join(r.name for r in later)} {'has' if len(later) == 1 else 'have'} data to "
                f"{ends[-1]:%d/%m/%Y}, but the region is forecast "
                f"from {self.start:%d/%m/%Y}, so their months after it are forecast, not taken from their returns")
        if not behind:
            return f"{text} (the start asked for)."
        return f"{text}: the data of {', '.join(behind)} end there. {advice}"

    def mixed_categories(self) -> str | None:
        """Councils that group placements in different categories (a council's own taxonomy with solo
        residential homes apart, where the others count them as residential): the region's figures for a
        category would add children each council counts differently. None when all agree."""
        sets = {r.name: set(r.forecast.categories) for r in self.councils}
        every = set.intersection(*sets.values()) if sets else set()
        odd = {name: sorted(cats - every) for name, cats in sets.items() if cats - every}
        if not odd:
            return None
        told = "; ".join(f"{name} has {', '.join(cats)}" for name, cats in odd.items())
        return (f"The councils group placements in different categories ({told}; the other councils count those "
                "children in their other categories), so the region's figures by category add children each council "
                "counts differently. Assemble every council with the same taxonomy for figures by category that "
                "compare; the totals are not affected.")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables ``placecast region`` writes, by file name: children to two decimals (as ``forecast.csv``),
        money to whole pounds (as ``placecast costs``), rounded here, once, for presentation."""
        out = {"region_councils.csv": self.councils_table(), "region_children.csv": self.children().round(2),
               "region_cost_by_year.csv": self.costs().round(0)}
        if self.capacity:
            out["region_beds.csv"] = self.beds()
        if self.region.age_counts is not None:
            parts = [r.forecast.age_table().assign(council=r.name) for r in self.councils]
            out["region_children_by_age.csv"] = pd.concat([*parts, self.region.age_table().assign(council="Region")],
                                                          ignore_index=True).round(2)
        return out


def _common_start(folders: dict[str, Path]) -> date:
    """The earliest census date among the councils (a common start, so their runs can be added)."""
    from placecast.ssda903 import is_history_folder
    from placecast.ssda903.history_io import census_date_of
    from placecast.ssda903.read import discover

    dates = []
    for path in folders.values():
        if is_history_folder(path):  # the census date from the manifest (the history is read in the task)
            dates.append(census_date_of(path))
        else:  # the collection years from the folders' names: the tables are read once, in the council's task
            dates.append(date(max(year for _, year in discover([path])), 3, 31))
    return min(dates)


def regional_forecast(folders: dict[str, Path], settings: ForecastSettings, unit_costs: UnitCosts,
                      start: date | None = None, capacity: dict[str, int] | None = None, client: Any = None,
                      by_age: bool = False, own_costs: dict[str, UnitCosts] | None = None,
                      progress: Callable[[str], None] | None = None) -> RegionalResults:
    """Forecast each council in ``folders`` (name -> returns or ingest folder) and the region; councils in
    ``own_costs`` are costed at their own unit costs, the others at ``unit_costs``. ``progress`` is told
    which council is being forecast (in this process, without a Dask client)."""
    start = start or _common_start(folders)
    own_costs = dict(own_costs or {})
    unknown = sorted(set(own_costs) - set(folders))
    if unknown:
        raise UnusableInputError(f"unit costs given for {', '.join(unknown)}, which are not among the councils "
                                 f"({', '.join(folders)}).")
    for name, costs in [("the region", unit_costs), *own_costs.items()]:
        costs.check_in_force(start + timedelta(days=1), f"the forecast's days ({name})")
    items = [(name, path, council_seed(settings.seed, name)) for name, path in folders.items()]
    forecast = partial(_council_task, settings, start, by_age)
    task: Callable[[tuple[str, Path, int]], Any] = forecast
    if progress is not None and client is None:
        told, names = progress, [name for name, _, _ in items]

        def task(item: tuple[str, Path, int]) -> Any:
            told(f"Forecasting {item[0]} ({names.index(item[0]) + 1} of {len(names)} councils)")
            return forecast(item)
    done = run_tasks(client, task, items)
    councils = [CouncilResult(name, seed, census, now, errors, warnings, fc)
                for (name, _, seed), (_, census, now, errors, warnings, fc) in zip(items, done, strict=True)]
    region = summed([c.forecast for c in councils])
    return RegionalResults(start, councils, region, unit_costs, dict(capacity or {}), own_costs)

"""The national forecast as one call: read the DfE's tables, forecast every council as Dask tasks, and
sum the councils' runs into regions and England."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placecast.distributed import run_tasks
from placecast.national.backtest import NationalBacktest, backtest
from placecast.national.model import NationalForecast, Spread, council_runs, fit_spread, forecast, summarise
from placecast.national.published import Published, read_published

LONDON = {"Inner London": "London", "Outer London": "London"}  # the DfE's council tables split London in two


@dataclass(frozen=True)
class NationalResults:
    """Per council, region and England: mean and P10/P50/P90 by year and placement group (and Total)."""

    origin: int
    runs: int
    seed: int
    councils: pd.DataFrame
    regions: pd.DataFrame
    england: pd.DataFrame
    spread: Spread
    backtest: NationalBacktest | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables ``placecast national`` writes, by file name."""
        out = {"national_councils.csv": self.councils, "national_regions.csv": self.regions,
               "national_england.csv": self.england}
        if self.backtest is not None:
            out["national_backtest.csv"] = self.backtest.scores
        return out


def _task(fc: NationalForecast, runs: int, seed: int, codes: list[str]) -> np.ndarray:
    return council_runs(fc, codes, runs, seed)


def national_forecast(published: Published | Path, origin: int | None = None, years: int = 3, runs: int = 1000,
                      seed: int = 42, client: Any = None, with_backtest: bool = True) -> NationalResults:
    """Every council's forecast ``years`` after ``origin`` (default: the last published year), its region's
    and England's, from ``runs`` Monte Carlo runs; councils are split into one task per region."""
    if not isinstance(published, Published):
        published = read_published(Path(published))
    origin = origin or max(published.years)
    _check_origin(published, origin)
    spread = fit_spread(published)
    fc = forecast(published, origin, years, spread)
    regions = fc.councils["region"].replace(LONDON)  # the nine English regions
    chunks = [list(regions.index[regions == r]) for r in sorted(regions.unique())]
    parts = run_tasks(client, partial(_task, fc, runs, seed), chunks)
    codes = [c for chunk in chunks for c in chunk]
    sims = np.concatenate(parts, axis=1)
    target_years = list(fc.expected.columns)
    councils = summarise(sims, codes, target_years).rename(columns={"label": "code"})
    councils.insert(1, "name", councils["code"].map(fc.councils["name"]))
    councils.insert(2, "region", councils["code"].map(regions))
    region_names = sorted(regions.unique())
    by_region = np.stack([sims[:, [codes.index(c) for c in chunk]].sum(axis=1) for chunk in chunks], axis=1)
    region_table = summarise(by_region, region_names, target_years).rename(columns={"label": "region"})
    england = summarise(sims.sum(axis=1, keepdims=True), ["England"], target_years).drop(columns="label")
    bt = backtest(published, runs=runs, seed=seed, spread=spread) if with_backtest else None
    return NationalResults(origin, runs, seed, councils, region_table, england, spread, bt)


def _check_origin(published: Published, origin: int) -> None:
    """An origin the tables can start from: its placement groups published, and the total a year before."""
    from placecast.errors import UnusableInputError

    group_years = set(published.groups.index.get_level_values("year"))
    usable = [y for y in published.years if y - 1 in published.years and y in group_years]
    if origin not in usable:
        span = f"{usable[0]} to {usable[-1]}" if usable else "none"
        raise UnusableInputError(f"origin {origin}: the published statistics can start a forecast at 31 March of "
                                 f"{span} (a year with its placement groups and the year before it); choose one "
                                 "of those.")
    totals = published.totals
    gone = totals.index[totals[origin].isna() & totals[origin - 1].notna()]
    if len(gone):
        names = published.councils["name"].reindex(gone).fillna("")
        raise UnusableInputError(f"origin {origin}: the published totals give no count of children looked after at "
                                 f"31 March {origin} for {', '.join(f'{n} ({c})'.lstrip() for c, n in names.items())}, "
                                 "though the year before has one: the forecast of England and the region would leave "
                                 "it out. Check the row (its code, level and measure) in the totals file, or "
                                 "download the file again from Explore Education Statistics.")


def model_card(results: NationalResults) -> str:
    """The national forecast's model card: method, data, spread and its own backtest in plain words."""
    from placecast.national import model

    lines = [f"# National forecast from the DfE's published statistics (origin 31 March {results.origin})", "",
             (model.__doc__ or "").strip(), "",
             f"Runs: {results.runs:,}, seed {results.seed}. Spread fitted on origins 2018-2021: council variance "
             f"{results.spread.a:.5f} + {results.spread.b:.2f} / size, national shock variance "
             f"{results.spread.national:.5f}, share concentration {results.spread.concentration:.0f}.", ""]
    if results.backtest is not None:
        lines += ["## Backtest on the published years", "", "| origin | target | method | councils | group WAPE | "
                  "group WAPE (other and supported merged) | total MAPE | 80% coverage |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in results.backtest.scores.to_dict("records"):
            cover = "" if r["coverage_80"] is None or pd.isna(r["coverage_80"]) else f"{r['coverage_80']:.0%}"
            lines.append(f"| {r['origin']} | {r['target']} | {r['method']} | {r['councils']} | {r['group_wape']:.1%} "
                         f"| {r['group_wape_merged']:.1%} | {r['total_mape']:.1%} | {cover} |")
        ratio = results.backtest.ratio("total_mape")
        worse = ratio[ratio["total_mape / No change"] >= 1]
        lines += ["", "In plain words: on council totals this forecast is about as good as \"no change\" (last "
                  "year's published figure), and far better than a straight-line trend" + (
                      "; at " + ", ".join(f"{int(r.origin)} to {int(r.target)}" for r in worse.itertuples()) +
                      " it was no better than no change, so rely on last year's figure and the interval there."
                      if len(worse) else ".")]
    return "\n".join(lines) + "\n"

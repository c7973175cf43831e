"""The demand model: ``DemandModel(...).fit(history, start).project(horizon_months)``.

Examples
--------
>>> from placecast.model import DemandModel
>>> DemandModel(n_runs=200, random_state=1)  # doctest: +ELLIPSIS
DemandModel(...)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from placecast.errors import NotFittedError, PlacecastError
from placecast.model.fit import FittedParameters, estimate
from placecast.model.panel import AGE_LABELS, month_end, month_ends, prepare, states_at, transitions
from placecast.model.project import Adjustments, expected_path, simulate_runs
from placecast.ssda903.assemble import History
from placecast.ssda903.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

QUANTILES = {"p05": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}


class ModelInputError(PlacecastError):
    """The history cannot support the requested fit (for example a start date outside the data)."""


@dataclass
class Forecast:
    """Counts at each month end and placement-days per month, for every run."""

    dates: list[pd.Timestamp]
    categories: list[str]
    counts: np.ndarray  # (runs, H+1, C)
    placement_days: np.ndarray  # (runs, H, C)
    settings: dict = field(default_factory=dict)
    age_counts: np.ndarray | None = None  # (runs, H+1, age bands), when asked for

    @property
    def runs(self) -> int:
        return int(self.counts.shape[0])

    @staticmethod
    def _with_total(arr: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
        return np.concatenate([arr, arr.sum(axis=-1, keepdims=True)], axis=-1), [*labels, "total"]

    @staticmethod
    def _summary(arr: np.ndarray, dates: list[str], key: tuple[str, str], labels: list[str], quantiles: list[str]
                 ) -> pd.DataFrame:
        """Long table: one row per date and label, with the mean over runs and the named quantiles."""
        rows = {key[0]: np.repeat(dates, len(labels)), key[1]: np.tile(labels, len(dates)),
                "mean": arr.mean(axis=0).reshape(-1)}
        for name in quantiles:
            rows[name] = np.quantile(arr, QUANTILES[name], axis=0).reshape(-1)
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """``date, category, mean, p05, p10, p50, p90, p95`` at each month end (and ``total``)."""
        arr, cats = self._with_total(self.counts.astype(float), self.categories)
        dates = [d.date().isoformat() for d in self.dates]
        return self._summary(arr, dates, ("date", "category"), cats, list(QUANTILES))

    def age_table(self) -> pd.DataFrame:
        """``date, age_band, mean, p05, p10, p50, p90, p95`` at each month end (and ``total``); needs a
        forecast made with ``by_age=True``."""
        if self.age_counts is None:
            raise ModelInputError("This forecast was made without age bands: project with by_age=True.")
        arr, bands = self._with_total(self.age_counts.astype(float), AGE_LABELS)
        dates = [d.date().isoformat() for d in self.dates]
        return self._summary(arr, dates, ("date", "age_band"), bands, list(QUANTILES))

    def days_table(self) -> pd.DataFrame:
        """Placement-days per category per month (labelled by month end): mean and P10/P50/P90."""
        arr, cats = self._with_total(self.placement_days, self.categories)
        dates = [d.date().isoformat() for d in self.dates[1:]]
        return self._summary(arr, dates, ("month_end", "category"), cats, ["p10", "p50", "p90"])

    def run_days(self) -> pd.DataFrame:
        """Placement-days of every run, month and category (long form) for costing."""
        r, h, c = self.placement_days.shape
        dates = [d.date().isoformat() for d in self.dates[1:]]
        return pd.DataFrame({
            "run": np.repeat(np.arange(r), h * c),
            "month_end": np.tile(np.repeat(dates, c), r),
            "category": np.tile(self.categories, r * h),
            "days": self.placement_days.reshape(-1),
        })


class DemandModel:
    """Children in care by placement category: semi-Markov hazards, entries with a trend.

    Parameters
    ----------
    window_years : years of history before the start date used to fit (default 5).
    half_life_months : older months count less: weight halves every this many months (default 120).
    trend : ``"auto"`` fits a log-linear trend in entries (shrunk toward none); ``"none"`` does not.
    uasc : ``"include"``, ``"exclude"`` or ``"only"`` unaccompanied asylum-seeking children.
    shrinkage : prior strength, in child-months, pulling sparse cells toward their margins.
    n_runs : Monte Carlo runs (default 1000).
    random_state : seed; the same seed gives the same forecast.
    """

    def __init__(self, window_years: float = 5.0, half_life_months: float = 120.0, trend: str = "auto",
                 uasc: str = "include", shrinkage: float = 12.0, n_runs: int = 1000,
                 random_state: int | None = None, categories: list[str] | None = None) -> None:
        self.window_years = window_years
        self.half_life_months = half_life_months
        self.trend = trend
        self.uasc = uasc
        self.shrinkage = shrinkage
        self.n_runs = n_runs
        self.random_state = random_state
        self.categories = categories

    def __repr__(self) -> str:
        return (f"DemandModel(window_years={self.window_years}, trend={self.trend!r}, uasc={self.uasc!r}, "
                f"n_runs={self.n_runs}, random_state={self.random_state})")

    def fit(self, history: History, start: date | None = None) -> DemandModel:
        """Fit on what was known at ``start`` (default: the history's census date)."""
        if self.uasc not in ("include", "exclude", "only"):
            raise ModelInputError(f"uasc must be include, exclude or only, not {self.uasc!r}.")
        if self.trend not in ("auto", "none"):
            raise ModelInputError(f"trend must be auto or none, not {self.trend!r}.")
        census = pd.Timestamp(history.census_date)
        origin = month_end(start or history.census_date)
        if origin > census:
            origin = month_end(history.census_date)
            if pd.Timestamp(start or census) > census:
                raise ModelInputError(f"The start date {start} is after the last date the data covers "
                                      f"({history.census_date}). Choose a start on or before it.")
        episodes = history.episodes
        if self.uasc == "exclude":
            episodes = episodes[~episodes["uasc"].astype(bool)]
        elif self.uasc == "only":
            episodes = episodes[episodes["uasc"].astype(bool)]
        if episodes.empty:
            raise ModelInputError("The history has no episodes to fit (after the UASC choice).")
        categories = self.categories or load_taxonomy().categories
        data_start = pd.Timestamp(date(min(history.years) - 1, 4, 1))
        months = int(round(self.window_years * 12))
        first = max(month_end((origin - pd.DateOffset(months=months)).date()), month_end(data_start.date()))
        n_dates = (origin.year - first.year) * 12 + (origin.month - first.month) + 1
        if n_dates < 7:
            raise ModelInputError(f"Only {n_dates - 1} months of history before {origin.date()}; at least 6 are "
                                  "needed to fit. Choose a later start date.")
        dates = month_ends(first, n_dates)
        ep = prepare(episodes, origin)
        moves, entrants = transitions(ep, dates, categories)
        self.params_: FittedParameters = estimate(moves, entrants, n_dates - 1, len(categories),
                                                  self.half_life_months, self.shrinkage, self.trend == "auto")
        self.stock_ = states_at(ep, origin, categories)
        self.origin_ = origin
        self.categories_ = categories
        self.fit_window_ = (dates[0].date(), origin.date())
        self.data_span_ = (date(min(history.years) - 1, 4, 1), history.census_date)
        return self

    def _check(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("This DemandModel is not fitted yet: call fit(history, start) first.")

    def project(self, horizon_months: int = 24, n_runs: int | None = None, random_state: int | None = None,
                mode: str = "monte_carlo", progress: Callable[[int], None] | None = None,
                adjust: Adjustments | None = None, by_age: bool = False) -> Forecast:
        """Forecast ``horizon_months`` month ends ahead: ``monte_carlo`` (default) or ``expected``.

        ``by_age=True`` also counts the children in care by age band (see :meth:`Forecast.age_table`)."""
        self._check()
        if horizon_months < 1:
            raise ModelInputError("The horizon must be at least one month.")
        dates = month_ends(self.origin_, horizon_months + 1)
        dim = [d.day for d in dates[1:]]
        seed = self.random_state if random_state is None else random_state
        runs = n_runs or self.n_runs
        settings = {"origin": self.origin_.date().isoformat(), "horizon_months": horizon_months, "mode": mode,
                    "runs": runs if mode == "monte_carlo" else 1, "seed": seed, "uasc": self.uasc,
                    "trend": self.trend, "window_years": self.window_years}
        ages = None
        if mode == "expected":
            ages = np.zeros((1, horizon_months + 1, len(AGE_LABELS))) if by_age else None
            counts, days = expected_path(self.params_, self.stock_, dim, ages)
        elif mode == "monte_carlo":
            ages = np.zeros((runs, horizon_months + 1, len(AGE_LABELS)), np.int32) if by_age else None
            counts, days = simulate_runs(self.params_, self.stock_, dim, runs, np.random.default_rng(seed),
                                         progress, adjust, ages)
        else:
            raise ModelInputError(f"mode must be monte_carlo or expected, not {mode!r}.")
        return Forecast(dates, self.categories_, counts, days, settings, ages)

    @property
    def summary(self) -> pd.DataFrame:
        """Fitted entry rates and trend per stream."""
        self._check()
        rows = []
        for name, st in zip(("other children", "UASC"), self.params_.streams, strict=True):
            rows.append({"stream": name, "entrants_per_month_observed": round(st.observed_per_month, 2),
                         "entrants_per_month_at_origin": round(float(np.exp(st.coef[0])), 2),
                         "trend_per_year_pct": round(100 * (float(np.exp(st.coef[1])) - 1), 1)})
        return pd.DataFrame(rows)

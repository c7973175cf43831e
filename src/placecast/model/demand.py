"""The demand model: ``DemandModel(...).fit(history, start).project(horizon_months)``.

Examples
--------
>>> from placecast.model import DemandModel
>>> DemandModel(n_runs=200, random_state=1)  # doctest: +ELLIPSIS
DemandModel(...)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placecast.errors import NotFittedError
from placecast.model.fit import FittedParameters, estimate
from placecast.model.panel import AGE_LABELS, Panel, month_end, month_end_on_or_before, month_ends
from placecast.model.project import Adjustments, expected_path, simulate_runs
from placecast.model.settings import ForecastSettings, ModelInputError, check_settings
from placecast.ssda903.assemble import History

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger(__name__)

QUANTILES = {"p05": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}


MIN_FIT_MONTHS = 6  # months of history before the origin that a fit needs


def earliest_origin(history: History) -> date:
    """The first month end a forecast can start from: :data:`MIN_FIT_MONTHS` after the data begin."""
    return month_end((pd.Timestamp(history.first_day) + pd.DateOffset(months=MIN_FIT_MONTHS)).date()).date()


def age_mask(ages: Sequence[str] | None) -> np.ndarray | None:
    """The age bands counted, as a flag per band of :data:`AGE_LABELS` (None: every age).

    >>> age_mask(["16", "17"]).tolist()
    [False, False, False, False, False, True, True]
    """
    if not ages:
        return None
    unknown = [a for a in ages if a not in AGE_LABELS]
    if unknown:
        raise ModelInputError(f"No age band {', '.join(unknown)}: the bands are {', '.join(AGE_LABELS)}.")
    return np.isin(AGE_LABELS, list(ages))


def select_uasc(episodes: pd.DataFrame, uasc: str) -> pd.DataFrame:
    """The episodes of the children a forecast covers: all, all but UASC, or only UASC."""
    if uasc == "exclude":
        return episodes[~episodes["uasc"].astype(bool)]
    if uasc == "only":
        return episodes[episodes["uasc"].astype(bool)]
    return episodes


@dataclass
class Forecast:
    """Children in care at each month end and placement-days in each month, for every Monte Carlo run.

    The arrays are labelled (xarray) when asked for: ``counts`` has dimensions ``run``, ``month_end`` (the
    origin first) and ``category``; ``placement_days`` has ``run``, ``month`` (each month labelled by its
    last day) and ``category``; ``age_counts``, when asked for, has ``run``, ``month_end`` and ``age_band``.
    The tables are made from the plain arrays, so a command that only writes them never imports xarray.

    Examples
    --------
    >>> from placecast.testing import small_history
    >>> fc = DemandModel(n_runs=20, random_state=1).fit(small_history()).project(3)
    >>> fc.counts.dims, fc.placement_days.sizes["month"]
    (('run', 'month_end', 'category'), 3)
    """

    month_ends: pd.DatetimeIndex
    categories: list[str]
    count_array: np.ndarray
    days_array: np.ndarray
    settings: dict = field(default_factory=dict)
    age_array: np.ndarray | None = None

    @classmethod
    def from_arrays(cls, dates: list[pd.Timestamp], categories: list[str], counts: np.ndarray, days: np.ndarray,
                    settings: dict | None = None, ages: np.ndarray | None = None) -> Forecast:
        """The simulation's arrays: counts (run, month end, category) at ``dates`` (origin first), days (run,
        month, category) for the months ending at ``dates[1:]``, optional ages (run, month end, age band)."""
        return cls(pd.DatetimeIndex(dates), [str(c) for c in categories], counts, days, settings or {}, ages)

    @cached_property
    def counts(self) -> xr.DataArray:
        """Children in care: run x month_end x category."""
        import xarray as xr

        return xr.DataArray(self.count_array, dims=("run", "month_end", "category"),
                            coords={"month_end": self.month_ends, "category": self.categories})

    @cached_property
    def placement_days(self) -> xr.DataArray:
        """Placement-days: run x month (labelled by its last day) x category."""
        import xarray as xr

        return xr.DataArray(self.days_array, dims=("run", "month", "category"),
                            coords={"month": self.month_ends[1:], "category": self.categories})

    @cached_property
    def age_counts(self) -> xr.DataArray | None:
        """Children in care by age band (run x month_end x age_band), when projected with ``by_age``."""
        if self.age_array is None:
            return None
        import xarray as xr

        return xr.DataArray(self.age_array, dims=("run", "month_end", "age_band"),
                            coords={"month_end": self.month_ends, "age_band": AGE_LABELS})

    @property
    def children_at_start(self) -> int:
        """The children in care at the origin that the forecast counts (the same in every run)."""
        return int(self.count_array[0, 0].sum())

    @property
    def runs(self) -> int:
        """The number of Monte Carlo runs."""
        return int(self.count_array.shape[0])

    @property
    def dates(self) -> list[pd.Timestamp]:
        """The month ends, the origin first."""
        return list(self.month_ends)

    @staticmethod
    def _summary(arr: np.ndarray, dates: pd.DatetimeIndex, labels: list[str], key: tuple[str, str],
                 quantiles: list[str]) -> pd.DataFrame:
        """Long table: one row per date and label (with a ``total``), the mean over runs and the quantiles."""
        values = arr.astype(float)
        arr = np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)
        labels = [*labels, "total"]
        days = [d.date().isoformat() for d in dates]
        rows = {key[0]: np.repeat(days, len(labels)), key[1]: np.tile(labels, len(days)),
                "mean": arr.mean(axis=0).reshape(-1)}
        if quantiles:  # one sort for all of them
            values = np.quantile(arr, [QUANTILES[name] for name in quantiles], axis=0)
            rows.update({name: values[i].reshape(-1) for i, name in enumerate(quantiles)})
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """``date, category, mean, p05, p10, p50, p90, p95`` at each month end (and ``total``)."""
        return self._summary(self.count_array, self.month_ends, self.categories, ("date", "category"),
                             list(QUANTILES))

    def horizon_table(self, quantiles: tuple[str, ...] = ("p10", "p90")) -> pd.DataFrame:
        """The rows of :meth:`table` at the last month end only, with ``quantiles`` (the same figures,
        without summarising every month)."""
        return self._summary(self.count_array[:, -1:], self.month_ends[-1:], self.categories, ("date", "category"),
                             list(quantiles))

    def peak_beds(self, category: str, shares: tuple[float, ...] = (0.5, 0.9)) -> tuple[int, ...]:
        """Whole beds of ``category`` enough for each run's peak month-end count after the origin in each
        share of the runs: the runs' peak at that share (an actual run's, not between two), rounded up
        (a forecast pooled with "no change" has fractional counts).

        Examples
        --------
        >>> import numpy as np
        >>> counts = np.array([[[3.0], [4.0]], [[3.0], [6.2]], [[3.0], [5.0]]])  # 3 runs, origin + 1 month
        >>> Forecast.from_arrays([pd.Timestamp("2025-03-31"), pd.Timestamp("2025-04-30")], ["secure"], counts,
        ...                      counts[:, 1:]).peak_beds("secure", (0.5, 0.9))
        (5, 7)
        """
        peak = self.count_array[:, 1:, self.categories.index(category)].max(axis=1)
        return tuple(int(np.ceil(np.quantile(peak, q, method="inverted_cdf") - 1e-9)) for q in shares)

    def age_table(self) -> pd.DataFrame:
        """``date, age_band, mean, p05, p10, p50, p90, p95`` at each month end (and ``total``); needs a
        forecast made with ``by_age=True``."""
        if self.age_array is None:
            raise ModelInputError("This forecast was made without age bands: project with by_age=True.")
        return self._summary(self.age_array, self.month_ends, list(AGE_LABELS), ("date", "age_band"),
                             list(QUANTILES))

    def days_table(self) -> pd.DataFrame:
        """Placement-days per category per month (labelled by month end): mean and P10/P50/P90."""
        return self._summary(self.days_array, self.month_ends[1:], self.categories, ("month_end", "category"),
                             ["p10", "p50", "p90"])

    def run_days(self) -> pd.DataFrame:
        """Placement-days of every run, month and category (long form) for costing."""
        runs, months, cats = self.days_array.shape
        labels = pd.Index([d.date().isoformat() for d in self.month_ends[1:]], dtype="str")
        return pd.DataFrame({  # text columns by taking from their labels: one Arrow take, not a string per row
            "run": np.repeat(np.arange(runs), months * cats),
            "month_end": labels.take(np.tile(np.repeat(np.arange(months), cats), runs)),
            "category": pd.Index(self.categories, dtype="str").take(np.tile(np.arange(cats), runs * months)),
            "days": self.days_array.reshape(-1),
        })


class DemandModel:
    """Children in care by placement category: semi-Markov hazards, entries with a trend.

    ``__init__`` only stores the settings; :meth:`fit` validates them (one rule each, from
    :class:`~placecast.model.settings.ForecastSettings`) and estimates from the history.

    Parameters
    ----------
    window_years : years of history before the start date used to fit (default 5).
    half_life_months : older months count less: weight halves every this many months (default 120).
    trend : ``"auto"`` fits a log-linear trend in entries (shrunk toward none); ``"none"`` does not.
    trend_carry : share of the fitted trend carried on beyond the start (default 0: entries stay at their
        level at the start, the mean of the fitted line's end and the last 12 months; 1: the trend carried on
        from that level).
    uasc : ``"include"``, ``"exclude"`` or ``"only"`` unaccompanied asylum-seeking children.
    shrinkage : prior strength, in child-months, pulling sparse cells toward their margins.
    n_runs : Monte Carlo runs (default 1000).
    random_state : seed; the same seed gives the same forecast (None: a fresh random stream).
    categories : placement categories (default: the taxonomy's).

    Examples
    --------
    >>> from placecast.testing import small_history
    >>> model = DemandModel(n_runs=50, random_state=1).fit(small_history())
    >>> model.project(6).table()["category"].iloc[-1]
    'total'
    >>> DemandModel(shrinkage=-3).fit(small_history())
    Traceback (most recent call last):
    ...
    placecast.model.settings.ModelSettingsError: DemandModel setting shrinkage must be greater than 0 (got -3).
    """

    def __init__(self, window_years: float = 5.0, half_life_months: float = 120.0, trend: str = "auto",
                 uasc: str = "include", shrinkage: float = 12.0, n_runs: int = 1000,
                 random_state: int | None = None, categories: list[str] | None = None,
                 trend_carry: float = 0.0) -> None:
        self.window_years = window_years
        self.half_life_months = half_life_months
        self.trend = trend
        self.uasc = uasc
        self.shrinkage = shrinkage
        self.n_runs = n_runs
        self.random_state = random_state
        self.categories = categories
        self.trend_carry = trend_carry

    @classmethod
    def from_settings(cls, settings: ForecastSettings, categories: list[str] | None = None) -> DemandModel:
        """A model with the fitting and projection settings of ``settings``."""
        return cls(settings.window_years, settings.half_life_months, settings.trend, settings.uasc,
                   settings.shrinkage, settings.runs, settings.seed, categories, settings.trend_carry)

    def settings(self) -> ForecastSettings:
        """This model's settings, validated (:class:`ModelSettingsError` names a bad one)."""
        values = {"window_years": self.window_years, "half_life_months": self.half_life_months,
                  "trend": self.trend, "trend_carry": self.trend_carry, "uasc": self.uasc,
                  "shrinkage": self.shrinkage, "runs": self.n_runs}
        if self.random_state is not None:
            values["seed"] = self.random_state
        return check_settings(**values)

    def __repr__(self) -> str:
        return (f"DemandModel(window_years={self.window_years}, trend={self.trend!r}, uasc={self.uasc!r}, "
                f"n_runs={self.n_runs}, random_state={self.random_state})")

    def panel(self, history: History) -> Panel:
        """``history`` prepared for this model's fits (its UASC choice and categories): given to :meth:`fit` at
        several origins, the history is prepared once and each month end's children read once."""
        episodes = select_uasc(history.episodes, self.uasc)
        if episodes.empty:
            raise ModelInputError("The history has no episodes to fit (after the UASC choice).")
        return Panel(episodes, self.categories or history.categories(), label=self.uasc)

    def fit(self, history: History, start: date | None = None, panel: Panel | None = None) -> DemandModel:
        """Fit on what was known at ``start`` (default: the history's census date).

        Parameters
        ----------
        history : the assembled care history.
        start : the forecast origin; the month end on or before it is used.
        panel : ``history`` prepared by :meth:`panel` of a model with the same UASC choice and categories,
            shared by fits at several origins (default: prepared for this fit alone).

        Returns
        -------
        DemandModel
            ``self``, with ``params_``, ``stock_``, ``origin_``, ``fit_window_`` and ``data_span_`` set.
        """
        self.settings()
        origin = self._origin(history, start)
        if panel is None:
            panel = self.panel(history)
        categories = self.categories or history.categories()
        if (panel.label, panel.categories) != (self.uasc, list(categories)):
            raise ValueError(f"A panel of {panel.label} children in {panel.categories} cannot fit a model of "
                             f"{self.uasc} children in {categories}.")
        data_start = pd.Timestamp(history.first_day)
        months = int(round(self.window_years * 12))
        first = max(month_end((origin - pd.DateOffset(months=months)).date()), month_end(data_start.date()))
        n_dates = (origin.year - first.year) * 12 + (origin.month - first.month) + 1
        if n_dates < MIN_FIT_MONTHS + 1:
            known = f"only {n_dates - 1} month(s) of history come" if n_dates >= 1 else "no history comes"
            raise ModelInputError(f"The data begin on {data_start.date():%d/%m/%Y}, so {known} before "
                                  f"{origin.date():%d/%m/%Y}; at least {MIN_FIT_MONTHS} months are needed to fit. "
                                  f"Choose a start on or after {earliest_origin(history):%d/%m/%Y}.")
        dates = month_ends(first, n_dates)
        moves, entrants = panel.transitions(dates)
        fitted = estimate(moves, entrants, n_dates - 1, len(categories), self.half_life_months, self.shrinkage,
                          self.trend == "auto")
        self.params_: FittedParameters = replace(fitted, trend_carry=self.trend_carry)
        self.stock_ = panel.states_at(origin)
        ep = panel.episodes
        in_stock = ep[ep["child_id"].isin(self.stock_["child_id"])].drop_duplicates("child_id")
        self.unknown_dob_ = int(in_stock["dob"].isna().sum())  # each given the median age (model card)
        self.origin_ = origin
        self.categories_ = categories
        self.fit_window_ = (dates[0].date(), origin.date())
        self.data_span_ = (history.first_day, history.census_date)
        return self

    @staticmethod
    def _origin(history: History, start: date | None) -> pd.Timestamp:
        day = pd.Timestamp(start or history.census_date)
        if day > pd.Timestamp(history.census_date):
            raise ModelInputError(f"The start date {start} is after the last date the data covers "
                                  f"({history.census_date}). Choose a start on or before it.")
        return month_end_on_or_before(day.date())  # a later month end would use what was not yet known

    def _check(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("This DemandModel is not fitted yet: call fit(history, start) first.")

    def project(self, horizon_months: int = 24, n_runs: int | None = None, random_state: int | None = None,
                mode: str = "monte_carlo", progress: Callable[[int], None] | None = None,
                adjust: Adjustments | None = None, by_age: bool = False, ages: Sequence[str] | None = None
                ) -> Forecast:
        """Forecast ``horizon_months`` month ends ahead: ``monte_carlo`` (default) or ``expected``.

        ``by_age=True`` also counts the children in care by age band (see :meth:`Forecast.age_table`).
        ``ages`` (age bands of :data:`AGE_LABELS`) counts only the children of those ages, each by its age in
        each month: every child is simulated, and children age into and out of the bands (Monte Carlo only)."""
        self._check()
        within = age_mask(ages)
        if within is not None and mode != "monte_carlo":
            raise ModelInputError("A forecast of some ages is made by Monte Carlo only: leave out mode='expected'.")
        checked = {"horizon_months": horizon_months}
        if n_runs is not None:
            checked["runs"] = n_runs
        check_settings(**checked)
        dates = month_ends(self.origin_, horizon_months + 1)
        dim = [d.day for d in dates[1:]]
        seed = self.random_state if random_state is None else random_state
        runs = self.n_runs if n_runs is None else n_runs
        settings = {"origin": self.origin_.date().isoformat(), "horizon_months": horizon_months, "mode": mode,
                    "runs": runs if mode == "monte_carlo" else 1, "seed": seed, "uasc": self.uasc,
                    "trend": self.trend, "trend_carry": self.trend_carry, "window_years": self.window_years,
                    **({"ages": ", ".join(ages)} if ages else {})}
        age_counts = None
        if mode == "expected":
            age_counts = np.zeros((1, horizon_months + 1, len(AGE_LABELS))) if by_age else None
            counts, days = expected_path(self.params_, self.stock_, dim, age_counts, adjust)
        elif mode == "monte_carlo":
            age_counts = np.zeros((runs, horizon_months + 1, len(AGE_LABELS)), np.int32) if by_age else None
            counts, days = simulate_runs(self.params_, self.stock_, dim, runs, np.random.default_rng(seed),
                                         progress, adjust, age_counts, within)
        else:
            raise ModelInputError(f"mode must be monte_carlo or expected, not {mode!r}.")
        return Forecast.from_arrays(dates, self.categories_, counts, days, settings, age_counts)

    @property
    def summary(self) -> pd.DataFrame:
        """Fitted entry rates and trend per stream, and the trend as carried on beyond the start."""
        self._check()
        rows = []
        for name, st in zip(("other children", "UASC"), self.params_.streams, strict=True):
            rows.append({"stream": name, "entrants_per_month_observed": round(st.observed_per_month, 2),
                         "entrants_per_month_last_year": round(st.last_year_per_month, 2),
                         "entrants_per_month_at_origin": round(float(np.exp(st.coef[0])), 2),
                         "trend_per_year_pct": round(100 * (float(np.exp(st.coef[1])) - 1), 1),
                         "carried_on_per_year_pct": round(100 * (float(np.exp(st.coef[1] * self.trend_carry)) - 1),
                                                          1)})
        return pd.DataFrame(rows)

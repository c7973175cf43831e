"""The forecast anchored on "no change" by the council's own evidence: a combination of the
microsimulation and "no change", weighted at each horizon by how well each did in the council's own
rolling-origin backtest.

The weight on the model at a horizon is the inverse of its mean squared backtest error over the
placement categories, against the same for "no change" (Bates and Granger's weights, 1969): a council
whose history the model forecasts well keeps the model; one where "no change" did better moves toward
it. Without a backtest (too little history) the two are weighted equally, the combination that is hard
to beat when nothing is known about either. Nothing here is tuned: the only inputs are the council's
own backtest errors.

The two are pooled, not averaged: a share of the runs keeps the microsimulation and the rest take "no
change" with the microsimulation's spread, so the bands hold both forecasts and widen where they
disagree (a linear opinion pool; averaging every run would move the bands without widening them, and
on the benchmark's councils they then held too few outcomes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.model.backtesting import CATEGORY_ROW, BacktestResult, backtest, no_better_sentences
from placecast.model.demand import DemandModel, Forecast
from placecast.model.settings import ForecastSettings
from placecast.ssda903.assemble import History

EQUAL = 0.5
POOLED = "anchored_on_no_change"  # the forecast settings' key saying how a forecast was pooled


@dataclass(frozen=True)
class Combination:
    """The weight on the model at each backtest horizon (months ahead), and where the weights came from."""

    horizons: tuple[int, ...]
    weights: tuple[float, ...]
    source: str

    def weight(self, months_ahead: int) -> float:
        """The model's weight ``months_ahead`` months ahead (linear between the backtest's horizons, the
        nearest one outside them)."""
        if not self.horizons:
            return EQUAL
        return float(np.interp(months_ahead, self.horizons, self.weights))

    def describe(self) -> str:
        """The weights in words, for the model card."""
        parts = ", ".join(f"{h} months {w:.0%}" for h, w in zip(self.horizons, self.weights, strict=True))
        return (f"The forecast combines the microsimulation with 'no change', weighted by {self.source}: the "
                f"microsimulation's weight is {parts or f'{EQUAL:.0%} at every horizon'}.")


def combination_weights(bt: BacktestResult | None) -> Combination:
    """Inverse-MSE weights from the backtest's points over the placement categories, per horizon.

    Examples
    --------
    >>> combination_weights(None).weight(12)
    0.5
    """
    if bt is None:  # backtest runs set to 0
        return Combination((), (), "equal weights (no backtest was run: its runs were set to 0)")
    if bt.points.empty:
        return Combination((), (), "equal weights (there is too little history for a backtest)")
    weights = _weights_from(bt.points[bt.points["category"] != "total"])
    horizons, values = tuple(weights), tuple(weights.values())
    origins = bt.points["origin"].nunique()
    return Combination(horizons, values,
                       f"each one's squared error in the council's own backtest ({origins} origin(s))")


def _weights_from(points: pd.DataFrame) -> dict[int, float]:
    """Inverse-MSE weights on the model per horizon from backtest points over the placement categories."""
    out = {}
    for h, g in points.groupby("horizon_months", sort=True):
        mse_model = float(((g["forecast"] - g["actual"]) ** 2).mean())
        mse_naive = float(((g["nochange"] - g["actual"]) ** 2).mean())
        out[int(h)] = EQUAL if mse_model + mse_naive == 0 else mse_naive / (mse_model + mse_naive)
    return out


def combination_backtest(bt: BacktestResult) -> pd.DataFrame:
    """The combination's own backtest: at each origin, weights from the other origins only (equal weights
    when there is no other), its point ``w x model + (1 - w) x no change`` scored like the model's.

    Returns one row per horizon and measure (``category``: ``categories`` over the placement categories,
    ``total`` for all children, the total combined with the categories' weights): ``wape`` (the
    combination), ``wape_model`` and ``wape_nochange``.

    Examples
    --------
    >>> pts = pd.DataFrame({"origin": ["a"] * 3 + ["b"] * 3, "horizon_months": 12,
    ...                     "category": ["x", "y", "total"] * 2, "actual": [10.0, 10.0, 20.0, 20.0, 20.0, 40.0],
    ...                     "forecast": [12.0, 12.0, 24.0, 20.0, 20.0, 40.0],
    ...                     "nochange": [10.0, 10.0, 20.0, 16.0, 16.0, 32.0]})
    >>> from placecast.model.backtesting import BacktestResult
    >>> combination_backtest(BacktestResult(pts, pd.DataFrame(), [])).round(3).to_dict("records")[0]
    {'horizon_months': 12, 'category': 'categories', 'wape': 0.2, 'wape_model': 0.067, 'wape_nochange': 0.133}

    (each origin's weights come from the other, where the other forecaster did better: out of sample,
    the combination can be worse than either)
    """
    pts = bt.points.copy()
    columns = ["horizon_months", "category", "wape", "wape_model", "wape_nochange"]
    if pts.empty:
        return pd.DataFrame(columns=columns)
    pts["combined"] = np.nan
    for origin in pts["origin"].unique():
        mine = pts["origin"] == origin
        others = pts[~mine & (pts["category"] != "total")]
        weights = _weights_from(others) if len(others) else {}
        w = pts.loc[mine, "horizon_months"].map(weights).fillna(EQUAL).astype(float)
        pts.loc[mine, "combined"] = w * pts.loc[mine, "forecast"] + (1 - w) * pts.loc[mine, "nochange"]
    rows = []
    pts["scope"] = np.where(pts["category"] == "total", "total", CATEGORY_ROW)
    for (h, scope), g in pts.groupby(["horizon_months", "scope"], sort=True):
        total = g["actual"].sum()
        wape = {k: float((g[c] - g["actual"]).abs().sum() / total) if total else np.nan
                for k, c in (("wape", "combined"), ("wape_model", "forecast"), ("wape_nochange", "nochange"))}
        rows.append({"horizon_months": int(h), "category": scope, **wape})
    return pd.DataFrame(rows, columns=columns)


def plain_words(forecast: Forecast, bt: BacktestResult | None, up_to: int | None = None) -> list[str]:
    """The warning in plain words for the forecast as it is given: when it is pooled with "no change", from
    the combination's own (out-of-sample) backtest, otherwise from the microsimulation's ([] when the
    forecast did better than no change at every horizon up to ``up_to``, or there is no backtest)."""
    if bt is None or bt.points.empty:
        return []
    if pooling(forecast) is None:
        return bt.no_better_than_no_change(up_to)
    return no_better_sentences(bt.combination, up_to, "the combined forecast")


def backtest_summary(forecast: Forecast, bt: BacktestResult, horizon: int = 12) -> str:
    """The backtest in one paragraph for the forecast as it is given: when it is pooled with "no change", the
    combination's own (out-of-sample) errors first, then the microsimulation's, labelled as such."""
    alone = bt.summary_text(horizon)
    if pooling(forecast) is None:
        return alone
    combined = bt.combination
    if combined.empty:
        return alone
    h = horizon if horizon in set(combined["horizon_months"]) else int(combined["horizon_months"].max())
    rows = combined[combined["horizon_months"] == h].set_index("category")
    cat, tot = rows.loc[CATEGORY_ROW], rows.loc["total"]
    return (f"The combined forecast in the same backtest (each origin weighted by the other origins), {h} months "
            f"ahead: weighted absolute percentage error over placement categories {cat['wape']:.1%} "
            f"(microsimulation {cat['wape_model']:.1%}, no change {cat['wape_nochange']:.1%}); total children "
            f"{tot['wape']:.1%} ({tot['wape_model']:.1%}, {tot['wape_nochange']:.1%}). The microsimulation alone: "
            f"{alone}")


def pooling(forecast: Forecast) -> str | None:
    """How ``forecast`` was pooled with "no change", in words (None: the microsimulation alone)."""
    return forecast.settings.get(POOLED)


def projected(model: DemandModel, history: History, settings: ForecastSettings, horizon: int, by_age: bool = False,
              progress: Callable[[int], None] | None = None) -> tuple[Forecast, BacktestResult | None]:
    """The forecast a fitted ``model`` gives as ``settings`` ask, with the backtest behind it: projected
    ``horizon`` months, backtested on ``history`` with ``settings.backtest_runs`` runs per origin (none
    when 0), and pooled with "no change" by that backtest when ``settings.combine`` asks (the one path the
    forecast command, the quarter and every council of a region take). The backtest knows only the history
    as known at the forecast's start: a forecast from a past date is weighted as it could have been then.
    With ``settings.ages`` the forecast counts the children of those ages, and so does its backtest: each
    origin's forecast of those ages scored against the children of those ages then in care, whose errors weight
    the pooling with their own "no change"."""
    from placecast.ssda903.assemble import known_at

    forecast = model.project(horizon, progress=progress, by_age=by_age, ages=settings.ages)
    known = known_at(history, model.origin_.date())
    bt = backtest(known, model, n_runs=settings.backtest_runs, ages=settings.ages) if settings.backtest_runs else None
    return as_settings_ask(forecast, bt, settings.combine, settings.seed), bt


def as_settings_ask(forecast: Forecast, bt: BacktestResult | None, combine: str, seed: int = 0) -> Forecast:
    """The forecast the settings' ``combine`` asks for: the microsimulation (``none``) or pooled with "no
    change" by the council's own backtest ``bt`` (``no_change``)."""
    return anchored(forecast, combination_weights(bt), seed=seed) if combine == "no_change" else forecast


def anchored(forecast: Forecast, combination: Combination, seed: int = 0) -> Forecast:
    """``forecast`` pooled with "no change" by the combination: a linear opinion pool of the two.

    At each month ahead a share ``w`` of the runs (the same runs all along, chosen by ``seed``) keep the
    microsimulation's path, and the rest take "no change" with the microsimulation's own spread (their path
    moved by the distance between "no change" and the model's mean). The mean is ``w x model + (1 - w) x no
    change``; the spread is each forecast's own plus their disagreement, so the bands widen where the two
    differ. Counts stay at least zero; placement-days move with the counts."""
    counts = forecast.count_array.astype(float)
    runs, steps = counts.shape[0], counts.shape[1]
    mean = counts.mean(axis=0)  # (H+1, C)
    now = counts[0, 0]  # the origin's counts are the same in every run
    keep = np.array([combination.weight(int(h)) if h else 1.0 for h in range(steps)])
    rank = np.random.default_rng(seed).permutation(runs)  # which runs keep the model, the same at every month
    naive = rank[:, None] >= np.round(keep * runs)[None, :]  # (R, H+1): True where the run takes no change
    shift = np.where(naive[:, :, None], (now[None, :] - mean)[None], 0.0)  # (R, H+1, C)
    moved = np.maximum(counts + shift, 0.0)
    days = forecast.days_array.astype(float)
    dim = np.array([d.day for d in forecast.dates[1:]], dtype=float)
    days = np.maximum(days + 0.5 * (shift[:, :-1] + shift[:, 1:]) * dim[None, :, None], 0.0)
    ages = None
    if forecast.age_array is not None:
        old = counts.sum(axis=2, keepdims=True)
        ratio = np.divide(moved.sum(axis=2, keepdims=True), old, out=np.ones_like(old), where=old > 0)
        ages = forecast.age_array * ratio
    settings = {**forecast.settings, POOLED: combination.describe()}
    return Forecast.from_arrays(forecast.dates, forecast.categories, moved, days, settings, ages)

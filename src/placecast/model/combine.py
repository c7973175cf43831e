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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.model.backtesting import BacktestResult
from placecast.model.demand import Forecast

EQUAL = 0.5


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
    if bt is None or bt.points.empty:
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

    Returns one row per horizon: ``wape`` (the combination), ``wape_model`` and ``wape_nochange``, over the
    placement categories.

    Examples
    --------
    >>> pts = pd.DataFrame({"origin": ["a", "a", "b", "b"], "horizon_months": 12, "category": "x",
    ...                     "actual": [10.0, 10.0, 20.0, 20.0], "forecast": [12.0, 12.0, 20.0, 20.0],
    ...                     "nochange": [10.0, 10.0, 16.0, 16.0]})
    >>> from placecast.model.backtesting import BacktestResult
    >>> combination_backtest(BacktestResult(pts, pd.DataFrame(), [])).round(3).to_dict("records")
    [{'horizon_months': 12, 'wape': 0.2, 'wape_model': 0.067, 'wape_nochange': 0.133}]

    (each origin's weights come from the other, where the other forecaster did better: out of sample,
    the combination can be worse than either)
    """
    pts = bt.points[bt.points["category"] != "total"].copy()
    if pts.empty:
        return pd.DataFrame(columns=["horizon_months", "wape", "wape_model", "wape_nochange"])
    pts["combined"] = np.nan
    for origin in pts["origin"].unique():
        mine = pts["origin"] == origin
        weights = _weights_from(pts[~mine]) if (~mine).any() else {}
        w = pts.loc[mine, "horizon_months"].map(weights).fillna(EQUAL).astype(float)
        pts.loc[mine, "combined"] = w * pts.loc[mine, "forecast"] + (1 - w) * pts.loc[mine, "nochange"]
    rows = []
    for h, g in pts.groupby("horizon_months", sort=True):
        total = g["actual"].sum()
        wape = {k: float((g[c] - g["actual"]).abs().sum() / total) if total else np.nan
                for k, c in (("wape", "combined"), ("wape_model", "forecast"), ("wape_nochange", "nochange"))}
        rows.append({"horizon_months": int(h), **wape})
    return pd.DataFrame(rows)


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
    settings = {**forecast.settings, "anchored_on_no_change": combination.describe()}
    return Forecast.from_arrays(forecast.dates, forecast.categories, moved, days, settings, ages)

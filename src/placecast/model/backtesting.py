"""Backtesting: rolling origins at each 31 March, the model against "no change" and a linear trend.

Every origin has at least two years of history before it, and the model is fitted only on what was
known at the origin. Metrics per horizon and category: MAE, MAPE, WAPE, MASE against each
baseline, and how often the 80% and 90% bands contained the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from placecast.model.demand import DemandModel, select_uasc
from placecast.model.panel import AGE_LABELS, age_band, ages_in_months, birth_months, month_ends
from placecast.model.settings import check_settings
from placecast.ssda903.assemble import History, counts_in_care

HORIZONS = (3, 6, 12, 24)
CATEGORY_ROW = "categories"  # the metrics over all placement categories together


@dataclass
class BacktestResult:
    """Backtest points (per origin, horizon and category) and their metrics."""

    points: pd.DataFrame
    metrics: pd.DataFrame
    origins: list[date]

    @cached_property
    def combination(self) -> pd.DataFrame:
        """The combination's own out-of-sample backtest (:func:`placecast.model.combine.combination_backtest`),
        scored once for the command's line, its note, the model card and the report (read it, do not change it)."""
        from placecast.model.combine import combination_backtest

        return combination_backtest(self)

    def summary_text(self, horizon: int = 12) -> str:
        """The backtest in one paragraph at ``horizon`` months ahead."""
        m = self.metrics
        if m.empty:
            return "No backtest: the data needs at least two years of history before a 31 March origin."
        h = horizon if horizon in set(m["horizon_months"]) else int(m["horizon_months"].max())
        row = m[(m["horizon_months"] == h) & (m["category"] == CATEGORY_ROW)].iloc[0]
        tot = m[(m["horizon_months"] == h) & (m["category"] == "total")].iloc[0]
        origins = sorted(set(self.points.loc[self.points["horizon_months"] == h, "origin"]))  # those reaching h
        return (
            f"Backtest over {len(origins)} origin(s) "
            f"({', '.join(f'{date.fromisoformat(str(d)):%d/%m/%Y}' for d in origins)}), "
            f"{h} months ahead: weighted absolute percentage error over placement categories "
            f"{row['wape']:.1%} (no change {row['wape_nochange']:.1%}, linear trend {row['wape_trend']:.1%}); "
            f"total children {tot['wape']:.1%} (no change {tot['wape_nochange']:.1%}). "
            f"80% bands held {row['coverage80']:.0%} of outcomes, 90% bands {row['coverage90']:.0%}."
        )


    def no_better_than_no_change(self, up_to: int | None = None) -> list[str]:
        """In plain words: the horizons (up to ``up_to`` months) at which the forecast's backtest error was
        no better than assuming nothing changes, with what to rely on instead ([] when it was better)."""
        return no_better_sentences(self.metrics, up_to)


def no_better_sentences(metrics: pd.DataFrame, up_to: int | None = None, subject: str = "the forecast") -> list[str]:
    """The plain-words warning from backtest ``metrics`` (``horizon_months``, ``category`` with rows
    ``categories`` and ``total``, ``wape`` and ``wape_nochange``): the horizons up to ``up_to`` months at
    which ``subject`` was no better than no change ([] when it was better at every one).

    Examples
    --------
    >>> m = pd.DataFrame({"horizon_months": [12, 12], "category": ["categories", "total"],
    ...                   "wape": [0.10, 0.02], "wape_nochange": [0.12, 0.01]})
    >>> no_better_sentences(m)[0][:99]
    "On this council's own past, the forecast has been no better than assuming no change 12 months ahead"
    >>> no_better_sentences(m.assign(wape=0.0))
    []
    """
    found = []
    for h in sorted(set(metrics["horizon_months"])) if not metrics.empty else []:
        if up_to is not None and h > up_to:
            continue
        worse = []
        for key, what in ((CATEGORY_ROW, "by placement category"), ("total", "total")):
            row = metrics[(metrics["horizon_months"] == h) & (metrics["category"] == key)]
            if len(row) and row.iloc[0]["wape"] >= row.iloc[0]["wape_nochange"]:
                worse.append(f"{what} {row.iloc[0]['wape']:.1%} against {row.iloc[0]['wape_nochange']:.1%}")
        if worse:
            found.append((h, f"{h} months: {', '.join(worse)}"))
    if not found:
        return []
    months = [str(h) for h, _ in found]
    when = months[0] if len(months) == 1 else ", ".join(months[:-1]) + " and " + months[-1]
    return [f"On this council's own past, {subject} has been no better than assuming no change {when} "
            f"months ahead (weighted error, forecast against no change: {'; '.join(d for _, d in found)}). "
            "At those horizons, plan on today's numbers and read the forecast's bands as the range of risk, "
            "not its central line as a better estimate."]


def _actuals(episodes: pd.DataFrame, origins: list[date], horizons: tuple[int, ...], census: pd.Timestamp,
             categories: list[str], ages: Sequence[str] | None = None) -> dict[date, dict[str, int]]:
    """Children in care at every month end a backtest scores or looks back on (24 months before each origin
    and each horizon after it), counted in one pass; with ``ages``, only the children of those age bands on
    each day (:func:`of_ages`)."""
    days: set[date] = set()
    for origin in origins:
        o = pd.Timestamp(origin)
        days.update(d.date() for d in month_ends(o - pd.offsets.MonthEnd(24), 25))
        days.update((o + pd.offsets.MonthEnd(h)).date() for h in horizons if o + pd.offsets.MonthEnd(h) <= census)
    ordered = sorted(days)
    if not ages:
        return dict(zip(ordered, counts_in_care(episodes, ordered, categories), strict=True))
    births = birth_months(episodes["dob"])  # once, not at every day
    return {day: counts_in_care(episodes[of_ages(episodes, day, ages, births)], [day], categories)[0]
            for day in ordered}


def of_ages(episodes: pd.DataFrame, day: date, ages: Sequence[str],
            births: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Which episodes are of children whose age band on ``day`` is one of ``ages``, aged as the model ages
    them (:func:`~placecast.model.panel.ages_in_months`; no date of birth: the median of the others in care
    that day). ``births``: the episodes' :func:`~placecast.model.panel.birth_months`, when already known."""
    dob_m, known = births or birth_months(episodes["dob"])
    ts = pd.Timestamp(day)
    live = ((episodes["start"] <= ts) & (episodes["end"].isna() | (episodes["end"] > ts))).to_numpy()
    age = ages_in_months(dob_m, known, day.year * 12 + day.month - 1, live)
    return np.isin(age_band(age), [AGE_LABELS.index(a) for a in ages])


def _trend_forecast(series: list[float], steps: int) -> float:
    y = np.asarray(series, dtype=float)
    if len(y) < 3:
        return float(y[-1])
    x = np.arange(len(y))
    slope, intercept = np.polyfit(x, y, 1)
    return float(max(0.0, intercept + slope * (len(y) - 1 + steps)))


def origins_for(history: History, min_years: int = 2, horizon: int = 3) -> list[date]:
    """The 31 March origins with at least ``min_years`` of history before them and ``horizon`` months after."""
    first_year = min(history.years)
    data_start = date(first_year - 1, 4, 1)
    out = []
    for y in range(first_year - 1 + min_years, history.census_date.year + 1):
        d = date(y, 3, 31)
        if d >= date(data_start.year + min_years, 3, 31) and pd.Timestamp(d) + pd.DateOffset(months=horizon) <= \
                pd.Timestamp(history.census_date):
            out.append(d)
    return out


def backtest(history: History, model: DemandModel | None = None, horizons: tuple[int, ...] = HORIZONS,
             n_runs: int | None = None, ages: Sequence[str] | None = None) -> BacktestResult:
    """Fit a copy of ``model`` (its settings) at each origin, forecast, and score against what happened.

    Parameters
    ----------
    history : the assembled care history.
    model : the model whose settings are backtested (default: ``DemandModel()``); it is not changed.
    horizons : months ahead to score.
    n_runs : Monte Carlo runs per origin (default: the model's).
    ages : only the children of these age bands: each origin's forecast of them, scored against the children
        of those ages in care then (and "no change" and the trend made from them); default: every age.

    Returns
    -------
    BacktestResult
        Points (forecast, actual, baselines per origin, horizon and category) and their metrics.

    Examples
    --------
    >>> from placecast.testing import small_history
    >>> backtest(small_history(), DemandModel(random_state=1), horizons=(3,), n_runs=20).origins
    [datetime.date(2024, 3, 31)]
    """
    template = model or DemandModel()
    settings = template.settings()
    if n_runs is not None:
        settings = check_settings(**{**settings.model_dump(), "runs": n_runs})
    episodes = select_uasc(history.episodes, settings.uasc)
    origins = origins_for(history, horizon=min(horizons))
    rows = []
    census = pd.Timestamp(history.census_date)
    actual = _actuals(episodes, origins, horizons, census, template.categories or history.categories(), ages)
    panel = None  # the history prepared once for every origin's fit
    for origin in origins:
        o = pd.Timestamp(origin)
        reachable = [h for h in horizons if o + pd.offsets.MonthEnd(h) <= census]
        if not reachable:
            continue
        model = DemandModel.from_settings(settings, template.categories)
        panel = panel or model.panel(history)
        fitted = model.fit(history, origin, panel)
        forecast = fitted.project(max(reachable), ages=ages)
        table = forecast.table().set_index(["date", "category"])
        cats = fitted.categories_
        past_dates = month_ends(o - pd.offsets.MonthEnd(24), 25)
        past = [actual[d.date()] for d in past_dates]
        now = past[-1]
        for h in reachable:
            d = (o + pd.offsets.MonthEnd(h)).normalize()
            for cat in [*cats, "total"]:
                f = table.loc[(d.date().isoformat(), cat)]
                rows.append({
                    "origin": origin.isoformat(), "horizon_months": h, "date": d.date().isoformat(),
                    "category": cat, "actual": actual[d.date()].get(cat, 0), "forecast": f["mean"], "p05": f["p05"],
                    "p10": f["p10"], "p90": f["p90"], "p95": f["p95"], "nochange": now[cat],
                    "trend": _trend_forecast([p[cat] for p in past], h),
                })
    points = pd.DataFrame(rows)
    return BacktestResult(points, score(points), origins)


def _metrics(g: pd.DataFrame) -> dict[str, float]:
    """The measures of one group of points (plain arrays: a backtest scores many small groups)."""
    actual, f = g["actual"].to_numpy(float), g["forecast"].to_numpy(float)
    err = np.abs(f - actual)
    nc, tr = np.abs(g["nochange"].to_numpy(float) - actual), np.abs(g["trend"].to_numpy(float) - actual)
    pos = actual > 0
    total = actual.sum()
    return {
        "n": len(g),
        "mae": err.mean(),
        "mape": (err[pos] / actual[pos]).mean() if pos.any() else np.nan,
        "wape": err.sum() / total if total else np.nan,
        "wape_nochange": nc.sum() / total if total else np.nan,
        "wape_trend": tr.sum() / total if total else np.nan,
        "mase_nochange": err.mean() / nc.mean() if nc.mean() > 0 else np.nan,
        "mase_trend": err.mean() / tr.mean() if tr.mean() > 0 else np.nan,
        "coverage80": float(((actual >= g["p10"].to_numpy(float)) & (actual <= g["p90"].to_numpy(float))).mean()),
        "coverage90": float(((actual >= g["p05"].to_numpy(float)) & (actual <= g["p95"].to_numpy(float))).mean()),
    }


def score(points: pd.DataFrame) -> pd.DataFrame:
    """Metrics per horizon and category, plus all placement categories together."""
    if points.empty:
        return pd.DataFrame(columns=["horizon_months", "category", "n", "mae", "mape", "wape", "wape_nochange",
                                     "wape_trend", "mase_nochange", "mase_trend", "coverage80", "coverage90"])
    rows = []
    for (h, cat), g in points.groupby(["horizon_months", "category"], sort=True):
        rows.append({"horizon_months": h, "category": cat, **_metrics(g)})
    for h, g in points[points["category"] != "total"].groupby("horizon_months"):
        rows.append({"horizon_months": h, "category": CATEGORY_ROW, **_metrics(g)})
    return pd.DataFrame(rows)

"""The forecast anchored on "no change": weights from the council's own backtest, the mean moved to the
weighted combination, each run's spread kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placecast.model.backtesting import BacktestResult
from placecast.model.combine import anchored, combination_weights
from placecast.model.demand import Forecast


def points(rows: list[tuple[int, str, float, float, float]]) -> BacktestResult:
    frame = pd.DataFrame(rows, columns=["horizon_months", "category", "actual", "forecast", "nochange"])
    frame["origin"] = "2024-03-31"
    return BacktestResult(frame, pd.DataFrame(), [])


def test_weights_are_inverse_squared_errors_per_horizon():
    # 3 months: the model is off by 1 and 1, no change by 2 and 2: MSE 1 against 4, weight 0.8 on the model.
    # 12 months: the model is off by 4, no change by 2: MSE 16 against 4, weight 0.2. Totals are left out.
    bt = points([(3, "a", 10, 11, 12), (3, "b", 20, 19, 18), (12, "a", 10, 14, 12), (12, "total", 30, 90, 30)])
    c = combination_weights(bt)
    assert c.horizons == (3, 12)
    assert c.weights == pytest.approx((0.8, 0.2))
    assert c.weight(6) == pytest.approx(0.8 + (0.2 - 0.8) * 3 / 9)
    assert c.weight(24) == pytest.approx(0.2) and c.weight(1) == pytest.approx(0.8)
    assert combination_weights(None).weight(12) == 0.5
    assert "equal weights" in combination_weights(None).describe()
    # backtest runs set to 0 was put down to 'too little history'
    assert "no backtest was run" in combination_weights(None).describe()
    assert "too little history" in combination_weights(points([])).describe()  # no origin to score


def test_pooling_moves_the_mean_and_widens_the_bands_where_the_two_disagree():
    runs, horizon = 2000, 12
    rng = np.random.default_rng(3)
    dates = list(pd.date_range("2025-03-31", periods=horizon + 1, freq="ME"))
    start = np.array([50.0, 30.0])
    growth = np.linspace(0, 12, horizon + 1)[None, :, None] * np.array([1.0, -0.5])
    counts = start + growth + rng.normal(0, 3, (runs, horizon + 1, 2)) * (np.arange(horizon + 1) > 0)[None, :, None]
    days = counts[:, 1:] * 30.0
    fc = Forecast.from_arrays(dates, ["x", "y"], counts, days)
    bt = points([(12, "x", 10, 11, 12), (12, "y", 20, 21, 22)])  # MSE 1 against 4: weight 0.8 everywhere
    out = anchored(fc, combination_weights(bt), seed=5)
    got = out.counts.to_numpy()
    mean, now = counts.mean(axis=0), counts[0, 0]
    assert got.mean(axis=0) == pytest.approx(0.8 * mean + 0.2 * now[None, :], abs=0.3)
    # a linear pool: the variance is the model's plus w(1-w) times the squared disagreement
    expected_var = counts.var(axis=0) + 0.8 * 0.2 * (mean - now[None, :]) ** 2
    assert got[:, 12].var(axis=0) == pytest.approx(expected_var[12], rel=0.1)
    assert (got[:, 12].var(axis=0) > counts[:, 12].var(axis=0) * 1.5).all()  # 12 and 6 apart: much wider
    assert got[:, 0] == pytest.approx(counts[:, 0])  # the origin is what it was
    assert anchored(fc, combination_weights(bt), seed=5).counts.to_numpy() == pytest.approx(got)  # reproducible
    shift = got - counts
    moved_days = out.placement_days.to_numpy() - days
    dim = np.array([d.day for d in dates[1:]])[None, :, None]
    assert moved_days == pytest.approx(0.5 * (shift[:, :-1] + shift[:, 1:]) * dim)
    assert "no change" in out.settings["anchored_on_no_change"]


def test_the_quarters_settings_choose_the_combined_forecast_by_default():
    from datetime import date

    from placecast.model.settings import ForecastSettings
    from placecast.quarter.run import forecast_step
    from placecast.testing import small_history

    history = small_history()
    plain = forecast_step(history, ForecastSettings(runs=40, backtest_runs=20, combine="none"), date(2025, 3, 31))
    pooled = forecast_step(history, ForecastSettings(runs=40, backtest_runs=20), date(2025, 3, 31))  # the default
    assert "anchored_on_no_change" not in plain.forecast.settings
    assert pooled.forecast.settings["anchored_on_no_change"].startswith("The forecast combines")
    # the same runs before pooling: at the origin the two agree, and the pooled mean moves toward today's count
    now = plain.forecast.count_array[0, 0]
    assert np.array_equal(pooled.forecast.count_array[:, 0], plain.forecast.count_array[:, 0])
    gap_plain = np.abs(plain.forecast.count_array[:, -1].mean(axis=0) - now).sum()
    gap_pooled = np.abs(pooled.forecast.count_array[:, -1].mean(axis=0) - now).sum()
    assert gap_pooled <= gap_plain + 1e-9
    with pytest.raises(ValueError):
        ForecastSettings(combine="average")


def test_the_backtest_summary_of_a_pooled_forecast_leads_with_the_combinations_own_errors():
    from placecast.model.backtesting import score
    from placecast.model.combine import backtest_summary, combination_backtest

    # two origins, 12 months ahead: at each, the weights come from the other origin only
    rows = [("2023-03-31", 12, "x", 10.0, 12.0, 10.0), ("2023-03-31", 12, "y", 10.0, 12.0, 10.0),
            ("2023-03-31", 12, "total", 20.0, 24.0, 20.0), ("2024-03-31", 12, "x", 20.0, 20.0, 16.0),
            ("2024-03-31", 12, "y", 20.0, 20.0, 16.0), ("2024-03-31", 12, "total", 40.0, 40.0, 32.0)]
    pts = pd.DataFrame(rows, columns=["origin", "horizon_months", "category", "actual", "forecast", "nochange"])
    pts = pts.assign(p05=pts["forecast"] - 5, p10=pts["forecast"] - 3, p90=pts["forecast"] + 3,
                     p95=pts["forecast"] + 5, trend=pts["forecast"], date="2025-03-31")
    bt = BacktestResult(pts, score(pts), [])
    dates = list(pd.date_range("2025-03-31", periods=13, freq="ME"))
    alone = Forecast.from_arrays(dates, ["x", "y"], np.full((4, 13, 2), 10.0), np.full((4, 12, 2), 300.0))
    pooled = anchored(alone, combination_weights(bt))
    combined = combination_backtest(bt).set_index("category")
    text = backtest_summary(pooled, bt, 12)
    assert text.startswith("The combined forecast in the same backtest")
    # out of sample the combination did worse than either (20.0%): each origin's weights favoured the other's winner
    assert combined.loc["categories", "wape"] == pytest.approx(0.2)
    assert "placement categories 20.0% (microsimulation 6.7%, no change 13.3%)" in text
    assert text.endswith(bt.summary_text(12)) and "The microsimulation alone: Backtest over" in text
    assert backtest_summary(alone, bt, 12) == bt.summary_text(12)  # not pooled: the microsimulation's, unlabelled


def test_a_forecast_from_a_past_start_is_backtested_only_on_what_was_known_then():
    """A forecast from 30/06/2024 on returns to 31/03/2025 was weighted by a backtest scored on the nine months
    after its start (the origin of 31/03/2024 scored 12 months ahead at 31/03/2025)."""
    from datetime import date

    from placecast.model.combine import projected
    from placecast.model.demand import DemandModel
    from placecast.model.settings import ForecastSettings
    from placecast.testing import small_history

    history = small_history()
    settings = ForecastSettings(runs=40, seed=3, backtest_runs=20)
    model = DemandModel.from_settings(settings).fit(history, date(2024, 6, 30))
    _, bt = projected(model, history, settings, 6)
    assert bt is not None and pd.to_datetime(bt.points["date"]).max() <= pd.Timestamp("2024-06-30")
    _, whole = projected(DemandModel.from_settings(settings).fit(history, date(2025, 3, 31)), history, settings, 6)
    assert whole is not None and pd.to_datetime(whole.points["date"]).max() == pd.Timestamp("2025-03-31")

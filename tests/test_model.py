"""Demand model: the estimator contract, no look-ahead, intervals, modes, backtest and CLI."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from placecast.cli import app
from placecast.errors import NotFittedError
from placecast.model import DemandModel, ModelInputError, backtest
from placecast.model.panel import AGE_LABELS
from placecast.ssda903 import assemble, validate
from placecast.ssda903.assemble import History

ORIGIN = date(2024, 3, 31)


@pytest.fixture(scope="module")
def history(clean_council) -> History:
    return assemble(validate([clean_council]), b"model-tests")


@pytest.fixture(scope="module")
def fitted(history) -> DemandModel:
    return DemandModel(n_runs=300, random_state=7).fit(history, ORIGIN)


def test_fit_returns_self_and_sets_trailing_underscore_attributes(history):
    model = DemandModel(n_runs=10)
    assert not [k for k in vars(model) if k.endswith("_")]
    assert model.fit(history, ORIGIN) is model
    assert {"params_", "stock_", "origin_", "categories_"} <= set(vars(model))


def test_project_before_fit_says_what_to_do():
    with pytest.raises(NotFittedError, match="call fit"):
        DemandModel().project(12)


def test_same_seed_same_forecast_and_refit_is_idempotent(history, fitted):
    a = fitted.project(12).table()
    b = DemandModel(n_runs=300, random_state=7).fit(history, ORIGIN).fit(history, ORIGIN).project(12).table()
    pd.testing.assert_frame_equal(a, b)
    c = fitted.project(12, random_state=8).table()
    assert not a["mean"].equals(c["mean"])


def test_the_start_is_the_observed_count_and_quantiles_are_ordered(fitted, history):
    from placecast.ssda903 import count_in_care

    table = fitted.project(12).table()
    first = table[table["date"] == "2024-03-31"].set_index("category")
    observed = count_in_care(history.episodes, ORIGIN, fitted.categories_)
    assert first["mean"].to_dict() == {k: float(v) for k, v in observed.items()}
    q = table[["p05", "p10", "p50", "p90", "p95"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all() and (q >= 0).all()
    assert len(table) == 13 * (len(fitted.categories_) + 1)


def test_the_horizon_table_is_the_full_tables_last_date(fitted):
    fc = fitted.project(12)
    table = fc.table()
    last = table[table["date"] == table["date"].max()].reset_index(drop=True)
    pd.testing.assert_frame_equal(fc.horizon_table(("p10", "p50", "p90")), last[["date", "category", "mean", "p10",
                                                                                 "p50", "p90"]])


def test_no_look_ahead_changing_the_future_does_not_change_the_fit(history):
    future_changed = History(history.episodes.copy(), history.repairs, history.sources, history.census_date,
                             history.years)
    ep = future_changed.episodes
    later = ep["start"] > pd.Timestamp(ORIGIN)
    ep.loc[later, "category"] = "secure"  # rewrite everything that happened after the origin
    a = DemandModel(n_runs=50, random_state=1).fit(history, ORIGIN).project(6).table()
    b = DemandModel(n_runs=50, random_state=1).fit(future_changed, ORIGIN).project(6).table()
    pd.testing.assert_frame_equal(a, b)


def test_expected_mode_agrees_with_the_monte_carlo_mean(fitted):
    mc = fitted.project(12, n_runs=1000).table().set_index(["date", "category"])["mean"]
    ev = fitted.project(12, mode="expected").table().set_index(["date", "category"])["mean"]
    total = mc.xs("total", level="category")
    assert np.allclose(ev.xs("total", level="category"), total, rtol=0.03)


def test_placement_days_add_up_to_about_the_children_times_the_days(fitted):
    fc = fitted.project(6, n_runs=200)
    days = fc.placement_days.sum("category").mean("run").to_numpy()
    counts = fc.counts.sum("category").mean("run").to_numpy()
    month_days = np.array([d.day for d in fc.dates[1:]])
    approx = (counts[:-1] + counts[1:]) / 2 * month_days
    assert np.allclose(days, approx, rtol=0.05)
    assert (fc.placement_days >= 0).all()
    runs = fc.run_days()
    assert len(runs) == 200 * 6 * len(fc.categories)


def test_uasc_streams_can_be_included_excluded_or_only(history):
    # Projected, excluding UASC (or only UASC) was an internal error: the stream left out had no entrant, and
    # its fitted level a variance of 1e10, so the runs drew entry rates too large to simulate.
    totals, ahead = {}, {}
    for choice in ("include", "exclude", "only"):
        m = DemandModel(n_runs=200, random_state=1, uasc=choice).fit(history, ORIGIN)
        totals[choice] = len(m.stock_)
        ahead[choice] = m.project(12).count_array[:, -1].sum(axis=1).mean()
    assert totals["include"] == totals["exclude"] + totals["only"] and totals["only"] > 0
    assert ahead["include"] == pytest.approx(ahead["exclude"] + ahead["only"], rel=0.05)
    assert 0 < ahead["only"] < ahead["exclude"]


def test_a_stream_with_no_entrant_has_none_to_come_not_a_rate_of_its_own():
    from placecast.model.fit import NO_ENTRIES, estimate

    entrants = pd.DataFrame({"step": np.arange(36) % 36, "uasc": False, "age_m": 120, "cat": 0})
    moves = pd.DataFrame({"step": [0], "uasc": [0], "cat": [0], "age_m": [120], "tic_m": [1], "outcome": [0]})
    fit = estimate(moves, entrants, 36, 2, 12.0, 12.0, True)
    none = fit.streams[1]  # no UASC entered
    assert none.coef[0] == NO_ENTRIES and np.all(np.abs(none.cov) < 1e-9)
    assert fit.streams[0].cov[0, 0] < 1  # the other stream is fitted as before


def test_bad_choices_and_dates_are_clear_errors(history):
    with pytest.raises(ModelInputError, match="uasc"):
        DemandModel(uasc="sometimes").fit(history, ORIGIN)
    with pytest.raises(ModelInputError, match="after the last date"):
        DemandModel().fit(history, date(2030, 3, 31))
    with pytest.raises(ModelInputError, match="month\\(s\\) of history .* Choose a start on or after"):
        DemandModel().fit(history, date(2021, 5, 31))
    with pytest.raises(ModelInputError, match="so no history comes before 31/12/2014"):  # was "Only -63 months"
        DemandModel().fit(history, date(2015, 1, 1))


def test_backtest_scores_every_origin_and_horizon(history):
    result = backtest(history, DemandModel(random_state=0), horizons=(3, 12), n_runs=100)
    assert result.origins == [date(2023, 3, 31), date(2024, 3, 31), date(2025, 3, 31)]
    m = result.metrics
    assert set(m["horizon_months"]) == {3, 12}
    row = m[(m["horizon_months"] == 12) & (m["category"] == "categories")].iloc[0]
    pts = result.points[(result.points["horizon_months"] == 12) & (result.points["category"] != "total")]
    expected = (pts["forecast"] - pts["actual"]).abs().sum() / pts["actual"].sum()
    assert row["wape"] == pytest.approx(expected)
    assert 0 <= row["coverage80"] <= row["coverage90"] <= 1
    assert "12 months ahead" in result.summary_text(12)


def test_forecast_cli_writes_the_contract_files(clean_council, tmp_path, key):
    result = CliRunner().invoke(app, ["forecast", str(clean_council), "--start", "2025-03-31", "--horizon-months",
                                      "6", "--runs", "100", "--seed", "3", "--out", str(tmp_path),
                                      "--backtest-runs", "50"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "forecast.csv")
    assert list(table.columns) == ["date", "category", "mean", "p05", "p10", "p50", "p90", "p95"]
    assert table["date"].iloc[-1] == "2025-09-30"
    card = (tmp_path / "model_card.md").read_text()
    assert "Backtest on this data" in card and "2021-04-01" in card
    entries = card.split("## Entries")[1].split("##")[0].strip().splitlines()  # a Markdown table, a row a stream
    assert entries[0].startswith("| stream | entrants_per_month_observed | entrants_per_month_last_year |")
    assert [row.split(" | ")[0] for row in entries[2:]] == ["| other children", "| UASC"]
    assert (tmp_path / "placement_days.csv").exists() and (tmp_path / "placement_days_runs.parquet").exists()
    import json

    recorded = json.loads((tmp_path / "forecast_settings.json").read_text())
    assert (recorded["origin"], recorded["horizon_months"], recorded["runs"], recorded["seed"], recorded["uasc"]) == (
        "2025-03-31", 6, 100, 3, "include")


def test_forecast_cli_pools_with_no_change_by_default(clean_council, tmp_path, key):
    """By default (--combine no-change) each month's mean lies between the microsimulation's (--combine none)
    and today's count, by the weights the model card states, and the card scores the combination out of
    sample."""
    common = ["--start", "2025-03-31", "--horizon-months", "12", "--runs", "200", "--backtest-runs", "50"]
    for name, extra in (("plain", ["--combine", "none"]), ("pooled", [])):
        result = CliRunner().invoke(app, ["forecast", str(clean_council), *common, "--out", str(tmp_path / name),
                                          *extra])
        assert result.exit_code == 0, result.output
        assert ("combines the microsimulation" in " ".join(result.output.split())) == (name == "pooled")
    plain, pooled = (pd.read_csv(tmp_path / n / "forecast.csv").set_index(["date", "category"])["mean"]
                     for n in ("plain", "pooled"))
    now = plain.xs("2025-03-31", level="date")
    card = (tmp_path / "pooled" / "model_card.md").read_text()
    assert "combines the microsimulation with 'no change'" in card and "out of sample" in card
    w = float(re.search(r"12 months (\d+)%", card).group(1)) / 100
    at12 = "2026-03-31"
    expected = w * plain.xs(at12, level="date") + (1 - w) * now
    assert np.allclose(pooled.xs(at12, level="date"), expected, atol=0.5 + 0.01 * expected.max())
    assert "combines" not in (tmp_path / "plain" / "model_card.md").read_text()


def test_backtest_cli_writes_metrics(clean_council, tmp_path, key):
    result = CliRunner().invoke(app, ["backtest", str(clean_council), "--horizon-months", "6", "--runs", "50",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    assert set(metrics["horizon_months"]) == {3, 6}
    assert {"mae", "mape", "wape", "mase_nochange", "mase_trend", "coverage80", "coverage90"} <= set(metrics.columns)


def test_backtest_cli_scores_the_horizon_asked_or_says_the_data_cannot_reach_it(clean_council, tmp_path, key):
    """--horizon-months 18 scored 3, 6 and 12 months and 60 scored up to 24, each summarised at another horizon
    than asked without a word."""
    runner = CliRunner()
    asked = runner.invoke(app, ["backtest", str(clean_council), "--horizon-months", "18", "--runs", "30",
                                "--out", str(tmp_path / "a")])
    assert asked.exit_code == 0, asked.output
    assert set(pd.read_csv(tmp_path / "a" / "metrics.csv")["horizon_months"]) == {3, 6, 12, 18}
    assert "18 months ahead" in " ".join(asked.output.split())
    far = runner.invoke(app, ["backtest", str(clean_council), "--horizon-months", "60", "--runs", "30",
                              "--out", str(tmp_path / "b")])
    text = " ".join(far.output.split())
    assert far.exit_code == 0, far.output
    # returns ending 31/03/2026 with origins from 31/03/2023: 24 months reach from two of them
    assert "Backtest over 2 origin(s) (31/03/2023, 31/03/2024), 24 months ahead" in text
    assert "No origin has 60 months of data after it (the data end on 31/03/2026): 24 months is the longest" in text


def test_synth_fork_keeps_the_past_and_redraws_the_future(tmp_path):
    from dataclasses import replace

    from placecast.synth import SynthSettings, simulate

    base = SynthSettings(children_in_care=150, years=3, end_year=2025, seed=9)
    lam = simulate(base).entries_per_year
    a = simulate(replace(base, fork_date=date(2024, 3, 31), fork_seed=1, entries_per_year=lam)).truth
    b = simulate(replace(base, fork_date=date(2024, 3, 31), fork_seed=2, entries_per_year=lam)).truth
    past = a["date"] <= "2024-03-31"
    assert a[past].equals(b[past])
    assert not a[~past]["children"].equals(b[~past]["children"])
    from placecast.synth import simulate_forks

    shared = simulate_forks(replace(base, entries_per_year=lam), date(2024, 3, 31), [1, 2])
    assert shared[0].equals(a) and shared[1].equals(b)


def test_duration_profile_recovers_a_shared_proportional_effect():
    from placecast.model.fit import _duration_profile

    rng = np.random.default_rng(3)
    shape = (2, 10, 7, 5)
    exposure = rng.uniform(50, 400, shape)
    level = rng.uniform(0.01, 0.06, shape[:2])
    profile = np.array([3.0, 1.6, 1.0, 0.6, 0.3])
    events = exposure * level[:, :, None, None] * profile  # expected events, no noise
    r_t = _duration_profile(events, exposure, rounds=50)
    assert np.allclose(r_t / r_t[2], profile, rtol=0.02)


def test_a_sparse_cell_borrows_the_shape_of_the_duration_effect():
    from placecast.model.fit import _shrunk_beta

    shape = (2, 3, 7, 5)
    exposure = np.full(shape, 2000.0)
    profile = np.array([4.0, 2.0, 1.0, 0.5, 0.25])
    events = exposure * 0.02 * profile
    # category 2 at age band 0 is seen only in its first months in care, and only briefly
    exposure[0, 2, 0, :] = [30.0, 0.0, 0.0, 0.0, 0.0]
    events[0, 2, 0, :] = [30.0 * 0.08, 0, 0, 0, 0]
    a, b = _shrunk_beta(events, exposure, strength=12.0)
    hazard = a / (a + b)
    # with no data, later bands follow the shared profile (falling), not the early level
    cell = hazard[0, 2, 0]
    assert cell[0] > cell[2] > cell[4]
    assert cell[4] == pytest.approx(cell[2] * 0.25, rel=0.1)


def test_entry_rates_vary_from_year_to_year_as_published_starts_do():
    from placecast.model.project import ENTRY_WALK_SD, ENTRY_YEAR_SD, entry_shocks

    shocks = entry_shocks(np.random.default_rng(1), 40_000, 24)
    assert shocks.shape == (40_000, 24, 2)
    # the expected rate stays the trend's, at every month and in both streams
    assert np.allclose(np.exp(shocks).mean(axis=0), 1.0, atol=0.01)
    # twelve months on: a year of the random walk and the first year's own level
    assert shocks[:, 11].var(axis=0) == pytest.approx([ENTRY_WALK_SD**2 + ENTRY_YEAR_SD**2] * 2, rel=0.05)
    # within a year the level is shared; across the year's end a new one is drawn
    within = shocks[:, 11] - shocks[:, 10]
    across = shocks[:, 12] - shocks[:, 11]
    assert within.var() == pytest.approx(ENTRY_WALK_SD**2 / 12, rel=0.05)
    assert across.var() == pytest.approx(ENTRY_WALK_SD**2 / 12 + 2 * ENTRY_YEAR_SD**2, rel=0.05)
    assert abs(np.corrcoef(shocks[:, 23, 0], shocks[:, 23, 1])[0, 1]) < 0.02  # each stream on its own


@pytest.mark.parametrize("carry", [0.0, 0.5, 1.0])
def test_the_fitted_trend_in_entries_is_carried_on_by_the_share_asked(carry):
    """The expected entry rate months ahead: the fitted level at the start times exp(carry x trend x years),
    in the Monte Carlo's parameters (without draws or shocks)."""
    from placecast.model.fit import EntryStream, FittedParameters
    from placecast.model.project import RunParameters

    trend = np.log(1.10)  # 10% a year
    stream = EntryStream(np.array([np.log(4.0), trend]), np.zeros((2, 2)), np.ones(18), np.ones((7, 3)), 4.0, trend)
    params = FittedParameters(np.ones((2, 3, 7, 5)), np.ones((2, 3, 7, 5)), np.ones((2, 3, 7, 5)),
                              np.ones((2, 3, 7, 5)), np.ones((3, 7, 3)), [stream, stream], 0, 12, carry)
    rates = RunParameters(params, 3, np.random.default_rng(0), draws=False, horizon=0)
    assert rates.entry_rate(12)[0, 0] == pytest.approx(4.0 * 1.10**carry)
    assert rates.entry_rate(24)[0, 1] == pytest.approx(4.0 * 1.10 ** (2 * carry))


def test_by_default_entries_stay_at_the_fitted_level_at_the_start(fitted):
    from placecast.model.project import RunParameters

    params = fitted.params_
    assert params.trend_carry == 0.0
    rates = RunParameters(params, 5, np.random.default_rng(0), draws=False, horizon=0)
    level = np.exp([st.coef[0] for st in params.streams])
    assert np.allclose(rates.entry_rate(1)[0], level) and np.allclose(rates.entry_rate(24)[0], level)


def test_the_entry_level_at_the_start_is_the_mean_of_the_fitted_line_and_the_last_year():
    """Four years of entrants growing 10% a year, then a fifth that falls: the level at the start lies
    half way between the line's end (what the fit alone gives) and the last 12 months' mean."""
    from placecast.model.fit import _fit_trend, estimate

    years = 8.0 * 1.10 ** np.arange(5)
    counts = np.repeat(years, 12)
    counts[-12:] = 7.0
    steps = np.repeat(np.arange(60), counts.round().astype(int))
    observed = np.bincount(steps, minlength=60).astype(float)
    line, _ = _fit_trend(observed, True)
    entrants = pd.DataFrame({"step": steps, "uasc": False, "age_m": 120, "cat": 0})
    moves = pd.DataFrame({"step": [0], "uasc": [0], "cat": [0], "age_m": [120], "tic_m": [1], "outcome": [0]})
    stream = estimate(moves, entrants, 60, 2, 120.0, 12.0, True).streams[0]
    assert np.exp(line[0]) > 9.0  # the line's end is well above the last year's 7 a month
    assert np.exp(stream.coef[0]) == pytest.approx(0.5 * np.exp(line[0]) + 0.5 * 7.0)
    assert stream.last_year_per_month == pytest.approx(7.0)
    assert stream.coef[1] == pytest.approx(line[1])  # the trend is the fit's (not carried by default)
    # without a trend the level is the window's mean, as before
    flat = estimate(moves, entrants, 60, 2, 120.0, 12.0, False).streams[0]
    assert np.exp(flat.coef[0]) == pytest.approx(observed.mean())


def test_entrants_a_year_ahead_vary_more_than_a_poisson_count(fitted):
    from placecast.model.project import ENTRY_WALK_SD, ENTRY_YEAR_SD, RunParameters

    params = fitted.params_
    p = RunParameters(params, 4000, np.random.default_rng(5), horizon=12)
    yearly = np.stack([p.entry_rate(m) for m in range(1, 13)]).sum(axis=0)[:, 0]  # expected entrants, stream 0
    spread = np.std(np.log(yearly))
    # beyond the fit's own uncertainty, at least the year's level and most of the walk's average over the year
    assert spread > np.sqrt(ENTRY_YEAR_SD**2 + ENTRY_WALK_SD**2 / 3) * 0.9
    assert p.entry_shock is not None and RunParameters(params, 10, np.random.default_rng(5)).entry_shock is None


def test_children_turning_18_leave_in_the_month_of_their_birthday(history):
    import copy

    from placecast.model.panel import ADULT_M
    from placecast.model.project import simulate_runs

    model = DemandModel(n_runs=10, random_state=1).fit(history, ORIGIN)
    params = copy.deepcopy(model.params_)
    params.exit_a[:] = 1e-9  # nobody leaves or moves except at 18, and nobody enters
    params.move_a[:] = 1e-9
    for stream in params.streams:
        stream.coef[0] = -50.0
    stock = pd.DataFrame({"cat": [0, 1, 2], "age_m": [ADULT_M - 1, ADULT_M - 3, 100], "tic_m": [5, 5, 5],
                          "uasc": [False, False, False]})
    counts, days = simulate_runs(params, stock, [30] * 4, 5, np.random.default_rng(0))
    assert counts[:, :, :3].tolist() == [[[1, 1, 1], [0, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 1]]] * 5
    assert days[0, 0, 0] == pytest.approx(15.0)  # half the month before the birthday


def test_forecast_by_age_band_adds_up_to_the_category_total(fitted):
    fc = fitted.project(6, n_runs=100, random_state=2, by_age=True)
    plain = fitted.project(6, n_runs=100, random_state=2)
    assert np.array_equal(fc.counts, plain.counts)  # counting ages draws no random numbers
    assert np.array_equal(fc.age_counts.sum(axis=2), fc.counts.sum(axis=2))
    table = fc.age_table()
    assert set(table["age_band"]) == {"0", "1-4", "5-9", "10-13", "14-15", "16", "17", "total"}
    start = table[table["date"] == table["date"].min()].set_index("age_band")["mean"]
    ages = fitted.stock_["age_m"]
    assert start["17"] == ((ages >= 204) & (ages < 216)).sum()
    assert start["total"] == len(fitted.stock_)
    expected = fitted.project(6, mode="expected", by_age=True)
    assert np.allclose(expected.age_counts.sum(axis=2), expected.counts.sum(axis=2))
    with pytest.raises(ModelInputError, match="by_age=True"):
        plain.age_table()


def test_forecast_cli_writes_ages_when_asked(clean_council, tmp_path, key):
    result = CliRunner().invoke(app, ["forecast", str(clean_council), "--out", str(tmp_path / "f"), "--runs", "50",
                                      "--horizon-months", "3", "--backtest-runs", "0", "--by-age"])
    assert result.exit_code == 0, result.output
    ages = pd.read_csv(tmp_path / "f" / "forecast_by_age.csv")
    assert list(ages.columns) == ["date", "age_band", "mean", "p05", "p10", "p50", "p90", "p95"]
    cats = pd.read_csv(tmp_path / "f" / "forecast.csv")
    assert np.allclose(ages[ages.age_band == "total"]["mean"].to_numpy(),
                       cats[cats.category == "total"]["mean"].to_numpy())


def test_the_forecast_does_not_depend_on_the_number_of_threads(fitted, monkeypatch):
    monkeypatch.setenv("PLACECAST_THREADS", "1")
    one = fitted.project(6, n_runs=301, random_state=5, by_age=True)
    monkeypatch.setenv("PLACECAST_THREADS", "3")
    three = fitted.project(6, n_runs=301, random_state=5, by_age=True)
    assert np.array_equal(one.counts, three.counts)
    assert np.array_equal(one.placement_days, three.placement_days)
    assert np.array_equal(one.age_counts, three.age_counts)


@pytest.mark.parametrize(("settings", "named"), [
    ({"shrinkage": -3}, "shrinkage must be greater than 0 (got -3)"),
    ({"n_runs": -5}, "runs must be at least 10 (got -5)"),
    ({"half_life_months": 0}, "half_life_months must be greater than 0 (got 0)"),
    ({"window_years": 0}, "window_years must be at least 0.5 (got 0)"),
    ({"trend": "up"}, "trend must be 'auto' or 'none' (got 'up')"),
    ({"trend_carry": 1.5}, "trend_carry must be at most 1 (got 1.5)"),
])
def test_a_bad_model_setting_is_named_with_its_range_and_value(history, settings, named):
    from placecast.model import ModelSettingsError

    with pytest.raises(ModelSettingsError) as info:
        DemandModel(**settings).fit(history, ORIGIN)
    assert named in str(info.value)


def test_project_with_no_runs_is_an_error_not_the_default(fitted):
    from placecast.model import ModelSettingsError

    with pytest.raises(ModelSettingsError, match=r"runs must be at least 10 \(got 0\)"):
        fitted.project(12, n_runs=0)
    with pytest.raises(ModelSettingsError, match="horizon_months"):
        fitted.project(0)


def test_the_cli_reports_a_bad_setting_with_exit_2(clean_council, tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "placecast.cli", "forecast", str(clean_council), "--out",
                             str(tmp_path / "f"), "--runs", "-5"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--runs must be at least 10 (got -5)" in result.stderr  # named as the option the user typed


def test_the_model_card_says_in_words_when_the_forecast_is_no_better_than_no_change():
    import pandas as pd

    from placecast.model.backtesting import BacktestResult

    metrics = pd.DataFrame([
        {"horizon_months": 12, "category": "categories", "wape": 0.139, "wape_nochange": 0.129},
        {"horizon_months": 12, "category": "total", "wape": 0.04, "wape_nochange": 0.05},
        {"horizon_months": 24, "category": "categories", "wape": 0.10, "wape_nochange": 0.20},
        {"horizon_months": 24, "category": "total", "wape": 0.053, "wape_nochange": 0.008},
        {"horizon_months": 3, "category": "categories", "wape": 0.02, "wape_nochange": 0.03},
        {"horizon_months": 3, "category": "total", "wape": 0.01, "wape_nochange": 0.02}])
    bt = BacktestResult(pd.DataFrame(), metrics, [])
    words = bt.no_better_than_no_change()
    assert len(words) == 1 and "no change 12 and 24 months ahead" in words[0]
    assert "12 months: by placement category 13.9% against 12.9%;" in words[0]
    assert "24 months: total 5.3% against 0.8%" in words[0] and "plan on today's numbers" in words[0]
    assert "no change 12 months ahead" in bt.no_better_than_no_change(up_to=12)[0]
    better = metrics.assign(wape=metrics["wape_nochange"] / 2)
    assert BacktestResult(pd.DataFrame(), better, []).no_better_than_no_change() == []


def test_the_report_says_in_words_what_entries_the_forecast_starts_from(history, fitted):
    from placecast.model.card import entries_in_words, model_card

    words = entries_in_words(fitted)
    other = fitted.summary.set_index("stream").loc["other children"]
    assert f"other children {other['entrants_per_month_at_origin']:.1f} (last 12 months " in words
    assert f"fitted trend {other['trend_per_year_pct']:+.1f}% a year, not carried on" in words
    assert "mean of the fitted line's end and the last 12 months' entrants" in words
    no_trend = DemandModel(n_runs=10, trend="none").fit(history, ORIGIN)
    flat = entries_in_words(no_trend)
    assert "fitted trend" not in flat and "the mean over the fit's window (no trend fitted)" in flat
    card = model_card(no_trend, no_trend.project(3), None)  # the model card says the same, without a trend
    assert "entries by stream (other children, UASC) at the mean over the fit's window" in card
    assert "fitted trend not carried on" not in card


@pytest.mark.parametrize("command", ["forecast", "region"])
def test_command_defaults_are_the_settings_defaults(command):
    """A forecast option left out gives the library's own default, so the command, the quarter, the scenario
    files and the web application forecast alike; an option that drifts from ForecastSettings fails here."""
    import typer

    from placecast.model.settings import ForecastSettings

    options = {p.name: p.default for p in typer.main.get_command(app).commands[command].params}
    fields = ForecastSettings.model_fields
    shared = {"runs", "seed", "horizon_months", "trend_carry", "uasc", "combine"} & options.keys()
    assert {"runs", "seed", "horizon_months", "uasc", "combine"} <= shared
    for name in shared:
        default = options[name]
        default = getattr(default, "value", default)
        if name == "combine":
            default = default.replace("-", "_")
        assert default == fields[name].default, name
    if command == "forecast":
        assert options["backtest_runs"] == fields["backtest_runs"].default


def test_model_defaults_are_the_settings_defaults():
    """DemandModel() (the library's sklearn-style constructor) fits and projects as ForecastSettings() does."""
    import inspect

    from placecast.model.settings import ForecastSettings

    signature = inspect.signature(DemandModel.__init__).parameters
    names = {"window_years": "window_years", "half_life_months": "half_life_months", "trend": "trend",
             "uasc": "uasc", "shrinkage": "shrinkage", "n_runs": "runs", "trend_carry": "trend_carry"}
    for arg, field in names.items():
        assert signature[arg].default == ForecastSettings.model_fields[field].default, arg
    project = inspect.signature(DemandModel.project).parameters
    assert project["horizon_months"].default == ForecastSettings.model_fields["horizon_months"].default


def test_a_child_with_no_date_of_birth_takes_the_median_age_not_an_age_from_year_0(history):
    """A missing date of birth was read as month 0 of year 0: the child was 17, and left at 18 the next month."""
    import dataclasses

    from placecast.model.card import model_card

    model = DemandModel(n_runs=20, random_state=1).fit(history, ORIGIN)
    chosen = list(model.stock_["child_id"].iloc[:3])
    episodes = history.episodes.copy()
    episodes.loc[episodes["child_id"].isin(chosen), "dob"] = pd.NaT
    blind = DemandModel(n_runs=20, random_state=1).fit(dataclasses.replace(history, episodes=episodes), ORIGIN)
    ages = blind.stock_.set_index("child_id")["age_m"]
    others = ages.drop(chosen)
    assert (ages[chosen] == int(np.median(others))).all() and ages[chosen].max() < 215
    assert blind.unknown_dob_ == 3 and model.unknown_dob_ == 0
    said = f"3 of the {len(blind.stock_):,} children in care at the start have no date of birth (no Header row, or"
    assert said in model_card(blind, blind.project(3), None)


def test_a_start_within_a_month_uses_the_month_end_before_it_not_after(history):
    """The docstring said 'the month end on or before it'; the month's end after it was used, with two weeks of
    what was not yet known on the start date."""
    import dataclasses

    assert DemandModel(n_runs=10).fit(history, date(2024, 3, 15)).origin_ == pd.Timestamp("2024-02-29")
    assert DemandModel(n_runs=10).fit(history, date(2024, 3, 31)).origin_ == pd.Timestamp("2024-03-31")
    mid = dataclasses.replace(history, census_date=date(2025, 3, 15))  # an extract that ends within a month
    assert DemandModel(n_runs=10).fit(mid).origin_ == pd.Timestamp("2025-02-28")


def test_a_category_of_the_councils_own_taxonomy_is_forecast_and_costed_as_itself(history):
    """A council's taxonomy with solo residential placements of their own: the forecast folded them into
    'other' (from the built-in category list) and costed them at 'other''s weekly cost without a word."""
    from dataclasses import replace

    from placecast.finance import default_unit_costs
    from placecast.finance.errors import FinanceInputError
    from placecast.finance.forecast_cost import cost_runs

    episodes = history.episodes.copy()
    solo = episodes["category"] == "residential_external"
    episodes.loc[solo, "category"] = "residential_solo"
    own = replace(history, episodes=episodes)
    assert own.categories()[-2:] == ["residential_solo", "other"]
    forecast = DemandModel(n_runs=50, random_state=1).fit(own).project(6)
    start = forecast.table().query("date == date.min()").set_index("category")["mean"]
    at_census = int(solo[(episodes["start"] <= pd.Timestamp(own.census_date)) & ~episodes["short_break"]
                         & (episodes["end"].isna() | (episodes["end"] > pd.Timestamp(own.census_date)))].sum())
    assert at_census > 0 and start["residential_solo"] == at_census and start["residential_external"] == 0
    with pytest.raises(FinanceInputError, match="residential_solo") as info:
        cost_runs(forecast.run_days(), default_unit_costs())
    assert "give the council's unit costs with a weekly cost for it (--unit-costs" in info.value.problems[0].message



def _assert_same(x, y, where: str) -> None:
    """Equal bit for bit: arrays, dataclasses and lists of them, field by field."""
    from dataclasses import fields, is_dataclass

    if isinstance(x, np.ndarray):
        np.testing.assert_array_equal(x, y, err_msg=where)
    elif is_dataclass(x):
        for f in fields(x):
            _assert_same(getattr(x, f.name), getattr(y, f.name), f"{where}.{f.name}")
    elif isinstance(x, list):
        assert len(x) == len(y), where
        for i, (p, q) in enumerate(zip(x, y, strict=True)):
            _assert_same(p, q, f"{where}[{i}]")
    else:
        assert x == y, where


def _same_fit(a: DemandModel, b: DemandModel) -> None:
    _assert_same(a.params_, b.params_, "params_")
    pd.testing.assert_frame_equal(a.stock_, b.stock_)
    assert (a.unknown_dob_, a.fit_window_, a.origin_) == (b.unknown_dob_, b.fit_window_, b.origin_)


@pytest.mark.parametrize("uasc", ["include", "exclude", "only"])
def test_fits_sharing_one_panel_are_the_fits_of_the_history_as_known_at_each_origin(history, uasc):
    """The backtest's origins share one panel of the whole history. A fit at an origin reads only month ends on
    or before it, where what became known later (later starts, later ends) changes nobody's state: held bit
    for bit against a panel prepared as known at each origin, as each fit prepared its own before."""
    from placecast.model.demand import earliest_origin, select_uasc
    from placecast.model.panel import Panel, month_end, month_ends

    shared = DemandModel(uasc=uasc).panel(history)
    first, last = month_end(earliest_origin(history)), month_end(history.census_date)
    origins = [d for d in month_ends(first, 120) if d <= last][::5]
    assert len(origins) >= 5
    for origin in origins:
        own = Panel(select_uasc(history.episodes, uasc), history.categories(), known_at=origin, label=uasc)
        _same_fit(DemandModel(uasc=uasc).fit(history, origin.date(), shared),
                  DemandModel(uasc=uasc).fit(history, origin.date(), own))
    with pytest.raises(ValueError, match="cannot fit a model of"):
        DemandModel(uasc="exclude" if uasc != "exclude" else "only").fit(history, ORIGIN, shared)


def test_a_forecast_of_some_ages_counts_them_as_they_age_into_and_out_of_the_bands(fitted):
    """--ages counts only the children of those bands, each by its age in each month: the same runs as every
    age (no draw differs), so the ages counted and the rest add up to every child, and the ages counted are the
    forecast by age of those bands, month by month and run by run."""
    every = fitted.project(18, by_age=True)
    older = fitted.project(18, ages=["16", "17"], by_age=True)
    younger = fitted.project(18, ages=["0", "1-4", "5-9", "10-13", "14-15"])
    assert np.array_equal(older.count_array + younger.count_array, every.count_array)
    assert np.array_equal(older.count_array.sum(axis=2), every.age_array[:, :, 5:].sum(axis=2))
    assert np.array_equal(older.age_array[:, :, :5], np.zeros_like(older.age_array[:, :, :5]))
    # placement-days add up too, but for the few cells the simulation clips at zero (a child turning 18 in the
    # month of a move takes half the month from its new category)
    gap = np.abs(older.days_array + younger.days_array - every.days_array).sum()
    assert gap <= 1e-4 * every.days_array.sum()
    assert 0 < older.count_array[0, 0].sum() < every.count_array[0, 0].sum()
    every_band = fitted.project(18, ages=list(AGE_LABELS))
    assert np.array_equal(every_band.count_array, every.count_array)
    assert np.array_equal(every_band.days_array, every.days_array)
    assert older.settings["ages"] == "16, 17" and "ages" not in every.settings
    with pytest.raises(ModelInputError, match="Monte Carlo only"):
        fitted.project(6, mode="expected", ages=["16"])
    with pytest.raises(ModelInputError, match="No age band 18"):
        fitted.project(6, ages=["18"])



def test_a_backtest_of_some_ages_scores_their_forecast_against_the_children_of_those_ages(history):
    """The backtest of a forecast of some ages was of every age: its errors, and the pooling weights they
    set, were not the forecast's own. Now each origin's forecast of those ages meets the children of those
    ages in care then: the ages counted and the rest add up to every child, origin by origin."""
    from placecast.model.backtesting import of_ages

    model = DemandModel(n_runs=20, random_state=3)
    keys = ["origin", "horizon_months", "date", "category"]
    every, older, younger = (backtest(history, model, horizons=(3, 12), ages=ages).points.set_index(keys)
                             for ages in (None, ["16", "17"], ["0", "1-4", "5-9", "10-13", "14-15"]))
    for column in ("actual", "nochange"):
        assert (older[column] + younger[column]).equals(every[column])
    assert np.allclose(older["forecast"] + younger["forecast"], every["forecast"])  # the same runs, split
    assert 0 < older.xs("total", level="category")["actual"].min()
    whole = backtest(history, model, horizons=(3, 12), ages=list(AGE_LABELS)).points.set_index(keys)
    pd.testing.assert_frame_equal(whole, every)  # every band: the backtest of every age, bit for bit
    day = date(2024, 3, 31)  # a child aged 16 on the day (born 15 months of 16 years before) is of "16"
    episodes = pd.DataFrame({"dob": pd.to_datetime(["2007-12-31", "2008-01-01", None]),
                             "start": pd.to_datetime(["2020-01-01"] * 3), "end": pd.NaT})
    assert of_ages(episodes, day, ["16"]).tolist() == [True, True, True]  # no date of birth: the others' median
    assert of_ages(episodes, day, ["17"]).tolist() == [False, False, False]

def test_an_outturn_is_not_made_from_a_forecast_of_some_ages():
    from placecast.errors import UnusableInputError
    from placecast.finance.outturn import check_counts_every_child

    check_counts_every_child("include", "The forecast", "fix it")
    with pytest.raises(UnusableInputError, match="made of the children aged 16, 17 only, its new demand would leave "
                                                 "the other ages' cost out of the outturn"):
        check_counts_every_child("include", "The forecast", "fix it", ["16", "17"])


@settings(max_examples=25, deadline=None)
@given(chosen=st.sets(st.sampled_from(AGE_LABELS), min_size=1, max_size=len(AGE_LABELS) - 1),
       seed=st.integers(0, 2**32 - 1), months=st.integers(1, 30))
def test_any_ages_counted_and_the_rest_add_up_to_every_child(fitted, chosen, seed, months):
    """For any bands, seed and horizon: the same runs, split by age, add up to every child."""
    ages = sorted(chosen, key=AGE_LABELS.index)
    rest = [a for a in AGE_LABELS if a not in chosen]
    every = fitted.project(months, n_runs=20, random_state=seed)
    part = fitted.project(months, n_runs=20, random_state=seed, ages=ages)
    other = fitted.project(months, n_runs=20, random_state=seed, ages=rest)
    assert np.array_equal(part.count_array + other.count_array, every.count_array)

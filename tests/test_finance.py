"""Finance: seed arithmetic reproduced from inputs, day-count costing, outturn, located errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from placecast.cli import app
from placecast.finance import (
    FinanceInputError,
    cost_between,
    cost_runs,
    cost_summary,
    days_remaining,
    default_unit_costs,
    fy_label,
    quarter,
    read_budget,
    read_unit_costs,
    split_by_fy,
    to_thousands,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "seed001"


@pytest.fixture(scope="module")
def budget():
    return read_budget(EXAMPLES / "budget.yaml")


def test_seed001_q2_outturn_table_is_reproduced_to_the_thousand(budget):
    table = budget.outturn_table().set_index("line")
    expected = {  # published: net budget, forecast, covid, reserves, after, deficit Q2, deficit Q1
        "Education": (5898, 7668, 0, -660, 7008, 1110, 868),
        "Children and Family Services": (46668, 55160, -1530, -3322, 50308, 3640, 3106),
        "14-19 Services": (375, 375, 0, 0, 375, 0, 0),
        "Total": (52941, 63203, -1530, -3982, 57691, 4750, 3974),
    }
    cols = ["cash_limit", "forecast_net_expenditure", "covid_scarring", "reserves",
            "net_after_adjustments_and_reserves", "deficit", "previous_deficit"]
    for line, values in expected.items():
        assert tuple(int(table.loc[line, c]) for c in cols) == values


def test_seed001_budget_changes_q1_to_q2(budget):
    table = budget.budget_table().set_index("line")
    assert (table.loc["Cash Limit", "budget_previous_quarter"], table.loc["Cash Limit", "changes"],
            table.loc["Cash Limit", "cash_limit"]) == (51926, 1015, 52941)
    changes = budget.changes_table()
    assert list(changes["movement"]) == [298, 717, 1015]


def test_seed001_reserves_totals(budget):
    total = budget.reserves_table().iloc[-1]
    assert (total["approved_use_balance"], total["approved_use"], total["balance"]) == (4535, 3982, 553)
    assert len(budget.reserves) == 33


# The seeds' placement arithmetic and the seed 001 headline are YAML cases in tests/cases/.


def test_calendar():
    assert fy_label(date(2024, 3, 31)) == "2023/24" and fy_label(date(2024, 4, 1)) == "2024/25"
    assert [quarter(date(2023, m, 1)) for m in (4, 7, 10, 1)] == [1, 2, 3, 4]
    assert days_remaining(date(2023, 9, 30)) == 183
    assert to_thousands(Decimal("1500")) == 2 and to_thousands(Decimal("-1500")) == -2


days = st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31))


@given(days, st.integers(0, 1500), st.integers(0, 1500), st.decimals(0, 20_000, places=2))
def test_costing_a_range_equals_the_sum_of_its_parts(first, a, b, weekly):
    middle = first + timedelta(days=a)
    last = middle + timedelta(days=b)
    whole = cost_between(weekly, first, last)
    assert whole == cost_between(weekly, first, middle) + cost_between(weekly, middle + timedelta(days=1), last)
    assert sum(split_by_fy(weekly, first, last).values(), Fraction(0)) == whole
    assert whole == Fraction(weekly) * ((last - first).days + 1) / 7


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(-10**4, 10**4), st.integers(0, 10**6),
                          st.integers(0, 10**4), st.integers(0, 10**4)), min_size=1, max_size=6))
def test_lines_sum_to_totals_and_reserves_reduce_the_deficit(rows):
    from placecast.finance.budget import Budget, BudgetLine

    lines = [BudgetLine(f"L{i}", Decimal(b), [("change", Decimal(c))], Decimal(f), {"grant": Decimal(cv)},
                        Decimal(r), None) for i, (b, c, f, cv, r) in enumerate(rows)]
    budget = Budget("t", "q", Decimal(1000), lines, adjustment_labels={"grant": "Grant"})
    table = budget.outturn_table()
    body, total = table.iloc[:-1], table.iloc[-1]
    for col in ("cash_limit", "forecast_net_expenditure", "grant", "reserves", "net_after_adjustments_and_reserves",
                "deficit"):
        assert sum(body[col]) == total[col]
    head = budget.headline()
    assert head["deficit_after_reserves"] == head["deficit_before_reserves"] - head["reserves_used"]  # type: ignore
    if budget.total("cash_limit") == 0:
        assert head["deficit_before_pct"] is None


def _bad_budget(tmp_path, text):
    p = tmp_path / "budget.yaml"
    p.write_text(text if "units:" in text else text + "units: £000\n", encoding="utf-8")  # last: lines unmoved
    with pytest.raises(FinanceInputError) as info:
        read_budget(p)
    return info.value.problems


def test_unbalanced_budget_changes_are_located(tmp_path):
    problems = _bad_budget(tmp_path, "lines:\n  - {name: A, budget_previous_quarter: 100, changes: "
                                     "[{description: x, amount: 10}], cash_limit: 120, forecast_net_expenditure: 5}\n")
    assert [(p.where, p.column) for p in problems] == [("2", "lines[0].cash_limit")]
    assert "unbalanced" in problems[0].message


def test_non_numeric_and_negative_amounts_and_duplicate_reserves_are_located(tmp_path):
    problems = _bad_budget(tmp_path, """lines:
  - {name: A, budget_previous_quarter: lots, forecast_net_expenditure: 5, reserves: -3}
reserves:
  - {category: C, narration: N, purpose: P, approved_use_balance: 10, approved_use: 5}
  - {category: C, narration: N, purpose: P, approved_use_balance: 10, approved_use: 5}
""")
    located = {(p.where, p.column, p.value) for p in problems}
    assert ("2", "lines[0].budget_previous_quarter", "lots") in located
    assert ("2", "lines[0].reserves", "-3") in located


def test_duplicate_reserves_are_located_once_the_file_matches_its_schema(tmp_path):
    problems = _bad_budget(tmp_path, """lines:
  - {name: A, budget_previous_quarter: 1, forecast_net_expenditure: 5, reserves: 10}
reserves:
  - {category: C, narration: N, purpose: P, approved_use_balance: 10, approved_use: 5}
  - {category: C, narration: N, purpose: P, approved_use_balance: 10, approved_use: 5}
""")
    assert [(p.where, p.column, p.value) for p in problems] == [("5", "reserves[1].purpose", "P")]


def test_a_file_that_is_not_a_budget_writes_nothing(tmp_path):
    bad = tmp_path / "b.yaml"
    bad.write_text("just: [a, list", encoding="utf-8")
    result = CliRunner().invoke(app, ["outturn", str(bad), "--as-at", "2023-09-30", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and not (tmp_path / "o").exists()


def test_bad_unit_cost_files_are_located(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("cost_line,weekly_cost,effective_from\nsecure,-5,2023-04-01\nkinship,abc,2023-04-01\n"
                 "other,10,tomorrow\n", encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_unit_costs(p)
    assert [(x.where, x.column) for x in info.value.problems] == [("2", "weekly_cost"), ("3", "weekly_cost"),
                                                                 ("4", "effective_from")]


def test_two_costs_from_one_day_or_two_inflation_rates_are_errors_not_a_silent_choice(tmp_path):
    """Both were read: the later row's inflation applied to every line, and which of two costs taking effect
    on the same day applied was left to the sort."""
    p = tmp_path / "u.csv"
    p.write_text("cost_line,weekly_cost,effective_from,inflation\nsecure,7000,2023-04-01,0\n"
                 "supported,1500,2023-04-01,0.03\nsecure,7500,2023-04-01,0\n", encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_unit_costs(p)
    assert [(x.where, x.column) for x in info.value.problems] == [("3", "inflation"), ("4", "effective_from")]
    assert "already has a cost from this day (line 2)" in info.value.problems[1].message
    y = tmp_path / "u.yaml"
    y.write_text("costs:\n  secure: [{from: 2023-04-01, weekly: 7000}, {from: 2023-04-01, weekly: 7500}]\n",
                 encoding="utf-8")
    with pytest.raises(FinanceInputError, match="two weekly costs take effect on the same day"):
        read_unit_costs(y)


def test_the_forecast_of_new_demand_must_begin_at_the_position_date_a_month_end():
    """A forecast from 30/09 set against a position at 15/09 (or 31/08) left out the days between: the demo's
    deficit fell from £2,652k to £1,379k (£112k), exit 0."""
    from placecast.errors import UnusableInputError
    from placecast.finance.outturn import forecast_cost_to_year_end

    costed = pd.DataFrame({"run": [0] * 6, "month_end": pd.date_range("2025-10-31", periods=6, freq="ME"),
                           "cost_pence": [100_00] * 6})
    assert forecast_cost_to_year_end(costed, date(2025, 9, 30)).tolist() == [600.0]
    assert forecast_cost_to_year_end(costed, date(2025, 10, 31)).tolist() == [500.0]  # an older forecast: later months
    with pytest.raises(UnusableInputError, match="must be a month end, not 15/09/2025: give 30/09/2025 or 31/08/2025"):
        forecast_cost_to_year_end(costed, date(2025, 9, 15))
    with pytest.raises(UnusableInputError, match="starts at 30/09/2025, after the position date 31/08/2025"):
        forecast_cost_to_year_end(costed, date(2025, 8, 31))


def test_inflation_is_a_fraction_or_a_percentage_with_its_sign_and_3_says_how_to_write_it(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("cost_line,weekly_cost,effective_from,inflation\nsecure,7000,2023-04-01,3%\n", encoding="utf-8")
    assert read_unit_costs(p).inflation == Decimal("0.03")
    p.write_text("cost_line,weekly_cost,effective_from,inflation\nsecure,7000,2023-04-01,3\n", encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_unit_costs(p)
    assert "write 0.03 (or 3%) for 3% a year" in info.value.problems[0].message
    y = tmp_path / "u.yaml"
    y.write_text("inflation_per_year: 2.5%\ncosts:\n  secure: [{from: 2023-04-01, weekly: 7000}]\n", encoding="utf-8")
    assert read_unit_costs(y).inflation == Decimal("0.025")


def test_unknown_cost_line_in_a_forecast_is_an_error():
    runs = pd.DataFrame({"run": [0], "month_end": ["2025-04-30"], "category": ["spaceship"], "days": [30.0]})
    with pytest.raises(FinanceInputError, match="spaceship"):
        cost_runs(runs, default_unit_costs())


@given(st.integers(1, 4), st.integers(1, 30),
       st.sampled_from([date(2025, 1, 31), date(2025, 3, 31), date(2026, 6, 30)]), st.randoms(use_true_random=False))
def test_cost_by_run_and_year_equals_the_long_table_summed(runs, months, first, rnd):
    """The scenario's costing straight from the days array (issue 18's planner preview) gives the sums of
    the long costed table by run and financial year, over year ends and the lines' April uplifts."""
    import numpy as np

    from placecast.finance.forecast_cost import cost_by_run_fy
    from placecast.model import Forecast

    costs = default_unit_costs()
    cats = list(costs.rates)[:4]
    ends = [pd.Timestamp(first) + pd.offsets.MonthEnd(k) for k in range(months + 1)]
    days = np.array([[[rnd.choice([0.0, 3.5, 30.0, 31.0 * rnd.random()]) for _ in cats] for _ in range(months)]
                     for _ in range(runs)])
    fc = Forecast.from_arrays(ends, cats, np.zeros((runs, months + 1, len(cats))), days)
    long = cost_runs(fc.run_days(), costs)
    expected = long.groupby(["run", "financial_year"])["cost_pence"].sum().unstack(fill_value=0.0) / 100
    got = cost_by_run_fy(days, [e.date() for e in ends[1:]], cats, costs)
    assert list(got.columns) == list(expected.columns)
    assert np.allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-9)


@given(st.integers(1, 5), st.integers(1, 30),
       st.sampled_from([date(2025, 1, 31), date(2025, 3, 31), date(2026, 6, 30)]), st.randoms(use_true_random=False))
def test_cost_summary_by_year_equals_the_long_tables_summary(runs, months, first, rnd):
    """The region's cost table straight from each forecast's days array gives the long costed table's summary:
    the same rows in the same order (financial years, then categories with the total among them), the same
    means and quantiles of cost across runs."""
    import numpy as np

    from placecast.finance.forecast_cost import cost_summary_by_year
    from placecast.model import Forecast

    costs = default_unit_costs()
    cats = list(costs.rates)[:5]
    rnd.shuffle(cats)
    ends = [pd.Timestamp(first) + pd.offsets.MonthEnd(k) for k in range(months + 1)]
    days = np.array([[[rnd.choice([0.0, 3.5, 30.0, 31.0 * rnd.random()]) for _ in cats] for _ in range(months)]
                     for _ in range(runs)])
    fc = Forecast.from_arrays(ends, cats, np.zeros((runs, months + 1, len(cats))), days)
    expected = cost_summary(cost_runs(fc.run_days(), costs), "financial_year")
    got = cost_summary_by_year(days, [e.date() for e in ends[1:]], cats, costs)
    assert list(got.columns) == list(expected.columns)
    keys = ["financial_year", "category"]
    assert got[keys].values.tolist() == expected[keys].values.tolist()
    numbers = ["mean_gbp", "p10_gbp", "p50_gbp", "p90_gbp"]
    assert np.allclose(got[numbers].to_numpy(), expected[numbers].to_numpy(), rtol=1e-12, atol=1e-9)


def test_cost_by_run_and_year_refuses_a_category_without_a_unit_cost():
    import numpy as np

    from placecast.finance.forecast_cost import cost_by_run_fy

    with pytest.raises(FinanceInputError, match="spaceship"):
        cost_by_run_fy(np.ones((1, 1, 1)), [date(2025, 4, 30)], ["spaceship"], default_unit_costs())


def test_a_misspelt_unit_cost_line_is_named_beside_the_category_it_leaves_without_a_cost():
    import numpy as np

    from placecast.finance.forecast_cost import cost_by_run_fy
    from placecast.finance.unit_costs import UnitCosts

    rates = default_unit_costs().rates
    misspelt = UnitCosts({("residential_externel" if k == "residential_external" else k): v
                          for k, v in rates.items()}, default_unit_costs().inflation)
    with pytest.raises(FinanceInputError, match="'residential_externel' is no category: is it this one misspelt"):
        cost_by_run_fy(np.ones((1, 1, 2)), [date(2025, 4, 30)], ["residential_external", "secure"], misspelt)


def test_forecast_cost_quantiles_are_of_cost_not_of_counts():
    runs = pd.DataFrame({"run": [0, 0, 1, 1, 2, 2], "month_end": ["2025-04-30"] * 6,
                         "category": ["residential_external", "fostering_inhouse"] * 3,
                         "days": [30.0, 0.0, 0.0, 300.0, 15.0, 150.0]})
    summary = cost_summary(cost_runs(runs, default_unit_costs()), "financial_year").set_index("category")
    per_run = [30 * 5000 / 7, 300 * 450 / 7, 15 * 5000 / 7 + 150 * 450 / 7]
    assert summary.loc["total", "p50_gbp"] == pytest.approx(sorted(per_run)[1])
    assert summary.loc["total", "mean_gbp"] == pytest.approx(sum(per_run) / 3)


def test_outturn_cli_writes_tables_in_thousands(tmp_path):
    result = CliRunner().invoke(app, ["outturn", str(EXAMPLES / "budget.yaml"), "--as-at", "2023-09-30",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    outturn = pd.read_csv(tmp_path / "outturn.csv").set_index("line")
    assert outturn.loc["Total", "deficit"] == 4750
    head = pd.read_csv(tmp_path / "headline.csv").iloc[0]
    assert head["deficit_before_pct"] == 16.5 and head["deficit_after_reserves"] == 4750


@pytest.mark.parametrize(("units", "expected"), [("thousands", Decimal("150.5")), ("pounds", Decimal(150_500))])
def test_amounts_from_commitments_are_converted_to_the_files_units(tmp_path, units, expected):
    p = tmp_path / "budget.yaml"
    p.write_text(f"units: {units}\nlines:\n  - {{name: Placements, budget_previous_quarter: 0, "
                 "actuals_to_date: 0, committed_to_year_end: from_commitments, new_demand: 0}\n", encoding="utf-8")
    budget = read_budget(p, {"from_commitments": Decimal(150_500)})
    assert budget.lines[0].forecast_net_expenditure == expected


def test_days_after_the_care_data_are_said_to_be_costed_as_the_open_placements_carrying_on():
    """With returns ending 31/03/2025, an outturn at 30/09/2025 costed six months of 'actuals' from placements
    open at the data's end with no word of it; the quarter's warning said the actuals ran to the data's end."""
    from placecast.finance.outturn import data_gap_warning
    from placecast.quarter.run import history_at
    from placecast.testing import small_history

    assert data_gap_warning(date(2025, 9, 30), date(2025, 9, 30)) is None
    said = data_gap_warning(date(2025, 3, 31), date(2025, 9, 30))
    assert said is not None and "from 01/04/2025 to 30/09/2025 are costed as if every placement open" in said
    _, warnings, _ = history_at(small_history(), date(2025, 9, 30))
    assert said in warnings


def test_tables_for_excel_keep_a_pound_sign_and_a_curly_apostrophe(tmp_path):
    """Excel reads a CSV without a byte-order mark as ANSI, showing 'Â£' for '£'."""
    from placecast.outputs import write_tables

    write_tables(tmp_path / "out", {"t.csv": pd.DataFrame({"line": ["Children’s placements (£000)"], "v": [1]})})
    raw = (tmp_path / "out" / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(tmp_path / "out" / "t.csv")["line"].tolist() == ["Children’s placements (£000)"]


def test_an_outturn_dated_in_another_financial_year_than_its_budget_is_refused(tmp_path):
    """A 2025/26 Q2 budget with --as-at 30/06/2026 set that year's budget against 2026/27's placements: a
    deficit of -15% of the cash limit, exit 0."""
    from importlib import resources

    from placecast.errors import UnusableInputError
    from placecast.finance.budget import check_budget_year, read_budget_model

    demo = read_budget_model(Path(str(resources.files("placecast.report").joinpath("defaults", "demo_budget.yaml"))))
    check_budget_year(demo, date(2025, 9, 30), "demo")
    with pytest.raises(UnusableInputError, match="is for 2025/26, but the position date 30/06/2026 falls in 2026/27"):
        check_budget_year(demo, date(2026, 6, 30), "demo")
    result = CliRunner().invoke(app, ["outturn", str(EXAMPLES / "budget.yaml"), "--as-at", "2031-09-30",
                                      "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, UnusableInputError) and not (tmp_path / "o").exists()


def test_the_outturn_says_how_the_register_and_the_history_disagree_and_refuses_another_key(tmp_path, monkeypatch):
    # The reconciliation was written to two CSV files and never mentioned: a register matching almost nothing
    # (as with another key, now refused) gave a normal-looking outturn with exit 0.
    from placecast.ssda903.pseudonym import KeyMismatchError, write_key_file

    from builders import mini_return

    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    monkeypatch.delenv("PLACECAST_KEY_FILE", raising=False)
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(mini_return(tmp_path / "r")), "--out", str(tmp_path / "h")])
    assert ingest.exit_code in (0, 1), ingest.output
    register = tmp_path / "register.csv"
    register.write_text("child_id,placement_ref,provider,cost_line,weekly_cost,start,planned_end\n"
                        "1001,P1,Acme,fostering_external,900,2023-09-01,\n"
                        "9999,P2,Acme,fostering_external,900,2023-09-01,\n", encoding="utf-8")
    args = ["outturn", str(EXAMPLES / "budget.yaml"), "--as-at", "2023-09-30", "--out", str(tmp_path / "o"),
            "--history", str(tmp_path / "h"), "--commitments", str(register)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 commitment(s) with no child in care on 30/09/2023 and 1 paid placement(s) open" in said
    assert len(pd.read_csv(tmp_path / "o" / "placements_without_commitment.csv")) == 1
    write_key_file(tmp_path / "other.key", b"another-key-long-enough-to-be-a-key")
    refused = runner.invoke(app, [*args, "--key-file", str(tmp_path / "other.key")])
    assert isinstance(refused.exception, KeyMismatchError) and "not the key" in str(refused.exception)


def test_an_outturn_refuses_a_forecast_that_leaves_out_uasc(tmp_path):
    """New demand is the forecast less what is committed; a forecast without UASC understated it by their cost."""
    import json

    from placecast.errors import UnusableInputError

    forecast = tmp_path / "forecast"
    forecast.mkdir()
    pd.DataFrame({"run": [0], "month_end": ["2023-10-31"], "category": ["secure"], "days": [31.0]}).to_parquet(
        forecast / "placement_days_runs.parquet", index=False)
    (forecast / "forecast_settings.json").write_text(json.dumps({"uasc": "exclude", "origin": "2023-09-30"}))
    args = ["outturn", str(EXAMPLES / "budget.yaml"), "--as-at", "2023-09-30", "--out", str(tmp_path / "o"),
            "--forecast", str(forecast)]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, UnusableInputError) and "--uasc include" in str(result.exception)
    (forecast / "forecast_settings.json").write_text(json.dumps({"uasc": "include", "origin": "2023-09-30"}))
    assert CliRunner().invoke(app, args).exit_code == 0


def test_an_outturn_needs_care_data_from_the_start_of_its_financial_year():
    """At 30/09/2019 on returns beginning 01/04/2021, the actuals since 1 April counted only the children who were
    still in care in 2021 (£776k) and the outturn showed a £26m surplus, exit 0."""
    from placecast.errors import UnusableInputError
    from placecast.finance.outturn import check_data_cover_the_year

    check_data_cover_the_year(date(2021, 4, 1), date(2021, 9, 30))
    check_data_cover_the_year(date(2020, 4, 1), date(2021, 9, 30))
    with pytest.raises(UnusableInputError, match="begin on 01/04/2021, after the start of the financial year"):
        check_data_cover_the_year(date(2021, 4, 1), date(2019, 9, 30))


def test_a_unit_cost_that_takes_effect_later_is_not_used_for_earlier_days(tmp_path):
    """A unit costs file whose prices start on 1 April 2024, for an outturn at 30/09/2023, costed 2023's days at
    the 2024 prices (a line's first price stood for every day before it) with exit 0."""
    from placecast.errors import UnusableInputError

    costs = tmp_path / "costs.csv"
    costs.write_text("cost_line,weekly_cost,effective_from\n"
                     + "".join(f"{line},{weekly},2024-04-01\n" for line, [(_, weekly)]
                               in default_unit_costs().rates.items()), encoding="utf-8")
    result = CliRunner().invoke(app, ["outturn", str(EXAMPLES / "budget.yaml"), "--as-at", "2023-09-30",
                                      "--unit-costs", str(costs), "--out", str(tmp_path / "o")])
    text = str(result.exception)  # exit 2 at the command (placecast.cli.main)
    assert isinstance(result.exception, UnusableInputError) and not (tmp_path / "o").exists()
    assert f"{costs}: residential_external has no cost before 01/04/2024" in text
    assert "Add each line's cost taking effect on or before 01/04/2023" in text


def test_a_nil_cash_limit_says_so_rather_than_none_or_0_percent(tmp_path):
    """A grant-funded budget (gross equal to income) printed 'None%' at the command and '0.0% of the cash limit'
    in the report's headline."""
    from placecast.finance.budget import share_text

    budget = tmp_path / "budget.yaml"
    budget.write_text("title: Grant-funded service\nyear: 2024/25\nperiod: quarter 2\nunits: £000\nlines:\n"
                      "  - {name: Grant-funded service, budget_gross: 500, budget_income: 500, "
                      "forecast_variance: 40}\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["outturn", str(budget), "--as-at", "2024-09-30", "--out", str(tmp_path / "o")])
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "Before reserves, a deficit of £40k (the cash limit is nil)" in text and "None" not in text
    assert share_text(Decimal("2.04")) == "2.0% of the cash limit"


def test_costs_of_a_forecast_without_uasc_say_so_and_keep_its_settings(tmp_path):
    """'placecast costs' on a forecast made with --uasc exclude printed its total as the placement cost, with no
    word that the UASC's cost was left out, and the cost folder did not say which children it counted."""
    import json

    forecast = tmp_path / "forecast"
    forecast.mkdir()
    pd.DataFrame({"run": [0, 1], "month_end": ["2025-04-30"] * 2, "category": ["secure"] * 2,
                  "days": [30.0, 30.0]}).to_parquet(forecast / "placement_days_runs.parquet", index=False)
    settings = json.dumps({"uasc": "exclude", "origin": "2025-03-31"})
    (forecast / "forecast_settings.json").write_text(settings)
    result = CliRunner().invoke(app, ["costs", str(forecast), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "UASC left out" in " ".join(result.output.split())
    assert (tmp_path / "c" / "forecast_settings.json").read_text() == settings


def _forecast_folder(folder, history, origin, change=0):
    """A forecast folder whose origin rows are the history's children in care then (one more when ``change``)."""
    import json

    from placecast.ssda903.assemble import count_in_care
    from placecast.ssda903.taxonomy import load_taxonomy

    folder.mkdir(exist_ok=True)
    counts = count_in_care(history.episodes, origin, load_taxonomy().categories)
    rows = [{"date": origin.isoformat(), "category": c, "mean": float(n)} for c, n in counts.items()]
    rows[0]["mean"] += change
    pd.DataFrame(rows).to_csv(folder / "forecast.csv", index=False)
    (folder / "forecast_settings.json").write_text(json.dumps({"uasc": "include", "origin": origin.isoformat()}))
    return folder


def test_a_forecast_of_other_returns_or_from_before_the_position_is_refused_for_the_outturn(tmp_path):
    """Another council's forecast (or an earlier ingest's) gave the outturn its new demand, and last quarter's
    forecast set against this quarter's commitments took £846k off the demo's deficit, both with exit 0."""
    from placecast.errors import UnusableInputError
    from placecast.model.card import check_forecast_is_of
    from placecast.testing import small_history

    history = small_history()
    census = history.census_date
    check_forecast_is_of(_forecast_folder(tmp_path / "same", history, census), history.episodes, census, census)
    other = _forecast_folder(tmp_path / "other", history, census, change=1)
    with pytest.raises(UnusableInputError, match="was made from other returns"):
        check_forecast_is_of(other, history.episodes, census, census)
    earlier = date(census.year - 1, 12, 31)
    stale = _forecast_folder(tmp_path / "stale", history, earlier)
    with pytest.raises(UnusableInputError, match=f"Forecast again from {census:%d/%m/%Y}"):
        check_forecast_is_of(stale, history.episodes, census, census)
    check_forecast_is_of(stale, history.episodes, census, earlier)  # the data end there: the best forecast there is


def test_residential_care_priced_at_about_a_days_cost_is_said(tmp_path):
    """Daily rates typed into the weekly column (£714 for £5,000 a week) cost every residential placement at a
    seventh of its price, without a word; fostering's weekly costs are that low and are not questioned."""
    from placecast.finance.unit_costs import read_unit_costs

    p = tmp_path / "costs.csv"
    p.write_text("cost_line,weekly_cost,effective_from\nresidential_external,714.29,2024-04-01\n"
                 "residential_inhouse,3000,2024-04-01\nfostering_external,900,2024-04-01\nsecure,0,2024-04-01\n",
                 encoding="utf-8")
    (warning,) = read_unit_costs(p).warnings()
    assert warning.startswith(f"{p}: residential_external costs £714.29 a week from 01/04/2024, about what a day")
    assert "write 5,000.03 for £714.29 a day" in warning
    assert default_unit_costs().warnings() == []


def test_costs_at_the_built_in_unit_costs_say_they_are_illustrative(clean_council, tmp_path):
    """costs, scenario run/compare and region priced everything at the built-in illustrative costs without a
    word (and scenario and region had no --unit-costs at all)."""
    forecast = tmp_path / "forecast"
    made = CliRunner().invoke(app, ["forecast", str(clean_council), "--horizon-months", "6", "--runs", "20",
                                    "--backtest-runs", "0", "--out", str(forecast)])
    assert made.exit_code == 0, made.output
    costs = tmp_path / "costs.csv"
    costs.write_text("cost_line,weekly_cost,effective_from\n" + "".join(
        f"{line},{2 * weekly},2020-04-01\n" for line, ((_, weekly),) in default_unit_costs().rates.items()),
        encoding="utf-8")
    built_in = CliRunner().invoke(app, ["costs", str(forecast), "--out", str(tmp_path / "a")])
    own = CliRunner().invoke(app, ["costs", str(forecast), "--out", str(tmp_path / "b"), "--unit-costs", str(costs)])
    assert built_in.exit_code == own.exit_code == 0, built_in.output
    said = " ".join(built_in.output.split())
    assert "the forecast's costs are at Placecast's built-in illustrative unit costs" in said
    assert "illustrative" not in own.output
    a, b = (pd.read_csv(tmp_path / d / "cost_by_year.csv", encoding="utf-8-sig") for d in ("a", "b"))
    assert (b["mean_gbp"].sum() / a["mean_gbp"].sum()) == pytest.approx(2, rel=1e-6)

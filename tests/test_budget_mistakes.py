"""Ordinary mistakes in a budget file stop the run with the file, the line and the fix (issue 14):
a wrong outturn with exit 0 is the worst thing this product can do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from typer.testing import CliRunner

from placecast.cli import app
from placecast.finance import read_budget
from placecast.finance.errors import FinanceInputError

GOOD = """units: £000
cash_limit: 250
lines:
  - {name: Placements, budget_previous_quarter: 100, forecast_net_expenditure: 110, reserves: 5}
  - {name: Social work, budget_previous_quarter: 150, forecast_net_expenditure: 149}
reserves:
  - {category: Children's reserve, purpose: Placements, approved_use_balance: 20, approved_use: 5}
"""


def _problems(tmp_path, text: str, sources: dict | None = None):
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_budget(path, sources)
    return info.value.problems


def test_the_good_budget_reads(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD, encoding="utf-8")
    budget = read_budget(path)
    assert budget.total("cash_limit") == 250 and budget.total("deficit") == Decimal(4)


def test_a_misspelt_key_names_the_line_and_the_key_it_meant(tmp_path):
    problems = _problems(tmp_path, GOOD.replace("forecast_net_expenditure: 149", "forcast_net_expenditure: 149"))
    assert problems[0].where == "5" and "did you mean 'forecast_net_expenditure'" in problems[0].message


@pytest.mark.parametrize("typed", ['"149,5"', '"1,49"', '"14,90,0"'])
def test_a_comma_that_does_not_group_thousands_is_an_error_not_read_as_a_bigger_number(tmp_path, typed):
    # '149,5' (a decimal comma) was read as 1495: £1.35m more deficit, exit 0.
    text = GOOD.replace("forecast_net_expenditure: 149}", f"forecast_net_expenditure: {typed}}}")
    problems = _problems(tmp_path, text)
    assert [(p.where, p.value) for p in problems] == [("5", typed.strip('"'))]


def test_thousands_separators_and_a_pound_sign_still_read(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD.replace("cash_limit: 250", 'cash_limit: "£1,250"').replace(
        "forecast_net_expenditure: 149}", 'forecast_net_expenditure: "1,149.00"}').replace(
        "budget_previous_quarter: 150", 'budget_previous_quarter: "1,150"'), encoding="utf-8")
    budget = read_budget(path)
    assert budget.total("deficit") == Decimal(4) and budget.total("cash_limit") == 1250


@pytest.mark.parametrize("unit", ["£m", "thousand", "GBP thousands", "pence"])
def test_an_unknown_unit_is_an_error_listing_the_accepted_ones(tmp_path, unit):
    problems = _problems(tmp_path, GOOD.replace("units: £000", f"units: {unit}"))
    assert problems[0].where == "1" and "£000" in problems[0].message and "pounds" in problems[0].message


def test_a_forecast_given_in_part_is_an_error_not_a_short_forecast(tmp_path):
    text = GOOD.replace("forecast_net_expenditure: 110", "actuals_to_date: 40, committed_to_year_end: 60")
    problems = _problems(tmp_path, text)
    assert [(p.where, p.column) for p in problems] == [("4", "lines[0].new_demand")]
    assert "0 if there is none" in problems[0].message


def test_a_line_without_a_budget_is_an_error_not_a_budget_of_nil(tmp_path):
    """A line with its forecast and no budget had a cash limit of 0: its whole £1.3m forecast a deficit, exit 0."""
    problems = _problems(tmp_path, "units: £000\nlines:\n  - {name: Placements, budget_previous_quarter: 100, "
                                   "forecast_net_expenditure: 110}\n"
                                   "  - {name: Leaving care, forecast_net_expenditure: 1300}\n")
    assert [(p.where, p.column) for p in problems] == [("4", "lines[1]")]
    assert "gives no budget" in problems[0].message and "budget_previous_quarter (0 if it has none)" in \
        problems[0].message


def test_a_cash_limit_alone_is_the_budget_after_its_changes(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text("units: £000\nlines:\n  - {name: Placements, cash_limit: 1200, changes: [{description: Growth, "
                    "amount: 200}], forecast_net_expenditure: 1300}\n", encoding="utf-8")
    line = read_budget(path).lines[0]
    assert (line.budget_previous, line.cash_limit, line.deficit) == (1000, 1200, 100)


def test_a_line_with_a_budget_only_is_shown_at_budget_and_says_so(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD.replace(", forecast_net_expenditure: 149", ""), encoding="utf-8")
    budget = read_budget(path)
    row = budget.outturn_table().set_index("line").loc["Social work"]
    assert row["forecast_net_expenditure"] == 150 and row["deficit"] == 0
    assert row["forecast_basis"] == "budget only (no forecast given)"
    (said,) = budget.gap_warnings()  # the outturn's warnings (the report's too): it moves the position
    assert said.startswith("1 of 2 budget lines gives a budget and no forecast, and is shown at budget, with no "
                           "variance: Social work.")


def test_a_key_written_with_no_value_is_an_error_not_the_key_left_out(tmp_path):
    """'forecast_net_expenditure:' with its figure forgotten showed the line at budget (£395k less deficit in the
    demo's file), and an empty previous_quarter_deficit dropped the movement, each with exit 0."""
    problems = _problems(tmp_path, GOOD.replace("forecast_net_expenditure: 149}", "forecast_net_expenditure: ,\n"
                                                "      previous_quarter_deficit: }"))
    assert [(p.where, p.column, p.value) for p in problems] == [
        ("5", "lines[1].forecast_net_expenditure", ""), ("6", "lines[1].previous_quarter_deficit", "")]
    assert problems[0].message == ("forecast_net_expenditure has no value. Write it (0 for none), or remove the key: "
                                   "a line with a budget and no forecast is shown at budget.")


def test_a_budget_in_pounds_marked_thousands_is_caught_against_the_data(tmp_path):
    text = GOOD.replace("budget_previous_quarter: 100, forecast_net_expenditure: 110",
                        "budget_previous_quarter: 100000, actuals_to_date: from_history, committed_to_year_end: 0, "
                        "new_demand: 0").replace("cash_limit: 250", "cash_limit: 100150")
    problems = _problems(tmp_path, text, {"from_history": Decimal(95_000)})
    assert [(p.where, p.column) for p in problems] == [("4", "lines[0].budget_previous_quarter")]
    assert "pounds marked £000" in problems[0].message
    path = tmp_path / "right.yaml"
    path.write_text(text.replace("100000", "100").replace("100150", "250"), encoding="utf-8")
    assert read_budget(path, {"from_history": Decimal(95_000)}).lines[0].forecast_net_expenditure == 95


def test_a_line_whose_budget_and_forecast_are_a_thousand_times_apart_is_a_unit_slip(tmp_path):
    """A budget of 18,400,000 typed in pounds beside a forecast of 19,105 in £000 made a surplus of £18bn (99.7%
    of the cash limit) with exit 0, on a line that nothing computed from the data."""
    text = GOOD.replace("budget_previous_quarter: 150, forecast_net_expenditure: 149",
                        "budget_previous_quarter: 150000, forecast_net_expenditure: 149").replace(
        "cash_limit: 250", "cash_limit: 150100")
    (problem,) = _problems(tmp_path, text)
    assert (problem.where, problem.column, problem.value) == ("5", "lines[1].forecast_net_expenditure", "149")
    assert "a budget about 1,007 times its forecast (150,000 and 149)" in problem.message
    reverse = GOOD.replace("forecast_net_expenditure: 149", "forecast_net_expenditure: 149000")
    assert "a forecast about 993 times its budget" in _problems(tmp_path, reverse)[0].message
    overspent = tmp_path / "overspent.yaml"  # a line twenty times over its budget is an overspend, not a slip
    overspent.write_text(GOOD.replace("forecast_net_expenditure: 149", "forecast_net_expenditure: 3000"),
                         encoding="utf-8")
    assert read_budget(overspent).lines[1].forecast_net_expenditure == 3000


def test_lines_that_do_not_add_up_to_the_stated_cash_limit_show_the_difference(tmp_path):
    problems = _problems(tmp_path, GOOD.replace("cash_limit: 250", "cash_limit: 260"))
    assert [(p.where, p.column) for p in problems] == [("2", "cash_limit")]
    assert "add up to 250, not 260" in problems[0].message and "difference of -10" in problems[0].message


def test_reserves_drawn_beyond_their_balance_or_with_none_listed_are_errors(tmp_path):
    problems = _problems(tmp_path, GOOD.replace("approved_use_balance: 20", "approved_use_balance: 3"))
    assert any(p.column == "reserves[0].approved_use" and "more than the reserve holds" in p.message
               for p in problems)
    none_listed = GOOD[: GOOD.index("reserves:\n")]
    problems = _problems(tmp_path, none_listed)
    assert [p.column for p in problems] == ["lines"] and "no reserve is listed" in problems[0].message


def test_a_negative_budget_is_an_error_unless_the_line_is_income(tmp_path):
    text = GOOD.replace("budget_previous_quarter: 150, forecast_net_expenditure: 149",
                        "budget_previous_quarter: -150, forecast_net_expenditure: -149").replace("250", "-50")
    problems = _problems(tmp_path, text)
    assert [(p.where, p.column) for p in problems] == [("5", "lines[1].budget_previous_quarter")]
    path = tmp_path / "income.yaml"
    path.write_text(text.replace("{name: Social work,", "{name: Social work, income: true,"), encoding="utf-8")
    assert read_budget(path).total("cash_limit") == -50


def test_the_cli_stops_with_exit_2_and_writes_nothing(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD.replace("cash_limit: 250", "cash_limit: 260"), encoding="utf-8")
    result = CliRunner().invoke(app, ["outturn", str(path), "--as-at", "2025-09-30", "--out", str(tmp_path / "out")])
    from placecast.errors import PlacecastError  # the CLI's main() makes it exit 2 with the message

    assert isinstance(result.exception, PlacecastError) and "add up to 250" in str(result.exception)
    assert not (tmp_path / "out").exists()


def test_a_position_beyond_half_the_cash_limit_says_to_check_the_units(tmp_path):
    """A budget change of 1,200,000 typed in pounds in a file of £000 made a surplus of 95% of the cash limit,
    printed with exit 0 and no word."""
    from datetime import date

    from placecast.finance import default_unit_costs
    from placecast.finance.budget import read_budget_input
    from placecast.finance.outturn import forecast_outturn

    path = tmp_path / "budget.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert forecast_outturn(read_budget_input(path), date(2025, 9, 30), default_unit_costs()).warnings() == []
    path.write_text(GOOD.replace("cash_limit: 250\n", "").replace(
        "budget_previous_quarter: 150, forecast_net_expenditure: 149",
        "budget_previous_quarter: 150, changes: [{description: Contingency, amount: 12000}], "
        "forecast_net_expenditure: 149"), encoding="utf-8")
    (said,) = forecast_outturn(read_budget_input(path), date(2025, 9, 30), default_unit_costs()).warnings()
    assert said.startswith("The surplus before reserves is 98% of the cash limit") and "1,000 times" in said
    path.write_text(GOOD.replace("forecast_net_expenditure: 149}", "forecast_net_expenditure: 149, "
                                 "previous_quarter_deficit: 3000}").replace(
        "reserves: 5}", "reserves: 5, previous_quarter_deficit: 2}"), encoding="utf-8")  # 3,000 for 3
    (said,) = forecast_outturn(read_budget_input(path), date(2025, 9, 30), default_unit_costs()).warnings()
    assert said.startswith("The deficit at the previous report is 1201% of the cash limit")
    # the command writes its tables and exits 1, as the report with the same warning does (it exited 0)
    result = CliRunner().invoke(app, ["outturn", str(path), "--as-at", "2025-09-30", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "1201% of the cash limit" in " ".join(result.output.split())
    assert (tmp_path / "o" / "outturn.csv").exists()


def test_adjustments_are_the_councils_own_named_columns_shown_only_when_used(tmp_path):
    text = GOOD.replace("cash_limit: 250\n", "cash_limit: 250\nadjustments:\n"
                        "  - {id: uasc_grant, label: UASC grant}\n  - {id: one_off, label: One-off funding}\n")
    text = text.replace("forecast_net_expenditure: 110, reserves: 5}",
                        "forecast_net_expenditure: 110, reserves: 5, adjustments: {uasc_grant: 3}}")
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    budget = read_budget(path)
    assert budget.adjustments_used == {"uasc_grant": "UASC grant"}
    row = budget.outturn_table().set_index("line").loc["Placements"]
    assert row["uasc_grant"] == -3 and row["one_off"] == 0 and row["net_after_adjustments_and_reserves"] == 102
    assert budget.deficit_before_reserves() == Decimal(6)  # 110 + 149 - 3 - 250
    problems = _problems(tmp_path, text.replace("{uasc_grant: 3}", "{uasc_grnt: 3}"))
    assert [p.column for p in problems] == ["lines[0].adjustments.uasc_grnt"] and "not declared" in problems[0].message


def test_the_variance_is_shown_per_line_and_in_total_as_a_share_of_that_lines_budget(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD, encoding="utf-8")
    table = read_budget(path).outturn_table().set_index("line")
    assert table.loc["Placements", "deficit"] == 5 and table.loc["Placements", "deficit_pct"] == 5
    assert round(table.loc["Social work", "deficit_pct"], 3) == Decimal("-0.667")
    assert table.loc["Total", "deficit_pct"] == Decimal(4) / 250 * 100


def test_ring_fenced_lines_are_reported_beside_the_position_not_inside_it(tmp_path):
    text = GOOD.replace("reserves:\n", "  - {name: Dedicated Schools Grant high needs, outside_cash_limit: true, "
                        "budget_previous_quarter: 900, forecast_net_expenditure: 1000}\nreserves:\n", 1)
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    budget = read_budget(path)
    assert budget.total("cash_limit") == 250 and budget.total("deficit") == Decimal(4)  # as without it
    beside = budget.outturn_table(outside=True).set_index("line")
    assert beside.loc["Dedicated Schools Grant high needs", "deficit"] == 100 and beside.loc["Total", "deficit"] == 100
    assert "Dedicated Schools Grant high needs" not in set(budget.outturn_table()["line"])


def test_reserves_both_ways_contributions_add_to_the_position_and_to_the_closing_balance(tmp_path):
    text = GOOD.replace("forecast_net_expenditure: 149}", "forecast_net_expenditure: 149, to_reserves: 10}")
    text = text.replace("approved_use_balance: 20, approved_use: 5}", "approved_use_balance: 20, approved_use: 5, "
                        "contribution: 10}")
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    budget = read_budget(path)
    assert budget.total("deficit") == Decimal(14)  # 4 before, plus 10 paid into reserves
    assert budget.headline()["deficit_before_reserves"] == Decimal(9)  # 110 + 149 - 250: no reserve movement
    reserve = budget.reserves_table().iloc[0]
    assert (reserve["approved_use_balance"], reserve["approved_use"], reserve["contribution"],
            reserve["balance"]) == (20, 5, 10, 25)
    problems = _problems(tmp_path, text.replace("contribution: 10}", "contribution: 7}"))
    assert "receives 7 in contributions but the service lines pay in 10" in problems[0].message


def test_gross_expenditure_and_income_give_the_net_and_lines_may_be_net_only(tmp_path):
    text = GOOD.replace("forecast_net_expenditure: 110,", "forecast_gross: 160, forecast_income: 50,")
    path = tmp_path / "budget.yaml"
    path.write_text(text, encoding="utf-8")
    table = read_budget(path).outturn_table().set_index("line")
    assert table.loc["Placements", "forecast_net_expenditure"] == 110
    assert (table.loc["Placements", "forecast_gross"], table.loc["Placements", "forecast_income"]) == (160, -50)
    assert table.loc["Social work", "forecast_gross"] is None  # reported net only
    assert table.loc["Total", "forecast_gross"] is None and table.loc["Total", "forecast_net_expenditure"] == 259
    problems = _problems(tmp_path, text.replace(" forecast_income: 50,", ""))
    assert [p.column for p in problems] == ["lines[0].forecast_income"] and "give both" in problems[0].message
    problems = _problems(tmp_path, text.replace("forecast_income: 50,", "forecast_income: 50, "
                                                "forecast_net_expenditure: 100,"))
    assert "less income 50 is 110, not the net forecast" in problems[0].message


def test_an_unknown_period_or_financial_year_is_an_error_naming_the_accepted_forms(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text("units: £000\nyear: 2020/22\nperiod: week 3\nlines:\n  - {name: A, budget_previous_quarter: 1, "
                    "forecast_net_expenditure: 1}\n", encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_budget(path)
    found = {p.column: p for p in info.value.problems}
    assert found["period"].where == "3" and "quarter 1-4 (or Q2), or outturn" in found["period"].message
    assert found["year"].where == "2" and "like 2020/21" in found["year"].message


def test_a_previous_total_that_disagrees_with_the_lines_is_an_error_showing_both(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text("units: £000\nprevious_deficit: 50\nlines:\n  - {name: A, budget_previous_quarter: 100, "
                    "forecast_net_expenditure: 120, previous_quarter_deficit: 10}\n  - {name: B, "
                    "budget_previous_quarter: 10, forecast_net_expenditure: 10, previous_quarter_deficit: 30}\n",
                    encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_budget(path)
    assert any("gives 40 after reserves, not 50" in p.message for p in info.value.problems)


def test_an_amount_in_brackets_is_negative_as_accounts_write_it(tmp_path):
    # '(120)' was "expected a valid decimal": a finance officer's surplus could not be typed as it is printed.
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD.replace("forecast_net_expenditure: 149}", 'forecast_net_expenditure: 149, '
                                 'previous_quarter_deficit: "(1,020)"}').replace(
        "reserves: 5}", 'reserves: 5, previous_quarter_deficit: 20}'), encoding="utf-8")
    budget = read_budget(path)
    assert sum(line.previous_deficit for line in budget.lines) == Decimal(-1000)


def test_a_saving_for_a_later_year_is_an_error_not_one_of_this_years_savings(tmp_path):
    """A 2026/27 saving of 300 listed in the 2025/26 budget counted among 2025/26's savings (400 proposed)."""
    problems = _problems(tmp_path, "year: 2025/26\nunits: £000\nlines:\n  - {name: L, budget_previous_quarter: 1000, "
                                   "forecast_net_expenditure: 1100}\nsavings:\n"
                                   "  - {name: A, amount: 100, status: delivered, year: 2025/26, line: L}\n"
                                   "  - {name: B, amount: 300, status: on track, year: 2026/27, line: L}\n"
                                   "  - {name: C, amount: 50, status: at risk, year: 2024/25, line: L}\n")
    assert [(p.where, p.column, p.value) for p in problems] == [("7", "savings[1].year", "2026/27")]


def test_a_movement_left_na_by_a_line_without_its_previous_figure_says_which_line(tmp_path):
    """It said the previous report's position was not given, where one of two lines gave it."""
    path = tmp_path / "budget.yaml"
    path.write_text("units: £000\nlines:\n  - {name: L, budget_previous_quarter: 1000, forecast_net_expenditure: 1100, "
                    "previous_quarter_deficit: 80}\n  - {name: M, budget_previous_quarter: 500, "
                    "forecast_net_expenditure: 700}\n", encoding="utf-8")
    budget = read_budget(path)
    assert budget.previous_position() is None
    assert budget.why_no_movement().startswith("1 of 2 lines gives no previous_quarter_deficit (M)")
    assert budget.gap_warnings() == [f"The movement since the previous report is not shown: "
                                     f"{budget.why_no_movement()}."]


def test_a_budget_for_another_period_than_the_position_is_said(tmp_path):
    """A quarter 2 budget used at 31 December was taken as the quarter's, with its typed forecasts and its
    previous-quarter figures (so the movement was against quarter 1), without a word."""
    from datetime import date

    from placecast.finance.budget import period_warning, read_budget_model

    path = tmp_path / "budget.yaml"
    path.write_text("year: 2024/25\nperiod: quarter 2\nunits: £000\nlines:\n  - {name: L, budget_previous_quarter: "
                    "1000, forecast_net_expenditure: 1100}\n", encoding="utf-8")
    model = read_budget_model(path)
    said = period_warning(model, date(2024, 12, 31))
    assert said is not None and said.startswith("The budget is for Quarter 2 (to 30/09/2024), but the position is at "
                                                "31/12/2024")
    assert period_warning(model, date(2024, 9, 30)) is None
    path.write_text(path.read_text(encoding="utf-8").replace("quarter 2", "month 9"), encoding="utf-8")
    assert period_warning(read_budget_model(path), date(2024, 12, 31)) is None  # month 9 ends on 31 December


TOTALLED = """units: £000
lines:
  - {name: Placements, budget_previous_quarter: 100, forecast_net_expenditure: 110}
  - {name: Social work, budget_previous_quarter: 150, forecast_net_expenditure: 149}
  - {name: NAME, budget_previous_quarter: 250, forecast_net_expenditure: 259}
"""


@pytest.mark.parametrize("name", ["Total", "GRAND TOTAL", "Sub-total", "Total children's services"])
def test_a_total_row_copied_in_with_the_lines_is_an_error_not_counted_again(tmp_path, name):
    """A workbook's 'Total' row read as one more service line doubled the deficit (£18k for £9k), exit 0."""
    problems = _problems(tmp_path, TOTALLED.replace("NAME", name))
    assert [(p.where, p.value) for p in problems] == [("5", name)]
    assert "looks like a total of the service lines" in problems[0].message


def test_a_line_named_total_something_that_is_not_their_total_reads(tmp_path):
    path = tmp_path / "budget.yaml"
    path.write_text(TOTALLED.replace("NAME", "Total respite").replace("previous_quarter: 250", "previous_quarter: 40"),
                    encoding="utf-8")
    assert read_budget(path).total("cash_limit") == 290


@pytest.mark.parametrize("typed", ["-149", '"(149)"'])
def test_a_spending_line_forecast_below_zero_is_an_error_unless_it_is_income(tmp_path, typed):
    """'(9,500)' copied from a report that brackets spending was read as income: a £16.5m surplus, exit 0."""
    text = GOOD.replace("forecast_net_expenditure: 149}", f"forecast_net_expenditure: {typed}}}")
    problems = _problems(tmp_path, text)
    assert [(p.where, p.value) for p in problems] == [("5", "-149")]
    assert "spend less than nothing" in problems[0].message and "income: true" in problems[0].message


@pytest.mark.parametrize("unit", ["£'000", "£’000", "£k", "£000s", "£ '000"])
def test_councils_spellings_of_thousands_read_as_thousands(tmp_path, unit):
    path = tmp_path / "budget.yaml"
    path.write_text(GOOD.replace("units: £000", f'units: "{unit}"'), encoding="utf-8")
    assert read_budget(path).scale == 1000


def test_a_budget_without_its_units_is_an_error_not_read_as_thousands(tmp_path):
    """A budget in pounds with no 'units:' (a workbook's blank Settings cell) was read as £000: 1,000 times out,
    with nothing to compare it with when no line is computed from the data."""
    problems = _problems(tmp_path, GOOD.replace("units: £000\n", ""))
    assert [p.column for p in problems] == ["units"]
    assert "this key is required: what every amount is in, £000" in problems[0].message

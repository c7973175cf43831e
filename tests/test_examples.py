"""Other councils' published budget monitoring figures, reproduced from their own papers (issue 14)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from placecast.finance import read_budget

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_rotherham_2018_pressure_mitigations_and_last_years_outturn():
    budget = read_budget(EXAMPLES / "rotherham_2018" / "budget.yaml")
    head = budget.headline()
    assert head["cash_limit"] == 57400 and head["forecast_outturn"] == 72700
    assert head["deficit_before_reserves"] == 15300  # "an in year pressure of £15.3m"
    assert head["mitigations"] == 5700 and head["deficit_after_mitigations"] == 9600  # "reduced ... to £9.6m"
    total = budget.outturn_table().set_index("line").loc["Total"]
    assert total["previous_year_outturn"] == 69800 and total["change_on_previous_year"] == 2900
    steps = budget.mitigation_table()
    assert list(steps["amount"]) == [15300, -5700, 9600]
    assert round(total["deficit_pct"], 1) == Decimal("26.7")

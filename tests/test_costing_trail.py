"""Every figure computed from the data can be recomputed from the report's appendix and workbook:
the unit costs and inflation for each placement type and year, the days costed, the commitments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from placecast.finance.trail import actuals_trail, unit_cost_table
from placecast.finance.unit_costs import UnitCosts


def test_a_dated_weekly_cost_is_shown_inflated_year_by_year_from_its_date():
    costs = UnitCosts({"residential_external": [(date(2020, 4, 1), Decimal(5600))]}, Decimal("0.04"))
    row = unit_cost_table(costs, [2020, 2024]).iloc[0]
    assert row["2020/21"] == 5600 and round(row["2024/25"], 2) == Decimal("6551.21")
    assert row["dated_cost"] == "£5,600.00 a week from 01/04/2020" and row["inflation"].startswith("4.0%")


def test_the_actuals_trail_days_times_weekly_cost_add_up_to_the_actuals():
    episodes = pd.DataFrame({"child_id": ["a", "b"], "start": pd.to_datetime(["2025-01-01", "2025-05-01"]),
                             "end": pd.to_datetime([None, "2025-05-10"]), "category": ["secure", "secure"],
                             "short_break": [False, False]})
    costs = UnitCosts({"secure": [(date(2024, 4, 1), Decimal(7000))]}, Decimal("0.03"))
    trail = actuals_trail(episodes, date(2025, 6, 30), costs)
    assert list(trail["days"]) == [91 + 9]  # a: 1 April to 30 June; b: 1 to 9 May (ends 10 May)
    assert trail["weekly"].iloc[0] == Decimal("7210.00")
    assert trail["cost"].iloc[0] == Decimal(103_000)  # 100 days at £7,210 a week, exactly

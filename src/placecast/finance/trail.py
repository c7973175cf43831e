"""The costing trail: the unit costs, inflation and days behind every figure computed from the data,
so that an auditor can recompute any cell of the outturn.

Examples
--------
>>> from datetime import date
>>> from decimal import Decimal
>>> from placecast.finance.unit_costs import UnitCosts
>>> costs = UnitCosts({"secure": [(date(2024, 4, 1), Decimal(7000))]}, Decimal("0.03"))
>>> unit_cost_table(costs, [2024, 2025]).iloc[0].to_dict()["2025/26"]
Decimal('7210.00')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from placecast.finance.actuals import costed_days
from placecast.finance.calendar import fy_start
from placecast.finance.commitments import Commitments
from placecast.finance.unit_costs import UnitCosts


def _fy_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _pounds(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def unit_cost_table(unit_costs: UnitCosts, years: list[int]) -> pd.DataFrame:
    """Per cost line: the weekly cost in force at each 1 April of ``years`` (financial years starting
    then), with the dated cost it comes from and the inflation applied to it."""
    rows = []
    for line in unit_costs.lines:
        row: dict[str, object] = {"cost_line": line}
        for year in years:
            day = date(year, 4, 1)
            in_force = [(d, w) for d, w in unit_costs.rates[line] if d <= day] or unit_costs.rates[line][:1]
            since, weekly = in_force[-1]
            row[_fy_label(year)] = unit_costs.weekly(line, day)
        row["dated_cost"] = f"£{weekly:,.2f} a week from {since:%d/%m/%Y}"
        row["inflation"] = f"{unit_costs.inflation * 100 + 0:.1f}% a year, each 1 April after"  # + 0: never -0.0%
        rows.append(row)
    return pd.DataFrame(rows)


def actuals_trail(episodes: pd.DataFrame, as_at: date, unit_costs: UnitCosts) -> pd.DataFrame:
    """Days in care since 1 April by category and rate period, the weekly cost and the cost (£)."""
    rows = [{"category": category, "from": lo, "to": hi, "days": days, "weekly": unit_costs.weekly(category, lo),
             "cost": _pounds(cost)} for category, lo, hi, days, cost in
            costed_days(episodes, fy_start(as_at), as_at, unit_costs)]
    return pd.DataFrame(rows, columns=["category", "from", "to", "days", "weekly", "cost"])


def commitments_trail(commitments: Commitments, as_at: date) -> pd.DataFrame:
    """Per cost line: the placements committed, their days from the day after ``as_at`` to 31 March
    (or their planned end) and the cost (£)."""
    t = commitments.table
    days = pd.Series(commitments.days_to(as_at), index=t.index)
    rows = [{"cost_line": line, "placements": int(len(g)), "days": int(days[g.index].sum()),
             "cost": _pounds(Commitments(g).cost_to(as_at))} for line, g in t.groupby("cost_line")]
    return pd.DataFrame(rows, columns=["cost_line", "placements", "days", "cost"])


@dataclass(frozen=True)
class CostingTrail:
    """What the computed components of the outturn were costed from."""

    unit_costs: pd.DataFrame
    actuals: pd.DataFrame | None
    commitments: pd.DataFrame | None


def costing_trail(as_at: date, unit_costs: UnitCosts, history_episodes: pd.DataFrame | None,
                  commitments: Commitments | None) -> CostingTrail:
    """The trail of the outturn at ``as_at``: unit costs this year and the next two, actuals, commitments."""
    year = fy_start(as_at).year
    return CostingTrail(unit_cost_table(unit_costs, [year - 1, year, year + 1, year + 2]),
                        None if history_episodes is None else actuals_trail(history_episodes, as_at, unit_costs),
                        None if commitments is None else commitments_trail(commitments, as_at))

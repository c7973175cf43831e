"""Invest-to-save cases: monthly projected saving, delivery cost by day count, net and cumulative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd

from placecast.finance.calendar import cost_between, fy_end


@dataclass
class InvestToSave:
    """``children`` each save ``weekly_saving`` from ``saving_from``; the delivery team costs
    ``annual_cost`` a year (costed by days: a year is 365 days, or 366 when it holds 29 February)."""

    name: str
    children: int
    weekly_saving: Fraction
    saving_from: date
    annual_cost: Fraction
    cost_from: date
    months: int

    def _months(self) -> list[tuple[date, date]]:
        out = []
        first = date(self.cost_from.year, self.cost_from.month, 1)
        for _ in range(self.months):
            nxt = date(first.year + (first.month // 12), first.month % 12 + 1, 1)
            out.append((first, nxt - timedelta(days=1)))
            first = nxt
        return out

    def _daily_cost(self, day: date) -> Fraction:
        start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
        length = (fy_end(day) - start).days + 1
        return Fraction(self.annual_cost) / length

    def table(self) -> pd.DataFrame:
        """Saving (negative), delivery cost, net and cumulative per month, in pounds (exact fractions)."""
        rows = []
        cumulative = Fraction(0)
        for first, last in self._months():
            s_from = max(first, self.saving_from)
            saving = -self.children * cost_between(self.weekly_saving, s_from, last) if s_from <= last else Fraction(0)
            c_from = max(first, self.cost_from)
            cost = sum((self._daily_cost(c_from + timedelta(days=k)) for k in range((last - c_from).days + 1)),
                       Fraction(0)) if c_from <= last else Fraction(0)
            net = saving + cost
            cumulative += net
            rows.append({"month": first.strftime("%b-%y"), "saving": saving, "delivery_cost": cost, "net": net,
                         "cumulative": cumulative})
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, object]:
        """Saving, delivery cost, net, payback month, return per £1, in-year saving and full-year effect."""
        t = self.table()
        saving, cost = -sum(t["saving"], Fraction(0)), sum(t["delivery_cost"], Fraction(0))
        payback = next((r["month"] for _, r in t.iterrows() if r["cumulative"] < 0), None)
        in_year = self.children * cost_between(self.weekly_saving, self.saving_from, fy_end(self.saving_from))
        return {"saving": saving, "delivery_cost": cost, "net": cost - saving, "payback_month": payback,
                "return_per_pound": (saving / cost) if cost else None, "in_year_saving": in_year,
                "full_year_effect": self.children * Fraction(self.weekly_saving) * 52}

"""Invest-to-save cases: monthly projected saving, delivery cost by day count, one-off and capital costs,
net and cumulative, payback and the return per £1.

The in-year saving runs from the first day of saving to 31 March; the full-year effect is the steady
state over the twelve months from that day (365 days, or 366 over a 29 February), so it is never less than
any in-year figure. One-off and capital costs fall in the month they are incurred and count in the
payback and in the return per £1 (saving / (delivery cost + one-off and capital costs)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd

from placecast.finance.calendar import cost_between, fy_end, twelve_months_from


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
    one_off: list[tuple[str, Fraction, date, bool]] = field(default_factory=list)  # (name, amount, on, capital)

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
            one_off = sum((a for _, a, on, _ in self.one_off if first <= on <= last), Fraction(0))
            net = saving + cost + one_off
            cumulative += net
            rows.append({"month": first.strftime("%b-%y"), "saving": saving, "delivery_cost": cost,
                         "one_off_cost": one_off, "net": net, "cumulative": cumulative})
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, object]:
        """Saving, delivery cost, one-off and capital costs, net, payback month, return per £1, in-year saving
        and full-year effect."""
        t = self.table()
        saving, cost = -sum(t["saving"], Fraction(0)), sum(t["delivery_cost"], Fraction(0))
        one_off = sum(t["one_off_cost"], Fraction(0))
        outside = [name for name, _, on, _ in self.one_off if on < self._months()[0][0] or on > self._months()[-1][1]]
        payback = next((r["month"] for _, r in t.iterrows() if r["cumulative"] < 0), None)
        in_year = self.children * cost_between(self.weekly_saving, self.saving_from, fy_end(self.saving_from))
        spent = cost + one_off
        return {"saving": saving, "delivery_cost": cost, "one_off_cost": one_off,
                "capital_cost": sum((a for _, a, _, capital in self.one_off if capital), Fraction(0)),
                "net": spent - saving, "payback_month": payback,
                "return_per_pound": (saving / spent) if spent else None, "in_year_saving": in_year,
                "full_year_effect": self.children * cost_between(self.weekly_saving, self.saving_from,
                                                                 twelve_months_from(self.saving_from)),
                "one_off_outside_months": outside}

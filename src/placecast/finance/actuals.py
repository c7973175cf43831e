"""Placement costs known from the care history: days already spent in care (actuals) and the
placements open at a date, costed at unit costs to 31 March (commitments).

Used when a council has no ledger extract or commitments register to hand (and by the demo): every
episode day is costed at the weekly unit cost of its placement category in force on that day.
An episode occupies the days from its start up to the day before its end (the end day belongs to
the next episode), as the DfE counts children in care.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd

from placecast.finance.commitments import FUNDING, Commitments
from placecast.finance.unit_costs import UnitCosts


def _rate_boundaries(unit_costs: UnitCosts, first: date, last: date) -> list[date]:
    """Days inside (first, last] on which some weekly cost may change: effective dates and each 1 April."""
    days = {d for line in unit_costs.rates.values() for d, _ in line if first < d <= last}
    year = first.year
    while date(year, 4, 1) <= last:
        if date(year, 4, 1) > first:
            days.add(date(year, 4, 1))
        year += 1
    return sorted(days)


def placement_days(episodes: pd.DataFrame, first: date, last: date) -> pd.Series:
    """Days in care from ``first`` to ``last`` inclusive, by placement category (short breaks excluded)."""
    ep = episodes[~episodes["short_break"].astype(bool)]
    lo = np.datetime64(first, "D")
    hi = np.datetime64(last, "D")
    start = ep["start"].to_numpy().astype("datetime64[D]")
    end = ep["end"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), hi + 1, end)  # exclusive
    days = (np.minimum(end, hi + 1) - np.maximum(start, lo)).astype(np.int64)
    days = np.maximum(days, 0)
    return pd.Series(days, index=ep["category"].to_numpy()).groupby(level=0).sum()


def costed_days(episodes: pd.DataFrame, first: date, last: date, unit_costs: UnitCosts
                ) -> list[tuple[str, date, date, int, Fraction]]:
    """(category, from, to, days, exact cost) for each stretch of ``first`` to ``last`` over which every
    weekly cost is constant (split at effective dates and each 1 April)."""
    out = []
    cuts = [first, *_rate_boundaries(unit_costs, first, last)]
    for i, lo in enumerate(cuts):
        hi = cuts[i + 1] - timedelta(days=1) if i + 1 < len(cuts) else last
        for category, days in placement_days(episodes, lo, hi).items():
            if days and category in unit_costs.rates:
                cost = Fraction(unit_costs.weekly(str(category), lo)) * int(days) / 7
                out.append((str(category), lo, hi, int(days), cost))
    return out


def history_cost(episodes: pd.DataFrame, first: date, last: date, unit_costs: UnitCosts) -> dict[str, Fraction]:
    """Exact cost (GBP) of the days in care from ``first`` to ``last`` inclusive, by category."""
    out: dict[str, Fraction] = {}
    for category, _, _, _, cost in costed_days(episodes, first, last, unit_costs):
        out[category] = out.get(category, Fraction(0)) + cost
    return out


def commitments_from_history(episodes: pd.DataFrame, as_at: date, unit_costs: UnitCosts) -> Commitments:
    """A commitments register built from the placements open at the end of ``as_at``: each costed at
    its category's weekly unit cost, with no planned end (so it runs to 31 March)."""
    day = pd.Timestamp(as_at)
    ep = episodes[(episodes["start"] <= day) & (episodes["end"].isna() | (episodes["end"] > day))
                  & ~episodes["short_break"].astype(bool)]
    ep = ep[ep["category"].isin(list(unit_costs.rates))].drop_duplicates("child_id", keep="last")
    weekly = {c: int(round(unit_costs.weekly(c, as_at) * 100)) for c in ep["category"].unique()}
    table = pd.DataFrame({
        "placement_ref": [f"H{i + 1}" for i in range(len(ep))], "provider": ep["provider"].to_numpy(),
        "cost_line": ep["category"].to_numpy(),
        "weekly_pence": ep["category"].map(weekly).to_numpy(dtype=np.int64),
        "start": ep["start"].to_numpy(), "planned_end": pd.Series(pd.NaT, index=range(len(ep))).to_numpy(),
        **{c: (100.0 if c == "funding_social_care" else 0.0) for c in FUNDING},
        "child_id": ep["child_id"].to_numpy(),
    })
    return Commitments(table)

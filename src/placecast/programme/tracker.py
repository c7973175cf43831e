"""Realised cost avoidance detected from the history, against a baseline frozen at plan approval.

After the approval date: a child moving to a cheaper placement category is a step-down (it avoids the
difference in weekly cost); a child returning home (REC E4A or E4B) avoids the whole weekly cost of
the placement left. Each event is costed by :func:`realised_avoidance` (to 31 March in year, 52 weeks
for the full-year effect, each child-day once) and summed by intervention and quarter; planned against
realised gets a RAG rating by the same 5% rule as the indicators.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd

from placecast.finance.calendar import fy_label, quarter
from placecast.finance.unit_costs import UnitCosts
from placecast.programme.avoidance import RealisedEvent, realised_avoidance

RETURN_HOME = {"E4A", "E4B"}


def detect_events(episodes: pd.DataFrame, approved: date, as_at: date, unit_costs: UnitCosts,
                  names: dict[str, str] | None = None) -> list[RealisedEvent]:
    """Step-downs and returns home between ``approved`` and ``as_at`` (inclusive)."""
    names = {"step_down": "Step-down", "reunification": "Reunification", **(names or {})}
    ep = episodes[~episodes["short_break"].astype(bool)].sort_values(["child_id", "start"])
    lo, hi = pd.Timestamp(approved), pd.Timestamp(as_at)
    events: list[RealisedEvent] = []

    def weekly(category: str, on: date) -> Fraction:
        return Fraction(unit_costs.weekly(category, on)) if category in unit_costs.rates else Fraction(0)

    prev = ep.shift(1)
    same = (ep["child_id"] == prev["child_id"]) & (ep["period_id"] == prev["period_id"])
    changed = same & (ep["category"] != prev["category"]) & ep["start"].between(lo, hi)
    for new, old in zip(ep[changed].itertuples(), prev[changed].itertuples(), strict=True):
        on = new.start.date()
        before, after = weekly(old.category, on), weekly(new.category, on)
        if after < before:
            events.append(RealisedEvent(new.child_id, names["step_down"], on, before, after))
    last = ep.groupby("period_id").tail(1)
    home = last[last["rec"].isin(RETURN_HOME) & last["end"].between(lo, hi)]
    for r in home.itertuples():
        on = r.end.date()
        events.append(RealisedEvent(r.child_id, names["reunification"], on, weekly(r.category, on), Fraction(0)))
    return events


def realised_by_quarter(events: list[RealisedEvent]) -> pd.DataFrame:
    """In-year and full-year avoidance (GBP) by intervention and financial quarter of the event."""
    table = realised_avoidance(events)
    if table.empty:
        return pd.DataFrame(columns=["intervention", "financial_year", "quarter", "events", "in_year", "full_year"])
    table["financial_year"] = [fy_label(d) for d in table["from"]]
    table["quarter"] = [f"Q{quarter(d)}" for d in table["from"]]
    out = table.groupby(["intervention", "financial_year", "quarter"]).agg(
        events=("child", "size"), in_year=("in_year", "sum"), full_year=("full_year", "sum")).reset_index()
    out["in_year"] = out["in_year"].map(lambda v: round(float(v)))
    out["full_year"] = out["full_year"].map(lambda v: round(float(v)))
    return out


def planned_vs_realised(planned: dict[str, float], realised: pd.DataFrame) -> pd.DataFrame:
    """Planned in-year avoidance against realised, with RAG (Red more than 5% short, Amber within 5%)."""
    got = realised.groupby("intervention")["in_year"].sum() if len(realised) else pd.Series(dtype=float)
    rows = []
    for name, plan in planned.items():
        real = float(got.get(name, 0.0))
        short = (plan - real) / plan if plan else 0.0
        rag = "Green" if short <= 0 else ("Amber" if short <= 0.05 else "Red")
        rows.append({"intervention": name, "planned_in_year": plan, "realised_in_year": real, "rag": rag})
    return pd.DataFrame(rows)

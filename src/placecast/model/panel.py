"""Turning an episode history into monthly states and transitions, using only what was known.

A child's *state* at a month end is the episode that covers it (started on or before the day, not
ended by it): placement category, age in whole months, months since the period of care began,
and whether the child is an unaccompanied asylum-seeking child. Short breaks are left out.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

AGE_EDGES_M = np.array([0, 12, 60, 120, 168, 192, 204])  # <1, 1-4, 5-9, 10-13, 14-15, 16, 17
AGE_LABELS = ["0", "1-4", "5-9", "10-13", "14-15", "16", "17"]
TIC_EDGES_M = np.array([0, 3, 6, 12, 24])  # <3 months, 3-6, 6-12, 12-24, 24+
ADULT_M = 216
LONG_STAY_M = 24


def age_band(age_m: np.ndarray) -> np.ndarray:
    return np.searchsorted(AGE_EDGES_M, age_m, side="right") - 1


def tic_band(tic_m: np.ndarray) -> np.ndarray:
    return np.searchsorted(TIC_EDGES_M, tic_m, side="right") - 1


def month_end(d: date) -> pd.Timestamp:
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).normalize()


def month_ends(first: pd.Timestamp, count: int) -> list[pd.Timestamp]:
    """``count`` month ends starting with ``first`` (a month end)."""
    return [(first + pd.offsets.MonthEnd(k)).normalize() for k in range(count)]


def months_between(a: pd.Series | pd.Timestamp, b: pd.Timestamp) -> np.ndarray:
    """Whole calendar months from ``a`` to ``b`` (month ends and first-of-month dates)."""
    a_ = pd.to_datetime(a)
    if isinstance(a_, pd.Timestamp):
        return np.array((b.year - a_.year) * 12 + (b.month - a_.month))
    return ((b.year - a_.dt.year) * 12 + (b.month - a_.dt.month)).to_numpy()


def prepare(episodes: pd.DataFrame, known_at: pd.Timestamp) -> pd.DataFrame:
    """Episodes as they were known at ``known_at``: later starts dropped, later ends censored."""
    ep = episodes[~episodes["short_break"].astype(bool) & (episodes["start"] <= known_at)].copy()
    ep.loc[ep["end"] > known_at, "end"] = pd.NaT
    ep["period_start"] = ep.groupby("period_id")["start"].transform("min")
    # A period whose first visible episode is not RNE S began before the data: its true time in care
    # is unknown and usually long, so it is treated as at least LONG_STAY_M months.
    first = ep.sort_values("start").drop_duplicates("period_id").set_index("period_id")["rne"]
    ep["start_seen"] = ep["period_id"].map(first).eq("S").to_numpy()
    return ep


def states_at(ep: pd.DataFrame, day: pd.Timestamp, categories: list[str]) -> pd.DataFrame:
    """One row per child in care on ``day``: cat (index), age_m, tic_m, uasc, period_start."""
    live = ep[(ep["start"] <= day) & (ep["end"].isna() | (ep["end"] > day))]
    live = live.sort_values("start").drop_duplicates("child_id", keep="last")
    cat_index = {c: i for i, c in enumerate(categories)}
    out = pd.DataFrame({
        "child_id": live["child_id"].to_numpy(),
        "cat": live["category"].map(cat_index).fillna(len(categories) - 1).astype(int).to_numpy(),
        "age_m": months_between(live["dob"], day),
        "tic_m": months_between(live["period_start"], day),
        "uasc": live["uasc"].astype(bool).to_numpy(),
        "period_start": live["period_start"].to_numpy(),
    })
    unseen = ~live["start_seen"].to_numpy()
    out.loc[unseen, "tic_m"] = np.maximum(out.loc[unseen, "tic_m"].to_numpy(), LONG_STAY_M)
    out["age_m"] = out["age_m"].clip(0, ADULT_M - 1)
    out["tic_m"] = out["tic_m"].clip(lower=0)
    return out


def transitions(ep: pd.DataFrame, dates: list[pd.Timestamp], categories: list[str]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Month-to-month transitions and surviving entrants between consecutive month ends.

    Returns ``(moves, entrants)``. ``moves`` has one row per child in care at a month end that was
    followed by another: its state then, and ``outcome`` (the category index a month later, -1 for
    left care, -2 for reached 18: leaving at 18 is handled separately). ``entrants`` has the
    children in care at a month end whose period began during the month before.
    """
    states = [states_at(ep, d, categories) for d in dates]
    moves, entrants = [], []
    for k in range(len(dates) - 1):
        a, b = states[k], states[k + 1]
        nxt = b.set_index("child_id")["cat"]
        outcome = a["child_id"].map(nxt).fillna(-1).astype(int).to_numpy()
        adult = a["age_m"].to_numpy() + 1 >= ADULT_M
        outcome = np.where(adult & (outcome == -1), -2, outcome)
        moves.append(a.assign(outcome=outcome, step=k))
        new = b[pd.to_datetime(b["period_start"]) > dates[k]]
        entrants.append(new.assign(step=k))
    cols = ["child_id", "cat", "age_m", "tic_m", "uasc", "period_start", "step"]
    m = pd.concat(moves, ignore_index=True) if moves else pd.DataFrame(columns=cols + ["outcome"])
    e = pd.concat(entrants, ignore_index=True) if entrants else pd.DataFrame(columns=cols)
    return m, e

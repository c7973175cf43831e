"""Turning an episode history into monthly states and transitions, using only what was known.

A child's *state* at a month end is the episode that covers it (started on or before the day, not
ended by it): placement category, age in whole months, months since the period of care began,
and whether the child is an unaccompanied asylum-seeking child. Short breaks are left out.
"""

from __future__ import annotations

from datetime import date
from typing import get_args

import numpy as np
import pandas as pd

from placecast.model.settings import AgeBand
from placecast.ssda903.assemble import episodes_known_at

AGE_EDGES_M = np.array([0, 12, 60, 120, 168, 192, 204])  # <1, 1-4, 5-9, 10-13, 14-15, 16, 17
AGE_LABELS = list(get_args(AgeBand))  # "0", "1-4", "5-9", "10-13", "14-15", "16", "17": the settings' own
TIC_EDGES_M = np.array([0, 3, 6, 12, 24])  # <3 months, 3-6, 6-12, 12-24, 24+
ADULT_M = 216
LONG_STAY_M = 24


def age_band(age_m: np.ndarray) -> np.ndarray:
    """The age band index of ages in months (0, 1-4, 5-9, 10-13, 14-15, 16, 17)."""
    return np.searchsorted(AGE_EDGES_M, age_m, side="right") - 1


def tic_band(tic_m: np.ndarray) -> np.ndarray:
    """The time-in-care band index of months in care (<3, 3-6, 6-12, 12-24, 24+)."""
    return np.searchsorted(TIC_EDGES_M, tic_m, side="right") - 1


def month_end(d: date) -> pd.Timestamp:
    """The last day of ``day``'s month as a timestamp."""
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).normalize()


def month_end_on_or_before(d: date) -> pd.Timestamp:
    """The last month end on or before ``d``: what was known by then, with nothing from after it.

    >>> month_end_on_or_before(date(2024, 6, 15)).date(), month_end_on_or_before(date(2024, 6, 30)).date()
    (datetime.date(2024, 5, 31), datetime.date(2024, 6, 30))
    """
    end = month_end(d)
    return end if end.date() == d else (end - pd.offsets.MonthEnd(1)).normalize()


def month_ends(first: pd.Timestamp, count: int) -> list[pd.Timestamp]:
    """``count`` month ends starting with ``first`` (a month end)."""
    return [(first + pd.offsets.MonthEnd(k)).normalize() for k in range(count)]


def prepare(episodes: pd.DataFrame, known_at: pd.Timestamp | None = None) -> pd.DataFrame:
    """Episodes as they were known at ``known_at`` (later starts dropped, later ends censored), or all of them
    as the history has them (None); short breaks left out."""
    kept = episodes[~episodes["short_break"].astype(bool)]
    ep = kept.copy() if known_at is None else episodes_known_at(kept, known_at)
    ep["period_start"] = ep.groupby("period_id")["start"].transform("min")
    # A period whose first visible episode is not RNE S began before the data: its true time in care
    # is unknown and usually long, so it is treated as at least LONG_STAY_M months.
    first = ep.sort_values("start").drop_duplicates("period_id").set_index("period_id")["rne"]
    ep["start_seen"] = ep["period_id"].map(first).eq("S").to_numpy()
    return ep


class _Arrays:
    """The episodes as numpy arrays, for fast snapshots at many dates."""

    def __init__(self, ep: pd.DataFrame, categories: list[str]) -> None:
        child, codes = pd.factorize(ep["child_id"].astype("str"), sort=True)  # codes in sorted order
        self.child, self.child_codes = child.astype(np.int64), pd.Index(codes, dtype="str")
        self.start = ep["start"].to_numpy().astype("datetime64[D]")
        end = ep["end"].to_numpy().astype("datetime64[D]")
        self.end = np.where(np.isnat(end), np.datetime64("9999-12-31"), end)
        cat_index = {c: i for i, c in enumerate(categories)}
        self.cat = ep["category"].map(cat_index).fillna(len(categories) - 1).astype(int).to_numpy()
        self.dob_m, self.dob_known = birth_months(ep["dob"])
        ps = pd.to_datetime(ep["period_start"])
        self.ps_m = (ps.dt.year * 12 + ps.dt.month - 1).to_numpy()
        self.period_start = ps.to_numpy().astype("datetime64[D]")
        self.uasc = ep["uasc"].astype(bool).to_numpy()
        self.seen = ep["start_seen"].to_numpy().astype(bool)
        order = np.argsort(self.start, kind="stable")
        for name in ("child", "start", "end", "cat", "dob_m", "dob_known", "ps_m", "period_start", "uasc", "seen"):
            setattr(self, name, getattr(self, name)[order])

    def snapshot(self, day: pd.Timestamp) -> dict[str, np.ndarray]:
        d = np.datetime64(day.date(), "D")
        idx = np.flatnonzero((self.start <= d) & (self.end > d))
        # at most one episode per child: keep the latest-starting one
        rev = idx[::-1]
        _, first = np.unique(self.child[rev], return_index=True)
        idx = np.sort(rev[first])
        month = day.year * 12 + day.month - 1
        tic = np.maximum(month - self.ps_m[idx], 0)
        tic = np.where(self.seen[idx], tic, np.maximum(tic, LONG_STAY_M))
        return {"child": self.child[idx], "cat": self.cat[idx], "age_m": self._ages(idx, month), "tic_m": tic,
                "uasc": self.uasc[idx], "period_start": self.period_start[idx]}

    def _ages(self, idx: np.ndarray, month: int) -> np.ndarray:
        """Ages in months at ``month`` (:func:`ages_in_months`, the others being the children ``idx``)."""
        return ages_in_months(self.dob_m[idx], self.dob_known[idx], month)


def birth_months(dob: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each date of birth as a month number (year x 12 + month - 1; 0 where none is known), and which are known."""
    dob = pd.to_datetime(dob)
    return (dob.dt.year * 12 + dob.dt.month - 1).fillna(0).astype(int).to_numpy(), dob.notna().to_numpy()


def ages_in_months(dob_m: np.ndarray, known: np.ndarray, month: int, others: np.ndarray | None = None
                   ) -> np.ndarray:
    """Ages in whole months at ``month`` (a month number), from the months of birth ``dob_m``, as the model ages
    children. One with no date of birth (no Header row) takes the median age of the ``others`` (default: all)
    with one, not an age counted from year 0 (which made every such child 17 and leave at once)."""
    age = np.clip(month - dob_m, 0, ADULT_M - 1)
    if known.all():
        return age
    pool = age[known if others is None else known & others]
    return np.where(known, age, int(np.median(pool)) if len(pool) else ADULT_M // 2)


def _frame(snap: dict[str, np.ndarray], codes: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"child_id": codes.take(snap["child"]), "cat": snap["cat"], "age_m": snap["age_m"],
                         "tic_m": snap["tic_m"], "uasc": snap["uasc"],
                         "period_start": snap["period_start"].astype("datetime64[ns]")})


class Panel:
    """A history's episodes prepared for fitting, as arrays, with their snapshots at month ends kept.

    One panel serves a fit at any origin up to what its episodes know. A fit at an origin reads snapshots at
    month ends on or before it, and what became known after the origin (later starts, later ends: see
    :func:`~placecast.ssda903.assemble.episodes_known_at`) changes nobody's state at those month ends: whose
    episode covers the day, its category, the child's age, when the period began and whether its start was
    seen. So the backtest's origins share one panel of the history instead of each preparing it again; a test
    holds a shared panel's fits to panels prepared as known at each origin.
    """

    def __init__(self, episodes: pd.DataFrame, categories: list[str], known_at: pd.Timestamp | None = None,
                 label: str = "") -> None:
        self.episodes = prepare(episodes, known_at)
        self.categories = list(categories)
        self.label = label  # which children the episodes are (a model's UASC choice)
        self._arrays = _Arrays(self.episodes, self.categories)
        self._snapshots: dict[pd.Timestamp, dict[str, np.ndarray]] = {}

    def snapshot(self, day: pd.Timestamp) -> dict[str, np.ndarray]:
        """Each child in care at the end of ``day``, as arrays (kept for the next fit that reads that day)."""
        if day not in self._snapshots:
            self._snapshots[day] = self._arrays.snapshot(day)
        return self._snapshots[day]

    def states_at(self, day: pd.Timestamp) -> pd.DataFrame:
        """One row per child in care on ``day``: cat (index), age_m, tic_m, uasc, period_start."""
        return _frame(self.snapshot(day), self._arrays.child_codes)

    def transitions(self, dates: list[pd.Timestamp]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Month-to-month transitions and surviving entrants between consecutive month ends.

        Returns ``(moves, entrants)``. ``moves`` has one row per child in care at a month end that was
        followed by another: its state then, and ``outcome`` (the category index a month later, -1 for
        left care, -2 for reached 18: leaving at 18 is handled separately). ``entrants`` has the
        children in care at a month end whose period began during the month before.
        """
        snaps = [self.snapshot(d) for d in dates]
        n_children = len(self._arrays.child_codes)
        moves, entrants = [], []
        for k in range(len(dates) - 1):
            a, b = snaps[k], snaps[k + 1]
            nxt = np.full(n_children, -1, dtype=np.int64)
            nxt[b["child"]] = b["cat"]
            outcome = nxt[a["child"]]
            adult = a["age_m"] + 1 >= ADULT_M
            outcome = np.where(adult & (outcome == -1), -2, outcome)
            moves.append({**a, "outcome": outcome, "step": np.full(len(outcome), k)})
            new = b["period_start"] > np.datetime64(dates[k].date(), "D")
            entrants.append({key: v[new] for key, v in b.items()} | {"step": np.full(int(new.sum()), k)})
        base = ["child", "cat", "age_m", "tic_m", "uasc", "period_start", "step"]
        return self._combine(moves, [*base, "outcome"]), self._combine(entrants, base)

    def _combine(self, parts: list[dict], cols: list[str]) -> pd.DataFrame:
        if not parts:
            return pd.DataFrame(columns=cols)
        data = {c: np.concatenate([p[c] for p in parts]) for c in cols}
        frame = pd.DataFrame({c: data[c] for c in cols if c != "child"})
        frame.insert(0, "child_id", self._arrays.child_codes.take(data["child"]))
        return frame


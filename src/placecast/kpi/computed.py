"""Indicators computed from the episode history at any date, each with numerator and denominator.

Children in care are counted as the DfE counts at 31 March: an episode started on or before the
date and not ended by it; short breaks (V3/V4) are excluded. "The year" is the 12 months ending on
the date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pandas as pd

from placecast.errors import UnusableInputError

TEMPORARY = {"T0", "T1", "T2", "T3", "T4"}


def _in_care(ep: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    live = ep[(ep["start"] <= day) & (ep["end"].isna() | (ep["end"] > day)) & ~ep["short_break"].astype(bool)]
    return live.sort_values("start").drop_duplicates("child_id", keep="last")


def placements_in_window(ep: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Number of placements each child had between ``first`` and ``last`` (temporary ones ignored).

    A placement begins with a non-temporary episode that starts a period or changes the placement to
    a different one (returning from a temporary placement to the same carer is not a new placement).
    """
    e = ep[~ep["place"].isin(TEMPORARY) & ~ep["short_break"].astype(bool)].sort_values(["child_id", "start"])
    same_child = e["child_id"].eq(e["child_id"].shift(1))
    changed = (e["place"] != e["place"].shift(1)) | (e["provider"] != e["provider"].shift(1))
    new_placement = ~same_child | (e["rne"] == "S") | (changed & e["rne"].isin(["P", "B", "T", "U"]))
    e = e.assign(placement_no=new_placement.astype(int).groupby(e["child_id"]).cumsum())
    overlap = e[(e["start"] <= last) & (e["end"].isna() | (e["end"] > first))]
    return overlap.groupby("child_id")["placement_no"].nunique()


HIGHEST_RATE = 500  # children looked after per 10,000: over twice any council's but City of London's (306 in
# 2021, 654 children) in the DfE's published rates for 2021-2024 (Blackpool's 219 in 2022 the next highest)


def population_warning(children_in_care: int, population_0_17: int | None) -> str | None:
    """A population of children aged 0-17 that cannot be the council's: fewer children than are in care is an
    error (:class:`UnusableInputError`); one giving a rate above :data:`HIGHEST_RATE` per 10,000 is a warning
    (returned). Written in thousands (60 for 60,000), it made the rate 78,167 per 10,000."""
    if not population_0_17:
        return None
    rate = children_in_care / population_0_17 * 10_000
    fix = "the population is the number of children aged 0-17 (the ONS mid-year estimate, like 60,000), not thousands"
    if children_in_care > population_0_17:
        raise UnusableInputError(f"The population of children aged 0-17 is {population_0_17:,}, fewer than the "
                                 f"{children_in_care:,} children in care: {fix}.")
    if rate > HIGHEST_RATE:
        return (f"The population of children aged 0-17, {population_0_17:,}, makes {rate:,.0f} children looked "
                f"after per 10,000, over twice any English council's in 2021-2024: check that {fix}.")
    return None


def standard_types(cla: pd.DataFrame) -> pd.Series:
    """Each child's placement type as the built-in taxonomy groups the DfE's codes (place and provider), for
    the indicators that count placement types (FOSTER, EXT_RES) the same way for every council. They counted
    the history's categories, so a council's own taxonomy (solo residential homes apart, or its own names)
    left its children out of them. A temporary placement (T0-T4) keeps the category the history gave it (that
    of the placement the child returns to)."""
    from placecast.ssda903 import load_taxonomy

    taxonomy = load_taxonomy()
    pairs = cla[["place", "provider"]].astype(str).drop_duplicates()
    by_pair = {(pl, pr): taxonomy.category_of(pl, pr) for pl, pr in pairs.itertuples(index=False)}
    mapped = pd.Series([by_pair[(str(pl), str(pr))] for pl, pr in zip(cla["place"], cla["provider"], strict=True)],
                       index=cla.index, dtype=object)
    return mapped.where(mapped.notna(), cla["category"])


def compute_indicators(history_episodes: pd.DataFrame, as_at: date, population_0_17: int | None = None,
                       weekly_costs: Mapping[str, Decimal] | None = None) -> pd.DataFrame:
    """The standard looked-after-children indicators at ``as_at``."""
    ep = history_episodes
    day = pd.Timestamp(as_at)
    year_start = day - pd.DateOffset(years=1)
    cla = _in_care(ep, day)
    n = len(cla)
    rows: list[dict] = []

    def add(ident: str, name: str, unit: str, numerator: float, denominator: float | None) -> None:
        if denominator is None:
            value = numerator
        elif denominator:
            value = numerator / denominator * (10_000 if unit == "rate" else 100)
        else:
            value = float("nan")
        rows.append({"id": ident, "name": name, "unit": unit, "value": value, "numerator": numerator,
                     "denominator": denominator, "date": as_at.isoformat()})

    add("CLA", "Children looked after (short breaks excluded)", "count", n, None)
    if population_0_17:
        add("CLA_RATE", "Children looked after per 10,000 children aged 0-17", "rate", n, population_0_17)
    types = standard_types(cla)
    add("FOSTER", "% placed in foster care", "%", int(types.astype(str).str.startswith("fostering").sum()), n)
    add("OWN", "% in own provision (PR1)", "%", int((cla["provider"] == "PR1").sum()), n)
    add("PARENTS", "% placed with parents (P1)", "%", int((cla["place"] == "P1").sum()), n)
    ext = int((types == "residential_external").sum())
    add("EXT_RES", "% in external residential care", "%", ext, n)
    add("EXT_RES_N", "Children in external residential care", "count", ext, None)
    periods = ep[~ep["short_break"].astype(bool)].groupby("period_id").agg(start=("start", "min"), end=("end", "max"),
                                                                          open=("end", lambda s: s.isna().any()))
    starts = int(((periods["start"] > year_start) & (periods["start"] <= day)).sum())
    ended = ~periods["open"] & (periods["end"] > year_start) & (periods["end"] <= day)
    add("STARTS", "Children starting to be looked after in the year", "count", starts, None)
    add("CEASES", "Children ceasing to be looked after in the year", "count", int(ended.sum()), None)
    counts = placements_in_window(ep, year_start, day)
    three = int(cla["child_id"].map(counts).fillna(1).ge(3).sum())
    add("STAB_3PLUS", "% of children looked after with 3 or more placements in the year", "%", three, n)
    period_start = ep.groupby("period_id")["start"].min()
    age = (day.year - cla["dob"].dt.year) * 12 + (day.month - cla["dob"].dt.month)
    long_term = cla[(age < 16 * 12) & (cla["period_id"].map(period_start) <= day - pd.DateOffset(months=30))]
    placement_start = _current_placement_start(ep, long_term)
    same = int((placement_start <= day - pd.DateOffset(years=2)).sum())
    add("STAB_LONG", "% of under-16s looked after 2.5+ years in the same placement 2+ years", "%", same,
        len(long_term))
    add("UASC", "Unaccompanied asylum-seeking children looked after", "count", int(cla["uasc"].sum()), None)
    if weekly_costs:
        total = sum((Decimal(str(weekly_costs[c])) for c in cla["category"]), Decimal(0))  # every category costed
        rows.append({"id": "AVG_WEEKLY_COST", "name": "Average weekly placement cost (GBP)", "unit": "GBP",
                     "value": float((total / n).quantize(Decimal("0.01"))) if n else float("nan"),
                     "numerator": float(total), "denominator": n, "date": as_at.isoformat()})
    return pd.DataFrame(rows)


def _current_placement_start(ep: pd.DataFrame, children: pd.DataFrame) -> pd.Series:
    """When each child's current placement began (temporary placements do not break it)."""
    if children.empty:
        return pd.Series(dtype="datetime64[ns]")
    e = ep[ep["child_id"].isin(set(children["child_id"])) & ~ep["place"].isin(TEMPORARY)]
    e = e.sort_values(["child_id", "start"])
    same_child = e["child_id"].eq(e["child_id"].shift(1))
    changed = (e["place"] != e["place"].shift(1)) | (e["provider"] != e["provider"].shift(1))
    new = ~same_child | (e["rne"] == "S") | (changed & e["rne"].isin(["P", "B", "T", "U"]))
    e = e.assign(no=new.astype(int).groupby(e["child_id"]).cumsum())
    starts = e.groupby(["child_id", "no"])["start"].min()
    current = e.groupby("child_id")["no"].max()
    return children["child_id"].map({c: starts[(c, k)] for c, k in current.items()})


def forecast_indicators(children_in_care: float, population_0_17: int | None) -> dict[str, float]:
    """Indicators that follow from a forecast number of children in care (at the year end): the count
    itself and, with the population, the rate per 10,000."""
    out = {"CLA": children_in_care}
    if population_0_17:
        out["CLA_RATE"] = children_in_care / population_0_17 * 10_000
    return out


def why_not_computed(ident: str) -> str:
    """Why an indicator is missing from :func:`compute_indicators`."""
    if ident == "CLA_RATE":
        return "it needs population_0_17 in the configuration"
    return "Placecast cannot compute it from the SSDA903 data"

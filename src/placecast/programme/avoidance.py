"""Cost avoidance: per-case benefits, and realised avoidance with no child-day counted twice.

A realised event (a step-down to a cheaper placement, a child leaving care) avoids the difference in
weekly cost for every day from the event to its counterfactual end: the planned end if known, else
the expected remaining stay, capped at 31 March for the in-year figure and at twelve months (365 days,
or 366 over a 29 February) for the full-year effect, so the full year is never shorter than any in-year
figure. When interventions claim the same child on the same days, each child-day is counted once, for
the intervention listed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import pandas as pd

from placecast.finance.calendar import fy_end, twelve_months_from


@dataclass
class CaseBenefit:
    """Cases x net saving per case over a stated period (e.g. FDAC over a 5-year cost-benefit period)."""

    name: str
    cases: Fraction
    saving_per_case: Fraction
    period_years: int
    published_total: Fraction | None = None

    @property
    def total(self) -> Fraction:
        """Cases times the saving per case."""
        return self.cases * self.saving_per_case

    def check(self) -> str | None:
        """A note when a published total is not cases x saving per case (to the pound)."""
        if self.published_total is None or abs(self.total - self.published_total) < 1:
            return None
        implied = self.published_total / self.saving_per_case
        return (f"{self.name}: published total £{float(self.published_total):,.0f} is not {float(self.cases):g} cases "
                f"x £{float(self.saving_per_case):,.0f} = £{float(self.total):,.0f}; it implies "
                f"{float(implied):.2f} cases.")


@dataclass
class RealisedEvent:
    """A logged move of a child: weekly cost before and after, from a date; where the child moved from and
    to (placement categories, or 'out of care'), when the log says."""

    child: str
    intervention: str
    on: date  # the first day the cheaper arrangement applies
    weekly_before: Fraction | None  # None until costed from the unit costs of ``from_category``
    weekly_after: Fraction | None  # None until costed from the unit costs of ``to_category``
    planned_end: date | None = None
    expected_remaining_weeks: Fraction | None = None
    from_category: str | None = None
    to_category: str | None = None

    @property
    def weekly_saving(self) -> Fraction:
        """Weekly cost before less after (the log must be costed first: see ``placecast.programme.plan.costed``)."""
        if self.weekly_before is None or self.weekly_after is None:
            raise ValueError("a logged move without its weekly costs: cost the plan's log first")
        return Fraction(self.weekly_before) - Fraction(self.weekly_after)


def _end(event: RealisedEvent, cap: date) -> date:
    if event.planned_end is not None:
        end = event.planned_end
    elif event.expected_remaining_weeks is not None:
        end = event.on + timedelta(days=int(event.expected_remaining_weeks * 7) - 1)
    else:
        end = cap
    return min(end, cap)


def realised_avoidance(events: list[RealisedEvent], as_of_year_end: date | None = None,
                       as_at: date | None = None) -> pd.DataFrame:
    """In-year (to 31 March) and full-year (twelve months) avoidance per event, child-days counted once; with
    ``as_at``, also the part of the in-year figure on days up to it (``to_date``: the days that have passed)."""
    rows = []
    claimed: dict[str, list[tuple[date, date]]] = {}
    order = {name: i for i, name in enumerate(dict.fromkeys(e.intervention for e in events))}
    for e in sorted(events, key=lambda e: (order[e.intervention], e.on)):
        weekly = e.weekly_saving
        out = {"child": e.child, "intervention": e.intervention, "from": e.on, "weekly_avoided": weekly}
        year_end = as_of_year_end or fy_end(e.on)
        caps = [("in_year", year_end), ("full_year", twelve_months_from(e.on))]
        if as_at is not None:
            caps.insert(0, ("to_date", min(year_end, as_at)))
        for label, cap in caps:
            end = _end(e, cap)
            days = _unclaimed_days(claimed.get(e.child, []), e.on, end)
            out[label + "_days"] = days
            out[label] = weekly * days / 7
        # claim every day this event counted, in year or in the full year, so no later event counts it again
        last = max(_end(e, year_end), _end(e, twelve_months_from(e.on)))
        claimed.setdefault(e.child, []).append((e.on, last))
        rows.append(out)
    return pd.DataFrame(rows)


def _unclaimed_days(spans: list[tuple[date, date]], first: date, last: date) -> int:
    if last < first:
        return 0
    days = (last - first).days + 1
    covered: set[int] = set()
    for a, b in spans:
        lo, hi = max(a, first), min(b, last)
        if lo <= hi:
            covered.update(range((lo - first).days, (hi - first).days + 1))
    return days - len(covered)

"""The savings programme (MTFP): lines with targets, recurrent or not, phasing by year, delivery, RAG."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from placecast.finance.files import SAVING_STATUSES
from placecast.kpi.rag import savings_rag


@dataclass
class SavingsLine:
    """A saving: its amount, whether it recurs, its year and its delivery status."""

    name: str
    amount: Decimal
    recurrent: bool
    year: str  # the financial year the saving is delivered in
    status: str = "on track"  # delivered, on track, at risk or not deliverable


@dataclass
class SavingsProgramme:
    """A saving against a cash limit, phased over years, delivered by named lines. A recurrent saving
    counts in its year and every later one; a non-recurrent saving in its year only."""

    name: str
    cash_limit: Decimal | None  # None when the plan does not give it
    full_year_saving: Decimal
    phasing: dict[str, Decimal]  # cumulative saving required by year (from phasing, or phasing_per_year added up)
    lines: list[SavingsLine] = field(default_factory=list)
    forecast_delivery: dict[str, Decimal] = field(default_factory=dict)
    scale: Decimal = Decimal(1)  # pounds in one unit of its amounts (1000 for a programme in £000)

    @property
    def revised_cash_limit(self) -> Decimal | None:
        """The cash limit less the full-year saving (None without a cash limit: never the saving alone, negative)."""
        return None if self.cash_limit is None else self.cash_limit - self.full_year_saving

    def _counts(self, line: SavingsLine, year: str) -> bool:
        """Whether a line counts towards ``year``: in its own year, and later ones if recurrent."""
        return line.year == year or (line.recurrent and bool(line.year) and line.year < year)

    def delivered(self, year: str, recurrent: bool | None = None, statuses: tuple[str, ...] | None = None) -> Decimal:
        """The savings that count in ``year`` (only recurrent or non-recurrent ones, or some statuses, if asked)."""
        wanted = [ln.amount for ln in self.lines if self._counts(ln, year)
                  and (recurrent is None or ln.recurrent == recurrent) and (statuses is None or ln.status in statuses)]
        return sum(wanted, Decimal(0))

    def table(self) -> pd.DataFrame:
        """Per year: the requirement (in year and cumulative), the savings that count (recurrent ones carried
        forward), how much is delivered, on track, at risk or not deliverable, and the savings RAG by the
        rules file's rule (delivered and on track against the requirement, or the forecast delivery if given)."""
        rows, before = [], Decimal(0)
        for year, required in self.phasing.items():
            by = {st: self.delivered(year, statuses=(st,)) for st in SAVING_STATUSES}
            secure = by["delivered"] + by["on track"]
            forecast = self.forecast_delivery.get(year, secure)
            rows.append({"year": year, "required_in_year": required - before, "required": required,
                         "recurrent": self.delivered(year, True), "non_recurrent": self.delivered(year, False),
                         "carried_forward": sum((ln.amount for ln in self.lines if ln.recurrent and ln.year
                                                 and ln.year < year), Decimal(0)),
                         "planned": self.delivered(year), **{st.replace(" ", "_"): v for st, v in by.items()},
                         "forecast_delivery": forecast, "rag": savings_rag(required, forecast)})
            before = required
        return pd.DataFrame(rows)


@dataclass
class Milestone:
    """A project milestone: due date (YYYY-MM-DD) and status."""

    project: str
    milestone: str
    due: str
    status: str  # e.g. complete, on track, at risk

    def overdue(self, as_at: str) -> bool:
        """True when the milestone is due before ``as_at`` and not complete."""
        return self.status.lower() != "complete" and self.due < as_at

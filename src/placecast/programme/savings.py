"""The savings programme (MTFP): lines with targets, recurrent or not, phasing by year, delivery, RAG."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from placecast.kpi.rag import rag_for_shortfall


@dataclass
class SavingsLine:
    """A saving: its amount, whether it recurs, and its year."""

    name: str
    amount: Decimal
    recurrent: bool
    year: str  # the financial year the saving is delivered in


@dataclass
class SavingsProgramme:
    """A saving against a cash limit, phased over years, delivered by named lines."""

    name: str
    cash_limit: Decimal
    full_year_saving: Decimal
    phasing: dict[str, Decimal]  # cumulative saving required by year
    lines: list[SavingsLine] = field(default_factory=list)
    forecast_delivery: dict[str, Decimal] = field(default_factory=dict)

    @property
    def revised_cash_limit(self) -> Decimal:
        """The cash limit less the full-year saving."""
        return self.cash_limit - self.full_year_saving

    def delivered(self, year: str, recurrent: bool | None = None) -> Decimal:
        """The savings planned for ``year`` (only recurrent or non-recurrent ones if asked)."""
        wanted = [ln.amount for ln in self.lines
                  if ln.year == year and (recurrent is None or ln.recurrent == recurrent)]
        return sum(wanted, Decimal(0))

    def table(self) -> pd.DataFrame:
        """Required, planned and forecast delivery per year, with the savings RAG by the rules file."""
        rows = []
        for year, required in self.phasing.items():
            planned = self.delivered(year)
            forecast = self.forecast_delivery.get(year, planned)
            gap = (required - forecast) / required if required else Decimal(0)
            rag = rag_for_shortfall(float(gap))
            rows.append({"year": year, "required": required, "recurrent": self.delivered(year, True),
                         "non_recurrent": self.delivered(year, False), "planned": planned,
                         "forecast_delivery": forecast, "rag": rag})
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

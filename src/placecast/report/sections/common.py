"""Helpers shared by the report's sections: the report's money unit and category labels."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from placecast.quarter import QuarterResults
from placecast.report.model import display
from placecast.ssda903.taxonomy import load_taxonomy


@dataclass(frozen=True)
class MoneyUnit:
    """The one money unit of the report's tables and charts: £000 (the default) or £m."""

    label: str
    pounds: Decimal  # pounds in one unit
    kind: str  # the display kind of amounts in this unit

    def of(self, value: Decimal | float | int | None, scale: Decimal = Decimal(1)) -> Decimal | None:
        """An amount in units of ``scale`` pounds, in this unit (exact; None stays None)."""
        return None if value is None else Decimal(str(value)) * scale / self.pounds

    def text(self, pounds: Decimal | float | int) -> str:
        """An amount in pounds as the reader sees it in this unit, with the unit: '15,252 (£000)'."""
        return display(self.of(pounds), self.kind)


MONEY_UNITS = {"£000": MoneyUnit("£000", Decimal(1000), "gbp_k"), "£m": MoneyUnit("£m", Decimal(1_000_000), "gbp_m")}


def money_unit(results: QuarterResults) -> MoneyUnit:
    """The report's money unit (the configuration's ``money_unit``)."""
    return MONEY_UNITS[results.inputs.money_unit]


def category_labels(results: QuarterResults | None = None) -> dict[str, str]:
    """Placement category labels from the taxonomy (the one the quarter's history was assembled with, when
    given: a council's own category keeps its label), and ``total``."""
    own = results.history.labels if results is not None else {}
    return {**load_taxonomy().labels(), **own, "total": "All children in care"}


def intro(results: QuarterResults, section: str) -> str:
    """The commentary paragraph for ``section`` ('' when there is none)."""
    return results.inputs.commentary.section(section)

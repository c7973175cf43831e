"""Helpers shared by the report's sections: amounts in £000 and category labels."""

from __future__ import annotations

from decimal import Decimal

from placecast.quarter import QuarterResults
from placecast.ssda903.taxonomy import load_taxonomy


def thousands(value: Decimal | float | int | None, scale: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in units of ``scale`` pounds as exact £000 (None stays None)."""
    return None if value is None else Decimal(str(value)) * scale / 1000


def category_labels() -> dict[str, str]:
    """Placement category labels from the taxonomy, and ``total``."""
    return {**load_taxonomy().labels(), "total": "All children in care"}


def intro(results: QuarterResults, section: str) -> str:
    """The commentary paragraph for ``section`` ('' when there is none)."""
    return results.inputs.commentary.section(section)

"""Section: peak beds needed by placement type against in-house capacity, baseline and scenario."""

from __future__ import annotations

from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table
from placecast.report.sections.common import category_labels, intro

ID = "beds"


def build(results: QuarterResults) -> Section | None:
    """Beds needed against in-house capacity (no section when no capacity is given)."""
    labels = category_labels(results)
    outcome = results.scenario
    rows = [{"scenario": r["scenario"], "category": labels.get(r["category"], r["category"]),
             "capacity": r["in_house_capacity"], "p50": r["needed_p50"], "p90": r["needed_p90"],
             "shortfall": r["shortfall_p90"]} for r in outcome.comparison.beds.to_dict("records")]
    if not rows:
        return None
    return Section(ID, "Beds needed against in-house capacity", [
        Table("beds", f"Peak beds needed over the next {outcome.scenario.horizon_months} months",
              [Column("scenario", "Scenario"), Column("category", "Placement type"),
               Column("capacity", "In-house capacity", "int"), Column("p50", "Needed (P50)", "int"),
               Column("p90", "Needed (P90)", "int"), Column("shortfall", "Shortfall at P90", "int")],
              rows, "Whole beds enough for the peak month-end count of children in each placement type in half "
                    "(P50) and nine in ten (P90) of the runs.")], intro(results, ID))

"""The headline figures: money from the outturn, children in care now, a year ago and forecast."""

from __future__ import annotations

from placecast.finance.budget import Budget, share_text
from placecast.finance.calendar import fy_end
from placecast.quarter import QuarterResults
from placecast.report.model import Figure
from placecast.report.sections.common import money_unit
from placecast.ssda903.assemble import count_in_care


def _risk(results: QuarterResults) -> str:
    outturn, unit = results.outturn, money_unit(results)
    central = outturn.budget.headline()["forecast_outturn"]
    if outturn.forecast_spread is None or central is None:
        return ""
    central_pounds = central * outturn.budget.scale
    low, high = (unit.text(central_pounds + d) for d in outturn.forecast_spread)
    return f"; 80% range {low} to {high} (placement demand)"


def _after(budget: Budget) -> str:
    """What the forecast outturn is after: reserves, and the council's named adjustments where it has them."""
    used = [label.lower() for label in budget.adjustments_used.values()]
    return f"after {', '.join(used)} and reserves" if used else "after reserves"


def year_end_forecast(results: QuarterResults) -> float | None:
    """The mean forecast of children in care at the quarter's 31 March (None at a year end)."""
    as_at = results.as_at
    table = results.forecast.forecast.table()
    hit = table[(table["date"] == fy_end(as_at).isoformat()) & (table["category"] == "total")]
    return float(hit["mean"].iloc[0]) if len(hit) and as_at < fy_end(as_at) else None


def build(results: QuarterResults) -> list[Figure]:
    """The headline figures of the report."""
    budget, as_at = results.outturn.budget, results.as_at
    head, scale, unit = budget.headline(), budget.scale, money_unit(results)
    k = unit.kind
    episodes, cats = results.history.episodes, results.forecast.model.categories_
    year_ago = as_at.replace(year=as_at.year - 1)
    figures = [
        Figure("Cash limit", unit.of(head["cash_limit"], scale), k, unit.label),
        Figure("Forecast outturn", unit.of(head["forecast_outturn"], scale), k,
               f"{unit.label}, {_after(budget)}" + _risk(results)),
        Figure("(Surplus)/deficit before reserves", unit.of(head["deficit_before_reserves"], scale), k,
               f"{unit.label}; {share_text(head['deficit_before_pct'])}"),
        Figure("Reserves drawdown", unit.of(head["reserves_used"], scale), k, unit.label),
        Figure("(Surplus)/deficit after reserves", unit.of(head["deficit_after_reserves"], scale), k,
               f"{unit.label}; {share_text(head['deficit_after_pct'])}"),
        *([Figure("(Surplus)/deficit after mitigations", unit.of(head["deficit_after_mitigations"], scale), k,
                  f"{unit.label}; after {unit.text((head['mitigations'] or 0) * scale)} of mitigations not yet "
                  "delivered")]
          if "mitigations" in head else []),
        *([Figure(f"Movement since {budget.previous_label}", unit.of(head["movement"], scale), k,
                  f"{unit.label}; {budget.movement_basis}, from {unit.text((head['previous_position'] or 0) * scale)}")]
          if head.get("movement") is not None else []),
        Figure("Children in care now", count_in_care(episodes, as_at, cats)["total"], "int", f"at {as_at:%d/%m/%Y}"),
        Figure("Children in care a year ago", count_in_care(episodes, year_ago, cats)["total"], "int",
               f"at {year_ago:%d/%m/%Y}"),
    ]
    forecast = year_end_forecast(results)
    if forecast is not None:
        figures.append(Figure("Children in care forecast at 31 March", forecast, "int",
                              f"mean forecast at {fy_end(as_at):%d/%m/%Y}"))
    return figures

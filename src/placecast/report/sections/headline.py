"""The headline figures: money from the outturn, children in care now, a year ago and forecast."""

from __future__ import annotations

from placecast.finance.calendar import fy_end
from placecast.quarter import QuarterResults
from placecast.report.model import Figure, display
from placecast.report.sections.common import thousands
from placecast.ssda903.assemble import count_in_care


def _risk(results: QuarterResults) -> str:
    outturn = results.outturn
    central = outturn.budget.headline()["forecast_outturn"]
    if outturn.forecast_spread is None or central is None:
        return ""
    central_k = central * outturn.budget.scale / 1000
    low, high = (central_k + d / 1000 for d in outturn.forecast_spread)
    return f"; 80% range {display(low, 'gbp_k')} to {display(high, 'gbp_k')} (placement demand)"


def year_end_forecast(results: QuarterResults) -> float | None:
    """The mean forecast of children in care at the quarter's 31 March (None at a year end)."""
    as_at = results.as_at
    table = results.forecast.forecast.table()
    hit = table[(table["date"] == fy_end(as_at).isoformat()) & (table["category"] == "total")]
    return float(hit["mean"].iloc[0]) if len(hit) and as_at < fy_end(as_at) else None


def build(results: QuarterResults) -> list[Figure]:
    """The headline figures of the report."""
    budget, as_at = results.outturn.budget, results.as_at
    head, scale = budget.headline(), budget.scale
    episodes, cats = results.history.episodes, results.forecast.model.categories_
    year_ago = as_at.replace(year=as_at.year - 1)
    figures = [
        Figure("Cash limit", thousands(head["cash_limit"], scale), "gbp_k", "£000"),
        Figure("Forecast outturn", thousands(head["forecast_outturn"], scale), "gbp_k",
               "£000, after covid scarring allocations and reserves" + _risk(results)),
        Figure("(Surplus)/deficit before reserves", thousands(head["deficit_before_reserves"], scale), "gbp_k",
               f"£000; {float(head['deficit_before_pct'] or 0):.1f}% of the cash limit"),
        Figure("Reserves drawdown", thousands(head["reserves_used"], scale), "gbp_k", "£000"),
        Figure("(Surplus)/deficit after reserves", thousands(head["deficit_after_reserves"], scale), "gbp_k",
               f"£000; {float(head['deficit_after_pct'] or 0):.1f}% of the cash limit"),
        Figure("Children in care now", count_in_care(episodes, as_at, cats)["total"], "int", f"at {as_at:%d/%m/%Y}"),
        Figure("Children in care a year ago", count_in_care(episodes, year_ago, cats)["total"], "int",
               f"at {year_ago:%d/%m/%Y}"),
    ]
    forecast = year_end_forecast(results)
    if forecast is not None:
        figures.append(Figure("Children in care forecast at 31 March", forecast, "int",
                              f"mean forecast at {fy_end(as_at):%d/%m/%Y}"))
    return figures

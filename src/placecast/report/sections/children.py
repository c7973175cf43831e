"""Section: children in care by placement category, the last two years' actuals and the forecast."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from placecast.finance.calendar import fy_end
from placecast.quarter import QuarterResults
from placecast.report.charts import children_chart
from placecast.report.model import Chart, Column, Section, Table
from placecast.report.sections.common import category_labels, intro
from placecast.ssda903.assemble import count_in_care

ID = "children"


def chart_frame(results: QuarterResults) -> pd.DataFrame:
    """Actual counts at the last 25 month ends (within the data) and the forecast after the origin."""
    model, history = results.forecast.model, results.history
    categories = model.categories_
    first_day = history.first_day
    rows = []
    for d in pd.date_range(end=pd.Timestamp(model.origin_), periods=25, freq="ME"):
        if d.date() < first_day:
            continue
        counts = count_in_care(history.episodes, d.date(), categories)
        rows += [{"date": d.date().isoformat(), "category": c, "kind": "actual", "mean": counts.get(c, 0)}
                 for c in [*categories, "total"]]
    table = results.forecast.forecast.table()
    forecast = table[table["date"] > model.origin_.date().isoformat()].assign(kind="forecast")
    return pd.concat([pd.DataFrame(rows), forecast], ignore_index=True)


def _at(table: pd.DataFrame, day: date, category: str) -> dict:
    hit = table[(table["date"] == day.isoformat()) & (table["category"] == category)]
    return {} if hit.empty else hit.iloc[0].to_dict()


def table_rows(results: QuarterResults, shown: list[str]) -> list[dict]:
    """Per category: now, a year ago, and the forecast (mean, P10, P90) at the next two 31 Marches."""
    as_at, episodes = results.as_at, results.history.episodes
    cats = results.forecast.model.categories_
    now, then = count_in_care(episodes, as_at, cats), count_in_care(episodes, as_at.replace(year=as_at.year - 1), cats)
    fye = fy_end(as_at)
    next_fye = fy_end(fye + timedelta(days=1))
    table, labels = results.forecast.forecast.table(), category_labels(results)
    rows = []
    for c in shown:
        a, b = _at(table, fye, c), _at(table, next_fye, c)
        rows.append({"category": labels.get(c, c), "now": now.get(c, 0), "year_ago": then.get(c, 0),
                     "fye_mean": a.get("mean"), "fye_p10": a.get("p10"), "fye_p90": a.get("p90"),
                     "next_mean": b.get("mean"), "next_p10": b.get("p10"), "next_p90": b.get("p90")})
    return rows


def build(results: QuarterResults) -> Section:
    """Children in care now and forecast."""
    as_at = results.as_at
    frame = chart_frame(results)
    cats = results.forecast.model.categories_
    shown = [c for c in [*cats, "total"] if frame.loc[frame["category"] == c, "mean"].max() > 0]
    frame = frame[frame["category"].isin(shown)]
    rows = table_rows(results, shown)
    total, labels = rows[-1], category_labels(results)
    fye, year_ago = fy_end(as_at), as_at.replace(year=as_at.year - 1)
    next_fye = fy_end(fye + timedelta(days=1))
    return Section(ID, "Children in care now and forecast", [
        Chart("children_chart", "Children in care by placement category: actual and forecast",
              children_chart(frame, shown, labels),
              f"Small multiple line charts, one per placement category, of children in care at each month end: "
              f"actual counts for the last two years, then the forecast mean with 80% and 90% prediction bands. "
              f"All children in care: {total['now']:,} at {as_at:%d/%m/%Y}, forecast "
              f"{total['fye_mean'] or 0:,.0f} at {fye:%d/%m/%Y} (80% range {total['fye_p10'] or 0:,.0f} "
              f"to {total['fye_p90'] or 0:,.0f})."),
        Table("children", "Children in care by placement category",
              [Column("category", "Placement category"), Column("year_ago", f"{year_ago:%d/%m/%Y}", "int"),
               Column("now", f"{as_at:%d/%m/%Y}", "int"), Column("fye_mean", f"Forecast {fye:%d/%m/%Y}", "num1"),
               Column("fye_p10", "P10", "num1"), Column("fye_p90", "P90", "num1"),
               Column("next_mean", f"Forecast {next_fye:%d/%m/%Y}", "num1"), Column("next_p10", "P10", "num1"),
               Column("next_p90", "P90", "num1")], rows,
              "Forecast: mean of the Monte Carlo runs; P10 and P90 bound the 80% prediction interval.", True),
    ], intro(results, ID))

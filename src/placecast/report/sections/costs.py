"""Section: the forecast placement cost by category and financial year, and the range of the total."""

from __future__ import annotations

from placecast.finance.calendar import fy_label
from placecast.quarter import QuarterResults
from placecast.report.charts import cost_chart
from placecast.report.model import Chart, Column, Section, Table
from placecast.report.sections.common import category_labels, intro

ID = "costs"


def build(results: QuarterResults) -> Section:
    """Placement cost forecast by financial year."""
    by_year, labels = results.costs.by_year, category_labels()
    categories = results.forecast.model.categories_
    years = sorted(by_year["financial_year"].unique())
    mean_k = {(r["category"], r["financial_year"]): r["mean_gbp"] / 1000 for r in by_year.to_dict("records")}
    cost_rows = [{"category": labels.get(c, c), **{fy: mean_k.get((c, fy)) for fy in years}}
                 for c in [*categories, "total"] if any(mean_k.get((c, fy)) for fy in years) or c == "total"]
    total = by_year[by_year["category"] == "total"].sort_values("financial_year")
    range_rows = [{"financial_year": r["financial_year"], "mean": r["mean_gbp"] / 1000, "p10": r["p10_gbp"] / 1000,
                   "p50": r["p50_gbp"] / 1000, "p90": r["p90_gbp"] / 1000} for r in total.to_dict("records")]
    first_month = results.forecast.forecast.dates[1].date()
    part = f"{fy_label(first_month)} from {first_month.replace(day=1):%B %Y}"
    return Section(ID, "Placement cost forecast by financial year", [
        Chart("cost_chart", "Forecast placement cost by financial year", cost_chart(by_year, labels),
              "Stacked bar chart of the mean forecast placement cost in each financial year by placement "
              f"category ({part} only), with a black line showing the 80% range (P10 to P90) of the total. " +
              "; ".join(f"{r['financial_year']}: £{r['mean']:,.0f}k (P10 £{r['p10']:,.0f}k to P90 "
                        f"£{r['p90']:,.0f}k)" for r in range_rows) + "."),
        Table("costs", "Forecast placement cost by category and financial year (mean, £000)",
              [Column("category", "Placement category"), *[Column(fy, f"{fy} £000", "gbp_k") for fy in years]],
              cost_rows, f"Placement-days of every run x weekly unit cost / 7; {part} only (the months after the "
              "quarter end). Means across runs.", True),
        Table("cost_range", "Total forecast placement cost: range across runs (£000)",
              [Column("financial_year", "Financial year"), Column("mean", "Mean £000", "gbp_k"),
               Column("p10", "P10 £000", "gbp_k"), Column("p50", "P50 £000", "gbp_k"),
               Column("p90", "P90 £000", "gbp_k")], range_rows,
              "Quantiles are of the total cost across runs (not the cost of a quantile of children)."),
    ], intro(results, ID))

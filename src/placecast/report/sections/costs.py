"""Section: the forecast placement cost by category and financial year, and the range of the total."""

from __future__ import annotations

from placecast.finance.calendar import fy_label
from placecast.quarter import QuarterResults
from placecast.report.charts import cost_chart
from placecast.report.model import Chart, Column, Section, Table, display
from placecast.report.sections.common import category_labels, intro, money_unit

ID = "costs"


def build(results: QuarterResults) -> Section:
    """Placement cost forecast by financial year."""
    by_year, labels, unit = results.costs.by_year, category_labels(results), money_unit(results)
    categories = results.forecast.model.categories_
    years = sorted(by_year["financial_year"].unique())
    mean_k = {(r["category"], r["financial_year"]): unit.of(r["mean_gbp"]) for r in by_year.to_dict("records")}
    cost_rows = [{"category": labels.get(c, c), **{fy: mean_k.get((c, fy)) for fy in years}}
                 for c in [*categories, "total"] if any(mean_k.get((c, fy)) for fy in years) or c == "total"]
    total = by_year[by_year["category"] == "total"].sort_values("financial_year")
    range_rows = [{"financial_year": r["financial_year"], **{q: unit.of(r[f"{q}_gbp"]) for q in ("mean", "p10", "p50",
                                                                                                 "p90")}}
                  for r in total.to_dict("records")]
    first_month = results.forecast.forecast.dates[1].date()
    part = f"{fy_label(first_month)} from {first_month.replace(day=1):%B %Y}"
    return Section(ID, "Placement cost forecast by financial year", [
        Chart("cost_chart", f"Forecast placement cost by financial year ({unit.label})",
              cost_chart(by_year, labels, unit.label, float(unit.pounds)),
              f"Stacked bar chart of the mean forecast placement cost ({unit.label}) in each financial year by "
              f"placement category ({part} only), with a black line showing the 80% range (P10 to P90) of the "
              "total. " + "; ".join(f"{r['financial_year']}: {display(r['mean'], unit.kind)} (P10 "
                                    f"{display(r['p10'], unit.kind)} to P90 {display(r['p90'], unit.kind)})"
                                    for r in range_rows) + "."),
        Table("costs", f"Forecast placement cost by category and financial year, mean across runs ({unit.label})",
              [Column("category", "Placement category"), *[Column(fy, fy, unit.kind) for fy in years]],
              cost_rows, f"Placement-days of every run x weekly unit cost / 7; {part} only (the months after the "
              "quarter end). Means across runs.", True),
        Table("cost_range", f"Total forecast placement cost: range across runs ({unit.label})",
              [Column("financial_year", "Financial year"), Column("mean", "Mean", unit.kind),
               Column("p10", "P10", unit.kind), Column("p50", "P50", unit.kind),
               Column("p90", "P90", unit.kind)], range_rows,
              "Quantiles are of the total cost across runs (not the cost of a quantile of children)."),
    ], intro(results, ID))

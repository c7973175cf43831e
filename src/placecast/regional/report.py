"""The regional report (HTML, PDF, Excel through the quarterly report's machinery): the region's children
in care by category with intervals, the council breakdown, cost by financial year and beds against
capacity. Every figure comes from :class:`~placecast.regional.run.RegionalResults`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from placecast.finance.calendar import fy_end
from placecast.regional.run import RegionalResults
from placecast.report.charts import children_chart, cost_chart
from placecast.report.model import Chart, Column, Figure, Report, Section, Table, Text
from placecast.report.sections.common import MONEY_UNITS, category_labels

METHOD = ("Each council's returns were validated and assembled on their own (each with its own findings and its "
          "own pseudonyms), and each council was forecast by Placecast's demand model from the same start with "
          "its own seed. The region's figures are the councils' Monte Carlo runs added run by run, so its "
          "intervals are those of the sum, narrower than the sum of the councils' intervals; they are never "
          "quantiles added up.")


def _year_ends(results: RegionalResults) -> list[date]:
    first = fy_end(results.start if results.start.month != 3 or results.start.day != 31
                   else results.start + timedelta(days=1))
    last = results.region.dates[-1].date()
    out, day = [], first
    while day <= last:
        out.append(day)
        day = fy_end(day + timedelta(days=1))
    return out


def _children_table(results: RegionalResults) -> Table:
    labels = category_labels()
    return _by_year(results, results.region.table(), "category", [*results.region.categories, "total"],
                    lambda c: labels.get(c, c), Table("region_children", "Children in care across the region by "
                                                      "placement, forecast with 80% intervals", [], [],
                                                      "P10 and P90 of the region's summed runs.", True), "Placement")


def _age_table(results: RegionalResults) -> Table:
    table = results.region.age_table()
    bands = [b for b in dict.fromkeys(table["age_band"]) if b != "total"]
    return _by_year(results, table, "age_band", [*bands, "total"],
                    lambda b: "All children in care" if b == "total" else b,
                    Table("region_children_by_age", "Children in care across the region by age, forecast with 80% "
                                                    "intervals", [], [], "Age at each date; P10 and P90 of the "
                                                                         "region's summed runs.", True), "Age")


def _by_year(results: RegionalResults, table, key: str, keys: list[str], label, shell: Table, first: str) -> Table:
    """``shell`` filled: a row for each of ``keys`` (by ``key`` in ``table``) now and at the next two year
    ends, with each one's P10 and P90."""
    ends = _year_ends(results)[:2]
    start = results.start.isoformat()
    rows = []
    for k in keys:
        now = table[(table["date"] == start) & (table[key] == k)]
        row: dict[str, object] = {"key": label(k), "now": None if now.empty else float(now["mean"].iloc[0])}
        for i, day in enumerate(ends):
            hit = table[(table["date"] == day.isoformat()) & (table[key] == k)]
            if not hit.empty:
                row.update({f"mean{i}": hit["mean"].iloc[0], f"p10{i}": hit["p10"].iloc[0],
                            f"p90{i}": hit["p90"].iloc[0]})
        rows.append(row)
    columns = [Column("key", first), Column("now", f"At {results.start:%d/%m/%Y}", "int")]
    for i, day in enumerate(ends):
        columns += [Column(f"mean{i}", f"{day:%d/%m/%Y} mean", "int"), Column(f"p10{i}", "P10", "int"),
                    Column(f"p90{i}", "P90", "int")]
    return replace(shell, columns=columns, rows=rows)


def _council_table(results: RegionalResults) -> Table:
    ends = _year_ends(results)[:2]
    rows = []
    for c in results.councils:
        table = c.forecast.table()
        row: dict[str, object] = {"council": c.name, "data_to": c.census_date, "now": c.children_now,
                                  "errors": c.errors,
                                  "warnings": c.warnings, "seed": str(c.seed)}
        for k, day in enumerate(ends):
            hit = table[(table["date"] == day.isoformat()) & (table["category"] == "total")]
            if not hit.empty:
                row.update({f"mean{k}": hit["mean"].iloc[0], f"range{k}": f"{hit['p10'].iloc[0]:,.0f} to "
                                                                            f"{hit['p90'].iloc[0]:,.0f}"})
        rows.append(row)
    columns = [Column("council", "Council"), Column("data_to", "Data to", "date"),
               Column("now", f"At {results.start:%d/%m/%Y}", "int")]
    for k, day in enumerate(ends):
        columns += [Column(f"mean{k}", f"{day:%d/%m/%Y} mean", "int"), Column(f"range{k}", "80% interval")]
    columns += [Column("errors", "Validation errors", "int"), Column("warnings", "Warnings", "int"),
                Column("seed", "Seed")]
    return Table("region_councils", "Councils: children in care now and forecast", columns, rows,
                 "Each council's seed reproduces its forecast alone: placecast forecast ... --seed SEED --start "
                 f"{results.start.isoformat()}.")


def _cost_blocks(results: RegionalResults, how: str) -> list:
    unit = MONEY_UNITS["£000"]
    costs = results.costs()
    region = costs[costs["council"] == "Region"]
    total = region[region["category"] == "total"]
    rows = [{"year": r["financial_year"], **{k: unit.of(r[f"{k}_gbp"]) for k in ("mean", "p10", "p90")}}
            for r in total.to_dict("records")]
    table = Table("region_costs", f"Placement cost across the region by financial year ({unit.label})",
                  [Column("year", "Financial year"), Column("mean", "Mean", unit.kind),
                   Column("p10", "P10", unit.kind), Column("p90", "P90", unit.kind)], rows,
                  f"Placement-days of the summed runs at {_priced_at(results, how)}; P10 and P90 of the summed runs.")
    alt = "; ".join(f"{r['year']} {unit.text(float(r['mean']) * 1000)}" for r in rows)
    chart = Chart("region_cost_chart", f"Placement cost by financial year ({unit.label})",
                  cost_chart(region, category_labels()),
                  f"Stacked bars of the region's mean placement cost by financial year and placement, with the "
                  f"P10-P90 range of the total ({unit.label}): {alt}.")
    return [chart, table]


def _priced_at(results: RegionalResults, how: str = "give its own with --unit-costs") -> str:
    """Which unit costs the region's costs are at: the built-in illustrative ones are said to be so, with
    ``how`` to give the region's own."""
    from pathlib import Path

    from placecast.finance.unit_costs import UnitCosts

    own = [r.name for r in results.councils if r.name in results.own_costs]
    if results.unit_costs.source == UnitCosts.source:
        region = f"Placecast's built-in illustrative unit costs, not the region's ({how})"
    else:
        region = f"the unit costs of {Path(results.unit_costs.source).name}"
    if not own:
        return region
    others = [r.name for r in results.councils if r.name not in results.own_costs]
    return f"each council's own unit costs ({', '.join(own)})" + (f"; {', '.join(others)} at {region}" if others
                                                                    else "")


def _beds_table(results: RegionalResults) -> list[Table | Chart | Text]:
    if not results.capacity:
        return []
    labels = category_labels()
    rows = [{**r, "category": labels.get(r["category"], r["category"])} for r in results.beds().to_dict("records")]
    return [Table("region_beds", "Beds needed against the region's capacity (peak over the forecast)",
                  [Column("category", "Placement"), Column("capacity", "Capacity", "int"),
                   Column("needed_p50", "Needed (P50)", "int"), Column("needed_p90", "Needed (P90)", "int"),
                   Column("shortfall_p90", "Shortfall at P90", "int")], rows,
                  "Needed: the peak number in care over the forecast, in half (P50) and nine in ten (P90) of the "
                  "summed runs.")]


def regional_report(results: RegionalResults, title: str = "Regional children in care forecast",
                    region: str = "Region", how_to_price: str = "give its own with --unit-costs",
                    how_to_catch_up: str | None = None) -> Report:
    """The regional report model; :func:`placecast.report.write_report` renders it. ``how_to_price``: how the
    reader gives the region's own unit costs, said when it is costed at the built-in illustrative ones;
    ``how_to_catch_up``: what to do about councils whose later returns are forecast, not read (the command
    line's advice by default)."""
    table = results.region.table()
    frame = table[table["date"] > results.start.isoformat()].assign(kind="forecast")
    cats = results.region.categories
    chart = Chart("region_children_chart", "Children in care across the region: forecast with 80% and 90% bands",
                  children_chart(frame, cats, category_labels()),
                  "Small multiples by placement: the region's forecast mean with 80% and 90% bands from the summed "
                  "runs.")
    ends = _year_ends(results)
    first = table[(table["date"] == ends[0].isoformat()) & (table["category"] == "total")] if ends else table.iloc[:0]
    total_now = sum(c.children_now for c in results.councils)
    aged = f" aged {ages}" if (ages := results.region.settings.get("ages")) else ""
    headline = [Figure(f"Children in care{aged} across the region", total_now, "int", f"at {results.start:%d/%m/%Y}"),
                Figure("Councils", len(results.councils), "int")]
    if not first.empty:
        headline.append(Figure("Forecast at 31 March", float(first["mean"].iloc[0]), "int",
                               f"{ends[0]:%d/%m/%Y}; 80% interval {first['p10'].iloc[0]:,.0f} to "
                               f"{first['p90'].iloc[0]:,.0f}"))
    by_age = [_age_table(results)] if results.region.age_array is not None else []
    sections = [Section("region_children", "Children in care across the region", [Text([METHOD]), chart,
                                                                                  _children_table(results), *by_age]),
                Section("region_councils", "Councils", [_council_table(results)]),
                Section("region_costs", "Cost", _cost_blocks(results, how_to_price)),
                *([Section("region_beds", "Beds against capacity", _beds_table(results))] if results.capacity else [])]
    notes = [f"{len(results.councils)} councils forecast from {results.start:%d/%m/%Y}; {results.region.runs:,} runs "
             f"each, each council with its own seed (in the councils' table); {_settings_text(results)}."]
    later = results.later_data(how_to_catch_up) if how_to_catch_up else results.later_data()
    warnings = list(filter(None, [later, results.mixed_categories()]))
    return Report(title, region, f"from {results.start:%d/%m/%Y}", results.start, headline, sections, warnings, notes)


def _settings_text(results: RegionalResults) -> str:
    """The forecast's settings in words (the first council's seed and origin left out: each council has its
    own seed, and the start is said)."""
    settings = {k: v for k, v in results.region.settings.items() if k not in ("seed", "origin", "ages")}
    said = [f"{k.replace('_', ' ')} {v}" for k, v in settings.items() if not (isinstance(v, str) and " " in v)]
    sentences = [v for v in settings.values() if isinstance(v, str) and " " in v]
    if ages := results.region.settings.get("ages"):
        sentences.append(f"Only the children aged {ages} are counted, each by its age in each month as it ages into "
                         "and out of those bands (every child is simulated); each council's backtest, which weights "
                         "its pooling with 'no change', counts the same ages")
    return "settings: " + ", ".join(said) + "".join(f". {s.rstrip('.')}" for s in sentences)


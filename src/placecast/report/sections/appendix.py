"""Section: the appendix an auditor recomputes from: the unit costs and inflation used for each
placement type and year, the days costed and the commitments included."""

from __future__ import annotations

from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table, Text
from placecast.report.sections.common import category_labels, intro, money_unit

ID = "appendix"
METHOD = ("Every amount computed from the data is days x weekly cost / 7, kept exact and rounded once, in the "
          "tables. Actuals to date are the days each child spent in each placement category from 1 April to the "
          "quarter end, at the weekly cost in force on those days; commitments are the placements open at the "
          "quarter end (or the commitments register), each costed from the next day to 31 March or its planned "
          "end; forecast new demand is the forecast's mean cost to 31 March less the commitments. A weekly cost "
          "is inflated once on each 1 April after the date it was given for.")


def build(results: QuarterResults) -> Section:
    """How the computed figures were costed."""
    trail, unit, labels = results.outturn.trail, money_unit(results), category_labels(results)
    blocks: list = [Text([METHOD])]
    if trail is None:
        return Section(ID, "Appendix: how the computed figures were costed", blocks, intro(results, ID))
    years = [c for c in trail.unit_costs.columns if "/" in c]
    rows = [{**r, "cost_line": labels.get(r["cost_line"], r["cost_line"])} for r in trail.unit_costs.to_dict("records")]
    blocks.append(Table("unit_costs", "Weekly unit costs used, by financial year (£ a week)",
                        [Column("cost_line", "Placement type"), *[Column(y, y, "gbp") for y in years],
                         Column("dated_cost", "Given as"), Column("inflation", "Inflation")], rows))
    if trail.actuals is not None and len(trail.actuals):
        rows = [{"category": labels.get(r["category"], r["category"]), "from": r["from"], "to": r["to"],
                 "days": r["days"], "weekly": r["weekly"], "cost": unit.of(r["cost"])}
                for r in trail.actuals.to_dict("records")]
        total = {"category": "Total", "days": int(trail.actuals["days"].sum()),
                 "cost": unit.of(sum(trail.actuals["cost"]))}
        blocks.append(Table("actuals_trail", f"Placement actuals to date: days in care at each weekly cost "
                                             f"({unit.label})",
                            [Column("category", "Placement type"), Column("from", "From", "date"),
                             Column("to", "To", "date"), Column("days", "Days", "int"),
                             Column("weekly", "Weekly cost", "gbp"), Column("cost", "Cost", unit.kind)],
                            [*rows, total], total_row=True))
    if trail.commitments is not None and len(trail.commitments):
        rows = [{"cost_line": labels.get(r["cost_line"], r["cost_line"]), "placements": r["placements"],
                 "days": r["days"], "cost": unit.of(r["cost"])} for r in trail.commitments.to_dict("records")]
        total = {"cost_line": "Total", "placements": int(trail.commitments["placements"].sum()),
                 "days": int(trail.commitments["days"].sum()), "cost": unit.of(sum(trail.commitments["cost"]))}
        blocks.append(Table("commitments_trail", f"Committed to 31 March: placements open at the quarter end "
                                                 f"({unit.label})",
                            [Column("cost_line", "Placement type"), Column("placements", "Placements", "int"),
                             Column("days", "Days to 31 March", "int"), Column("cost", "Cost", unit.kind)],
                            [*rows, total], total_row=True))
    return Section(ID, "Appendix: how the computed figures were costed", blocks, intro(results, ID))

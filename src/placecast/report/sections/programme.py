"""Section: the recovery scenario against the frozen baseline, planned against realised avoidance,
invest-to-save cases, savings programmes and milestones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from placecast.kpi.rag import thresholds
from placecast.programme.tracker import ProgrammeResults
from placecast.quarter import QuarterResults
from placecast.report.charts import avoidance_chart
from placecast.report.model import Chart, Column, Section, Table, display
from placecast.report.sections.common import MoneyUnit, intro, money_unit

ID = "programme"
SCENARIO_MONEY = {"cost": "placement_cost_mean", "avoided": "avoided_mean", "avoided_p10": "avoided_p10",
                  "avoided_p90": "avoided_p90", "delivery": "delivery_cost", "net": "net_saving_mean"}


def scenario_table(results: QuarterResults, unit: MoneyUnit) -> Table:
    """Placement cost and cost avoidance by financial year, scenario against baseline."""
    scenario = results.scenario.scenario
    rows = [{"scenario": r["scenario"], "financial_year": r["financial_year"],
             **{k: unit.of(int(r[v])) for k, v in SCENARIO_MONEY.items()}}
            for r in results.scenario.comparison.cost_by_year.to_dict("records")]
    k = unit.kind
    return Table("scenario", f"Recovery scenario '{scenario.name}' against the frozen baseline ({unit.label})",
                 [Column("scenario", "Scenario"), Column("financial_year", "Financial year"),
                  Column("cost", "Placement cost", k), Column("avoided", "Avoided", k),
                  Column("avoided_p10", "Avoided P10", k), Column("avoided_p90", "Avoided P90", k),
                  Column("delivery", "Delivery cost", k), Column("net", "Net saving", k)], rows,
                 f"Same model, data and seed ({scenario.seed}) for baseline and scenario; {scenario.runs:,} runs; "
                 f"scenario file {scenario.file_hash}.")


def avoidance_blocks(programme: ProgrammeResults, approved: date | None, unit: MoneyUnit) -> list:
    """Planned against realised in-year avoidance: chart and table."""
    if programme.planned_vs_realised is None:
        return []
    rows = [{"intervention": r["intervention"], "planned": unit.of(r["planned_in_year"]),
             "realised": unit.of(r["realised_in_year"]), "rag": r["rag"]}
            for r in programme.planned_vs_realised.to_dict("records")]
    frame = pd.DataFrame([{"intervention": r["intervention"], "planned_k": float(r["planned"]),
                           "realised_k": float(r["realised"])} for r in rows])
    alt = "; ".join(f"{r['intervention']} planned {display(r['planned'], unit.kind)}, realised "
                    f"{display(r['realised'], unit.kind)}" for r in rows)
    when = f" ({approved:%d/%m/%Y})" if approved else ""
    return [Chart("avoidance_chart", f"Planned and realised cost avoidance by intervention ({unit.label})",
                  avoidance_chart(frame, unit.label), "Horizontal bar chart comparing planned and realised in-year "
                  f"cost avoidance ({unit.label}) for each intervention: {alt}."),
            Table("avoidance", f"Planned against realised cost avoidance in year ({unit.label})",
                  [Column("intervention", "Intervention"), Column("planned", "Planned", unit.kind),
                   Column("realised", "Realised", unit.kind), Column("rag", "RAG", "rag")], rows,
                  f"Realised: step-downs and returns home detected in the care history since the plan was approved"
                  f"{when}, each costed to 31 March; prevention: entries below the baseline frozen at approval.")]


def case_tables(programme: ProgrammeResults, unit: MoneyUnit) -> list[Table]:
    """Each invest-to-save case month by month."""
    out, k = [], unit.kind
    for number, case in enumerate(programme.invest_to_save, start=1):
        rows = [{"month": r["month"], **{c: unit.of(r[c]) for c in ("saving", "delivery_cost", "net", "cumulative")}}
                for r in case.table.to_dict("records")]
        out.append(Table(f"invest_to_save_{number}", f"Invest to save: {case.name} ({unit.label})",
                         [Column("month", "Month"), Column("saving", "Saving", k),
                          Column("delivery_cost", "Delivery cost", k), Column("net", "Net", k),
                          Column("cumulative", "Cumulative", k)], rows,
                         "Savings negative (as in the council's tables); delivery costed by days in month."))
    return out


def savings_tables(programme: ProgrammeResults, unit: MoneyUnit) -> list[Table]:
    """Each savings programme by year with its RAG (the plan's savings are in £000)."""
    red_gap = thresholds()[0]
    out, k = [], unit.kind
    for number, prog in enumerate(programme.savings, start=1):
        rows = [{"year": r["year"], **{c: unit.of(r[s], Decimal(1000)) for c, s in
                                       (("required", "required"), ("recurrent", "recurrent"),
                                        ("non_recurrent", "non_recurrent"), ("forecast", "forecast_delivery"))},
                 "rag": r["rag"]} for r in prog.table.to_dict("records")]
        out.append(Table(f"savings_{number}", f"Savings programme: {prog.name} ({unit.label})",
                         [Column("year", "Year"), Column("required", "Required (cumulative)", k),
                          Column("recurrent", "Recurrent", k), Column("non_recurrent", "Non-recurrent", k),
                          Column("forecast", "Forecast delivery", k), Column("rag", "RAG", "rag")], rows,
                         f"Red: forecast delivery more than {red_gap:.0%} short of the requirement; Amber: within "
                         f"{red_gap:.0%}."))
    return out


def milestone_table(programme: ProgrammeResults) -> list[Table]:
    """Milestones with those overdue marked."""
    if programme.milestones is None:
        return []
    return [Table("milestones", "Milestones",
                  [Column("project", "Project"), Column("milestone", "Milestone"), Column("due", "Due", "date"),
                   Column("status", "Status"), Column("overdue", "Overdue")],
                  [{**r, "due": date.fromisoformat(r["due"]), "overdue": "overdue" if r["overdue"] else ""}
                   for r in programme.milestones.to_dict("records")])]


def build(results: QuarterResults) -> Section:
    """Recovery programme."""
    unit = money_unit(results)
    blocks: list = [scenario_table(results, unit)]
    programme, plan = results.programme, results.inputs.plan
    if programme is not None:
        blocks += avoidance_blocks(programme, plan.approved if plan else None, unit)
        blocks += case_tables(programme, unit) + savings_tables(programme, unit) + milestone_table(programme)
    return Section(ID, "Recovery programme", blocks, intro(results, ID))

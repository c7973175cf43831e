"""Section: the recovery scenario against the frozen baseline, planned against realised avoidance,
invest-to-save cases, savings programmes and milestones."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from placecast.kpi.rag import thresholds
from placecast.programme.tracker import ProgrammeResults
from placecast.quarter import QuarterResults
from placecast.report.charts import avoidance_chart
from placecast.report.model import Chart, Column, Section, Table
from placecast.report.sections.common import intro

ID = "programme"
SCENARIO_MONEY = {"cost": "placement_cost_mean", "avoided": "avoided_mean", "avoided_p10": "avoided_p10",
                  "avoided_p90": "avoided_p90", "delivery": "delivery_cost", "net": "net_saving_mean"}


def scenario_table(results: QuarterResults) -> Table:
    """Placement cost and cost avoidance by financial year, scenario against baseline, in £000."""
    scenario = results.scenario.scenario
    rows = [{"scenario": r["scenario"], "financial_year": r["financial_year"],
             **{k: Decimal(int(r[v])) / 1000 for k, v in SCENARIO_MONEY.items()}}
            for r in results.scenario.comparison.cost_by_year.to_dict("records")]
    return Table("scenario", f"Recovery scenario '{scenario.name}' against the frozen baseline",
                 [Column("scenario", "Scenario"), Column("financial_year", "Financial year"),
                  Column("cost", "Placement cost £000", "gbp_k"), Column("avoided", "Avoided £000", "gbp_k"),
                  Column("avoided_p10", "Avoided P10 £000", "gbp_k"),
                  Column("avoided_p90", "Avoided P90 £000", "gbp_k"),
                  Column("delivery", "Delivery cost £000", "gbp_k"), Column("net", "Net saving £000", "gbp_k")], rows,
                 f"Same model, data and seed ({scenario.seed}) for baseline and scenario; {scenario.runs:,} runs; "
                 f"scenario file {scenario.file_hash}.")


def avoidance_blocks(programme: ProgrammeResults, approved: object) -> list:
    """Planned against realised in-year avoidance: chart and table."""
    if programme.planned_vs_realised is None:
        return []
    rows = [{"intervention": r["intervention"], "planned": r["planned_in_year"] / 1000,
             "realised": r["realised_in_year"] / 1000, "rag": r["rag"]}
            for r in programme.planned_vs_realised.to_dict("records")]
    frame = pd.DataFrame([{"intervention": r["intervention"], "planned_k": float(r["planned"]),
                           "realised_k": float(r["realised"])} for r in rows])
    alt = "; ".join(f"{r['intervention']} planned £{r['planned']:,.0f}k, realised £{r['realised']:,.0f}k" for r in rows)
    return [Chart("avoidance_chart", "Planned and realised cost avoidance by intervention", avoidance_chart(frame),
                  "Horizontal bar chart comparing planned and realised in-year cost avoidance (£000) for each "
                  f"intervention: {alt}."),
            Table("avoidance", "Planned against realised cost avoidance (in year)",
                  [Column("intervention", "Intervention"), Column("planned", "Planned £000", "gbp_k"),
                   Column("realised", "Realised £000", "gbp_k"), Column("rag", "RAG", "rag")], rows,
                  f"Realised: step-downs and returns home detected in the care history since the plan was approved "
                  f"({approved or ''}), each costed to 31 March; prevention: entries below the baseline frozen at "
                  "approval.")]


def case_tables(programme: ProgrammeResults) -> list[Table]:
    """Each invest-to-save case month by month, in £000."""
    out = []
    for number, case in enumerate(programme.invest_to_save, start=1):
        rows = [{"month": r["month"], **{k: r[k] / 1000 for k in ("saving", "delivery_cost", "net", "cumulative")}}
                for r in case.table.to_dict("records")]
        out.append(Table(f"invest_to_save_{number}", f"Invest to save: {case.name}",
                         [Column("month", "Month"), Column("saving", "Saving £000", "gbp_k"),
                          Column("delivery_cost", "Delivery cost £000", "gbp_k"), Column("net", "Net £000", "gbp_k"),
                          Column("cumulative", "Cumulative £000", "gbp_k")], rows,
                         "Savings negative (as in the council's tables); delivery costed by days in month."))
    return out


def savings_tables(programme: ProgrammeResults) -> list[Table]:
    """Each savings programme by year with its RAG."""
    red_gap = thresholds()[0]
    out = []
    for number, prog in enumerate(programme.savings, start=1):
        rows = [{"year": r["year"], "required": r["required"], "recurrent": r["recurrent"],
                 "non_recurrent": r["non_recurrent"], "forecast": r["forecast_delivery"], "rag": r["rag"]}
                for r in prog.table.to_dict("records")]
        out.append(Table(f"savings_{number}", f"Savings programme: {prog.name}",
                         [Column("year", "Year"), Column("required", "Required (cumulative) £000", "gbp_k"),
                          Column("recurrent", "Recurrent £000", "gbp_k"),
                          Column("non_recurrent", "Non-recurrent £000", "gbp_k"),
                          Column("forecast", "Forecast delivery £000", "gbp_k"), Column("rag", "RAG", "rag")], rows,
                         f"Red: forecast delivery more than {red_gap:.0%} short of the requirement; Amber: within "
                         f"{red_gap:.0%}."))
    return out


def milestone_table(programme: ProgrammeResults) -> list[Table]:
    """Milestones with those overdue marked."""
    if programme.milestones is None:
        return []
    return [Table("milestones", "Milestones",
                  [Column("project", "Project"), Column("milestone", "Milestone"), Column("due", "Due"),
                   Column("status", "Status"), Column("overdue", "Overdue")],
                  [{**r, "overdue": "overdue" if r["overdue"] else ""}
                   for r in programme.milestones.to_dict("records")])]


def build(results: QuarterResults) -> Section:
    """Recovery programme."""
    blocks: list = [scenario_table(results)]
    programme, plan = results.programme, results.inputs.plan
    if programme is not None:
        blocks += avoidance_blocks(programme, plan.approved if plan else None)
        blocks += case_tables(programme) + savings_tables(programme) + milestone_table(programme)
    return Section(ID, "Recovery programme", blocks, intro(results, ID))

"""Section: the recovery scenario against the frozen baseline, planned against realised avoidance,
invest-to-save cases, savings programmes and milestones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from placecast.kpi.rag import thresholds
from placecast.programme.levers import LEVERS
from placecast.programme.tracker import ProgrammeResults
from placecast.quarter import QuarterResults
from placecast.report.charts import avoidance_chart
from placecast.report.model import Chart, Column, Section, Table, Text, display
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


METHOD = ("Realised avoidance is measured against the counterfactual: the demand model fitted on what was known "
          "when the plan was approved, projected with its Monte Carlo runs (the frozen baseline), expected the "
          "placements of the days that have passed this year to cost the baseline figure; the care history shows "
          "what they did cost. Children step down, go home and leave care every month whether or not a programme "
          "exists, and the baseline expects them to: only the difference counts. The interval is the spread of the "
          "baseline's runs, scaled by how far this council's own cost forecasts of that length have been out, "
          "measured in units of their own spread.")


def realised_blocks(programme: ProgrammeResults, unit: MoneyUnit) -> list:
    """Realised avoidance against the frozen baseline: method, figures with intervals, evidence."""
    cf = programme.counterfactual
    if cf is None:
        return []
    k = unit.kind
    rows = [{"what": "The baseline expected the days passed to cost", "mean": unit.of(cf.baseline_cost.mean),
             "p10": unit.of(cf.baseline_cost.p10), "p90": unit.of(cf.baseline_cost.p90)},
            {"what": "They cost (care history at the same unit costs)", "mean": unit.of(cf.actual_cost)}]
    rows += [{"what": f"Avoided: {LEVERS[lever].lower()}", "mean": unit.of(v.mean), "p10": unit.of(v.p10),
              "p90": unit.of(v.p90)} for lever, v in cf.by_lever.items()]
    t = cf.to_date
    rows.append({"what": "Avoided to date (all levers)", "mean": unit.of(t.mean), "p10": unit.of(t.p10),
                 "p90": unit.of(t.p90)})
    if cf.rest_of_year is not None:
        r = cf.rest_of_year
        rows.append({"what": "Forecast for the rest of the year (baseline less the current forecast)",
                     "mean": unit.of(r.mean), "p10": unit.of(r.p10), "p90": unit.of(r.p90)})
    f = cf.full_year_effect
    rows.append({"what": f"Full-year effect of the position at {cf.last_day:%d/%m/%Y}", "mean": unit.of(f.mean),
                 "p10": unit.of(f.p10), "p90": unit.of(f.p90)})
    evidence = ", ".join(f"{name}: {n}" for name, n in cf.evidence.items())
    how = "the programme log's events confirmed by the care history" if cf.attribution == "log" else \
        "the care history alone (no programme log)"
    return [Text([METHOD.replace("Attribution to levers is from the care history alone; ", ""),
                  f"Days passed: {cf.first_day:%d/%m/%Y} to {cf.last_day:%d/%m/%Y} ({cf.days} days), baseline frozen "
                  f"at approval ({cf.approved:%d/%m/%Y}). Evidence: {evidence}. Attribution to levers is from {how}; "
                  "step-downs and returns home detected in the history are evidence, not savings.", cf.interval_basis(),
                  *cf.findings]),
            Table("realised", f"Realised cost avoidance against the frozen baseline ({unit.label})",
                  [Column("what", "Measure"), Column("mean", "Mean", k), Column("p10", "P10", k),
                   Column("p90", "P90", k)], rows, "P10 and P90 bound the 80% interval.")]


def avoidance_blocks(programme: ProgrammeResults, unit: MoneyUnit) -> list:
    """Planned (phased to date) against realised avoidance to date with its interval: chart and table."""
    if programme.planned_vs_realised is None:
        return []
    rows = [{"intervention": r["intervention"], "lever": r["lever"], "planned": unit.of(r["planned_to_date"]),
             "realised": unit.of(r["realised_to_date"]), "p10": unit.of(r["p10"]), "p90": unit.of(r["p90"]),
             "rag": r["rag"]} for r in programme.planned_vs_realised.to_dict("records")]
    frame = pd.DataFrame([{"intervention": r["intervention"], "planned_k": float(r["planned"] or 0),
                           "realised_k": float(r["realised"] or 0), "p10_k": float(r["p10"] or 0),
                           "p90_k": float(r["p90"] or 0)} for r in rows])
    alt = "; ".join(f"{r['intervention']} planned {display(r['planned'], unit.kind)}, realised "
                    f"{display(r['realised'], unit.kind)} (80% interval {display(r['p10'], unit.kind)} to "
                    f"{display(r['p90'], unit.kind)})" for r in rows)
    red_gap, _ = thresholds()
    return [Chart("avoidance_chart", f"Planned and realised cost avoidance to date ({unit.label})",
                  avoidance_chart(frame, unit.label), "Horizontal bar chart of planned (phased to date) and realised "
                  f"cost avoidance to date ({unit.label}) for each intervention, the realised bar with its 80% "
                  f"interval; zero is the frozen baseline: {alt}."),
            Table("avoidance", f"Planned against realised cost avoidance to date ({unit.label})",
                  [Column("intervention", "Intervention"), Column("lever", "Lever"),
                   Column("planned", "Planned to date", unit.kind), Column("realised", "Realised", unit.kind),
                   Column("p10", "P10", unit.kind), Column("p90", "P90", unit.kind), Column("rag", "RAG", "rag")],
                  rows, "Planned: the in-year plan phased evenly over the year. Green: the plan to date is within or "
                  f"below the realised 80% interval; Amber: above it by up to {red_gap:.0%} of the plan; Red: more. "
                  "Interventions of the same lever share its realised figure in proportion to their plans.")]


def case_summary(programme: ProgrammeResults, unit: MoneyUnit) -> list[Table]:
    """Each invest-to-save case in one row: its saving and costs, payback, return per £1, in-year and full-year."""
    summary = programme.invest_to_save_summary
    if summary is None:
        return []
    k, money = unit.kind, ("saving", "delivery_cost", "one_off_cost", "net", "in_year_saving", "full_year_effect")
    rows = [{"case": r["case"], **{c: unit.of(r[c]) for c in money}, "payback": r["payback_month"] or "not in the "
             "months shown", "return": "" if r["return_per_pound"] is None else f"£{r['return_per_pound']:.2f}"}
            for r in summary.to_dict("records")]
    return [Table("invest_to_save_summary", f"Invest to save: payback and return ({unit.label})",
                  [Column("case", "Case"), Column("saving", "Saving", k), Column("delivery_cost", "Delivery cost", k),
                   Column("one_off_cost", "One-off and capital", k), Column("net", "Net cost", k),
                   Column("payback", "Payback month"), Column("return", "Return per £1"),
                   Column("in_year_saving", "In-year saving", k), Column("full_year_effect", "Full-year effect", k)],
                  rows, "Over the months of each case. Return per £1: saving / (delivery + one-off and capital "
                  "costs). In-year: from the first day of saving to 31 March; full-year effect: the twelve months "
                  "from that day (never less than an in-year figure).")]


def case_tables(programme: ProgrammeResults, unit: MoneyUnit) -> list[Table]:
    """Each invest-to-save case month by month."""
    out, k = [], unit.kind
    for number, case in enumerate(programme.invest_to_save, start=1):
        records = case.table.to_dict("records")
        rows = [{"month": r["month"], **{c: unit.of(r[c]) for c in ("saving", "delivery_cost", "one_off_cost", "net",
                                                                  "cumulative")}} for r in records]
        one_off = [Column("one_off_cost", "One-off and capital", k)] if any(r["one_off_cost"] for r in records) else []
        out.append(Table(f"invest_to_save_{number}", f"Invest to save: {case.name} ({unit.label})",
                         [Column("month", "Month"), Column("saving", "Saving", k),
                          Column("delivery_cost", "Delivery cost", k), *one_off, Column("net", "Net", k),
                          Column("cumulative", "Cumulative", k)], rows,
                         "Savings negative (as in the council's tables); delivery costed by days in month; one-off "
                         "and capital costs in the month they are incurred, and in the payback and return per £1."))
    return out


def savings_tables(programme: ProgrammeResults, unit: MoneyUnit) -> list[Table]:
    """Each savings programme by year: the requirement, the savings that count (recurrent ones carried
    forward by themselves), their delivery status and the savings RAG (the tables are in pounds, whatever units
    the plan's programme states)."""
    from placecast.kpi.rag import SAVINGS_RULE

    money = ("required_in_year", "required", "recurrent", "non_recurrent", "delivered", "on_track", "at_risk",
             "not_deliverable", "forecast_delivery")
    out, k = [], unit.kind
    for number, prog in enumerate(programme.savings, start=1):
        rows = [{"year": r["year"], **{c: unit.of(r[c], Decimal(1)) for c in money}, "rag": r["rag"]}
                for r in prog.table.to_dict("records")]
        forecast = [Column("forecast_delivery", "Forecast delivery", k)] if any(
            r["forecast_delivery"] != r["delivered"] + r["on_track"] for r in prog.table.to_dict("records")) else []
        out.append(Table(f"savings_{number}", f"Savings programme: {prog.name} ({unit.label})",
                         [Column("year", "Year"), Column("required_in_year", "Required in year", k),
                          Column("required", "Required (cumulative)", k),
                          Column("recurrent", "Recurrent (with earlier years')", k),
                          Column("non_recurrent", "Non-recurrent", k), Column("delivered", "Delivered", k),
                          Column("on_track", "On track", k), Column("at_risk", "At risk", k),
                          Column("not_deliverable", "Not deliverable", k), *forecast, Column("rag", "RAG", "rag")],
                         rows, SAVINGS_RULE.format(gap=thresholds()[0]) + " Recurrent savings count in their year "
                         "and every later one; non-recurrent savings in their year only."))
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
    programme = results.programme
    if programme is not None:
        blocks += realised_blocks(programme, unit) + avoidance_blocks(programme, unit)
        blocks += case_summary(programme, unit) + case_tables(programme, unit) + savings_tables(programme, unit)
        blocks += milestone_table(programme)
    return Section(ID, "Recovery programme", blocks, intro(results, ID))

"""Section: the forecast outturn by service line, the components computed from the data, budget
changes and reserves."""

from __future__ import annotations

from placecast.finance.budget import Budget
from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table
from placecast.report.sections.common import MoneyUnit, intro, money_unit

ID = "outturn"
COMPONENTS = {"from_history": "Placement actuals to date (care history at unit costs)",
              "from_commitments": "Committed to 31 March (open placements)",
              "from_forecast": "Forecast new demand net of expected endings to 31 March (forecast less committed)"}
MONEY = ("cash_limit", "forecast_net_expenditure", "reserves", "net_after_adjustments_and_reserves", "deficit",
         "previous_deficit", "movement")


def outturn_table(budget: Budget, quarter: str, unit: MoneyUnit, outside: bool = False) -> Table:
    """Outturn by service line with the movement since last quarter; the council's named adjustments are
    columns only when a line uses them."""
    used = budget.adjustments_used
    lines = budget.outside if outside else budget.lines
    gross = {"forecast_gross": "Forecast gross expenditure", "forecast_income": "Forecast income"} \
        if any(ln.gross is not None for ln in lines) else {}
    rows = [{"line": r["line"] + (" (budget only: no forecast given)" if r["forecast_basis"].startswith("budget")
                                  else ""), **{c: unit.of(r[c], budget.scale) for c in (*MONEY, *used, *gross)},
             "deficit_pct": r["deficit_pct"]}
            for r in budget.outturn_table(outside).to_dict("records")]
    columns = [Column("line", "Service line"), Column("cash_limit", "Cash limit", unit.kind),
               *[Column(key, label, unit.kind) for key, label in gross.items()],
               Column("forecast_net_expenditure", "Forecast net expenditure", unit.kind),
               *[Column(key, label, unit.kind) for key, label in used.items()],
               Column("reserves", "From reserves", unit.kind),
               Column("net_after_adjustments_and_reserves", "Net after adjustments and reserves" if used
                      else "Net after reserves", unit.kind),
               Column("deficit", f"(Surplus)/deficit {quarter[-2:]}", unit.kind),
               Column("deficit_pct", "% of cash limit", "pct"),
               Column("previous_deficit", "(Surplus)/deficit last quarter", unit.kind),
               Column("movement", "Movement", unit.kind)]
    if outside:
        return Table("outside", f"Outside the cash limit: ring-fenced funding, reported beside the position "
                                f"({unit.label})", columns, rows, "Not included in the position above.", True)
    return Table("outturn", f"Forecast outturn by service line, with movement since last quarter ({unit.label})",
                 columns, rows, "Negative amounts in brackets. Deficit = net after reserves - cash limit.", True)


def budget_table(budget: Budget, unit: MoneyUnit) -> Table:
    """Budget changes since last quarter."""
    rows = [{"line": r["line"], **{c: unit.of(r[c], budget.scale) for c in ("budget_previous_quarter", "changes",
                                                                              "cash_limit")}}
            for r in budget.budget_table().to_dict("records")]
    return Table("budget", f"Budget changes since last quarter ({unit.label})",
                 [Column("line", "Service line"), Column("budget_previous_quarter", "Last quarter", unit.kind),
                  Column("changes", "Increase/(reduction)", unit.kind),
                  Column("cash_limit", "Cash limit", unit.kind)], rows, total_row=True)


def reserves_table(budget: Budget, unit: MoneyUnit) -> Table:
    """Earmarked reserves: approved use and balance."""
    rows = [{"category": r["category"], "purpose": r["purpose"],
             **{c: unit.of(r[c], budget.scale) for c in ("approved_use_balance", "approved_use", "contribution",
                                                         "balance")}}
            for r in budget.reserves_table().to_dict("records")]
    both_ways = any(r.contribution for r in budget.reserves)
    return Table("reserves", f"Earmarked reserves: approved use ({unit.label})",
                 [Column("category", "Reserve"), Column("purpose", "To be used for"),
                  Column("approved_use_balance", "Approved-use balance", unit.kind),
                  Column("approved_use", "Approved use", unit.kind),
                  *([Column("contribution", "Contributions", unit.kind)] if both_ways else []),
                  Column("balance", "Closing balance" if both_ways else "Balance remaining", unit.kind)], rows,
                 total_row=True)


def build(results: QuarterResults) -> Section:
    """Forecast outturn against the cash limit."""
    outturn, unit = results.outturn, money_unit(results)
    blocks: list = [outturn_table(outturn.budget, results.quarter, unit)]
    if outturn.budget.outside:
        blocks.append(outturn_table(outturn.budget, results.quarter, unit, outside=True))
    comp = [{"component": COMPONENTS.get(k, k), "amount": unit.of(v)} for k, v in outturn.sources.items()]
    if comp:
        blocks.append(Table("outturn_components", f"Placement components computed from the data ({unit.label})",
                            [Column("component", "Component"), Column("amount", "Amount", unit.kind)], comp,
                            "Used where the budget file writes from_history, from_commitments or from_forecast."))
    if outturn.budget.mitigations:
        rows = [{"step": r["step"], "status": r["status"], "amount": unit.of(r["amount"], outturn.budget.scale)}
                for r in outturn.budget.mitigation_table().to_dict("records")]
        blocks.append(Table("mitigations", f"Mitigations not yet delivered: the position before and after "
                                           f"({unit.label})",
                            [Column("step", "Step"), Column("status", "Status"), Column("amount", "Amount", unit.kind)],
                            rows, "Mitigations are not in the forecast until they are delivered.", True))
    blocks.append(budget_table(outturn.budget, unit))
    if outturn.budget.reserves:
        blocks.append(reserves_table(outturn.budget, unit))
    return Section(ID, "Forecast outturn against the cash limit", blocks, intro(results, ID))

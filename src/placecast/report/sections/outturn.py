"""Section: the forecast outturn by service line, the components computed from the data, budget
changes and reserves."""

from __future__ import annotations

from placecast.finance.budget import Budget
from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table, Text
from placecast.report.sections.common import MoneyUnit, intro, money_unit

ID = "outturn"
COMPONENTS = {"from_history": "Placement actuals to date (care history at unit costs)",
              "from_commitments": "Committed to 31 March (open placements)",
              "from_forecast": "Forecast new demand net of expected endings to 31 March (forecast less committed)"}
MONEY = ("cash_limit", "forecast_net_expenditure", "reserves", "net_after_adjustments_and_reserves", "deficit",
         "previous_deficit", "movement")


def _short(budget: Budget, quarter: str) -> str:
    """The period in a column heading: "Q2" from a free label, else the file's period."""
    return budget.period.label if budget.period is not None else quarter[-2:]


def _previous_label(budget: Budget) -> str:
    """The heading of the previous report's column, with its basis when it is not the usual one."""
    then = budget.previous_label
    basis = " (before reserves)" if budget.movement_basis == "before reserves" else ""  # lines have no mitigations
    return f"(Surplus)/deficit {then}{basis}"


def outturn_table(budget: Budget, quarter: str, unit: MoneyUnit, outside: bool = False) -> Table:
    """Outturn by service line with the movement since last quarter; the council's named adjustments are
    columns only when a line uses them."""
    used = budget.adjustments_used
    lines = budget.outside if outside else budget.lines
    gross = {"forecast_gross": "Forecast gross expenditure", "forecast_income": "Forecast income"} \
        if any(ln.gross is not None for ln in lines) else {}
    rows = [{"line": r["line"] + (" (budget only: no forecast given)" if r["forecast_basis"].startswith("budget")
                                  else ""), **{c: unit.of(r[c], budget.scale) for c in (*MONEY, *used, *gross)},
             "deficit_pct": r["deficit_pct"], "previous_year_variance": unit.of(r["previous_year_variance"],
                                                                                 budget.scale)}
            for r in budget.outturn_table(outside).to_dict("records")]
    columns = [Column("line", "Service line"), Column("cash_limit", "Cash limit", unit.kind),
               *[Column(key, label, unit.kind) for key, label in gross.items()],
               Column("forecast_net_expenditure", "Forecast net expenditure", unit.kind),
               *[Column(key, label, unit.kind) for key, label in used.items()],
               Column("reserves", "From reserves", unit.kind),
               Column("net_after_adjustments_and_reserves", "Net after adjustments and reserves" if used
                      else "Net after reserves", unit.kind),
               Column("deficit", f"(Surplus)/deficit {_short(budget, quarter)}", unit.kind),
               Column("deficit_pct", "% of cash limit", "pct"),
               Column("previous_deficit", _previous_label(budget), unit.kind),
               Column("movement", "Movement", unit.kind),
               *([Column("previous_year_variance", "Last year's variance", unit.kind)] if any(
                   ln.previous_year_variance is not None for ln in lines) else [])]
    if outside:
        return Table("outside", f"Outside the cash limit: ring-fenced funding, reported beside the position "
                                f"({unit.label})", columns, rows, "Not included in the position above.", True)
    return Table("outturn", f"Forecast outturn by service line, with movement since {budget.previous_label} "
                            f"({unit.label})",
                 columns, rows, "Negative amounts in brackets. Deficit = net after reserves - cash limit.", True)


def budget_table(budget: Budget, unit: MoneyUnit) -> Table:
    """Budget changes since last quarter."""
    rows = [{"line": r["line"], **{c: unit.of(r[c], budget.scale) for c in ("budget_previous_quarter", "changes",
                                                                              "cash_limit", "budget_gross",
                                                                              "budget_income")}}
            for r in budget.budget_table().to_dict("records")]
    gross = [Column("budget_gross", "Gross expenditure", unit.kind), Column("budget_income", "Income", unit.kind)] \
        if any(ln.budget_gross is not None for ln in budget.lines) else []
    return Table("budget", f"Budget changes since last quarter ({unit.label})",
                 [Column("line", "Service line"), Column("budget_previous_quarter", "Last quarter", unit.kind),
                  Column("changes", "Increase/(reduction)", unit.kind),
                  *gross, Column("cash_limit", "Cash limit", unit.kind)], rows, total_row=True)


def movement_table(budget: Budget, unit: MoneyUnit) -> Table | Text:
    """The position now and at the previous report on the declared basis, and the movement (in words, n/a,
    when the previous position is not known)."""
    if budget.previous_position() is None:
        return Text([f"Movement on the previous report ({budget.movement_basis}): n/a, because "
                     f"{budget.why_no_movement()}."])
    rows = [{"step": r["step"], "amount": unit.of(r["amount"], budget.scale)}
            for r in budget.movement_table().to_dict("records")]
    return Table("movement", f"Movement on the previous report, {budget.movement_basis} ({unit.label})",
                 [Column("step", "Position"), Column("amount", "Amount", unit.kind)], rows,
                 "The basis of the movement is declared in the budget file (movement_basis: before reserves, after "
                 "reserves or after mitigations).", True)


def savings_table(budget: Budget, unit: MoneyUnit) -> Table:
    """The year's savings by line and delivery status, with the savings RAG."""
    from placecast.kpi.rag import SAVINGS_RULE, thresholds

    money = ("proposed", "delivered", "on_track", "at_risk", "not_deliverable", "achieved_or_anticipated")
    rows = [{"line": r["line"], **{c: unit.of(r[c], budget.scale) for c in money}, "rag": r["rag"]}
            for r in budget.savings_table().to_dict("records")]
    return Table("savings_status", f"Savings by delivery status ({unit.label})",
                 [Column("line", "Service line"), Column("proposed", "Proposed", unit.kind),
                  Column("delivered", "Delivered", unit.kind), Column("on_track", "On track", unit.kind),
                  Column("at_risk", "At risk", unit.kind), Column("not_deliverable", "Not deliverable", unit.kind),
                  Column("rag", "RAG", "rag")], rows, SAVINGS_RULE.format(gap=thresholds()[0]), True)


def reserves_table(budget: Budget, unit: MoneyUnit) -> Table:
    """Earmarked reserves: approved use and balance."""
    rows = [{"category": r["category"], "purpose": r["purpose"],
             **{c: unit.of(r[c], budget.scale) for c in ("approved_use_balance", "approved_use", "contribution",
                                                         "transfers_in", "balance")}}
            for r in budget.reserves_table().to_dict("records")]
    both_ways = any(r.contribution or r.transfers_in for r in budget.reserves)
    transfers = [Column("transfers_in", "Transfers in", unit.kind)] if any(r.transfers_in for r in budget.reserves) \
        else []
    return Table("reserves", f"Earmarked reserves: approved use ({unit.label})",
                 [Column("category", "Reserve"), Column("purpose", "To be used for"),
                  Column("approved_use_balance", "Approved-use balance", unit.kind),
                  Column("approved_use", "Approved use", unit.kind),
                  *([Column("contribution", "Contributions", unit.kind)] if any(r.contribution for r in
                                                                                 budget.reserves) else []),
                  *transfers,
                  Column("balance", "Closing balance" if both_ways else "Balance remaining", unit.kind)], rows,
                 total_row=True)


def build(results: QuarterResults) -> Section:
    """Forecast outturn against the cash limit."""
    outturn, unit = results.outturn, money_unit(results)
    blocks: list = [outturn_table(outturn.budget, results.quarter, unit)]
    if outturn.budget.outside:
        blocks.append(outturn_table(outturn.budget, results.quarter, unit, outside=True))
    comp = [{"component": COMPONENTS[k], "amount": unit.of(v)} for k, v in outturn.sources.items() if k in COMPONENTS]
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
    blocks.append(movement_table(outturn.budget, unit))
    if outturn.budget.savings:
        blocks.append(savings_table(outturn.budget, unit))
    blocks.append(budget_table(outturn.budget, unit))
    if outturn.budget.reserves:
        blocks.append(reserves_table(outturn.budget, unit))
    return Section(ID, "Forecast outturn against the cash limit", blocks, intro(results, ID))

"""Section: the forecast outturn by service line, the components computed from the data, budget
changes and reserves."""

from __future__ import annotations

from decimal import Decimal

from placecast.finance.budget import Budget
from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table
from placecast.report.sections.common import intro, thousands

ID = "outturn"
COMPONENTS = {"from_history": "Placement actuals to date (care history at unit costs)",
              "from_commitments": "Committed to 31 March (open placements)",
              "from_forecast": "Forecast new demand net of expected endings to 31 March (forecast less committed)"}
MONEY = ("cash_limit", "forecast_net_expenditure", "covid_scarring", "reserves", "net_after_scarring_and_reserves",
         "deficit", "previous_deficit", "movement")


def outturn_table(budget: Budget, quarter: str) -> Table:
    """Outturn by service line with the movement since last quarter, in £000."""
    rows = [{"line": r["line"], **{c: thousands(r[c], budget.scale) for c in MONEY}}
            for r in budget.outturn_table().to_dict("records")]
    columns = [Column("line", "Service line"), Column("cash_limit", "Cash limit £000", "gbp_k"),
               Column("forecast_net_expenditure", "Forecast net expenditure £000", "gbp_k"),
               Column("covid_scarring", "Covid scarring £000", "gbp_k"),
               Column("reserves", "From reserves £000", "gbp_k"),
               Column("net_after_scarring_and_reserves", "Net after reserves £000", "gbp_k"),
               Column("deficit", f"(Surplus)/deficit {quarter[-2:]} £000", "gbp_k"),
               Column("previous_deficit", "(Surplus)/deficit last quarter £000", "gbp_k"),
               Column("movement", "Movement £000", "gbp_k")]
    return Table("outturn", "Forecast outturn by service line, with movement since last quarter", columns, rows,
                 "Negative amounts in brackets. Deficit = net after reserves - cash limit.", True)


def budget_table(budget: Budget) -> Table:
    """Budget changes since last quarter, in £000."""
    rows = [{"line": r["line"], **{c: thousands(r[c], budget.scale) for c in ("budget_previous_quarter", "changes",
                                                                              "cash_limit")}}
            for r in budget.budget_table().to_dict("records")]
    return Table("budget", "Budget changes since last quarter",
                 [Column("line", "Service line"), Column("budget_previous_quarter", "Last quarter £000", "gbp_k"),
                  Column("changes", "Increase/(reduction) £000", "gbp_k"),
                  Column("cash_limit", "Cash limit £000", "gbp_k")], rows, total_row=True)


def reserves_table(budget: Budget) -> Table:
    """Earmarked reserves: approved use and balance, in £000."""
    rows = [{"category": r["category"], "purpose": r["purpose"],
             **{c: thousands(r[c], budget.scale) for c in ("approved_use_balance", "approved_use", "balance")}}
            for r in budget.reserves_table().to_dict("records")]
    return Table("reserves", "Earmarked reserves: approved use",
                 [Column("category", "Reserve"), Column("purpose", "To be used for"),
                  Column("approved_use_balance", "Approved-use balance £000", "gbp_k"),
                  Column("approved_use", "Approved use £000", "gbp_k"),
                  Column("balance", "Balance remaining £000", "gbp_k")], rows, total_row=True)


def build(results: QuarterResults) -> Section:
    """Forecast outturn against the cash limit."""
    outturn = results.outturn
    blocks: list = [outturn_table(outturn.budget, results.quarter)]
    comp = [{"component": COMPONENTS.get(k, k), "amount": Decimal(v) / 1000} for k, v in outturn.sources.items()]
    if comp:
        blocks.append(Table("outturn_components", "Placement components computed from the data",
                            [Column("component", "Component"), Column("amount", "£000", "gbp_k")], comp,
                            "Used where the budget file writes from_history, from_commitments or from_forecast."))
    blocks.append(budget_table(outturn.budget))
    if outturn.budget.reserves:
        blocks.append(reserves_table(outturn.budget))
    return Section(ID, "Forecast outturn against the cash limit", blocks, intro(results, ID))

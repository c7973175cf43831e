"""Finance: financial calendar, unit costs, cost of a forecast, budget lines, outturn and reserves."""

from placecast.finance.budget import Budget, read_budget
from placecast.finance.calendar import (
    cost_between,
    days_remaining,
    fy_end,
    fy_label,
    fy_start,
    quarter,
    split_by_fy,
    to_thousands,
    weeks_remaining,
)
from placecast.finance.commitments import Commitments, read_commitments, reconcile
from placecast.finance.errors import FinanceInputError, InputProblem
from placecast.finance.forecast_cost import allowance, cost_runs, cost_summary
from placecast.finance.unit_costs import UnitCosts, default_unit_costs, read_unit_costs

__all__ = [
    "Budget", "Commitments", "FinanceInputError", "InputProblem", "UnitCosts", "allowance", "cost_between", "cost_runs",
    "cost_summary", "days_remaining", "default_unit_costs", "fy_end", "fy_label", "fy_start", "quarter",
    "read_budget", "read_commitments", "read_unit_costs", "reconcile", "split_by_fy", "to_thousands", "weeks_remaining",
]

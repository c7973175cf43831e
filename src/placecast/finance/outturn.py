"""The forecast outturn: a budget file with its computed components filled in from the data.

A budget line may write ``actuals_to_date: from_history`` (placement days since 1 April in the care
history, at unit costs), ``committed_to_year_end: from_commitments`` (a commitments register, or the
placements open at the as-at date, costed by day to 31 March) and ``new_demand: from_forecast`` (the
forecast's mean placement cost to 31 March less what is committed: new demand net of the placements
the forecast expects to end early, so it can be negative). Exact until the tables, which
round once to whole £000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd

from placecast.errors import UnusableInputError
from placecast.finance.actuals import commitments_from_history, history_cost
from placecast.finance.budget import FORECAST_TO_YEAR_END, Budget, BudgetInput, read_budget
from placecast.finance.calendar import fy_end, fy_start, to_pounds, to_thousands
from placecast.finance.commitments import Commitments
from placecast.finance.trail import CostingTrail, costing_trail
from placecast.finance.unit_costs import UnitCosts

TEXT_COLUMNS = ("line", "description", "category", "narration", "purpose", "forecast_basis", "step", "status", "rag")
PERCENT_COLUMNS = ("deficit_pct",)


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass
class Outturn:
    """The budget with its computed components, the as-at date, the amounts computed from the
    data and the outturn's risk range."""

    budget: Budget
    as_at: date
    sources: dict[str, Decimal]  # GBP, the computed components
    commitments_by_line: dict[str, Fraction] = field(default_factory=dict)
    # P10 and P90 of the forecast cost to 31 March less its mean (GBP): the outturn's risk range
    forecast_spread: tuple[Decimal, Decimal] | None = None
    trail: CostingTrail | None = None  # the unit costs, inflation and days behind the computed components

    def thousands(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Money columns in whole £000 (rounded once, here)."""
        frame = frame.copy()
        for col in frame.columns:
            if col in PERCENT_COLUMNS:  # a share of the line's own cash limit, to one decimal place
                frame[col] = [None if v is None else round(float(v), 1) for v in frame[col]]
            elif col not in TEXT_COLUMNS:
                frame[col] = [None if v is None else to_thousands(v * self.budget.scale) for v in frame[col]]
        return frame

    def headline(self) -> dict[str, int | float | None]:
        """Headline figures: money in whole £000, percentages to one decimal place."""
        return {key: (None if v is None else round(float(v), 1) if key.endswith("_pct")
                      else to_thousands(v * self.budget.scale)) for key, v in self.budget.headline().items()}

    def warnings(self) -> list[str]:
        """A position, now or at the previous report, more than :data:`IMPLAUSIBLE_SHARE` of the cash limit over
        or under it: almost always an amount in the wrong units (a budget change of 1,200,000 typed in pounds in
        a file of £000 made a surplus of 95% of the cash limit). Said, not refused: a council tracking one
        pressured line may be far over. Then the budget's gaps (:meth:`~placecast.finance.budget.Budget.gap_warnings`).
        """
        head = self.budget.headline()
        limit, previous = head["cash_limit"], head["previous_position"]
        shares = {"before reserves": (head["deficit_before_pct"], "every amount in the budget (budgets, changes, "
                                      "forecasts, reserves) is"),
                  "at the previous report": (None if previous is None or not limit else previous / limit * 100,
                                             "each line's previous (surplus)/deficit is")}
        out = []
        for when, (share, which) in shares.items():
            if share is not None and abs(share) > IMPLAUSIBLE_SHARE:
                out.append(f"The {'surplus' if share < 0 else 'deficit'} {when} is {abs(share):.0f}% of the cash "
                           f"limit, far beyond what portfolios forecast: check that {which} in the file's units; one "
                           "typed in pounds in a file of £000 is 1,000 times too large.")
        return out + self.budget.gap_warnings()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The outturn's tables in whole £000 under the file names ``placecast outturn`` writes."""
        b = self.budget
        tables = {"budget.csv": self.thousands(b.budget_table()),
                  "budget_changes.csv": self.thousands(b.changes_table()),
                  "outturn.csv": self.thousands(b.outturn_table()),
                  "reserves.csv": self.thousands(b.reserves_table()),
                  "headline.csv": pd.DataFrame([{"as_at": self.as_at.isoformat(), **self.headline()}])}
        if b.mitigations:
            tables["mitigations.csv"] = self.thousands(b.mitigation_table())
        if b.outside:
            tables["outside_cash_limit.csv"] = self.thousands(b.outturn_table(outside=True))
        tables["movement.csv"] = self.thousands(b.movement_table())
        if b.savings:
            tables["savings_status.csv"] = self.thousands(b.savings_table())
        if self.sources:
            tables["computed_components.csv"] = pd.DataFrame(
                [{"component": k, "gbp_thousands": to_thousands(v)} for k, v in self.sources.items()])
        if self.commitments_by_line:
            tables["commitments_cost.csv"] = pd.DataFrame(
                [{"cost_line": k, "cost_to_year_end_gbp": to_pounds(v)}  # pounds and pence, as its name says
                 for k, v in sorted(self.commitments_by_line.items())])
        return tables


IMPLAUSIBLE_SHARE = 50  # per cent of the cash limit over or under it


def forecast_cost_to_year_end(costed: pd.DataFrame, as_at: date) -> pd.Series:
    """Forecast placement cost (GBP) of each run for the months after ``as_at`` up to 31 March, from the
    runs costed by :func:`~placecast.finance.forecast_cost.cost_runs`.

    The forecast is by whole months, so ``as_at`` must be a month end, and the forecast must begin by the
    month after it: a forecast from 30/09 set against an outturn at 15/09 left out the days between (£1.3m of
    the demo's deficit), and one from 31/08 counted them twice (:class:`UnusableInputError` says so).
    """
    months = pd.to_datetime(costed["month_end"])
    day = pd.Timestamp(as_at)
    if day != day + pd.offsets.MonthEnd(0):
        raise UnusableInputError(f"The forecast is by whole months, so the position date must be a month end, not "
                                 f"{as_at:%d/%m/%Y}: give {(day + pd.offsets.MonthEnd(0)):%d/%m/%Y} or "
                                 f"{(day - pd.offsets.MonthEnd(1)):%d/%m/%Y}.")
    if len(months) and months.min() > day + pd.offsets.MonthEnd(1):
        start = months.min() - pd.offsets.MonthEnd(1)
        raise UnusableInputError(f"The forecast starts at {start:%d/%m/%Y}, after the position date "
                                 f"{as_at:%d/%m/%Y}: the months between would be in neither the actuals nor the "
                                 f"forecast. Forecast from {as_at:%d/%m/%Y} (--start), or give the position date "
                                 f"{start:%d/%m/%Y}.")
    window = costed[(months > pd.Timestamp(as_at)) & (months <= pd.Timestamp(fy_end(as_at)))]
    runs = pd.Series(0.0, index=pd.Index(sorted(costed["run"].unique()), name="run"))
    return runs.add(window.groupby("run")["cost_pence"].sum() / 100, fill_value=0.0)


def check_counts_every_child(uasc: str, where: str, fix: str, ages: Sequence[str] | None = None) -> None:
    """New demand is the forecast less what is committed, and the actuals and commitments count every child
    in care: a forecast made with ``uasc`` exclude or only would leave the UASC's whole cost out of the outturn,
    and one of some ``ages`` the other ages' (:class:`UnusableInputError` names ``where`` and says ``fix``)."""
    if uasc != "include":
        raise UnusableInputError(f"{where} must count every child in care: made with uasc {uasc}, its new demand "
                                 "would leave the UASC's cost out of the outturn, whose actuals and commitments "
                                 f"count them all; {fix}.")
    if ages:
        raise UnusableInputError(f"{where} must count every child in care: made of the children aged "
                                 f"{', '.join(ages)} only, its new demand would leave the other ages' cost out of "
                                 "the outturn, whose actuals and commitments count them all; forecast every age "
                                 "for the outturn.")


def check_data_cover_the_year(data_start: date, as_at: date) -> None:
    """The care data must begin by 1 April of the position date's financial year: before their first return,
    only the children still in care at its start are seen, so the actuals since 1 April (and the placements
    open at the position date) were a fraction of the year's (a £26m surplus, exit 0)."""
    if data_start > fy_start(as_at):
        raise UnusableInputError(f"The care data begin on {data_start:%d/%m/%Y}, after the start of the financial "
                                 f"year of the position date {as_at:%d/%m/%Y} ({fy_start(as_at):%d/%m/%Y}): the "
                                 "placements since 1 April cannot be counted. Give the returns from that year on, "
                                 "or a position date in a year they cover.")


def data_gap_warning(data_end: date, as_at: date) -> str | None:
    """What the outturn does with the days between the care data's end and the position date, when there are
    any: they have no actual placements, so they are costed as the placements open at the data's end."""
    if data_end >= as_at:
        return None
    return (f"The care data end on {data_end:%d/%m/%Y}, before the position date ({as_at:%d/%m/%Y}): the placement "
            f"days from {data_end + timedelta(days=1):%d/%m/%Y} to {as_at:%d/%m/%Y} are costed as if every placement "
            "open at the data's end carried on, with no child leaving or entering, and counted in the actuals to "
            "date. Give returns or an in-year extract to the position date for actual figures.")


def forecast_outturn(budget_file: Path | BudgetInput, as_at: date, unit_costs: UnitCosts, *,
                     commitments: Commitments | None = None, run_costs: pd.DataFrame | None = None,
                     history_episodes: pd.DataFrame | None = None) -> Outturn:
    """Read the budget with every computable component worked out from what is given.

    Commitments come from the register when given, otherwise from the history's open placements;
    new demand needs the forecast's runs costed by month (``cost_runs``); actuals need the history.
    ``budget_file`` is a path or a budget already read (:func:`~placecast.finance.budget.read_budget_input`).

    Parameters
    ----------
    budget_file : the budget (a path, or read with ``read_budget_input``).
    as_at : the date of the forecast (the quarter end).
    unit_costs : weekly unit costs.
    commitments : a commitments register (default: the history's open placements).
    run_costs : the forecast's runs costed by month (:func:`~placecast.finance.cost_runs`).
    history_episodes : the care history's episodes (actuals to date and commitments).

    Returns
    -------
    Outturn
        The budget with every computed component filled in, the amounts computed and the risk range.

    Examples
    --------
    >>> from datetime import date
    >>> from importlib import resources
    >>> from placecast.finance import default_unit_costs
    >>> path = resources.files("placecast.report").joinpath("defaults", "demo_budget.yaml")
    >>> forecast_outturn(path, date(2025, 9, 30), default_unit_costs())
    Traceback (most recent call last):
    ...
    placecast.finance.errors.FinanceInputError: 3 problem(s) in the finance input:
    ...
    """
    unit_costs.check_in_force(fy_start(as_at), "the days of the outturn's financial year")
    sources: dict[str, Decimal] = {}
    if commitments is None and history_episodes is not None:
        commitments = commitments_from_history(history_episodes, as_at, unit_costs)
    committed: Fraction | None = None
    spread: tuple[Decimal, Decimal] | None = None
    by_line: dict[str, Fraction] = {}
    if commitments is not None:
        committed = commitments.cost_to(as_at)
        by_line = commitments.cost_by_line(as_at)
        sources["from_commitments"] = _decimal(committed)
    if history_episodes is not None:
        spent = history_cost(history_episodes, fy_start(as_at), as_at, unit_costs)
        sources["from_history"] = _decimal(sum(spent.values(), Fraction(0)))
    if run_costs is not None:
        # negative when the forecast expects more children to leave (or step down) before 31 March than
        # to arrive: commitments assume every open placement runs to its planned end or 31 March
        per_run = forecast_cost_to_year_end(run_costs, as_at)
        mean = Decimal(str(per_run.mean()))
        sources["from_forecast"] = mean - (_decimal(committed) if committed else Decimal(0))
        sources[FORECAST_TO_YEAR_END] = mean  # for a line that types its own commitments
        spread = (Decimal(str(per_run.quantile(0.1))) - mean, Decimal(str(per_run.quantile(0.9))) - mean)
    budget = (budget_file.budget(sources) if isinstance(budget_file, BudgetInput)
              else read_budget(budget_file, sources))
    trail = costing_trail(as_at, unit_costs, history_episodes, commitments)
    return Outturn(budget, as_at, sources, by_line, spread if "from_forecast" in budget.sources_used else None,
                   trail)

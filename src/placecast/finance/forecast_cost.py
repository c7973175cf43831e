"""The cost of a forecast: placement-days x daily cost, per Monte Carlo run, then quantiles of cost.

Quantiles are taken across runs of the *cost* (not the cost of the median count), by month and by
financial year.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from placecast.finance.calendar import fy_label
from placecast.finance.unit_costs import UnitCosts


def cost_runs(run_days: pd.DataFrame, unit_costs: UnitCosts) -> pd.DataFrame:
    """Cost of every run, month and category (pence, integer-exact per day-count) from placement-days.

    Parameters
    ----------
    run_days : placement-days of every run, month and category (:meth:`Forecast.run_days`).
    unit_costs : weekly unit costs (a day costs a seventh of the week in force that day).

    Returns
    -------
    pandas.DataFrame
        ``run, month_end, financial_year, category, days, cost_pence``.

    Examples
    --------
    >>> import pandas as pd
    >>> from placecast.finance import default_unit_costs
    >>> days = pd.DataFrame({"run": [0], "month_end": ["2025-04-30"], "category": ["secure"], "days": [7.0]})
    >>> int(cost_runs(days, default_unit_costs())["cost_pence"].iloc[0])
    700000
    """
    months = pd.to_datetime(run_days["month_end"].unique())
    cats = run_days["category"].unique()
    _check_lines(list(cats), unit_costs)
    # daily cost in pence for each (month, category) pair, looked up once per pair
    month_keys = [m.date().isoformat() for m in months]
    rates = pd.DataFrame([{"month_end": k, "category": c, "_rate": _pence_a_day(unit_costs, c, m.date())}
                          for k, m in zip(month_keys, months, strict=True) for c in cats])
    years = {k: fy_label(date.fromisoformat(k)) for k in month_keys}
    out = run_days.merge(rates, on=["month_end", "category"], how="left", sort=False)
    out["cost_pence"] = out["days"].to_numpy() * out.pop("_rate").to_numpy()
    out["financial_year"] = out["month_end"].map(years)
    return out


def _pence_a_day(unit_costs: UnitCosts, line: str, month_end: date) -> float:
    """A day's cost of ``line`` in the month ending ``month_end``, in pence: a seventh of the week in force,
    averaged over the month's days when a new price takes effect within it (a forecast's placement-days
    are by month, so each day of the month is taken alike).

    >>> from decimal import Decimal
    >>> costs = UnitCosts({"secure": [(date(2025, 4, 1), Decimal(700)), (date(2025, 10, 16), Decimal(1400))]})
    >>> round(_pence_a_day(costs, "secure", date(2025, 10, 31)), 2)  # 15 days at £100 a day, 16 at £200
    15161.29
    """
    first = month_end.replace(day=1)
    changes = sorted({d for d, _ in unit_costs.rates.get(line, []) if first < d <= month_end})
    if not changes:
        return float(unit_costs.weekly(line, month_end) * 100 / 7)
    bounds = [first, *changes, month_end + timedelta(days=1)]
    total = sum(unit_costs.weekly(line, a) * (b - a).days for a, b in zip(bounds, bounds[1:], strict=False))
    return float(total * 100 / 7 / month_end.day)


def _check_lines(categories: list[str], unit_costs: UnitCosts) -> None:
    missing = [c for c in categories if c not in unit_costs.rates]
    if missing:
        import difflib

        from placecast.finance.errors import FinanceInputError, InputProblem

        spare = [line for line in unit_costs.rates if line not in categories]

        def hint(category: str) -> str:  # a misspelt line in the file is the likeliest cause
            near = difflib.get_close_matches(category, spare, n=1, cutoff=0.8)
            return f" (the file's '{near[0]}' is no category: is it this one misspelt?)" if near else ""

        def fix(category: str) -> str:
            if unit_costs.source == UnitCosts.source and not hint(category):  # the council's own category
                return ("give the council's unit costs with a weekly cost for it (--unit-costs, or unit_costs in "
                        "the report configuration, or the unit costs file on the web's money page; 'placecast defaults "
                        "unit-costs' gives a file to copy)")
            return f"add it to the unit costs file{hint(category)}"

        raise FinanceInputError([InputProblem(unit_costs.source, "costs", c, "", f"no unit cost for this category; "
                                              f"{fix(c)}.") for c in missing])


def _cost_array(days: np.ndarray, month_ends: list[date], categories: list[str], unit_costs: UnitCosts
                ) -> tuple[np.ndarray, np.ndarray]:
    """The cost in pence of a placement-days array (run x month x category) and each month's financial year."""
    _check_lines(list(categories), unit_costs)
    pence_a_day = np.array([[_pence_a_day(unit_costs, c, m) for c in categories] for m in month_ends])
    return days * pence_a_day[None, :, :], np.array([fy_label(m) for m in month_ends])


def cost_by_run_fy(days: np.ndarray, month_ends: list[date], categories: list[str], unit_costs: UnitCosts
                   ) -> pd.DataFrame:
    """The cost of every run by financial year (pounds): the sums of :func:`cost_runs` by run and year,
    straight from a forecast's placement-days array (run x month x category, the months ending on
    ``month_ends``) without its long table.

    Examples
    --------
    >>> import numpy as np
    >>> from placecast.finance import default_unit_costs
    >>> days = np.array([[[7.0], [14.0]]])  # one run, March and April 2026, secure
    >>> by_fy = cost_by_run_fy(days, [date(2026, 3, 31), date(2026, 4, 30)], ["secure"], default_unit_costs())
    >>> list(by_fy.columns), by_fy.loc[0].tolist()
    (['2025/26', '2026/27'], [7000.0, 14000.0])
    """
    cost, years = _cost_array(days, month_ends, categories, unit_costs)
    by_month = cost.sum(axis=2)  # run x month
    labels = sorted(set(years.tolist()))
    out = np.stack([by_month[:, years == label].sum(axis=1) for label in labels], axis=1)
    frame = pd.DataFrame(out / 100, columns=pd.Index(labels, name="financial_year"))
    frame.index.name = "run"
    return frame


def cost_summary_by_year(days: np.ndarray, month_ends: list[date], categories: list[str], unit_costs: UnitCosts
                         ) -> pd.DataFrame:
    """:func:`cost_summary` by financial year straight from a forecast's placement-days array (run x month x
    category, the months ending on ``month_ends``): the same table, without the long table of every run,
    month and category in between (for a region of many councils, where that table was most of the time).

    Examples
    --------
    >>> import numpy as np
    >>> from placecast.finance import default_unit_costs
    >>> days = np.array([[[7.0]], [[14.0]]])  # two runs, April 2025, secure
    >>> cost_summary_by_year(days, [date(2025, 4, 30)], ["secure"], default_unit_costs())["mean_gbp"].tolist()
    [10500.0, 10500.0]
    """
    labels, by_year = cost_array_by_year(days, month_ends, categories, unit_costs)
    return summary_of_cost_array(labels, categories, by_year)


def cost_array_by_year(days: np.ndarray, month_ends: list[date], categories: list[str], unit_costs: UnitCosts
                       ) -> tuple[list[str], np.ndarray]:
    """The financial years and the cost in pence of every run by year and category (run x year x category)
    of a placement-days array (run x month x category): the runs of councils priced each at its own unit
    costs can then be added run by run."""
    cost, years = _cost_array(days, month_ends, categories, unit_costs)
    labels = sorted(set(years.tolist()))
    return labels, np.stack([cost[:, years == label, :].sum(axis=1) for label in labels], axis=1)


def summary_of_cost_array(labels: list[str], categories: list[str], by_year: np.ndarray) -> pd.DataFrame:
    """:func:`cost_summary_by_year`'s table from the cost of every run by year and category (pence, run x year
    x category, as :func:`cost_array_by_year` gives it)."""
    by_year = np.concatenate([by_year, by_year.sum(axis=2, keepdims=True)], axis=2)
    names = [*categories, "total"]
    order = sorted(range(len(names)), key=lambda i: names[i])
    by_year = by_year[:, :, order]
    columns = {"financial_year": np.repeat(labels, len(order)), "category": np.tile([names[i] for i in order],
                                                                                     len(labels))}
    columns["mean_gbp"] = by_year.mean(axis=0).reshape(-1) / 100
    for name, q in (("p10_gbp", 0.1), ("p50_gbp", 0.5), ("p90_gbp", 0.9)):
        columns[name] = np.quantile(by_year, q, axis=0).reshape(-1) / 100
    return pd.DataFrame(columns)


def cost_summary(costed: pd.DataFrame, by: str = "financial_year") -> pd.DataFrame:
    """Mean and P10/P50/P90 of cost across runs, by ``by`` (financial_year or month_end) and category.

    Parameters
    ----------
    costed : the runs costed by :func:`cost_runs`.
    by : ``financial_year`` or ``month_end``.

    Returns
    -------
    pandas.DataFrame
        ``<by>, category, mean_gbp, p10_gbp, p50_gbp, p90_gbp`` with a ``total`` category (quantiles of
        the total across runs, not sums of quantiles).

    Examples
    --------
    >>> import pandas as pd
    >>> from placecast.finance import default_unit_costs
    >>> days = pd.DataFrame({"run": [0, 1], "month_end": ["2025-04-30"] * 2, "category": ["secure"] * 2,
    ...                      "days": [7.0, 14.0]})
    >>> cost_summary(cost_runs(days, default_unit_costs()))["mean_gbp"].tolist()
    [10500.0, 10500.0]
    """
    per_run = costed.groupby(["run", by, "category"], sort=True)["cost_pence"].sum().reset_index()
    total = per_run.groupby(["run", by])["cost_pence"].sum().reset_index().assign(category="total")
    per_run = pd.concat([per_run, total], ignore_index=True)
    g = per_run.groupby([by, "category"])["cost_pence"]
    out = pd.DataFrame({
        "mean_gbp": g.mean() / 100, "p10_gbp": g.quantile(0.1) / 100, "p50_gbp": g.quantile(0.5) / 100,
        "p90_gbp": g.quantile(0.9) / 100,
    }).reset_index()
    return out


def allowance(weekly: Decimal, placements: int, weeks: Decimal) -> Decimal:
    """An allowance for new placements: number x weekly cost x weeks (seed 001: 5 x 5,000 x 25)."""
    return Decimal(placements) * Decimal(weekly) * Decimal(weeks)


def allowance_to_year_end(weekly: Decimal, placements: int, first: date) -> Fraction:
    """The same, costed by day count from ``first`` to 31 March."""
    from placecast.finance.calendar import cost_between, fy_end

    return placements * cost_between(weekly, first, fy_end(first))

"""Budget lines, in-year changes, reserves and the forecast outturn against the cash limit.

Forecast outturn per line = actuals to date + committed cost to year end + forecast cost of new
demand - planned savings not yet in the figures (or the finance system's forecast net expenditure);
net after adjustments and reserves = forecast - the council's named adjustments (grants, allocations,
one-off funding) - appropriations from reserves;
(surplus)/deficit = net after reserves - cash limit. All sums are exact Decimals; tables round once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from placecast.finance.errors import FinanceInputError, InputProblem
from placecast.finance.files import SAVING_STATUSES, BudgetFile, BudgetLineFile, SavingFile
from placecast.finance.periods import ReportingPeriod, financial_year_start, parse_period
from placecast.schema import empty_keys, load_file, located

ZERO = Decimal(0)


@dataclass
class BudgetLine:
    """One service line: budget, changes, forecast net expenditure, named adjustments, reserves, last period's
    deficit."""

    name: str
    budget_previous: Decimal
    changes: list[tuple[str, Decimal]]
    forecast_net_expenditure: Decimal
    adjustments: dict[str, Decimal]
    reserves: Decimal
    previous_deficit: Decimal | None
    forecast_given: bool = True  # False: the line gives a budget only, and is shown at budget
    previous_year_outturn: Decimal | None = None
    to_reserves: Decimal = ZERO  # contributions to reserves: they add to the net position
    gross: Decimal | None = None  # forecast gross expenditure and income, for lines reported gross
    income: Decimal | None = None
    budget_gross: Decimal | None = None  # the budget's gross expenditure and income, for budgets reported gross
    budget_income: Decimal | None = None
    previous_year_variance: Decimal | None = None

    @property
    def cash_limit(self) -> Decimal:
        """The budget after this period's changes."""
        return self.budget_previous + sum((a for _, a in self.changes), ZERO)

    @property
    def adjusted(self) -> Decimal:
        """The sum of the line's named adjustments."""
        return sum(self.adjustments.values(), ZERO)

    @property
    def net_after(self) -> Decimal:
        """Forecast net expenditure less the named adjustments and reserves."""
        return self.forecast_net_expenditure - self.adjusted - self.reserves + self.to_reserves

    @property
    def deficit(self) -> Decimal:
        """(Surplus)/deficit: net after reserves less the cash limit."""
        return self.net_after - self.cash_limit

    @property
    def deficit_before_reserves(self) -> Decimal:
        """(Surplus)/deficit before reserves: forecast less the named adjustments less the cash limit."""
        return self.forecast_net_expenditure - self.adjusted - self.cash_limit

    def position(self, basis: str) -> Decimal:
        """The line's (surplus)/deficit on a movement basis (a line has no mitigations of its own)."""
        return self.deficit_before_reserves if basis == "before reserves" else self.deficit


def share_text(percent: Decimal | float | None, of: str = "the cash limit") -> str:
    """A percentage of a budget in words, or that there is none to measure against (a nil budget).

    >>> share_text(Decimal("4.26")), share_text(None)
    ('4.3% of the cash limit', 'the cash limit is nil')
    """
    return f"{of} is nil" if percent is None else f"{float(percent):.1f}% of {of}"


def _budget_year(model: BudgetFile) -> str:
    """The financial year a budget file is for (its year, or the year in its quarter label), or ''."""
    return model.year or next(iter(re.findall(r"\b(\d{4}/\d{2})\b", model.quarter or "")), "")


def percent_of(amount: Decimal, budget: Decimal) -> Decimal | None:
    """``amount`` as a percentage of a budget's size (an income line's budget is negative: an overspend on it
    is still a positive percentage), None for a zero budget."""
    return None if budget == 0 else amount / abs(budget) * 100


@dataclass
class Reserve:
    """An earmarked reserve: its approved-use balance and the approved use this year."""

    category: str
    narration: str
    purpose: str
    approved_use_balance: Decimal
    approved_use: Decimal
    contribution: Decimal = ZERO
    transfers_in: list[tuple[str, Decimal]] = field(default_factory=list)  # (source, amount) from outside the budget

    @property
    def transferred(self) -> Decimal:
        """Paid in from outside this budget."""
        return sum((a for _, a in self.transfers_in), ZERO)

    @property
    def balance(self) -> Decimal:
        """The closing balance: the opening approved-use balance less this year's use plus contributions and
        transfers in."""
        return self.approved_use_balance - self.approved_use + self.contribution + self.transferred


@dataclass
class Budget:
    """A budget: service lines, reserves and the file's money unit (``scale`` pounds per unit)."""

    title: str
    quarter: str
    scale: Decimal  # 1000 when the file is in GBP thousands
    lines: list[BudgetLine]
    reserves: list[Reserve] = field(default_factory=list)
    sources_used: set[str] = field(default_factory=set)  # the computed components the lines take
    adjustment_labels: dict[str, str] = field(default_factory=dict)  # id -> the council's label
    outside: list[BudgetLine] = field(default_factory=list)  # ring-fenced: reported beside, not in, the position
    mitigations: list[tuple[str, Decimal, str]] = field(default_factory=list)  # (name, amount, status), undelivered
    period: ReportingPeriod | None = None
    year: str = ""
    movement_basis: str = "after reserves"
    previous_period: ReportingPeriod | None = None
    previous_total: Decimal | None = None  # the previous report's total, when the file states it
    previous_mitigations: Decimal | None = None
    savings: list[SavingFile] = field(default_factory=list)

    @property
    def period_label(self) -> str:
        """The report's period: "2020/21 Month 7 (October)", else the file's free label."""
        if self.period is None:
            return self.quarter
        return f"{self.year} {self.period.label}".strip()

    @property
    def previous_label(self) -> str:
        """The previous report in words: its period, else "last quarter" for quarterly files."""
        if self.previous_period is not None:
            return self.previous_period.label.lower()
        return "last quarter" if self.period is None or self.period.kind == "quarter" else "the previous report"

    def position(self) -> Decimal:
        """The total (surplus)/deficit on the file's movement basis."""
        if self.movement_basis == "before reserves":
            return self.deficit_before_reserves()
        after = self.total("deficit")
        return after - self.mitigation_total() if self.movement_basis == "after mitigations" else after

    def previous_position(self) -> Decimal | None:
        """The previous report's total on the movement basis: as stated, else the lines' (with the previous
        mitigations for a movement after mitigations); None when it is not known (the movement is then n/a)."""
        if self.previous_total is not None:
            return self.previous_total
        prev = [ln.previous_deficit for ln in self.lines]
        if not prev or None in prev:
            return None
        total = sum((p for p in prev if p is not None), ZERO)
        if self.movement_basis == "after mitigations":
            return None if self.previous_mitigations is None else total - self.previous_mitigations
        return total

    def why_no_movement(self) -> str:
        """Why the previous position is not known, in words (for a movement shown as n/a)."""
        gave = [ln.name for ln in self.lines if ln.previous_deficit is not None]
        if gave and len(gave) < len(self.lines):
            left = [ln.name for ln in self.lines if ln.previous_deficit is None]
            verb = "gives" if len(left) == 1 else "give"
            return (f"{len(left)} of {len(self.lines)} lines {verb} no previous_quarter_deficit ({', '.join(left)}): "
                    "give it for every line (0 for none), or the previous total as previous_deficit")
        if gave and self.movement_basis == "after mitigations":
            return "the movement is after mitigations, and the previous report's mitigations are not given " \
                   "(previous_mitigations)"
        return "the previous report's position is not given (the budget file's previous_deficit, or each line's " \
               "previous_quarter_deficit)"

    def gap_warnings(self) -> list[str]:
        """Figures the file leaves out that change the position or what is shown, each said: lines with a budget
        and no forecast (shown at budget, so with no variance), and a previous position some lines give and
        others do not (the movement since the previous report is then not shown). Both are allowed (a council's
        table may have a line it does not forecast), neither is silent."""
        out = []
        only = [ln.name for ln in self.lines if not ln.forecast_given]
        if only:
            verb, are = ("gives", "is") if len(only) == 1 else ("give", "are")
            out.append(f"{len(only)} of {len(self.lines)} budget lines {verb} a budget and no forecast, and {are} "
                       f"shown at budget, with no variance: {', '.join(only)}. Give each its forecast "
                       "(forecast_net_expenditure, or its components) if it has one.")
        gave = [ln for ln in self.lines if ln.previous_deficit is not None]
        if self.previous_position() is None and 0 < len(gave) < len(self.lines):
            out.append(f"The movement since the previous report is not shown: {self.why_no_movement()}.")
        return out

    def movement_table(self) -> pd.DataFrame:
        """The position now and at the previous report on the declared basis, and the movement (n/a when the
        previous position is not known)."""
        now, before = self.position(), self.previous_position()
        then = self.previous_label
        return pd.DataFrame([
            {"step": f"(Surplus)/deficit {self.movement_basis}, {self.period_label or 'this report'}", "amount": now},
            {"step": f"(Surplus)/deficit {self.movement_basis}, {then}", "amount": before},
            {"step": "Movement", "amount": None if before is None else now - before}])

    def savings_table(self) -> pd.DataFrame:
        """The year's savings by line and in total: proposed, and how much is delivered, on track, at risk and
        not deliverable, with the savings RAG by the rules file's rule."""
        from placecast.kpi.rag import savings_rag

        names = [ln.name for ln in self.lines if any(s.line == ln.name for s in self.savings)]
        names += sorted({s.line for s in self.savings} - set(names))
        rows = []
        for name in [*names, "Total"]:
            mine = [s for s in self.savings if name == "Total" or s.line == name]
            by = {st: sum((s.amount for s in mine if s.status == st), ZERO) for st in SAVING_STATUSES}
            proposed = sum(by.values(), ZERO)
            rows.append({"line": name or "(no line)", "proposed": proposed,
                         **{st.replace(" ", "_"): v for st, v in by.items()},
                         "achieved_or_anticipated": by["delivered"] + by["on track"],
                         "rag": savings_rag(proposed, by["delivered"] + by["on track"])})
        return pd.DataFrame(rows)

    def mitigation_total(self) -> Decimal:
        """The mitigations not yet delivered, in total."""
        return sum((amount for _, amount, _ in self.mitigations), ZERO)

    def mitigation_table(self) -> pd.DataFrame:
        """Position before mitigations, each mitigation, position after."""
        before = self.total("deficit")
        rows = [{"step": "(Surplus)/deficit after reserves, before mitigations", "status": "", "amount": before}]
        rows += [{"step": name, "status": status, "amount": -amount} for name, amount, status in self.mitigations]
        rows.append({"step": "(Surplus)/deficit after mitigations", "status": "",
                     "amount": before - self.mitigation_total()})
        return pd.DataFrame(rows)
    @property
    def adjustments_used(self) -> dict[str, str]:
        """The named adjustments some line uses (id -> label), in the file's order."""
        return {k: v for k, v in self.adjustment_labels.items() if any(ln.adjustments.get(k) for ln in self.lines)}

    def total(self, attr: str) -> Decimal:
        """The sum of attribute ``attr`` over the service lines."""
        return sum((getattr(line, attr) for line in self.lines), ZERO)

    def deficit_before_reserves(self) -> Decimal:
        """Forecast less the named adjustments less the cash limit, before any reserves."""
        return self.total("forecast_net_expenditure") - self.total("adjusted") - self.total("cash_limit")

    def percent(self, amount: Decimal) -> Decimal | None:
        """``amount`` as a percentage of the cash limit (None when the cash limit is zero)."""
        return percent_of(amount, self.total("cash_limit"))

    def budget_table(self) -> pd.DataFrame:
        """Budget last period, changes and cash limit per line, with a Cash Limit total row."""
        rows = [{"line": ln.name, "budget_previous_quarter": ln.budget_previous,
                 "changes": sum((a for _, a in ln.changes), ZERO), "cash_limit": ln.cash_limit,
                 "budget_gross": ln.budget_gross, "budget_income": ln.budget_income} for ln in self.lines]
        all_changes = sum((a for ln in self.lines for _, a in ln.changes), ZERO)
        gross, income = (_sum_known([getattr(ln, k) for ln in self.lines]) for k in ("budget_gross", "budget_income"))
        rows.append({"line": "Cash Limit", "budget_previous_quarter": self.total("budget_previous"),
                     "changes": all_changes, "cash_limit": self.total("cash_limit"), "budget_gross": gross,
                     "budget_income": income})
        return pd.DataFrame(rows)

    def changes_table(self) -> pd.DataFrame:
        """Every budget change with its line, and the total."""
        rows = [{"line": ln.name, "description": d, "movement": a} for ln in self.lines for d, a in ln.changes]
        total = sum((a for ln in self.lines for _, a in ln.changes), ZERO)
        rows.append({"line": "", "description": "Total Changes", "movement": total})
        return pd.DataFrame(rows)

    def outturn_table(self, outside: bool = False) -> pd.DataFrame:
        """The outturn per line and in total, with the movement on last period (None where it is not known);
        with ``outside``, the same for the lines outside the cash limit (reported beside the position)."""
        lines = self.outside if outside else self.lines
        rows = []
        for ln in lines:
            rows.append({"line": ln.name, "cash_limit": ln.cash_limit, "forecast_gross": ln.gross,
                         "forecast_income": None if ln.income is None else -ln.income,
                         "forecast_net_expenditure": ln.forecast_net_expenditure,
                         **{k: -ln.adjustments.get(k, ZERO) for k in self.adjustment_labels}, "reserves": -ln.reserves,
                         "net_after_adjustments_and_reserves": ln.net_after, "deficit": ln.deficit,
                         "deficit_pct": percent_of(ln.deficit, ln.cash_limit),
                         "previous_deficit": ln.previous_deficit,
                         "movement": None if ln.previous_deficit is None
                         else ln.position(self.movement_basis) - ln.previous_deficit,
                         "previous_year_outturn": ln.previous_year_outturn,
                         "previous_year_variance": ln.previous_year_variance,
                         "change_on_previous_year": None if ln.previous_year_outturn is None
                         else ln.forecast_net_expenditure - ln.previous_year_outturn,
                         "forecast_basis": "forecast" if ln.forecast_given else "budget only (no forecast given)"})
        prev_total = _sum_known([ln.previous_deficit for ln in lines])

        def total(attr: str) -> Decimal:
            return sum((getattr(ln, attr) for ln in lines), ZERO)

        deficit, limit = total("deficit"), total("cash_limit")
        now = sum((ln.position(self.movement_basis) for ln in lines), ZERO)
        last_year, last_variance = (_sum_known([getattr(ln, k) for ln in lines])
                                    for k in ("previous_year_outturn", "previous_year_variance"))
        gross_given = [ln for ln in lines if ln.gross is not None]
        rows.append({"line": "Total", "cash_limit": limit,
                     "forecast_gross": None, "forecast_income": None,  # lines may be reported net only
                     **({"forecast_gross": sum((ln.gross or ZERO for ln in gross_given), ZERO),
                         "forecast_income": -sum((ln.income or ZERO for ln in gross_given), ZERO)}
                        if len(gross_given) == len(lines) and lines else {}),
                     "forecast_net_expenditure": total("forecast_net_expenditure"),
                     **{k: -sum((ln.adjustments.get(k, ZERO) for ln in lines), ZERO)
                        for k in self.adjustment_labels}, "reserves": -total("reserves"),
                     "net_after_adjustments_and_reserves": total("net_after"), "deficit": deficit,
                     "deficit_pct": percent_of(deficit, limit),
                     "previous_deficit": prev_total, "movement": None if prev_total is None else now - prev_total,
                     "previous_year_outturn": last_year, "previous_year_variance": last_variance,
                     "change_on_previous_year": None if last_year is None else total("forecast_net_expenditure")
                     - last_year,
                     "forecast_basis": ""})
        return pd.DataFrame(rows)

    def reserves_table(self) -> pd.DataFrame:
        """Every reserve's balance, approved use and what remains, with a total row."""
        rows = [{"category": r.category, "narration": r.narration, "purpose": r.purpose,
                 "approved_use_balance": r.approved_use_balance, "approved_use": r.approved_use,
                 "contribution": r.contribution, "transfers_in": r.transferred, "balance": r.balance}
                for r in self.reserves]
        rows.append({"category": "Total", "narration": "", "purpose": "",
                     **{k: sum((getattr(r, k) for r in self.reserves), ZERO)
                        for k in ("approved_use_balance", "approved_use", "contribution", "balance")},
                     "transfers_in": sum((r.transferred for r in self.reserves), ZERO)})
        return pd.DataFrame(rows)

    def headline(self) -> dict[str, Decimal | None]:
        """Cash limit, forecast outturn, reserves used, and the deficit before and after reserves
        (also as % of the cash limit)."""
        before = self.deficit_before_reserves()
        after = self.total("deficit")
        out: dict[str, Decimal | None] = {
            "cash_limit": self.total("cash_limit"), "forecast_outturn": self.total("net_after"),
            "deficit_before_reserves": before, "reserves_used": self.total("reserves"),
            "deficit_after_reserves": after, "deficit_before_pct": self.percent(before),
            "deficit_after_pct": self.percent(after)}
        if self.mitigations:  # a step of its own, only when the council reports one
            out["mitigations"] = self.mitigation_total()
            out["deficit_after_mitigations"] = after - self.mitigation_total()
            out["deficit_after_mitigations_pct"] = self.percent(after - self.mitigation_total())
        before_now = self.previous_position()  # the movement on the declared basis (None: n/a)
        out["previous_position"] = before_now
        out["movement"] = None if before_now is None else self.position() - before_now
        return out


SOURCES = {"from_commitments": "--commitments", "from_forecast": "--forecast", "from_history": "--history"}
# The forecast's whole placement cost to 31 March (pounds), beside the sources: a line that types its own
# committed_to_year_end takes new_demand: from_forecast as this less its own commitments.
FORECAST_TO_YEAR_END = "forecast_to_year_end"
COMPONENTS = ("actuals_to_date", "committed_to_year_end", "new_demand", "savings_not_in_figures")
FORECAST_PARTS = ("actuals_to_date", "committed_to_year_end", "new_demand")
# A budget line this many times the figures computed for it from the data (or a fraction of them) has
# almost surely been entered in the wrong unit: pounds as £000 is a factor of 1,000.
SCALE_FACTOR = Decimal(100)
UNIT_SLIP = (Decimal(500), Decimal(2000))  # the factors between a line's budget and forecast read as a unit slip


@dataclass(frozen=True)
class BudgetInput:
    """A validated budget model with where it came from (for located messages)."""

    model: BudgetFile
    file: str = "budget"
    lines: dict = field(default_factory=dict)

    def budget(self, sources: dict[str, Decimal] | None = None) -> Budget:
        """The budget with its computed components filled in from ``sources`` (pounds)."""
        return budget_from_model(self.model, sources, self.file, self.lines)


def period_warning(model: BudgetFile, day: date) -> str | None:
    """A warning when the budget names a reporting period (period: quarter 2, or a quarter label like
    '2025/26 Q2') that ends on another day than the position date: its typed forecasts and previous-quarter
    figures are that period's, so they would be reported as this one's (and the movement against the wrong
    quarter). A warning, not an error: a budget computed wholly from the data may stand for the next quarter.

    >>> budget = BudgetFile.model_validate({"quarter": "2025/26 Q2", "units": "£000", "lines": [
    ...     {"name": "x", "budget_previous_quarter": 1, "forecast_net_expenditure": 1}]})
    >>> period_warning(budget, date(2025, 12, 31))[:60]
    'The budget is for Quarter 2 (to 30/09/2025), but the positio'
    """
    year = _budget_year(model)
    label = re.search(r"\bQ([1-4])\b", model.quarter or "", re.IGNORECASE)
    try:
        period = parse_period(model.period) if model.period else (parse_period(f"Q{label[1]}") if label else None)
    except ValueError:
        return None
    if period is None or not year or period.end(year) == day:
        return None
    return (f"The budget is for {period.label} (to {period.end(year):%d/%m/%Y}), but the position is at "
            f"{day:%d/%m/%Y}: its typed forecasts and previous-quarter figures are that period's, not this one's. "
            "Give the budget for this period.")


def check_budget_year(model: BudgetFile, day: date, source: str, fix: str = "give a date in {budget}") -> None:
    """The position date must fall in the budget's financial year (its ``year``, or a label like '2025/26 Q2'):
    otherwise one year's budget is set against another year's placements. :class:`UnusableInputError` says so,
    with ``fix`` (``{budget}`` and ``{position}`` name the two years) saying what to do where it is raised.

    >>> budget = BudgetFile.model_validate({"quarter": "2025/26 Q2", "units": "£000", "lines": [
    ...     {"name": "x", "budget_previous_quarter": 1, "forecast_net_expenditure": 1}]})
    >>> check_budget_year(budget, date(2026, 6, 30), "b.yaml: the budget")
    Traceback (most recent call last):
    ...
    placecast.errors.UnusableInputError: b.yaml: the budget is for 2025/26, but the position date 30/06/2026 ...
    """
    from placecast.errors import UnusableInputError
    from placecast.finance.calendar import fy_label

    label = _budget_year(model)
    if label and fy_label(day) != label:
        raise UnusableInputError(f"{source} is for {label}, but the position date {day:%d/%m/%Y} falls in "
                                 f"{fy_label(day)}; " + fix.format(budget=label, position=fy_label(day)) + ".")


def read_budget_input(path: Path) -> BudgetInput:
    """Read and check a budget file without computing anything yet: schema errors and the sense checks
    (cash limits, reserves) are raised here, with file, line and key.

    Parameters
    ----------
    path : the budget YAML (schema ``budget``).

    Returns
    -------
    BudgetInput
        The validated model; :func:`~placecast.finance.outturn.forecast_outturn` computes with it.

    Examples
    --------
    >>> from importlib import resources
    >>> budget = read_budget_input(resources.files("placecast.report").joinpath("defaults", "demo_budget.yaml"))
    >>> budget.model.units, len(budget.model.lines)
    ('thousands', 4)
    """
    model, lines = _load(path)
    found = _sense_checks(model, [_line(raw, dict.fromkeys(SOURCES, ZERO), model.scale) for raw in model.lines],
                          str(path), lines)
    if found:
        raise FinanceInputError(found)
    return BudgetInput(model, str(path), lines)


def read_budget(path: Path, sources: dict[str, Decimal] | None = None) -> Budget:
    """Read and check a budget file (schema :class:`~placecast.finance.files.BudgetFile`).

    Every problem is reported with its file, line and key, and nothing is computed from an invalid
    file. ``sources`` gives amounts in pounds for components written as ``from_history``,
    ``from_commitments`` or ``from_forecast``; they are converted to the file's units.

    Examples
    --------
    >>> from importlib import resources
    >>> from placecast.finance import read_budget
    >>> path = resources.files("placecast.report").joinpath("defaults", "demo_budget.yaml")
    >>> read_budget(path, {"from_history": Decimal(15_000_000), "from_commitments": Decimal(15_000_000),
    ...                    "from_forecast": Decimal(0)}).scale
    Decimal('1000')
    """
    model, lines = _load(path)
    return budget_from_model(model, sources, str(path), lines)


def read_budget_model(path: Path) -> BudgetFile:
    """The validated budget model of a YAML budget or a budget workbook (before any computation)."""
    return _load(path)[0]


def _load(path: Path) -> tuple[BudgetFile, dict]:
    """A budget from YAML or from the budget workbook (.xlsx): the same model either way."""
    if Path(path).suffix.lower() == ".xlsx":
        from placecast.finance.workbook import read_budget_workbook

        return read_budget_workbook(Path(path))
    return load_file(path, BudgetFile, FinanceInputError)


def budget_from_model(model: BudgetFile, sources: dict[str, Decimal] | None = None, file: str = "budget",
                      lines: dict | None = None) -> Budget:
    """The :class:`Budget` of a validated budget model, with computed components filled in from
    ``sources`` (pounds). Sense checks (cash limits, reserves) are located problems."""
    sources, lines = sources or {}, lines or {}
    problems: list[InputProblem] = []
    used = {value for raw in model.lines for part in COMPONENTS if isinstance(value := getattr(raw, part), str)}
    for i, raw in enumerate(model.lines):
        for part in COMPONENTS:
            value = getattr(raw, part)
            if isinstance(value, str) and value not in sources:
                problems.append(located(file, lines, ("lines", i, part), value,
                                        f"give {SOURCES[value]} so this can be computed."))
    out = [_line(raw, sources, model.scale) for raw in model.lines]
    problems += _sense_checks(model, out, file, lines) + _scale_checks(model, sources, file, lines)
    problems += _total_rows(model, out, file, lines) + _negative_forecasts(model, out, file, lines)
    inside = [ln for raw, ln in zip(model.lines, out, strict=True) if not raw.outside_cash_limit]
    outside = [ln for raw, ln in zip(model.lines, out, strict=True) if raw.outside_cash_limit]
    if problems:
        raise FinanceInputError(problems)
    reserves = [Reserve(r.category, r.narration, r.purpose, r.approved_use_balance, r.approved_use, r.contribution,
                        [(t.source, t.amount) for t in r.transfers_in]) for r in model.reserves]
    return Budget(model.title, model.quarter, model.scale, inside, reserves, used,
                  {a.id: a.label for a in model.adjustments}, outside,
                  [(m.name, m.amount, m.status) for m in model.mitigations],
                  parse_period(model.period) if model.period else None, model.year, model.movement_basis,
                  parse_period(model.previous_period) if model.previous_period else None, model.previous_deficit,
                  model.previous_mitigations, list(model.savings))


def _line(raw: BudgetLineFile, sources: dict[str, Decimal], scale: Decimal) -> BudgetLine:
    """A service line with its forecast: the stated one, or the sum of its components (computed ones
    from ``sources``, in pounds, converted to the file's units)."""
    parts = {p: (sources.get(v, ZERO) / scale if isinstance(v := getattr(raw, p), str) else v) for p in COMPONENTS}
    typed = raw.committed_to_year_end
    if raw.new_demand == "from_forecast" and typed is not None and not isinstance(typed, str) \
            and FORECAST_TO_YEAR_END in sources:  # net of the commitments this line counts, not of others
        parts["new_demand"] = sources[FORECAST_TO_YEAR_END] / scale - typed
    changes = [(c.description, c.amount) for c in raw.changes]
    moved = sum((a for _, a in changes), ZERO)
    previous = raw.budget_previous_quarter
    if "budget_previous_quarter" not in raw.model_fields_set:
        if raw.budget_gross is not None and raw.budget_income is not None:  # reported gross: the cash limit
            previous = raw.budget_gross - raw.budget_income - moved
        elif raw.cash_limit is not None:  # the cash limit alone: the budget before this quarter's changes
            previous = raw.cash_limit - moved
    fne = raw.forecast_net_expenditure
    if raw.forecast_variance is not None:
        fne = previous + moved + raw.forecast_variance
    if fne is None and raw.forecast_gross is not None and raw.forecast_income is not None:
        fne = raw.forecast_gross - raw.forecast_income
    given = fne is not None or any(parts[p] is not None for p in FORECAST_PARTS)
    if fne is None and given:
        fne = sum((parts[p] or ZERO for p in FORECAST_PARTS), ZERO) - parts["savings_not_in_figures"]
    if not given:  # a budget and nothing else: shown at budget, and said so
        fne = previous + moved
    assert fne is not None
    return BudgetLine(raw.name, previous, changes, fne, dict(raw.adjustments), raw.reserves,
                      raw.previous_quarter_deficit, given, raw.previous_year_outturn, raw.to_reserves,
                      raw.forecast_gross, raw.forecast_income, raw.budget_gross, raw.budget_income,
                      raw.previous_year_variance)


def _sum_known(values: list[Decimal | None]) -> Decimal | None:
    """The sum, or None when any value is not known (a missing value is never read as zero)."""
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), ZERO)


# what a budget line's key means when it is left out, for the message of a key written with no value
LEFT_OUT = {"forecast_net_expenditure": "a line with a budget and no forecast is shown at budget",
            "previous_quarter_deficit": "the movement since the previous report is then not shown",
            "cash_limit": "the cash limit is then the budget plus its changes"}


def _missing_parts(model: BudgetFile, file: str, lines: dict) -> list[InputProblem]:
    """A forecast given in part: every component must be given (a missing value is never read as zero)."""
    problems = []
    for i, raw in enumerate(model.lines):
        problems += empty_keys(file, lines, ("lines", i), raw, LEFT_OUT)
        if "budget_previous_quarter" not in raw.model_fields_set and raw.cash_limit is None and \
                raw.budget_gross is None and raw.budget_income is None:
            problems.append(located(file, lines, ("lines", i), raw.name, f"the line '{raw.name}' gives no budget, "
                                    "so its whole forecast would be a deficit: give budget_previous_quarter (0 if it "
                                    "has none), budget_gross with budget_income, or cash_limit."))
        if (raw.forecast_gross is None) != (raw.forecast_income is None):
            have, missing = (("forecast_gross", "forecast_income") if raw.forecast_income is None
                             else ("forecast_income", "forecast_gross"))
            problems.append(located(file, lines, ("lines", i, missing), "", f"the line '{raw.name}' gives {have} "
                                    f"but not {missing}; give both (0 where there is none), or the net forecast."))
        elif raw.forecast_gross is not None and raw.forecast_income is not None and \
                raw.forecast_net_expenditure is not None and \
                raw.forecast_gross - raw.forecast_income != raw.forecast_net_expenditure:
            problems.append(located(file, lines, ("lines", i, "forecast_net_expenditure"),
                                    raw.forecast_net_expenditure, f"gross {raw.forecast_gross} less income "
                                    f"{raw.forecast_income} is {raw.forecast_gross - raw.forecast_income}, not the "
                                    "net forecast given. Correct one of them."))
        if raw.forecast_net_expenditure is not None or raw.forecast_gross is not None:
            continue
        given = [p for p in FORECAST_PARTS if getattr(raw, p) is not None]
        for part in FORECAST_PARTS:
            if given and getattr(raw, part) is None:
                problems.append(located(file, lines, ("lines", i, part), "", f"the line '{raw.name}' gives "
                                        f"{', '.join(given)} but not {part}, so its forecast would be short. Give "
                                        f"{part} (0 if there is none), or the whole forecast as "
                                        "forecast_net_expenditure."))
    return problems


def _previous_checks(model: BudgetFile, file: str, lines: dict) -> list[InputProblem]:
    """A previous total stated beside the lines' previous figures must agree with them."""
    prev = [raw.previous_quarter_deficit for raw in model.lines if not raw.outside_cash_limit]
    if model.previous_deficit is None or None in prev:
        return []
    total = sum((p for p in prev if p is not None), ZERO)
    if model.movement_basis == "after mitigations":
        total -= model.previous_mitigations or ZERO
    if total == model.previous_deficit:
        return []
    return [located(file, lines, ("previous_deficit",), model.previous_deficit, f"the lines' previous "
                    f"(surplus)/deficit gives {total} {model.movement_basis}, not {model.previous_deficit}. Correct a "
                    "line or the stated previous total.")]


def _gross_budget(raw: BudgetLineFile, line: BudgetLine, i: int, file: str, lines: dict) -> list[InputProblem]:
    """A budget reported gross gives both gross and income, and they agree with a budget also given."""
    if (raw.budget_gross is None) != (raw.budget_income is None):
        have, missing = (("budget_gross", "budget_income") if raw.budget_income is None
                         else ("budget_income", "budget_gross"))
        return [located(file, lines, ("lines", i, missing), "", f"the line '{raw.name}' gives {have} but not "
                        f"{missing}; give both (0 where there is none), or the net budget only.")]
    if raw.budget_gross is not None and raw.budget_income is not None and \
            raw.budget_gross - raw.budget_income != line.cash_limit:
        return [located(file, lines, ("lines", i, "budget_gross"), raw.budget_gross, f"gross {raw.budget_gross} "
                        f"less income {raw.budget_income} is {raw.budget_gross - raw.budget_income}, not the cash "
                        f"limit {line.cash_limit} (budget plus changes). Correct one of them.")]
    return []


def _scale_checks(model: BudgetFile, sources: dict[str, Decimal], file: str, lines: dict) -> list[InputProblem]:
    """A line whose budget is a thousand times (or a thousandth of) what the data cost: the wrong unit."""
    problems = []
    for i, raw in enumerate(model.lines):
        computed = sum((sources.get(v, ZERO) for p in COMPONENTS if isinstance(v := getattr(raw, p), str)
                        and p != "savings_not_in_figures"), ZERO)
        budget = raw.budget_previous_quarter * model.scale
        if computed <= 0 or budget <= 0:
            continue
        ratio = budget / computed
        if ratio > SCALE_FACTOR or ratio < 1 / SCALE_FACTOR:
            unit = "£000" if model.scale == 1000 else "£"
            problems.append(located(file, lines, ("lines", i, "budget_previous_quarter"), raw.budget_previous_quarter,
                                    f"with units {unit}, this budget is £{budget:,.0f}, {ratio:,.1f} times the "
                                    f"£{computed:,.0f} the data cost for this line. Is the file in pounds marked "
                                    "£000, or the reverse? Check 'units:' and the amounts."))
    return problems + _unit_slips(model, file, lines)


def _unit_slips(model: BudgetFile, file: str, lines: dict) -> list[InputProblem]:
    """A line whose own budget and forecast differ by a factor near 1,000: one of them typed in pounds in a
    file of £000, or the reverse (a budget of 18,400,000 beside a forecast of 19,105 made a surplus of
    £18bn, 99.7% of the cash limit). A factor of 500 to 2,000 either way; real over- and underspends on a
    line with a budget are never near it."""
    problems = []
    for i, raw in enumerate(model.lines):
        budget, forecast = raw.budget_previous_quarter, raw.forecast_net_expenditure
        if not isinstance(forecast, Decimal) or budget <= 0 or forecast <= 0:
            continue
        ratio = budget / forecast
        if UNIT_SLIP[0] <= max(ratio, 1 / ratio) <= UNIT_SLIP[1]:
            big, small = ("budget", "forecast") if ratio > 1 else ("forecast", "budget")
            problems.append(located(file, lines, ("lines", i, "forecast_net_expenditure"), forecast,
                                    f"the line '{raw.name}' has a {big} about {max(ratio, 1 / ratio):,.0f} times its "
                                    f"{small} ({budget:,} and {forecast:,}): one of them looks written in pounds in "
                                    "a file of thousands, or the reverse. Write both in the file's units."))
    return problems


_TOTAL_NAME = re.compile(r"^(grand |sub ?|net )?totals?( |$)")


def _total_rows(model: BudgetFile, budget_lines: list[BudgetLine], file: str, lines: dict) -> list[InputProblem]:
    """A total or sub-total row copied in with the service lines is read as one more line: the outturn adds the
    lines itself, so it counted them twice (a £5.0m deficit for £2.5m, exit 0). A row named only 'Total' (or
    'Grand total', 'Sub-total') is an error; a row named 'Total ...' is when its cash limit is the sum of the
    lines above it since the last such row, or of every other line."""
    problems: list[InputProblem] = []
    since: list[Decimal] = []
    for i, (raw, line) in enumerate(zip(model.lines, budget_lines, strict=True)):
        name = " ".join(re.sub(r"[^0-9a-z]+", " ", raw.name.casefold()).split())
        if not _TOTAL_NAME.match(name):
            since.append(line.cash_limit)
            continue
        others = sum((ln.cash_limit for ln in budget_lines if ln is not line), ZERO)
        sums = len(since) > 1 and line.cash_limit in (sum(since, ZERO), others)
        if _TOTAL_NAME.fullmatch(name) or sums:
            problems.append(located(file, lines, ("lines", i, "name"), raw.name, "this looks like a total of the "
                                    f"service lines (cash limit {line.cash_limit}), read as one more line: the "
                                    "outturn adds the lines itself, so it would count them twice. Remove the row; "
                                    "to check that the lines add up, state the portfolio's cash limit instead."))
        since = []
    return problems


def _negative_forecasts(model: BudgetFile, budget_lines: list[BudgetLine], file: str, lines: dict
                        ) -> list[InputProblem]:
    """A spending line forecast below zero: a sign typed wrong, or a bracketed figure ('(9,500)') copied from
    a report that shows spending in brackets, read as income; the line's whole forecast and as much again
    became a surplus (-£16,500k for a £2,500k deficit, exit 0). A line with a spending budget may not be negative
    unless it is an income line (a grant line budgeted at nil, York's 'Covid 19 Funding', may)."""
    problems = []
    for i, (raw, line) in enumerate(zip(model.lines, budget_lines, strict=True)):
        spending = line.budget_previous > 0 and line.cash_limit > 0  # a funding line budgeted at 0 may be negative
        gross = raw.forecast_gross is not None  # net of gross and income, both given: more income is no typo
        if not raw.income and spending and not gross and line.forecast_given and line.forecast_net_expenditure < 0:
            key = "forecast_net_expenditure" if raw.forecast_net_expenditure is not None else "actuals_to_date"
            problems.append(located(file, lines, ("lines", i, key), line.forecast_net_expenditure,
                                    f"the line '{raw.name}' has a spending budget (cash limit {line.cash_limit}) "
                                    "but is forecast to spend less than nothing. Only an income line may: add "
                                    "'income: true' if it is one, else give the figure without its minus sign or "
                                    "brackets."))
    return problems


def _sense_checks(model: BudgetFile, budget_lines: list[BudgetLine], file: str, lines: dict) -> list[InputProblem]:
    """Duplicate names, unbalanced cash limits, negative budgets, reserves that do not agree with the lines."""
    problems = _missing_parts(model, file, lines)
    declared = {a.id for a in model.adjustments}
    for i, raw in enumerate(model.lines):
        for key in raw.adjustments:
            if key not in declared:
                problems.append(located(file, lines, ("lines", i, "adjustments", key), key, "this adjustment is not "
                                        "declared: add it to the file's 'adjustments:' list with its label "
                                        f"(declared: {', '.join(sorted(declared)) or 'none'})."))
    names: set[str] = set()
    for i, (raw, line) in enumerate(zip(model.lines, budget_lines, strict=True)):
        problems += _gross_budget(raw, line, i, file, lines)
        if not raw.income and (line.budget_previous < 0 or line.cash_limit < 0):
            problems.append(located(file, lines, ("lines", i, "budget_previous_quarter"), line.budget_previous,
                                    f"the line '{raw.name}' has a negative budget (cash limit {line.cash_limit}). "
                                    "Only an income line may: add 'income: true' if it is one, else correct the "
                                    "sign."))
        if raw.name in names:
            problems.append(located(file, lines, ("lines", i, "name"), raw.name, "this service line appears twice."))
        names.add(raw.name)
        if raw.cash_limit is not None and raw.cash_limit != line.cash_limit:
            problems.append(located(file, lines, ("lines", i, "cash_limit"), raw.cash_limit,
                                    f"unbalanced: previous budget {line.budget_previous} plus changes "
                                    f"{line.cash_limit - line.budget_previous} is {line.cash_limit}, not "
                                    f"{raw.cash_limit}. Correct the changes."))
    seen: set[tuple[str, str, str]] = set()
    for i, r in enumerate(model.reserves):
        ident = (r.category, r.narration, r.purpose)
        if ident in seen:
            problems.append(located(file, lines, ("reserves", i, "purpose"), r.purpose, "duplicate reserve (same "
                                    "category, narration and purpose); merge the two entries."))
        seen.add(ident)
        available = r.approved_use_balance + r.contribution + sum((t.amount for t in r.transfers_in), ZERO)
        if r.approved_use > available:
            problems.append(located(file, lines, ("reserves", i, "approved_use"), r.approved_use,
                                    f"approved use {r.approved_use} is more than the reserve holds: approved-use "
                                    f"balance {r.approved_use_balance} plus what is paid in this year "
                                    f"({available - r.approved_use_balance}) is {available}."))
    total = sum((ln.cash_limit for raw, ln in zip(model.lines, budget_lines, strict=True)
                 if not raw.outside_cash_limit), ZERO)
    if model.cash_limit is not None and model.cash_limit != total:
        problems.append(located(file, lines, ("cash_limit",), model.cash_limit,
                                f"the lines' cash limits add up to {total}, not {model.cash_limit} (a difference "
                                f"of {total - model.cash_limit}). Correct a line or the stated cash limit."))
    problems += _previous_checks(model, file, lines)
    known = {raw.name for raw in model.lines}
    budget_year = _budget_year(model)
    for i, saving in enumerate(model.savings):
        if saving.line and saving.line not in known:
            problems.append(located(file, lines, ("savings", i, "line"), saving.line, "names no budget line; use a "
                                    f"line's name exactly ({', '.join(sorted(known))})."))
        if saving.year and budget_year and financial_year_start(saving.year) > financial_year_start(budget_year):
            problems.append(located(file, lines, ("savings", i, "year"), saving.year, f"a saving for a later year "
                                    f"than the budget's ({budget_year}) would count in this year's savings; list it "
                                    "in that year's budget, or in the plan's savings programme."))
    drawn = sum((ln.reserves for ln in budget_lines), ZERO)
    if drawn > 0 and not model.reserves:
        problems.append(located(file, lines, ("lines",), drawn, f"the service lines draw {drawn} from reserves, but "
                                "no reserve is listed, so nothing shows the balance can bear it. List the reserves "
                                "with their approved-use balances."))
    if model.reserves:
        used = sum((r.approved_use for r in model.reserves), ZERO)
        if used != drawn:
            problems.append(located(file, lines, ("reserves",), used, f"the reserves list uses {used} but the "
                                    f"service lines draw {drawn}; they must agree."))
    paid_in = sum((ln.to_reserves for ln in budget_lines), ZERO)
    received = sum((r.contribution for r in model.reserves), ZERO)
    if paid_in != received:
        problems.append(located(file, lines, ("reserves",), received, f"the reserves list receives {received} in "
                                f"contributions but the service lines pay in {paid_in}; they must agree."))
    return problems

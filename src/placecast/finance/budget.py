"""Budget lines, in-year changes, reserves and the forecast outturn against the cash limit.

Forecast outturn per line = actuals to date + committed cost to year end + forecast cost of new
demand - planned savings not yet in the figures (or the finance system's forecast net expenditure);
net after scarring and reserves = forecast - covid scarring allocation - appropriations from reserves;
(surplus)/deficit = net after reserves - cash limit. All sums are exact Decimals; tables round once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from placecast.errors import load_yaml
from placecast.finance.errors import FinanceInputError, InputProblem

ZERO = Decimal(0)


@dataclass
class BudgetLine:
    name: str
    budget_previous: Decimal
    changes: list[tuple[str, Decimal]]
    forecast_net_expenditure: Decimal
    covid_scarring: Decimal
    reserves: Decimal
    previous_deficit: Decimal | None

    @property
    def cash_limit(self) -> Decimal:
        return self.budget_previous + sum((a for _, a in self.changes), ZERO)

    @property
    def net_after(self) -> Decimal:
        return self.forecast_net_expenditure - self.covid_scarring - self.reserves

    @property
    def deficit(self) -> Decimal:
        return self.net_after - self.cash_limit


@dataclass
class Reserve:
    category: str
    narration: str
    purpose: str
    approved_use_balance: Decimal
    approved_use: Decimal

    @property
    def balance(self) -> Decimal:
        return self.approved_use_balance - self.approved_use


@dataclass
class Budget:
    title: str
    quarter: str
    scale: Decimal  # 1000 when the file is in GBP thousands
    lines: list[BudgetLine]
    reserves: list[Reserve] = field(default_factory=list)
    sources_used: set[str] = field(default_factory=set)  # the computed components the lines take

    def total(self, attr: str) -> Decimal:
        return sum((getattr(line, attr) for line in self.lines), ZERO)

    def deficit_before_reserves(self) -> Decimal:
        return self.total("forecast_net_expenditure") - self.total("covid_scarring") - self.total("cash_limit")

    def percent(self, amount: Decimal) -> Decimal | None:
        """``amount`` as a percentage of the cash limit (None when the cash limit is zero)."""
        limit = self.total("cash_limit")
        return None if limit == 0 else amount / limit * 100

    def budget_table(self) -> pd.DataFrame:
        rows = [{"line": ln.name, "budget_previous_quarter": ln.budget_previous,
                 "changes": sum((a for _, a in ln.changes), ZERO), "cash_limit": ln.cash_limit} for ln in self.lines]
        all_changes = sum((a for ln in self.lines for _, a in ln.changes), ZERO)
        rows.append({"line": "Cash Limit", "budget_previous_quarter": self.total("budget_previous"),
                     "changes": all_changes, "cash_limit": self.total("cash_limit")})
        return pd.DataFrame(rows)

    def changes_table(self) -> pd.DataFrame:
        rows = [{"line": ln.name, "description": d, "movement": a} for ln in self.lines for d, a in ln.changes]
        total = sum((a for ln in self.lines for _, a in ln.changes), ZERO)
        rows.append({"line": "", "description": "Total Changes", "movement": total})
        return pd.DataFrame(rows)

    def outturn_table(self) -> pd.DataFrame:
        rows = []
        for ln in self.lines:
            rows.append({"line": ln.name, "cash_limit": ln.cash_limit, "forecast_net_expenditure":
                         ln.forecast_net_expenditure, "covid_scarring": -ln.covid_scarring, "reserves": -ln.reserves,
                         "net_after_scarring_and_reserves": ln.net_after, "deficit": ln.deficit,
                         "previous_deficit": ln.previous_deficit,
                         "movement": None if ln.previous_deficit is None else ln.deficit - ln.previous_deficit})
        prev = [ln.previous_deficit for ln in self.lines]
        known = [p for p in prev if p is not None]
        prev_total = sum(known, ZERO) if len(known) == len(prev) else None
        deficit = self.total("deficit")
        rows.append({"line": "Total", "cash_limit": self.total("cash_limit"),
                     "forecast_net_expenditure": self.total("forecast_net_expenditure"),
                     "covid_scarring": -self.total("covid_scarring"), "reserves": -self.total("reserves"),
                     "net_after_scarring_and_reserves": self.total("net_after"), "deficit": deficit,
                     "previous_deficit": prev_total, "movement": None if prev_total is None else deficit - prev_total})
        return pd.DataFrame(rows)

    def reserves_table(self) -> pd.DataFrame:
        rows = [{"category": r.category, "narration": r.narration, "purpose": r.purpose,
                 "approved_use_balance": r.approved_use_balance, "approved_use": r.approved_use, "balance": r.balance}
                for r in self.reserves]
        rows.append({"category": "Total", "narration": "", "purpose": "",
                     "approved_use_balance": sum((r.approved_use_balance for r in self.reserves), ZERO),
                     "approved_use": sum((r.approved_use for r in self.reserves), ZERO),
                     "balance": sum((r.balance for r in self.reserves), ZERO)})
        return pd.DataFrame(rows)

    def headline(self) -> dict[str, Decimal | None]:
        before = self.deficit_before_reserves()
        after = self.total("deficit")
        return {"cash_limit": self.total("cash_limit"), "forecast_outturn": self.total("net_after"),
                "deficit_before_reserves": before, "reserves_used": self.total("reserves"),
                "deficit_after_reserves": after, "deficit_before_pct": self.percent(before),
                "deficit_after_pct": self.percent(after)}


def _money(problems: list[InputProblem], file: str, key: str, value: object, allow_negative: bool = True
           ) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").replace("£", "").strip())
        if not amount.is_finite() or (not allow_negative and amount < 0):
            raise InvalidOperation
        return amount
    except (InvalidOperation, ValueError):
        what = "a non-negative number" if not allow_negative else "a number"
        problems.append(InputProblem(file, key, key.rsplit(".", 1)[-1], str(value), f"must be {what}."))
        return ZERO


SOURCES = {"from_commitments": "--commitments", "from_forecast": "--forecast", "from_history": "--history"}


def read_budget(path: Path, sources: dict[str, Decimal] | None = None) -> Budget:
    """Read and check a budget file; every problem is reported with its key, and nothing is computed
    from an invalid file. ``sources`` gives amounts in pounds for components written as
    ``from_commitments`` or ``from_forecast``; they are converted to the file's units."""
    sources = sources or {}
    file = str(path)
    data = load_yaml(path, lambda message: FinanceInputError([InputProblem(file, "-", "", "", message)]))
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        raise FinanceInputError([InputProblem(file, "lines", "", "", "the file needs a 'lines' list of service lines "
                                              "(see examples/seed001/budget.yaml).")])
    problems: list[InputProblem] = []
    units = str(data.get("units", "thousands")).lower()
    scale = Decimal(1000) if units in ("thousands", "£000", "000") else Decimal(1)
    lines = []
    names: set[str] = set()
    sources_used: set[str] = set()
    for i, raw in enumerate(data["lines"]):
        key = f"lines[{i}]"
        if not isinstance(raw, dict) or not raw.get("name"):
            problems.append(InputProblem(file, key, "name", str(raw), "each line needs a name."))
            continue
        name = str(raw["name"])
        if name in names:
            problems.append(InputProblem(file, key, "name", name, "this service line appears twice."))
        names.add(name)
        prev = _money(problems, file, f"{key}.budget_previous_quarter", raw.get("budget_previous_quarter", 0))
        changes = []
        for j, ch in enumerate(raw.get("changes") or []):
            if not isinstance(ch, dict) or "amount" not in ch:
                problems.append(InputProblem(file, f"{key}.changes[{j}]", "amount", str(ch),
                                             "each change needs a description and an amount."))
                continue
            changes.append((str(ch.get("description", "")), _money(problems, file, f"{key}.changes[{j}].amount",
                                                                   ch["amount"])))
        if "cash_limit" in raw:
            stated = _money(problems, file, f"{key}.cash_limit", raw["cash_limit"])
            expected = prev + sum((a for _, a in changes), ZERO)
            if stated != expected:
                problems.append(InputProblem(file, f"{key}.cash_limit", "cash_limit", str(raw["cash_limit"]),
                                             f"unbalanced: previous budget {prev} plus changes "
                                             f"{expected - prev} is {expected}, not {stated}. Correct the changes."))
        if "forecast_net_expenditure" in raw:
            fne = _money(problems, file, f"{key}.forecast_net_expenditure", raw["forecast_net_expenditure"])
        else:
            parts = {}
            for p in ("actuals_to_date", "committed_to_year_end", "new_demand", "savings_not_in_figures"):
                value = raw.get(p, 0)
                if isinstance(value, str) and value in SOURCES:
                    sources_used.add(value)
                    if value not in sources:
                        problems.append(InputProblem(file, f"{key}.{p}", p, value,
                                                     f"give {SOURCES[value]} so this can be computed."))
                        parts[p] = ZERO
                    else:
                        parts[p] = sources[value] / scale
                    continue
                parts[p] = _money(problems, file, f"{key}.{p}", value, allow_negative=False)
            fne = parts["actuals_to_date"] + parts["committed_to_year_end"] + parts["new_demand"] \
                - parts["savings_not_in_figures"]
        covid = _money(problems, file, f"{key}.covid_scarring", raw.get("covid_scarring", 0), allow_negative=False)
        res = _money(problems, file, f"{key}.reserves", raw.get("reserves", 0), allow_negative=False)
        prev_def = (_money(problems, file, f"{key}.previous_quarter_deficit", raw["previous_quarter_deficit"])
                    if "previous_quarter_deficit" in raw else None)
        lines.append(BudgetLine(name, prev, changes, fne, covid, res, prev_def))
    reserves = []
    seen: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(data.get("reserves") or []):
        key = f"reserves[{i}]"
        ident = (str(raw.get("category", "")), str(raw.get("narration", "")), str(raw.get("purpose", "")))
        if ident in seen:
            problems.append(InputProblem(file, key, "purpose", ident[2], "duplicate reserve (same category, narration "
                                         "and purpose); merge the two entries."))
        seen.add(ident)
        bal = _money(problems, file, f"{key}.approved_use_balance", raw.get("approved_use_balance", 0), False)
        use = _money(problems, file, f"{key}.approved_use", raw.get("approved_use", 0), False)
        if use > bal:
            problems.append(InputProblem(file, f"{key}.approved_use", "approved_use", str(raw.get("approved_use")),
                                         f"approved use {use} is more than the approved-use balance {bal}."))
        reserves.append(Reserve(*ident, bal, use))
    if reserves and lines:
        used = sum((r.approved_use for r in reserves), ZERO)
        drawn = sum((ln.reserves for ln in lines), ZERO)
        if used != drawn:
            problems.append(InputProblem(file, "reserves", "approved_use", str(used),
                                         f"the reserves list uses {used} but the service lines draw {drawn}; "
                                         "they must agree."))
    if problems:
        raise FinanceInputError(problems)
    return Budget(str(data.get("title", "")), str(data.get("quarter", "")), scale, lines, reserves, sources_used)

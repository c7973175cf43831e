"""Weekly unit costs per cost line, with effective dates and annual inflation (YAML or CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import yaml

from placecast.finance.calendar import fy_start
from placecast.finance.errors import FinanceInputError, InputProblem


@dataclass(frozen=True)
class UnitCosts:
    """``rates[cost_line]`` is a list of (effective date, weekly cost), sorted; inflation per year."""

    rates: dict[str, list[tuple[date, Decimal]]]
    inflation: Decimal = Decimal(0)

    def weekly(self, cost_line: str, on: date) -> Decimal:
        """The weekly cost in force on ``on``, inflated once for every 1 April since it took effect."""
        if cost_line not in self.rates:
            raise KeyError(cost_line)
        in_force = [(d, w) for d, w in self.rates[cost_line] if d <= on] or self.rates[cost_line][:1]
        since, weekly = in_force[-1]
        years = max(fy_start(on).year - fy_start(since).year, 0)
        return weekly * (1 + self.inflation) ** years

    @property
    def lines(self) -> list[str]:
        return list(self.rates)


def _decimal(text: object) -> Decimal:
    value = Decimal(str(text).replace(",", "").replace("£", "").strip())
    if not value.is_finite():
        raise InvalidOperation
    return value


def default_unit_costs() -> UnitCosts:
    text = resources.files("placecast.finance").joinpath("unit_costs.yaml").read_text(encoding="utf-8")
    return _from_yaml(yaml.safe_load(text), "unit_costs.yaml (default)")


def _from_yaml(data: dict, source: str) -> UnitCosts:
    problems: list[InputProblem] = []
    rates: dict[str, list[tuple[date, Decimal]]] = {}
    try:
        inflation = _decimal(data.get("inflation_per_year", 0))
    except (InvalidOperation, ValueError):
        problems.append(InputProblem(source, "inflation_per_year", "", str(data.get("inflation_per_year")),
                                     "must be a number such as 0.03 for 3% a year."))
        inflation = Decimal(0)
    for line, entries in (data.get("costs") or {}).items():
        for i, entry in enumerate(entries or []):
            key = f"costs.{line}[{i}]"
            try:
                weekly = _decimal(entry["weekly"])
                if weekly < 0:
                    raise ValueError
                start = entry["from"] if isinstance(entry["from"], date) else date.fromisoformat(str(entry["from"]))
            except (KeyError, InvalidOperation, ValueError, TypeError):
                problems.append(InputProblem(source, key, "weekly/from", str(entry),
                                             "each entry needs 'from: YYYY-MM-DD' and "
                                             "'weekly: <non-negative number>'."))
                continue
            rates.setdefault(str(line), []).append((start, weekly))
    if problems:
        raise FinanceInputError(problems)
    return UnitCosts({k: sorted(v) for k, v in rates.items()}, inflation)


def read_unit_costs(path: Path) -> UnitCosts:
    """Unit costs from YAML (like the default) or CSV (cost_line, weekly_cost, effective_from, inflation)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FinanceInputError([InputProblem(str(path), "-", "", "", f"cannot be read ({exc}).")]) from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FinanceInputError([InputProblem(str(path), "-", "", "", f"not valid YAML ({exc}).")]) from exc
        return _from_yaml(data or {}, str(path))
    problems: list[InputProblem] = []
    rates: dict[str, list[tuple[date, Decimal]]] = {}
    inflation = Decimal(0)
    reader = csv.DictReader(io.StringIO(text))
    for n, row in enumerate(reader, start=2):
        line = (row.get("cost_line") or "").strip()
        if not line:
            problems.append(InputProblem(str(path), f"line {n}", "cost_line", "", "give the cost line."))
            continue
        try:
            weekly = _decimal(row.get("weekly_cost", ""))
            if weekly < 0:
                raise ValueError
        except (InvalidOperation, ValueError):
            problems.append(InputProblem(str(path), f"line {n}", "weekly_cost", row.get("weekly_cost", ""),
                                         "must be a non-negative number of pounds a week."))
            continue
        try:
            start = date.fromisoformat((row.get("effective_from") or "2000-04-01").strip())
        except ValueError:
            problems.append(InputProblem(str(path), f"line {n}", "effective_from", row.get("effective_from", ""),
                                         "must be a date YYYY-MM-DD."))
            continue
        if (row.get("inflation") or "").strip():
            try:
                inflation = _decimal(row["inflation"])
            except InvalidOperation:
                problems.append(InputProblem(str(path), f"line {n}", "inflation", row["inflation"],
                                             "must be a number such as 0.03."))
        rates.setdefault(line, []).append((start, weekly))
    if problems:
        raise FinanceInputError(problems)
    if not rates:
        raise FinanceInputError([InputProblem(str(path), "line 1", "", "", "no cost lines found; expected columns "
                                              "cost_line, weekly_cost, effective_from.")])
    return UnitCosts({k: sorted(v) for k, v in rates.items()}, inflation)

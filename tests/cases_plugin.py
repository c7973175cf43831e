"""A pytest plugin: domain cases written as YAML, readable by a finance or social-care colleague.

Each file in ``tests/cases/`` has a ``kind`` and a list of ``cases``; each case has a ``name`` (a
sentence), an ``input`` and the expected ``output``. A case becomes one test; its failure names the
file, the case and each figure that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[1]


def _indicator(i: dict):
    """The indicator and its values as the definitions and values files would give them (so polarity words,
    schemes, tolerances and floors are read exactly as a council writes them)."""
    import csv
    import tempfile

    from placecast.kpi.definitions import IndicatorValues, read_definitions

    columns = ("polarity", "influence", "target", "scheme", "tolerance", "floor", "compare_with")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "definitions.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "name", "unit", *columns])
            writer.writerow(["X", "x", i.get("unit", "%"), *("" if i.get(c) is None else str(i[c]) for c in columns)])
        indicator = read_definitions(path)["X"]
    values = IndicatorValues("X", previous_year_end=i.get("previous_year_end"), current=i.get("current"),
                             forecast=i.get("forecast"), same_period_last_year=i.get("same_period_last_year"))
    return indicator, values


def _rag(case: dict) -> dict:
    from placecast.kpi.rag import rate

    return {"rag": rate(*_indicator(case["input"]))[0]}


def _direction(case: dict) -> dict:
    from placecast.kpi.rag import direction

    return {"direction": direction(*_indicator(case["input"]))[0]}


def _outturn(case: dict) -> dict:
    """The headline of a budget (a file under the repository, or one written inline with the amounts computed
    from the data under ``sources``, in pounds), in whole £000."""
    from placecast.finance.budget import budget_from_model, read_budget
    from placecast.finance.calendar import to_thousands
    from placecast.finance.files import BudgetFile

    i = dict(case["input"])
    sources = {k: Decimal(str(v)) for k, v in i.pop("sources", {}).items()}  # computed from the data, in pounds
    budget = read_budget(ROOT / i["file"]) if "file" in i else budget_from_model(BudgetFile.model_validate(i),
                                                                                 sources)
    head = budget.headline()
    out: dict[str, Any] = {k: to_thousands(v * budget.scale) for k, v in head.items()
                           if v is not None and not k.endswith("_pct")}
    out.update({k: float(round(v, 1)) for k, v in head.items() if v is not None and k.endswith("_pct")})
    table = budget.outturn_table().set_index("line")
    out["deficit_by_line"] = {line: to_thousands(table.loc[line, "deficit"] * budget.scale) for line in table.index}
    return out


def _placement_cost(case: dict) -> dict:
    """Placements at a weekly cost from a date to another, costed by day (cost / 7 a day), in pounds."""
    from placecast.finance import cost_between, default_unit_costs

    i = case["input"]
    first, last = date.fromisoformat(str(i["from"])), date.fromisoformat(str(i["to"]))
    weekly = Decimal(str(i["weekly_cost"])) if "weekly_cost" in i else \
        default_unit_costs().weekly(i["cost_line"], first)
    cost = Fraction(i.get("placements", 1) * cost_between(weekly, first, last))
    return {"cost_gbp": float(round(Decimal(cost.numerator) / Decimal(cost.denominator), 2)),
            "weekly_gbp": float(weekly)}


def _weekly_difference(case: dict) -> dict:
    """The weekly difference between two cost lines' default unit costs, and over a year of weeks."""
    from placecast.finance import default_unit_costs

    i = case["input"]
    on = date.fromisoformat(str(i["as_at"]))
    rates = default_unit_costs()
    weekly = rates.weekly(i["dearer"], on) - rates.weekly(i["cheaper"], on)
    return {"weekly_gbp": float(weekly), "yearly_gbp": float(weekly * i.get("weeks_a_year", 52))}


KINDS: dict[str, Callable[[dict], dict]] = {"rag": _rag, "direction": _direction, "outturn": _outturn,
                                            "placement_cost": _placement_cost,
                                            "weekly_difference": _weekly_difference}


def _differences(expected: Any, actual: Any, where: str = "", tolerance: float = 0) -> list[str]:
    if isinstance(expected, dict):
        return [d for k, v in expected.items() for d in _differences(v, (actual or {}).get(k), f"{where}.{k}"
                                                                    if where else str(k), tolerance)]
    if isinstance(expected, int | float) and isinstance(actual, int | float) and not isinstance(expected, bool):
        return [] if abs(expected - actual) <= tolerance else [f"{where}: expected {expected}, got {actual}"]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case: dict, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case, self.kind = case, kind

    def runtest(self) -> None:
        actual = KINDS[self.kind](self.case)
        diffs = _differences(self.case["output"], actual, tolerance=float(self.case.get("tolerance", 0)))
        if diffs:
            raise CaseFailed("\n".join(diffs))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.path.name}: case '{self.name}' failed:\n  " + str(excinfo.value).replace("\n", "\n  ")
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.path.name}: {self.name}"


class CaseFile(pytest.File):
    def collect(self):
        data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        kind = data["kind"]
        if kind not in KINDS:
            raise pytest.UsageError(f"{self.path}: unknown kind '{kind}'; use one of {', '.join(KINDS)}.")
        for case in data["cases"]:
            yield CaseItem.from_parent(self, name=case["name"], case=case, kind=kind)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> CaseFile | None:
    if file_path.suffix == ".yaml" and file_path.parent == CASES:
        return CaseFile.from_parent(parent, path=file_path)
    return None

"""Scenarios: interventions applied inside the demand model's simulation, against a frozen baseline.

A scenario file names the history, the start, horizon, runs and seed, the in-house capacity, and the
interventions. Baseline and scenarios are simulated with the same seed (common random numbers), so
cost avoidance per run is the paired difference and its interval is honest and narrow. A scenario is
reproducible from its file, the data's content hash and the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from placecast.errors import LocatedProblem
from placecast.finance import cost_runs, default_unit_costs
from placecast.finance.calendar import split_by_fy
from placecast.finance.unit_costs import UnitCosts
from placecast.model import DemandModel, Forecast
from placecast.model.panel import AGE_LABELS
from placecast.model.project import Adjustments
from placecast.programme.plan import PlanFileError, _TextDates

KINDS = {"edge_of_care", "reunification", "step_down", "new_home", "foster_recruitment", "intensive_support"}


class ScenarioFileError(PlanFileError):
    what = "the scenario file"


@dataclass
class Intervention:
    kind: str
    name: str
    start: date
    settings: dict
    delivery_cost_per_year: Fraction = Fraction(0)
    weekly_running_cost: Fraction = Fraction(0)


@dataclass
class Scenario:
    name: str
    history: Path | None
    start: date | None
    horizon_months: int
    runs: int
    seed: int
    capacity: dict[str, int]
    interventions: list[Intervention] = field(default_factory=list)
    source_text: str = ""

    @property
    def file_hash(self) -> str:
        return hashlib.sha256(self.source_text.encode()).hexdigest()[:12]


def read_scenario(path: Path) -> Scenario:
    file = str(path)
    problems: list[LocatedProblem] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_TextDates)  # noqa: S506 (a safe loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioFileError([LocatedProblem(file, "-", "", "", f"cannot be read as YAML ({exc}).")]) from exc
    if not isinstance(data, dict):
        raise ScenarioFileError([LocatedProblem(file, "-", "", "", "expected a mapping (name, interventions, ...).")])

    def number(item: dict, key: str, column: str, default: float | None = None, low: float = 0,
               high: float | None = None) -> float:
        if column not in item:
            if default is None:
                problems.append(LocatedProblem(file, key, column, "", "this value is required."))
                return 0.0
            return default
        try:
            value = float(item[column])
        except (TypeError, ValueError):
            problems.append(LocatedProblem(file, key, column, str(item[column]), "must be a number."))
            return 0.0
        if value < low or (high is not None and value > high):
            problems.append(LocatedProblem(file, key, column, str(item[column]),
                                           f"must be between {low:g} and {high:g}." if high is not None
                                           else f"must be at least {low:g}."))
        return value

    def day(item: dict, key: str, column: str, required: bool = True) -> date | None:
        if column not in item:
            if required:
                problems.append(LocatedProblem(file, key, column, "", "a date (YYYY-MM-DD) is required."))
            return None
        try:
            return date.fromisoformat(str(item[column]))
        except ValueError:
            problems.append(LocatedProblem(file, key, column, str(item[column]), "not a date; use YYYY-MM-DD."))
            return None

    interventions = []
    for i, raw in enumerate(data.get("interventions") or []):
        key = f"interventions[{i}]"
        kind = str(raw.get("type", ""))
        if kind not in KINDS:
            problems.append(LocatedProblem(file, key, "type", kind, f"use one of {', '.join(sorted(KINDS))}."))
            continue
        start = day(raw, key, "opening" if kind == "new_home" else "start") or date.min
        settings: dict = {}
        if kind == "edge_of_care":
            settings["reduce"] = number(raw, key, "reduce_entries_pct", high=100) / 100
            bands = raw.get("age_bands") or AGE_LABELS
            for b in bands:
                if str(b) not in AGE_LABELS:
                    problems.append(LocatedProblem(file, key, "age_bands", str(b), f"use {', '.join(AGE_LABELS)}."))
            settings["bands"] = [str(b) for b in bands]
        elif kind == "reunification":
            settings["increase"] = number(raw, key, "increase_return_home_pct", high=500) / 100
        elif kind == "intensive_support":  # cases a year, a share of which de-escalate and leave care
            settings["from"] = str(raw.get("from", "fostering_inhouse"))
            settings["to"] = "leave care"
            settings["hold"] = 1.0
            settings["per_month"] = number(raw, key, "cases_per_year") * number(raw, key, "de_escalation_rate",
                                                                                high=1) / 12
            settings["total"] = None
        elif kind in ("step_down", "foster_recruitment", "new_home"):
            defaults = {"step_down": (None, None), "foster_recruitment": ("fostering_external", "fostering_inhouse"),
                        "new_home": ("residential_external", "residential_inhouse")}[kind]
            settings["from"] = str(raw.get("from", defaults[0] or ""))
            settings["to"] = str(raw.get("to", defaults[1] or ""))
            settings["hold"] = number(raw, key, "hold", default=1.0, high=1)
            if kind == "step_down":
                settings["per_month"] = number(raw, key, "per_month")
                settings["total"] = None
            elif kind == "foster_recruitment":
                settings["per_month"] = number(raw, key, "carers_per_quarter") / 3
                settings["total"] = None
            else:
                beds = number(raw, key, "beds", low=1)
                occupancy = number(raw, key, "occupancy", default=0.8, high=1)
                settings["per_month"] = 1.0
                settings["total"] = beds * occupancy
                settings["beds"] = beds
        interventions.append(Intervention(kind, str(raw.get("name", kind)), start, settings,
                                          Fraction(str(raw.get("delivery_cost_per_year", 0))),
                                          Fraction(str(raw.get("weekly_running_cost", 0)))))
    history = data.get("history")
    scenario = Scenario(str(data.get("name", Path(path).stem)), Path(history) if history else None,
                        day(data, "start", "start", required=False),
                        int(number(data, "horizon_months", "horizon_months", default=36, low=1, high=120)),
                        int(number(data, "runs", "runs", default=1000, low=10)), int(data.get("seed", 0)),
                        {str(k): int(v) for k, v in (data.get("capacity") or {}).items()}, interventions, text)
    if problems:
        raise ScenarioFileError(problems)
    return scenario


def adjustments(scenario: Scenario, origin: pd.Timestamp, horizon: int, categories: list[str]) -> Adjustments:
    """The month-by-month changes a scenario makes inside the simulation."""
    adj = Adjustments.none(horizon)
    for iv in scenario.interventions:
        first = max(0, (iv.start.year - origin.year) * 12 + iv.start.month - origin.month - 1)
        if first >= horizon:
            continue
        s = iv.settings
        if iv.kind == "edge_of_care":
            cols = [AGE_LABELS.index(b) for b in s["bands"]]
            adj.entry_factor[first:, cols] *= 1 - s["reduce"]
        elif iv.kind == "reunification":
            adj.exit_factor[first:] *= 1 + s["increase"]
        else:
            per_month = np.zeros(horizon)
            per_month[first:] = s["per_month"]
            if s.get("total") is not None:  # a new home fills its beds, then stops
                months_to_fill = int(np.ceil(s["total"] / max(s["per_month"], 1e-9)))
                per_month[first + months_to_fill:] = 0
            to = -1 if s["to"] == "leave care" else (categories.index(s["to"]) if s["to"] in categories else None)
            if s["from"] in categories and to is not None:
                adj.moves.append((first, categories.index(s["from"]), to, per_month, s["hold"]))
    return adj


def delivery_cost_by_fy(scenario: Scenario, first: date, last: date) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for iv in scenario.interventions:
        weekly = iv.delivery_cost_per_year / 52 + iv.weekly_running_cost
        if weekly and iv.start <= last:
            for fy, cost in split_by_fy(weekly, max(iv.start, first), last).items():
                out[fy] = out.get(fy, Fraction(0)) + cost
    return out


@dataclass
class ScenarioResult:
    name: str
    forecast: Forecast
    cost_by_run_fy: pd.DataFrame  # run x financial year, pounds
    delivery_by_fy: dict[str, Fraction]


def run_scenarios(history, scenarios: list[Scenario], unit_costs: UnitCosts | None = None
                  ) -> tuple[ScenarioResult, list[ScenarioResult]]:
    """The baseline (no interventions) and each scenario, with the first scenario's settings."""
    unit_costs = unit_costs or default_unit_costs()
    lead = scenarios[0]
    model = DemandModel(n_runs=lead.runs, random_state=lead.seed).fit(history, lead.start)
    horizon = lead.horizon_months
    first_day = (model.origin_ + pd.Timedelta(days=1)).date()
    last_day = (model.origin_ + pd.offsets.MonthEnd(horizon)).date()

    def run(name: str, scen: Scenario | None) -> ScenarioResult:
        adj = adjustments(scen, model.origin_, horizon, model.categories_) if scen else None
        fc = model.project(horizon, adjust=adj)
        costed = cost_runs(fc.run_days(), unit_costs)
        by_fy = costed.groupby(["run", "financial_year"])["cost_pence"].sum().unstack(fill_value=0.0) / 100
        return ScenarioResult(name, fc, by_fy, delivery_cost_by_fy(scen, first_day, last_day) if scen else {})

    return run("baseline", None), [run(s.name, s) for s in scenarios]


def comparison_tables(baseline: ScenarioResult, results: list[ScenarioResult], capacity: dict[str, int]
                      ) -> dict[str, pd.DataFrame]:
    """Children by category at the horizon, cost and avoidance by financial year, beds against capacity."""
    children, money, beds = [], [], []
    for res in [baseline, *results]:
        table = res.forecast.table()
        last = table[table["date"] == table["date"].max()]
        for r in last.itertuples():
            children.append({"scenario": res.name, "category": r.category, "mean": round(r.mean, 1),
                             "p10": r.p10, "p90": r.p90})
        for fy in res.cost_by_run_fy.columns:
            cost = res.cost_by_run_fy[fy]
            avoided = baseline.cost_by_run_fy[fy] - cost  # paired by run: common random numbers
            delivery = float(res.delivery_by_fy.get(fy, 0))
            money.append({"scenario": res.name, "financial_year": fy, "placement_cost_mean": round(cost.mean()),
                          "placement_cost_p10": round(cost.quantile(0.1)),
                          "placement_cost_p90": round(cost.quantile(0.9)),
                          "avoided_mean": round(avoided.mean()), "avoided_p10": round(avoided.quantile(0.1)),
                          "avoided_p90": round(avoided.quantile(0.9)), "delivery_cost": round(delivery),
                          "net_saving_mean": round(avoided.mean() - delivery)})
        counts = res.forecast.counts
        cats = res.forecast.categories
        for cat, cap in capacity.items():
            if cat in cats:
                peak = counts[:, 1:, cats.index(cat)].max(axis=1)
                beds.append({"scenario": res.name, "category": cat, "in_house_capacity": cap,
                             "needed_p50": float(np.quantile(peak, 0.5)), "needed_p90": float(np.quantile(peak, 0.9)),
                             "shortfall_p90": max(0.0, float(np.quantile(peak, 0.9)) - cap)})
    return {"children.csv": pd.DataFrame(children), "cost_by_year.csv": pd.DataFrame(money),
            "beds.csv": pd.DataFrame(beds)}

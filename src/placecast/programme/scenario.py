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
from typing import Any

import numpy as np
import pandas as pd

from placecast.errors import UnusableInputError
from placecast.finance import default_unit_costs
from placecast.finance.calendar import split_by_fy
from placecast.finance.forecast_cost import cost_by_run_fy
from placecast.finance.unit_costs import UnitCosts
from placecast.model import DemandModel, Forecast
from placecast.model.panel import AGE_LABELS
from placecast.model.project import Adjustments
from placecast.programme.files import (
    EdgeOfCare,
    FosterRecruitment,
    IntensiveSupport,
    Intervention,
    NewHome,
    Reunification,
    ScenarioFile,
    StepDown,
)
from placecast.programme.plan import PlanFileError
from placecast.schema import folded, load_file, read_text


class ScenarioFileError(PlanFileError):
    """A scenario file has problems; ``problems`` lists every one, located."""

    what = "the scenario file"


@dataclass
class _Applied:
    """An intervention as the simulation applies it."""

    kind: str
    name: str
    start: date
    settings: dict
    delivery_cost_per_year: Fraction = Fraction(0)
    weekly_running_cost: Fraction = Fraction(0)


@dataclass
class Scenario:
    """A recovery scenario as run: start, horizon, runs, seed, capacity and interventions."""

    name: str
    history: Path | None
    start: date | None
    horizon_months: int
    runs: int
    seed: int
    capacity: dict[str, int]
    interventions: list[_Applied] = field(default_factory=list)
    source_text: str = ""

    @property
    def file_hash(self) -> str:
        """The first 12 hex digits of the SHA-256 of the scenario file's text."""
        return hashlib.sha256(self.source_text.encode()).hexdigest()[:12]


def read_scenario(path: Path) -> Scenario:
    """Read a scenario file (schema :class:`~placecast.programme.files.ScenarioFile`) with located errors.

    Examples
    --------
    >>> from importlib import resources
    >>> path = resources.files("placecast.programme").joinpath("default_scenario.yaml")
    >>> read_scenario(path).seed
    7
    """
    text = read_text(path)
    model, _ = load_file(path, ScenarioFile, ScenarioFileError)
    return scenario_from_model(model, text, Path(str(path)).stem)


def scenario_from_model(model: ScenarioFile, source_text: str = "", default_name: str = "scenario") -> Scenario:
    """The :class:`Scenario` of a validated scenario model (built in Python or read from a file)."""
    return Scenario(model.name or default_name, model.history, model.start, model.horizon_months, model.runs,
                    model.seed, dict(model.capacity), [_intervention(iv) for iv in model.interventions],
                    source_text or model.model_dump_json())


def _intervention(iv: Intervention) -> _Applied:
    """What an intervention changes inside the simulation, month by month."""
    settings: dict = {}
    start = iv.opening if isinstance(iv, NewHome) else iv.start
    if isinstance(iv, EdgeOfCare):
        settings = {"reduce": iv.reduce_entries_pct / 100, "bands": list(iv.age_bands or AGE_LABELS)}
    elif isinstance(iv, Reunification):
        settings = {"increase": iv.increase_return_home_pct / 100}
    elif isinstance(iv, IntensiveSupport):
        settings = {"from": iv.from_, "to": "leave care", "hold": 1.0, "total": None,
                    "per_month": iv.cases_per_year * iv.de_escalation_rate / 12}
    elif isinstance(iv, StepDown):
        settings = {"from": iv.from_, "to": iv.to, "hold": iv.hold, "per_month": iv.per_month, "total": None}
    elif isinstance(iv, FosterRecruitment):
        settings = {"from": iv.from_, "to": iv.to, "hold": iv.hold, "per_month": iv.carers_per_quarter / 3,
                    "total": None}
    elif isinstance(iv, NewHome):
        settings = {"from": iv.from_, "to": iv.to, "hold": iv.hold, "per_month": 1.0,
                    "total": iv.beds * iv.occupancy, "beds": iv.beds}
    return _Applied(iv.type, iv.name or iv.type, start, settings, Fraction(iv.delivery_cost_per_year),
                    Fraction(iv.weekly_running_cost))


def adjustments(scenario: Scenario, origin: pd.Timestamp, horizon: int, categories: list[str]) -> Adjustments:
    """The month-by-month changes a scenario makes inside the simulation."""
    unknown = [c for c in scenario.capacity if c not in categories]
    if unknown:  # checked before the runs: a capacity no category matches was a beds table without that line
        raise UnusableInputError(f"Scenario '{scenario.name}', capacity: unknown placement category "
                                 f"{', '.join(unknown)}; use one of {', '.join(categories)}.")
    adj = Adjustments.none(horizon)
    for iv in scenario.interventions:
        first = max(0, (iv.start.year - origin.year) * 12 + iv.start.month - origin.month - 1)
        if first >= horizon:  # it would change nothing, and the scenario would look like the baseline
            last = (origin + pd.offsets.MonthEnd(horizon)).date()
            raise UnusableInputError(f"Scenario '{scenario.name}', intervention '{iv.name}': starts on "
                                     f"{iv.start:%d/%m/%Y}, after the scenario's last month (to {last:%d/%m/%Y}), so "
                                     "it would change nothing. Bring its start forward or lengthen horizon_months.")
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
            unknown = [c for c in (s["from"], s["to"]) if c not in categories and c != "leave care"]
            if unknown:
                raise UnusableInputError(f"Scenario '{scenario.name}', intervention '{iv.name}': unknown placement "
                                         f"category {', '.join(unknown)}; use one of {', '.join(categories)}.")
            if s["from"] == s["to"]:
                raise UnusableInputError(f"Scenario '{scenario.name}', intervention '{iv.name}': from and to are "
                                         f"both {s['to']}, so nothing would move; give the category it moves to.")
            to = -1 if s["to"] == "leave care" else categories.index(s["to"])
            adj.moves.append((first, categories.index(s["from"]), to, per_month, s["hold"]))
    return adj


def already_running(scenario: Scenario, data_end: date) -> str | None:
    """In words, the interventions that began before the data's end (None when none did): the baseline is
    fitted on data that already hold what effect they have had, and the scenario applies each one's whole
    effect from the start on top, so a working intervention is partly counted twice."""
    early = [f"{iv.name} (from {iv.start:%d/%m/%Y})" for iv in scenario.interventions if iv.start <= data_end]
    if not early:
        return None
    return (f"In '{scenario.name}', {', '.join(early)} began before the data end ({data_end:%d/%m/%Y}). The "
            "baseline is fitted on data that already hold what effect they have had, and the scenario adds each "
            "one's whole effect to it from the data's end: if they are working, part of their effect is counted "
            "twice. Give such an intervention's further effect, beyond what the data show, rather than its whole.")


def delivery_cost_by_fy(scenario: Scenario, first: date, last: date) -> dict[str, Fraction]:
    """The interventions' delivery and running costs by financial year, day-counted, from ``first`` to ``last``."""
    out: dict[str, Fraction] = {}
    for iv in scenario.interventions:
        weekly = iv.delivery_cost_per_year / 52 + iv.weekly_running_cost
        if weekly and iv.start <= last:
            for fy, cost in split_by_fy(weekly, max(iv.start, first), last).items():
                out[fy] = out.get(fy, Fraction(0)) + cost
    return out


@dataclass
class ScenarioResult:
    """A forecast with or without the scenario's interventions, its cost per run and year, and delivery cost."""

    name: str
    forecast: Forecast
    cost_by_run_fy: pd.DataFrame  # run x financial year, pounds
    delivery_by_fy: dict[str, Fraction]


def _run_one(model: DemandModel, horizon: int, unit_costs: UnitCosts, days: tuple[date, date],
             item: tuple[str, Scenario | None], mode: str = "monte_carlo") -> ScenarioResult:
    """One scenario (None: the baseline) projected by the fitted model with the model's seed."""
    name, scen = item
    adj = adjustments(scen, model.origin_, horizon, model.categories_) if scen else None
    fc = model.project(horizon, adjust=adj, mode=mode)
    by_fy = cost_by_run_fy(fc.days_array, [m.date() for m in fc.month_ends[1:]], fc.categories, unit_costs)
    return ScenarioResult(name, fc, by_fy, delivery_cost_by_fy(scen, *days) if scen else {})


SHARED = ("start", "horizon_months", "runs", "seed", "capacity")  # one baseline: every scenario compared uses it


def _check_shared(scenarios: list[Scenario]) -> None:
    """Scenarios run side by side share the first one's baseline (start, horizon, runs, seed) and beds: a
    scenario that gives others would be run and recorded with settings it does not have."""
    lead = scenarios[0]
    differ = [f"'{s.name}' has {key} {getattr(s, key)!r}, '{lead.name}' {getattr(lead, key)!r}"
              for s in scenarios[1:] for key in SHARED if getattr(s, key) != getattr(lead, key)]
    if differ:
        raise UnusableInputError("Scenarios compared side by side share one baseline, so they must give the same "
                                 f"{', '.join(SHARED)}: {'; '.join(differ)}. Make them the same, or run them "
                                 "apart.")
    _check_names([s.name for s in scenarios])


def _check_names(names: list[str]) -> None:
    """Each scenario's rows are labelled by its name beside the baseline's: two scenarios of one name, or one
    named 'baseline', gave rows no reader could tell apart."""
    written = [folded(n) for n in names]
    same = sorted({n for n, f in zip(names, written, strict=True) if written.count(f) > 1 or f == "baseline"})
    if same:
        raise UnusableInputError(f"Scenario name {', '.join(repr(n) for n in same)}: each scenario's rows are "
                                 "labelled by its name beside the baseline's, so each needs a name of its own, and "
                                 "not 'baseline'. Change 'name:' in the scenario file.")


def run_scenarios(history, scenarios: list[Scenario], unit_costs: UnitCosts | None = None, client: Any = None
                  ) -> tuple[ScenarioResult, list[ScenarioResult]]:
    """The baseline (no interventions) and each scenario, with the first scenario's settings; with a Dask
    ``client``, the baseline and the scenarios run as tasks (the same figures: each uses the model's seed)."""
    from functools import partial

    from placecast.distributed import run_tasks

    unit_costs = unit_costs or default_unit_costs()
    lead = scenarios[0]
    _check_shared(scenarios)
    model = DemandModel(n_runs=lead.runs, random_state=lead.seed).fit(history, lead.start)
    horizon = lead.horizon_months
    days = ((model.origin_ + pd.Timedelta(days=1)).date(), (model.origin_ + pd.offsets.MonthEnd(horizon)).date())
    unit_costs.check_in_force(days[0], "the scenarios' days")
    items: list[tuple[str, Scenario | None]] = [("baseline", None), *((s.name, s) for s in scenarios)]
    done = run_tasks(client, partial(_run_one, model, horizon, unit_costs, days), items)
    return done[0], done[1:]


def expected_baseline(model: DemandModel, horizon: int, unit_costs: UnitCosts | None = None) -> ScenarioResult:
    """The baseline of :func:`preview_scenario` (the same for every scenario of a model and horizon: keep it)."""
    days = ((model.origin_ + pd.Timedelta(days=1)).date(), (model.origin_ + pd.offsets.MonthEnd(horizon)).date())
    return _run_one(model, horizon, unit_costs or default_unit_costs(), days, ("baseline", None), mode="expected")


def preview_scenario(model: DemandModel, scenario: Scenario, unit_costs: UnitCosts | None = None,
                     capacity: dict[str, int] | None = None, baseline: ScenarioResult | None = None
                     ) -> ScenarioComparison:
    """The scenario against the baseline from an already fitted model in the expected-value mode: the
    planner's instant preview (one expected path, so no interval; the full run gives the intervals).
    ``baseline``: :func:`expected_baseline` for the same model, horizon and unit costs, when already made."""
    unit_costs = unit_costs or default_unit_costs()
    horizon = scenario.horizon_months
    days = ((model.origin_ + pd.Timedelta(days=1)).date(), (model.origin_ + pd.offsets.MonthEnd(horizon)).date())
    baseline = baseline or expected_baseline(model, horizon, unit_costs)
    result = _run_one(model, horizon, unit_costs, days, (scenario.name, scenario), mode="expected")
    return comparison_tables(baseline, [result], capacity if capacity is not None else scenario.capacity)


@dataclass(frozen=True)
class ScenarioComparison:
    """Scenarios against the baseline: children by category at the horizon, placement cost and cost
    avoidance by financial year (pounds, with P10-P90), and peak beds needed against in-house capacity."""

    children: pd.DataFrame
    cost_by_year: pd.DataFrame
    beds: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables under the file names ``placecast scenario run`` writes."""
        return {"children.csv": self.children, "cost_by_year.csv": self.cost_by_year, "beds.csv": self.beds}


def _money_rows(res: ScenarioResult, baseline: ScenarioResult) -> list[dict]:
    rows = []
    for fy in res.cost_by_run_fy.columns:
        cost = res.cost_by_run_fy[fy].to_numpy(dtype=float)
        avoided = baseline.cost_by_run_fy[fy].to_numpy(dtype=float) - cost  # paired by run: common random numbers
        delivery = float(res.delivery_by_fy.get(fy, 0))
        (c10, c90), (a10, a90) = np.quantile(cost, [0.1, 0.9]), np.quantile(avoided, [0.1, 0.9])
        rows.append({"scenario": res.name, "financial_year": fy, "placement_cost_mean": round(cost.mean()),
                     "placement_cost_p10": round(c10), "placement_cost_p90": round(c90),
                     "avoided_mean": round(avoided.mean()), "avoided_p10": round(a10), "avoided_p90": round(a90),
                     "delivery_cost": round(delivery), "net_saving_mean": round(avoided.mean() - delivery)})
    return rows


def _bed_rows(res: ScenarioResult, capacity: dict[str, int]) -> list[dict]:
    fc = res.forecast
    rows = []
    unknown = [c for c in capacity if c not in fc.categories]
    if unknown:
        raise UnusableInputError(f"capacity: unknown placement category {', '.join(unknown)}; use one of "
                                 f"{', '.join(fc.categories)}.")
    for cat, cap in capacity.items():
        p50, p90 = fc.peak_beds(cat)
        rows.append({"scenario": res.name, "category": cat, "in_house_capacity": cap, "needed_p50": p50,
                     "needed_p90": p90, "shortfall_p90": max(0, p90 - cap)})
    return rows


def comparison_tables(baseline: ScenarioResult, results: list[ScenarioResult], capacity: dict[str, int]
                      ) -> ScenarioComparison:
    """Children by category at the horizon, cost and avoidance by financial year, beds against capacity."""
    children, money, beds = [], [], []
    for res in [baseline, *results]:
        t = res.forecast.horizon_table()  # (columns as lists: iterating a frame's rows is slow)
        for cat, mean, p10, p90 in zip(*(t[c].tolist() for c in ("category", "mean", "p10", "p90")), strict=True):
            children.append({"scenario": res.name, "category": cat, "mean": round(mean, 1), "p10": p10, "p90": p90})
        money += _money_rows(res, baseline)
        beds += _bed_rows(res, capacity)
    return ScenarioComparison(pd.DataFrame(children), pd.DataFrame(money), pd.DataFrame(beds))

"""The scenario planner's levers: a form's fields, checked by one schema, turned into the library's
:class:`~placecast.programme.files.ScenarioFile`. The instant preview is the library's expected-value
mode on the quarter's fitted model; the full run is :func:`~placecast.programme.scenario.run_scenarios`
in a background job."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from placecast.programme.files import AgeBand, ScenarioFile, scenario_name
from placecast.programme.scenario import Scenario, ScenarioComparison, scenario_from_model
from placecast.schema import StrictModel, percent_text

SEED = 7  # the planner's runs share one seed, so every scenario is paired with the same baseline runs
Pct = Annotated[float, BeforeValidator(percent_text), Field(ge=0, le=100)]  # 0.8 for 80% refused
Count = Annotated[float, Field(ge=0, le=100)]
Money = Annotated[float, Field(ge=0, le=100_000_000)]


class Levers(StrictModel):
    """What the planner's form sets (a lever at zero is off). Every field is checked here, so that an
    error is shown next to its field."""

    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(scenario_name)] = "Scenario"
    horizon_months: Annotated[int, Field(ge=6, le=60)] = 36
    start: date
    entries_reduced_pct: Pct = 0
    entries_age_bands: list[AgeBand] = Field(default_factory=list)
    edge_of_care_cost_per_year: Money = 0
    return_home_increase_pct: Annotated[float, BeforeValidator(percent_text), Field(ge=0, le=200)] = 0
    reunification_cost_per_year: Money = 0
    step_downs_per_month: Count = 0
    step_down_from: str = "residential_external"
    step_down_to: str = "fostering_inhouse"
    step_down_hold_pct: Pct = 80
    carers_per_quarter: Count = 0
    recruitment_cost_per_year: Money = 0
    new_home_beds: Annotated[int, Field(ge=0, le=50)] = 0
    new_home_opening: date | None = None
    new_home_occupancy_pct: Pct = 80
    new_home_weekly_cost: Money = 0
    capacity_residential_inhouse: Annotated[int, Field(ge=0, le=10_000)] = 0
    capacity_fostering_inhouse: Annotated[int, Field(ge=0, le=10_000)] = 0

    @field_validator("step_down_from", "step_down_to")
    @classmethod
    def _category(cls, value: str, info: ValidationInfo) -> str:
        """One of the council's placement categories (given as the validation's context, from the history's
        own taxonomy), when a form is read."""
        known = (info.context or {}).get("categories")
        if known is not None and value not in known:
            raise ValueError(f"'{value}' is not a placement category; use one of {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _moves_somewhere(self) -> Levers:
        if self.step_downs_per_month and self.step_down_from == self.step_down_to:
            raise ValueError("The step-downs move children from and to the same category; choose the category "
                             "they move to.")
        return self


def interventions(lv: Levers) -> list[dict]:
    """The levers switched on, as the scenario file's interventions."""
    out: list[dict] = []
    if lv.entries_reduced_pct:
        out.append({"type": "edge_of_care", "name": "Edge of care", "start": lv.start,
                    "reduce_entries_pct": lv.entries_reduced_pct, "age_bands": lv.entries_age_bands or None,
                    "delivery_cost_per_year": lv.edge_of_care_cost_per_year})
    if lv.return_home_increase_pct:
        out.append({"type": "reunification", "name": "Reunification", "start": lv.start,
                    "increase_return_home_pct": lv.return_home_increase_pct,
                    "delivery_cost_per_year": lv.reunification_cost_per_year})
    if lv.step_downs_per_month:
        out.append({"type": "step_down", "name": "Step-down", "start": lv.start, "from": lv.step_down_from,
                    "to": lv.step_down_to, "per_month": lv.step_downs_per_month, "hold": lv.step_down_hold_pct / 100})
    if lv.carers_per_quarter:
        out.append({"type": "foster_recruitment", "name": "Foster carer recruitment", "start": lv.start,
                    "carers_per_quarter": lv.carers_per_quarter,
                    "delivery_cost_per_year": lv.recruitment_cost_per_year})
    if lv.new_home_beds:
        out.append({"type": "new_home", "name": "New in-house home", "opening": lv.new_home_opening or lv.start,
                    "beds": lv.new_home_beds, "occupancy": lv.new_home_occupancy_pct / 100,
                    "weekly_running_cost": lv.new_home_weekly_cost})
    return out


def scenario_of(lv: Levers, runs: int) -> Scenario:
    """The library's scenario for these levers (start: the quarter's forecast origin)."""
    capacity = {k: v for k, v in (("residential_inhouse", lv.capacity_residential_inhouse),
                                  ("fostering_inhouse", lv.capacity_fostering_inhouse)) if v}
    model = ScenarioFile.model_validate({"name": lv.name, "horizon_months": lv.horizon_months, "runs": runs,
                                         "seed": SEED, "capacity": capacity, "interventions": interventions(lv)})
    return scenario_from_model(model)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """A message per form field, in words."""
    out: dict[str, str] = {}
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "form"
        out.setdefault(name, _words(err["msg"]))
    return out


WORDS = (("Input should be greater than or equal to", "Must be at least"),
         ("Input should be less than or equal to", "Must be at most"), ("Input should be greater than", "Must be over"),
         ("Input should be less than", "Must be under"), ("Input should be a valid", "Must be a"),
         ("Input should be", "Must be"), ("Value error, ", ""))


def _words(message: str) -> str:
    """Pydantic's message as the form says it ("Must be at least 10")."""
    for old, new in WORDS:
        if message.startswith(old):
            return new + message[len(old):]
    return message


def read_levers(form: dict[str, object], categories: list[str]) -> tuple[Levers | None, dict[str, str]]:
    """The levers from a submitted form (empty fields take their defaults), its step-downs between the
    council's ``categories``; or the errors by field."""
    data = {k: v for k, v in form.items() if k in Levers.model_fields and v not in ("", None)}
    bands = form.get("entries_age_bands")
    data["entries_age_bands"] = bands if isinstance(bands, list) else ([bands] if bands else [])
    try:
        return Levers.model_validate(data, context={"categories": categories}), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def comparison_records(cmp: ScenarioComparison, labels: dict[str, str]) -> dict[str, list[dict]]:
    """The comparison's tables as records (aggregate figures only), for a job's result and the page, with
    the scenario beside the baseline: children by category and money by financial year; placement types by
    their ``labels`` (:func:`~placecast.report.sections.common.category_labels` of the quarter)."""
    out = {name: _records(frame) for name, frame in (("children", cmp.children), ("cost_by_year", cmp.cost_by_year),
                                                     ("beds", cmp.beds))}
    out.update(side_by_side(out["children"], out["cost_by_year"], labels))
    out["beds"] = [{**r, "category": labels.get(str(r["category"]), r["category"])} for r in out["beds"]]
    return out


def _records(frame) -> list[dict]:
    """``frame.to_dict("records")`` (the same Python values), from its columns as lists: a preview makes
    several of these, and pandas' own way goes cell by cell."""
    columns = [str(c) for c in frame.columns]
    values = zip(*(frame[c].tolist() for c in frame.columns), strict=True)
    return [dict(zip(columns, row, strict=True)) for row in values]


def side_by_side(children_rows: list[dict], year_rows: list[dict], labels: dict[str, str]
                 ) -> dict[str, list[dict]]:
    """The scenario beside the baseline, from a comparison's records (children at the horizon by category,
    cost by financial year): children by category (by their ``labels``), and cost by year (pounds)."""
    kids: dict[str, dict[str, float]] = {}  # category -> scenario -> mean, categories in the table's order
    for r in children_rows:
        kids.setdefault(str(r["category"]), {})[str(r["scenario"])] = float(r["mean"])
    name = next(str(r["scenario"]) for r in children_rows if r["scenario"] != "baseline")
    children = [{"category": labels.get(cat, cat), "baseline": row["baseline"], "scenario": row[name],
                 "change": row[name] - row["baseline"]} for cat, row in kids.items()]
    base = {r["financial_year"]: float(r["placement_cost_mean"]) for r in year_rows if r["scenario"] == "baseline"}
    cost = [{"financial_year": r["financial_year"], "baseline": base[r["financial_year"]],
             "scenario": float(r["placement_cost_mean"]), "avoided": float(r["avoided_mean"]),
             "avoided_p10": float(r["avoided_p10"]), "avoided_p90": float(r["avoided_p90"]),
             "delivery_cost": float(r["delivery_cost"]), "net_saving": float(r["net_saving_mean"])}
            for r in year_rows if r["scenario"] != "baseline"]
    return {"children_compared": children, "cost_compared": cost}


def full_run(ctx) -> dict:
    """The background job: the saved scenario's Monte Carlo run against the baseline, on the quarter's history."""
    from sqlalchemy.orm import Session

    from placecast.errors import UnusableInputError
    from placecast.programme.scenario import comparison_tables, run_scenarios
    from placecast.report.sections.common import category_labels
    from placecast.store.workspace import SavedScenario
    from placecast.web.workspace import folder, load_report

    with Session(ctx.engine) as s:
        saved = s.get(SavedScenario, int(ctx.params["scenario_id"]))
        levers = Levers.model_validate(saved.levers) if saved else None
    f = folder(ctx.settings.data_dir, ctx.own.slug)
    report = load_report(f, f.settings().quarter)
    if levers is None or report is None or report.results is None:
        raise UnusableInputError("The quarter has not been computed yet (or the scenario was removed).")
    results = report.results
    scenario = scenario_of(levers, ctx.settings.runs)
    scenario.start = results.forecast.model.origin_.date()
    ctx.progress(f"Simulating the baseline and the scenario ({ctx.settings.runs} runs each)")
    baseline, done = run_scenarios(results.history, [scenario], results.inputs.unit_costs)
    return comparison_records(comparison_tables(baseline, done, scenario.capacity), category_labels(results))

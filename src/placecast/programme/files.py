"""Schemas of the programme files a user writes: the recovery scenario and the programme plan.

Unknown keys are errors with "did you mean"; interventions are told apart by ``type``, each with its
own keys; runs, seed and horizon obey the same rules as every other forecast setting
(:mod:`placecast.model.settings`). ``placecast schema scenario`` and ``placecast schema plan`` print
the JSON Schemas.

Examples
--------
>>> from placecast.programme.files import ScenarioFile
>>> s = ScenarioFile.model_validate({"interventions": [
...     {"type": "edge_of_care", "start": "2025-06-01", "reduce_entries_pct": 10, "age_bands": ["10-13"]}]})
>>> s.interventions[0].age_bands
['10-13']
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, field_validator, model_validator

from placecast.finance.files import FinancialYear, Money, MoneyUnit, NonNegativeMoney, SavingStatus
from placecast.model.settings import DEFAULT_SEED, HorizonMonths, Runs, Seed
from placecast.programme.levers import OUT_OF_CARE, check_intervention
from placecast.schema import StrictModel, folded, fraction_text, percent_text, spelled_as

AgeBand = Literal["0", "1-4", "5-9", "10-13", "14-15", "16", "17"]
Share = Annotated[float, BeforeValidator(lambda v: fraction_text(v, "a share")), Field(ge=0, le=1)]
Count = Annotated[float, Field(ge=0)]
Percent = Annotated[float, BeforeValidator(percent_text)]  # 10 or '10%' for 10%; 0.1 refused
InterventionName = Annotated[str, AfterValidator(check_intervention)]  # one whose lever Placecast knows


class _Intervention(StrictModel):
    name: str | None = None
    delivery_cost_per_year: NonNegativeMoney = Decimal(0)
    weekly_running_cost: NonNegativeMoney = Decimal(0)


class EdgeOfCare(_Intervention):
    """Fewer children enter care in the chosen age bands (all ages when none are given)."""

    type: Literal["edge_of_care"]
    start: date
    reduce_entries_pct: Annotated[Percent, Field(ge=0, le=100)]
    age_bands: list[AgeBand] | None = None


class Reunification(_Intervention):
    """More children return home: the chance of leaving care rises by a percentage."""

    type: Literal["reunification"]
    start: date
    increase_return_home_pct: Annotated[Percent, Field(ge=0, le=500)]


class StepDown(_Intervention):
    """Children move from one placement category to another each month; ``hold`` of them stay there."""

    type: Literal["step_down"]
    start: date
    from_: str = Field(alias="from")
    to: str
    per_month: Count
    hold: Share = 1.0


class NewHome(_Intervention):
    """A new in-house home opens and fills its beds from external residential care."""

    type: Literal["new_home"]
    opening: date
    beds: Annotated[float, Field(ge=1)]
    occupancy: Share = 0.8
    from_: str = Field("residential_external", alias="from")
    to: str = "residential_inhouse"
    hold: Share = 1.0


class FosterRecruitment(_Intervention):
    """New in-house carers each quarter take children from external fostering."""

    type: Literal["foster_recruitment"]
    start: date
    carers_per_quarter: Count
    from_: str = Field("fostering_external", alias="from")
    to: str = "fostering_inhouse"
    hold: Share = 1.0


class IntensiveSupport(_Intervention):
    """Cases a year, a share of which de-escalate and leave care."""

    type: Literal["intensive_support"]
    start: date
    cases_per_year: Count
    de_escalation_rate: Share
    from_: str = Field("fostering_inhouse", alias="from")


Intervention = Annotated[EdgeOfCare | Reunification | StepDown | NewHome | FosterRecruitment | IntensiveSupport,
                         Field(discriminator="type")]


def scenario_name(value: str | None) -> str | None:
    """A scenario's rows are labelled by its name beside the baseline's: 'baseline' would be two of them."""
    if value is not None and folded(value) == "baseline":
        raise ValueError("'baseline' labels the forecast without the scenario; give the scenario a name of its own")
    return value


class ScenarioFile(StrictModel):
    """A recovery scenario: interventions applied inside the demand model's simulation."""

    name: Annotated[str | None, AfterValidator(scenario_name)] = None
    description: str = ""
    history: Path | None = None
    start: date | None = Field(None, description="Forecast origin (default: the data's census date).")
    horizon_months: HorizonMonths = 36
    runs: Runs = 1000
    seed: Seed = DEFAULT_SEED
    capacity: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    interventions: list[Intervention] = Field(default_factory=list)


class OneOffCostFile(StrictModel):
    """A one-off or capital cost of an invest-to-save case (a building, its refurbishment, set-up)."""

    name: str = Field(min_length=1)
    amount: NonNegativeMoney
    on: date = Field(alias="date", description="When it is incurred: it falls in that month of the case.")
    capital: StrictBool = False


class InvestToSaveFile(StrictModel):
    """An invest-to-save case: children, weekly saving each, delivery cost, one-off and capital costs, months."""

    name: str | None = None
    children: Annotated[int, Field(ge=0)]
    weekly_saving: NonNegativeMoney
    saving_from: date
    annual_cost: NonNegativeMoney
    cost_from: date
    months: Annotated[int, Field(ge=1)]
    one_off_costs: list[OneOffCostFile] = Field(default_factory=list, description="One-off and capital costs: in "
                                                "the payback and the return per £1.")


class CaseBenefitFile(StrictModel):
    """A per-case benefit (for example a published cost-benefit saving per case)."""

    name: str | None = None
    cases: Annotated[Decimal, Field(ge=0)]
    saving_per_case: Money
    period_years: Annotated[int, Field(ge=1)]
    published_total: NonNegativeMoney | None = None


class RealisedEventFile(StrictModel):
    """A logged move: the child, the date, the intervention, where the child moved from and to, and the
    weekly cost before and after (from the unit costs of ``from`` and ``to`` when not given)."""

    child: str | None = None
    intervention: InterventionName = Field(description="The intervention the move belongs to, named as Placecast "
                                           "knows it (and as the plan's planned: names it, when it has one).")
    on: date = Field(alias="date")
    from_: str | None = Field(None, alias="from", description="The placement category the child left (as the "
                              "taxonomy names it, like residential_external): checked against the care history.")
    to: str | None = Field(None, description="The placement category the child moved to, or 'out of care': "
                           "checked against the care history.")
    weekly_before: NonNegativeMoney | None = None
    weekly_after: NonNegativeMoney | None = None
    planned_end: date | None = None
    expected_remaining_weeks: NonNegativeMoney | None = None

    def problems(self) -> list[tuple[str, object, str]]:
        """(key, value, message) for each way this event contradicts itself or cannot be costed."""
        out: list[tuple[str, object, str]] = []
        if self.weekly_before is None and self.from_ is None:
            out.append(("weekly_before", None, "give the weekly cost before the move, or from: (the placement "
                        "category left) to cost it from the unit costs."))
        if self.weekly_after is None and self.to is None:
            out.append(("weekly_after", None, "give the weekly cost after the move, or to: (the placement category, "
                        f"or '{OUT_OF_CARE}') to cost it from the unit costs."))
        if self.from_ is not None and self.from_ == self.to:
            out.append(("to", self.to, "the same placement category as from: a move is to another one."))
        if self.weekly_before is None or self.weekly_after is None:
            return out
        if self.weekly_after > self.weekly_before:
            out.append(("weekly_after", self.weekly_after, "costs more than before: this is not a saving."))
        if self.planned_end is not None and self.planned_end < self.on:
            out.append(("planned_end", self.planned_end, "the planned end is before the event; correct one of them."))
        return out


class SavingsLineFile(StrictModel):
    """A saving in a savings programme: amount, recurrent or not, its year and delivery status. A recurrent
    saving counts in its year and every later one by itself: never enter it again as "carried forward"."""

    name: str | None = None
    amount: Money
    recurrent: StrictBool
    year: FinancialYear = Field("", description="The financial year it is delivered in, like 2025/26.")
    status: SavingStatus = "on track"

    @field_validator("name")
    @classmethod
    def _not_carried(cls, value: str | None) -> str | None:
        words = (value or "").lower()
        if "carried forward" in words or "brought forward" in words:
            raise ValueError("recurrent savings carry into later years by themselves; remove this line (it "
                             "would count them twice)")
        return value


class SavingsFile(StrictModel):
    """A savings (MTFP) programme: requirement, phasing by year, lines and forecast delivery."""

    name: str | None = None
    units: MoneyUnit = Field(description="what the savings programme's amounts are in: 'units: £000' for thousands "
                             "(1100 for £1.1m) or 'units: £' for pounds, as the plan's planned and invest-to-save "
                             "amounts are.")
    cash_limit: NonNegativeMoney | None = Field(None, description="The cash limit the saving is made against "
                                                "(left out: no revised cash limit is shown).")
    full_year_saving: NonNegativeMoney = Field(description="The saving in a full year once every line is "
                                               "delivered (write 0 for none): the cash limit less it is the revised "
                                               "cash limit.")
    phasing: dict[FinancialYear, NonNegativeMoney] = Field(default_factory=dict, description="The cumulative "
                                                           "saving required by each year, like 2025/26.")
    phasing_per_year: dict[FinancialYear, Money] = Field(default_factory=dict, description="Or the saving "
                                                         "required in each year on its own; Placecast adds the "
                                                         "years up. A fall in the requirement (a one-off saving "
                                                         "that ends) is written as a negative amount.")
    lines: list[SavingsLineFile] = Field(default_factory=list)
    forecast_delivery: dict[FinancialYear, Money] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_phasing(self) -> SavingsFile:
        if self.phasing and self.phasing_per_year:
            raise ValueError("give the phasing one way: phasing (cumulative) or phasing_per_year (each year's own)")
        if not self.phasing and not self.phasing_per_year:
            raise ValueError("give the saving required by year: phasing (cumulative, like {2025/26: 900, 2026/27: "
                             "1500}) or phasing_per_year (each year's own)")
        years = sorted(self.phasing.items())
        if falls := [(a, b) for a, b in zip(years, years[1:], strict=False) if b[1] < a[1]]:
            (y0, v0), (y1, v1) = falls[0]
            raise ValueError(f"phasing is cumulative (each year's requirement with the years before it), but {y1}'s "
                             f"{v1} is less than {y0}'s {v0}: write each year's own saving as phasing_per_year "
                             "(where the requirement does fall, as when a one-off saving ends, write the fall there "
                             "as a negative amount)")
        if below := [(y, v) for y, v in self.cumulative_phasing().items() if v < 0]:
            raise ValueError(f"phasing_per_year adds up to {below[0][1]} by {below[0][0]}: the saving required by a "
                             "year cannot be less than nothing; check the negative amounts")
        return self

    def cumulative_phasing(self) -> dict[str, Decimal]:
        """The cumulative requirement by year, in year order."""
        if self.phasing:
            return dict(sorted(self.phasing.items()))
        out, total = {}, Decimal(0)
        for year, amount in sorted(self.phasing_per_year.items()):
            total += amount
            out[year] = total
        return out


# a milestone's status, and the other ways programme boards write it: a completed milestone written some
# other way ('Completed', 'done') was reported overdue
_MILESTONE_WORDS = {"complete": "complete", "completed": "complete", "done": "complete", "achieved": "complete",
                    "delivered": "complete", "on track": "on track", "on-track": "on track", "at risk": "at risk",
                    "at-risk": "at risk", "delayed": "delayed", "late": "delayed", "behind": "delayed",
                    "not started": "not started", "not yet started": "not started"}


MilestoneStatus = Annotated[Literal["complete", "on track", "at risk", "delayed", "not started"],
                            BeforeValidator(spelled_as(_MILESTONE_WORDS))]


class MilestoneFile(StrictModel):
    """A project milestone with its due date and status (complete, on track, at risk, delayed or not started;
    any but complete is overdue once its date has passed)."""

    project: str = ""
    milestone: str = ""
    due: date
    status: MilestoneStatus | None = None


class PlanFile(StrictModel):
    """A recovery-programme plan: invest-to-save cases, benefits, events, savings and milestones."""

    title: str = ""
    approved: date | None = Field(None, description="Plan approval: the baseline is frozen here.")
    planned: dict[InterventionName, NonNegativeMoney] = Field(default_factory=dict, description="In-year "
                                                              "avoidance planned per intervention (£), each "
                                                              "named as Placecast knows it (prevention, "
                                                              "reunification, step-down, ...).")
    invest_to_save: list[InvestToSaveFile] = Field(default_factory=list)
    case_benefits: list[CaseBenefitFile] = Field(default_factory=list)
    realised: list[RealisedEventFile] = Field(default_factory=list)
    savings: list[SavingsFile] = Field(default_factory=list)
    milestones: list[MilestoneFile] = Field(default_factory=list)

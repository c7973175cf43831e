"""Schemas of the finance files a user writes: the budget, unit costs and the commitments register.

Every model forbids unknown keys and enumerates its units; amounts are exact ``Decimal``. Build them
in Python or read them with :func:`placecast.schema.read_model`; ``placecast schema budget`` prints
the JSON Schema.

Examples
--------
>>> from placecast.finance.files import BudgetFile
>>> budget = BudgetFile.model_validate({"units": "£000", "lines": [
...     {"name": "Placements", "budget_previous_quarter": 100, "forecast_net_expenditure": 110}]})
>>> budget.scale
Decimal('1000')
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, field_validator, model_validator

from placecast.finance.periods import financial_year_start, parse_period
from placecast.schema import StrictModel, fraction_text, number_text, spelled_as

COMPUTED = ("from_history", "from_commitments", "from_forecast")
ComputedSource = Literal["from_history", "from_commitments", "from_forecast"]
# the units a budget or plan file may declare (once per file), and what one unit is in pounds
MONEY_UNITS: dict[str, Decimal] = {"£000": Decimal(1000), "thousands": Decimal(1000), "£": Decimal(1),
                                   "pounds": Decimal(1)}
# how councils' reports head a column of thousands (£'000, with Excel's curly apostrophe too) or of pounds
THOUSANDS_WORDS = {**{f"£{q}000{s}": "£000" for q in ("", "'", "’", " ", " '", " ’") for s in ("", "s")},
                   "£k": "£000", "£ thousands": "£000", "gbp 000": "£000", "gbp'000": "£000"}
_UNIT_WORDS = {**THOUSANDS_WORDS, "gbp": "£", "£s": "£"}
MoneyUnit = Annotated[Literal["£000", "thousands", "£", "pounds"], BeforeValidator(spelled_as(_UNIT_WORDS))]


def _amount_text(value: object) -> object:
    """Amounts may be written with thousands separators or a pound sign: '£1,234.50'."""
    return number_text(value) if isinstance(value, str) else value


def _rate_text(value: object) -> object:
    """A yearly rate as a fraction (0.03) or a percentage written with its sign ('3%')."""
    return fraction_text(value, "a yearly rate", " a year")


Money = Annotated[Decimal, BeforeValidator(_amount_text), Field(allow_inf_nan=False)]
NonNegativeMoney = Annotated[Decimal, BeforeValidator(_amount_text), Field(ge=0, allow_inf_nan=False)]
YearlyRate = Annotated[Decimal, BeforeValidator(_rate_text), Field(ge=-1, le=1, allow_inf_nan=False)]


def _component(value: object) -> Decimal | str:
    if isinstance(value, str) and value.strip() in COMPUTED:
        return value.strip()
    try:
        amount = Decimal(str(_amount_text(value)))
    except InvalidOperation:
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a non-negative amount or one of {', '.join(COMPUTED)}")
    return amount


Component = Annotated[Decimal | ComputedSource, PlainValidator(
    _component, json_schema_input_type=NonNegativeMoney | ComputedSource)]


# a saving's delivery status, and the other ways councils' tables write it
SAVING_STATUSES = ("delivered", "on track", "at risk", "not deliverable")
_STATUS_WORDS = {"delivered": "delivered", "achieved": "delivered", "on track": "on track", "on-track": "on track",
                 "anticipated": "on track", "at risk": "at risk", "at-risk": "at risk", "not deliverable":
                 "not deliverable", "undeliverable": "not deliverable", "not achievable": "not deliverable",
                 "unachievable": "not deliverable"}


def _financial_year(value: str) -> str:
    if value:
        financial_year_start(value)
    return value


def _period(value: str) -> str:
    if value:
        parse_period(value)
    return value


FinancialYear = Annotated[str, AfterValidator(_financial_year)]  # 2025/26, or blank
Period = Annotated[str, AfterValidator(_period)]  # month 7, period 7, P7, quarter 2, Q2, outturn, or blank
SavingStatus = Annotated[Literal["delivered", "on track", "at risk", "not deliverable"],
                         BeforeValidator(spelled_as(_STATUS_WORDS))]


class SavingFile(StrictModel):
    """A saving with its delivery status: delivered (achieved), on track (anticipated), at risk or not
    deliverable. Recurrent savings carry into later years by themselves."""

    name: str = ""
    amount: Money
    status: SavingStatus = "on track"
    year: FinancialYear = Field("", description="The financial year it is delivered in, like 2025/26.")
    recurrent: bool = True
    line: str = Field("", description="The budget line it belongs to (budget files).")


class BudgetChange(StrictModel):
    """A budget change since the previous period (a virement, corporate funding, ...)."""

    description: str = ""
    amount: Money


class BudgetLineFile(StrictModel):
    """One service line of the budget: its budget, changes, forecast (or its components) and reserves."""

    name: str = Field(min_length=1)
    budget_previous_quarter: Money = Field(Decimal(0), description="The budget at the previous report; with "
                                           "budget_gross and budget_income it may be left out.")
    budget_gross: Money | None = Field(None, description="The budget's gross expenditure; with budget_income, "
                                       "gross less income is the cash limit (for budgets reported gross).")
    budget_income: NonNegativeMoney | None = Field(None, description="The budget's income, with budget_gross.")
    changes: list[BudgetChange] = Field(default_factory=list)
    cash_limit: Money | None = Field(None, description="Stated cash limit; checked against budget plus changes.")
    forecast_net_expenditure: Money | None = Field(None, description="The finance system's forecast; else the "
                                                   "components below are added up.")
    forecast_gross: Money | None = Field(None, description="Forecast gross expenditure; with forecast_income, "
                                         "the net forecast is gross less income (for lines reported gross).")
    forecast_income: NonNegativeMoney | None = Field(None, description="Forecast income (grants, fees, "
                                                     "contributions from partners), with forecast_gross.")
    forecast_variance: Money | None = Field(None, description="The forecast given as its variance on the cash "
                                            "limit, before adjustments and reserves (as many published tables do).")
    income: bool = Field(False, description="An income line: its budget and its net forecast may be negative "
                         "(a grant line, or one whose income may exceed its spending).")
    outside_cash_limit: bool = Field(False, description="Ring-fenced funding (the Dedicated Schools Grant, the "
                                     "UASC grant): reported beside the position, not in it.")
    actuals_to_date: Component | None = Field(None, description="With committed_to_year_end and new_demand, the "
                                              "forecast's components (each given; write 0 for none).")
    committed_to_year_end: Component | None = None
    new_demand: Component | None = None
    savings_not_in_figures: Component = Decimal(0)
    adjustments: dict[str, NonNegativeMoney] = Field(
        default_factory=dict, description="Amounts of the file's named adjustments (grants, allocations, one-off "
        "funding) that fund this line, by adjustment id.")
    reserves: NonNegativeMoney = Field(Decimal(0), description="Appropriations from reserves to this line.")
    to_reserves: NonNegativeMoney = Field(Decimal(0), description="Contributions from this line to reserves "
                                          "(they add to its net position).")
    previous_quarter_deficit: Money | None = Field(None, description="The line's (surplus)/deficit at the previous "
                                                   "report, on the file's movement_basis.")
    previous_year_outturn: Money | None = Field(None, description="Last year's outturn for the line, to compare "
                                                "the forecast with.")
    previous_year_variance: Money | None = Field(None, description="Last year's outturn variance for the line.")

    @model_validator(mode="after")
    def _one_forecast(self) -> BudgetLineFile:
        ways = [k for k in ("forecast_net_expenditure", "forecast_variance") if getattr(self, k) is not None]
        if len(ways) > 1 or (ways and ways[0] == "forecast_variance" and self.forecast_gross is not None):
            raise ValueError("give the forecast one way: forecast_net_expenditure, forecast_variance, or "
                             "forecast_gross with forecast_income")
        return self


class AdjustmentFile(StrictModel):
    """An adjustment column the council names itself: funding that reduces a line's net position before
    reserves (a grant, a corporate allocation, one-off funding)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Used as the key in each line's adjustments.")
    label: str = Field(min_length=1, description="The column's heading in the outturn table.")
    description: str = ""


class MitigationFile(StrictModel):
    """A mitigation or recovery measure not yet delivered, so not in the forecast: reported as its own step."""

    name: str = Field(min_length=1)
    amount: NonNegativeMoney
    status: Literal["planned", "in progress", "agreed"] = "planned"
    description: str = ""


class ReserveTransfer(StrictModel):
    """Money paid into a reserve from outside this budget (the council's general fund, a corporate reserve)."""

    source: str = Field(min_length=1)
    amount: NonNegativeMoney
    description: str = ""


class ReserveFile(StrictModel):
    """An earmarked reserve and its approved use this year."""

    category: str = ""
    narration: str = ""
    purpose: str = ""
    approved_use_balance: NonNegativeMoney = Field(Decimal(0), description="The balance at the start of the year "
                                                   "approved for use.")
    approved_use: NonNegativeMoney = Field(Decimal(0), description="Drawn this year.")
    contribution: NonNegativeMoney = Field(Decimal(0), description="Paid into the reserve this year from the "
                                           "budget's lines (their to_reserves).")
    transfers_in: list[ReserveTransfer] = Field(default_factory=list, description="Paid in from outside this "
                                                "budget (the general fund, a corporate reserve).")
    name: str = Field("", description="How the workbook's Reserve transfers sheet names this reserve (default: "
                      "its purpose).")


class BudgetFile(StrictModel):
    """A budget file: service lines, reserves, the period and the money unit (declared once)."""

    title: str = ""
    quarter: str = Field("", description="The report's period as a free label (or give year and period).")
    year: FinancialYear = Field("", description="The financial year, like 2020/21.")
    period: Period = Field("", description="Month 1-12 (period 7, P7), quarter 1-4 (Q2) or outturn.")
    movement_basis: Literal["after reserves", "before reserves", "after mitigations"] = Field(
        "after reserves", description="The position the movement on the previous report compares.")
    previous_period: Period = Field("", description="The previous report's period (month 6, Q2, ...).")
    previous_deficit: Money | None = Field(None, description="The previous report's total (surplus)/deficit on the "
                                           "movement_basis, when the lines do not give theirs.")
    previous_mitigations: NonNegativeMoney | None = Field(None, description="The previous report's mitigations, "
                                                          "for a movement after mitigations.")
    units: MoneyUnit = Field(description="what every amount is in, £000 (or thousands, £'000, £k) or £ (or "
                             "pounds), as a budget in pounds read as £000 is 1,000 times out.")
    cash_limit: Money | None = Field(None, description="The portfolio's stated cash limit: the lines' cash "
                                     "limits must add up to it.")
    adjustments: list[AdjustmentFile] = Field(default_factory=list, description="Adjustment columns the council "
                                              "names itself; shown only when a line uses them.")
    lines: list[BudgetLineFile] = Field(min_length=1)
    reserves: list[ReserveFile] = Field(default_factory=list)
    mitigations: list[MitigationFile] = Field(default_factory=list, description="Measures not yet delivered: "
                                              "position before mitigations, mitigations, position after.")
    savings: list[SavingFile] = Field(default_factory=list, description="The year's savings with their delivery "
                                      "status, by line.")

    @property
    def scale(self) -> Decimal:
        """Pounds in one unit of the file (1000 for £000)."""
        return MONEY_UNITS[self.units]


class UnitCostEntry(StrictModel):
    """A weekly cost taking effect on a date."""

    from_: date = Field(alias="from")
    weekly: NonNegativeMoney


class UnitCostsFile(StrictModel):
    """Weekly unit costs per cost line with effective dates and annual inflation."""

    description: str = ""
    reference: str = ""
    unit: Literal["GBP per week", "£ per week"] = "GBP per week"
    inflation_per_year: YearlyRate = Decimal(0)
    costs: dict[str, list[UnitCostEntry]] = Field(min_length=1)

    @field_validator("costs")
    @classmethod
    def _entries(cls, value: dict[str, list[UnitCostEntry]]) -> dict[str, list[UnitCostEntry]]:
        empty = [k for k, v in value.items() if not v]
        if empty:
            raise ValueError(f"cost line(s) {', '.join(empty)} have no entries; give at least one "
                             "{from: YYYY-MM-DD, weekly: amount}")
        twice = [f"{k} from {d:%d/%m/%Y}" for k, v in value.items()
                 for d in sorted({e.from_ for e in v}) if sum(e.from_ == d for e in v) > 1]
        if twice:  # which of the two applies is not for Placecast to guess
            raise ValueError(f"two weekly costs take effect on the same day ({', '.join(twice)}); keep one")
        return value


class UnitCostRow(StrictModel):
    """One row of a unit-costs CSV."""

    cost_line: str = Field(min_length=1)
    weekly_cost: NonNegativeMoney
    effective_from: date = date(2000, 4, 1)
    inflation: YearlyRate | None = None


class CommitmentRow(StrictModel):
    """One row of the commitments register (CSV or the first sheet of a workbook).

    The register is checked column by column (fast on a million rows); this model names its columns
    and what each holds.
    """

    child_id: str = Field(min_length=1)
    placement_ref: str
    provider: str
    cost_line: str
    weekly_cost: NonNegativeMoney = Field(description="Pounds a week.")
    start: date = Field(description="The first day paid (YYYY-MM-DD or dd/mm/yyyy).")
    planned_end: date | None = Field(None, description="The last day paid, counted (blank: to 31 March).")
    funding_social_care: Decimal | None = Field(None, description="Percentage; blank means 100% social care.")
    funding_education: Decimal | None = None
    funding_health: Decimal | None = None
    funding_uasc_grant: Decimal | None = None

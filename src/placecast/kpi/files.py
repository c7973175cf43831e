"""Schemas of the indicator files (definitions and values, CSV or YAML) and the RAG rules file.

Cells are text in a spreadsheet, so the readers in :mod:`placecast.kpi.definitions` accept the
usual spellings (``High``/``high``, ``G``/``Green``, ``↑``/``better``); these models name the columns
and reject unknown ones with "did you mean".

Examples
--------
>>> from placecast.kpi.files import RulesFile
>>> RulesFile.model_validate({"red_gap": {"value": 0.05, "unit": "fraction of the target"},
...                           "stable_band": {"value": 0.01, "unit": "fraction of the previous year end"}}
...                          ).red_gap.value
0.05
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from placecast.schema import StrictModel, fraction_text


class IndicatorRow(StrictModel):
    """One indicator definition: a CSV row or a YAML list item."""

    id: str = Field(min_length=1, description="Indicator id, e.g. CFE.53.")
    name: str = ""
    polarity: str = Field("", description="High, Low or None (good performance is high or low).")
    influence: str = Field("Council", description="Council, Partnership or Contextual.")
    unit: str = Field("%", description="%, rate, count, score, number or ratio.")
    target: str = Field("", description="A number, Maximise, Minimise or N/A.")
    scheme: str = Field("", description="RAG (the default: Red, Amber, Green) or RG (no amber band).")
    tolerance: str = Field("", description="How far short of target is still Amber (RAG) or Green (RG), as a "
                           "fraction or percentage of the target, e.g. 10%; default: the rules file's red gap.")
    floor: str = Field("", description="A floor target: Red beyond it, Amber between it and the target.")
    compare_with: str = Field("", description="Direction of travel against the previous year end (the default) or "
                              "the same period last year.")
    source: str = Field("", description="Where the definition comes from (free text).")


class IndicatorValuesRow(StrictModel):
    """One row of indicator values (two years ago, previous year end, current, forecast, published RAG)."""

    id: str = Field(min_length=1)
    two_years_ago: str = ""
    previous_year_end: str = ""
    same_period_last_year: str = Field("", description="The value at the same point last year (for indicators "
                                       "compared with the same period last year).")
    current: str = ""
    current_date: str = Field("", description="dd/mm/yyyy.")
    forecast: str = ""
    numerator: str = ""
    denominator: str = ""
    published_rag: str = Field("", description="R, A, G or N/A as published.")
    published_dot: str = Field("", description="↑, ↓, → or ○ (better, worse, stable, n/a) as published.")
    source: str = ""


class _Threshold(StrictModel):
    value: Annotated[float, BeforeValidator(lambda v: fraction_text(v, "a threshold")), Field(ge=0, lt=1)]
    reference: str = ""
    description: str = ""


class RedGap(_Threshold):
    """Red when more than this fraction of the target below it; Amber up to it."""

    unit: Literal["fraction of the target"] = "fraction of the target"


class StableBand(_Threshold):
    """Direction of travel is stable within this fraction of the previous year end."""

    unit: Literal["fraction of the previous year end"] = "fraction of the previous year end"


class RealisedSavings(_Threshold):
    """Planned against realised avoidance: Green when the plan to date is at or below this quantile of
    the realised interval."""

    value: Annotated[float, BeforeValidator(lambda v: fraction_text(v, "a quantile")), Field(gt=0.5, lt=1)]
    unit: Literal["quantile of the realised interval"] = "quantile of the realised interval"


class RulesFile(StrictModel):
    """RAG and direction-of-travel thresholds, shared by indicators, savings and realised avoidance."""

    red_gap: RedGap
    stable_band: StableBand
    realised_savings: RealisedSavings | None = None

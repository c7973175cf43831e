"""One forecast settings object, constrained once, used by the CLI, the report configuration,
scenario files and the library.

The constrained types (:data:`Runs`, :data:`Seed`, ...) are shared by every file that names one
of these settings, so a scenario's ``runs`` obeys the same rule as ``placecast forecast --runs``.

Examples
--------
>>> from placecast.model.settings import ForecastSettings
>>> ForecastSettings(runs=500, seed=3).runs
500
>>> check_settings(runs=-5)
Traceback (most recent call last):
...
placecast.model.settings.ModelSettingsError: DemandModel setting runs must be at least 10 (got -5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from placecast.errors import UnusableInputError
from placecast.schema import StrictModel

Runs = Annotated[int, Field(ge=10, le=100_000, description="Monte Carlo runs.")]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="Random seed: the same seed gives the same forecast.")]
HorizonMonths = Annotated[int, Field(ge=1, le=120, description="Months ahead.")]
BacktestRuns = Annotated[int, Field(ge=0, le=10_000, description="Runs per backtest origin (0: no backtest).")]
UascChoice = Literal["include", "exclude", "only"]
AgeBand = Literal["0", "1-4", "5-9", "10-13", "14-15", "16", "17"]  # the model's age bands (panel.AGE_EDGES_M)
# the defaults, named once: the settings below and every command's options take them from here
DEFAULT_RUNS = 1000
DEFAULT_SEED = 0
DEFAULT_HORIZON_MONTHS = 24
DEFAULT_BACKTEST_RUNS = 200
DEFAULT_TREND_CARRY = 0.0


class ForecastSettings(StrictModel):
    """How the demand model is fitted and projected.

    Parameters
    ----------
    runs : Monte Carlo runs (10 to 100,000; default 1,000).
    seed : random seed (default 0).
    horizon_months : months ahead (1 to 120; default 24).
    backtest_runs : runs per origin of the model card's backtest (0: none; default 200).
    window_years : years of history before the start used to fit (0.5 to 30; default 5).
    half_life_months : weight of older months halves every this many months (default 120).
    shrinkage : prior strength in child-months pulling sparse cells toward their margins (default 12).
    trend : ``auto`` fits a damped log-linear trend in entries; ``none`` does not.
    trend_carry : the share of the fitted yearly trend in entries carried on beyond the start (0 to 1;
        default 0: entries stay at their level at the start; 1: the fitted line carried on). The DfE's
        published starts (2016-2024, every council) say a council's trend in starts does not carry on: the
        fitted line carried on forecast next year's starts worse than the level at the start, at every
        origin (benchmarks/RESULTS.md, "Do councils' trends in entries persist?").
    uasc : include, exclude or only unaccompanied asylum-seeking children.
    ages : count only the children of these age bands (0, 1-4, 5-9, 10-13, 14-15, 16, 17), each by its age in
        each month, as they age into and out of them (default: every age). The backtest behind the pooling
        with "no change" counts the same ages.
    combine : ``no_change`` (default) pools the microsimulation with "no change", weighted at each horizon by
        each one's error in the council's own backtest (:mod:`placecast.model.combine`; equal weights when
        there is no backtest); ``none`` keeps the microsimulation alone.

    Examples
    --------
    >>> ForecastSettings(runs=200).model_dump()["runs"]
    200
    """

    runs: Runs = DEFAULT_RUNS
    seed: Seed = DEFAULT_SEED
    horizon_months: HorizonMonths = DEFAULT_HORIZON_MONTHS
    backtest_runs: BacktestRuns = DEFAULT_BACKTEST_RUNS
    window_years: Annotated[float, Field(ge=0.5, le=30)] = 5.0
    half_life_months: Annotated[float, Field(gt=0, le=10_000)] = 120.0
    shrinkage: Annotated[float, Field(gt=0, le=1e6)] = 12.0
    trend: Literal["auto", "none"] = "auto"
    trend_carry: Annotated[float, Field(ge=0, le=1)] = DEFAULT_TREND_CARRY
    uasc: UascChoice = "include"
    ages: Annotated[list[AgeBand] | None, Field(min_length=1)] = None
    combine: Literal["none", "no_change"] = "no_change"

    @field_validator("ages")
    @classmethod
    def _each_band_once(cls, ages: list[str] | None) -> list[str] | None:
        if ages is not None and len(set(ages)) != len(ages):
            raise ValueError("each age band once")
        return ages


FEW_RUNS = 200  # below it, the bands' bounds rest on a handful of runs each


def few_runs_warning(runs: int) -> str | None:
    """Said when a forecast has too few Monte Carlo runs for its bands to be relied on.

    >>> few_runs_warning(1000) is None, few_runs_warning(20)[:20]
    (True, 'With 20 runs, the 5%')
    """
    if runs >= FEW_RUNS:
        return None
    return (f"With {runs:,} runs, the 5% and 95% bounds of the bands rest on about {max(runs // 20, 1)} run(s) each: "
            f"the bands are rough. Use {DEFAULT_RUNS:,} runs (the default) for figures to rely on.")


def ages_words(ages: Sequence[str] | None) -> str:
    """Which ages a forecast counts, in words for its titles ("" for every age).

    >>> ages_words(["16", "17"]), ages_words(None)
    ('aged 16, 17', '')
    """
    return f"aged {', '.join(ages)}" if ages else ""


def children_words(uasc: str, ages: Sequence[str] | None) -> str:
    """Which children a forecast counts, by UASC and by age, in words for its titles ("" for every child).

    >>> children_words("only", ["16", "17"]), children_words("include", None)
    ('UASC only; aged 16, 17', '')
    """
    return "; ".join(filter(None, (uasc_words(uasc), ages_words(ages))))


def uasc_words(uasc: str) -> str:
    """Which children a forecast made with ``uasc`` counts, in words for its titles ("" for every child).

    >>> uasc_words("exclude"), uasc_words("include")
    ('UASC left out', '')
    """
    return {"exclude": "UASC left out", "only": "UASC only"}.get(uasc, "")


class ModelInputError(UnusableInputError):
    """The history cannot support the requested fit (for example a start date outside the data)."""


class ModelSettingsError(ModelInputError):
    """A forecast setting is out of range; the message names the setting, the allowed range and the value."""


def _expected(error: Any) -> str:
    ctx = error.get("ctx") or {}
    words = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
    for key, word in words.items():
        if key in ctx:
            limit = ctx[key]
            return f"must be {word} {limit:,g}" if isinstance(limit, int | float) else f"must be {word} {limit}"
    if error["type"] == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    return error["msg"].replace("Input should be", "must be")


def check_settings(**values: Any) -> ForecastSettings:
    """Settings from keyword values; :class:`ModelSettingsError` names each bad one, its range and value."""
    return _checked(values, lambda loc: f"DemandModel setting {'.'.join(str(p) for p in loc)}")


def settings_from_options(values: dict[str, Any]) -> ForecastSettings:
    """Settings from a command's options; :class:`ModelSettingsError` names each bad one as the option that set
    it (``--ages``), with its range and value."""
    return _checked(values, lambda loc: f"--{str(loc[0]).replace('_', '-')}")


def _checked(values: dict[str, Any], named: Callable[[tuple[int | str, ...]], str]) -> ForecastSettings:
    try:
        return ForecastSettings.model_validate(values)
    except ValidationError as exc:
        parts = [f"{named(e['loc'])} {_expected(e)} (got {e.get('input')!r})" for e in exc.errors()]
        raise ModelSettingsError("; ".join(parts) + ".") from exc

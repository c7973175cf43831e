"""RAG ratings and direction of travel, derived from values by the councils' own rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from placecast.kpi.definitions import Indicator, IndicatorValues
from placecast.kpi.files import RulesFile
from placecast.schema import read_model

ARROWS = {"better": "↑", "worse": "↓", "stable": "→", "n/a": "○"}


@lru_cache(maxsize=1)
def thresholds() -> tuple[float, float]:
    """(red gap, stable band) from the rules file (``placecast defaults rag-rules``): the one source of
    the RAG and direction-of-travel thresholds for indicators, savings and realised avoidance.

    Examples
    --------
    >>> thresholds()
    (0.05, 0.01)
    """
    with resources.as_file(resources.files("placecast.kpi").joinpath("rules.yaml")) as path:
        rules = read_model(path, RulesFile)
    return rules.red_gap.value, rules.stable_band.value


def rag_for_shortfall(short: float) -> str:
    """Red, Amber or Green for a shortfall against plan or target as a fraction of it (0 or less: on
    or above). Red when more than the rules file's red gap short.

    Examples
    --------
    >>> rag_for_shortfall(0.06), rag_for_shortfall(0.02), rag_for_shortfall(-0.1)
    ('Red', 'Amber', 'Green')
    """
    red_gap, _ = thresholds()
    return "Green" if short <= 0 else ("Amber" if short <= red_gap else "Red")


def realised_rag(planned_to_date: float, realised_upper: float) -> str:
    """The RAG of realised against planned avoidance to date: Green when the plan is at or below the
    realised interval's upper bound (the rules file's ``realised_savings`` quantile); Amber when above
    it by up to the red gap of the plan; Red otherwise.

    Examples
    --------
    >>> realised_rag(100.0, 120.0), realised_rag(100.0, 97.0), realised_rag(100.0, 50.0)
    ('Green', 'Amber', 'Red')
    """
    if planned_to_date <= 0:
        return "Green"
    return rag_for_shortfall((planned_to_date - realised_upper) / planned_to_date)


SAVINGS_RULE = ("Savings RAG: the savings delivered or on track against those proposed (or required); Green when "
                "they cover it, Amber when short by up to the rules file's red gap ({gap:.0%}), Red when short by "
                "more. Savings at risk or not deliverable never count.")


def savings_rag(required: Decimal, secure: Decimal) -> str:
    """The savings RAG by :data:`SAVINGS_RULE` ("" when nothing is required).

    Examples
    --------
    >>> from decimal import Decimal
    >>> [savings_rag(Decimal(100), Decimal(s)) for s in (100, 96, 10)], savings_rag(Decimal(0), Decimal(0))
    (['Green', 'Amber', 'Red'], '')
    """
    if required <= 0:
        return ""
    return rag_for_shortfall(float((required - secure) / required))


def needs_commentary(rag: str, direction_of_travel: str) -> bool:
    """An indicator needs commentary when it is Red, or Amber and getting worse."""
    return rag == "Red" or (rag == "Amber" and direction_of_travel == "worse")


def rules_key() -> str:
    """The RAG and direction-of-travel rules in words, with the thresholds from the rules file."""
    red_gap, band = thresholds()
    return (f"Red: more than {red_gap:.0%} below target; Amber: up to {red_gap:.0%} below; Green: on or above "
            "target (polarity respected; Maximise/Minimise compare with the previous year end). Direction of "
            "travel: the year-end position (forecast where there is one) against the previous year end, stable "
            f"within {band:.0%}.")


def shortfall(value: float, target: float, polarity: str) -> float:
    """How far below target, as a fraction of the target (negative or zero: on or above target)."""
    if target == 0:
        gap = target - value if polarity == "High" else value - target
        return 0.0 if gap <= 0 else float("inf")
    below = (target - value) / abs(target)
    return below if polarity == "High" else -below


def rate(ind: Indicator, vals: IndicatorValues, previous_as_target: bool = False) -> tuple[str, str]:
    """The RAG rating and why. Maximise/Minimise targets (or, if asked, no target) use the previous year end."""
    red_gap, _ = thresholds()
    if ind.contextual:
        return "N/A", "contextual indicator: no RAG"
    value = vals.forecast if vals.forecast is not None else vals.current
    if value is None:
        return "N/A", "no current value"
    target = ind.target
    basis = "target"
    if target in ("Maximise", "Minimise") or (target is None and previous_as_target):
        if vals.previous_year_end is None:
            return "N/A", "no previous year end to compare with"
        target, basis = vals.previous_year_end, "previous year end"
    if target is None or isinstance(target, str):
        return "N/A", "no target"
    gap = shortfall(value, float(target), ind.polarity)
    rag = rag_for_shortfall(gap)
    if rag == "Red":
        return "Red", f"{gap:.1%} below the {basis} ({target:g}); more than {red_gap:.0%}"
    if rag == "Amber":
        return "Amber", f"{gap:.1%} below the {basis} ({target:g}); within {red_gap:.0%}"
    return "Green", f"on or above the {basis} ({target:g})"


def direction(ind: Indicator, vals: IndicatorValues) -> tuple[str, str]:
    """Direction of travel: the year-end position (forecast, else current) against the previous year end."""
    _, band = thresholds()
    if ind.contextual:
        return "n/a", "contextual indicator: no direction of travel"
    now = vals.forecast if vals.forecast is not None else vals.current
    prev = vals.previous_year_end
    if now is None or prev is None:
        return "n/a", "needs the year-end position and the previous year end"
    change = (now - prev) / abs(prev) if prev != 0 else (0.0 if now == prev else float("inf") * (now - prev))
    if abs(change) <= band:
        return "stable", f"{change:+.1%} against the previous year end (within {band:.0%})"
    improving = change > 0 if ind.polarity == "High" else change < 0
    return ("better" if improving else "worse"), f"{change:+.1%} against the previous year end"


@dataclass
class Disagreement:
    """A published RAG or arrow that the rules would not give, and why."""

    id: str
    what: str  # "RAG" or "direction"
    published: str
    derived: str
    why: str


def check(definitions: dict[str, Indicator], values: dict[str, IndicatorValues]) -> list[Disagreement]:
    """Every published rating or arrow that disagrees with the rules, and why."""
    out = []
    for ident, vals in values.items():
        ind = definitions[ident]
        if vals.published_rag:
            fallback = ind.target is None and vals.published_rag in ("Red", "Amber", "Green")
            derived, why = rate(ind, vals, previous_as_target=fallback)
            if derived != vals.published_rag:
                out.append(Disagreement(ident, "RAG", vals.published_rag, derived, why))
        if vals.published_dot:
            derived, why = direction(ind, vals)
            if derived != vals.published_dot:
                out.append(Disagreement(ident, "direction", vals.published_dot, derived, why))
    return out


def rate_table(definitions: dict[str, Indicator], values: dict[str, IndicatorValues]):
    """One row per indicator: values, derived RAG and direction (word and symbol), published ones, agreement."""
    import pandas as pd

    rows = []
    for ident, vals in values.items():
        ind = definitions[ident]
        fallback = ind.target is None and vals.published_rag in ("Red", "Amber", "Green")
        rag, rag_why = rate(ind, vals, previous_as_target=fallback)
        dot, dot_why = direction(ind, vals)
        rows.append({
            "id": ident, "name": ind.name, "polarity": ind.polarity, "influence": ind.influence,
            "target": "" if ind.target is None else ind.target, "previous_year_end": vals.previous_year_end,
            "current": vals.current, "current_date": vals.current_date.isoformat() if vals.current_date else "",
            "rag": rag, "direction": dot, "arrow": ARROWS[dot], "published_rag": vals.published_rag,
            "published_direction": vals.published_dot,
            "agrees": (not vals.published_rag or vals.published_rag == rag)
            and (not vals.published_dot or vals.published_dot == dot),
            "why": f"{rag_why}; {dot_why}",
        })
    return pd.DataFrame(rows)

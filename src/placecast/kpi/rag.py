"""RAG ratings and direction of travel, derived from values by the councils' own rules."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from placecast.kpi.definitions import Indicator, IndicatorValues
from placecast.kpi.files import RulesFile
from placecast.schema import read_model

ARROWS = {"better": "↑", "worse": "↓", "stable": "→", "n/a": "○"}


@dataclass(frozen=True)
class Rules:
    """The RAG and direction-of-travel rules: red gap, stable band, the realised-savings quantile, and the
    file they were read from."""

    red_gap: float
    stable_band: float
    realised_quantile: float = 0.9
    source: str = "built-in rules"


_ACTIVE: ContextVar[Rules | None] = ContextVar("placecast_rules", default=None)


def load_rules(path: Path | None = None) -> Rules:
    """The rules in ``path`` (schema :class:`~placecast.kpi.files.RulesFile`; ``placecast defaults rag-rules``
    prints the built-in file), or the built-in rules. Read again when the file changes (a server runs for
    months; the cache was by path alone, so an edited rules file went unread until a restart)."""
    if path is None:
        return _load_rules(None, 0, 0)
    stat = Path(path).stat() if Path(path).exists() else None
    return _load_rules(Path(path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=8)
def _load_rules(path: Path | None, _mtime_ns: int, _size: int) -> Rules:
    if path is None:
        with resources.as_file(resources.files("placecast.kpi").joinpath("rules.yaml")) as default:
            rules = read_model(default, RulesFile)
    else:
        rules = read_model(Path(path), RulesFile)
    quantile = rules.realised_savings.value if rules.realised_savings else 0.9
    return Rules(rules.red_gap.value, rules.stable_band.value, quantile, _named(path) if path else "built-in rules")


def _named(path: Path) -> str:
    """A rules file as a report names it: its name and the start of its SHA-256 (a folder on an officer's own
    machine is no part of a published report)."""
    return f"{path.name} (file {hashlib.sha256(path.read_bytes()).hexdigest()[:12]})"


def active_rules() -> Rules:
    """The rules in effect (:func:`rules_in_effect`), else the built-in ones."""
    return _ACTIVE.get() or load_rules()


@contextmanager
def rules_in_effect(rules: Rules | None) -> Iterator[None]:
    """Rate everything inside the block by ``rules`` (a council's own rules file); None keeps those in effect."""
    token = _ACTIVE.set(rules or active_rules())
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def thresholds() -> tuple[float, float]:
    """(red gap, stable band) of the rules in effect: the one source of the RAG and direction-of-travel
    thresholds for indicators, savings and realised avoidance.

    Examples
    --------
    >>> thresholds()
    (0.05, 0.01)
    """
    rules = active_rules()
    return rules.red_gap, rules.stable_band


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
            "target (polarity respected; Maximise/Minimise compare with the previous year end; an indicator may "
            "set its own tolerance, a floor target or no amber band). Direction of travel: the year-end position "
            "(forecast where there is one) against the previous year end, or the current value against the same "
            f"period last year where the indicator asks, stable within {band:.0%}. Rules: "
            f"{active_rules().source}.")


def shortfall(value: float, target: float, polarity: str) -> float:
    """How far below target, as a fraction of the target (negative or zero: on or above target)."""
    if target == 0:
        gap = target - value if polarity == "High" else value - target
        return 0.0 if gap <= 0 else float("inf")
    below = (target - value) / abs(target)
    return below if polarity == "High" else -below


def rate(ind: Indicator, vals: IndicatorValues, previous_as_target: bool = False) -> tuple[str, str]:
    """The RAG rating and why, by the indicator's own scheme: a floor target (Red beyond the floor, Amber
    between it and the target), no amber band (Red or Green), or Red/Amber/Green with the indicator's
    tolerance (else the rules' red gap). Maximise/Minimise targets (or, if asked, no target) use the previous
    year end."""
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
    if ind.floor is not None:
        beyond = value < ind.floor if ind.polarity == "High" else value > ind.floor
        if beyond:
            return "Red", f"beyond the floor ({ind.floor:g})"
        if gap > 0:
            return "Amber", f"{gap:.1%} below the {basis} ({target:g}), within the floor ({ind.floor:g})"
        return "Green", f"on or above the {basis} ({target:g})"
    tolerance = ind.tolerance if ind.tolerance is not None else thresholds()[0]
    if ind.scheme == "RG":
        if gap <= (ind.tolerance or 0.0):
            return "Green", f"within {ind.tolerance or 0:.0%} of the {basis} ({target:g}); no amber band"
        return "Red", f"{gap:.1%} below the {basis} ({target:g}); no amber band"
    rag = "Green" if gap <= 0 else ("Amber" if gap <= tolerance else "Red")
    if rag == "Red":
        return "Red", f"{gap:.1%} below the {basis} ({target:g}); more than {tolerance:.0%}"
    if rag == "Amber":
        return "Amber", f"{gap:.1%} below the {basis} ({target:g}); within {tolerance:.0%}"
    return "Green", f"on or above the {basis} ({target:g})"


def direction(ind: Indicator, vals: IndicatorValues) -> tuple[str, str]:
    """Direction of travel, as the indicator asks: the year-end position (forecast, else current) against
    the previous year end, or the current value against the same period last year."""
    _, band = thresholds()
    if ind.contextual:
        return "n/a", "contextual indicator: no direction of travel"
    if ind.compare_with == "same period last year":
        now, prev, against = vals.current, vals.same_period_last_year, "the same period last year"
    else:
        now = vals.forecast if vals.forecast is not None else vals.current
        prev, against = vals.previous_year_end, "the previous year end"
    if now is None or prev is None:
        return "n/a", f"needs the value now and at {against}"
    change = (now - prev) / abs(prev) if prev != 0 else (0.0 if now == prev else float("inf") * (now - prev))
    if abs(change) <= band:
        return "stable", f"{change:+.1%} against {against} (within {band:.0%})"
    improving = change > 0 if ind.polarity == "High" else change < 0
    return ("better" if improving else "worse"), f"{change:+.1%} against {against}"


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
            "scheme": ind.scheme_text, "compare_with": ind.compare_with,
            "same_period_last_year": vals.same_period_last_year,
            "rag": rag, "direction": dot, "arrow": ARROWS[dot], "published_rag": vals.published_rag,
            "published_direction": vals.published_dot,
            "agrees": (not vals.published_rag or vals.published_rag == rag)
            and (not vals.published_dot or vals.published_dot == dot),
            "why": f"{rag_why}; {dot_why}",
        })
    return pd.DataFrame(rows)

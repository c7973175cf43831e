"""Realised cost avoidance detected from the history, against a baseline frozen at plan approval.

After the approval date: a child moving to a cheaper placement category is a step-down (it avoids the
difference in weekly cost); a child returning home (REC E4A or E4B) avoids the whole weekly cost of
the placement left. Each event is costed by :func:`realised_avoidance` (to 31 March in year, 52 weeks
for the full-year effect, each child-day once) and summed by intervention and quarter; planned against
realised gets a RAG rating by the same rule as the indicators (the rules file's red gap).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import pandas as pd

from placecast.finance.calendar import fy_label, quarter
from placecast.finance.unit_costs import UnitCosts
from placecast.programme.avoidance import RealisedEvent, realised_avoidance
from placecast.programme.counterfactual import CounterfactualAvoidance
from placecast.programme.savings import SavingsProgramme

RETURN_HOME = {"E4A", "E4B"}


def detect_events(episodes: pd.DataFrame, approved: date, as_at: date, unit_costs: UnitCosts,
                  names: dict[str, str] | None = None, commitments: pd.DataFrame | None = None
                  ) -> list[RealisedEvent]:
    """Step-downs and returns home between ``approved`` and ``as_at`` (inclusive).

    With a commitments table (``child_id``, ``start``, ``planned_end``), the planned end of the
    placement left is the counterfactual end of the saving.
    """
    names = {"step_down": "Step-down", "reunification": "Reunification", **(names or {})}
    ep = episodes[~episodes["short_break"].astype(bool)].sort_values(["child_id", "start"])
    lo, hi = pd.Timestamp(approved), pd.Timestamp(as_at)
    events: list[RealisedEvent] = []
    planned: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    if commitments is not None:
        for c in commitments.dropna(subset=["planned_end"]).itertuples():
            planned.setdefault(c.child_id, []).append((c.start, c.planned_end))

    def planned_end(child: str, on: date) -> date | None:
        day = pd.Timestamp(on)
        ends = [e for s, e in planned.get(child, []) if s < day <= e + pd.Timedelta(days=1)]
        return max(ends).date() if ends else None

    def weekly(category: str, on: date) -> Fraction:
        return Fraction(unit_costs.weekly(category, on)) if category in unit_costs.rates else Fraction(0)

    prev = ep.shift(1)
    same = (ep["child_id"] == prev["child_id"]) & (ep["period_id"] == prev["period_id"])
    changed = same & (ep["category"] != prev["category"]) & ep["start"].between(lo, hi)
    for new, old in zip(ep[changed].itertuples(), prev[changed].itertuples(), strict=True):
        on = new.start.date()
        before, after = weekly(old.category, on), weekly(new.category, on)
        if after < before:
            events.append(RealisedEvent(new.child_id, names["step_down"], on, before, after,
                                        planned_end(new.child_id, on)))
    last = ep.groupby("period_id").tail(1)
    home = last[last["rec"].isin(RETURN_HOME) & last["end"].between(lo, hi)]
    for r in home.itertuples():
        on = r.end.date()
        events.append(RealisedEvent(r.child_id, names["reunification"], on, weekly(r.category, on), Fraction(0),
                                    planned_end(r.child_id, on)))
    return events


def realised_by_quarter(events: list[RealisedEvent]) -> pd.DataFrame:
    """In-year and full-year avoidance (GBP) by intervention and financial quarter of the event."""
    table = realised_avoidance(events)
    if table.empty:
        return pd.DataFrame(columns=["intervention", "financial_year", "quarter", "events", "in_year", "full_year"])
    table["financial_year"] = [fy_label(d) for d in table["from"]]
    table["quarter"] = [f"Q{quarter(d)}" for d in table["from"]]
    out = table.groupby(["intervention", "financial_year", "quarter"]).agg(
        events=("child", "size"), in_year=("in_year", "sum"), full_year=("full_year", "sum")).reset_index()
    out["in_year"] = out["in_year"].map(lambda v: round(float(v)))
    out["full_year"] = out["full_year"].map(lambda v: round(float(v)))
    return out


@dataclass(frozen=True)
class NamedTable:
    """A table that belongs to one named case or programme."""

    name: str
    table: pd.DataFrame


@dataclass(frozen=True)
class ProgrammeResults:
    """Every table of the programme at a date (money in pounds, rounded to the penny; estimates against the
    frozen baseline, which come from Monte Carlo runs, to whole pounds in the files written)."""

    invest_to_save: tuple[NamedTable, ...] = ()  # month-by-month saving, delivery cost, net, cumulative
    invest_to_save_summary: pd.DataFrame | None = None
    case_benefits: pd.DataFrame | None = None
    counterfactual: CounterfactualAvoidance | None = None  # realised avoidance against the frozen baseline
    events_detected: pd.DataFrame | None = None  # step-downs and returns home: evidence, not savings
    planned_vs_realised: pd.DataFrame | None = None
    realised_avoidance: pd.DataFrame | None = None
    realised_by_intervention: pd.DataFrame | None = None
    savings: tuple[NamedTable, ...] = ()
    milestones: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables under the file names ``placecast programme track`` writes."""
        out = {f"invest_to_save_{i}.csv": t.table for i, t in enumerate(self.invest_to_save, start=1)}
        for name in ("invest_to_save_summary", "case_benefits", "events_detected", "realised_avoidance",
                     "realised_by_intervention", "milestones"):
            frame = getattr(self, name)
            if frame is not None:
                out[f"{name}.csv"] = frame
        if self.planned_vs_realised is not None:  # rounded once, here, for presentation
            out["planned_vs_realised.csv"] = self.planned_vs_realised.round(
                {"planned_to_date": 2, "realised_to_date": 0, "p10": 0, "p90": 0})
        if self.counterfactual is not None:
            out["realised_against_baseline.csv"] = self.counterfactual.table().round(0)
        out.update({f"savings_{i}.csv": t.table for i, t in enumerate(self.savings, start=1)})
        return out


SAVINGS_MONEY = ("required_in_year", "required", "recurrent", "non_recurrent", "carried_forward", "planned",
                 "delivered", "on_track", "at_risk", "not_deliverable", "forecast_delivery", "revised_cash_limit")


def _savings_in_pounds(programme: SavingsProgramme) -> pd.DataFrame:
    """A savings programme's table by year in pounds, whatever units its file states (like every money column
    the programme writes)."""
    table = programme.table().assign(programme=programme.name, revised_cash_limit=programme.revised_cash_limit)
    for column in SAVINGS_MONEY:
        table[column] = [None if v is None else v * programme.scale for v in table[column]]
    return table


def _pounds(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    from placecast.finance.calendar import to_pounds

    frame = frame.copy()
    for c in cols:
        frame[c] = [float(to_pounds(v)) for v in frame[c]]
    return frame


def _invest_to_save(plan) -> tuple[tuple[NamedTable, ...], pd.DataFrame | None]:
    from placecast.finance.calendar import to_pounds

    tables, cases = [], []
    for case in plan.invest_to_save:
        t = _pounds(case.table(), ["saving", "delivery_cost", "one_off_cost", "net", "cumulative"]).assign(
            case=case.name)
        tables.append(NamedTable(case.name, t))
        summary = case.summary()
        row: dict[str, object] = {"case": case.name, "payback_month": summary["payback_month"]}
        ratio = summary["return_per_pound"]
        row["return_per_pound"] = None if ratio is None else round(float(ratio), 2)  # type: ignore[arg-type]
        for k in ("saving", "delivery_cost", "one_off_cost", "capital_cost", "net", "in_year_saving",
                  "full_year_effect"):
            row[k] = float(to_pounds(summary[k]))  # type: ignore[arg-type]
        cases.append(row)
    return tuple(tables), (pd.DataFrame(cases) if cases else None)


def _realised(plan, as_at: date, history, unit_costs: UnitCosts | None, settings, current) -> dict[str, object]:
    """Realised avoidance against the counterfactual (the baseline frozen at approval), planned against
    it, and the step-downs and returns home detected in the history (evidence: counts, not savings)."""
    from placecast.errors import UnusableInputError
    from placecast.finance import default_unit_costs
    from placecast.programme.counterfactual import (
        check_log,
        counterfactual_avoidance,
        log_shares,
        planned_against_realised,
    )

    if plan.approved is None:
        raise UnusableInputError(f"{plan.title}: add 'approved: YYYY-MM-DD' (when the plan was approved) to "
                                 "measure realised savings against the baseline frozen then.")
    rates = unit_costs or default_unit_costs()
    cf = counterfactual_avoidance(history, plan.approved, as_at, rates, settings, current)
    detected = realised_by_quarter(detect_events(history.episodes, plan.approved, as_at, rates))
    evidence = detected.groupby("intervention")["events"].sum() if len(detected) else pd.Series(dtype=int)
    logged = [ev for ev in plan.realised if plan.approved <= ev.on <= as_at]
    confirmed, findings = check_log(logged, history.episodes)
    shares = log_shares(confirmed, plan.planned)
    if cf.last_day < as_at and history.census_date < as_at:
        findings.insert(0, f"The data end on {history.census_date:%d/%m/%Y}, before {as_at:%d/%m/%Y}: realised "
                           f"avoidance is measured to {cf.last_day:%d/%m/%Y}, the last month end they cover (the "
                           "days after it have no actual cost yet).")
    cf = dataclasses.replace(cf, evidence={f"{k} (detected)": int(v) for k, v in evidence.items()}
                             | {"logged": len(logged), "logged and in the history": len(confirmed)},
                             attribution="log" if shares else "history", findings=tuple(findings))
    out: dict[str, object] = {"counterfactual": cf, "events_detected": detected[["intervention", "financial_year",
                                                                                "quarter", "events"]]}
    if plan.planned:
        out["planned_vs_realised"] = planned_against_realised(plan.planned, cf, as_at, shares or None)
    return out


def programme_tables(plan, as_at: date, history=None, unit_costs: UnitCosts | None = None, settings=None,
                     current=None) -> ProgrammeResults:
    """Every table of the programme for ``as_at``: invest-to-save cases and their summary, per-case
    benefits, realised avoidance (from the plan's events and, given a history, detected since approval),
    planned vs realised, savings programmes and milestones. Money in pounds (rounded to the penny).

    Examples
    --------
    >>> from datetime import date
    >>> from importlib import resources
    >>> from placecast.programme import read_plan
    >>> plan = read_plan(resources.files("placecast.report").joinpath("defaults", "demo_plan.yaml"))
    >>> programme_tables(plan, date(2025, 9, 30)).invest_to_save[0].name
    'Step-down team'
    """
    from placecast.finance import default_unit_costs
    from placecast.finance.calendar import to_pounds
    from placecast.programme.plan import costed

    plan = costed(plan, unit_costs or default_unit_costs())  # the log's moves without weekly costs
    its, summary = _invest_to_save(plan)
    parts: dict[str, object] = {"invest_to_save": its, "invest_to_save_summary": summary}
    if plan.case_benefits:
        parts["case_benefits"] = pd.DataFrame([{"name": cb.name, "cases": float(cb.cases),
                                                "saving_per_case": float(cb.saving_per_case),
                                                "period_years": cb.period_years,
                                                "total": float(to_pounds(cb.total))} for cb in plan.case_benefits])
    if history is not None:
        parts.update(_realised(plan, as_at, history, unit_costs, settings, current))
    if plan.realised:
        # the log's own arithmetic, each move in full; written without the children's ids
        realised = _pounds(realised_avoidance(plan.realised, as_at=as_at),
                           ["weekly_avoided", "to_date", "in_year", "full_year"]).drop(columns="child")
        parts["realised_avoidance"] = realised
        parts["realised_by_intervention"] = realised.groupby("intervention")[["to_date", "in_year", "full_year"]] \
            .sum().reset_index()
    parts["savings"] = tuple(NamedTable(sp.name, _savings_in_pounds(sp)) for sp in plan.savings)
    if plan.milestones:
        parts["milestones"] = pd.DataFrame([{"project": m.project, "milestone": m.milestone, "due": m.due,
                                             "status": m.status, "overdue": m.overdue(as_at.isoformat())}
                                            for m in plan.milestones])
    return ProgrammeResults(**parts)  # type: ignore[arg-type]

"""A recovery-programme plan file (YAML): invest-to-save cases, per-case benefits, realised events,
savings programmes and milestones. Read with located errors; nothing is computed from a bad file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from placecast.errors import LocatedInputError
from placecast.programme.avoidance import CaseBenefit, RealisedEvent
from placecast.programme.files import PlanFile, RealisedEventFile
from placecast.programme.invest_to_save import InvestToSave
from placecast.programme.levers import intervention_key
from placecast.programme.savings import Milestone, SavingsLine, SavingsProgramme
from placecast.schema import load_file, located


class PlanFileError(LocatedInputError):
    """A programme plan has problems; ``problems`` lists every one, located."""

    what = "the programme plan"


@dataclass
class Plan:
    """A recovery-programme plan: invest-to-save cases, benefits, realised events, savings,
    milestones and the approval date."""

    title: str
    invest_to_save: list[InvestToSave] = field(default_factory=list)
    case_benefits: list[CaseBenefit] = field(default_factory=list)
    realised: list[RealisedEvent] = field(default_factory=list)
    savings: list[SavingsProgramme] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    approved: date | None = None  # the baseline is frozen at plan approval
    planned: dict[str, float] = field(default_factory=dict)  # in-year avoidance planned per intervention

    def warnings(self) -> list[str]:
        """Planned amounts too small to be pounds a year (250 for £250k): the plan to date would be met by
        almost any realised figure, Green. Said, not refused, since Placecast cannot know what was meant."""
        return [f"The plan's planned avoidance for {name} is £{amount:,.0f} in the year: planned amounts are in "
                f"pounds (write {amount * 1000:,.0f} for £{amount:,.0f}k)." for name, amount in self.planned.items()
                if 0 < amount < 1000]


def read_plan(path: Path) -> Plan:
    """Read a plan file (schema :class:`~placecast.programme.files.PlanFile`) with located errors.

    Examples
    --------
    >>> from importlib import resources
    >>> read_plan(resources.files("placecast.report").joinpath("defaults", "demo_plan.yaml")).approved
    datetime.date(2025, 4, 1)
    """
    model, lines = load_file(path, PlanFile, PlanFileError)
    problems = [located(str(path), lines, ("realised", i, key), value, message)
                for i, ev in enumerate(model.realised) for key, value, message in _event_problems(ev, model)]
    if problems:
        raise PlanFileError(problems)
    return plan_from_model(model)


def _event_problems(event: RealisedEventFile, model: PlanFile) -> list[tuple[str, object, str]]:
    """A logged event's own problems, and an intervention the plan does not plan (when it plans any): its
    savings would be attributed to no planned line."""
    out = event.problems()
    planned = {intervention_key(name) for name in model.planned}
    if planned and intervention_key(event.intervention) not in planned:
        out.append(("intervention", event.intervention, "the plan's planned: has no such intervention; name it as "
                    f"planned ({', '.join(model.planned)}) or add it to planned:."))
    return out


def pseudonymised(plan: Plan, key: bytes) -> Plan:
    """The plan with the children in its log of events pseudonymised with ``key`` (the history's key), so
    that logged events can be checked against the care history."""
    import dataclasses

    import pandas as pd

    from placecast.ssda903.pseudonym import pseudonymise

    if not plan.realised:
        return plan
    ids = pseudonymise(pd.Series([ev.child for ev in plan.realised]), key)
    return dataclasses.replace(plan, realised=[dataclasses.replace(ev, child=str(c))
                                               for ev, c in zip(plan.realised, ids, strict=True)])


def _frac(value: Decimal) -> Fraction:
    return Fraction(value)


def plan_from_model(model: PlanFile) -> Plan:
    """The :class:`Plan` of a validated plan model (built in Python or read from a file)."""
    plan = Plan(model.title, approved=model.approved, planned={k: float(v) for k, v in model.planned.items()})
    for i, it in enumerate(model.invest_to_save):
        plan.invest_to_save.append(InvestToSave(it.name or f"invest_to_save[{i}]", it.children,
                                                _frac(it.weekly_saving), it.saving_from, _frac(it.annual_cost),
                                                it.cost_from, it.months,
                                                [(c.name, _frac(c.amount), c.on, c.capital) for c in it.one_off_costs]))
    for i, cb in enumerate(model.case_benefits):
        plan.case_benefits.append(CaseBenefit(cb.name or f"case_benefits[{i}]", _frac(cb.cases),
                                              _frac(cb.saving_per_case), cb.period_years,
                                              None if cb.published_total is None else _frac(cb.published_total)))
    for i, ev in enumerate(model.realised):
        remaining = None if ev.expected_remaining_weeks is None else _frac(ev.expected_remaining_weeks)
        plan.realised.append(RealisedEvent(ev.child or f"realised[{i}]", ev.intervention, ev.on,
                                           _frac(ev.weekly_before), _frac(ev.weekly_after), ev.planned_end, remaining))
    for i, sp in enumerate(model.savings):
        lines = [SavingsLine(ln.name or f"savings[{i}].lines[{j}]", ln.amount, ln.recurrent, ln.year, ln.status)
                 for j, ln in enumerate(sp.lines)]
        plan.savings.append(SavingsProgramme(sp.name or f"savings[{i}]", sp.cash_limit, sp.full_year_saving,
                                             sp.cumulative_phasing(), lines, dict(sp.forecast_delivery)))
    for ms in model.milestones:
        plan.milestones.append(Milestone(ms.project, ms.milestone, ms.due.isoformat(), ms.status))
    return plan

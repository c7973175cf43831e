"""A recovery-programme plan file (YAML): invest-to-save cases, per-case benefits, realised events,
savings programmes and milestones. Read with located errors; nothing is computed from a bad file."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from placecast.errors import LocatedInputError, LocatedProblem
from placecast.finance.files import MONEY_UNITS
from placecast.finance.unit_costs import UnitCosts
from placecast.programme.avoidance import CaseBenefit, RealisedEvent
from placecast.programme.files import PlanFile, RealisedEventFile
from placecast.programme.invest_to_save import InvestToSave
from placecast.programme.levers import OUT_OF_CARE, intervention_key
from placecast.programme.savings import Milestone, SavingsLine, SavingsProgramme
from placecast.schema import empty_keys, load_file, located


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
    log_at: list[LocatedProblem] = field(default_factory=list)  # where each logged move is in the plan file

    def warnings(self) -> list[str]:
        """Planned amounts too small to be pounds a year (250 for £250k): the plan to date would be met by
        almost any realised figure, Green; logged moves dated before the plan was approved (a year typed
        wrong, or a move the programme cannot claim); and planned avoidance or logged moves with no approval date,
        which leave realised avoidance unmeasured. Said, not refused, since Placecast cannot know what was meant
        (a draft plan has no approval yet)."""
        out = [f"The plan's planned avoidance for {name} is £{amount:,.0f} in the year: planned amounts are in "
               f"pounds (write {amount * 1000:,.0f} for £{amount:,.0f}k)." for name, amount in self.planned.items()
               if 0 < amount < 1000]
        early = [ev.on for ev in self.realised if self.approved is not None and ev.on < self.approved]
        if early:
            out.append(f"{len(early)} logged move(s) dated before the plan's approval ({self.approved:%d/%m/%Y}), "
                       f"the first on {min(early):%d/%m/%Y}: they are not measured against the baseline, and the "
                       "log's own figures count them; check their dates.")
        if self.approved is None and (self.planned or self.realised):
            out.append("The plan gives planned avoidance or logged moves but no approval date: realised avoidance "
                       "is not measured against the baseline (it is frozen at approval). Add 'approved: YYYY-MM-DD'.")
        return out


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
    problems += [located(str(path), lines, ("realised", i, "date"), ev.on, message)
                 for i, ev, message in _repeated_events(model.realised)]
    problems += empty_keys(str(path), lines, (), model, {"approved": "realised avoidance is then not measured"})
    for i, savings in enumerate(model.savings):
        problems += empty_keys(str(path), lines, ("savings", i), savings, {"cash_limit": "no revised cash limit "
                                                                          "is then shown"})
    if problems:
        raise PlanFileError(problems)
    plan = plan_from_model(model)
    plan.log_at = [located(str(path), lines, ("realised", i), None, "") for i in range(len(model.realised))]
    return plan


def costed(plan: Plan, unit_costs: UnitCosts) -> Plan:
    """The plan with each logged move's weekly cost before and after, where the log leaves them out, from
    the unit costs of its ``from`` and ``to`` categories on its date ('out of care' costs nothing). A
    category the unit costs do not have, or a move that then costs more than before, is a located error."""
    import dataclasses

    problems, events = [], []
    for i, ev in enumerate(plan.realised):
        at = plan.log_at[i] if i < len(plan.log_at) else LocatedProblem(plan.title or "the plan", "", "", "", "")

        def problem(key: str, value: object, message: str, at: LocatedProblem = at, i: int = i) -> None:
            problems.append(LocatedProblem(at.file, at.where, f"realised[{i}].{key}", str(value), message))

        for key, category in (("from", ev.from_category), ("to", ev.to_category)):
            if category is not None and category != OUT_OF_CARE and category not in unit_costs.rates:
                near = difflib.get_close_matches(category, unit_costs.lines, n=1)
                hint = f"did you mean '{near[0]}'? " if near else ""
                problem(key, category, f"no placement category of that name has a unit cost; {hint}Name one of: "
                        f"{', '.join(unit_costs.lines)}" + (f", or '{OUT_OF_CARE}'." if key == "to" else "."))
        if problems:
            continue
        before = ev.weekly_before if ev.weekly_before is not None else _weekly(unit_costs, ev.from_category, ev.on)
        after = ev.weekly_after if ev.weekly_after is not None else _weekly(unit_costs, ev.to_category, ev.on)
        if after > before:
            problem("to", ev.to_category, f"the move costs more after (£{float(after):,.2f} a week) than before "
                    f"(£{float(before):,.2f}) by the unit costs: this is not a saving.")
        events.append(dataclasses.replace(ev, weekly_before=before, weekly_after=after))
    if problems:
        raise PlanFileError(problems)
    return dataclasses.replace(plan, realised=events)


def saving_warnings(plan: Plan, unit_costs: UnitCosts) -> list[str]:
    """Invest-to-save cases whose weekly saving for a child is more than any placement costs a week at the unit
    costs: no move saves more than the dearest placement (a yearly saving in the weekly column made a return of
    £150 for every £1). Said, not refused: a council's own unit costs may leave out its dearest placements."""
    def dearest(on: date) -> Fraction | None:
        return max((Fraction(unit_costs.weekly(line, on)) for line in unit_costs.rates), default=None)

    out = []
    for case in plan.invest_to_save:
        top = dearest(case.saving_from)
        if top is not None and case.weekly_saving > top:
            out.append(f"Invest to save '{case.name}': each child saves £{float(case.weekly_saving):,.2f} a week, more "
                       f"than any placement costs (the dearest unit cost is £{float(top):,.2f} a week): is a "
                       "yearly saving in weekly_saving?")
    high = [ev for ev in plan.realised if ev.weekly_before is not None and ev.weekly_after is not None
            and (top := dearest(ev.on)) is not None and ev.weekly_saving > top]
    if high:
        out.append(f"{len(high)} logged move(s) save more a week than any placement costs (the first on "
                   f"{high[0].on:%d/%m/%Y}, £{float(high[0].weekly_saving):,.2f} a week): are yearly costs in "
                   "weekly_before or weekly_after?")
    return out


def _weekly(unit_costs: UnitCosts, category: str | None, on: date) -> Fraction:
    return Fraction(0) if category in (None, OUT_OF_CARE) else Fraction(unit_costs.weekly(str(category), on))


def _event_problems(event: RealisedEventFile, model: PlanFile) -> list[tuple[str, object, str]]:
    """A logged event's own problems, and an intervention the plan does not plan (when it plans any): its
    savings would be attributed to no planned line."""
    out = event.problems()
    planned = {intervention_key(name) for name in model.planned}
    if planned and intervention_key(event.intervention) not in planned:
        out.append(("intervention", event.intervention, "the plan's planned: has no such intervention; name it as "
                    f"planned ({', '.join(model.planned)}) or add it to planned:."))
    return out


def _repeated_events(events: list[RealisedEventFile]) -> list[tuple[int, RealisedEventFile, str]]:
    """Logged moves of one child on one date after the first: a row copied twice in the log would otherwise
    be checked, and shown as evidence, twice."""
    first: dict[tuple[str, date], int] = {}
    out = []
    for i, ev in enumerate(events):
        if ev.child is None:
            continue
        seen = first.setdefault((ev.child, ev.on), i)
        if seen != i:
            out.append((i, ev, f"the log already has a move of this child on this date (realised[{seen}]); remove "
                        "the repeat, or correct its child or date."))
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
                                           None if ev.weekly_before is None else _frac(ev.weekly_before),
                                           None if ev.weekly_after is None else _frac(ev.weekly_after),
                                           ev.planned_end, remaining, ev.from_, ev.to))
    for i, sp in enumerate(model.savings):
        lines = [SavingsLine(ln.name or f"savings[{i}].lines[{j}]", ln.amount, ln.recurrent, ln.year, ln.status)
                 for j, ln in enumerate(sp.lines)]
        plan.savings.append(SavingsProgramme(sp.name or f"savings[{i}]", sp.cash_limit, sp.full_year_saving,
                                             sp.cumulative_phasing(), lines, dict(sp.forecast_delivery),
                                             MONEY_UNITS[sp.units]))
    for ms in model.milestones:
        plan.milestones.append(Milestone(ms.project, ms.milestone, ms.due.isoformat(), ms.status or ""))
    return plan

"""A recovery-programme plan file (YAML): invest-to-save cases, per-case benefits, realised events,
savings programmes and milestones. Read with located errors; nothing is computed from a bad file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import yaml

from placecast.errors import LocatedInputError, LocatedProblem
from placecast.programme.avoidance import CaseBenefit, RealisedEvent
from placecast.programme.invest_to_save import InvestToSave
from placecast.programme.savings import Milestone, SavingsLine, SavingsProgramme


class _TextDates(yaml.SafeLoader):
    """A safe loader that leaves dates as text, so a bad date is reported with its key, not as a crash."""


_TextDates.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PlanFileError(LocatedInputError):
    what = "the programme plan"


@dataclass
class Plan:
    title: str
    invest_to_save: list[InvestToSave] = field(default_factory=list)
    case_benefits: list[CaseBenefit] = field(default_factory=list)
    realised: list[RealisedEvent] = field(default_factory=list)
    savings: list[SavingsProgramme] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    approved: date | None = None  # the baseline is frozen at plan approval
    planned: dict[str, float] = field(default_factory=dict)  # in-year avoidance planned per intervention


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[LocatedProblem] = []

    def problem(self, key: str, column: str, value: object, message: str) -> None:
        self.problems.append(LocatedProblem(self.file, key, column, str(value), message))

    def number(self, item: dict, key: str, column: str, required: bool = True, minimum: float | None = 0
               ) -> Fraction:
        if column not in item:
            if required:
                self.problem(key, column, "", "this value is required.")
            return Fraction(0)
        try:
            value = Fraction(str(item[column]).replace(",", ""))
        except (ValueError, ZeroDivisionError):
            self.problem(key, column, item[column], "must be a number.")
            return Fraction(0)
        if minimum is not None and value < minimum:
            self.problem(key, column, item[column], f"must be at least {minimum}.")
        return value

    def day(self, item: dict, key: str, column: str, required: bool = True) -> date | None:
        value = item.get(column)
        if value is None:
            if required:
                self.problem(key, column, "", "a date (YYYY-MM-DD) is required.")
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(key, column, value, "not a date; use YYYY-MM-DD.")
            return None

    def decimal(self, value: object, key: str, column: str) -> Decimal:
        try:
            return Decimal(str(value).replace(",", ""))
        except InvalidOperation:
            self.problem(key, column, value, "must be a number.")
            return Decimal(0)


def read_plan(path: Path) -> Plan:
    file = str(path)
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_TextDates)  # noqa: S506 (safe loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlanFileError([LocatedProblem(file, "-", "", "", f"cannot be read as YAML ({exc}).")]) from exc
    if not isinstance(data, dict):
        raise PlanFileError([LocatedProblem(file, "-", "", "", "expected a mapping with sections such as "
                                            "invest_to_save, case_benefits, realised, savings, milestones.")])
    r = _Reader(file)
    known = {"title", "invest_to_save", "case_benefits", "realised", "savings", "milestones", "approved", "planned"}
    for extra in set(data) - known:
        r.problem(str(extra), str(extra), "", f"unknown section; use {', '.join(sorted(known))}.")
    plan = Plan(str(data.get("title", "")))
    if "approved" in data:
        plan.approved = r.day(data, "approved", "approved")
    for name, amount in (data.get("planned") or {}).items():
        plan.planned[str(name)] = float(r.number({"v": amount}, f"planned.{name}", "v"))
    for i, it in enumerate(data.get("invest_to_save") or []):
        key = f"invest_to_save[{i}]"
        start, cost_from = r.day(it, key, "saving_from"), r.day(it, key, "cost_from")
        months = int(r.number(it, key, "months", minimum=1))
        plan.invest_to_save.append(InvestToSave(str(it.get("name", key)), int(r.number(it, key, "children")),
                                                r.number(it, key, "weekly_saving"), start or date.min,
                                                r.number(it, key, "annual_cost"), cost_from or date.min, months))
    for i, cb in enumerate(data.get("case_benefits") or []):
        key = f"case_benefits[{i}]"
        published = r.number(cb, key, "published_total", required=False) if "published_total" in cb else None
        plan.case_benefits.append(CaseBenefit(str(cb.get("name", key)), r.number(cb, key, "cases"),
                                              r.number(cb, key, "saving_per_case", minimum=None),
                                              int(r.number(cb, key, "period_years", minimum=1)), published))
    for i, ev in enumerate(data.get("realised") or []):
        key = f"realised[{i}]"
        on = r.day(ev, key, "date")
        end = r.day(ev, key, "planned_end", required=False)
        if on and end and end < on:
            r.problem(key, "planned_end", end, "the planned end is before the event; correct one of them.")
        before, after = r.number(ev, key, "weekly_before"), r.number(ev, key, "weekly_after")
        if after > before:
            r.problem(key, "weekly_after", ev.get("weekly_after"), "costs more than before: this is not a saving.")
        remaining = r.number(ev, key, "expected_remaining_weeks", required=False) \
            if "expected_remaining_weeks" in ev else None
        plan.realised.append(RealisedEvent(str(ev.get("child", key)), str(ev.get("intervention", "")),
                                           on or date.min, before, after, end, remaining))
    for i, sp in enumerate(data.get("savings") or []):
        key = f"savings[{i}]"
        lines = []
        for j, ln in enumerate(sp.get("lines") or []):
            lkey = f"{key}.lines[{j}]"
            if not isinstance(ln.get("recurrent"), bool):
                r.problem(lkey, "recurrent", ln.get("recurrent"), "must be true or false.")
            lines.append(SavingsLine(str(ln.get("name", lkey)), r.decimal(ln.get("amount", 0), lkey, "amount"),
                                     bool(ln.get("recurrent")), str(ln.get("year", ""))))
        phasing = {str(k): r.decimal(v, f"{key}.phasing", str(k)) for k, v in (sp.get("phasing") or {}).items()}
        forecast = {str(k): r.decimal(v, f"{key}.forecast_delivery", str(k))
                    for k, v in (sp.get("forecast_delivery") or {}).items()}
        plan.savings.append(SavingsProgramme(str(sp.get("name", key)), r.decimal(sp.get("cash_limit", 0), key,
                                                                                  "cash_limit"),
                                             r.decimal(sp.get("full_year_saving", 0), key, "full_year_saving"),
                                             phasing, lines, forecast))
    for i, ms in enumerate(data.get("milestones") or []):
        key = f"milestones[{i}]"
        due = r.day(ms, key, "due")
        plan.milestones.append(Milestone(str(ms.get("project", "")), str(ms.get("milestone", "")),
                                         due.isoformat() if due else "", str(ms.get("status", ""))))
    if r.problems:
        raise PlanFileError(r.problems)
    return plan

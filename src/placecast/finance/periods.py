"""Reporting periods as councils write them: "month 7", "period 7", "P7", "quarter 2", "Q2", "outturn".

A financial year runs from 1 April; month (or period) 1 is April, quarter 1 ends on 30 June, and the
outturn is the year end. A period ends on the last day of its month.

Examples
--------
>>> p = parse_period("Period 7")
>>> p.label, p.months, p.end("2020/21")
('Month 7 (October)', 7, datetime.date(2020, 10, 31))
>>> parse_period("Q2").label, parse_period("provisional outturn").months
('Quarter 2', 12)
>>> parse_period("week 3")
Traceback (most recent call last):
...
ValueError: 'week 3' is not a reporting period: write month 1-12 (or period 7, P7, M7), quarter 1-4 (or Q2), or outturn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

MONTHS = ("April", "May", "June", "July", "August", "September", "October", "November", "December", "January",
          "February", "March")
ACCEPTED = "month 1-12 (or period 7, P7, M7), quarter 1-4 (or Q2), or outturn"
_MONTH = re.compile(r"^(?:month|period|p|m)\s*0?(\d{1,2})$")
_QUARTER = re.compile(r"^(?:quarter|q)\s*([1-4])$")
_OUTTURN = {"outturn", "provisional outturn", "final outturn", "year end", "year-end"}
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


@dataclass(frozen=True)
class ReportingPeriod:
    """A month (1 = April), a quarter, or the outturn of a financial year."""

    kind: Literal["month", "quarter", "outturn"]
    number: int

    @property
    def months(self) -> int:
        """Months of the financial year the period covers (to its end)."""
        return {"month": self.number, "quarter": 3 * self.number, "outturn": 12}[self.kind]

    @property
    def label(self) -> str:
        """The period as a report heading names it."""
        if self.kind == "month":
            return f"Month {self.number} ({MONTHS[self.number - 1]})"
        return f"Quarter {self.number}" if self.kind == "quarter" else "Outturn"

    def end(self, year: str) -> date:
        """The last day of the period in financial year ``year`` ("2020/21")."""
        first = financial_year_start(year)
        month = 4 + self.months  # the month after the period, counted from January of the first year
        after = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        return after - timedelta(days=1)


def financial_year_start(year: str) -> date:
    """1 April of financial year ``year`` written as 2020/21 (the second part must follow the first)."""
    match = _YEAR.match(year.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"'{year}' is not a financial year: write it like 2020/21.")
    return date(int(match.group(1)), 4, 1)


def parse_period(text: str) -> ReportingPeriod:
    """The reporting period ``text`` names (case and spacing do not matter)."""
    key = " ".join(text.strip().lower().split())
    if key in _OUTTURN:
        return ReportingPeriod("outturn", 12)
    if match := _QUARTER.match(key):
        return ReportingPeriod("quarter", int(match.group(1)))
    if (match := _MONTH.match(key)) and 1 <= int(match.group(1)) <= 12:
        return ReportingPeriod("month", int(match.group(1)))
    raise ValueError(f"'{text}' is not a reporting period: write {ACCEPTED}.")

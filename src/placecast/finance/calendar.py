"""The UK financial calendar and day-count costing.

The financial year runs 1 April to 31 March and is named by the year it starts (2023 = 2023/24);
Q1 ends 30 June, Q2 30 September, Q3 31 December, Q4 31 March. A weekly cost is cost/7 a day.
Money is ``Decimal`` pounds; day-count costs are exact fractions of a pound (a weekly cost divided by 7
is not a finite decimal), so a range always costs exactly the sum of its parts. Presentation rounds
once, at the end.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

DAYS_IN_WEEK = Decimal(7)


def fy_start(day: date) -> date:
    """1 April of the financial year containing ``day``."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def fy_end(day: date) -> date:
    """31 March ending the financial year containing ``day``."""
    return date(fy_start(day).year + 1, 3, 31)


def fy_label(day: date) -> str:
    """The financial year of ``day`` as '2025/26'."""
    start = fy_start(day).year
    return f"{start}/{(start + 1) % 100:02d}"


def quarter(day: date) -> int:
    """Financial quarter 1-4 (Q1 = April-June)."""
    return ((day.month - 4) % 12) // 3 + 1


def quarter_end(fy_start_year: int, q: int) -> date:
    """The last day of quarter ``q`` (1-4) of the financial year starting in April of ``year``."""
    month = 3 * q + 3
    year = fy_start_year if month <= 12 else fy_start_year + 1
    month = month if month <= 12 else month - 12
    return (date(year, month % 12 + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)


def days_remaining(day: date) -> int:
    """Days after ``day`` up to and including 31 March."""
    return (fy_end(day) - day).days


def weeks_remaining(day: date) -> Decimal:
    """Weeks from the day after ``as_at`` to the 31 March of its financial year."""
    return Decimal(days_remaining(day)) / DAYS_IN_WEEK


Money = Decimal | Fraction | int


def exact(amount: Money) -> Fraction:
    """An amount as an exact fraction of pounds."""
    return amount if isinstance(amount, Fraction) else Fraction(amount)


def daily(weekly: Money) -> Fraction:
    """The exact daily cost of a weekly cost (one seventh)."""
    return exact(weekly) / 7


def twelve_months_from(day: date) -> date:
    """The last day of the twelve months that start on ``day`` (365 days, or 366 when they hold 29 February):
    a full year of a steady state, so never shorter than any in-year period that starts on the same day.

    >>> [twelve_months_from(date(*d)).isoformat() for d in ((2024, 12, 1), (2023, 4, 1), (2024, 2, 29))]
    ['2025-11-30', '2024-03-31', '2025-02-28']
    """
    try:
        anniversary = day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the anniversary is 1 March
        anniversary = date(day.year + 1, 3, 1)
    return anniversary - timedelta(days=1)


def cost_between(weekly: Money, first: date, last: date) -> Fraction:
    """Cost of a weekly rate for every day from ``first`` to ``last`` inclusive (zero if last < first)."""
    days = (last - first).days + 1
    return exact(weekly) * max(days, 0) / 7


def split_by_fy(weekly: Money, first: date, last: date) -> dict[str, Fraction]:
    """The cost of a date range, split by financial year."""
    out: dict[str, Fraction] = {}
    cursor = first
    while cursor <= last:
        end = min(fy_end(cursor), last)
        out[fy_label(cursor)] = out.get(fy_label(cursor), Fraction(0)) + cost_between(weekly, cursor, end)
        cursor = end + timedelta(days=1)
    return out


def _decimal(amount: Money) -> Decimal:
    f = exact(amount)
    return Decimal(f.numerator) / Decimal(f.denominator)


def to_thousands(amount: Money) -> int:
    """Round once, at presentation, to whole £000 (half away from zero)."""
    return int((_decimal(amount) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pounds(amount: Money) -> Decimal:
    """An exact amount rounded to the penny (half away from zero), as Decimal pounds."""
    return _decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

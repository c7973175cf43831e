"""Rich tables shared by the CLI and the demo (presentation only; no calculations)."""

from __future__ import annotations

import time

import pandas as pd
from rich.console import Console
from rich.table import Table


def counted(n: int, noun: str) -> str:
    """``n`` with its noun, singular for one (thousands separated).

    >>> counted(1, "error"), counted(0, "warning"), counted(1234, "repair")
    ('1 error', '0 warnings', '1,234 repairs')
    """
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def gbp(value: float | int, suffix: str = "") -> str:
    """Pounds as a sentence writes them, rounded to the pound, the sign before the pound sign.

    >>> gbp(-7107.74), gbp(632063.2), gbp(-200, "k")
    ('-£7,108', '£632,063', '-£200k')
    """
    whole = round(value)
    return f"{'-' if whole < 0 else ''}£{abs(whole):,}{suffix}"


def summary_table(summary: pd.DataFrame, categories: list[str], title: str) -> Table:
    """Children looked after at each 31 March (``date, category, children``) as a wide table."""
    wide = summary.pivot(index="category", columns="date", values="children").reindex([*categories, "total"])
    table = Table(title=title)
    table.add_column("category", no_wrap=True)
    for d in wide.columns:  # a year for each 31 March; the whole date for any other day
        day = str(d)
        table.add_column(day[:4] if day[5:] == "03-31" else f"{day[8:10]}/{day[5:7]}/{day[:4]}", justify="right")
    for cat, row in wide.iterrows():
        table.add_row(str(cat), *[f"{int(v):,}" for v in row])
    return table


class Steps:
    """Numbered progress lines with the time since the start: '[ 4.2 s] 3/10 ...'."""

    def __init__(self, console: Console, total: int) -> None:
        self.console, self.total, self.started, self.done = console, total, time.perf_counter(), 0

    def __call__(self, i: int, text: str) -> None:
        self.done = i
        self.console.print(f"[{time.perf_counter() - self.started:4.1f} s] {i}/{self.total} {text}", highlight=False)

    def next(self, text: str) -> None:
        """The next step."""
        self(self.done + 1, text + "...")

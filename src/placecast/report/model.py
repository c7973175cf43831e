"""The report model: one structure holding every figure, table and chart of the quarterly report.

The HTML, PDF and Excel renderings all read this structure, so their numbers cannot disagree. Values
are kept unrounded (Decimal money, floats for counts and rates); :func:`display` rounds once, at
presentation, and the Excel renderer stores the same values with a number format instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from placecast.quarter import QuarterResults

# kind -> (Excel number format, description)
KINDS = {
    "text": ("@", "text"),
    "int": ("#,##0", "whole number"),
    "num1": ("#,##0.0", "number to one decimal place"),
    "pct": ('0.0"%"', "percentage (value in percent)"),
    "gbp": ('"£"#,##0;("£"#,##0);"-"', "pounds"),
    "gbp_k": ('#,##0;(#,##0);"-"', "£000"),
    "gbp_m": ('#,##0.0;(#,##0.0);"-"', "£m"),
    "date": ("dd/mm/yyyy", "date"),
    "rag": ("@", "RAG rating"),
    "dot": ("@", "direction of travel"),
}

RAG_SYMBOL = {"Red": "✖", "Amber": "▲", "Green": "✔", "N/A": "–"}
DOT_TEXT = {"better": "getting better", "worse": "getting worse", "stable": "stable", "n/a": "n/a"}
DOT_WORD = {k: f"{arrow} {DOT_TEXT[k]}" for k, arrow in (("better", "↑"), ("worse", "↓"), ("stable", "→"),
                                                          ("n/a", "○"))}


def _half_up(value: float | Decimal, places: int = 0) -> Decimal:
    q = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)


def is_blank(value: object) -> bool:
    """No value to show: None or NaN (float or Decimal)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # noqa: PLR0124 (only NaN differs from itself)
    except TypeError:
        return False


def rounded(value: object, kind: str) -> float | int | None:
    """The number a reader sees for ``value`` (rounded half away from zero), or None for blanks."""
    if is_blank(value) or isinstance(value, str):
        return None
    if kind in ("int", "gbp", "gbp_k"):
        return int(_half_up(value))  # type: ignore[arg-type]
    if kind in ("num1", "pct", "gbp_m"):
        return float(_half_up(value, 1))  # type: ignore[arg-type]
    return None


def display(value: object, kind: str) -> str:
    """Text for a cell: rounded once here; negative money in brackets, as finance tables do."""
    if is_blank(value):
        return ""
    if kind == "rag":
        return f"{RAG_SYMBOL.get(str(value), '')} {value}".strip()
    if kind == "dot":
        return DOT_WORD.get(str(value), str(value))
    if kind == "date":
        return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = rounded(value, kind)
    assert number is not None
    if kind in ("gbp", "gbp_k", "gbp_m"):
        body = f"{abs(number):,.1f}" if kind == "gbp_m" else f"{abs(number):,}"
        body = f"£{body}" if kind == "gbp" else body
        return f"({body})" if number < 0 else body
    if kind == "int":
        return f"{number:,}"
    if kind == "pct":
        return f"{number:,.1f}%"
    return f"{number:,.1f}"


@dataclass
class Column:
    """A table column: key in the rows, label, and kind (how its values are displayed)."""

    key: str
    label: str
    kind: str = "text"


@dataclass
class Table:
    """A table of the report: rows of unrounded values with columns that say how to display them."""

    name: str  # short id: HTML anchor, Excel sheet name
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    total_row: bool = False  # the last row is a total

    def kind(self, row: dict, column: Column) -> str:
        """The column's kind, unless the row overrides it (indicator rows mix counts, rates and percentages)."""
        return row.get("_kinds", {}).get(column.key, column.kind)

    def cell(self, row: dict, key: str) -> str:
        """The text shown for ``key`` in ``row``."""
        column = next(c for c in self.columns if c.key == key)
        return display(row.get(key), self.kind(row, column))


@dataclass
class Chart:
    """A chart: its Vega-Lite specification (data inline) and alternative text."""

    name: str
    title: str
    spec: dict  # Vega-Lite, data inline
    alt: str
    # the chart as SVG when already rendered (by the background job that made the report), else ""
    svg: str = field(default="", repr=False, compare=False)


@dataclass
class Text:
    """Paragraphs of text, with a style (commentary, warning, ...)."""

    paragraphs: list[str]
    css: str = ""  # e.g. "commentary", "warning"


@dataclass
class Figure:
    """A headline figure."""

    label: str
    value: object
    kind: str
    note: str = ""


@dataclass
class Section:
    """A section of the report: its id, title, blocks and commentary."""

    id: str
    title: str
    blocks: list[Table | Chart | Text] = field(default_factory=list)
    intro: str = ""


@dataclass
class Report:
    """The report model: every figure, table and chart the three renderings show."""

    title: str
    council: str
    quarter: str
    as_at: date
    headline: list[Figure]
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # provenance: data, settings, seeds
    # the quarter's results the report was laid out from, for callers that also write them; never rendered
    results: QuarterResults | None = field(default=None, repr=False)

    def tables(self) -> list[Table]:
        """Every table, in report order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        """Every chart, in report order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]

    def table(self, name: str) -> Table:
        """The table named ``name``."""
        for t in self.tables():
            if t.name == name:
                return t
        raise KeyError(name)

    def figure(self, label: str) -> Figure:
        """The headline figure labelled ``label``."""
        for f in self.headline:
            if f.label == label:
                return f
        raise KeyError(label)

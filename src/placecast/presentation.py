"""Rich tables shared by the CLI and the demo (presentation only; no calculations)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table


def summary_table(summary: pd.DataFrame, categories: list[str], title: str) -> Table:
    """Children looked after at each 31 March (``date, category, children``) as a wide table."""
    wide = summary.pivot(index="category", columns="date", values="children").reindex([*categories, "total"])
    table = Table(title=title)
    table.add_column("category", no_wrap=True)
    for d in wide.columns:
        table.add_column(str(d)[:4], justify="right")
    for cat, row in wide.iterrows():
        table.add_row(str(cat), *[f"{int(v):,}" for v in row])
    return table

"""The true cost avoided by a synthetic programme: the same council simulated without it and with it."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from placecast.synth.returns import write_returns
from placecast.synth.simulate import SynthSettings, simulate


def _history(settings: SynthSettings):
    from placecast.ssda903 import ingest

    with tempfile.TemporaryDirectory() as folder:
        write_returns(simulate(settings), Path(folder))
        return ingest([Path(folder)], b"programme-truth")[0]


def true_avoided_by_month(settings: SynthSettings, unit_costs=None) -> pd.DataFrame:
    """``month_end, cost_without, cost_with, avoided`` (pounds) for each month from the programme's start
    to the end of the data: the placement cost of the council simulated without its programme less the
    cost with it (same seed and past; the futures diverge, as a real council's would)."""
    from placecast.finance import default_unit_costs
    from placecast.finance.actuals import history_cost

    if settings.programme is None:
        raise ValueError("The settings have no programme: give one (SynthProgramme) to measure what it avoids.")
    rates = unit_costs or default_unit_costs()
    without = _history(dataclasses.replace(settings, programme=None))
    with_programme = _history(settings)
    rows = []
    month = pd.Timestamp(settings.programme.start) + pd.offsets.MonthEnd(0)
    last = pd.Timestamp(date(settings.end_year, 3, 31))
    while month <= last:
        first = max(month.replace(day=1).date(), settings.programme.start)
        costs = [float(sum(history_cost(h.episodes, first, month.date(), rates).values()))
                 for h in (without, with_programme)]
        rows.append({"month_end": month.date().isoformat(), "cost_without": round(costs[0], 2),
                     "cost_with": round(costs[1], 2), "avoided": round(costs[0] - costs[1], 2)})
        month = (month + timedelta(days=1)) + pd.offsets.MonthEnd(0)
    return pd.DataFrame(rows)

"""Placecast: children looked after, from the SSDA903 return to the quarterly report.

The main entry points, for a notebook or a script (each is imported on first use):

>>> import placecast
>>> "run_quarter" in placecast.__all__ and placecast.DemandModel.__name__
'DemandModel'

Read and validate returns (``read_returns``, ``validate``), assemble them into a care history
(``assemble``, ``ingest``, ``load_history``), forecast (``DemandModel``, ``ForecastSettings``,
``backtest``), cost (``default_unit_costs``, ``cost_runs``, ``cost_summary``), work out the outturn
(``read_budget_input``, ``forecast_outturn``), run the quarter (``read_config``, ``QuarterInputs``,
``run_quarter``) and write the report (``build_report``, ``write_report``). ``docs/tutorial.py`` in
the repository takes an analyst from returns to the outturn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "read_returns": "placecast.ssda903", "validate": "placecast.ssda903", "assemble": "placecast.ssda903",
    "ingest": "placecast.ssda903", "load_history": "placecast.ssda903", "summarise": "placecast.ssda903",
    "History": "placecast.ssda903",
    "DemandModel": "placecast.model", "Forecast": "placecast.model", "ForecastSettings": "placecast.model",
    "backtest": "placecast.model",
    "UnitCosts": "placecast.finance", "default_unit_costs": "placecast.finance", "read_unit_costs": "placecast.finance",
    "cost_runs": "placecast.finance", "cost_summary": "placecast.finance",
    "read_budget_input": "placecast.finance.budget", "forecast_outturn": "placecast.finance.outturn",
    "read_config": "placecast.quarter", "QuarterInputs": "placecast.quarter", "QuarterResults": "placecast.quarter",
    "run_quarter": "placecast.quarter",
    "build_report": "placecast.report", "write_report": "placecast.report",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'placecast' has no attribute {name!r}")

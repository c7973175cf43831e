"""Demand model: fit hazards and entries, project with intervals, backtest against baselines.

Names are imported on first use, so ``placecast.model.settings`` (used by the CLI's options) does not
load the simulation.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from placecast.model.backtesting import BacktestResult, backtest, score
    from placecast.model.card import model_card, write_forecast
    from placecast.model.demand import DemandModel, Forecast, ModelInputError
    from placecast.model.settings import ForecastSettings, ModelSettingsError

_WHERE = {"BacktestResult": "backtesting", "backtest": "backtesting", "score": "backtesting", "model_card": "card",
          "write_forecast": "card", "DemandModel": "demand", "Forecast": "demand", "ModelInputError": "demand",
          "ForecastSettings": "settings", "ModelSettingsError": "settings"}

__all__ = ["BacktestResult", "DemandModel", "Forecast", "ForecastSettings", "ModelInputError", "ModelSettingsError",
           "backtest", "model_card", "score", "write_forecast"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"placecast.model.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'placecast.model' has no attribute {name!r}")

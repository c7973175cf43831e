"""Demand model: fit hazards and entries, project with intervals, backtest against baselines."""

from placecast.model.backtest import BacktestResult, backtest, score
from placecast.model.card import model_card, write_forecast
from placecast.model.demand import DemandModel, Forecast, ModelInputError

__all__ = ["BacktestResult", "DemandModel", "Forecast", "ModelInputError", "backtest", "model_card", "score",
           "write_forecast"]

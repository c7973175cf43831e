"""Performance indicators: definitions as data, RAG and direction of travel by the councils' rules,
indicators computed from the history, and benchmarks against statistical neighbours."""

from placecast.kpi.benchmarks import Benchmark, benchmark, read_dfe
from placecast.kpi.computed import compute_indicators
from placecast.kpi.definitions import (
    Indicator,
    IndicatorFileError,
    IndicatorValues,
    read_definitions,
    read_values,
)
from placecast.kpi.rag import ARROWS, Disagreement, check, direction, rate, rate_table

__all__ = [
    "ARROWS", "Benchmark", "Disagreement", "Indicator", "IndicatorFileError", "IndicatorValues", "benchmark",
    "check", "compute_indicators", "direction", "rate", "rate_table", "read_definitions", "read_dfe", "read_values",
]

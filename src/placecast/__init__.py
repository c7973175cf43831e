"""Placecast: children looked after, from the SSDA903 return to the quarterly report."""

__version__ = "0.1.0"

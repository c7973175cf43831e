"""Exceptions raised by the Placecast library.

The library raises these; the CLI turns them into messages and exit codes in one place
(exit 2 for input that cannot be used at all, 1 for data with errors).
"""

from __future__ import annotations


class PlacecastError(Exception):
    """Base class of every error Placecast raises on purpose."""


class UnusableInputError(PlacecastError):
    """The input cannot be read at all: missing path, not a table, binary, wrong encoding.

    The message names the file and says what to do.
    """


class ConfigError(PlacecastError):
    """A configuration file (taxonomy, code lists, settings) is invalid."""


class NotFittedError(PlacecastError):
    """A model was used before ``fit``."""

"""The SSDA903 return: code lists by year, taxonomy, reading, validation, assembly of the history.

Examples
--------
>>> from placecast.ssda903 import collection_year_end
>>> collection_year_end(2024).isoformat()
'2024-03-31'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from placecast.ssda903.assemble import History, assemble, count_in_care, summarise
from placecast.ssda903.codelists import (
    CodeLists,
    collection_year_end,
    collection_year_of,
    collection_year_start,
    load_code_lists,
)
from placecast.ssda903.findings import Finding, Findings
from placecast.ssda903.history_io import is_history_folder, read_history, write_history
from placecast.ssda903.read import ReturnSet, read_returns
from placecast.ssda903.taxonomy import Taxonomy, load_taxonomy
from placecast.ssda903.validate import ValidatedReturns, validate_returns

__all__ = [
    "CodeLists", "Finding", "Findings", "History", "ReturnSet", "Taxonomy", "ValidatedReturns",
    "assemble", "collection_year_end", "collection_year_of", "collection_year_start", "count_in_care",
    "ingest", "is_history_folder", "load_code_lists", "load_history", "load_taxonomy", "read_history",
    "read_returns", "summarise", "validate", "validate_returns", "write_history",
]


def validate(paths: Sequence[Path], year: int | None = None) -> ValidatedReturns:
    """Read and validate returns under ``paths``.

    Parameters
    ----------
    paths : folders of returns (one per collection year, named by the year it ends) or files.
    year : the collection year of files given directly (2025 = 2024/25).

    Returns
    -------
    ValidatedReturns
        The tables read and every finding, located by file, line, column and value.

    Examples
    --------
    >>> from placecast.testing import example_returns
    >>> validate([example_returns()]).findings.errors
    []
    """
    return validate_returns(read_returns(paths, year))


def ingest(paths: Sequence[Path], key: bytes, year: int | None = None, taxonomy: Taxonomy | None = None
           ) -> tuple[History, ValidatedReturns]:
    """Read, validate and assemble returns into a history.

    Parameters
    ----------
    paths : folders of returns or files (see :func:`validate`).
    key : the pseudonymisation key (keep it with the data: the same key gives the same pseudonyms).
    year : the collection year of files given directly.
    taxonomy : placement categories (default: the built-in taxonomy).

    Returns
    -------
    tuple[History, ValidatedReturns]
        The assembled history and the validated returns with their findings.

    Examples
    --------
    >>> from placecast.testing import example_returns
    >>> history, validated = ingest([example_returns()], b"a key kept with the data")
    >>> history.years
    [2023, 2024, 2025]
    """
    validated = validate(paths, year)
    return assemble(validated, key, taxonomy), validated


def load_history(path: Path, key: bytes | None = None, taxonomy: Taxonomy | None = None) -> History:
    """A history from an ingest folder, or assembled on the fly from a folder of returns.

    Parameters
    ----------
    path : a folder written by ``placecast ingest``, or a folder of returns.
    key : the pseudonymisation key when assembling returns (default: the configured key).
    taxonomy : placement categories when assembling returns.

    Returns
    -------
    History

    Examples
    --------
    >>> from placecast.testing import example_returns
    >>> load_history(example_returns(), b"k").census_date
    datetime.date(2025, 3, 31)
    """
    if is_history_folder(path):
        return read_history(path)
    import secrets

    # Reading returns just to look at them: an ephemeral key, so no key file is created.
    history, _ = ingest([path], key or secrets.token_bytes(32), taxonomy=taxonomy)
    return history

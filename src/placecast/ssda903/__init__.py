"""The SSDA903 return: code lists by year, taxonomy, reading, validation, assembly of the history.

Examples
--------
>>> from placecast.ssda903 import collection_year_end
>>> collection_year_end(2024).isoformat()
'2024-03-31'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from placecast.errors import UnusableInputError
from placecast.ssda903.assemble import History, assemble, count_in_care, summarise
from placecast.ssda903.codelists import (
    CodeLists,
    collection_year_end,
    collection_year_of,
    collection_year_start,
    load_code_lists,
)
from placecast.ssda903.findings import HISTORY_ERRORS, Finding, Findings
from placecast.ssda903.history_io import check_not_beside_returns, is_history_folder, read_history, write_history
from placecast.ssda903.read import ReturnSet, read_returns
from placecast.ssda903.taxonomy import Taxonomy, load_taxonomy
from placecast.ssda903.validate import ValidatedReturns, validate_returns

__all__ = [
    "CodeLists", "Finding", "Findings", "History", "ReturnSet", "Taxonomy", "ValidatedReturns",
    "assemble", "check_usable", "collection_year_end", "collection_year_of", "collection_year_start",
    "count_in_care", "folder_findings", "ingest", "is_history_folder", "load_code_lists", "load_history",
    "load_taxonomy", "read_history", "read_returns", "summarise", "validate", "validate_returns", "write_history",
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
        check_not_beside_returns(path)
        found = folder_findings(path)
        check_usable(found, path)
        _say_errors(found, f"{path} was ingested from returns with", f"see {Path(path) / 'findings.csv'}")
        return read_history(path)
    import secrets

    # Reading returns just to look at them: an ephemeral key, so no key file is created.
    history, validated = ingest([path], key or secrets.token_bytes(32), taxonomy=taxonomy)
    check_usable(validated.findings, path)
    _say_errors(list(validated.findings), f"Validating {path} found", f"'placecast validate {path}' lists them")
    return history


def _say_errors(findings: list[Finding], what: str, where: str) -> None:
    """A warning (counts only, no child's data) when the returns behind a history had errors: its figures
    rest on Placecast's repairs of them."""
    import logging

    errors = sum(f.is_error for f in findings)
    if errors:
        logging.getLogger(__name__).warning("%s %s error(s) and %s warning(s) (%s); the history is assembled with "
                                            "Placecast's repairs of them.", what, f"{errors:,}",
                                            f"{len(findings) - errors:,}", where)


def folder_findings(folder: Path) -> list[Finding]:
    """The findings an ingest folder was written with (its findings.csv; none when the file is absent)."""
    import csv

    file = Path(folder) / "findings.csv"
    if not file.is_file():
        return []
    with file.open(encoding="utf-8", newline="") as handle:
        return [Finding(r.get("file", ""), int(r.get("line") or 0), r.get("column", ""), r.get("value", ""),
                        r.get("rule", ""), r.get("severity", ""), r.get("message", ""))
                for r in csv.DictReader(handle)]


def check_usable(findings: Iterable[Finding], source: Path | str) -> None:
    """Refuse a history whose validation found an error that misstates who was in care (:data:`HISTORY_ERRORS`:
    a year missing between two returns, a year with no episodes): :class:`UnusableInputError` names each one
    and what to do, so no forecast, cost or report is made from it.

    >>> from placecast.ssda903.findings import finding
    >>> gap = finding("returns/2023", 0, "", "2022/23", "YEAR_MISSING", "Add the 2023/ folder.")
    >>> check_usable([gap], "returns")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    placecast.errors.UnusableInputError: returns: the care history cannot be used: returns/2023: Add the 2023/ ...
    """
    found = [f for f in findings if f.rule in HISTORY_ERRORS]
    if found:
        problems = " ".join(f"{f.file}: {f.message}" for f in found)
        raise UnusableInputError(f"{source}: the care history cannot be used: {problems} Nothing was forecast, "
                                 "costed or reported from it.")

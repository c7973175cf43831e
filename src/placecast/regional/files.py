"""The regional capacity file: the beds of each placement category the region's councils have.

Examples
--------
>>> CapacityFile.model_validate({"beds": {"residential_inhouse": 40}}).beds
{'residential_inhouse': 40}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from placecast.errors import LocatedProblem
from placecast.schema import InputFileError, StrictModel, load_file, unknown_among


class CapacityFile(StrictModel):
    """Beds by placement category (the taxonomy's category ids, e.g. residential_inhouse)."""

    description: str = ""
    beds: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)


def _capacity_csv(path: Path, categories: list[str]) -> tuple[CapacityFile, dict]:
    """A capacity table as councils keep one: CSV columns category and beds, one row a category (every
    problem at once: a category the taxonomy does not know beside a count that is not one)."""
    import csv

    from placecast.schema import read_text, validate_data

    file = str(path)
    rows = list(csv.DictReader(read_text(path).splitlines()))
    header = {str(k) for k in rows[0] if k is not None} if rows else set()
    if header != {"category", "beds"}:
        raise InputFileError([LocatedProblem(file, "1", "", ", ".join(sorted(header)), "a capacity CSV has two "
                                             "columns, category and beds, and a row for each category.")])
    beds: dict[str, object] = {}
    lines: dict = {}
    problems = []
    for number, row in enumerate(rows, start=2):
        if extra := [v for v in row.get(None) or [] if v.strip()]:  # type: ignore[call-overload]
            problems.append(LocatedProblem(file, str(number), "", ",".join(extra), "a value past the two columns "
                                           "category and beds; remove it, or the comma before it."))
        category, count = (row["category"] or "").strip(), (row["beds"] or "").strip()
        if category in beds:
            problems.append(LocatedProblem(file, str(number), "category", category, f"given twice (line "
                                           f"{lines[('beds', category)]}); give each category once."))
        beds[category] = int(count) if count.isdigit() else count
        lines[("beds", category)] = number
        if category not in categories:
            problems.append(unknown_among(file, lines, ("beds", category), category, categories, "placement category"))
    result = validate_data(CapacityFile, {"beds": beds}, file, lines)
    if problems or result.problems:
        raise InputFileError([*problems, *result.problems])
    return result.model, lines  # type: ignore[return-value]


def read_capacity(path: Path, categories: list[str]) -> dict[str, int]:
    """The beds in ``path`` (YAML, or a CSV of category and beds); a category the taxonomy does not know is an
    error naming the accepted ones."""
    model, lines = (_capacity_csv(path, categories) if Path(path).suffix.lower() == ".csv"
                    else load_file(path, CapacityFile))
    unknown = [c for c in model.beds if c not in categories]
    if unknown:
        raise InputFileError([unknown_among(str(path), lines, ("beds", c), c, categories, "placement category")
                              for c in unknown])
    return dict(model.beds)

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
from placecast.schema import InputFileError, StrictModel, load_file


class CapacityFile(StrictModel):
    """Beds by placement category (the taxonomy's category ids, e.g. residential_inhouse)."""

    description: str = ""
    beds: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)


def read_capacity(path: Path, categories: list[str]) -> dict[str, int]:
    """The beds in ``path``; a category the taxonomy does not know is an error naming the accepted ones."""
    model, lines = load_file(path, CapacityFile)
    unknown = [c for c in model.beds if c not in categories]
    if unknown:
        raise InputFileError([LocatedProblem(str(path), str(lines.get(("beds", c), "-")), f"beds.{c}", c,
                                             f"unknown placement category; use one of {', '.join(categories)}.")
                              for c in unknown])
    return dict(model.beds)

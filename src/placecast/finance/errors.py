"""Located errors for finance input files."""

from __future__ import annotations

from dataclasses import dataclass

from placecast.errors import PlacecastError


@dataclass(frozen=True)
class InputProblem:
    file: str
    where: str  # a line number or a key path
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, {self.where}, {self.column}: '{self.value}': {self.message}"


class FinanceInputError(PlacecastError):
    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        listed = "\n".join(f"  {p}" for p in problems[:50])
        super().__init__(f"{len(problems)} problem(s) in the finance input:\n{listed}")

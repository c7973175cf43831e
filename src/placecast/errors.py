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


class LocatedProblem:
    """One problem in an input file: file, where (a line number or a key), column, value, what to do."""

    __slots__ = ("file", "where", "column", "value", "message")

    def __init__(self, file: str, where: str, column: str, value: str, message: str) -> None:
        self.file, self.where, self.column, self.value, self.message = file, where, column, value, message

    def __repr__(self) -> str:
        return f"LocatedProblem({self.file!r}, {self.where!r}, {self.column!r}, {self.value!r}, {self.message!r})"

    def __str__(self) -> str:
        where = f"line {self.where}" if self.where.isdigit() else self.where
        column = f", column {self.column}" if self.column else ""
        value = f" '{self.value}':" if self.value else ""
        return f"{self.file}, {where}{column}:{value} {self.message}"


class LocatedInputError(PlacecastError):
    """An input file has problems; ``problems`` lists every one (the first 50 are in the message)."""

    what = "the input"

    def __init__(self, problems: list[LocatedProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in {self.what}:\n{shown}{more}")


def load_yaml(path, fail):
    """The parsed YAML file at ``path``; ``fail(message)`` makes the exception raised when it cannot be
    read or parsed (so each caller reports in its own located form)."""
    from pathlib import Path

    import yaml

    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot be read ({exc}).") from exc
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML ({exc}).") from exc

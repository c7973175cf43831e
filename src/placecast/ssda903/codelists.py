"""SSDA903 code lists, versioned by collection year, loaded from ``codes/code_lists.yaml``.

A collection year is named by the year it ends: 2025 is 1 April 2024 to 31 March 2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

#: Our packaged YAML is parsed with libyaml when PyYAML has it (ten times faster; same result), else in Python.
PACKAGED_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CODES_PACKAGE = "placecast.ssda903.codes"


def collection_year_start(year: int) -> date:
    """First day of collection year ``year`` (1 April of the year before)."""
    return date(year - 1, 4, 1)


def collection_year_end(year: int) -> date:
    """Last day of collection year ``year`` (31 March)."""
    return date(year, 3, 31)


def collection_year_of(day: date) -> int:
    """The collection year that contains ``day``."""
    return day.year + 1 if day.month >= 4 else day.year


@dataclass(frozen=True)
class Code:
    """A code of a field with the collection years it is valid in."""

    code: str
    description: str
    first_year: int | None = None
    last_year: int | None = None
    means: str | None = None
    temporary: bool = False

    def valid_in(self, year: int) -> bool:
        """True when the code is valid in collection year ``year``."""
        if self.first_year is not None and year < self.first_year:
            return False
        return not (self.last_year is not None and year > self.last_year)

    def validity(self) -> str:
        """The code's validity in words, e.g. 'valid from 2024/25'."""
        if self.first_year and self.last_year:
            first = f"{self.first_year - 1}/{self.first_year % 100:02d}"
            last = f"{self.last_year - 1}/{self.last_year % 100:02d}"
            return f"valid from {first} to {last}"
        if self.first_year:
            return f"valid from {self.first_year - 1}/{self.first_year % 100:02d}"
        if self.last_year:
            return f"retired after {self.last_year - 1}/{self.last_year % 100:02d}"
        return "valid in every year"


@dataclass(frozen=True)
class CodeField:
    """A coded field of the return and its codes."""

    name: str
    description: str
    codes: dict[str, Code]
    legacy: dict[str, str] = field(default_factory=dict)

    def codes_for_year(self, year: int) -> list[str]:
        """The codes valid in collection year ``year``."""
        return [c.code for c in self.codes.values() if c.valid_in(year)]

    def meanings(self) -> dict[str, str]:
        """Each earlier year's code by the code it means now (SEX: 1 means M and 2 F before 2024/25).

        >>> load_code_lists().fields["SEX"].meanings()
        {'1': 'M', '2': 'F'}
        """
        return {c.code: c.means for c in self.codes.values() if c.means}


@dataclass(frozen=True)
class CodeLists:
    """The code lists of every coded field, versioned by collection year."""

    fields: dict[str, CodeField]
    provider_not_allowed: dict[str, dict[str, list[str]]]
    no_provider: frozenset[str]
    short_break_legal_status: frozenset[str]
    continuation_rne: frozenset[str]

    def provider_allowed(self, place: str, provider: str) -> bool:
        """True when placement ``place`` may have provider ``provider``."""
        rule = self.provider_not_allowed.get(provider)
        if rule is None:
            return True
        if "except_only" in rule:
            return place in rule["except_only"]
        return place not in rule.get("not", [])

    @property
    def temporary_places(self) -> frozenset[str]:
        """The temporary placement codes (T0-T4)."""
        return frozenset(c.code for c in self.fields["PLACE"].codes.values() if c.temporary)


def _parse(raw: dict[str, Any]) -> CodeLists:
    fields: dict[str, CodeField] = {}
    for name, spec in raw["fields"].items():
        codes = {
            str(code): Code(
                code=str(code),
                description=str(entry.get("description", "")),
                first_year=entry.get("from"),
                last_year=entry.get("to"),
                means=entry.get("means"),
                temporary=bool(entry.get("temporary", False)),
            )
            for code, entry in spec["codes"].items()
        }
        legacy = {str(k): str(v["maps_to"]) for k, v in (spec.get("legacy") or {}).items()}
        fields[name] = CodeField(name, spec.get("description", name), codes, legacy)
    return CodeLists(
        fields=fields,
        provider_not_allowed=raw["provider_not_allowed"],
        no_provider=frozenset(raw["no_provider"]),
        short_break_legal_status=frozenset(raw["short_break_legal_status"]),
        continuation_rne=frozenset(raw["continuation_rne"]),
    )


@lru_cache(maxsize=1)
def load_code_lists() -> CodeLists:
    """Load the packaged code lists."""
    text = resources.files(CODES_PACKAGE).joinpath("code_lists.yaml").read_text(encoding="utf-8")
    return _parse(yaml.load(text, Loader=PACKAGED_LOADER))

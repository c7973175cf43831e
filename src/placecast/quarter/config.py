"""The report configuration (``report.yaml``): which council, which quarter, and where its inputs are.

Paths are relative to the configuration file. Only ``council``, ``data`` and ``budget`` are required;
everything else has a default (built-in unit costs, recovery scenario and indicator definitions).

Quarters are quarters of the financial year: ``2025-Q2`` (or ``2025/26 Q2``) is July to September
2025, reported at 30 September 2025; ``2025-Q4`` ends on 31 March 2026.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator

from placecast.errors import LocatedInputError, LocatedProblem
from placecast.finance.calendar import quarter_end
from placecast.finance.files import THOUSANDS_WORDS
from placecast.model.settings import ForecastSettings
from placecast.schema import StrictModel, empty_keys, load_file, located, number_text, spelled_as, unknown_among

# the report's unit as councils' reports head their columns: £'000, £k; £m, £ million
MONEY_UNIT_WORDS = {**THOUSANDS_WORDS, "£ m": "£m", "£million": "£m", "£ million": "£m", "£ millions": "£m",
                    "£mn": "£m"}


class ReportConfigError(LocatedInputError):
    """The report configuration or commentary has problems; ``problems`` lists every one, located."""

    what = "the report configuration"


DEMO_DATA = "builtin:demo"
DEFAULT_TITLE = "Children's Services Portfolio Performance and Resources"
FILE_KEYS = ("budget", "unit_costs", "commitments", "plan", "scenario", "indicators", "values", "commentary",
             "rules")
BUILTIN = {"demo-budget": ("placecast.report", "defaults/demo_budget.yaml"),
           "demo-plan": ("placecast.report", "defaults/demo_plan.yaml"),
           "demo-commentary": ("placecast.report", "defaults/demo_commentary.yaml"),
           "indicators": ("placecast.report", "defaults/indicators.csv"),
           "unit-costs": ("placecast.finance", "unit_costs.yaml"),
           "scenario": ("placecast.programme", "default_scenario.yaml"),
           "rag-rules": ("placecast.kpi", "rules.yaml"),
           "taxonomy": ("placecast.ssda903.codes", "taxonomy.yaml")}


def builtin_file(reference: str) -> Path:
    """The path of a built-in file named ``builtin:NAME`` (ReportConfigError for an unknown name)."""
    from importlib import resources

    name = reference.removeprefix("builtin:")
    if name not in BUILTIN:
        raise ReportConfigError([LocatedProblem("report configuration", "-", "", reference,
                                                f"no built-in file '{name}'; use one of {', '.join(BUILTIN)}.")])
    package, file = BUILTIN[name]
    return Path(str(resources.files(package).joinpath(file)))


_QUARTER = re.compile(r"^\s*(\d{4})(?:/(\d{2}))?[\s-]*Q([1-4])\s*$", re.IGNORECASE)
_QUARTER_FIRST = re.compile(r"^\s*Q([1-4])[\s-]+(\d{4}/\d{2})\s*$", re.IGNORECASE)  # Q2 2025/26, as councils title


def _whole_number(value: object) -> object:
    """A count as typed, its thousands grouped (60,000)."""
    return number_text(value, "") if isinstance(value, str) else value


def parse_quarter(text: str) -> tuple[str, date]:
    """``2025-Q2``, ``2025/26 Q2`` or ``Q2 2025/26`` -> ("2025/26 Q2", 2025-09-30)."""
    first = _QUARTER_FIRST.match(str(text))
    m = _QUARTER.match(f"{first.group(2)} Q{first.group(1)}" if first else str(text))
    if not m:
        raise ValueError(f"'{text}' is not a quarter; write it as YYYY-Qn, for example 2025-Q2 (July to "
                         "September 2025, the second quarter of 2025/26).")
    year, q = int(m.group(1)), int(m.group(3))
    if m.group(2) and int(m.group(2)) != (year + 1) % 100:
        raise ValueError(f"'{text}': {year}/{m.group(2)} is not a financial year; did you mean "
                         f"{year}/{(year + 1) % 100:02d}?")
    return f"{year}/{(year + 1) % 100:02d} Q{q}", quarter_end(year, q)


class Benchmarking(StrictModel):
    """Where the DfE statistics are and which council to benchmark."""

    stats: Path = Field(description="Folder of DfE published CSVs (children looked after statistics).")
    council: str = Field(description="Old code, new code or name of the council in the DfE files.")
    note: str = ""


SectionId = Literal["outturn", "children", "costs", "beds", "programme", "indicators", "benchmark", "quality",
                    "model"]


class CommentaryFile(StrictModel):
    """Commentary paragraphs keyed by report section and by indicator id."""

    sections: dict[SectionId, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    indicators: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)

    def section(self, ident: str) -> str:
        """The paragraph for section ``ident`` (spaces normalised), or ''."""
        return " ".join(self.sections.get(ident, "").split())  # type: ignore[call-overload]

    def indicator(self, ident: str) -> str:
        """The paragraph for indicator ``ident`` (spaces normalised), or ''."""
        return " ".join(self.indicators.get(ident, "").split())


def read_commentary(path: Path | None, indicator_ids: Iterable[str] | None = None) -> CommentaryFile:
    """The commentary file (schema ``commentary``), or no commentary when ``path`` is None. Given the
    indicators' ids, commentary for an id none of them has is an error naming the nearest one (it would never
    be shown, and the indicator it was meant for would be listed as having none)."""
    if path is None:
        return CommentaryFile()
    model, lines = load_file(path, CommentaryFile, ReportConfigError)
    known = list(indicator_ids) if indicator_ids is not None else None
    if known is not None:
        problems = []
        for ident in (i for i in model.indicators if i not in known):
            near = difflib.get_close_matches(ident, known, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            problems.append(located(str(path), lines, ("indicators", ident), ident, f"no indicator has this "
                                    f"id{hint}; use an id from the indicator definitions."))
        if problems:
            raise ReportConfigError(problems)
    return model


class ReportConfig(StrictModel):
    """The report configuration: the council, the quarter, its inputs and the forecast settings."""

    council: str
    title: str = DEFAULT_TITLE
    quarter: str | None = None
    data: list[Path] = Field(description="Folders of SSDA903 returns, or one folder written by 'placecast ingest'.")
    budget: Path
    unit_costs: Path | None = None
    commitments: Path | None = None
    plan: Path | None = None
    scenario: Path | None = None
    indicators: Path | None = None
    values: Path | None = Field(None, description="The values of indicators the SSDA903 returns cannot give (from "
                                "the council's other systems): placecast schema indicator-values.")
    commentary: Path | None = None
    rules: Path | None = Field(None, description="The council's RAG and direction-of-travel rules (placecast "
                               "defaults rag-rules); default: the built-in rules.")
    population_0_17: Annotated[int, BeforeValidator(_whole_number)] | None = Field(None, gt=0)
    money_unit: Annotated[Literal["£000", "£m"], BeforeValidator(spelled_as(MONEY_UNIT_WORDS))] = Field(
        "£000", description="The one money unit of the report's tables and charts (£000 or £m).")
    capacity: dict[str, int] = Field(default_factory=dict)
    benchmark: Benchmarking | None = None
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    key_file: Path | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str | Path) else value

    @field_validator("quarter", mode="before")
    @classmethod
    def _quarter(cls, value: object) -> str | None:
        if value is None:
            return None
        parse_quarter(str(value))
        return str(value)

    def resolved(self, base: Path) -> ReportConfig:
        """Relative paths made relative to ``base`` (the configuration file's folder); ``builtin:NAME``
        names a built-in file (``placecast defaults NAME``), and ``data: builtin:demo`` the demo council."""
        def fix(p: Path | None) -> Path | None:
            if p is None or str(p) == DEMO_DATA:
                return p
            if str(p).startswith("builtin:"):
                return builtin_file(str(p))
            return p if p.is_absolute() else base / p

        update: dict[str, object] = {name: fix(getattr(self, name)) for name in (*FILE_KEYS, "key_file")}
        update["data"] = [fix(p) for p in self.data]
        if self.benchmark is not None:
            update["benchmark"] = self.benchmark.model_copy(update={"stats": fix(self.benchmark.stats)})
        return self.model_copy(update=update)


# what leaving out a key of the configuration means, for the message of one written with no value ('plan:' and
# no file: read as left out, the report had no programme section and said nothing)
LEFT_OUT = {"plan": "the report then has no recovery programme", "commentary": "the report then has no commentary",
            "unit_costs": "the built-in illustrative unit costs are then used",
            "commitments": "the placements open in the history are then the commitments",
            "scenario": "the built-in recovery scenario is then run",
            "indicators": "the built-in indicators are then rated", "rules": "the built-in RAG rules then apply",
            "population_0_17": "no rate per 10,000 children is then shown",
            "quarter": "give the quarter with --quarter then"}


def read_config(path: Path) -> ReportConfig:
    """Read and check ``report.yaml`` (schema ``report-config``); every problem is reported with its line
    and key. Paths are made relative to the configuration file's folder.

    Parameters
    ----------
    path : the configuration file (``placecast defaults report-config`` prints one).

    Returns
    -------
    ReportConfig

    Examples
    --------
    >>> from importlib import resources
    >>> read_config(resources.files("placecast.report").joinpath("defaults", "report.yaml")).quarter
    '2025-Q2'
    """
    model, lines = load_file(path, ReportConfig, ReportConfigError)
    config = model.resolved(Path(path).resolve().parent)
    missing = missing_paths(config, str(path), lines, written=model) + _unknown_capacity(config, str(path), lines)
    missing = empty_keys(str(path), lines, (), model, LEFT_OUT) + missing
    if missing:
        raise ReportConfigError(missing)
    return config


def _unknown_capacity(config: ReportConfig, file: str, lines: dict) -> list[LocatedProblem]:
    """In-house capacity for a placement category the taxonomy does not have (the built-in one, or the one
    an ingest folder given as the data was made with): found on its line here, where the report stopped at
    its fifth step with the category alone."""
    from placecast.ssda903.history_io import categories_of
    from placecast.ssda903.taxonomy import load_taxonomy

    own = categories_of(config.data[0]) if len(config.data) == 1 else []
    categories = own or load_taxonomy().categories
    return [unknown_among(file, lines, ("capacity", key), key, categories, "placement category")
            for key in config.capacity if key not in categories]


def missing_paths(config: ReportConfig, file: str = "report configuration", lines: dict | None = None,
                  written: ReportConfig | None = None) -> list[LocatedProblem]:
    """A problem for each configured file or folder that does not exist: on its line, with the path as
    ``written`` there, when ``lines`` are the configuration file's."""
    def problem(key: str, index: int | None, message: str) -> LocatedProblem:
        value = getattr(written or config, key)
        value = value[index or 0] if key == "data" else value
        if lines is None:
            return LocatedProblem(file, key, key, str(value), message)
        return located(file, lines, (key,) if index is None else (key, index), str(value), message)

    out = [problem(key, None, "no such file; correct the path (relative paths are relative to the "
                   "configuration file).")
           for key in FILE_KEYS if (path := getattr(config, key)) is not None and not Path(path).is_file()]
    several = len(config.data) > 1
    out += [problem("data", i if several else None, "no such folder (relative paths are relative to the "
                    "configuration file).")
            for i, p in enumerate(config.data) if str(p) != DEMO_DATA and not Path(p).exists()]
    return out

"""The quarter's inputs, in memory: the only place the quarter pipeline reads paths.

Build :class:`QuarterInputs` from a report configuration with :meth:`QuarterInputs.from_config`, or
directly in Python from objects you already have (a history, a budget model, a scenario, ...).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from placecast.finance.budget import BudgetInput, read_budget_input
from placecast.finance.commitments import Commitments
from placecast.finance.unit_costs import UnitCosts
from placecast.kpi.benchmarks import Benchmark
from placecast.kpi.definitions import Indicator, IndicatorValues
from placecast.kpi.rag import Rules, load_rules
from placecast.model.settings import ForecastSettings
from placecast.programme.plan import Plan
from placecast.programme.scenario import Scenario
from placecast.quarter.config import (
    DEFAULT_TITLE,
    DEMO_DATA,
    FILE_KEYS,
    CommentaryFile,
    ReportConfig,
    ReportConfigError,
    missing_paths,
    read_commentary,
)
from placecast.ssda903.assemble import History

logger = logging.getLogger(__name__)
FINDING_COLUMNS = ["rule", "severity"]


def default_file(package: str, name: str) -> Path:
    """A built-in file's path (``placecast defaults`` prints the same files)."""
    return Path(str(resources.files(package).joinpath(name)))


@dataclass(frozen=True)
class QuarterInputs:
    """Everything the quarter is computed from.

    Parameters
    ----------
    council : the council's name, as the report shows it.
    history : the assembled care history (data after the quarter end are ignored when run).
    findings : one row per validation finding of the returns (``rule``, ``severity``).
    budget : the budget, validated (:func:`~placecast.finance.budget.read_budget_input`).
    unit_costs : weekly unit costs.
    scenario : the recovery scenario, run as its file says (runs, seed, horizon).
    indicators : indicator definitions by id.
    settings : the forecast settings.

    Examples
    --------
    >>> from placecast.quarter import QuarterInputs
    >>> QuarterInputs.__dataclass_fields__["settings"].type
    'ForecastSettings'
    """

    council: str
    history: History
    findings: pd.DataFrame
    budget: BudgetInput
    unit_costs: UnitCosts
    scenario: Scenario
    indicators: dict[str, Indicator]
    settings: ForecastSettings = field(default_factory=ForecastSettings)
    title: str = DEFAULT_TITLE
    quarter: str | None = None
    commitments: Commitments | None = None
    plan: Plan | None = None
    commentary: CommentaryFile = field(default_factory=CommentaryFile)
    population_0_17: int | None = None
    capacity: dict[str, int] = field(default_factory=dict)
    benchmark: Benchmark | None = None
    benchmark_note: str = ""
    warnings: tuple[str, ...] = ()
    money_unit: str = "£000"
    rules: Rules | None = None  # the council's RAG and direction-of-travel rules (None: the built-in ones)
    values: dict[str, IndicatorValues] = field(default_factory=dict)  # indicators the returns cannot give
    values_source: str = ""  # the file they were read from, for messages

    @classmethod
    def from_config(cls, config: ReportConfig) -> QuarterInputs:
        """Read every file the configuration names (each checked, every problem located) into memory."""
        from placecast.finance import default_unit_costs, read_commitments, read_unit_costs
        from placecast.kpi import read_definitions, read_values
        from placecast.programme import read_plan
        from placecast.programme.plan import pseudonymised
        from placecast.programme.scenario import read_scenario

        check_paths(config)
        logger.info("Reading the inputs named in the configuration: %s.", ", ".join(
            f"{k} {getattr(config, k)}" for k in FILE_KEYS if getattr(config, k) is not None))
        rates = read_unit_costs(config.unit_costs) if config.unit_costs else default_unit_costs()
        history, findings = read_data(config)
        scenario = read_scenario(config.scenario or default_file("placecast.programme", "default_scenario.yaml"))
        register = None
        if config.commitments is not None:
            register = read_commitments(config.commitments, rates.lines, data_key(config))
        bench, warnings = read_benchmark(config)
        warnings += examples_in_use(config) + tuple(rates.warnings())
        plan = read_plan(config.plan) if config.plan else None
        if plan is not None:
            plan = pseudonymised(plan, data_key(config))
        definitions = read_definitions(config.indicators or default_file("placecast.report",
                                                                        "defaults/indicators.csv"))
        return cls(config.council, history, findings, read_budget_input(config.budget), rates, scenario,
                   definitions, config.forecast, config.title, config.quarter, register,
                   plan, read_commentary(config.commentary, definitions),
                   config.population_0_17, dict(config.capacity or scenario.capacity), bench,
                   config.benchmark.note if config.benchmark else "", warnings, config.money_unit,
                   load_rules(config.rules) if config.rules else None,
                   read_values(config.values, definitions) if config.values else {}, str(config.values or ""))


def check_paths(config: ReportConfig) -> None:
    """Every configured file and folder exists, or one error lists those that do not."""
    missing = missing_paths(config)
    if missing:
        raise ReportConfigError(missing)


def data_key(config: ReportConfig) -> bytes:
    """The pseudonymisation key of the configuration's data (the demo council's own for builtin:demo)."""
    from placecast.ssda903.pseudonym import resolve_key

    if [str(p) for p in config.data] == [DEMO_DATA]:
        from placecast.synth.demo import DEMO_KEY

        return DEMO_KEY
    from placecast.ssda903 import is_history_folder

    if len(config.data) == 1 and is_history_folder(config.data[0]):
        return resolve_key(config.key_file, home=Path(config.data[0]), required=True)
    return _run_key(tuple(str(p) for p in config.data), config.key_file)


@lru_cache(maxsize=8)
def _run_key(data: tuple[str, ...], key_file: Path | None) -> bytes:
    """One key per run over returns, shared by the history, the plan and the commitments."""
    from placecast.ssda903.pseudonym import resolve_key

    return resolve_key(key_file)


def read_data(config: ReportConfig) -> tuple[History, pd.DataFrame]:
    """The care history and its validation findings: from an ingest folder, or validated and assembled
    from the returns."""
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable, folder_findings, ingest, is_history_folder, load_taxonomy, read_history

    if [str(p) for p in config.data] == [DEMO_DATA]:
        from placecast.synth.demo import demo_history

        history, validated = demo_history()
        found = list(validated.findings)
    elif len(config.data) == 1 and is_history_folder(config.data[0]):
        history, found = read_history(config.data[0]), folder_findings(config.data[0])  # read once
    else:
        history, validated = ingest(config.data, data_key(config), taxonomy=load_taxonomy())
        found = list(validated.findings)
    check_usable(found, ", ".join(str(p) for p in config.data))
    findings = pd.DataFrame([{"rule": f.rule, "severity": f.severity} for f in found], columns=FINDING_COLUMNS)
    if history.episodes.empty:
        raise UnusableInputError(f"{config.data[0]}: the data hold no episodes; nothing to report.")
    return history, findings


def examples_in_use(config: ReportConfig) -> tuple[str, ...]:
    """For a council's own data, each input left to the built-in example (the demo's, invented): its figures
    would be shown as the council's. Said in the report's warnings; nothing for the demo council itself."""
    if [str(p) for p in config.data] == [DEMO_DATA]:
        return ()
    beds = "" if config.capacity else "; the beds set against need are the example's too"
    left = {"unit_costs": ("unit costs are", "placement costs use the built-in illustrative unit costs (placecast "
                           "defaults unit-costs)", "money"),
            "scenario": ("recovery scenario is", "the recovery scenario is the built-in example programme (an invented "
                         f"edge of care team, step-downs and a new home; placecast defaults scenario){beds}",
                         "programme"),
            "indicators": ("indicator definitions are", "indicators are rated against the built-in example targets "
                           "(placecast defaults indicators)", "indicators")}
    return tuple(f"No {name} given for the council, so {what}, not the council's (on the web, the {page} page "
                 "takes the council's own)." for key, (name, what, page) in left.items()
                 if getattr(config, key) is None)


def read_benchmark(config: ReportConfig) -> tuple[Benchmark | None, tuple[str, ...]]:
    """The statistical-neighbour benchmark from the DfE statistics, or a warning when they are missing."""
    from placecast.kpi import benchmark

    if config.benchmark is None:
        return None, ()
    if not Path(config.benchmark.stats).is_dir():
        return None, (f"Benchmark statistics folder {config.benchmark.stats} not found: no benchmark chart.",)
    return benchmark(config.benchmark.council, config.benchmark.stats, "cla_rate"), ()

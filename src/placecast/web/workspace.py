"""A council's workspace: its folder (returns as uploaded, the assembled history with its pseudonymisation
key, the budget, plan and commentary, computed results and the report archive) and its store rows.

Everything here calls the library: returns are read, validated and assembled by ``placecast.ssda903``,
the quarter is :func:`placecast.quarter.run_quarter` through :func:`placecast.report.build_report`, and
pages read the :class:`~placecast.report.model.Report` it returns, so their figures are the report's.
"""

from __future__ import annotations

import pickle
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import Field
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from placecast.errors import UnusableInputError
from placecast.outputs import write_whole
from placecast.quarter.config import DEFAULT_TITLE
from placecast.schema import StrictModel
from placecast.store.workspace import Council, UserCouncil
from placecast.web.accounts import SignedIn

T = TypeVar("T")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}$")


class WorkspaceSettings(StrictModel):
    """A workspace's own settings (``workspace.yaml``): the quarter its pages show and the report's extras."""

    quarter: str = Field(description="The quarter the pages show, e.g. 2025-Q2.")
    population_0_17: int | None = Field(None, gt=0)
    money_unit: Literal["£000", "£m"] = Field(default="£000", description="The one money unit of the report's "
                                              "tables and charts.")
    title: str = Field(default=DEFAULT_TITLE, min_length=1,
                       max_length=200, description="The report's title, as the council names its quarterly report.")
    capacity: dict[str, int] = Field(default_factory=dict)
    stats: Path | None = None
    benchmark_council: str = ""
    forecast: dict = Field(default_factory=dict, description="Forecast settings set on the forecast page "
                           "(placecast.model.ForecastSettings); runs default to the server's.")


@dataclass(frozen=True)
class CouncilFile:
    """A file of the council's own that the quarter reads in place of a built-in example (or, for the
    commitments register, in place of the open placements in the history), uploaded on one of the pages."""

    key: str  # its key in the report configuration, and its name in the workspace's inputs
    kind: str  # in addresses: /c/{slug}/files/{kind}
    title: str
    what: str  # what the quarter does with it
    without: str  # what the quarter does without it
    suffixes: tuple[str, ...]  # the kinds of file it may be (.yml is kept as .yaml, unit costs as YAML)
    permission: str  # who may replace it (and download it)
    page: str
    builtin: str | None = None  # the built-in example to start from (placecast defaults NAME)


COUNCIL_FILES = (
    CouncilFile("indicators", "indicators", "Indicator definitions and targets",
                "Each indicator's name, polarity, unit and target, as the indicators are rated (CSV).",
                "The indicators are rated against Placecast's built-in example targets, not this council's.",
                (".csv",), "indicators", "indicators", "indicators"),
    CouncilFile("values", "indicator-values", "Values of indicators from other systems",
                "Indicators the SSDA903 returns cannot give (care leavers, education, ...), with their values now, at "
                "the year ends and the date of the current value (CSV, placecast schema indicator-values).",
                "Indicators the returns cannot give are left out of the report.", (".csv",), "indicators",
                "indicators"),
    CouncilFile("rules", "rag-rules", "RAG and direction-of-travel rules",
                "The council's own thresholds for Red, Amber and Green and for the direction of travel (YAML).",
                "The built-in rules are used.", (".yaml", ".yml"), "indicators", "indicators", "rag-rules"),
    CouncilFile("plan", "plan", "Recovery programme plan",
                "Invest-to-save cases, savings, milestones and the programme log of moves (YAML).",
                "No plan: the report has no programme tracking.", (".yaml", ".yml"), "money", "programme",
                "demo-plan"),
    CouncilFile("scenario", "scenario", "Recovery scenario",
                "The levers the report's scenario runs against the forecast, and the in-house beds (YAML).",
                "The scenario is Placecast's built-in example programme, not this council's.", (".yaml", ".yml"),
                "money", "programme", "scenario"),
    CouncilFile("unit_costs", "unit-costs", "Unit costs file",
                "The weekly cost of each cost line from its dates, as one file (YAML, or CSV of cost_line, "
                "weekly_cost, effective_from, inflation); it replaces the costs above, every line.",
                "The costs above are Placecast's built-in illustrative costs, not this council's.",
                (".yaml", ".yml", ".csv"), "money", "money", "unit-costs"),
    CouncilFile("commitments", "commitments", "Commitments register",
                "Each placement's weekly cost and dates, costed by day to the year end (CSV or Excel).",
                "Commitments are the placements open in the history at the quarter end, at the unit costs.",
                (".csv", ".xlsx"), "money", "money"),
)
# The placement taxonomy shapes the history itself: a new one assembles the returns again (an ingest job).
TAXONOMY = CouncilFile("taxonomy", "taxonomy", "Placement taxonomy",
                       "Which placement category each SSDA903 placement code and provider makes, with the categories' "
                       "names, as the history, the forecast and the costs group children (YAML).",
                       "The built-in taxonomy is used (its categories, as 'placecast defaults taxonomy' prints).",
                       (".yaml", ".yml"), "data", "data", "taxonomy")
COUNCIL_FILE = {f.kind: f for f in (*COUNCIL_FILES, TAXONOMY)}


@dataclass(frozen=True)
class Folder:
    """The folders and files of one workspace."""

    root: Path

    @property
    def returns(self) -> Path:
        """The returns as uploaded, a folder per collection year."""
        return self.root / "returns"

    @property
    def history(self) -> Path:
        """The assembled history with its pseudonymisation key."""
        return self.root / "history"

    @property
    def inputs(self) -> Path:
        """Budget, plan, scenario and commentary files."""
        return self.root / "inputs"

    @property
    def results(self) -> Path:
        """The computed quarters, for the pages."""
        return self.root / "results"

    @property
    def reports(self) -> Path:
        """The archive of generated reports."""
        return self.root / "reports"

    @property
    def key_file(self) -> Path:
        """The workspace's pseudonymisation key (readable by its owner only)."""
        return self.root / "pseudonym.key"

    def budget(self) -> Path | None:
        """The budget in effect: an uploaded workbook, else a YAML budget."""
        for name in ("budget.xlsx", "budget.yaml"):
            if (self.inputs / name).exists():
                return self.inputs / name
        return None

    def own_file(self, key: str) -> Path | None:
        """The council's own file for report-configuration key ``key`` (indicators.csv, plan.yaml, ...), or
        None when it has none."""
        for suffix in (".yaml", ".csv", ".xlsx"):
            if (self.inputs / f"{key}{suffix}").exists():
                return self.inputs / f"{key}{suffix}"
        return None

    def commentary_file(self, quarter: str) -> Path:
        """The commentary the report reads for ``quarter`` (the paragraphs written in the pages for it)."""
        return self.inputs / "commentary" / f"{quarter}.yaml"

    @property
    def settings_file(self) -> Path:
        """The workspace's settings (``workspace.yaml``); a new workspace has none until its quarter is set."""
        return self.root / "workspace.yaml"

    def settings(self) -> WorkspaceSettings:
        """The workspace's settings (its quarter and extras)."""
        if not self.settings_file.exists():
            raise UnusableInputError("This workspace has no quarter yet: set one on the money page.")
        return _settings(self.settings_file.read_text(encoding="utf-8")).model_copy(deep=True)

    def settings_with(self, update: dict | None) -> WorkspaceSettings:
        """The settings with ``update`` over them (a new workspace: ``update`` alone, which names a quarter)."""
        if not self.settings_file.exists() and update and update.get("quarter"):
            return WorkspaceSettings.model_validate(update)
        if not update:
            return self.settings()
        return WorkspaceSettings.model_validate({**self.settings().model_dump(), **update})  # checked, as typed

    def write_settings(self, settings: WorkspaceSettings) -> None:
        """Replace the workspace's settings atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(settings.model_dump(mode="json", exclude_none=True), sort_keys=False)
        write_whole(self.settings_file, text.encode("utf-8"))

    def results_file(self, quarter: str) -> Path:
        """Where the quarter's computed report model is kept."""
        return self.results / f"{quarter}.pickle"


@lru_cache(maxsize=64)
def _settings(text: str) -> WorkspaceSettings:
    """A workspace's settings from its file's text, parsed once for the same text (every page shows its
    quarter; reading the small file is cheap, parsing it is not)."""
    return WorkspaceSettings.model_validate(yaml.safe_load(text))


def folder(data_dir: Path, slug: str) -> Folder:
    """The folder of workspace ``slug`` (slugs are checked, so no path leaves the data folder)."""
    if not SLUG.match(slug):
        raise UnusableInputError(f"'{slug}' is not a workspace name: lower-case letters, digits and hyphens.")
    return Folder(Path(data_dir) / "councils" / slug)


def create_council(engine: Engine, data_dir: Path, slug: str, name: str, region: str = "") -> Council:
    """A new, empty workspace."""
    folder(data_dir, slug)
    with Session(engine) as s, s.begin():
        if s.scalar(select(Council).where(Council.slug == slug)) is not None:
            raise UnusableInputError(f"There is already a workspace '{slug}'.")
        council = Council(slug=slug, name=name, region=region, created_at=datetime.now(UTC))
        s.add(council)
        s.flush()
        s.expunge(council)
    for sub in ("returns", "inputs", "results", "reports"):
        (folder(data_dir, slug).root / sub).mkdir(parents=True, exist_ok=True)
    return council


_ALL_COUNCILS = select(Council).order_by(Council.name)  # made once: every page asks one of these
_GIVEN_COUNCILS = _ALL_COUNCILS.where(
    Council.id.in_(select(UserCouncil.council_id).where(UserCouncil.user_id == bindparam("user_id")))
    | ((Council.region == bindparam("region")) & (Council.region != ""))
)


def visible_councils(engine: Engine, user: SignedIn) -> list[Council]:
    """The councils a user may see: all for an admin, a region's for a regional user, else those given."""
    with Session(engine) as s:
        if user.role == "admin":
            return list(s.scalars(_ALL_COUNCILS))
        return list(s.scalars(_GIVEN_COUNCILS, {"user_id": user.id, "region": user.region}))


def council_by_id(engine: Engine, council_id: int) -> Council | None:
    """The council with this id, or None."""
    with Session(engine) as s:
        return s.get(Council, council_id)


def report_config(data_dir: Path, slug: str, name: str, runs: int, seed: int = 42, budget: Path | None = None,
                  staged: dict | None = None, files: dict[str, Path | None] | None = None):
    """The report configuration of a workspace, as ``placecast report`` would read it (with ``budget``, a
    staged upload, in place of the budget in effect, ``staged`` settings over the workspace's, and ``files``,
    council files by key, over its own, None for none, when given)."""
    from placecast.quarter import ReportConfig

    f = folder(data_dir, slug)
    ws = f.settings_with(staged)
    budget = budget or f.budget()
    if budget is None:
        raise UnusableInputError("Upload the budget workbook on the money page before the quarter can be run.")
    if not (f.history / "manifest.json").exists():
        raise UnusableInputError("Upload the SSDA903 returns on the data page before the quarter can be run.")
    _legacy_commentary(f)
    optional: dict[str, Path | None] = {"commentary": f.commentary_file(ws.quarter)}
    optional.update({c.key: f.own_file(c.key) for c in COUNCIL_FILES})
    optional.update(files or {})
    if slug == "demo":  # the synthetic demo council's own are the built-in examples, as in 'placecast demo'
        from placecast.quarter.config import builtin_file

        for key, name in (("unit_costs", "unit-costs"), ("indicators", "indicators")):
            if optional[key] is None or not optional[key].exists():  # type: ignore[union-attr]
                optional[key] = builtin_file(name)
    bench = None
    if ws.stats is not None and ws.stats.is_dir() and ws.benchmark_council:
        bench = {"stats": ws.stats, "council": ws.benchmark_council}
    return ReportConfig.model_validate({
        "council": name, "title": ws.title, "quarter": ws.quarter, "data": [f.history], "budget": budget,
        **{k: p for k, p in optional.items() if p is not None and p.exists()},
        "population_0_17": ws.population_0_17, "money_unit": ws.money_unit, "capacity": ws.capacity, "benchmark": bench,
        "forecast": {"runs": runs, "seed": seed, "backtest_runs": min(200, runs), **ws.forecast},
    })


def load_demo(engine: Engine, data_dir: Path, stats: Path | None = None) -> Council:
    """The synthetic demo council as a workspace: its returns, the demo's budget, plan, scenario and
    commentary, and its quarter (the history is assembled by the first ingest job)."""
    from placecast.demo import DEMO_KEY, DEMO_POPULATION, DEMO_QUARTER
    from placecast.ssda903.pseudonym import write_key_file
    from placecast.synth.demo import write_demo_returns

    council = create_council(engine, data_dir, "demo", "Demo council (synthetic data)", "Demo region")
    f = folder(data_dir, "demo")
    write_demo_returns(f.returns)
    write_key_file(f.key_file, DEMO_KEY.encode())
    base = resources.files("placecast.report").joinpath("defaults")
    for name, target in (("demo_budget.yaml", "budget.yaml"), ("demo_plan.yaml", "plan.yaml")):
        shutil.copyfile(str(base.joinpath(name)), f.inputs / target)
    _demo_commentary(engine, f, council.id, DEMO_QUARTER, Path(str(base.joinpath("demo_commentary.yaml"))))
    scenario = resources.files("placecast.programme").joinpath("default_scenario.yaml")
    shutil.copyfile(str(scenario), f.inputs / "scenario.yaml")
    f.write_settings(WorkspaceSettings(quarter=DEMO_QUARTER, population_0_17=DEMO_POPULATION,
                                       stats=stats, benchmark_council="Stockport" if stats else ""))
    return council


def _legacy_commentary(f: Folder) -> None:
    """A workspace's one commentary file of earlier versions (every quarter's) becomes the commentary of the
    quarter its pages show, as it was shown; the paragraphs written since are each their quarter's."""
    legacy = f.inputs / "commentary.yaml"
    if not legacy.exists() or not f.settings_file.exists():
        return
    target = f.commentary_file(f.settings().quarter)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        legacy.unlink()
    else:
        legacy.rename(target)


def _demo_commentary(engine: Engine, f: Folder, council_id: int, quarter: str, path: Path) -> None:
    """The demo's commentary, as paragraphs written in the pages for its quarter."""
    from placecast.quarter.config import read_commentary
    from placecast.web.commentary import keep

    demo = read_commentary(path)
    for kind, paragraphs in (("section", demo.sections), ("indicator", demo.indicators)):
        for ident, text in paragraphs.items():
            keep(engine, f, council_id, quarter, f"{kind}:{ident}", " ".join(text.split()), "demo")


def save_results(f: Folder, quarter: str, report) -> Path:
    """Keep the quarter's report model (with its results and its charts rendered) for the pages, replaced
    atomically."""
    from placecast.report.html import render_charts

    render_charts(report)
    f.results.mkdir(parents=True, exist_ok=True)
    path = f.results_file(quarter)
    write_whole(path, pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_report(f: Folder, quarter: str):
    """The quarter's report model as last computed, or None (cached while the file is unchanged)."""
    return read_when_changed(f.results_file(quarter), load_pickle)


def read_when_changed(path: Path, read: Callable[[str, int, int], T]) -> T | None:
    """``read(path, mtime_ns, size)``, a reader cached by those three (so the file is read again only when
    it changes); None when there is no file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def load_pickle(path: str, mtime_ns: int, size: int):
    """A report model this application's jobs pickled (read once while the file is unchanged)."""
    with open(path, "rb") as fh:
        return pickle.load(fh)  # written by this application's own jobs, inside its data folder

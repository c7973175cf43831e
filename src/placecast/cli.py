"""The ``placecast`` command line. Each command parses options, calls the library, prints a result.

Exit codes: 0 success; 1 findings (the data has errors, or a report's or outturn's figures carry a warning);
2 the input cannot be used (missing path, not a table, unreadable file, bad option); 3 an internal error
(please report it); 130 after Ctrl-C and 143 when stopped (SIGTERM), nothing from the run kept.
"""

from __future__ import annotations

import inspect
import logging
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from placecast.errors import PlacecastError, UnusableInputError
from placecast.model.settings import (
    DEFAULT_BACKTEST_RUNS,
    DEFAULT_HORIZON_MONTHS,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    DEFAULT_TREND_CARRY,
    ForecastSettings,
    children_words,
)
from placecast.outputs import write_tables

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Placecast: children looked after, from the SSDA903 return to the quarterly report.",
)
history_app = typer.Typer(no_args_is_help=True, help="Look at an assembled care history.")
app.add_typer(history_app, name="history")
kpi_app = typer.Typer(no_args_is_help=True, help="Performance indicators: ratings, computed values, benchmarks.")
app.add_typer(kpi_app, name="kpi")
programme_app = typer.Typer(no_args_is_help=True, help="Recovery programme: savings planned and realised.")
app.add_typer(programme_app, name="programme")
scenario_app = typer.Typer(no_args_is_help=True, help="Recovery scenarios against a frozen baseline.")
app.add_typer(scenario_app, name="scenario")

out = Console()
err = Console(stderr=True)
logger = logging.getLogger("placecast")


class Format(StrEnum):
    """Output format of findings: text, json, csv or xlsx (the Excel error report)."""

    text = "text"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class SummaryFormat(StrEnum):
    """Output format of a summary table: csv or text."""

    csv = "csv"
    text = "text"


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say what Placecast is doing, step by step.")]
    = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only show errors.")] = False,
) -> None:
    # --verbose says what Placecast is doing (its own INFO messages); other libraries stay at warnings
    logging.basicConfig(level=logging.ERROR if quiet else logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("placecast").setLevel(logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)
    from placecast.threads import one_blas_thread

    one_blas_thread()


Paths = Annotated[list[Path], typer.Argument(help="Folders of returns (named by collection year, e.g. 2024/) "
                                                  "or files.", show_default=False)]
YearOpt = Annotated[int | None, typer.Option("--year", help="Collection year of the files given (2024 = 2023/24).")]


@app.command()
def validate(
    paths: Paths,
    year: YearOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, json, csv or xlsx (the Excel error report; "
                                                         "needs --out).")] = Format.text,
    out_file: Annotated[Path | None, typer.Option("--out", help="File for --format xlsx.")] = None,
    show_child_ids: Annotated[bool, typer.Option("--show-child-ids", help="For the data owner: show child ids "
                                                 "in the Excel report (withheld by default).")] = False,
) -> None:
    """Validate SSDA903 returns. Exit 0: no errors (warnings allowed); 1: errors; 2: unreadable input."""
    from placecast.ssda903 import validate as run_validation

    if fmt is Format.xlsx and out_file is None:
        raise UnusableInputError("--format xlsx writes a workbook: give its file with --out, for example "
                                 "--out validation.xlsx.")
    result = run_validation(paths, year)
    findings = result.findings.sorted()
    if fmt is Format.xlsx:
        from placecast.ssda903.error_report import write_error_report

        assert out_file is not None
        write_error_report(findings, out_file, show_child_ids)
        out.print(f"{len(findings.errors):,} error(s), {len(findings.warnings):,} warning(s). Wrote {out_file}"
                  + (" (with child ids: keep it as safe as the returns)." if show_child_ids else "."))
    elif fmt is Format.json:
        typer.echo(findings.to_json())
    elif fmt is Format.csv:
        typer.echo(findings.to_csv(), nl=False)
    else:
        typer.echo(findings.to_text())
    raise typer.Exit(1 if findings.errors else 0)


def _out_not_among_returns(out_dir: Path, sources: list[Path], what: str) -> None:
    """Refuse an --out folder that is, or is inside, a folder of returns read by the command (an ingest
    folder may take a forecast beside its history)."""
    from placecast.ssda903.history_io import is_history_folder

    inside = [p for p in sources if out_dir.resolve().is_relative_to(Path(p).resolve()) and not is_history_folder(p)]
    if inside:
        raise typer.BadParameter(f"{out_dir} is among the returns in {inside[0]}: write {what} to a folder of its "
                                 "own (it would be read in place of the returns, or its files read as a year's "
                                 "tables, and next year's returns added there passed over).", param_hint="--out")


@app.command()
def ingest(
    paths: Paths,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the history, repairs and findings.")],
    year: YearOpt = None,
    taxonomy: Annotated[Path | None, typer.Option(help="Placement taxonomy YAML (copy of the default).")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL; default: OUT/placecast.sqlite.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="File holding the pseudonymisation key "
                                                       "(or set PLACECAST_KEY).")] = None,
    strict: Annotated[bool, typer.Option(help="Write nothing if validation finds errors.")] = False,
) -> None:
    """Validate and assemble returns into a clean episode history (Parquet), repairs and findings."""
    from placecast.presentation import counted
    from placecast.ssda903 import assemble, load_taxonomy, read_returns, validate_returns, write_history
    from placecast.ssda903.history_io import check_keeps_years, manifest_of
    from placecast.ssda903.pseudonym import KEY_FILE, KeyMismatchError, fingerprint, key_for_ingest
    from placecast.store import Store

    started = time.perf_counter()
    _out_not_among_returns(out_dir, paths, "the history")
    tax = load_taxonomy(taxonomy)
    key, keep_at = key_for_ingest(out_dir, key_file)
    known = manifest_of(out_dir).get("key_fingerprint")
    if known and known != fingerprint(key):
        raise KeyMismatchError(f"{out_dir} holds a history pseudonymised with another key (fingerprint {known}). "
                               "Give the key it was made with, or ingest into a new folder.")
    with err.status("Reading and validating returns..."):
        returns = read_returns(paths, year)
        validated = validate_returns(returns)
    findings = validated.findings.sorted()
    if strict and findings.errors:
        typer.echo(findings.to_text(), err=True)
        err.print(f"[red]{len(findings.errors)} error(s): nothing was written (--strict).[/red]")
        raise typer.Exit(1)
    with err.status("Assembling the history..."):
        history = assemble(validated, key, tax)
    check_keeps_years(out_dir, history.years)
    made_folder = not out_dir.exists()
    named = keep_at if keep_at is not None and keep_at.resolve() != (out_dir / KEY_FILE).resolve() else None
    try:
        if named is not None:  # a new key in a file of its own, not kept with the history
            _new_key_file(named, key)
        out_dir.mkdir(parents=True, exist_ok=True)
        store = Store(db or f"sqlite:///{(out_dir / 'placecast.sqlite').resolve()}")
        store.claim_key(fingerprint(key))
        written: list[Path] = []

        def write(dataset) -> None:  # inside the store's transaction: an interrupted write stores nothing
            written.extend(write_history(history, findings, out_dir, {"dataset_hash": dataset.content_hash,
                                                                      "key_fingerprint": fingerprint(key)},
                                         key=key if keep_at is not None and named is None else None))

        dataset, created = store.import_dataset(returns.files, history, findings, then=write)
    except BaseException:
        if made_folder:  # a failed or interrupted first ingest leaves no folder behind, nor a new key
            shutil.rmtree(out_dir, ignore_errors=True)
        if named is not None:
            named.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    out.print(f"Read {len(returns.files)} files for {len(history.years)} collection years "
              f"({history.years[0] if history.years else '-'}-{history.years[-1] if history.years else '-'}).")
    out.print(f"History: {len(history.episodes):,} episodes of {history.episodes['child_id'].nunique():,} children; "
              f"{counted(len(history.repairs), 'repair')}; {counted(len(findings.errors), 'error')}, "
              f"{counted(len(findings.warnings), 'warning')}. ({seconds:.1f} s)")
    out.print(("Stored as dataset " if created else "Already stored (same files): dataset ")
              + f"{dataset.id} ({dataset.content_hash[:12]}) in {store.shown}")
    out.print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}")
    raise typer.Exit(1 if findings.errors else 0)


def _new_key_file(path: Path, key: bytes) -> None:
    """A first ingest's key, kept in the key file named for it, once the returns have been read and checked."""
    from placecast.ssda903.pseudonym import write_key_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_key_file(path, key)
    err.print(f"Created the pseudonymisation key {path}. Keep it (and a backup) to get the same ids next year.",
              highlight=False)


@history_app.command("summary")
def history_summary(
    source: Annotated[Path, typer.Argument(help="An ingest folder, or a folder of returns.")],
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="csv or text.")] = SummaryFormat.csv,
    taxonomy: Annotated[Path | None, typer.Option(help="Placement taxonomy YAML.")] = None,
) -> None:
    """Children looked after at each 31 March by category (short breaks excluded), with totals; the last
    column is the data's end when their last year is not complete."""
    from placecast.ssda903 import load_history, load_taxonomy, summarise

    history = load_history(source, taxonomy=load_taxonomy(taxonomy))  # an ingest folder keeps its own
    table = summarise(history)
    if fmt is SummaryFormat.csv:
        typer.echo(table.to_csv(index=False), nl=False)
        return
    from placecast.presentation import summary_table

    t = summary_table(table, history.categories(), "Children looked after at each 31 March and at the data's end "
                      "(short breaks excluded)")
    out.print(t)


class Generator(StrEnum):
    """Which synthetic generator: daily hazards, or journeys drawn at entry."""

    hazard = "hazard"
    cohort = "cohort"


class UascChoice(StrEnum):
    """Which children a forecast covers: include, exclude or only UASC."""

    include = "include"
    exclude = "exclude"
    only = "only"


class CombineChoice(StrEnum):
    """The forecast as the microsimulation alone, or pooled with "no change" by the council's own backtest."""

    none = "none"
    no_change = "no-change"


def _warn(*said: str | None, about: object = None) -> None:
    """Each warning said (none for None), after what it is about when given (a file)."""
    for text in said:
        if text:
            err.print(f"[yellow]Warning:[/yellow] {f'{about}: ' if about is not None else ''}{text}", highlight=False)


def _priced_by(path: Path | None, what: str | None, whose: str = "the council's"):
    """The unit costs of ``path``, each implausible price said; without one, the built-in illustrative costs,
    and a warning that ``what`` are priced at them, not at the council's own (none when ``what`` is None:
    nothing is priced at them)."""
    from placecast.finance import default_unit_costs, read_unit_costs

    if path is not None:
        rates = read_unit_costs(path)
        _warn(*rates.warnings())  # a daily rate typed as a week's
        return rates
    if what is not None:
        _warn(_illustrative(what, whose))
    return default_unit_costs()


def _illustrative(what: str, whose: str = "the council's") -> str:
    """The warning that ``what`` are priced at the built-in illustrative unit costs."""
    return (f"{what} are at Placecast's built-in illustrative unit costs, not {whose}: pass --unit-costs "
            "(placecast defaults unit-costs gives a file to copy).")


def _start_date(text: str | None, option: str) -> date | None:
    """A date option written YYYY-MM-DD or dd/mm/yyyy."""
    if text is None:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"'{text}' is not a date; use YYYY-MM-DD or dd/mm/yyyy.", param_hint=option)


AGES_HELP = ("Only the children of these age bands, comma-separated (0, 1-4, 5-9, 10-13, 14-15, 16, 17), each "
             "counted as it ages into and out of them (default: every age).")


def _age_bands(text: str | None) -> list[str] | None:
    """The age bands of ``--ages`` (checked with the other settings)."""
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def _settings(**values: object) -> ForecastSettings:
    """The forecast settings from CLI options, checked by the one rule for each (exit 2 when out of range)."""
    from placecast.model.settings import settings_from_options

    return settings_from_options({k: v for k, v in values.items() if v is not None})


@app.command()
def forecast(
    source: Annotated[Path, typer.Argument(help="An ingest folder, or a folder of returns.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for forecast.csv, placement_days.csv, model_card.md.")],
    start: Annotated[str | None, typer.Option(help="Start date YYYY-MM-DD or dd/mm/yyyy (default: the data's "
                                                   "census date).")] = None,
    horizon_months: Annotated[int, typer.Option(help="Months ahead (1-120).")] = DEFAULT_HORIZON_MONTHS,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs (10-100,000).")] = DEFAULT_RUNS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULT_SEED,
    uasc: Annotated[UascChoice, typer.Option(help="include, exclude or only UASC.")] = UascChoice.include,
    backtest_runs: Annotated[int, typer.Option(help="Runs per backtest origin for the model card "
                                                    "(0: no backtest).")] = DEFAULT_BACKTEST_RUNS,
    by_age: Annotated[bool, typer.Option("--by-age", help="Also write forecast_by_age.csv (children in care "
                                                          "by age band).")] = False,
    ages: Annotated[str | None, typer.Option(help=AGES_HELP)] = None,
    trend_carry: Annotated[float, typer.Option(help="Share of the fitted trend in entries carried on beyond the "
                                                    "start, 0-1 (default 0: entries stay at their level at "
                                                    "the start, as councils' published starts support; 1: the "
                                                    "fitted line carried on).")] = DEFAULT_TREND_CARRY,
    combine: Annotated[CombineChoice, typer.Option(help="no-change (default): the microsimulation pooled with "
                                                        "'no change', weighted by each one's error in this "
                                                        "council's backtest; none: the microsimulation "
                                                        "alone.")] = CombineChoice.no_change,
) -> None:
    """Forecast children in care by placement category with prediction intervals."""
    from rich.progress import Progress

    from placecast.model import DemandModel, write_forecast
    from placecast.model.card import unknown_ages
    from placecast.model.combine import backtest_summary, plain_words, pooling, projected
    from placecast.model.settings import ages_words, few_runs_warning
    from placecast.ssda903 import load_history

    settings = _settings(runs=runs, seed=seed, horizon_months=horizon_months, uasc=uasc.value,
                         backtest_runs=backtest_runs, combine=combine.value.replace("-", "_"),
                         trend_carry=trend_carry, ages=_age_bands(ages))
    _out_not_among_returns(out_dir, [source], "the forecast")
    history = load_history(source)
    model = DemandModel.from_settings(settings).fit(history, _start_date(start, "--start"))
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"Simulating {runs:,} runs", total=runs)
        result, bt = projected(model, history, settings, settings.horizon_months, by_age,
                               lambda n: progress.advance(task, n))
    table = result.table()
    write_forecast(out_dir, model, result, bt, settings)
    last = table[(table["date"] == table["date"].max()) & (table["category"] == "total")].iloc[0]
    who = f" {words}" if (words := ages_words(settings.ages)) else ""
    out.print(f"Children in care{who} at {model.origin_.date()}: {result.children_at_start:,}; forecast "
              f"for {last['date']}: {last['mean']:,.0f} (80% range {last['p10']:,.0f}-{last['p90']:,.0f}).")
    if pooling(result):
        out.print(pooling(result))
    _warn(unknown_ages(model), few_runs_warning(runs))
    if bt is not None:
        out.print(backtest_summary(result, bt, 12))
        for sentence in plain_words(result, bt, settings.horizon_months):
            err.print(f"[yellow]Note:[/yellow] {sentence}", highlight=False)
    extra = ", forecast_by_age.csv" if by_age else ""
    out.print(f"Wrote forecast.csv{extra}, placement_days.csv, placement_days_runs.parquet, model_card.md and "
              f"forecast_settings.json to {out_dir}")


@app.command("backtest")
def backtest_command(
    source: Annotated[Path, typer.Argument(help="An ingest folder, or a folder of returns.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for metrics.csv, points.csv and summary.md.")],
    horizon_months: Annotated[int, typer.Option(help="Longest horizon to score (1-120).")] = 12,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs per origin (10-100,000).")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULT_SEED,
    uasc: Annotated[UascChoice, typer.Option(help="include, exclude or only UASC.")] = UascChoice.include,
) -> None:
    """Rolling-origin backtest against "no change" and linear-trend baselines."""
    from placecast.model import DemandModel, backtest
    from placecast.ssda903 import load_history

    settings = _settings(runs=runs, seed=seed, horizon_months=horizon_months, uasc=uasc.value)
    _out_not_among_returns(out_dir, [source], "the backtest")
    history = load_history(source)
    horizons = tuple(sorted({h for h in (3, 6, 12, 24) if h < horizon_months} | {horizon_months}))
    with err.status("Backtesting..."):
        result = backtest(history, DemandModel.from_settings(settings), horizons=horizons)
    scored = set(result.metrics["horizon_months"]) if not result.metrics.empty else set()
    text = result.summary_text(horizon_months)
    if scored and horizon_months not in scored:  # the summary is at the longest horizon the data reach
        text += (f" No origin has {horizon_months} months of data after it (the data end on "
                 f"{history.census_date:%d/%m/%Y}): {max(scored)} months is the longest horizon they can score.")
    write_tables(out_dir, {"metrics.csv": result.metrics.round(4), "points.csv": result.points.round(2)},
                 {"summary.md": f"# Backtest\n\n{text}\n"}, "backtest")
    out.print(text)
    out.print(f"Wrote metrics.csv, points.csv and summary.md to {out_dir}")


@kpi_app.command("rate")
def kpi_rate(
    values: Annotated[Path, typer.Argument(help="Indicator values (CSV or YAML).")],
    definitions: Annotated[Path, typer.Option(help="Indicator definitions (CSV or YAML).")],
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="csv or text.")] = SummaryFormat.text,
    rules: Annotated[Path | None, typer.Option(help="The council's RAG and direction-of-travel rules (placecast "
                                                    "defaults rag-rules); default: the built-in rules.")] = None,
) -> None:
    """Derive every RAG rating and direction of travel; list published ones that disagree (exit 1)."""
    from placecast.kpi import check, rate_table, read_definitions, read_values
    from placecast.kpi.definitions import scale_warnings
    from placecast.kpi.rag import load_rules, rules_in_effect

    defs = read_definitions(definitions)
    vals = read_values(values, defs)
    _warn(*scale_warnings(defs, vals))
    with rules_in_effect(load_rules(rules) if rules else None):
        table = rate_table(defs, vals)
        problems = check(defs, vals)
    if fmt is SummaryFormat.csv:
        typer.echo(table.to_csv(index=False), nl=False)
    else:
        t = Table(title="Indicators rated by the rules (RAG as word and symbol)")
        for col in ("id", "current", "target", "rag", "arrow", "direction", "published"):
            t.add_column(col, no_wrap=col != "published")
        for r in table.itertuples():
            pub = f"{r.published_rag or '-'} {r.published_direction or '-'}" + ("" if r.agrees else "  DISAGREES")
            missing = r.current is None or r.current != r.current  # None, or NaN from a blank cell
            t.add_row(str(r.id), "not given" if missing else f"{r.current:g}", str(r.target), r.rag, r.arrow,
                      r.direction, pub)
        out.print(t)
    for d in problems:
        err.print(f"{d.id}: published {d.what} '{d.published}' but the rules give '{d.derived}' ({d.why}).")
    err.print(f"{len(table)} indicators rated; {len(problems)} published rating(s) or arrow(s) "
              "disagree with the rules.")
    raise typer.Exit(1 if problems else 0)


@kpi_app.command("compute")
def kpi_compute(
    source: Annotated[Path, typer.Argument(help="An ingest folder, or a folder of returns.")],
    as_at: Annotated[str, typer.Option("--as-at", help="Date YYYY-MM-DD.")],
    population: Annotated[int | None, typer.Option(min=1, help="ONS population aged 0-17, for the rate per "
                                                                "10,000.")] = None,
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="csv or text.")] = SummaryFormat.text,
) -> None:
    """Indicators computed from the care history at a date, each with numerator and denominator."""
    from placecast.kpi import compute_indicators
    from placecast.kpi.computed import population_warning
    from placecast.ssda903 import load_history

    day = _start_date(as_at, "--as-at")
    assert day is not None
    from placecast.ssda903.assemble import known_at

    history = load_history(source)
    history.check_covers(day, "--as-at")
    if day < history.census_date:  # what was known then: the same definition as the report's
        history = known_at(history, day)
    table = compute_indicators(history.episodes, day, population)
    _warn(population_warning(int(table.set_index("id").loc["CLA", "value"]), population))
    if fmt is SummaryFormat.csv:
        typer.echo(table.to_csv(index=False), nl=False)
        return
    t = Table(title=f"Indicators at {day.isoformat()}")
    for col in ("id", "name", "value", "numerator", "denominator"):
        t.add_column(col, justify="right" if col in ("value", "numerator", "denominator") else "left")
    for r in table.itertuples():
        value = f"{r.value:,.1f}" if r.unit in ("%", "rate") else f"{r.value:,.0f}"
        has_denominator = r.denominator is not None and r.denominator == r.denominator
        t.add_row(r.id, r.name, value, f"{r.numerator:,.0f}", f"{r.denominator:,.0f}" if has_denominator else "")
    out.print(t)


@kpi_app.command("benchmark")
def kpi_benchmark(
    council: Annotated[str, typer.Option(help="Old code (e.g. 356), new code (E08000007) or name.")],
    stats: Annotated[Path, typer.Option(help="Folder of DfE published CSVs.")],
    measure: Annotated[str, typer.Option(help="cla_rate, starts_rate, stability_3plus, stability_long_term, "
                                              "care_leavers_suitable or new_placements_far.")] = "cla_rate",
    fmt: Annotated[SummaryFormat, typer.Option("--format", help="csv or text.")] = SummaryFormat.text,
) -> None:
    """A published measure against statistical neighbours, region and England (default: rate per 10,000)."""
    import pandas as pd

    from placecast.kpi import benchmark
    from placecast.kpi.benchmarks import MEASURES

    result = benchmark(council, stats, measure)
    if fmt is SummaryFormat.csv:
        typer.echo(result.table.to_csv(index=False), nl=False)
        return
    t = Table(title=f"{result.council} ({result.old_la_code}, {result.new_la_code}), {result.region}: "
                    f"{MEASURES[measure].name}")
    for col in ("year", "council", "rank", "neighbours' average", "region", "England"):
        t.add_column(col, justify="right")
    for r in result.table.itertuples():
        def shown(v, status: str = "") -> str:
            return (status or "suppressed") if v is None or v != v else f"{v:g}"

        rank = f"{int(r.rank)} of {r.of}" if pd.notna(r.rank) else "-"
        t.add_row(str(r.year), shown(r.council, r.status), rank, shown(r.sn_average),
                  shown(r.region), shown(r.england))
    out.print(t)
    out.print(f"Statistical neighbours (DfE model): {', '.join(result.neighbours_named())}. Rank 1 = lowest value.")


@app.command()
def outturn(
    budget_file: Annotated[Path, typer.Argument(help="Budget YAML (see examples/seed001/budget.yaml).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the outturn tables (CSV).")],
    as_at: Annotated[str | None, typer.Option("--as-at", help="Date of the forecast, YYYY-MM-DD (default: the end "
                                                             "of the budget file's period).")] = None,
    commitments: Annotated[Path | None, typer.Option(help="Commitments register (CSV or XLSX).")] = None,
    forecast_dir: Annotated[Path | None, typer.Option("--forecast", help="A folder written by 'placecast "
                                                                          "forecast'.")] = None,
    history: Annotated[Path | None, typer.Option(help="Ingest folder: placement actuals since 1 April, "
                                                      "commitments when no register is given, and a "
                                                      "reconciliation with the register.")] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="Unit costs (YAML or CSV).")] = None,
    key_file: Annotated[Path | None, typer.Option(help="The pseudonymisation key the history was made with "
                                                       "(default: the ingest folder's own).")] = None,
) -> None:
    """Forecast outturn against the cash limit, budget changes and reserves, in £000.

    Budget lines may take 'actuals_to_date: from_history' (days in care since 1 April at unit costs),
    'committed_to_year_end: from_commitments' (the register, or the history's open placements, costed by
    day from the day after --as-at to 31 March or each planned end) and 'new_demand: from_forecast' (the
    forecast's mean placement cost to 31 March, less what is already committed: negative when the
    forecast expects placements to end before their committed end).

    Exit 1 when the figures carry a warning (a position beyond half the cash limit, lines shown at budget for
    want of a forecast, a movement not shown): the tables are written, to be checked.
    """
    import pandas as pd

    from placecast.finance import read_commitments, reconcile
    from placecast.finance.budget import read_budget_input
    from placecast.finance.outturn import (
        check_data_cover_the_year,
        data_gap_warning,
        forecast_outturn,
    )

    budget_input = read_budget_input(budget_file)
    day = _start_date(as_at, "--as-at") if as_at else _period_end(budget_input.model)
    assert day is not None
    _check_budget_for(budget_input.model, day, budget_file)
    rates = _priced_by(unit_costs, "the placement costs computed from the data" if history or forecast_dir else None)
    extra: dict[str, pd.DataFrame] = {}
    register = None
    hist = None
    if history is not None:
        from placecast.ssda903 import load_history

        hist = load_history(history)
        check_data_cover_the_year(hist.first_day, day)
    if commitments is not None:
        from placecast.ssda903 import is_history_folder
        from placecast.ssda903.pseudonym import resolve_key

        home = history if history is not None and is_history_folder(history) else None
        register = read_commitments(commitments, rates.lines,
                                    resolve_key(key_file, home=home, required=home is not None))
        _warn(register.price_warning(rates, day), about=commitments)
        if hist is not None:
            paid = [c for c in rates.lines if rates.weekly(c, day) > 0]
            orphan, unfunded = reconcile(register, hist.episodes, day, paid)
            extra["commitments_without_episode.csv"] = orphan
            extra["placements_without_commitment.csv"] = unfunded
            if len(orphan) or len(unfunded):
                err.print(f"[yellow]Reconciliation:[/yellow] {len(orphan)} commitment(s) with no child in care "
                          f"on {day:%d/%m/%Y} and {len(unfunded)} paid placement(s) open in the history with no "
                          "commitment (commitments_without_episode.csv, placements_without_commitment.csv).",
                          highlight=False)
    run_costs = None if forecast_dir is None else _outturn_run_costs(forecast_dir, hist, day, rates)
    result = forecast_outturn(budget_input, day, rates, commitments=register, run_costs=run_costs,
                              history_episodes=None if hist is None else hist.episodes)
    findings = result.warnings()
    _warn(data_gap_warning(hist.census_date, day) if hist is not None else None, *findings)
    budget = result.budget
    tables = result.tables()
    headline = result.headline()
    write_tables(out_dir, {**tables, **extra}, owner="outturn")
    _print_outturn(budget, tables["outturn.csv"], headline, out_dir)
    if findings:  # exit 1, as the report with the same warnings does: the tables are written, to be checked
        raise typer.Exit(1)


def _outturn_run_costs(forecast_dir: Path, hist: Any, day: date, rates: Any) -> Any:
    """The forecast's runs costed for the outturn, once the folder is known to count every child and, beside a
    history, to be made from it from the position date."""
    from placecast.finance import cost_runs
    from placecast.finance.outturn import check_counts_every_child
    from placecast.model.card import check_forecast_is_of, recorded_settings

    recorded = recorded_settings(forecast_dir)
    check_counts_every_child(recorded.get("uasc", "include"), f"{forecast_dir}: the forecast", "forecast with "
                             "--uasc include for the outturn", recorded.get("ages"))
    if hist is not None:
        check_forecast_is_of(forecast_dir, hist.episodes, day, hist.census_date)
    return cost_runs(_forecast_runs(forecast_dir), rates)


def _forecast_runs(forecast_dir: Path) -> Any:
    """Every run's placement-days from a folder written by 'placecast forecast' (for costing)."""
    import pandas as pd

    runs_file = forecast_dir / "placement_days_runs.parquet"
    if not runs_file.exists():
        raise UnusableInputError(f"{forecast_dir}: no placement_days_runs.parquet; run 'placecast forecast' first.")
    return pd.read_parquet(runs_file)


def _check_budget_for(model: Any, day: date, budget_file: Path) -> None:
    """The budget must be for the position date's year (exit 2), and is said when it names another period."""
    from placecast.finance.budget import check_budget_year, period_warning

    check_budget_year(model, day, f"{budget_file}: the budget")
    _warn(period_warning(model, day), about=budget_file)


def _print_outturn(budget: Any, outturn_rows: Any, headline: dict, out_dir: Path) -> None:
    """The outturn table and the headline in the terminal (£000)."""
    from placecast.finance.budget import share_text
    from placecast.presentation import gbp

    t = Table(title=f"{budget.title} {budget.period_label}: forecast outturn (£000)")
    used = budget.adjustments_used
    cols = ["line", "cash_limit", "forecast_net_expenditure", *used, "reserves",
            "net_after_adjustments_and_reserves", "deficit", "previous_deficit"]
    labels = {"line": "line", "cash_limit": "cash limit", "forecast_net_expenditure": "forecast", **used,
              "reserves": "reserves", "net_after_adjustments_and_reserves": "net after",
              "deficit": "deficit", "previous_deficit": "previous"}
    for c in cols:
        t.add_column(labels[c], justify="left" if c == "line" else "right", no_wrap=c != "line")
    for r in outturn_rows.to_dict("records"):
        t.add_row(*[str(r[c]) if c == "line" else ("" if r[c] is None else f"{r[c]:,}".replace("-", "(") +
                                                   (")" if r[c] is not None and r[c] < 0 else "")) for c in cols])
    out.print(t)
    h = headline

    def position(key: str, pct: str) -> str:  # a deficit, or a surplus in words (never 'a deficit of -£39k')
        share = share_text(None if h[pct] is None else abs(h[pct]))
        return f"a surplus of {gbp(-h[key], 'k')} ({share})" if h[key] < 0 else \
            f"a deficit of {gbp(h[key], 'k')} ({share})"

    out.print(f"Before reserves, {position('deficit_before_reserves', 'deficit_before_pct')}; after "
              f"{gbp(h['reserves_used'], 'k')} of reserves, {position('deficit_after_reserves', 'deficit_after_pct')}.")
    if "mitigations" in h:
        out.print(f"Mitigations not yet delivered {gbp(h['mitigations'], 'k')}: after them, "
                  f"{position('deficit_after_mitigations', 'deficit_after_mitigations_pct')}.")
    if "movement" in h:
        out.print(f"Movement on the previous report ({budget.movement_basis}): " + (
            f"n/a ({budget.why_no_movement()})." if h["movement"] is None
            else f"{gbp(h['movement'], 'k')} (from {gbp(h['previous_position'], 'k')})."))
    out.print(f"Tables written to {out_dir} (money in whole £000; columns ending _gbp in pounds)")


def _period_end(model: Any) -> date:
    """The last day of the budget file's period, for an outturn run without --as-at."""
    from placecast.finance.periods import parse_period

    if not (model.year and model.period):
        raise UnusableInputError("give --as-at YYYY-MM-DD, or 'year' and 'period' in the budget file (its end is "
                                 "then the as-at date).")
    return parse_period(model.period).end(model.year)


@app.command()
def region(
    paths: Annotated[list[Path], typer.Argument(help="Folders holding one folder of returns (or ingest folder) per "
                                                     "council; with --council-column, folders of stacked returns.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the regional tables and report.")],
    council_column: Annotated[str | None, typer.Option(help="The column naming the council in stacked returns "
                                                            "(for example council or LA).")] = None,
    councils: Annotated[str | None, typer.Option(help="Only these councils, comma-separated.")] = None,
    capacity: Annotated[Path | None, typer.Option(help="The region's beds by placement category: YAML (placecast "
                                                       "schema capacity) or a CSV of category,beds.")] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="The region's weekly unit costs (YAML or CSV); default: "
                                                         "the built-in illustrative ones.")] = None,
    council_unit_costs: Annotated[list[str] | None, typer.Option(
        "--council-unit-costs", help="A council's own weekly unit costs, as COUNCIL=FILE (repeat it for each "
                                     "council that has its own); the others are costed at --unit-costs.")] = None,
    start: Annotated[str | None, typer.Option(help="Common start YYYY-MM-DD (default: the earliest census date "
                                                   "among the councils).")] = None,
    horizon_months: Annotated[int, typer.Option(help="Months ahead (1-120).")] = DEFAULT_HORIZON_MONTHS,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs per council (10-100,000).")] = DEFAULT_RUNS,
    seed: Annotated[int, typer.Option(help="Random seed (each council's own is derived from it).")] = DEFAULT_SEED,
    uasc: Annotated[UascChoice, typer.Option(help="include, exclude or only UASC.")] = UascChoice.include,
    by_age: Annotated[bool, typer.Option("--by-age", help="Also the children in care by age band.")] = False,
    ages: Annotated[str | None, typer.Option(help=AGES_HELP)] = None,
    combine: Annotated[CombineChoice, typer.Option(help="no-change (default): each council's microsimulation "
                                                        "pooled with 'no change' by its own backtest; none: the "
                                                        "microsimulations alone.")] = CombineChoice.no_change,
    backtest_runs: Annotated[int, typer.Option(help="Runs per backtest origin for each council's weights "
                                                    "(0: none, equal weights; the weights need only the "
                                                    "backtest's central forecasts).")] = 100,
    workers: Annotated[int, typer.Option(min=0, help="Local Dask workers (0: in this process).")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="A Dask scheduler's address instead of a local "
                                                       "cluster.")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Also the regional report (HTML, PDF, "
                                                                     "Excel).")] = True,
    title: Annotated[str, typer.Option(help="The report's title.")] = "Regional children in care forecast",
    name: Annotated[str, typer.Option("--name", help="The region's name in the report.")] = "Region",
) -> None:
    """A region's forecast from its councils' returns, per council and for the region.

    Each council is validated and forecast on its own, and the region is the sum of their runs: children in
    care by category, cost by financial year, and beds against capacity."""
    import tempfile

    from placecast.distributed import dask_client
    from placecast.model.card import FORECAST_SETTINGS, settings_record
    from placecast.regional.files import read_capacity
    from placecast.regional.run import regional_forecast
    from placecast.regional.sources import council_folders
    from placecast.ssda903 import load_taxonomy

    settings = _settings(runs=runs, seed=seed, horizon_months=horizon_months, uasc=uasc.value,
                         backtest_runs=backtest_runs, combine=combine.value.replace("-", "_"), ages=_age_bands(ages))
    _out_not_among_returns(out_dir, paths, "the region's tables")
    beds = read_capacity(capacity, load_taxonomy().categories) if capacity else {}
    own = _council_costs(council_unit_costs or [])
    with tempfile.TemporaryDirectory() as work, _stacked_paths_named(work):
        folders = _chosen_councils(council_folders(paths, council_column, Path(work)), councils)
        if unknown := sorted(set(own) - set(folders)):  # before a warning about the others' costs
            raise typer.BadParameter(f"no council {', '.join(unknown)}; the councils are {', '.join(folders)}.",
                                     param_hint="--council-unit-costs")
        rates = _priced_by(unit_costs, None)  # said below, once the councils' returns are read and forecast
        context = dask_client(scheduler, workers)
        with context as client, err.status(f"Forecasting {len(folders)} councils..."):
            results = regional_forecast(folders, settings, rates, _start_date(start, "--start"), beds, client,
                                        by_age, own)
    if unit_costs is None and not (own and set(folders) <= set(own)):
        _warn(_illustrative("the region's costs" + (" (of the councils without their own)" if own else ""),
                            "its own"))
    texts = {FORECAST_SETTINGS: settings_record(settings.model_dump(mode="json"), results.start)}
    written = _write_region(out_dir, results, texts, (title, name) if report else None)
    _print_council_notes(results)
    _print_region(results, settings)
    if written:
        out.print(f"Report: {', '.join(str(p) for p in written.values())}")
    out.print(f"Tables written to {out_dir}")


def _write_region(out_dir: Path, results: Any, texts: dict[str, str], report: tuple[str, str] | None
                  ) -> dict[str, Path]:
    """The region's tables (with the children they count, and from when), and its report when ``report``
    gives its title and name: rendered first (the slow part) and moved in just after the tables, so that an
    interrupted run does not leave new tables beside an earlier report."""
    if report is None:
        write_tables(out_dir, results.tables(), texts, "region")
        return {}
    from placecast.outputs import atomic_folder
    from placecast.regional.report import regional_report
    from placecast.report.write import render_report

    with atomic_folder(out_dir / "report") as staged:
        names = {kind: path.name for kind, path in render_report(regional_report(results, *report), staged).items()}
        write_tables(out_dir, results.tables(), texts, "region")
    return {kind: out_dir / "report" / name for kind, name in names.items()}


def _print_region(results: Any, settings: ForecastSettings) -> None:
    """The region's children now and at the horizon, with the 80% range, in one line."""
    table = results.region.table()
    last = table[(table["date"] == table["date"].max()) & (table["category"] == "total")].iloc[0]
    who = f" ({children})" if (children := children_words(settings.uasc, settings.ages)) else ""
    out.print(f"Region: {sum(c.children_now for c in results.councils):,} children in care{who} at "
              f"{results.start:%d/%m/%Y} in {len(results.councils)} councils; forecast for {last['date']}: "
              f"{last['mean']:,.0f} (80% range {last['p10']:,.0f}-{last['p90']:,.0f}).")


def _council_costs(given: list[str]) -> dict[str, Any]:
    """Each council's own unit costs from --council-unit-costs COUNCIL=FILE (read, each implausible price
    said)."""
    own = {}
    for item in given:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise typer.BadParameter(f"'{item}': write COUNCIL=FILE, the council as the region names it.",
                                     param_hint="--council-unit-costs")
        if name.strip() in own:
            raise typer.BadParameter(f"{name.strip()} is given twice; give each council's unit costs once.",
                                     param_hint="--council-unit-costs")
        own[name.strip()] = _priced_by(Path(path.strip()), None)
    return own


def _chosen_councils(folders: dict[str, Path], councils: str | None) -> dict[str, Path]:
    """The councils --councils names (comma-separated), or all of them."""
    if not councils:
        return folders
    wanted = [c.strip() for c in councils.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in folders]
    if unknown:
        raise typer.BadParameter(f"no council {', '.join(unknown)}; the councils are {', '.join(folders)}.",
                                 param_hint="--councils")
    return {c: folders[c] for c in wanted}


def _print_council_notes(results: Any) -> None:
    """Each council's validation errors, and councils whose data go beyond the region's start."""
    for c in results.councils:
        if c.errors:
            err.print(f"{c.name}: {c.errors} validation error(s), {c.warnings} warning(s); run placecast validate "
                      "on its returns for the details.")
    _warn(results.later_data(), results.mixed_categories())


@contextmanager
def _stacked_paths_named(work: str) -> Iterator[None]:
    """Stacked returns are split by council into a temporary folder; a problem found there names the
    stacked file and the council's rows in it, not the temporary path."""
    try:
        yield
    except UnusableInputError as exc:
        text = str(exc)
        for council in sorted((p.name for p in Path(work).iterdir()), key=len, reverse=True):
            folder = f"{work}/{council}"
            text = text.replace(f" ({folder})", "")
            # folder names are letters, digits, spaces, _ . and - (regional.sources._safe): safe in a template
            text = re.sub(re.escape(folder) + r"/([^\s:]+)", rf"\1 (the rows of council {council})", text)
        raise UnusableInputError(text) from None


@app.command()
def national(
    stats: Annotated[Path, typer.Option(help="Folder of the DfE's published CSVs (placement types, totals, "
                                             "characteristics, la_lookup).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the forecast tables and model card.")],
    origin: Annotated[int | None, typer.Option(help="Forecast from 31 March of this year (default: the last "
                                                    "published).")] = None,
    years: Annotated[int, typer.Option(min=1, max=3, help="Years ahead (1 to 3).")] = 3,
    runs: Annotated[int, typer.Option(min=10, max=100_000, help="Monte Carlo runs.")] = DEFAULT_RUNS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = DEFAULT_SEED,
    workers: Annotated[int, typer.Option(min=0, help="Local Dask workers (0: in this process).")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="A Dask scheduler's address (tcp://host:8786) instead of "
                                                       "a local cluster.")] = None,
    backtest_too: Annotated[bool, typer.Option("--backtest/--no-backtest", help="Score the model on the "
                                                                             "published years.")] = True,
) -> None:
    """Every council's, region's and England's children looked after, from the DfE's published statistics.

    By placement group at 31 March, one to three years ahead, with 80% intervals and the model's own backtest."""
    from placecast.distributed import dask_client
    from placecast.national.run import model_card, national_forecast

    context = dask_client(scheduler, workers)
    with context as client:
        results = national_forecast(stats, origin, years, runs, seed, client, backtest_too)
    write_tables(out_dir, results.tables(), {"national_model_card.md": model_card(results)}, "national")
    e = results.england[results.england["placement"] == "Total"]
    for r in e.to_dict("records"):
        out.print(f"England at 31 March {r['year']}: {r['mean']:,.0f} (80% interval {r['p10']:,.0f} to "
                  f"{r['p90']:,.0f})")
    out.print(f"{results.councils['code'].nunique()} councils and {results.regions['region'].nunique()} regions "
              f"written to {out_dir} (national_councils.csv, national_regions.csv, national_england.csv, "
              "national_model_card.md).")


@app.command()
def costs(
    forecast_dir: Annotated[Path, typer.Argument(help="A folder written by 'placecast forecast'.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for cost_by_year.csv and cost_by_month.csv.")],
    unit_costs: Annotated[Path | None, typer.Option(help="Unit costs (YAML or CSV); default: the built-in ones.")]
    = None,
) -> None:
    """Cost a forecast: placement-days x daily cost per run; mean and P10/P50/P90 of cost."""
    from placecast.finance import cost_runs, cost_summary
    from placecast.model.card import FORECAST_SETTINGS, recorded_settings

    runs = _forecast_runs(forecast_dir)
    recorded = Path(forecast_dir) / FORECAST_SETTINGS  # which children, from when: kept beside the costs
    made_with = recorded_settings(forecast_dir)
    children = children_words(str(made_with.get("uasc", "include")), made_with.get("ages"))
    who = f", {children}" if children else ""
    rates = _priced_by(unit_costs, "the forecast's costs")
    first_month = date.fromisoformat(str(runs["month_end"].min())[:10]).replace(day=1)
    rates.check_in_force(first_month, "the forecast's days")
    costed = cost_runs(runs, rates)
    by_year = cost_summary(costed, "financial_year").round(0)
    by_month = cost_summary(costed, "month_end").round(0)
    write_tables(out_dir, {"cost_by_year.csv": by_year, "cost_by_month.csv": by_month},
                 {FORECAST_SETTINGS: recorded.read_text(encoding="utf-8")} if recorded.exists() else None, "costs")
    t = Table(title=f"Placement cost forecast by financial year (£, quantiles across runs{who})")
    for c in ("financial_year", "mean_gbp", "p10_gbp", "p50_gbp", "p90_gbp"):
        t.add_column(c, justify="right")
    for r in by_year[by_year["category"] == "total"].itertuples():
        t.add_row(r.financial_year, f"{r.mean_gbp:,.0f}", f"{r.p10_gbp:,.0f}", f"{r.p50_gbp:,.0f}", f"{r.p90_gbp:,.0f}")
    out.print(t)
    out.print(f"Wrote cost_by_year.csv and cost_by_month.csv to {out_dir}")


@programme_app.command("track")
def programme_track(
    plan_file: Annotated[Path, typer.Argument(help="Programme plan YAML (see examples/programme/seeds.yaml).")],
    as_at: Annotated[str, typer.Option("--as-at", help="Date YYYY-MM-DD (for overdue milestones).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the programme tables (CSV).")],
    history: Annotated[Path | None, typer.Option(help="Ingest folder or returns: detect step-downs and returns "
                                                      "home since the plan's 'approved' date.")] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="Unit costs (YAML or CSV).")] = None,
    key_file: Annotated[Path | None, typer.Option(help="The pseudonymisation key the history was made with "
                                                       "(default: the ingest folder's own).")] = None,
) -> None:
    """Invest-to-save cases, per-case benefits, realised cost avoidance, savings programme, milestones."""
    from placecast.finance import default_unit_costs
    from placecast.presentation import gbp
    from placecast.programme import read_plan
    from placecast.programme.plan import saving_warnings
    from placecast.programme.tracker import programme_tables

    day = _start_date(as_at, "--as-at")
    assert day is not None
    plan = read_plan(plan_file)
    _warn(*plan.warnings(), about=plan_file)
    hist = None
    rates = None
    if history is not None:
        from placecast.ssda903 import load_history

        if plan.approved is None:
            raise UnusableInputError(f"{plan_file}: add 'approved: YYYY-MM-DD' (when the plan was approved) to "
                                     "detect realised savings from the history.")
        from placecast.programme.plan import pseudonymised
        from placecast.ssda903.pseudonym import resolve_key

        rates = _priced_by(unit_costs, "realised avoidance and the baseline's cost")
        hist = load_history(history)
        from placecast.ssda903 import is_history_folder

        home = history if is_history_folder(history) else None
        plan = pseudonymised(plan, resolve_key(key_file, home=home, required=home is not None))
    _warn(*saving_warnings(plan, rates or default_unit_costs()), about=plan_file)
    results = programme_tables(plan, day, hist, rates)
    tables = results.tables()
    summary = results.invest_to_save_summary
    cases = summary.to_dict("records") if summary is not None else []
    notes = [n for n in (cb.check() for cb in plan.case_benefits) if n]
    cf = results.counterfactual
    if cf is not None:
        _print_counterfactual(cf)
    write_tables(out_dir, tables, owner="programme")
    for c in cases:
        one_off = f", one-off and capital costs {gbp(c['one_off_cost'])}" if c["one_off_cost"] else ""
        out.print(f"{c['case']}: saving {gbp(c['saving'])}, delivery cost {gbp(c['delivery_cost'])}{one_off}, "
                  "net saving "
                  f"{gbp(-float(c['net']))}; return per £1 {c['return_per_pound']}; payback "  # type: ignore[arg-type]
                  f"{c['payback_month']}; in-year {gbp(c['in_year_saving'])}, full-year effect "
                  f"{gbp(c['full_year_effect'])}.")
    if results.realised_avoidance is not None:
        _print_logged_moves(results.realised_avoidance, day, counterfactual=cf is not None)
    for note in notes:
        err.print(note)
    overdue = [m for m in plan.milestones if m.overdue(day.isoformat())]
    for m in overdue:
        err.print(f"Overdue: {m.project}: {m.milestone} (due {m.due}, {m.status}).")
    out.print(f"Wrote {', '.join(sorted(tables))} to {out_dir}")
    unconfirmed = cf.evidence["logged"] - cf.evidence["logged and in the history"] if cf is not None else 0
    if unconfirmed:  # findings: exit 1, as for returns with errors
        err.print(f"[red]{unconfirmed} logged move(s) the care history does not confirm (above): check the log or "
                  "the returns.[/red]")
        raise typer.Exit(1)


def _print_counterfactual(cf) -> None:
    """Realised avoidance to date by lever, the rest of the year and the full-year effect, each with its 80%
    interval, the evidence, and the log's findings."""
    from placecast.finance.calendar import fy_end
    from placecast.presentation import gbp
    from placecast.programme.levers import LEVERS

    t = cf.to_date
    out.print(f"Realised cost avoidance {cf.first_day:%d/%m/%Y} to {cf.last_day:%d/%m/%Y}, against the baseline "
              f"frozen at approval ({cf.approved:%d/%m/%Y}): {gbp(t.mean)} (80% interval {gbp(t.p10)} to "
              f"{gbp(t.p90)}); the baseline expected {gbp(cf.baseline_cost.mean)}, the days cost "
              f"{gbp(cf.actual_cost)}. Only moves beyond what the baseline expected count. {cf.interval_basis()}")
    for lever, v in cf.by_lever.items():
        out.print(f"  {LEVERS[lever]}: {gbp(v.mean)} ({gbp(v.p10)} to {gbp(v.p90)})")
    if (r := cf.rest_of_year) is not None:
        out.print(f"Forecast for the rest of the year, to {fy_end(cf.last_day):%d/%m/%Y} (the baseline less the "
                  f"current forecast): {gbp(r.mean)} (80% interval {gbp(r.p10)} to {gbp(r.p90)}).")
    f = cf.full_year_effect
    how = "the log's confirmed events" if cf.attribution == "log" else "the history alone"
    out.print(f"Full-year effect of the position at {cf.last_day:%d/%m/%Y}: {gbp(f.mean)} (80% interval "
              f"{gbp(f.p10)} to {gbp(f.p90)}). Evidence: {', '.join(f'{k} {v}' for k, v in cf.evidence.items())} "
              f"(detected events are evidence, not savings; attribution by lever from {how}).")
    for finding in cf.findings:
        err.print(finding)


def _print_logged_moves(table, as_at: date, counterfactual: bool) -> None:
    """The plan's log costed as it claims (each move in full): to date and to 31 March, named for what it is."""
    from placecast.presentation import gbp

    later = int((table["from"] > as_at).sum())
    against = ("; the realised avoidance above is what counts" if counterfactual
               else "; give --history to measure them against the baseline frozen at approval")
    out.print(f"Moves in the plan's log, each counted in full as the log costs it (not measured against what would "
              f"have happened anyway{against}): {gbp(table['to_date'].sum())} to {as_at:%d/%m/%Y}, "
              f"{gbp(table['in_year'].sum())} to the end of each move's financial year, from {len(table)} "
              "logged move(s).")
    if later:
        _warn(f"{later} logged move(s) dated after {as_at:%d/%m/%Y}: nothing of them is counted to date.")


def _run_scenarios(files: list[Path], history: Path | None, out_dir: Path | None, workers: int = 0,
                   scheduler: str | None = None, unit_costs: Path | None = None) -> None:
    import hashlib

    import pandas as pd

    from placecast.distributed import dask_client
    from placecast.programme.scenario import already_running, comparison_tables, read_scenario, run_scenarios
    from placecast.ssda903 import load_history

    scenarios = [read_scenario(f) for f in files]
    source = history or (files[0].parent / scenarios[0].history if scenarios[0].history else None)
    if source is None:
        raise UnusableInputError(f"{files[0]}: no history given; add 'history:' to the file or pass --history.")
    hist = load_history(source)
    data_hash = hashlib.sha256(pd.util.hash_pandas_object(hist.episodes.drop(columns=["source"]),
                                                          index=False).to_numpy().tobytes()).hexdigest()[:12]
    context = dask_client(scheduler, workers)
    rates = _priced_by(unit_costs, "the scenarios' costs and avoidance")
    with context as client, err.status(f"Simulating the baseline and {len(scenarios)} scenario(s), "
                                       f"{scenarios[0].runs:,} runs each..."):
        baseline, results = run_scenarios(hist, scenarios, rates, client=client)
    comparison = comparison_tables(baseline, results, scenarios[0].capacity)
    tables = comparison.tables()
    money = comparison.cost_by_year
    t = Table(title="Placement cost and cost avoidance by financial year (£, mean; avoidance P10-P90)")
    for c in ("scenario", "year", "placement cost", "avoided", "avoided P10-P90", "delivery", "net saving"):
        t.add_column(c, justify="left" if c == "scenario" else "right")
    for r in money.itertuples():
        t.add_row(r.scenario, r.financial_year, f"{r.placement_cost_mean:,}", f"{r.avoided_mean:,}",
                  f"{r.avoided_p10:,} to {r.avoided_p90:,}", f"{r.delivery_cost:,}", f"{r.net_saving_mean:,}")
    out.print(t)
    for s in scenarios:
        out.print(f"{s.name}: file {s.file_hash}, data {data_hash}, seed {s.seed} (re-run with the same three to "
                  "reproduce it).")
        if note := already_running(s, (s.start or hist.census_date)):
            err.print(f"[yellow]Note:[/yellow] {note}", highlight=False)
    if out_dir is not None:
        card = pd.DataFrame([{"scenario": s.name, "file_hash": s.file_hash, "data_hash": data_hash, "seed": s.seed,
                              "runs": s.runs, "horizon_months": s.horizon_months} for s in scenarios])
        write_tables(out_dir, {**tables, "reproduce.csv": card}, owner="scenario")
        out.print(f"Wrote {', '.join(sorted([*tables, 'reproduce.csv']))} to {out_dir}")


@scenario_app.command("run")
def scenario_run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML (see examples/programme/).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the comparison tables.")],
    history: Annotated[Path | None, typer.Option(help="Ingest folder or returns (overrides the file's).")] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="Weekly unit costs (YAML or CSV); default: the built-in "
                                                         "illustrative ones.")] = None,
) -> None:
    """Run one scenario against the baseline: children, cost, avoidance with its interval, beds."""
    _run_scenarios([scenario_file], history, out_dir, unit_costs=unit_costs)


@scenario_app.command("compare")
def scenario_compare(
    scenario_files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    history: Annotated[Path | None, typer.Option(help="Ingest folder or returns (overrides the files').")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the comparison tables.")] = None,
    workers: Annotated[int, typer.Option(min=0, help="Run the baseline and scenarios as tasks on this many local "
                                                     "Dask workers (0: in this process).")] = 0,
    scheduler: Annotated[str | None, typer.Option(help="A Dask scheduler's address instead.")] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="Weekly unit costs (YAML or CSV); default: the built-in "
                                                         "illustrative ones.")] = None,
) -> None:
    """Several scenarios side by side with the baseline (same seed: common random numbers)."""
    _run_scenarios(scenario_files, history, out_dir, workers, scheduler, unit_costs)


def _synth_fork(fork_date: str | None, fork_seed: int | None, end_year: int) -> date | None:
    """synth's --fork-date: a date before the returns end, with its --fork-seed."""
    if fork_seed is not None and fork_date is None:
        raise typer.BadParameter("--fork-seed re-draws the future from --fork-date: give the date too.",
                                 param_hint="--fork-date")
    if fork_date is None:
        return None
    try:
        fork = date.fromisoformat(fork_date)
    except ValueError as exc:
        raise typer.BadParameter(f"'{fork_date}' is not a date; use YYYY-MM-DD.", param_hint="--fork-date") from exc
    if fork_seed is None:
        raise typer.BadParameter("--fork-date needs --fork-seed.", param_hint="--fork-seed")
    _before_returns_end(fork, end_year, "--fork-date")
    return fork


def _synth_programme(programme_from: str | None, end_year: int, fewer_entries: float, step_downs_per_month: float,
                     returns_home_per_month: float):
    """synth's programme of known size, from a date before the returns end, or None."""
    from placecast.synth import SynthProgramme

    sized = [name for name, value in (("--fewer-entries", fewer_entries), ("--step-downs-per-month",
             step_downs_per_month), ("--returns-home-per-month", returns_home_per_month)) if value]
    if sized and programme_from is None:  # the council would be written with no programme, without a word
        raise typer.BadParameter(f"{', '.join(sized)} size a programme: give --programme-from, the day it starts.",
                                 param_hint="--programme-from")
    if programme_from is None:
        return None
    start = _start_date(programme_from, "--programme-from") or date.min
    _before_returns_end(start, end_year, "--programme-from")
    return SynthProgramme(start, fewer_entries, 10, 15, step_downs_per_month, returns_home_per_month)


def _before_returns_end(day: date, end_year: int, option: str) -> None:
    if day >= date(end_year, 3, 31):  # it would change nothing the returns hold
        raise typer.BadParameter(f"{day:%d/%m/%Y} is not before the returns end (31/03/{end_year}): nothing in "
                                 "them would change; choose an earlier date or a later --end-year.", param_hint=option)


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the returns into.")],
    children_in_care: Annotated[int, typer.Option(min=10, max=200_000, help="Children in care at the end.")] = 500,
    years: Annotated[int, typer.Option(min=1, max=20, help="Number of yearly returns.")] = 5,
    end_year: Annotated[int, typer.Option(min=2012, max=2040, help="Last collection year (2025 = 2024/25).")] = 2025,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    plant_errors: Annotated[int, typer.Option(min=0, help="Number of errors to plant (listed in "
                                                         "planted_errors.csv).")] = 0,
    entry_trend: Annotated[float, typer.Option(min=-0.5, max=0.5, help="Yearly growth of entries as a fraction, "
                                                                      "e.g. 0.08 or -0.05.")] = 0.0,
    fork_date: Annotated[str | None, typer.Option(help="Keep the history up to this date (YYYY-MM-DD) and "
                                                       "re-draw the future after it.")] = None,
    fork_seed: Annotated[int | None, typer.Option(min=0, help="Seed for the re-drawn future.")] = None,
    programme_from: Annotated[str | None, typer.Option(help="Start a recovery programme of known size on this "
                                                            "date (writes programme_truth.csv).")] = None,
    fewer_entries: Annotated[float, typer.Option(min=0, max=1, help="With --programme-from: share of entrants "
                                                                     "aged 10-15 kept out of care.")] = 0.0,
    step_downs_per_month: Annotated[float, typer.Option(min=0, help="With --programme-from: extra step-downs "
                                                                     "from external residential care a month.")] = 0.0,
    returns_home_per_month: Annotated[float, typer.Option(min=0, help="With --programme-from: extra returns "
                                                                       "home a month.")] = 0.0,
    generator: Annotated[Generator, typer.Option(help="hazard (daily hazards; the default) or cohort (journeys "
                                                      "drawn at entry, a changing calendar: a second, "
                                                      "structurally different council).")] = Generator.hazard,
) -> None:
    """Simulate a council and write its yearly SSDA903 returns, ground truth and manifest.

    With a programme, also the true cost it avoided each month (programme_truth.csv)."""
    from placecast.synth import SynthSettings, simulate, write_returns

    fork = _synth_fork(fork_date, fork_seed, end_year)
    programme = _synth_programme(programme_from, end_year, fewer_entries, step_downs_per_month,
                                 returns_home_per_month)
    if generator is Generator.cohort:
        if programme is not None:
            raise typer.BadParameter("the cohort generator has no programme; use --generator hazard.",
                                     param_hint="--programme-from")
        from placecast.synth.cohort import CohortSettings, simulate_cohort

        cohort = CohortSettings(children_in_care=children_in_care, years=years, end_year=end_year, seed=seed,
                                entry_trend=entry_trend, fork_date=fork, fork_seed=fork_seed)
        with err.status(f"Simulating {children_in_care:,} children in care over {years} years (cohort)..."):
            manifest = write_returns(simulate_cohort(cohort), out_dir, plant=plant_errors)
        out.print(f"Wrote {years} returns ({manifest['years'][0]}-{manifest['years'][-1]}) to {out_dir}: "
                  f"{manifest['children_in_care_at_end']:,} children in care at 31/03/{end_year}, "
                  f"{manifest['planted_errors']} planted errors. Ground truth: {out_dir / 'truth.csv'}")
        return
    settings = SynthSettings(children_in_care=children_in_care, years=years, end_year=end_year, seed=seed,
                             entry_trend=entry_trend, fork_date=fork, fork_seed=fork_seed, programme=programme)
    with err.status(f"Simulating {children_in_care:,} children in care over {years} years..."):
        result = simulate(settings)
        manifest = write_returns(result, out_dir, plant=plant_errors)
        if programme is not None:
            from placecast.synth.truth import true_avoided_by_month

            true_avoided_by_month(settings).to_csv(out_dir / "programme_truth.csv", index=False)
    out.print(f"Wrote {years} returns ({manifest['years'][0]}-{manifest['years'][-1]}) to {out_dir}: "
              f"{manifest['children_in_care_at_end']:,} children in care at 31/03/{end_year}, "
              f"{manifest['planted_errors']} planted errors. Ground truth: {out_dir / 'truth.csv'}")


DEFAULT_FILES = {
    "taxonomy": ("placecast.ssda903.codes", "taxonomy.yaml"),
    "code-lists": ("placecast.ssda903.codes", "code_lists.yaml"),
    "unit-costs": ("placecast.finance", "unit_costs.yaml"),
    "rag-rules": ("placecast.kpi", "rules.yaml"),
    "scenario": ("placecast.programme", "default_scenario.yaml"),
    "report-config": ("placecast.report", "defaults/report.yaml"),
    "indicators": ("placecast.report", "defaults/indicators.csv"),
    "demo-budget": ("placecast.report", "defaults/demo_budget.yaml"),
    "demo-plan": ("placecast.report", "defaults/demo_plan.yaml"),
    "demo-commentary": ("placecast.report", "defaults/demo_commentary.yaml"),
}
DEFAULT_FILE_USES = {
    "taxonomy": "placement categories: how SSDA903 placement codes group",
    "code-lists": "SSDA903 code lists by collection year",
    "unit-costs": "weekly unit costs by placement category",
    "rag-rules": "how each indicator is rated Red, Amber or Green",
    "scenario": "a recovery scenario against the frozen baseline",
    "report-config": "the quarterly report's configuration",
    "indicators": "the report's indicators and their definitions",
    "demo-budget": "the demo council's budget, to start a council's own",
    "demo-plan": "the demo council's recovery programme plan",
    "demo-commentary": "the demo council's commentary on indicators",
    "budget-workbook": "a blank budget workbook (Excel: redirect it to a file)",
}


@app.command()
def defaults(
    name: Annotated[str | None, typer.Argument(help="taxonomy, code-lists, unit-costs, rag-rules, scenario, "
                                                    "report-config, indicators, demo-budget, demo-plan, "
                                                    "demo-commentary or budget-workbook (an .xlsx: redirect it to "
                                                    "a file); none: list them.")] = None,
) -> None:
    """Print a built-in file (to copy, edit and pass back with the matching option)."""
    from importlib import resources

    if name is None:
        table = Table(title="Built-in files: placecast defaults NAME > FILE")
        table.add_column("NAME")
        table.add_column("what it is")
        for key, use in DEFAULT_FILE_USES.items():
            table.add_row(key, use)
        out.print(table)
        return
    if name == "budget-workbook":
        _budget_workbook()
        return
    if name not in DEFAULT_FILES:
        raise typer.BadParameter(f"'{name}' is not one of {', '.join(DEFAULT_FILES)}, budget-workbook.",
                                 param_hint="NAME")
    package, file = DEFAULT_FILES[name]
    typer.echo(resources.files(package).joinpath(file).read_text(encoding="utf-8"), nl=False)


def _budget_workbook() -> None:
    """Write the blank budget workbook to standard output (redirected to a file)."""
    import tempfile

    from placecast.finance.workbook import write_budget_workbook

    if sys.stdout.isatty():
        raise UnusableInputError("the budget workbook is an Excel file: redirect it to one, for example "
                                 "'placecast defaults budget-workbook > budget.xlsx'.")
    with tempfile.TemporaryDirectory() as tmp:
        data = write_budget_workbook(Path(tmp) / "budget.xlsx").read_bytes()
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


@app.command()
def schema(
    name: Annotated[str | None, typer.Argument(help="budget, plan, scenario, commitments, unit-costs, indicators, "
                                                    "indicator-values, rag-rules, taxonomy, commentary, "
                                                    "report-config, forecast-settings, ...")] = None,
) -> None:
    """Print the JSON Schema of an input file, for an editor to check the file as it is typed.

    Without NAME, list the files that have one."""
    import json

    from placecast.schema import SCHEMAS, json_schema

    if name is None:
        for key, (_, _, what) in SCHEMAS.items():
            typer.echo(f"{key:<18} {what}")
        return
    if name not in SCHEMAS:
        raise typer.BadParameter(f"'{name}' is not one of {', '.join(SCHEMAS)}.", param_hint="NAME")
    typer.echo(json.dumps(json_schema(name), indent=2, ensure_ascii=False))


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("placecast-output"),
    seed: Annotated[int, typer.Option(min=0, help="Random seed of the synthetic council.")] = 42,
    dfe_stats: Annotated[Path | None, typer.Option("--dfe-stats", envvar="PLACECAST_DFE_STATS",
                                                   help="Folder of DfE published CSVs, for the benchmark "
                                                        "section (optional).")] = None,
) -> None:
    """The main job on the embedded default: a synthetic council's returns to its quarterly report.

    The report is written as HTML, PDF and Excel, beside the working files."""
    from placecast.demo import run_demo

    run_demo(out_dir, seed, out, dfe_stats)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port (1-65535).")] = 8000,
    data_dir: Annotated[Path | None, typer.Option("--data", envvar="PLACECAST_DATA_DIR",
                                                  help="Folder of the workspaces (default ./placecast-web).")] = None,
    database: Annotated[str | None, typer.Option("--database", envvar="PLACECAST_DATABASE_URL",
                                                 help="Store URL (default: SQLite in the data folder), e.g. "
                                                      "postgresql://placecast@db/placecast.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Web server processes (use 1 with the SQLite store).")] = 1,
    dfe_stats: Annotated[Path | None, typer.Option("--dfe-stats", envvar="PLACECAST_DFE_STATS",
                                                   help="DfE published statistics, for the demo's benchmark.")] = None,
) -> None:
    """The web application, on 127.0.0.1 with the embedded SQLite store and the demo council.

    It prints the address and the first sign-in. Behind a reverse proxy with TLS, see docs/web.md."""
    from placecast.web.serve import serve as run_server

    run_server(host, port, data_dir, database, workers, dfe_stats, out)


@app.command("report")
def report_command(
    config: Annotated[Path, typer.Option("--config", help="Report configuration YAML (placecast defaults "
                                                          "report-config).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the HTML, PDF and Excel report.")],
    quarter: Annotated[str | None, typer.Option(help="Financial-year quarter, e.g. 2025-Q2 (July to September "
                                                     "2025); default: the configuration's.")] = None,
) -> None:
    """The quarterly Portfolio Performance and Resources report from a council's own inputs.

    Exit 0 when written; 1 when written with warnings (for example a Red indicator without commentary).
    """
    from placecast.report import build_report, read_config, write_report
    from placecast.report.model import display

    if not config.exists():
        raise UnusableInputError(f"{config}: no such file (the --config option). 'placecast defaults "
                                 "report-config' prints an example.")
    from placecast.presentation import Steps
    from placecast.quarter.config import parse_quarter

    if quarter is not None:  # the command's own option first
        try:
            parse_quarter(quarter)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--quarter") from exc
    settings = read_config(config)
    steps = Steps(err, 8)
    report = build_report(settings, quarter, progress=steps.next)
    steps.next("Rendering HTML, PDF and Excel")
    paths = write_report(report, out_dir, settings)
    t = Table(title=f"{report.council}: {report.quarter}")
    t.add_column("headline")
    t.add_column("value", justify="right")
    t.add_column("")
    for fig in report.headline:
        t.add_row(fig.label, display(fig.value, fig.kind), fig.note)
    out.print(t)
    for w in report.warnings:
        err.print(f"Warning: {w}", highlight=False)
    for p in paths.values():
        out.print(f"Wrote {p}", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if report.warnings else 0)


class Interrupted(BaseException):
    """Ctrl-C, or a request to stop (SIGTERM: a closed session, a job scheduler's time limit): raised past the
    command-line library (which would turn it into a silent exit 130), so that every folder being written is
    cleaned up and the user is told what was kept. The exit code is 128 and the signal's number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.code = 128 + int(signum)


def _interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _reflowed(text: str) -> str:
    """A docstring's paragraphs as single lines (the help's formatter keeps line breaks, which break sentences
    at the source's width); a paragraph of list items keeps its lines."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if any(line.lstrip().startswith(("-", "*", "\b")) for line in p.splitlines())
                       else " ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _reflow_help(typer_app: typer.Typer) -> None:
    """Every command's help from its docstring, reflowed (commands given an explicit help keep it)."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _reflowed(info.callback.__doc__)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


def main() -> None:
    """Entry point: run the app and turn every error into a message and an exit code."""
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)  # killed without it, a run left its half-written folder behind
    try:
        app()
    except Interrupted as stopped:
        err.print("Interrupted: nothing from this run was kept; earlier outputs are as they were.")
        sys.exit(stopped.code)
    except PlacecastError as exc:
        err.print("Error: " + str(exc), highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)
    except OSError as exc:  # the operating system refused: a folder not writable, a full disk, a missing path
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        err.print(f"Error: {exc.strerror or exc}{where}. Check the path and that you may write there, and that the "
                  "disk has room; nothing more was written.", highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("Interrupted: nothing from this run was kept; earlier outputs are as they were.")
        sys.exit(130)
    except Exception as exc:  # an internal error: short message, no child data
        logger.info("internal error", exc_info=True)  # shown with --verbose (INFO), as the message says
        err.print(f"[red]Internal error[/red] ({type(exc).__name__}: {exc}). Run with --verbose for details and "
                  "please report it.", highlight=False)
        sys.exit(3)


_reflow_help(app)  # after every command above is registered, before main() can run


if __name__ == "__main__":
    main()

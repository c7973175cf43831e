"""The end-to-end demo: a synthetic council taken from its returns to the quarterly report."""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

from rich.console import Console

from placecast.outputs import FLOAT_FORMAT, write_tables
from placecast.presentation import Steps, counted
from placecast.quarter.config import parse_quarter
from placecast.synth.demo import DEMO_KEY as _DEMO_KEY

DEMO_KEY = _DEMO_KEY.decode()

DEMO_QUARTER = "2025-Q2"
DEMO_POPULATION = 60_000  # children aged 0-17 in the synthetic council (for the rate per 10,000)


def demo_config(history_dir: Path, stats: Path | None = None, runs: int = 1000, seed: int = 42):
    """The demo council's report configuration: built-in budget, plan, commentary, indicators, unit costs and
    scenario (named, as the synthetic council's own, so the report does not warn that they are examples)."""
    from placecast.quarter.config import builtin_file
    from placecast.report import ReportConfig

    base = resources.files("placecast.report").joinpath("defaults")

    def f(name: str) -> Path:
        return Path(str(base.joinpath(name)))

    bench = None
    if stats is not None and Path(stats).is_dir():
        bench = {"stats": stats, "council": "Stockport",
                 "note": "Demo: the synthetic council has no published figures, so Stockport's stand in."}
    return ReportConfig.model_validate({
        "council": "Demo council (synthetic data)", "quarter": DEMO_QUARTER, "data": [history_dir],
        "budget": f("demo_budget.yaml"), "plan": f("demo_plan.yaml"), "commentary": f("demo_commentary.yaml"),
        **{key: builtin_file(name) for key, name in (("indicators", "indicators"), ("unit_costs", "unit-costs"),
                                                     ("scenario", "scenario"))},
        "population_0_17": DEMO_POPULATION, "benchmark": bench,
        "forecast": {"runs": runs, "seed": seed, "backtest_runs": 200},
    })


def write_working_files(results, out_dir: Path) -> None:
    """The quarter's working files beside the report: forecast, costs, scenario, indicators, outturn."""
    from placecast.model import write_forecast

    forecast_dir = out_dir / "forecast"
    fr = results.forecast
    write_forecast(forecast_dir, fr.model, fr.forecast, fr.backtest)
    results.costs.by_year.round(0).to_csv(forecast_dir / "cost_by_year.csv", index=False, encoding="utf-8-sig",
                                          float_format=FLOAT_FORMAT)
    write_tables(out_dir / "scenario", results.scenario.comparison.tables())
    results.indicators.computed.to_csv(out_dir / "indicators.csv", index=False, encoding="utf-8-sig",
                                       float_format=FLOAT_FORMAT)
    write_tables(out_dir / "outturn", results.outturn.tables())


def _prepare_data(out_dir: Path, seed: int, as_at, say) -> Path:
    """Write the demo council's returns, validate and assemble them, and store the history as known at the
    quarter end (what a council would have then; later records in the 2025/26 return are left out)."""
    from placecast.presentation import summary_table
    from placecast.ssda903 import assemble, load_taxonomy, read_returns, summarise, validate_returns, write_history
    from placecast.ssda903.assemble import known_at
    from placecast.store import Store
    from placecast.synth.demo import write_demo_returns

    returns_dir, history_dir = out_dir / "returns", out_dir / "history"
    key = os.environ.get("PLACECAST_KEY", DEMO_KEY).encode()
    tax = load_taxonomy()
    write_demo_returns(returns_dir, seed)
    say(1, f"Synthetic returns for 2021/22 to 2025/26 written to {returns_dir}")
    returns = read_returns([returns_dir])
    validated = validate_returns(returns)
    say(2, f"Validated {len(returns.files)} files: {counted(len(validated.findings.errors), 'error')}, "
           f"{counted(len(validated.findings.warnings), 'warning')}")
    history = known_at(assemble(validated, key, tax), as_at)
    Store(f"sqlite:///{(out_dir / 'placecast.sqlite').resolve()}").import_dataset(returns.files, history,
                                                                                   validated.findings)
    write_history(history, validated.findings, history_dir, key=key)
    say(3, f"History as known at the quarter end ({as_at:%d/%m/%Y}; the 2025/26 return's later records are left "
           f"out): {len(history.episodes):,} episodes, {history.episodes['child_id'].nunique():,} children, "
           f"{len(history.repairs)} repairs -> {history_dir}")
    summary = summarise(history, tax)  # each 31 March, then the quarter end (the history's census date)
    summary.to_csv(out_dir / "summary.csv", index=False, encoding="utf-8-sig")
    say.console.print(summary_table(summary, tax.categories, "Children looked after at each 31 March and at the "
                                    "quarter end"))
    return history_dir


def _print_headline(console: Console, report, paths: dict, out_dir: Path, seconds: float) -> None:
    from placecast.report.model import display

    console.print(f"\n[bold]{report.council}: {report.title}, {report.quarter}[/bold]")
    for fig in report.headline:
        console.print(f"  {fig.label:<38} {display(fig.value, fig.kind):>10}  {fig.note}", highlight=False,
                      soft_wrap=True)
    for w in report.warnings:
        console.print(f"  [yellow]Warning:[/yellow] {w}", highlight=False, soft_wrap=True)
    console.print(f"Done in {seconds:.1f} s. The report:")
    for p in paths.values():
        console.print(f"  {p.resolve()}", highlight=False, soft_wrap=True)
    console.print(f"Working files (returns, history, forecast, scenario, outturn, indicators) in {out_dir.resolve()}",
                  highlight=False, soft_wrap=True)


def run_demo(out_dir: Path, seed: int, console: Console, stats: Path | None = None, runs: int = 1000) -> dict:
    """Synthesise a council, validate, ingest and store its returns, then build the quarterly report
    (forecast, costs, outturn, recovery scenario, programme, indicators) and write it three ways."""
    from placecast.report import build_report, write_report
    from placecast.report.snapshot import snapshot_text

    out_dir = Path(out_dir)
    say = Steps(console, 11)
    config = demo_config(Path("."), stats, runs, seed)
    as_at = parse_quarter(DEMO_QUARTER)[1]
    with console.status("Simulating a council of about 500 children in care over 5 years..."):
        history_dir = _prepare_data(out_dir, seed, as_at, say)
    config = config.model_copy(update={"data": [history_dir]})
    report = build_report(config, progress=say.next)
    write_working_files(report.results, out_dir)
    (out_dir / "report_model.json").write_text(snapshot_text(report), encoding="utf-8")
    with console.status("Rendering the report (HTML, PDF, Excel)..."):
        paths = write_report(report, out_dir, config)
    say(say.total, f"Report for {report.quarter} written")
    _print_headline(console, report, paths, out_dir, time.perf_counter() - say.started)
    return paths

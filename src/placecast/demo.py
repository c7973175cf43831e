"""The end-to-end demo: a synthetic council taken from its returns to the quarterly report."""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

from rich.console import Console

from placecast.outputs import write_tables

DEMO_KEY = "placecast-demo-key-synthetic-data-only"
DEMO_QUARTER = "2025-Q2"
DEMO_POPULATION = 60_000  # children aged 0-17 in the synthetic council (for the rate per 10,000)


def demo_config(history_dir: Path, stats: Path | None = None, runs: int = 1000, seed: int = 1):
    """The demo council's report configuration: built-in budget, plan, commentary and indicators."""
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
        "population_0_17": DEMO_POPULATION, "benchmark": bench,
        "forecast": {"runs": runs, "seed": seed, "backtest_runs": 200},
    })


def write_working_files(results, out_dir: Path) -> None:
    """The quarter's working files beside the report: forecast, costs, scenario, indicators, outturn."""
    from placecast.model import write_forecast

    forecast_dir = out_dir / "forecast"
    fr = results.forecast
    write_forecast(forecast_dir, fr.model, fr.forecast, fr.backtest)
    results.costs.by_year.round(0).to_csv(forecast_dir / "cost_by_year.csv", index=False)
    write_tables(out_dir / "scenario", results.scenario.comparison.tables())
    results.indicators.computed.to_csv(out_dir / "indicators.csv", index=False)
    write_tables(out_dir / "outturn", results.outturn.tables())


def run_demo(out_dir: Path, seed: int, console: Console, stats: Path | None = None, runs: int = 1000) -> dict:
    """Synthesise a council, validate, ingest and store its returns, then build the quarterly report
    (forecast, costs, outturn, recovery scenario, programme, indicators) and write it three ways."""
    from placecast.presentation import summary_table
    from placecast.report import build_report, write_report
    from placecast.report.snapshot import snapshot_text
    from placecast.ssda903 import assemble, load_taxonomy, read_returns, summarise, validate_returns, write_history
    from placecast.store import Store
    from placecast.synth import SynthSettings, simulate, write_returns

    started = time.perf_counter()
    out_dir = Path(out_dir)
    returns_dir = out_dir / "returns"
    history_dir = out_dir / "history"
    key = os.environ.get("PLACECAST_KEY", DEMO_KEY).encode()
    tax = load_taxonomy()
    steps = 10

    def say(i: int, text: str) -> None:
        console.print(f"[{time.perf_counter() - started:4.1f} s] {i}/{steps} {text}", highlight=False)

    with console.status("Simulating a council of about 500 children in care over 5 years..."):
        result = simulate(SynthSettings(children_in_care=500, years=5, end_year=2026, seed=seed))
        write_returns(result, returns_dir)
    say(1, f"Synthetic returns for 2021/22 to 2025/26 written to {returns_dir}")
    with console.status("Validating..."):
        returns = read_returns([returns_dir])
        validated = validate_returns(returns)
    say(2, f"Validated {len(returns.files)} files: {len(validated.findings.errors)} errors, "
           f"{len(validated.findings.warnings)} warnings")
    with console.status("Assembling and storing the history..."):
        history = assemble(validated, key, tax)
        store = Store(f"sqlite:///{(out_dir / 'placecast.sqlite').resolve()}")
        store.import_dataset(returns.files, history, validated.findings)
        write_history(history, validated.findings, history_dir)
    say(3, f"History: {len(history.episodes):,} episodes, {history.episodes['child_id'].nunique():,} children, "
           f"{len(history.repairs)} repairs -> {history_dir}")
    summary = summarise(history, tax)
    summary.to_csv(out_dir / "summary.csv", index=False)
    console.print(summary_table(summary, tax.categories, "Children looked after at 31 March"))
    config = demo_config(history_dir, stats, runs, seed)
    step = [3]

    def progress(text: str) -> None:
        step[0] += 1
        say(step[0], text + "...")

    report = build_report(config, progress=progress)
    write_working_files(report.results, out_dir)
    (out_dir / "report_model.json").write_text(snapshot_text(report), encoding="utf-8")
    with console.status("Rendering the report (HTML, PDF, Excel)..."):
        paths = write_report(report, out_dir)
    say(steps, f"Report for {report.quarter} written")
    console.print(f"\n[bold]{report.council}: {report.title}, {report.quarter}[/bold]")
    from placecast.report.model import display

    for fig in report.headline:
        console.print(f"  {fig.label:<38} {display(fig.value, fig.kind):>10}  {fig.note}", highlight=False,
                      soft_wrap=True)
    for w in report.warnings:
        console.print(f"  [yellow]Warning:[/yellow] {w}", highlight=False, soft_wrap=True)
    console.print(f"Done in {time.perf_counter() - started:.1f} s. The report:")
    for p in paths.values():
        console.print(f"  {p.resolve()}", highlight=False, soft_wrap=True)
    console.print(f"Working files (returns, history, forecast, scenario, outturn, indicators) in {out_dir.resolve()}",
                  highlight=False, soft_wrap=True)
    return paths

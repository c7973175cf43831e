"""The README's main job: `placecast demo` writes the report three ways, and its numbers agree."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from placecast.cli import app
from placecast.report.snapshot import snapshot_diff

GOLDEN = Path(__file__).parent / "golden" / "demo_report.json"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"PLACECAST_DFE_STATS": None})
    return out, result


def test_demo_report_model_matches_the_reviewed_golden_file(demo_run, bless):
    """Every figure and label of the demo's report, as displayed, against tests/golden/demo_report.json.

    A change that moves a figure fails here with a readable diff; if the change is intended, rewrite the
    file with `make bless` and review `git diff tests/golden`."""
    out, result = demo_run
    assert result.exit_code == 0, result.output
    actual = (out / "report_model.json").read_text(encoding="utf-8")
    if bless:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(actual, encoding="utf-8")
    diff = snapshot_diff(GOLDEN.read_text(encoding="utf-8"), actual, GOLDEN.name)
    assert not diff, "The demo report changed (run `make bless` if intended, then review git diff):\n" + diff


def test_demo_writes_the_report_and_its_numbers_agree(demo_run):
    out, result = demo_run
    assert result.exit_code == 0, result.output
    stem = "placecast-report-2025-26-Q2"
    for ext in ("html", "pdf", "xlsx"):
        assert (out / f"{stem}.{ext}").stat().st_size > 10_000
        assert f"{stem}.{ext}" in result.output.replace("\n", "")
    summary = pd.read_csv(out / "summary.csv")
    assert summary[summary["category"] == "total"]["date"].iloc[-1] == "2025-09-30"  # the data end at the quarter end
    indicators = pd.read_csv(out / "indicators.csv").set_index("id")
    forecast = pd.read_csv(out / "forecast" / "forecast.csv")
    start = forecast[(forecast["date"] == "2025-09-30") & (forecast["category"] == "total")].iloc[0]
    assert indicators.loc["CLA", "value"] == start["mean"]  # the quarter end: what was known then
    headline = {r[0].value: r[1].value for r in openpyxl.load_workbook(out / f"{stem}.xlsx")["Headline"]
                .iter_rows(min_row=2)}
    assert headline["Children in care now"] == start["mean"]
    assert f"{int(start['mean']):,}" in result.output
    outturn = pd.read_csv(out / "outturn" / "headline.csv").iloc[0]
    assert round(headline["Cash limit"]) == outturn["cash_limit"]
    assert round(headline["Forecast outturn"]) == outturn["forecast_outturn"]
    costs = pd.read_csv(out / "forecast" / "cost_by_year.csv")
    assert (costs["p10_gbp"] <= costs["p50_gbp"]).all() and (costs["p50_gbp"] <= costs["p90_gbp"]).all()
    scenario = pd.read_csv(out / "scenario" / "cost_by_year.csv")
    assert set(scenario["scenario"]) == {"baseline", "Recovery programme"}
    assert (scenario[scenario["scenario"] == "baseline"]["avoided_mean"] == 0).all()
    assert (out / "placecast.sqlite").exists() and (out / "history" / "history.parquet").exists()


def test_the_default_report_configuration_in_an_empty_folder_reproduces_the_demo(demo_run, tmp_path):
    """`placecast defaults report-config` then `placecast report`, in an empty folder, give the demo's figures
    (only the note on the data's census date differs: the demo stores its data as known at the quarter end)."""
    import json

    from placecast.report import build_report, read_config
    from placecast.report.snapshot import snapshot

    out, _ = demo_run
    config = tmp_path / "report.yaml"
    printed = CliRunner().invoke(app, ["defaults", "report-config"])
    config.write_text(printed.output, encoding="utf-8")
    ours = snapshot(build_report(read_config(config)))
    demo = json.loads((out / "report_model.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in ours.items() if k != "notes"} == {k: v for k, v in demo.items() if k != "notes"}
    assert ours["notes"][1:] == demo["notes"][1:]


def test_the_readmes_demo_figures_are_the_demos(demo_run):
    out, _ = demo_run
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- demo figures -->")[1]
    headline = {r[0].value: r[1].value for r in openpyxl.load_workbook(
        out / "placecast-report-2025-26-Q2.xlsx")["Headline"].iter_rows(min_row=2)}
    for label, value in headline.items():
        assert f"| {label} | {round(value):,} |" in block, label


def test_the_appendix_shows_the_days_and_unit_costs_behind_the_outturn_components(demo_run):
    """An auditor can recompute the computed components from the appendix (issue 14)."""
    import json

    out, result = demo_run
    model = json.loads((out / "report_model.json").read_text(encoding="utf-8"))
    blocks = {b["table"]: b for s in model["sections"] for b in s["blocks"] if "table" in b}
    components = {r[0]: r[1] for r in blocks["outturn_components"]["rows"]}
    actuals, committed = blocks["actuals_trail"]["rows"], blocks["commitments_trail"]["rows"]
    assert actuals[-1][0] == "Total" and actuals[-1][-1] == components[
        "Placement actuals to date (care history at unit costs)"]
    assert committed[-1][-1] == components["Committed to 31 March (open placements)"]
    for name, _, _, days, weekly, cost in actuals[:-1]:
        recomputed = int(days.replace(",", "")) * int(weekly.strip("£").replace(",", "")) / 7 / 1000
        assert abs(recomputed - int(cost.replace(",", ""))) <= 0.5, name
    assert {"2025/26", "Given as", "Inflation"} <= set(blocks["unit_costs"]["columns"])

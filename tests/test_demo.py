"""The README's main job: `placecast demo` writes every output, and its numbers agree with each other."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from placecast.cli import app


def test_demo_outputs_agree(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary.csv")
    indicators = pd.read_csv(out / "indicators.csv").set_index("id")
    forecast = pd.read_csv(out / "forecast" / "forecast.csv")
    last = summary[(summary["category"] == "total")].iloc[-1]
    assert last["date"] == "2025-03-31"
    assert indicators.loc["CLA", "value"] == last["children"]
    start = forecast[(forecast["date"] == "2025-03-31") & (forecast["category"] == "total")].iloc[0]
    assert start["mean"] == last["children"]
    costs = pd.read_csv(out / "forecast" / "cost_by_year.csv")
    assert (costs["p10_gbp"] <= costs["p50_gbp"]).all() and (costs["p50_gbp"] <= costs["p90_gbp"]).all()
    scenario = pd.read_csv(out / "scenario" / "cost_by_year.csv")
    assert set(scenario["scenario"]) == {"baseline", "Recovery programme"}
    assert (scenario[scenario["scenario"] == "baseline"]["avoided_mean"] == 0).all()
    assert (out / "placecast.sqlite").exists() and (out / "history" / "history.parquet").exists()

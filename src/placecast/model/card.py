"""The model card that goes with every forecast: data span, settings, and backtest accuracy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from placecast.errors import UnusableInputError
from placecast.model.backtesting import BacktestResult
from placecast.model.combine import plain_words, pooling
from placecast.model.demand import DemandModel, Forecast
from placecast.model.project import ENTRY_WALK_SD, ENTRY_YEAR_SD
from placecast.model.settings import ForecastSettings


def _ages_note(forecast: Forecast) -> str:
    return (f"- Counts only the children aged {forecast.settings['ages']} ({forecast.children_at_start:,} "
            "at the start), each by its age in each month as it ages into and out of those bands; every child is "
            "simulated. The backtest below is of the same ages (each origin's forecast of them against the "
            "children of those ages then in care), and weights the pooling with their \"no change\".")


def model_card(model: DemandModel, forecast: Forecast, backtest: BacktestResult | None) -> str:
    """The model card in Markdown: data span, settings, fitted rates and the backtest."""
    s, pooled = forecast.settings, pooling(forecast)
    lines = [
        "# Model card: Placecast demand model",
        "",
        "## Data",
        f"- History from {model.data_span_[0]} to {model.data_span_[1]} (census date).",
        f"- Fitted on {model.fit_window_[0]} to {model.fit_window_[1]}: "
        f"{model.params_.transitions_used:,} child-months of transitions; children in care at the start: "
        f"{len(model.stock_):,}.",
        f"- UASC: {model.uasc}. Short breaks (V3/V4) excluded.",
        *([f"- {note}"] if (note := unknown_ages(model)) else []),
        *([_ages_note(forecast)] if s.get("ages") else []),
        "",
        "## Settings",
        f"- Start {s['origin']}, horizon {s['horizon_months']} months, {s['mode']} with {s['runs']} run(s), "
        f"seed {s['seed']}.",
        f"- Window {model.window_years} years, half-life {model.half_life_months} months, trend {model.trend} "
        f"({model.trend_carry:.0%} of it carried on beyond the start), shrinkage {model.shrinkage} child-months.",
        "- Monthly hazards of leaving care and of moving placement by category, age band, time in care band "
        "and UASC status; leaving care at 18; entries by stream (other children, UASC) at "
        f"{_entry_level(model)}{'' if model.trend == 'none' else ', ' + _carried(model.trend_carry)}, each run's "
        "rate varying about it "
        f"as councils' published starts do (a random walk, sd "
        f"{ENTRY_WALK_SD:g} a year, and each year's own level, sd {ENTRY_YEAR_SD:g}); parameter uncertainty "
        "drawn per run (Beta, Dirichlet, normal).",
        *([f"- {pooled}"] if pooled else []),
        "",
        "## Entries",
        *_markdown_table(model.summary, "{:g}"),
        "",
        "## Backtest on this data",
    ]
    if backtest is None or backtest.metrics.empty:
        lines.append("Not enough history for a backtest (needs two years before a 31 March origin).")
    else:
        alone = "The microsimulation alone: " if pooled else ""
        lines.append(alone + backtest.summary_text(12))
        plain = plain_words(forecast, backtest, int(s["horizon_months"]))
        if plain:
            lines += ["", "### In plain words", *[f"- {p}" for p in plain]]
        m = backtest.metrics[backtest.metrics["category"].isin(["categories", "total"])]
        cols = ["horizon_months", "category", "wape", "wape_nochange", "wape_trend", "mase_nochange", "coverage80",
                "coverage90"]
        lines += ["", *_markdown_table(m[cols], "{:.3f}")]
        if pooled:
            lines += _combination_lines(backtest)
    lines += ["", "Quantiles are across Monte Carlo runs; the bands show where the count is likely to be, "
              "not a guarantee."]
    return "\n".join(lines) + "\n"


def _combination_lines(backtest: BacktestResult) -> list[str]:
    """The combined forecast's own backtest: each origin weighted by the other origins only."""
    lines = ["", "### The combined forecast (this forecast) in the same backtest",
             "The tables above score the microsimulation alone. Here each origin's weights come from the other "
             "origins only, so this is out of sample. Weighted absolute percentage error:", ""]
    scores = backtest.combination.rename(columns={"category": "measure", "wape": "combined",
                                                  "wape_model": "microsimulation", "wape_nochange": "no change"})
    return lines + _markdown_table(scores, "{:.3f}")


def entries_in_words(model: DemandModel) -> str:
    """The entry rates the forecast starts from, in one sentence for the report."""
    parts = []
    for r in model.summary.itertuples():
        carried = ("not carried on" if model.trend_carry == 0
                   else f"{r.carried_on_per_year_pct:+.1f}% a year carried on")
        trend = f"; fitted trend {r.trend_per_year_pct:+.1f}% a year, {carried}" if model.trend != "none" else ""
        parts.append(f"{r.stream} {r.entrants_per_month_at_origin:.1f} "
                     f"(last 12 months {r.entrants_per_month_last_year:.1f}{trend})")
    return f"Entrants a month at the start: {', '.join(parts)}. The level at the start is {_entry_level(model)}."


def _entry_level(model: DemandModel) -> str:
    """How the entry rate at the start is set, in words."""
    if model.trend == "none":
        return "the mean over the fit's window (no trend fitted)"
    return "the mean of the fitted line's end and the last 12 months' entrants"


def _markdown_table(table: pd.DataFrame, number: str) -> list[str]:
    """``table`` as the lines of a Markdown table, its floats written with ``number``.

    Examples
    --------
    >>> _markdown_table(pd.DataFrame({"stream": ["UASC"], "rate": [2.25]}), "{:.1f}")
    ['| stream | rate |', '|---|---|', '| UASC | 2.2 |']
    """
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(number.format(v) if isinstance(v, float) else str(v) for v in row) + " |")
    return lines


FORECAST_SETTINGS = "forecast_settings.json"


def settings_record(settings: dict, origin: object) -> str:
    """forecast_settings.json: a forecast's settings and origin, for the commands that use its folder."""
    import json

    return json.dumps({**settings, "origin": str(origin)}, indent=2)


def recorded_settings(folder: Path) -> dict:
    """The settings a forecast folder records ({} for a folder written before they were recorded)."""
    import json

    path = Path(folder) / FORECAST_SETTINGS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def check_forecast_is_of(folder: Path, episodes: pd.DataFrame, as_at: date, census_date: date) -> None:
    """A forecast folder used beside a care history must be made from it, from the position date.

    Its children in care at its origin (the same in every run, in forecast.csv) must be the history's then: a
    forecast of another council's returns, or of an earlier ingest, gave the outturn another council's new
    demand with exit 0. Nor may it start before the position date when the history goes beyond its origin:
    last quarter's forecast set against this quarter's commitments took £846k off the demo's deficit. Either
    is an :class:`UnusableInputError`."""
    from placecast.ssda903.assemble import count_in_care

    origin = recorded_settings(folder).get("origin")
    table = Path(folder) / "forecast.csv"
    if not origin or not table.exists():
        return
    day = date.fromisoformat(str(origin)[:10])
    rows = pd.read_csv(table, dtype={"date": str})
    rows = rows[(rows["date"] == day.isoformat()) & (rows["category"] != "total")]
    theirs = {str(c): round(float(v)) for c, v in zip(rows["category"], rows["mean"], strict=True)}
    ours = {k: v for k, v in count_in_care(episodes, day, list(theirs)).items() if k != "total"}
    differ = {c: (theirs.get(c, 0), ours.get(c, 0)) for c in set(theirs) | set(ours)
              if theirs.get(c, 0) != ours.get(c, 0)}
    if differ:
        shown = ", ".join(f"{c} {a} against {b}" for c, (a, b) in sorted(differ.items()))
        raise UnusableInputError(f"{folder}: the forecast starts from {sum(theirs.values()):,} children in care at "
                                 f"{day:%d/%m/%Y} but the care history has {sum(ours.values()):,} then ({shown}): it "
                                 "was made from other returns (another council's, or an earlier ingest). Forecast "
                                 "again from this history.")
    if day < as_at and census_date > day:
        raise UnusableInputError(f"{folder}: the forecast starts at {day:%d/%m/%Y}, before the position date "
                                 f"{as_at:%d/%m/%Y}, and the care history goes on to {census_date:%d/%m/%Y}: its "
                                 "months after the position date were forecast without the data since, and set "
                                 "against today's commitments. Forecast again from "
                                 f"{min(as_at, census_date):%d/%m/%Y} (--start).")


def write_forecast(out: Path, model: DemandModel, forecast: Forecast, backtest: BacktestResult | None,
                   settings: ForecastSettings | None = None) -> list[Path]:
    """The forecast folder, all or nothing: forecast.csv, placement_days.csv, every run's placement-days
    (placement_days_runs.parquet, for costing), model_card.md, forecast_settings.json (the model's settings
    and origin, for the commands that use the folder to check it fits them), and forecast_by_age.csv if the
    forecast has age bands (an earlier run's is removed when it has none)."""
    from placecast.outputs import atomic_folder

    written: list[Path] = []
    # what the model itself knows; the run's own settings when the caller gives them
    recorded = (settings.model_dump(mode="json") if settings is not None else
                model.settings().model_dump(mode="json", exclude={"horizon_months", "backtest_runs", "combine"}))
    with atomic_folder(Path(out), written, "forecast") as tmp:
        (tmp / FORECAST_SETTINGS).write_text(settings_record(recorded, model.origin_.date().isoformat()),
                                             encoding="utf-8")
        forecast.table().round(2).to_csv(tmp / "forecast.csv", index=False)
        forecast.days_table().round(1).to_csv(tmp / "placement_days.csv", index=False)
        if forecast.age_array is not None:
            forecast.age_table().round(2).to_csv(tmp / "forecast_by_age.csv", index=False)
        forecast.run_days().to_parquet(tmp / "placement_days_runs.parquet", index=False)
        (tmp / "model_card.md").write_text(model_card(model, forecast, backtest), encoding="utf-8")
    return written


def _carried(carry: float) -> str:
    """How much of the fitted trend in entries the forecast carries on, in words."""
    if carry == 0:
        return ("the fitted trend not carried on (in the DfE's published starts, a council's fitted trend "
                "carried on forecast its next year's starts worse than its level at the start)")
    if carry == 1:
        return "the fitted trend carried on in full"
    return f"{carry:.0%} of the fitted trend carried on"


def unknown_ages(model) -> str | None:
    """What the forecast assumed of the children in care at its start who have no date of birth, or None."""
    unknown = getattr(model, "unknown_dob_", 0)
    if not unknown:
        return None
    return (f"{unknown:,} of the {len(model.stock_):,} children in care at the start have no date of birth (no "
            "Header row, or its DOB blank): each is given the median age of the others, so their age bands and "
            "when they leave care at 18 are guesses. Mend the Header's DOB and forecast again.")

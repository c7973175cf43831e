"""Section: the model card: data span, settings and the backtest on the council's own data."""

from __future__ import annotations

from placecast.model.backtesting import BacktestResult
from placecast.model.card import entries_in_words
from placecast.model.combine import plain_words, pooling
from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table, Text

ID = "model"


def backtest_rows(bt: BacktestResult | None) -> list[dict]:
    """Weighted errors (model, no change, trend) and band coverage per horizon, in percent."""
    if bt is None or bt.metrics.empty:
        return []
    sub = bt.metrics[bt.metrics["category"].isin(["categories", "total"])]
    return [{"horizon": int(r["horizon_months"]), "what": "placement categories" if r["category"] == "categories"
             else "all children", "wape": r["wape"] * 100, "nochange": r["wape_nochange"] * 100,
             "trend": r["wape_trend"] * 100, "cov80": r["coverage80"] * 100, "cov90": r["coverage90"] * 100}
            for r in sub.to_dict("records")]


def build(results: QuarterResults) -> Section:
    """Model card."""
    fr = results.forecast
    model, s = fr.model, fr.forecast.settings
    summary = fr.backtest.summary_text(12) if fr.backtest is not None else "No backtest was asked for."
    pooled = pooling(fr.forecast)
    if pooled and fr.backtest is not None:
        summary = f"{pooled} The microsimulation alone, in the council's backtest: {summary}"
    plain = plain_words(fr.forecast, fr.backtest, int(s["horizon_months"]))
    return Section(ID, "Model card", [
        Text([f"Data from {model.data_span_[0]:%d/%m/%Y} to {results.history.census_date:%d/%m/%Y}; fitted on "
              f"{model.fit_window_[0]:%d/%m/%Y} to {model.fit_window_[1]:%d/%m/%Y}; {len(model.stock_):,} children "
              f"in care at the start. Forecast from {model.origin_:%d/%m/%Y} for {s['horizon_months']} months, "
              f"{s['runs']:,} Monte Carlo runs, seed {s['seed']}; window {model.window_years} years, trend "
              f"{model.trend}, UASC {model.uasc}. {entries_in_words(model)}", summary, *plain]),
        Table("backtest", "Backtest on this council's own data" + (": the microsimulation alone" if pooled else ""), [
            Column("horizon", "Months ahead", "int"), Column("what", "Measure"),
            Column("wape", "Weighted error %", "pct"), Column("nochange", "'No change' error %", "pct"),
            Column("trend", "Linear trend error %", "pct"), Column("cov80", "Inside 80% band %", "pct"),
            Column("cov90", "Inside 90% band %", "pct")], backtest_rows(fr.backtest),
            "Weighted absolute percentage error at rolling 31 March origins; coverage should be near 80% and 90%."),
        *([_combined_table(fr.backtest)] if pooled and fr.backtest is not None else []),
    ])


def combined_rows(bt: BacktestResult) -> list[dict]:
    """The combined forecast's own backtest (each origin weighted by the other origins only), in percent."""
    return [{"horizon": int(r["horizon_months"]), "what": "placement categories" if r["category"] == "categories"
             else "all children", "combined": r["wape"] * 100, "model": r["wape_model"] * 100,
             "nochange": r["wape_nochange"] * 100} for r in bt.combination.to_dict("records")]


def _combined_table(bt: BacktestResult) -> Table:
    """The table of :func:`combined_rows`."""
    return Table("backtest_combined", "The combined forecast (the one reported) in the same backtest", [
        Column("horizon", "Months ahead", "int"), Column("what", "Measure"),
        Column("combined", "Combined forecast error %", "pct"), Column("model", "Microsimulation error %", "pct"),
        Column("nochange", "'No change' error %", "pct")], combined_rows(bt),
        "Out of sample: each origin's weights come from the other origins only.")

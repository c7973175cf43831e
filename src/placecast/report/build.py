"""Build the report model for a quarter from a council's inputs: one pass through the library.

Every figure is computed here from the data and the configuration (nothing is typed in), so the
three renderings agree with each other and with the CSV outputs of the individual commands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pandas as pd

from placecast.errors import LocatedProblem, UnusableInputError, load_yaml
from placecast.finance.calendar import fy_end, fy_label, fy_start
from placecast.report.charts import avoidance_chart, benchmark_chart, children_chart, cost_chart
from placecast.report.config import ReportConfig, ReportConfigError, parse_quarter
from placecast.report.model import DOT_TEXT, Chart, Column, Figure, Report, Section, Table, Text, display

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def default_file(name: str) -> resources.abc.Traversable:
    return resources.files("placecast.report").joinpath("defaults", name)


def read_commentary(path: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """(paragraphs by section id, paragraphs by indicator id) from the commentary YAML."""
    if path is None:
        return {}, {}
    file = str(path)
    data = load_yaml(path, lambda message: ReportConfigError([LocatedProblem(file, "-", "", "", message)])) or {}
    if not isinstance(data, dict):
        raise ReportConfigError([LocatedProblem(file, "-", "", str(data)[:40], "the file must map 'sections' "
                                                "and 'indicators' to paragraphs.")])
    problems = []
    out: list[dict[str, str]] = []
    for part in ("sections", "indicators"):
        block = data.get(part) or {}
        if not isinstance(block, dict):
            problems.append(LocatedProblem(file, part, part, str(block)[:40], "must map names to paragraphs."))
            block = {}
        texts = {}
        for key, text in block.items():
            if not isinstance(text, str) or not text.strip():
                problems.append(LocatedProblem(file, f"{part}.{key}", str(key), str(text)[:40],
                                               "commentary must be a paragraph of text."))
            else:
                texts[str(key)] = " ".join(text.split())
        out.append(texts)
    unknown = [k for k in data if k not in ("sections", "indicators")]
    for k in unknown:
        problems.append(LocatedProblem(file, str(k), str(k), "", "unknown part; use 'sections' and 'indicators'."))
    if problems:
        raise ReportConfigError(problems)
    return out[0], out[1]


def _months_between(a: pd.Timestamp, b: date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def _frame_rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if (isinstance(v, float) and v != v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def _k(value: Decimal | float | int | None, scale: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in the budget file's units as exact £000."""
    return None if value is None else Decimal(str(value)) * scale / 1000


def build_report(config: ReportConfig, quarter: str | None = None, progress: Progress = _quiet) -> Report:
    """The whole quarterly report for ``quarter`` (default: the configuration's)."""
    from placecast.finance import default_unit_costs, read_commitments, read_unit_costs
    from placecast.finance.forecast_cost import cost_runs, cost_summary
    from placecast.finance.outturn import forecast_outturn
    from placecast.model import DemandModel, backtest
    from placecast.ssda903 import ingest, is_history_folder, load_taxonomy, read_history
    from placecast.ssda903.assemble import count_in_care, known_at
    from placecast.ssda903.pseudonym import resolve_key

    q = quarter or config.quarter
    if q is None:
        raise UnusableInputError("No quarter given: pass --quarter YYYY-Qn or add 'quarter:' to the configuration.")
    try:
        quarter_label, as_at = parse_quarter(q)
    except ValueError as exc:
        raise UnusableInputError(str(exc)) from exc
    missing = [LocatedProblem("report configuration", key, key, str(path), "no such file; correct the path "
                              "(relative paths are relative to the configuration file).")
               for key in ("budget", "unit_costs", "commitments", "plan", "scenario", "indicators", "commentary")
               if (path := getattr(config, key)) is not None and not Path(path).is_file()]
    missing += [LocatedProblem("report configuration", "data", "data", str(p), "no such folder.")
                for p in config.data if not Path(p).exists()]
    if missing:
        raise ReportConfigError(missing)
    warnings: list[str] = []
    notes: list[str] = []
    tax = load_taxonomy()
    labels = tax.labels()
    categories = tax.categories
    rates = read_unit_costs(config.unit_costs) if config.unit_costs else default_unit_costs()

    # 1. the care history, as known at the quarter end
    progress("Reading and validating the SSDA903 data")
    if len(config.data) == 1 and is_history_folder(config.data[0]):
        full = read_history(config.data[0])
        findings_file = Path(config.data[0]) / "findings.csv"
        findings = (pd.read_csv(findings_file, dtype=str, keep_default_na=False) if findings_file.exists()
                    else pd.DataFrame(columns=["rule", "severity"]))
    else:
        key = resolve_key(config.key_file)
        full, validated = ingest(config.data, key, taxonomy=tax)
        findings = pd.DataFrame([{"rule": f.rule, "severity": f.severity} for f in validated.findings],
                                columns=["rule", "severity"])
    if full.episodes.empty:
        raise UnusableInputError(f"{config.data[0]}: the data hold no episodes; nothing to report.")
    if full.census_date < as_at:
        history = full
        warnings.append(f"The data end on {full.census_date:%d/%m/%Y}, before the quarter end ({as_at:%d/%m/%Y}): "
                        "counts at the quarter end are forecast, and placement actuals run to the data's end.")
    else:
        history = known_at(full, as_at)
    notes.append(f"Care history: {full.census_date:%d/%m/%Y} census date, {len(full.years)} collection year(s); "
                 f"this report uses what was known on {history.census_date:%d/%m/%Y}.")

    # 2. demand forecast and backtest
    progress(f"Forecasting children in care ({config.forecast.runs:,} runs) and backtesting")
    model = DemandModel(n_runs=config.forecast.runs, random_state=config.forecast.seed).fit(history)
    horizon_end = fy_end(fy_end(as_at) + timedelta(days=1) + timedelta(days=366))  # 31 March, two years on
    horizon = max(_months_between(model.origin_, horizon_end), 12)
    forecast = model.project(horizon)
    bt = backtest(history, n_runs=config.forecast.backtest_runs, random_state=config.forecast.seed)
    fc_table = forecast.table()
    run_days = forecast.run_days()

    # 3. money
    progress("Costing the forecast and the outturn")
    costed = cost_runs(run_days, rates)
    by_year = cost_summary(costed, "financial_year")
    register = None
    if config.commitments is not None:
        register = read_commitments(config.commitments, rates.lines, resolve_key(config.key_file))
    outturn = forecast_outturn(config.budget, as_at, rates, commitments=register, run_costs=costed,
                               history_episodes=history.episodes)
    budget = outturn.budget
    scale = budget.scale

    # 4. recovery programme: scenario against the frozen baseline, realised avoidance, invest to save
    progress("Running the recovery scenario and tracking the programme")
    from placecast.programme.scenario import comparison_tables, read_scenario, run_scenarios

    if config.scenario is not None:
        scenario = read_scenario(config.scenario)
    else:
        with resources.as_file(resources.files("placecast.programme").joinpath("default_scenario.yaml")) as path:
            scenario = read_scenario(path)
    scenario = dataclasses.replace(scenario, start=history.census_date,
                                   runs=min(scenario.runs, config.forecast.runs), seed=config.forecast.seed)
    capacity = config.capacity or scenario.capacity
    baseline, results = run_scenarios(history, [scenario], rates)
    scen_tables = comparison_tables(baseline, results, capacity)
    prog_tables: dict[str, pd.DataFrame] = {}
    plan = None
    if config.plan is not None:
        from placecast.programme import read_plan
        from placecast.programme.tracker import programme_tables

        plan = read_plan(config.plan)
        prog_tables = programme_tables(plan, as_at, history if plan.approved else None, rates)

    # 5. indicators
    progress("Rating indicators and benchmarking")
    from placecast.kpi import compute_indicators, rate_table, read_definitions
    from placecast.kpi.definitions import IndicatorValues

    if config.indicators is not None:
        definitions = read_definitions(config.indicators)
    else:
        with resources.as_file(default_file("indicators.csv")) as path:
            definitions = read_definitions(path)
    prev_ye = fy_start(as_at) - timedelta(days=1)
    two_ye = prev_ye.replace(year=prev_ye.year - 1)
    pop = config.population_0_17
    now_vals = compute_indicators(history.episodes, as_at, pop).set_index("id")
    prev_vals = compute_indicators(history.episodes, prev_ye, pop).set_index("id")
    two_vals = compute_indicators(history.episodes, two_ye, pop).set_index("id") if two_ye >= \
        date(min(history.years) - 1, 4, 1) else None
    year_end = fc_table[(fc_table["date"] == fy_end(as_at).isoformat()) & (fc_table["category"] == "total")]
    cla_forecast = float(year_end["mean"].iloc[0]) if len(year_end) and as_at < fy_end(as_at) else None
    values: dict[str, IndicatorValues] = {}
    for ident in definitions:
        if ident not in now_vals.index:
            why = ("it needs population_0_17 in the configuration" if ident == "CLA_RATE" else
                   "Placecast cannot compute it from the SSDA903 data")
            warnings.append(f"Indicator {ident} is left out: {why}.")
            continue

        def val(frame: pd.DataFrame | None, ident: str = ident) -> float | None:
            if frame is None or ident not in frame.index:
                return None
            v = float(frame.loc[ident, "value"])
            return None if v != v else v

        forecast_value = None
        if cla_forecast is not None and ident == "CLA":
            forecast_value = cla_forecast
        elif cla_forecast is not None and ident == "CLA_RATE" and pop:
            forecast_value = cla_forecast / pop * 10_000
        row = now_vals.loc[ident]
        values[ident] = IndicatorValues(ident, val(two_vals), val(prev_vals), val(now_vals), as_at, forecast_value,
                                        float(row["numerator"]), None if pd.isna(row["denominator"])
                                        else float(row["denominator"]))
    rated = rate_table(definitions, values)
    section_text, indicator_text = read_commentary(config.commentary)

    bench = None
    if config.benchmark is not None:
        from placecast.kpi import benchmark

        if not Path(config.benchmark.stats).is_dir():
            warnings.append(f"Benchmark statistics folder {config.benchmark.stats} not found: no benchmark chart.")
        else:
            bench = benchmark(config.benchmark.council, config.benchmark.stats, "cla_rate")

    # ---------------------------------------------------------------- assemble the report model
    progress("Assembling the report")
    cla_now = count_in_care(history.episodes, as_at, categories)
    year_ago = as_at.replace(year=as_at.year - 1)
    cla_then = count_in_care(history.episodes, year_ago, categories)
    head = budget.headline()
    risk = ""
    if outturn.forecast_spread is not None and head["forecast_outturn"] is not None:
        central = head["forecast_outturn"] * scale / 1000
        low, high = (central + d / 1000 for d in outturn.forecast_spread)
        risk = f"; 80% range {display(low, 'gbp_k')} to {display(high, 'gbp_k')} (placement demand)"
    headline = [
        Figure("Cash limit", _k(head["cash_limit"], scale), "gbp_k", "£000"),
        Figure("Forecast outturn", _k(head["forecast_outturn"], scale), "gbp_k",
               "£000, after covid scarring allocations and reserves" + risk),
        Figure("(Surplus)/deficit before reserves", _k(head["deficit_before_reserves"], scale), "gbp_k",
               f"£000; {float(head['deficit_before_pct'] or 0):.1f}% of the cash limit"),
        Figure("Reserves drawdown", _k(head["reserves_used"], scale), "gbp_k", "£000"),
        Figure("(Surplus)/deficit after reserves", _k(head["deficit_after_reserves"], scale), "gbp_k",
               f"£000; {float(head['deficit_after_pct'] or 0):.1f}% of the cash limit"),
        Figure("Children in care now", cla_now["total"], "int", f"at {as_at:%d/%m/%Y}"),
        Figure("Children in care a year ago", cla_then["total"], "int", f"at {year_ago:%d/%m/%Y}"),
    ]
    if cla_forecast is not None:
        headline.append(Figure("Children in care forecast at 31 March", cla_forecast, "int",
                               f"mean forecast at {fy_end(as_at):%d/%m/%Y}"))
    sections: list[Section] = []

    # outturn
    ot = budget.outturn_table()
    outturn_rows = [{"line": r["line"], **{c: _k(r[c], scale) for c in
                                          ("cash_limit", "forecast_net_expenditure", "covid_scarring", "reserves",
                                           "net_after_scarring_and_reserves", "deficit", "previous_deficit",
                                           "movement")}} for r in ot.to_dict("records")]
    money_cols = [Column("line", "Service line"), Column("cash_limit", "Cash limit £000", "gbp_k"),
                  Column("forecast_net_expenditure", "Forecast net expenditure £000", "gbp_k"),
                  Column("covid_scarring", "Covid scarring £000", "gbp_k"),
                  Column("reserves", "From reserves £000", "gbp_k"),
                  Column("net_after_scarring_and_reserves", "Net after reserves £000", "gbp_k"),
                  Column("deficit", f"(Surplus)/deficit {quarter_label[-2:]} £000", "gbp_k"),
                  Column("previous_deficit", "(Surplus)/deficit last quarter £000", "gbp_k"),
                  Column("movement", "Movement £000", "gbp_k")]
    blocks: list[Table | Chart | Text] = [
        Table("outturn", "Forecast outturn by service line, with movement since last quarter", money_cols,
              outturn_rows, "Negative amounts in brackets. Deficit = net after reserves - cash limit.", True)]
    comp = [{"component": {"from_history": "Placement actuals to date (care history at unit costs)",
                           "from_commitments": "Committed to 31 March (open placements)",
                           "from_forecast": "Forecast new demand net of expected endings to 31 March "
                                            "(forecast less committed)"}
             .get(k, k), "amount": Decimal(v) / 1000} for k, v in outturn.sources.items()]
    if comp:
        blocks.append(Table("outturn_components", "Placement components computed from the data",
                            [Column("component", "Component"), Column("amount", "£000", "gbp_k")], comp,
                            "Used where the budget file writes from_history, from_commitments or from_forecast."))
    bt_rows = budget.budget_table().to_dict("records")
    blocks.append(Table("budget", "Budget changes since last quarter",
                        [Column("line", "Service line"),
                         Column("budget_previous_quarter", "Last quarter £000", "gbp_k"),
                         Column("changes", "Increase/(reduction) £000", "gbp_k"),
                         Column("cash_limit", "Cash limit £000", "gbp_k")],
                        [{"line": r["line"], **{c: _k(r[c], scale) for c in ("budget_previous_quarter", "changes",
                                                                                "cash_limit")}} for r in bt_rows],
                        total_row=True))
    if budget.reserves:
        res = budget.reserves_table().to_dict("records")
        blocks.append(Table("reserves", "Earmarked reserves: approved use",
                            [Column("category", "Reserve"), Column("purpose", "To be used for"),
                             Column("approved_use_balance", "Approved-use balance £000", "gbp_k"),
                             Column("approved_use", "Approved use £000", "gbp_k"),
                             Column("balance", "Balance remaining £000", "gbp_k")],
                            [{"category": r["category"], "purpose": r["purpose"],
                              **{c: _k(r[c], scale) for c in ("approved_use_balance", "approved_use", "balance")}}
                             for r in res], total_row=True))
    sections.append(Section("outturn", "Forecast outturn against the cash limit", blocks,
                            section_text.get("outturn", "")))

    # children in care: actuals (last 24 month ends) and forecast
    past = pd.date_range(end=pd.Timestamp(model.origin_), periods=25, freq="ME")
    actual_rows = []
    for d in past:
        if d.date() < date(min(history.years) - 1, 4, 1):
            continue
        counts = count_in_care(history.episodes, d.date(), categories)
        for c in [*categories, "total"]:
            actual_rows.append({"date": d.date().isoformat(), "category": c, "kind": "actual",
                                "mean": counts.get(c, 0)})
    fc_chart = fc_table[fc_table["date"] > model.origin_.date().isoformat()].assign(kind="forecast")
    chart_frame = pd.concat([pd.DataFrame(actual_rows), fc_chart], ignore_index=True)
    shown = [c for c in [*categories, "total"] if chart_frame.loc[chart_frame["category"] == c, "mean"].max() > 0]
    chart_frame = chart_frame[chart_frame["category"].isin(shown)]
    all_labels = {**labels, "total": "All children in care"}
    fye = fy_end(as_at)
    next_fye = fy_end(fye + timedelta(days=1))
    rows = []
    for c in shown:
        def at(day: date, c: str = c) -> pd.Series | None:
            hit = fc_table[(fc_table["date"] == day.isoformat()) & (fc_table["category"] == c)]
            return None if hit.empty else hit.iloc[0]

        a, b = at(fye), at(next_fye)
        rows.append({"category": all_labels.get(c, c), "now": cla_now.get(c, 0), "year_ago": cla_then.get(c, 0),
                     "fye_mean": None if a is None else a["mean"], "fye_p10": None if a is None else a["p10"],
                     "fye_p90": None if a is None else a["p90"], "next_mean": None if b is None else b["mean"],
                     "next_p10": None if b is None else b["p10"], "next_p90": None if b is None else b["p90"]})
    total_fye = rows[-1]
    sections.append(Section("children", "Children in care now and forecast", [
        Chart("children_chart", "Children in care by placement category: actual and forecast",
              children_chart(chart_frame, shown, all_labels),
              f"Small multiple line charts, one per placement category, of children in care at each month end: "
              f"actual counts for the last two years, then the forecast mean with 80% and 90% prediction bands. "
              f"All children in care: {cla_now['total']:,} at {as_at:%d/%m/%Y}, forecast "
              f"{total_fye['fye_mean'] or 0:,.0f} at {fye:%d/%m/%Y} (80% range {total_fye['fye_p10'] or 0:,.0f} "
              f"to {total_fye['fye_p90'] or 0:,.0f})."),
        Table("children", "Children in care by placement category",
              [Column("category", "Placement category"), Column("year_ago", f"{year_ago:%d/%m/%Y}", "int"),
               Column("now", f"{as_at:%d/%m/%Y}", "int"), Column("fye_mean", f"Forecast {fye:%d/%m/%Y}", "num1"),
               Column("fye_p10", "P10", "num1"), Column("fye_p90", "P90", "num1"),
               Column("next_mean", f"Forecast {next_fye:%d/%m/%Y}", "num1"), Column("next_p10", "P10", "num1"),
               Column("next_p90", "P90", "num1")], rows,
              "Forecast: mean of the Monte Carlo runs; P10 and P90 bound the 80% prediction interval.", True),
    ], section_text.get("children", "")))

    # placement cost by financial year: categories x years (mean), then the range of the total
    years = sorted(by_year["financial_year"].unique())
    mean_k = {(r["category"], r["financial_year"]): r["mean_gbp"] / 1000 for r in by_year.to_dict("records")}
    cost_rows = [{"category": all_labels.get(c, c), **{fy: mean_k.get((c, fy)) for fy in years}}
                 for c in [*categories, "total"] if any(mean_k.get((c, fy)) for fy in years) or c == "total"]
    total_cost = by_year[by_year["category"] == "total"].sort_values("financial_year")
    range_rows = [{"financial_year": r["financial_year"], "mean": r["mean_gbp"] / 1000, "p10": r["p10_gbp"] / 1000,
                   "p50": r["p50_gbp"] / 1000, "p90": r["p90_gbp"] / 1000} for r in total_cost.to_dict("records")]
    first_month = forecast.dates[1].date()
    part = f"{fy_label(first_month)} from {first_month.replace(day=1):%B %Y}"
    sections.append(Section("costs", "Placement cost forecast by financial year", [
        Chart("cost_chart", "Forecast placement cost by financial year", cost_chart(by_year, all_labels),
              "Stacked bar chart of the mean forecast placement cost in each financial year by placement "
              f"category ({part} only), with a black line showing the 80% range (P10 to P90) of the total. " +
              "; ".join(f"{r['financial_year']}: £{r['mean']:,.0f}k (P10 £{r['p10']:,.0f}k to P90 "
                        f"£{r['p90']:,.0f}k)" for r in range_rows) + "."),
        Table("costs", "Forecast placement cost by category and financial year (mean, £000)",
              [Column("category", "Placement category"), *[Column(fy, f"{fy} £000", "gbp_k") for fy in years]],
              cost_rows, f"Placement-days of every run x weekly unit cost / 7; {part} only (the months after the "
              "quarter end). Means across runs.", True),
        Table("cost_range", "Total forecast placement cost: range across runs (£000)",
              [Column("financial_year", "Financial year"), Column("mean", "Mean £000", "gbp_k"),
               Column("p10", "P10 £000", "gbp_k"), Column("p50", "P50 £000", "gbp_k"),
               Column("p90", "P90 £000", "gbp_k")], range_rows,
              "Quantiles are of the total cost across runs (not the cost of a quantile of children)."),
    ], section_text.get("costs", "")))

    # beds against capacity
    beds = scen_tables["beds.csv"]
    bed_rows = [{"scenario": r["scenario"], "category": all_labels.get(r["category"], r["category"]),
                 "capacity": r["in_house_capacity"], "p50": r["needed_p50"], "p90": r["needed_p90"],
                 "shortfall": r["shortfall_p90"]} for r in beds.to_dict("records")]
    if bed_rows:
        sections.append(Section("beds", "Beds needed against in-house capacity", [
            Table("beds", f"Peak beds needed over the next {scenario.horizon_months} months",
                  [Column("scenario", "Scenario"), Column("category", "Placement type"),
                   Column("capacity", "In-house capacity", "int"), Column("p50", "Needed (P50)", "num1"),
                   Column("p90", "Needed (P90)", "num1"), Column("shortfall", "Shortfall at P90", "num1")],
                  bed_rows, "Peak month-end count of children in each placement type, across runs.")],
            section_text.get("beds", "")))

    # recovery programme
    blocks = []
    money = scen_tables["cost_by_year.csv"]
    scen_cols = {"cost": "placement_cost_mean", "avoided": "avoided_mean", "avoided_p10": "avoided_p10",
                 "avoided_p90": "avoided_p90", "delivery": "delivery_cost", "net": "net_saving_mean"}
    scen_rows = [{"scenario": r["scenario"], "financial_year": r["financial_year"],
                  **{k: Decimal(int(r[v])) / 1000 for k, v in scen_cols.items()}} for r in money.to_dict("records")]
    blocks.append(Table("scenario", f"Recovery scenario '{scenario.name}' against the frozen baseline",
                        [Column("scenario", "Scenario"), Column("financial_year", "Financial year"),
                         Column("cost", "Placement cost £000", "gbp_k"), Column("avoided", "Avoided £000", "gbp_k"),
                         Column("avoided_p10", "Avoided P10 £000", "gbp_k"),
                         Column("avoided_p90", "Avoided P90 £000", "gbp_k"),
                         Column("delivery", "Delivery cost £000", "gbp_k"),
                         Column("net", "Net saving £000", "gbp_k")], scen_rows,
                        f"Same model, data and seed ({scenario.seed}) for baseline and scenario; scenario file "
                        f"{scenario.file_hash}."))
    if "planned_vs_realised.csv" in prog_tables:
        pvr = prog_tables["planned_vs_realised.csv"]
        pvr_rows = [{"intervention": r["intervention"], "planned": r["planned_in_year"] / 1000,
                     "realised": r["realised_in_year"] / 1000, "rag": r["rag"]} for r in pvr.to_dict("records")]
        blocks.append(Chart("avoidance_chart", "Planned and realised cost avoidance by intervention",
                            avoidance_chart(pd.DataFrame([{"intervention": r["intervention"], "planned_k":
                                                           float(r["planned"]), "realised_k": float(r["realised"])}
                                                          for r in pvr_rows])),
                            "Horizontal bar chart comparing planned and realised in-year cost avoidance (£000) for "
                            "each intervention: " + "; ".join(f"{r['intervention']} planned £{r['planned']:,.0f}k, "
                                                              f"realised £{r['realised']:,.0f}k"
                                                              for r in pvr_rows) + "."))
        blocks.append(Table("avoidance", "Planned against realised cost avoidance (in year)",
                            [Column("intervention", "Intervention"), Column("planned", "Planned £000", "gbp_k"),
                             Column("realised", "Realised £000", "gbp_k"), Column("rag", "RAG", "rag")], pvr_rows,
                            f"Realised: step-downs and returns home detected in the care history since the plan "
                            f"was approved ({plan.approved if plan else ''}), each costed to 31 March; prevention: "
                            "entries below the baseline frozen at approval."))
    for name, frame in prog_tables.items():
        if name.startswith("invest_to_save_") and name != "invest_to_save_summary.csv":
            case = str(frame["case"].iloc[0])
            its = [{"month": r["month"], "saving": r["saving"] / 1000, "delivery_cost": r["delivery_cost"] / 1000,
                    "net": r["net"] / 1000, "cumulative": r["cumulative"] / 1000} for r in frame.to_dict("records")]
            number = name.rsplit("_", 1)[-1].split(".")[0]
            blocks.append(Table(f"invest_to_save_{number}", f"Invest to save: {case}",
                                [Column("month", "Month"), Column("saving", "Saving £000", "gbp_k"),
                                 Column("delivery_cost", "Delivery cost £000", "gbp_k"),
                                 Column("net", "Net £000", "gbp_k"), Column("cumulative", "Cumulative £000",
                                                                              "gbp_k")], its,
                                "Savings negative (as in the council's tables); delivery costed by days in month."))
    for name, frame in prog_tables.items():
        if name.startswith("savings_"):
            prog = str(frame["programme"].iloc[0])
            sv = [{"year": r["year"], "required": r["required"], "recurrent": r["recurrent"],
                   "non_recurrent": r["non_recurrent"], "forecast": r["forecast_delivery"], "rag": r["rag"]}
                  for r in frame.to_dict("records")]
            number = name.rsplit("_", 1)[-1].split(".")[0]
            blocks.append(Table(f"savings_{number}", f"Savings programme: {prog}",
                                [Column("year", "Year"), Column("required", "Required (cumulative) £000", "gbp_k"),
                                 Column("recurrent", "Recurrent £000", "gbp_k"),
                                 Column("non_recurrent", "Non-recurrent £000", "gbp_k"),
                                 Column("forecast", "Forecast delivery £000", "gbp_k"), Column("rag", "RAG", "rag")],
                                sv, "Red: forecast delivery more than 5% short of the requirement; Amber: within 5%."))
    if "milestones.csv" in prog_tables:
        ms = prog_tables["milestones.csv"]
        blocks.append(Table("milestones", "Milestones",
                            [Column("project", "Project"), Column("milestone", "Milestone"), Column("due", "Due"),
                             Column("status", "Status"), Column("overdue", "Overdue")],
                            [{**r, "overdue": "overdue" if r["overdue"] else ""} for r in ms.to_dict("records")]))
    sections.append(Section("programme", "Recovery programme", blocks, section_text.get("programme", "")))

    # indicators
    ind_rows = []
    commentary_blocks: list[Text] = []
    for r in rated.to_dict("records"):
        ind = definitions[r["id"]]
        unit_kind = "int" if ind.unit == "count" else "num1" if ind.unit == "rate" else "pct" if ind.unit == "%" \
            else "num1"
        v = values[r["id"]]
        ind_rows.append({"id": r["id"], "name": r["name"], "polarity": ind.polarity, "two": v.two_years_ago,
                         "prev": v.previous_year_end, "current": v.current, "forecast": v.forecast,
                         "target": "" if ind.target is None else ind.target, "rag": r["rag"], "dot": r["direction"],
                         "_kinds": dict.fromkeys(("two", "prev", "current", "forecast", "target"), unit_kind)})
        needs = r["rag"] == "Red" or (r["rag"] == "Amber" and r["direction"] == "worse")
        if needs:
            text = indicator_text.get(r["id"])
            lead = f"{r['id']} ({r['rag']}, {DOT_TEXT.get(r['direction'], r['direction'])})"
            if text:
                commentary_blocks.append(Text([f"{lead}: {text}"], "commentary"))
            else:
                commentary_blocks.append(Text([f"{lead}: commentary needed. Add it under 'indicators' in the "
                                               "commentary file."], "commentary missing"))
                if r["rag"] == "Red":
                    warnings.append(f"No commentary for Red indicator {r['id']} ({r['name']}).")
    ind_table = Table("indicators", f"Performance indicators at {as_at:%d/%m/%Y}",
                      [Column("id", "Id"), Column("name", "Indicator"), Column("polarity", "Good performance"),
                       Column("two", f"{two_ye:%d/%m/%Y}", "num1"), Column("prev", f"{prev_ye:%d/%m/%Y}", "num1"),
                       Column("current", f"{as_at:%d/%m/%Y}", "num1"),
                       Column("forecast", f"Forecast {fye:%d/%m/%Y}", "num1"), Column("target", "Target", "num1"),
                       Column("rag", "RAG", "rag"), Column("dot", "Direction of travel", "dot")], ind_rows,
                      "Red: more than 5% below target; Amber: up to 5% below; Green: on or above target (polarity "
                      "respected; Maximise/Minimise compare with the previous year end). Direction of travel: the "
                      "year-end position (forecast where there is one) against the previous year end, stable "
                      "within 1%. Computed from the SSDA903 history.")
    ind_blocks: list[Table | Chart | Text] = [ind_table]
    ind_blocks.append(Text(["Commentary on Red indicators and on Amber indicators that are getting worse."],
                           "lead") if commentary_blocks else Text(["No indicator is Red or Amber and getting "
                                                                   "worse."]))
    ind_blocks.extend(commentary_blocks)
    sections.append(Section("indicators", "Performance indicators", ind_blocks, section_text.get("indicators", "")))

    # benchmarks
    if bench is not None:
        bt_frame = bench.table
        bench_rows = [{"year": int(r["year"]), "council": r["council"], "rank": None if pd.isna(r["rank"]) else
                       f"{int(r['rank'])} of {int(r['of'])}", "sn": r["sn_average"], "region": r["region"],
                       "england": r["england"]} for r in bt_frame.to_dict("records")]
        latest = bench_rows[-1]
        note = config.benchmark.note if config.benchmark else ""
        sections.append(Section("benchmark", "Benchmarking against statistical neighbours", [
            Chart("benchmark_chart", f"Children looked after per 10,000 children: {bench.council}, statistical "
                                     "neighbours, region and England",
                  benchmark_chart(bt_frame[["year", "council", "sn_average", "region", "england"]], bench.council,
                                  "per 10,000 children aged 0-17"),
                  f"Line chart of children looked after per 10,000 children aged 0-17 at 31 March by year for "
                  f"{bench.council}, the average of its 10 statistical neighbours, {bench.region} and England. "
                  f"In {latest['year']}: {bench.council} {latest['council']}, neighbours {latest['sn']}, England "
                  f"{latest['england']}."),
            Table("benchmark", "Children looked after per 10,000 children aged 0-17 (DfE, 31 March)",
                  [Column("year", "Year"), Column("council", bench.council, "num1"),
                   Column("rank", "Rank (1 = lowest)"), Column("sn", "Statistical neighbours", "num1"),
                   Column("region", bench.region, "num1"), Column("england", "England", "num1")], bench_rows,
                  f"Source: DfE, Children looked after in England including adoptions (OGL v3). Neighbours: "
                  f"{', '.join(bench.neighbours)}. {note}".strip()),
        ], section_text.get("benchmark", "")))

    # data quality
    fcount = findings.groupby(["rule", "severity"]).size().reset_index(name="count") if len(findings) else \
        pd.DataFrame(columns=["rule", "severity", "count"])
    from placecast.ssda903.findings import RULES

    dq_rows = [{"rule": r["rule"], "title": RULES.get(r["rule"], ("", "", ""))[2], "severity": r["severity"],
                "count": int(r["count"])} for r in fcount.sort_values(["severity", "count"],
                                                                      ascending=[True, False]).to_dict("records")]
    rep = full.repairs
    rep_rows = [{"action": a, "why": w, "count": int(n)} for (a, w), n in
                rep.groupby(["action", "why"]).size().sort_values(ascending=False).items()] if len(rep) else []
    sections.append(Section("quality", "Data quality", [
        Text([f"{int((findings['severity'] == 'error').sum()):,} error(s) and "
              f"{int((findings['severity'] != 'error').sum()):,} warning(s) in the SSDA903 data; "
              f"{len(rep):,} repair(s) made when assembling the history. Run 'placecast validate' for every "
              "finding with its file, line, column and value."]),
        Table("findings", "Validation findings by rule", [Column("rule", "Rule"), Column("title", "What"),
                                                          Column("severity", "Severity"),
                                                          Column("count", "Count", "int")], dq_rows),
        Table("repairs", "Repairs made when assembling the history", [Column("action", "Repair"),
                                                                     Column("why", "Why"),
                                                                     Column("count", "Count", "int")], rep_rows),
    ], section_text.get("quality", "")))

    # model card
    m = bt.metrics
    card_rows = []
    if not m.empty:
        sub = m[m["category"].isin(["categories", "total"])]
        for r in sub.to_dict("records"):
            card_rows.append({"horizon": int(r["horizon_months"]), "what": "placement categories" if
                              r["category"] == "categories" else "all children", "wape": r["wape"] * 100,
                              "nochange": r["wape_nochange"] * 100, "trend": r["wape_trend"] * 100,
                              "cov80": r["coverage80"] * 100, "cov90": r["coverage90"] * 100})
    s = forecast.settings
    sections.append(Section("model", "Model card", [
        Text([f"Data from {model.data_span_[0]:%d/%m/%Y} to {history.census_date:%d/%m/%Y}; fitted on "
              f"{model.fit_window_[0]:%d/%m/%Y} to {model.fit_window_[1]:%d/%m/%Y}; {len(model.stock_):,} children "
              f"in care at the start. Forecast from {s['origin']} for {s['horizon_months']} months, {s['runs']:,} "
              f"Monte Carlo runs, seed {s['seed']}; window {model.window_years} years, trend {model.trend}, UASC "
              f"{model.uasc}.", bt.summary_text(12)]),
        Table("backtest", "Backtest on this council's own data", [
            Column("horizon", "Months ahead", "int"), Column("what", "Measure"),
            Column("wape", "Weighted error %", "pct"), Column("nochange", "'No change' error %", "pct"),
            Column("trend", "Linear trend error %", "pct"), Column("cov80", "Inside 80% band %", "pct"),
            Column("cov90", "Inside 90% band %", "pct")], card_rows,
            "Weighted absolute percentage error at rolling 31 March origins; coverage should be near 80% and 90%."),
    ]))
    notes.append(f"Forecast: {s['runs']:,} runs, seed {s['seed']}; backtest {config.forecast.backtest_runs} runs; "
                 f"recovery scenario file {scenario.file_hash}.")
    artefacts = {"model": model, "forecast": forecast, "backtest": bt, "cost_by_year": by_year,
                 "scenario_tables": scen_tables, "indicators": now_vals.reset_index(), "outturn": outturn,
                 "history": history}
    return Report(config.title, config.council, quarter_label, as_at, headline, sections, warnings, notes,
                  artefacts)

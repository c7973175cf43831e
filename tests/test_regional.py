"""A region's forecast from its councils' returns (issue 17): the region is the sum of the councils' runs,
a council inside the region is the same council alone with its seed, stacked returns split by council,
and the same figures on two Dask workers as in one process."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from placecast.errors import UnusableInputError
from placecast.finance import default_unit_costs
from placecast.model.settings import ForecastSettings
from placecast.regional.run import council_seed, regional_forecast
from placecast.regional.sources import council_folders
from placecast.synth import SynthSettings, simulate, write_returns

SETTINGS = ForecastSettings(runs=60, horizon_months=12, seed=5, backtest_runs=30)


@pytest.fixture(scope="module")
def region_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("region")
    for i, size in enumerate((120, 200, 80)):
        write_returns(simulate(SynthSettings(children_in_care=size, years=3, end_year=2025, seed=300 + i)),
                      root / f"Council {'ABC'[i]}")
    return root


@pytest.fixture(scope="module")
def results(region_folder):
    return regional_forecast(council_folders([region_folder]), SETTINGS, default_unit_costs(),
                             capacity={"residential_inhouse": 5})


def test_the_regional_total_is_the_sum_of_the_councils_runs(results):
    by_council = sum(c.forecast.counts.to_numpy() for c in results.councils)  # run by run, category by category
    assert np.array_equal(results.region.counts.to_numpy(), by_council)
    total = sum(c.forecast.counts.sum("category").to_numpy() for c in results.councils)
    # pooled counts are fractional: the same sum in another order differs only in the last bits
    np.testing.assert_allclose(results.region.counts.sum("category").to_numpy(), total, rtol=1e-12)
    table = results.region.table()
    end = table[(table["date"] == table["date"].max()) & (table["category"] == "total")].iloc[0]
    council_p90 = sum(c.forecast.table().query("category == 'total'")["p90"].iloc[-1] for c in results.councils)
    assert end["p90"] <= council_p90  # the sum's interval, not summed quantiles


def test_a_council_inside_the_region_is_the_same_council_alone_with_its_seed(results, region_folder):
    from placecast.model import DemandModel
    from placecast.model.combine import projected
    from placecast.ssda903 import ingest

    council = results.councils[1]
    history, _ = ingest([region_folder / council.name], b"any key: pseudonyms do not change the counts")
    assert council.seed == council_seed(SETTINGS.seed, council.name)
    own = SETTINGS.model_copy(update={"seed": council.seed})
    model = DemandModel.from_settings(own).fit(history, results.start)
    alone, bt = projected(model, history, own, SETTINGS.horizon_months)
    assert np.array_equal(alone.counts.to_numpy(), council.forecast.counts.to_numpy())
    assert bt is not None and "anchored_on_no_change" in council.forecast.settings  # pooled by its own backtest
    assert not np.array_equal(model.project(SETTINGS.horizon_months).counts.to_numpy(), alone.counts.to_numpy())


def test_beds_costs_and_tables_are_given_for_the_region_and_each_council(results):
    tables = results.tables()
    assert set(tables["region_children.csv"]["council"]) == {"Council A", "Council B", "Council C", "Region"}
    beds = tables["region_beds.csv"].iloc[0]
    assert beds["category"] == "residential_inhouse" and beds["needed_p90"] >= beds["needed_p50"]
    assert beds["shortfall_p90"] == max(0, beds["needed_p90"] - 5)
    peaks = results.region.count_array[:, 1:, results.region.categories.index("residential_inhouse")].max(axis=1)
    beds_p90 = int(beds["needed_p90"])  # whole beds, enough for nine in ten runs' peak and no fewer
    assert beds_p90 == beds["needed_p90"] and (peaks <= beds_p90).mean() >= 0.9 > (peaks <= beds_p90 - 1).mean()
    costs = tables["region_cost_by_year.csv"]
    region = costs[(costs["council"] == "Region") & (costs["category"] == "total")]["mean_gbp"].to_numpy()
    councils = sum(costs[(costs["council"] == c) & (costs["category"] == "total")]["mean_gbp"].to_numpy()
                   for c in ("Council A", "Council B", "Council C"))
    assert np.allclose(region, councils)  # means add up


def _stack(region_folder, stacked, councils, spelt=None):
    """The councils' returns as stacked files with an LA column (``spelt``: how each is written, by year)."""
    for council in councils:
        for file in sorted((region_folder / council).rglob("*.csv")):
            target = stacked / file.relative_to(region_folder / council)
            target.parent.mkdir(parents=True, exist_ok=True)
            rows = list(csv.DictReader(file.open(encoding="utf-8-sig")))
            new = not target.exists()
            name = (spelt or {}).get((council, target.parent.name), council)
            with target.open("a", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, fieldnames=["LA", *rows[0].keys()] if rows else ["LA"])
                if new:
                    writer.writeheader()
                writer.writerows({"LA": name, **r} for r in rows)
    return stacked


def test_stacked_returns_with_a_council_column_split_into_one_folder_per_council(region_folder, tmp_path):
    stacked = _stack(region_folder, tmp_path / "stacked", ("Council A", "Council C"))
    folders = council_folders([stacked], "LA", tmp_path / "work")
    assert list(folders) == ["Council A", "Council C"]
    original = pd.read_csv(next((region_folder / "Council C").rglob("episodes*.csv")))
    split = pd.read_csv(folders["Council C"] / next((region_folder / "Council C").rglob("episodes*.csv")).relative_to(
        region_folder / "Council C"))
    pd.testing.assert_frame_equal(original, split, check_dtype=False)


def test_the_same_figures_on_two_workers_as_in_one_process(region_folder, results):
    from placecast.distributed import dask_client

    with dask_client(workers=2) as client:
        spread = regional_forecast(council_folders([region_folder]), SETTINGS, default_unit_costs(),
                                   client=client)
    assert np.array_equal(spread.region.counts.to_numpy(), results.region.counts.to_numpy())
    # the local workers run as the command's own process would: the C library's own memory trimming (Dask's
    # MALLOC_TRIM_THRESHOLD_ made the Monte Carlo 1.4x slower) and one Monte Carlo thread on each one core
    # and log only Dask's critical messages: a heartbeat meeting the scheduler's close at the end of a command
    # printed three tracebacks under the user's message (once in six runs on a loaded machine)
    with dask_client(workers=2) as client:
        environ = set(client.run(_worker_environ).values())
    assert environ == {(None, "1", logging.CRITICAL, logging.CRITICAL)}


def _worker_environ() -> tuple[str | None, str | None, int, int]:
    import os

    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("PLACECAST_THREADS"),
            logging.getLogger("distributed.worker").getEffectiveLevel(),
            logging.getLogger("distributed.comm.tcp").getEffectiveLevel())


def test_scenarios_run_as_dask_tasks_give_the_same_figures_as_in_one_process(region_folder):
    from pathlib import Path as _Path

    from placecast.distributed import dask_client
    from placecast.programme.scenario import read_scenario, run_scenarios
    from placecast.ssda903 import ingest

    history, _ = ingest([region_folder / "Council B"], b"scenario key")
    scenario = read_scenario(_Path(__file__).parents[1] / "examples" / "programme" / "recovery_scenario.yaml")
    import dataclasses

    scenario = dataclasses.replace(scenario, runs=40, horizon_months=12, start=None)
    alone_base, alone = run_scenarios(history, [scenario])
    with dask_client(workers=2) as client:
        base, spread = run_scenarios(history, [scenario], client=client)
    assert np.array_equal(alone_base.forecast.counts.to_numpy(), base.forecast.counts.to_numpy())
    assert np.array_equal(alone[0].forecast.counts.to_numpy(), spread[0].forecast.counts.to_numpy())
    pd.testing.assert_frame_equal(alone[0].cost_by_run_fy, spread[0].cost_by_run_fy)


def test_a_council_whose_ingest_manifest_is_broken_is_unusable_input_naming_it(region_folder, tmp_path):
    """The common start is read from each ingest folder's manifest; a manifest without a readable census date
    is exit 2 naming the folder, before any council is forecast (not a traceback)."""
    import json
    import subprocess
    import sys

    from placecast.ssda903 import ingest, write_history

    pool = tmp_path / "pool"
    history, validated = ingest([region_folder / "Council A"], b"pool key")
    write_history(history, validated.findings, pool / "Council A", {})
    manifest = pool / "Council A" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "census_date": "31/03/2025"}))
    result = subprocess.run([sys.executable, "-m", "placecast.cli", "region", str(pool), "--out", str(tmp_path / "out"),
                             "--runs", "20", "--workers", "0", "--no-report"], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "Council A" in said and "not a readable Placecast history folder" in said and "Traceback" not in said
    assert not (tmp_path / "out").exists()


def test_a_council_with_a_year_missing_stops_the_region_with_one_message_on_two_workers(region_folder, tmp_path):
    """A council's unusable returns are exit 2 naming the council and the fix; on a local cluster the worker
    does not also log the mistake as a failed computation with a traceback."""
    import shutil
    import subprocess
    import sys

    pool = tmp_path / "pool"
    shutil.copytree(region_folder / "Council A", pool / "Council A")
    shutil.copytree(region_folder / "Council B", pool / "Council B")
    shutil.rmtree(pool / "Council B" / "2024")
    result = subprocess.run([sys.executable, "-m", "placecast.cli", "region", str(pool), "--out", str(tmp_path / "out"),
                             "--runs", "20", "--workers", "2", "--no-report"], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "Council B" in said and "Add the 2024/ folder" in said
    assert "illustrative" not in said  # the unit costs are not warned of for a forecast that was not made
    assert "Traceback" not in said and "Compute Failed" not in said and not (tmp_path / "out").exists()


def test_two_spellings_of_one_council_in_stacked_returns_are_an_error_naming_both(region_folder, tmp_path):
    # 'council c' in one year would be a council of its own with that year alone, Council C without it.
    last = max(p.name for p in (region_folder / "Council C").iterdir() if p.name.isdigit())
    stacked = _stack(region_folder, tmp_path / "stacked", ("Council A", "Council C"),
                     {("Council C", last): "council c "})
    with pytest.raises(UnusableInputError, match="council 'council c', but .* writes 'Council C'"):
        council_folders([stacked], "LA", tmp_path / "work")



def test_a_stacked_file_not_in_utf8_or_with_a_row_longer_than_its_header_is_an_error(region_folder, tmp_path):
    """A file saved in Windows' own encoding stopped placecast region as an internal error (exit 3); cells past
    the header were dropped as the returns were split by council."""
    stacked = _stack(region_folder, tmp_path / "stacked", ("Council A", "Council C"))
    file = next(stacked.rglob("episodes*.csv"))
    original = file.read_bytes()
    file.write_bytes(original + "Council A,\u00a3".encode("cp1252"))
    with pytest.raises(UnusableInputError, match=r"byte 0xa3 is not valid UTF-8\. Save the file as 'CSV UTF-8"):
        council_folders([stacked], "LA", tmp_path / "work")
    lines = original.decode("utf-8").splitlines()
    lines[2] += ",extra"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UnusableInputError, match=f"{file.name}, line 3: more cells than the header has columns"):
        council_folders([stacked], "LA", tmp_path / "work2")

def test_a_stacked_councils_missing_year_names_the_council_not_a_temporary_folder(region_folder, tmp_path):
    import subprocess
    import sys
    import tempfile

    stacked = _stack(region_folder, tmp_path / "stacked", ("Council A", "Council C"))
    for file in (stacked / "2024").glob("*.csv"):  # Council C's rows of 2024 left out
        rows = list(csv.DictReader(file.open(encoding="utf-8-sig")))
        with file.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if r["LA"] != "Council C")
    result = subprocess.run([sys.executable, "-m", "placecast.cli", "region", str(stacked), "--council-column", "LA",
                             "--out", str(tmp_path / "out"), "--runs", "20", "--workers", "0", "--no-report"],
                            capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert "council Council C" in said and "2024 (the rows of council Council C)" in said
    assert tempfile.gettempdir() + "/tmp" not in said


def test_the_regional_tables_say_which_children_they_count(region_folder, tmp_path):
    # With --uasc only the tables and the summary did not say so.
    import json

    from typer.testing import CliRunner

    from placecast.cli import app

    result = CliRunner().invoke(app, ["region", str(region_folder), "--out", str(tmp_path / "out"), "--runs", "20",
                                      "--workers", "0", "--no-report", "--uasc", "only"])
    assert result.exit_code == 0, result.output
    assert "(UASC only)" in " ".join(result.output.split())
    recorded = json.loads((tmp_path / "out" / "forecast_settings.json").read_text())
    assert recorded["uasc"] == "only" and recorded["runs"] == 20


def test_the_region_is_costed_at_its_own_unit_costs_or_says_they_are_illustrative(region_folder, results, tmp_path):
    """The region had no --unit-costs: every council was costed at the built-in illustrative costs, without a
    word in the tables, the summary or the report."""
    from dataclasses import replace

    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.finance.unit_costs import read_unit_costs
    from placecast.regional.report import _priced_at

    assert "built-in illustrative unit costs" in _priced_at(results)
    costs = tmp_path / "costs.csv"
    costs.write_text("cost_line,weekly_cost,effective_from\n" + "".join(
        f"{line},{2 * weekly},2020-04-01\n" for line, ((_, weekly),) in default_unit_costs().rates.items()),
        encoding="utf-8")
    assert _priced_at(replace(results, unit_costs=read_unit_costs(costs))) == "the unit costs of costs.csv"
    base = ["region", str(region_folder), "--runs", "20", "--workers", "0", "--no-report"]
    built_in = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "a")])
    own = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "b"), "--unit-costs", str(costs)])
    assert built_in.exit_code == own.exit_code == 0, own.output
    assert "built-in illustrative unit costs" in " ".join(built_in.output.split()) and "illustrative" not in own.output
    import pandas as pd

    a, b = (pd.read_csv(tmp_path / d / "region_cost_by_year.csv", encoding="utf-8-sig") for d in ("a", "b"))
    priced = a["mean_gbp"] > 0  # adoption costs nothing at either price
    assert (b["mean_gbp"][priced] / a["mean_gbp"][priced]).round(3).eq(2).all()  # the same runs, twice the prices


def test_each_council_may_be_costed_at_its_own_unit_costs_and_the_region_adds_their_costed_runs(results):
    """A region whose councils pay different prices (the web's region, each council with its own unit costs)
    was costed at one set: the region's cost is now the councils' costed runs added run by run."""
    from dataclasses import replace

    from placecast.finance.unit_costs import UnitCosts
    from placecast.regional.report import _priced_at

    doubled = UnitCosts({line: [(day, 2 * weekly) for day, weekly in entries]
                         for line, entries in default_unit_costs().rates.items()}, source="b.yaml")
    own = replace(results, own_costs={"Council B": doubled})
    before, after = (r.costs().set_index(["council", "financial_year", "category"]) for r in (results, own))
    b, a = after.loc["Council B", "mean_gbp"], before.loc["Council B", "mean_gbp"]
    priced = a > 0  # adoption costs nothing at either price
    assert (b[priced] / a[priced]).round(9).eq(2).all()
    assert after.loc["Council A"].equals(before.loc["Council A"])
    means = after["mean_gbp"].drop("Region", level="council").groupby(level=["financial_year", "category"]).sum()
    region = after.loc["Region", "mean_gbp"]
    np.testing.assert_allclose(region.loc[means.index], means, rtol=1e-9)  # means add; quantiles do not
    p90 = after["p90_gbp"].xs("total", level="category")
    assert (p90.loc["Region"] < p90.drop("Region", level="council").groupby(level="financial_year").sum()).all()
    assert _priced_at(own).startswith("each council's own unit costs (Council B); Council A, Council C at Placecast")
    with pytest.raises(UnusableInputError, match="unit costs given for Council Z, which are not among"):
        regional_forecast({"Council A": Path("x")}, SETTINGS, default_unit_costs(), date(2025, 3, 31),
                          own_costs={"Council Z": doubled})


def test_the_command_costs_a_council_at_its_own_unit_costs(region_folder, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from placecast.cli import app

    costs = tmp_path / "b.csv"
    costs.write_text("cost_line,weekly_cost,effective_from\n" + "".join(
        f"{line},{2 * weekly},2020-04-01\n" for line, ((_, weekly),) in default_unit_costs().rates.items()),
        encoding="utf-8")
    base = ["region", str(region_folder), "--runs", "20", "--workers", "0", "--no-report"]
    plain = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "a")])
    own = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "b"), "--council-unit-costs", f"Council B={costs}"])
    assert plain.exit_code == own.exit_code == 0, own.output
    said = " ".join(own.output.split())
    assert "the region's costs (of the councils without their own) are at Placecast's built-in" in said
    a, b = (pd.read_csv(tmp_path / d / "region_cost_by_year.csv", encoding="utf-8-sig").set_index(
        ["council", "financial_year", "category"])["mean_gbp"] for d in ("a", "b"))
    priced = a.loc["Council B"] > 0
    assert (b.loc["Council B"][priced] / a.loc["Council B"][priced]).round(3).eq(2).all()
    assert b.loc["Council A"].equals(a.loc["Council A"])
    refused = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "c"), "--council-unit-costs", f"B {costs}"])
    assert refused.exit_code == 2 and "write COUNCIL=FILE" in " ".join(refused.output.replace("│", " ").split())
    unknown = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "c"), "--council-unit-costs",
                                       f"Council Z={costs}"])
    said = " ".join(unknown.output.replace("│", " ").split())
    assert unknown.exit_code == 2 and "no council Council Z; the councils are Council A, Council B" in said
    assert "Warning" not in said and not (tmp_path / "c").exists()


def test_year_folders_given_as_councils_are_an_error_not_councils_named_2023(region_folder, tmp_path):
    """Stacked returns without --council-column, or one council's folder, were forecast as councils named by
    their year folders (the run failed later on a start date that did not say why)."""
    stacked = _stack(region_folder, tmp_path / "stacked", ("Council A", "Council C"))
    for path in (stacked, region_folder / "Council A"):
        with pytest.raises(UnusableInputError, match="are collection years, not councils.*--council-column"):
            council_folders([path])


def test_a_council_a_year_behind_is_said_to_hold_the_region_back(region_folder, results, tmp_path):
    """One council without its latest return moved every council's start back a year without a word: the
    others' latest year was forecast, not read."""
    import shutil

    behind = tmp_path / "region"
    shutil.copytree(region_folder, behind)
    latest = max(p.name for p in (behind / "Council B").iterdir() if p.name.isdigit())
    shutil.rmtree(behind / "Council B" / latest)
    held = regional_forecast(council_folders([behind]), SETTINGS.model_copy(update={"runs": 20}),
                             default_unit_costs())
    table = held.councils_table().set_index("council")
    assert held.start == date(int(latest) - 1, 3, 31) and (table["start"] == held.start.isoformat()).all()
    assert table.loc["Council A", "census_date"] == f"{latest}-03-31"
    said = held.later_data()
    assert said is not None and said.startswith("Council A, Council C have data to")
    assert "the data of Council B end there" in said
    assert results.later_data() is None  # councils whose data end together: nothing to say


def test_capacity_may_be_a_csv_of_category_and_beds_checked_as_the_yaml_is(tmp_path):
    """A capacity table kept as a spreadsheet was refused as 'YAML keys and values'."""
    from placecast.errors import LocatedInputError
    from placecast.regional.files import read_capacity

    good = tmp_path / "beds.csv"
    good.write_text("category,beds\nresidential_inhouse,20\nfostering_inhouse,200\n", encoding="utf-8")
    categories = ["residential_inhouse", "fostering_inhouse"]
    assert read_capacity(good, categories) == {"residential_inhouse": 20, "fostering_inhouse": 200}
    bad = tmp_path / "bad.csv"
    bad.write_text("category,beds\nresidential_inhouse,20\nresidential_inhouse,x\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_capacity(bad, categories)
    assert [(p.where, p.column) for p in info.value.problems] == [("3", "category"), ("3", "beds.residential_inhouse")]
    ragged = tmp_path / "ragged.csv"  # a value past the header's two columns: a crash (exit 3) before
    ragged.write_text("category,beds\nresidential_inhouse,20,5\nfostering_inhouse,200\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_capacity(ragged, categories)
    assert [(p.where, p.value) for p in info.value.problems] == [("2", "5")]


def test_councils_grouping_placements_differently_are_said_to_mix_the_regions_categories(results):
    """A council assembled with its own taxonomy (solo residential homes apart) summed with councils counting
    them as residential: the region's residential figure mixed two definitions without a word."""
    import dataclasses

    from placecast.model.demand import Forecast
    from placecast.regional.run import summed

    assert results.mixed_categories() is None  # one taxonomy: nothing to say
    first = results.councils[0].forecast
    solo = np.zeros_like(first.counts.to_numpy()[..., :1])
    own = Forecast.from_arrays(list(first.dates), [*first.categories, "residential_solo"],
                               np.concatenate([first.counts.to_numpy(), solo], axis=-1),
                               np.concatenate([first.placement_days.to_numpy(), solo[:, 1:]], axis=-1),
                               dict(first.settings))
    councils = [dataclasses.replace(results.councils[0], forecast=own), *results.councils[1:]]
    mixed = dataclasses.replace(results, councils=councils, region=summed([c.forecast for c in councils]))
    said = mixed.mixed_categories()
    assert said is not None and f"{councils[0].name} has residential_solo" in said
    assert "the totals are not affected" in said


def test_the_regional_report_has_the_children_by_age_when_forecast_by_age(region_folder, results):
    """placecast region --by-age wrote the table by age band, but the report (and the web's region page) left
    it out."""
    from placecast.regional.report import regional_report

    aged = regional_forecast(council_folders([region_folder]), SETTINGS.model_copy(update={"runs": 20}),
                             default_unit_costs(), by_age=True)
    tables = {t.name: t for t in regional_report(aged).tables()}
    by_age = tables["region_children_by_age"]
    assert [r["key"] for r in by_age.rows] == ["0", "1-4", "5-9", "10-13", "14-15", "16", "17",
                                               "All children in care"]
    assert by_age.rows[-1]["now"] == sum(c.children_now for c in aged.councils)
    assert sum(r["now"] for r in by_age.rows[:-1]) == by_age.rows[-1]["now"]
    assert "region_children_by_age" not in {t.name for t in regional_report(results).tables()}


def test_a_region_of_some_ages_counts_its_councils_children_of_those_ages_as_they_age(region_folder, results,
                                                                                        tmp_path):
    """Issue 17's filter by age band: with --ages the region counts only its councils' children of those ages
    (a Regional Care Cooperative planning supported accommodation asks about the 16- and 17-year-olds), each
    council as it is alone with the same setting; the tables, the report and the settings say so."""
    import json

    from typer.testing import CliRunner

    from placecast.cli import app

    aged = regional_forecast(council_folders([region_folder]), SETTINGS.model_copy(update={"ages": ["16", "17"]}),
                             default_unit_costs())
    by_age = regional_forecast(council_folders([region_folder]), SETTINGS, default_unit_costs(), by_age=True)
    for council, everyone in zip(aged.councils, by_age.councils, strict=True):
        start = everyone.forecast.age_table().query(f"date == '{results.start.isoformat()}'")
        assert council.children_now == start[start["age_band"].isin(["16", "17"])]["mean"].sum() > 0
        assert council.children_now < everyone.children_now
    assert np.array_equal(aged.region.counts.to_numpy(), sum(c.forecast.counts.to_numpy() for c in aged.councils))
    result = CliRunner().invoke(app, ["region", str(region_folder), "--out", str(tmp_path / "out"), "--runs", "60",
                                      "--seed", "5", "--horizon-months", "12", "--backtest-runs", "30",
                                      "--workers", "0", "--ages", "16,17"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"Region: {sum(c.children_now for c in aged.councils)} children in care (aged 16, 17)" in said
    assert json.loads((tmp_path / "out" / "forecast_settings.json").read_text())["ages"] == ["16", "17"]
    table = pd.read_csv(tmp_path / "out" / "region_children.csv", encoding="utf-8-sig")
    region_now = table[(table["council"] == "Region") & (table["category"] == "total")]["mean"].iloc[0]
    assert region_now == sum(c.children_now for c in aged.councils)
    page = (tmp_path / "out" / "report").glob("*.html").__next__().read_text(encoding="utf-8")
    assert "Children in care aged 16, 17 across the region" in page and "Only the children aged 16, 17" in page
    bad = CliRunner().invoke(app, ["region", str(region_folder), "--out", str(tmp_path / "bad"), "--ages", "18"])
    assert bad.exit_code != 0 and "--ages must be '0', '1-4', '5-9', '10-13', '14-15', '16' or '17'" in " ".join(
        str(bad.exception).split())

"""The national forecast from the DfE's published statistics (issue 17): sums of runs, identical results
on any number of workers, suppressed cells, reorganised councils, and nothing after the origin used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from placecast.national.model import council_runs, fit_spread, forecast
from placecast.national.published import read_published
from placecast.national.run import national_forecast

DFE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"
pytestmark = pytest.mark.skipif(not DFE.is_dir(), reason="the DfE's published statistics are in ../shared")


@pytest.fixture(scope="module")
def published():
    return read_published(DFE)


@pytest.fixture(scope="module")
def results(published):
    return national_forecast(published, 2024, 3, runs=200, seed=7, with_backtest=False)


def test_every_council_region_and_england_is_forecast_and_regions_sum_the_councils_runs(results):
    assert results.councils["code"].nunique() == 153 and results.regions["region"].nunique() == 9
    total = results.councils[results.councils["placement"] == "Total"].groupby("year")["mean"].sum()
    england = results.england[results.england["placement"] == "Total"].set_index("year")
    assert np.allclose(total.to_numpy(), england["mean"].to_numpy(), atol=0.05 * 153)  # means add up (to rounding)
    councils_p90 = results.councils[results.councils["placement"] == "Total"].groupby("year")["p90"].sum()
    assert (england["p90"] < councils_p90).all()  # an interval of a sum is not the sum of the intervals
    assert (england["p10"] < england["mean"]).all() and (england["mean"] < england["p90"]).all()


def test_results_are_identical_on_two_workers_and_in_this_process(published):
    from placecast.distributed import dask_client

    alone = national_forecast(published, 2023, 2, runs=50, seed=3, with_backtest=False)
    with dask_client(workers=2) as client:
        spread = national_forecast(published, 2023, 2, runs=50, seed=3, client=client, with_backtest=False)
    pd.testing.assert_frame_equal(alone.councils, spread.councils)
    pd.testing.assert_frame_equal(alone.england, spread.england)


def test_a_council_alone_gets_the_same_runs_as_inside_all_councils(published):
    fc = forecast(published, 2024, 2, fit_spread(published))
    codes = list(fc.expected.index)
    together = council_runs(fc, codes, 30, 11)
    alone = council_runs(fc, [codes[5]], 30, 11)
    assert np.array_equal(together[:, 5], alone[:, 0])


def test_suppressed_groups_are_filled_from_what_the_total_leaves_and_never_zero(published):
    from placecast.national.published import filled_groups

    counts = published.groups.xs(2024, level="year")
    council = counts.index[counts.isna().any(axis=1)][0]
    shares = filled_groups(published, 2024).loc[council]
    left = published.totals.loc[council, 2024] - counts.loc[council].sum()
    missing = counts.loc[council].isna()
    assert np.isclose(shares[missing].sum() * published.totals.loc[council, 2024], left)
    assert (shares[missing] > 0).all() or left == 0


def test_reorganised_councils_get_a_history_on_todays_boundaries(published):
    assert published.own_from["E06000063"] == 2024 and published.backcast["E06000063"] == "E10000006"
    both = published.totals.loc[["E06000063", "E06000064"], 2023].sum()
    assert abs(both - 740) <= 1  # Cumbria's 740 in 2023, shared as Cumberland and Westmorland and Furness in 2024


def test_nothing_published_after_the_origin_changes_the_forecast(published):
    from dataclasses import replace

    before = forecast(published, 2022, 1, fit_spread(published)).expected
    changed = published.totals.copy()
    changed[2024] = changed[2024] * 3
    altered = replace(published, totals=changed)
    assert before.equals(forecast(altered, 2022, 1, fit_spread(published)).expected)


def test_the_command_writes_every_table_and_a_model_card_in_plain_words(tmp_path):
    from typer.testing import CliRunner

    from placecast.cli import app

    out = tmp_path / "national"
    result = CliRunner().invoke(app, ["national", "--stats", str(DFE), "--out", str(out), "--years", "1",
                                      "--runs", "50", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "England at 31 March 2025" in result.output
    card = (out / "national_model_card.md").read_text(encoding="utf-8")
    assert "no change" in card and "| 2023 | 2024 | Placecast |" in card
    councils = pd.read_csv(out / "national_councils.csv")
    assert councils["code"].nunique() == 153 and set(councils["year"]) == {2025}
    assert (councils["p10"] <= councils["p90"]).all()


def test_a_folder_without_the_dfe_files_is_unusable_input_with_what_to_do(tmp_path):
    import subprocess
    import sys

    command = Path(sys.executable).with_name("placecast")
    result = subprocess.run([str(command), "national", "--stats", str(tmp_path), "--out", str(tmp_path / "o"),
                             "--workers", "0"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cla_totals_starts_ceases_2016_2024.csv" in result.stderr


def test_files_of_two_releases_or_without_the_lookup_are_unusable_input(tmp_path):
    """Totals from an older release than the placement types forecast from the older year without a word."""
    import shutil

    from placecast.errors import UnusableInputError

    folder = tmp_path / "dfe"
    shutil.copytree(DFE, folder)
    totals = folder / "cla_totals_starts_ceases_2016_2024.csv"
    frame = pd.read_csv(totals, dtype=str, keep_default_na=False)
    frame[frame["year"] != "2024"].to_csv(totals, index=False)
    with pytest.raises(UnusableInputError, match="runs to 2023 but cla_placement_type_31march_2020_2024.csv to 2024"):
        read_published(folder)
    shutil.copy(DFE / totals.name, totals)
    lookup = (DFE / "la_lookup.csv").read_bytes()
    (folder / "la_lookup.csv").write_bytes(lookup + "E99999999,,Café council,,\n".encode("cp1252"))
    with pytest.raises(UnusableInputError, match="la_lookup.csv: cannot be read as a DfE CSV"):
        read_published(folder)  # it stopped as an internal error (exit 3)
    (folder / "la_lookup.csv").write_bytes(lookup.replace(b"name,", b"la_name,", 1))
    with pytest.raises(UnusableInputError, match="la_lookup.csv: missing column"):
        read_published(folder)
    (folder / "la_lookup.csv").unlink()
    with pytest.raises(UnusableInputError, match="no la_lookup.csv"):
        read_published(folder)


PLACEMENTS, TOTALS = "cla_placement_type_31march_2020_2024.csv", "cla_totals_starts_ceases_2016_2024.csv"
HARTLEPOOL_2024 = "(year == '2024') & (code == 'E06000001') & (level == 'la')"


@pytest.mark.parametrize(("file", "change", "said"), [
    # a column the forecast needs left out: it stopped as an internal error (exit 3)
    (TOTALS, ("drop", "measure"), "missing column(s) measure"),
    (PLACEMENTS, ("drop", "level"), "missing column(s) level"),
    (TOTALS, ("cell", "year", "2024/25"), "column year: '2024/25' is not a year"),
    # a council's total at the origin read as another level, measure or code: the council was left out of
    # its region and England (153 councils became 152, England 352 children fewer) without a word
    (TOTALS, ("cell", "level", "LA", "measure == 'cla_31march'"), "for Hartlepool (E06000001)"),
    (TOTALS, ("cell", "measure", "cla_31March", "measure == 'cla_31march'"), "for Hartlepool (E06000001)"),
    # a group misspelt, or a council code mistyped: the council's group was filled in as if suppressed
    (PLACEMENTS, ("cell", "placement", "Foster placement", "placement == 'Foster placements'"),
     "'Foster placement' is not one of the DfE's placement groups"),
    (PLACEMENTS, ("cell", "code", "E0600000X", "placement == 'Foster placements'"),
     "'E0600000X' is a council code the totals file does not have"),
])
def test_a_mistake_in_the_published_tables_is_unusable_input_not_a_council_left_out(tmp_path, file, change, said):
    import shutil

    from placecast.errors import UnusableInputError

    folder = tmp_path / "dfe"
    shutil.copytree(DFE, folder)
    frame = pd.read_csv(DFE / file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if change[0] == "drop":
        frame = frame.drop(columns=change[1])
    else:
        row = frame.query(" & ".join([HARTLEPOOL_2024, *change[3:]])).index[0]
        frame.loc[row, change[1]] = change[2]
    frame.to_csv(folder / file, index=False)
    with pytest.raises(UnusableInputError) as info:
        national_forecast(read_published(folder), runs=10, with_backtest=False)
    assert said in str(info.value)


def test_the_spread_of_council_totals_is_fitted_by_likelihood():
    """Errors drawn with variance 0.002 + 1.5 / size give back about those figures, and the 80% interval
    they make holds 80% of the errors."""
    from placecast.national.model import variance_by_likelihood

    rng = np.random.default_rng(11)
    size = rng.uniform(50, 3000, 4000)
    errors = rng.standard_normal(4000) * np.sqrt(0.002 + 1.5 / size)
    a, b = variance_by_likelihood(errors ** 2, 1 / size)
    assert abs(a - 0.002) < 0.0004
    assert abs(b - 1.5) < 0.15
    z = errors / np.sqrt(a + b / size)
    assert 0.78 < float(np.mean(np.abs(z) < 1.2816)) < 0.82  # the 80% interval holds 80% of the errors


@pytest.mark.parametrize("origin", [2025, 2015])
def test_an_origin_the_tables_cannot_start_from_says_which_they_can(published, origin):
    """An origin after the last published year, or before the placement groups, was an internal error (KeyError)."""
    from placecast.errors import UnusableInputError

    with pytest.raises(UnusableInputError, match=f"origin {origin}: .* at 31 March of 2020 to 2024"):
        national_forecast(published, origin, years=1, runs=10, with_backtest=False)


def test_a_later_release_named_for_its_own_years_is_read_and_two_releases_of_one_table_are_refused(tmp_path):
    """Next year's files are named for the years they cover (..._2017_2025.csv): the command asked for the 2024
    release's names only."""
    import shutil

    from placecast.errors import UnusableInputError

    folder = tmp_path / "dfe"
    folder.mkdir()
    for name in ("cla_placement_type_31march_2020_2024.csv", "la_lookup.csv"):
        shutil.copy(DFE / name, folder / name)
    shutil.copy(DFE / "cla_totals_starts_ceases_2016_2024.csv", folder / "cla_totals_starts_ceases_2017_2024.csv")
    assert read_published(folder).years[-1] == 2024
    shutil.copy(DFE / "cla_totals_starts_ceases_2016_2024.csv", folder / "cla_totals_starts_ceases_2016_2024.csv")
    with pytest.raises(UnusableInputError, match="2016_2024.csv, cla_totals_starts_ceases_2017_2024.csv are the same"):
        read_published(folder)

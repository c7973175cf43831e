"""The second synthetic generator (issue 16): valid returns, a truth the pipeline agrees with, futures
re-drawn from a fork with the same past, and its calendar (the recording change)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from placecast.ssda903 import ingest, load_taxonomy
from placecast.ssda903.assemble import count_in_care
from placecast.synth import write_returns
from placecast.synth.cohort import CohortSettings, simulate_cohort


@pytest.fixture(scope="module", params=[(11, 0.06), (12, -0.05), (13, 0.0)], ids=["growing", "falling", "steady"])
def council(request, tmp_path_factory):
    seed, trend = request.param
    settings = CohortSettings(children_in_care=250, years=4, end_year=2025, seed=seed, entry_trend=trend)
    result = simulate_cohort(settings)
    folder = tmp_path_factory.mktemp(f"cohort{seed}")
    write_returns(result, folder)
    history, validated = ingest([folder], b"cohort test")
    return settings, result, history, validated


def test_its_returns_pass_every_check_with_no_finding(council):
    _, _, _, validated = council
    found = validated.findings
    assert len(found.errors) == 0 and len(found.warnings) == 0


def test_its_truth_is_what_the_assembled_history_counts_at_each_31_march(council):
    settings, result, history, _ = council
    cats = load_taxonomy().categories
    truth = result.truth.set_index(["date", "category"])["children"]
    for year in range(settings.end_year - settings.years + 1, settings.end_year + 1):
        day = date(year, 3, 31)
        counted = count_in_care(history.episodes, day, cats)
        assert counted["total"] == truth[(day.isoformat(), "total")]
        assert all(counted.get(c, 0) == truth[(day.isoformat(), c)] for c in cats)


def test_the_stock_is_calibrated_to_the_children_asked_for(council):
    settings, result, _, _ = council
    end = result.truth[(result.truth["date"] == "2025-03-31") & (result.truth["category"] == "total")]
    assert abs(int(end["children"].iloc[0]) - settings.children_in_care) <= 0.15 * settings.children_in_care


def test_a_fork_keeps_the_past_and_redraws_the_future():
    base = CohortSettings(children_in_care=200, years=4, end_year=2025, seed=21)
    lam = simulate_cohort(base).entries_per_year
    fixed = replace(base, entries_per_year=lam, fork_date=date(2023, 9, 30))
    a, b = (simulate_cohort(replace(fixed, fork_seed=k)).truth.set_index(["date", "category"])["children"]
            for k in (1, 2))
    unforked = simulate_cohort(replace(base, entries_per_year=lam)).truth.set_index(["date", "category"])["children"]
    past = [key for key in a.index if key[0] <= "2023-09-30"]
    # every category at every month end up to the fork, as the council's own history has it (a fork once
    # re-drew the placements of children in care at the fork from the start of their episode)
    assert all(a[key] == b[key] == unforked[key] for key in past)
    future = sorted({d for d, _ in a.index if d > "2024-03-31"})
    assert any(a[(d, c)] != b[(d, c)] for d in future for c in ("total", "fostering_inhouse"))


def test_after_the_recording_change_no_older_child_starts_an_other_placement():
    result = simulate_cohort(CohortSettings(children_in_care=400, years=4, end_year=2025, seed=31))
    ep, kids = result.episodes, result.children.set_index("child")
    from placecast.synth.simulate import day_number

    after = ep[ep["decom"] >= day_number(date(2023, 10, 28))]
    age = (after["decom"] - kids.loc[after["child"], "dob"].to_numpy()) / 365.25
    assert not ((after["place"] == "Z1") & (age >= 16.1)).any()

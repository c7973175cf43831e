"""Scenarios inside the simulation: zero effect is the baseline exactly; levers move the numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from placecast.cli import app
from placecast.programme.scenario import ScenarioFileError, read_scenario, run_scenarios
from placecast.ssda903 import assemble, validate

HEAD = "name: {name}\nstart: 2025-03-31\nhorizon_months: 12\nruns: 200\nseed: 3\ninterventions:\n"


@pytest.fixture(scope="module")
def history(clean_council):
    return assemble(validate([clean_council]), b"scenarios")


def _scenario(tmp_path: Path, name: str, body: str):
    p = tmp_path / f"{name}.yaml"
    p.write_text(HEAD.format(name=name) + body, encoding="utf-8")
    return read_scenario(p)


zero_effect = st.lists(st.sampled_from([
    "  - {type: edge_of_care, start: 2025-05-01, reduce_entries_pct: 0, age_bands: ['14-15']}\n",
    "  - {type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 0}\n",
    "  - {type: reunification, start: 2025-06-01, increase_return_home_pct: 0}\n",
    "  - {type: step_down, start: 2025-04-01, from: residential_external, to: fostering_inhouse, per_month: 0}\n",
    "  - {type: intensive_support, start: 2025-04-01, cases_per_year: 0, de_escalation_rate: 0.5}\n",
    "  - {type: foster_recruitment, start: 2025-04-01, carers_per_quarter: 0}\n",
]), min_size=1, max_size=4)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zero_effect)
def test_any_mix_of_zero_effect_interventions_is_the_baseline_exactly(history, tmp_path, bodies):
    scenario = _scenario(tmp_path, "mix", "".join(bodies))
    baseline, (same,) = run_scenarios(history, [scenario])
    assert np.array_equal(baseline.forecast.counts, same.forecast.counts)


def test_a_share_may_be_written_as_a_percentage_and_75_says_how_to_write_it(tmp_path):
    home = "  - {type: new_home, opening: 2025-09-01, beds: 4, occupancy: OCC}\n"
    assert _scenario(tmp_path, "pct", home.replace("OCC", "75%")).interventions[0].settings["total"] == 3.0
    with pytest.raises(ScenarioFileError, match=r"a share is a fraction of 1: write 0\.75 \(or 75%\) for 75%"):
        _scenario(tmp_path, "bare", home.replace("OCC", "75"))


def test_a_percentage_written_as_a_fraction_says_how_to_write_it(tmp_path):
    """reduce_entries_pct: 0.1 (meant 10%) kept one entrant in a thousand out of care, without a word."""
    edge = "  - {type: edge_of_care, start: 2025-06-01, reduce_entries_pct: PCT}\n"
    assert _scenario(tmp_path, "pct", edge.replace("PCT", "'10%'")).interventions[0].settings["reduce"] == 0.1
    assert _scenario(tmp_path, "zero", edge.replace("PCT", "0")).interventions[0].settings["reduce"] == 0
    with pytest.raises(ScenarioFileError, match=r"in per cent: write 10 for 10% \(0\.1 would be read as 0\.1%"):
        _scenario(tmp_path, "frac", edge.replace("PCT", "0.1"))


def test_intensive_support_takes_children_out_of_care(history, tmp_path):
    team = _scenario(tmp_path, "ist", "  - {type: intensive_support, start: 2025-04-01, cases_per_year: 24, "
                                      "de_escalation_rate: 0.5}\n")
    baseline, (t,) = run_scenarios(history, [team])
    gap = baseline.forecast.counts[:, -1].sum(axis=1).mean() - t.forecast.counts[:, -1].sum(axis=1).mean()
    assert 6 <= gap <= 14  # about 1 a month for 12 months, less those who would have left anyway


def test_interventions_with_no_effect_reproduce_the_baseline_exactly(history, tmp_path):
    zero = _scenario(tmp_path, "zero", """
  - {type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 0}
  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 0}
  - {type: step_down, start: 2025-04-01, from: residential_external, to: fostering_inhouse, per_month: 0}
""")
    baseline, (same,) = run_scenarios(history, [zero])
    assert np.array_equal(baseline.forecast.counts, same.forecast.counts)
    assert np.array_equal(baseline.forecast.placement_days, same.forecast.placement_days)


def test_each_lever_moves_the_forecast_the_right_way(history, tmp_path):
    prevention = _scenario(tmp_path, "prevent", "  - {type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 50}\n")
    home = _scenario(tmp_path, "home", "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 100}\n")
    step = _scenario(tmp_path, "step", "  - {type: step_down, start: 2025-04-01, from: residential_external, "
                                       "to: fostering_inhouse, per_month: 2, hold: 1}\n")
    baseline, (p, h, s) = run_scenarios(history, [prevention, home, step])
    cats = baseline.forecast.categories
    total = lambda r: r.forecast.counts[:, -1].sum(axis=1).mean()  # noqa: E731
    assert total(p) < total(baseline) and total(h) < total(baseline)
    ext = cats.index("residential_external")
    assert s.forecast.counts[:, -1, ext].mean() < baseline.forecast.counts[:, -1, ext].mean() - 5
    assert (s.cost_by_run_fy.sum(axis=1).mean()) < baseline.cost_by_run_fy.sum(axis=1).mean()


def test_new_home_fills_its_beds_and_then_stops(history, tmp_path):
    home = _scenario(tmp_path, "newhome", "  - {type: new_home, opening: 2025-04-01, beds: 4, occupancy: 0.5}\n")
    baseline, (h,) = run_scenarios(history, [home])
    inhouse = baseline.forecast.categories.index("residential_inhouse")
    gain = h.forecast.counts[:, 3, inhouse].mean() - baseline.forecast.counts[:, 3, inhouse].mean()
    assert 1.0 <= gain <= 2.5  # 4 beds x 50% = 2 children moved, one a month


@pytest.mark.parametrize(("body", "column"), [
    ("  - {type: teleport, start: 2025-04-01}\n", "interventions[0].type"),
    ("  - {type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 150}\n", "interventions[0].reduce_entries_pct"),
    ("  - {type: edge_of_care, start: 2025-02-30, reduce_entries_pct: 5}\n", "interventions[0].start"),
    ("  - {type: step_down, start: 2025-04-01, from: a, to: b, per_month: lots}\n", "interventions[0].per_month"),
    ("  - {type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 5, age_bands: [teens]}\n",
     "interventions[0].age_bands[0]"),
    ("  - {type: new_home, opening: 2025-09-01, beds: 4, occupancy: 75}\n", "interventions[0].occupancy"),
])
def test_bad_scenario_files_are_located(tmp_path, body, column):
    p = tmp_path / "bad.yaml"
    text = HEAD.format(name="bad") + body
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        read_scenario(p)
    line = str(text.count("\n"))  # the intervention is on the last line
    assert (info.value.problems[0].where, info.value.problems[0].column) == (line, column)


def test_scenario_run_cli_writes_tables_and_nothing_for_a_bad_file(clean_council, tmp_path, key):
    good = tmp_path / "good.yaml"
    good.write_text(HEAD.format(name="good") + "  - {type: reunification, start: 2025-04-01, "
                                              "increase_return_home_pct: 20}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "run", str(good), "--history", str(clean_council),
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    written = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"children.csv", "cost_by_year.csv", "beds.csv", "reproduce.csv"} <= written
    bad = tmp_path / "bad.yaml"
    bad.write_text("interventions:\n  - {type: nope}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scenario", "run", str(bad), "--history", str(clean_council),
                                      "--out", str(tmp_path / "b")])
    assert result.exit_code != 0 and not (tmp_path / "b").exists()


def test_a_capacity_no_category_matches_stops_the_run_before_it_starts(history, tmp_path):
    """A misspelt category in 'capacity' left its line out of the beds table with exit 0."""
    from placecast.errors import UnusableInputError

    p = tmp_path / "beds.yaml"
    p.write_text(HEAD.format(name="beds").replace("interventions:", "capacity: {residential_in_house: 14}\n"
                                                  "interventions:") +
                 "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 10}\n", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="capacity: unknown placement category residential_in_house; "
                                                 "use one of .*residential_inhouse"):
        run_scenarios(history, [read_scenario(p)])


@pytest.mark.parametrize(("body", "said"), [
    ("  - {type: step_down, start: 2025-04-01, from: residential_external, to: residential_external, per_month: 1}\n",
     "from and to are both residential_external"),
    ("  - {type: edge_of_care, start: 2026-06-01, reduce_entries_pct: 20}\n",
     "starts on 01/06/2026, after the scenario's last month \\(to 31/03/2026\\)"),
])
def test_an_intervention_that_could_change_nothing_stops_the_run(history, tmp_path, body, said):
    """Both ran with exit 0 and a scenario equal to the baseline: no saving, and no word why."""
    from placecast.errors import UnusableInputError

    with pytest.raises(UnusableInputError, match=said):
        run_scenarios(history, [_scenario(tmp_path, "nothing", body)])


def test_scenarios_compared_must_share_the_baselines_settings(history, tmp_path):
    """A second scenario's own horizon and seed were ignored (the first's ran), yet reproduce.csv recorded them."""
    from placecast.errors import UnusableInputError

    a = _scenario(tmp_path, "a", "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 10}\n")
    p = tmp_path / "b.yaml"
    p.write_text(HEAD.format(name="b").replace("seed: 3", "seed: 4") +
                 "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 20}\n", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="'b' has seed 4, 'a' 3"):
        run_scenarios(history, [a, read_scenario(p)])


def test_scenarios_of_one_name_or_named_baseline_are_refused(history, tmp_path):
    """Two scenarios named alike, or one named 'baseline', gave cost rows no reader could tell apart."""
    from placecast.errors import UnusableInputError

    body = "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 10}\n"
    (tmp_path / "other").mkdir()
    a, again = _scenario(tmp_path, "Plan A", body), _scenario(tmp_path / "other", "plan  a", body)
    with pytest.raises(UnusableInputError, match="Scenario name 'Plan A', 'plan  a'"):
        run_scenarios(history, [a, again])
    with pytest.raises(ScenarioFileError) as info:
        _scenario(tmp_path, "Baseline", body)
    assert "labels the forecast without the scenario" in str(info.value)


def test_an_intervention_that_began_before_the_data_end_is_said_to_be_partly_counted_twice(tmp_path):
    from datetime import date

    from placecast.programme.scenario import already_running

    path = tmp_path / "s.yaml"
    path.write_text("name: Plan\nseed: 1\ninterventions:\n"
                    "  - {type: edge_of_care, name: Edge of care, start: 2024-06-01, reduce_entries_pct: 10}\n"
                    "  - {type: reunification, name: Reunification, start: 2025-06-01, increase_return_home_pct: 5}\n",
                    encoding="utf-8")
    scenario = read_scenario(path)
    note = already_running(scenario, date(2025, 3, 31))
    assert note is not None and note.startswith("In 'Plan', Edge of care (from 01/06/2024) began before the data end")
    assert "Reunification" not in note and "counted twice" in note
    assert already_running(scenario, date(2024, 5, 31)) is None

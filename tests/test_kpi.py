"""Indicators: seed 001 ratings reproduced, computed values checked independently, DfE benchmarks."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placecast.cli import app
from placecast.kpi import (
    IndicatorFileError,
    benchmark,
    check,
    compute_indicators,
    direction,
    rate,
    rate_table,
    read_definitions,
    read_values,
)
from placecast.kpi.definitions import Indicator, IndicatorValues
from placecast.ssda903 import assemble, validate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "seed001"
DFE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"
needs_dfe = pytest.mark.skipif(not DFE.exists(), reason="../shared/reference/dfe is not beside the project")


@pytest.fixture(scope="module")
def seed001():
    defs = read_definitions(EXAMPLES / "definitions.csv")
    return defs, read_values(EXAMPLES / "values.csv", defs)


def test_seed001_every_rating_and_arrow_the_rules_determine_is_reproduced(seed001):
    defs, vals = seed001
    table = rate_table(defs, vals)
    rated = table[table["published_rag"] != ""]
    assert len(rated) == 34 and (rated["published_rag"] != "N/A").sum() == 22  # 22 red, amber or green
    assert (rated["rag"] == rated["published_rag"]).all()
    arrows = table[table["published_direction"] != ""]
    assert len(arrows) == 30 and (arrows["published_direction"] != "n/a").sum() == 23
    agree = arrows[arrows["direction"] == arrows["published_direction"]]
    assert len(agree) == 29  # all but CFE.70


def test_seed001_published_arrow_that_breaks_the_rules_is_listed_with_the_reason(seed001):
    defs, vals = seed001
    problems = check(defs, vals)
    assert [(p.id, p.what, p.published, p.derived) for p in problems] == [("CFE.70", "direction", "worse", "better")]
    assert "-2.3%" in problems[0].why


@pytest.mark.parametrize(("polarity", "target", "prev", "current", "expected"), [
    ("High", 87.0, 91.2, 87.7, "Green"),          # CFE 5: above target
    ("High", 81.0, 80.4, 80.5, "Amber"),          # CFE.65: 0.6% below
    ("High", 86.0, 65.5, 67.6, "Red"),            # CFE 9(i): 21% below
    ("High", 100.0, None, 95.0, "Amber"),         # exactly 5% below is still Amber
    ("Low", 0.23, 0.21, 0.25, "Red"),             # CFE.42: low is good, 8.7% above target
    ("Low", 10.0, 9.71, 2.69, "Green"),           # CFE.36
    ("High", "Maximise", 36.6, 34.9, "Amber"),    # CFE 16(v): previous year end is the target
    ("High", "Maximise", 30.0, 25.0, "Red"),      # CFE 12(ii)
    ("Low", "Minimise", 20.0, 16.0, "Green"),     # CFE.81
    ("High", None, 50.0, 40.0, "N/A"),            # no target, no rating
    ("None", 10.0, 50.0, 40.0, "N/A"),            # contextual
])
def test_rag_rules(polarity, target, prev, current, expected):
    ind = Indicator("X", "x", polarity, "Council", "%", target)
    assert rate(ind, IndicatorValues("X", previous_year_end=prev, current=current))[0] == expected


@pytest.mark.parametrize(("polarity", "prev", "now", "expected"), [
    ("High", 80.4, 80.5, "stable"), ("High", 59.3, 58.5, "worse"), ("Low", 0.21, 0.25, "worse"),
    ("Low", 17.2, 16.8, "better"), ("High", 100.0, 101.0, "stable"), ("High", 44.3, 47.2, "better"),
])
def test_direction_of_travel_rules(polarity, prev, now, expected):
    ind = Indicator("X", "x", polarity, "Council", "%", None)
    assert direction(ind, IndicatorValues("X", previous_year_end=prev, current=now))[0] == expected


def test_forecast_is_the_year_end_position_when_given():
    ind = Indicator("X", "x", "High", "Council", "%", 80.0)
    vals = IndicatorValues("X", previous_year_end=78.0, current=70.0, forecast=81.0)
    assert rate(ind, vals)[0] == "Green" and direction(ind, vals)[0] == "better"


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(("row", "column", "value"), [
    ({"id": "A1", "polarity": "Sideways", "target": "5"}, "polarity", "Sideways"),
    ({"id": "A1", "polarity": "High", "target": "lots"}, "target", "lots"),
    ({"id": "A1", "polarity": "None", "target": "Maximise"}, "target", "Maximise"),
    ({"id": "A1", "polarity": "High", "target": "5", "unit": "furlongs"}, "unit", "furlongs"),
    # a blank unit cell was read as %: a count of 485 children shown as 485%
    ({"id": "A1", "polarity": "Low", "target": "450", "unit": ""}, "unit", ""),
])
def test_bad_definitions_are_located(tmp_path, row, column, value):
    base = {"id": "", "name": "n", "polarity": "", "influence": "Council", "unit": "%", "target": ""}
    path = _write(tmp_path / "defs.csv", [dict(base, **row)])
    with pytest.raises(IndicatorFileError) as info:
        read_definitions(path)
    p = info.value.problems[0]
    assert (p.where, p.column, p.value) == ("2", column, value)
    assert "defs.csv" in str(info.value)


@pytest.mark.parametrize("written", ["%", "percent", "Percentage", "per cent"])
def test_a_percentage_unit_may_be_written_as_councils_head_the_column(tmp_path, written):
    row = {"id": "FOSTER", "name": "n", "polarity": "High", "influence": "Council", "unit": written, "target": "70"}
    assert read_definitions(_write(tmp_path / "defs.csv", [row]))["FOSTER"].unit == "%"  # and checked as one
    assert read_definitions(_write(tmp_path / "r.csv", [dict(row, unit="Rate")]))["FOSTER"].unit == "rate"


def test_duplicate_ids_and_non_numeric_values_are_located(tmp_path):
    defs = _write(tmp_path / "d.csv", [{"id": "A1", "name": "a", "polarity": "High", "target": "5"},
                                       {"id": "A1", "name": "b", "polarity": "Low", "target": "5"}])
    with pytest.raises(IndicatorFileError) as info:
        read_definitions(defs)
    assert [(p.where, p.column) for p in info.value.problems] == [("3", "id")]
    good = read_definitions(_write(tmp_path / "g.csv", [{"id": "A1", "name": "a", "polarity": "High", "target": "5"}]))
    vals = _write(tmp_path / "v.csv", [{"id": "A1", "current": "eighty", "previous_year_end": "70,5"},
                                       {"id": "B2", "current": "1", "previous_year_end": "1"}])
    with pytest.raises(IndicatorFileError) as info:
        read_values(vals, good)
    located = {(p.where, p.column, p.value) for p in info.value.problems}
    # a decimal comma is not a number here (it was read as 705)
    assert located == {("2", "current", "eighty"), ("2", "previous_year_end", "70,5"), ("3", "id", "B2")}


def test_kpi_rate_cli_exit_codes(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["kpi", "rate", str(EXAMPLES / "values.csv"), "--definitions",
                                 str(EXAMPLES / "definitions.csv"), "--format", "csv"])
    assert result.exit_code == 1  # one published arrow disagrees
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert table.loc[table["id"] == "CFE 9(i)", "rag"].item() == "Red"
    assert table.loc[table["id"] == "CFE 9(i)", "arrow"].item() == "↑"


def test_a_blank_current_value_is_shown_as_not_given_not_nan(tmp_path):
    from importlib import resources

    values = tmp_path / "values.csv"
    values.write_text("id,previous_year_end,current\nFOSTER,68,71\nOWN,60,\n", encoding="utf-8")
    definitions = resources.files("placecast.report").joinpath("defaults", "indicators.csv")
    result = CliRunner().invoke(app, ["kpi", "rate", str(values), "--definitions", str(definitions)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0
    own = next(line for line in result.output.splitlines() if " OWN " in line)
    assert "not given" in own and "nan" not in own


# ---- computed indicators against counts made independently -----------------------------------

@pytest.fixture(scope="module")
def history(clean_council):
    return assemble(validate([clean_council]), b"kpi")


def _independent_counts(episodes: pd.DataFrame, day: pd.Timestamp) -> dict[str, int]:
    """Plain loops over episode records: a second, independent way of counting."""
    in_care: dict[str, dict] = {}
    for rec in episodes.to_dict("records"):
        if rec["short_break"]:
            continue
        ended = rec["end"] is not pd.NaT and not pd.isna(rec["end"]) and rec["end"] <= day
        if rec["start"] <= day and not ended:
            in_care[rec["child_id"]] = rec
    starts, ceases = set(), set()
    first_start: dict[str, pd.Timestamp] = {}
    last_end: dict[str, object] = {}
    for rec in episodes.to_dict("records"):
        if rec["short_break"]:
            continue
        pid = rec["period_id"]
        first_start[pid] = min(first_start.get(pid, rec["start"]), rec["start"])
        if pd.isna(rec["end"]):
            last_end[pid] = None
        elif last_end.get(pid, pd.Timestamp.min) is not None:
            last_end[pid] = max(last_end.get(pid, pd.Timestamp.min), rec["end"])
    year_ago = day - pd.DateOffset(years=1)
    for pid, s in first_start.items():
        if year_ago < s <= day:
            starts.add(pid)
        e = last_end[pid]
        if e is not None and year_ago < e <= day:
            ceases.add(pid)
    recs = list(in_care.values())
    # A child in a temporary placement (T0-T4) counts in the placement before it, in the same period.
    by_period: dict[str, list[dict]] = {}
    for rec in sorted(episodes.to_dict("records"), key=lambda r: r["start"]):
        by_period.setdefault(rec["period_id"], []).append(rec)

    def home_place(rec: dict) -> str:
        if not rec["place"].startswith("T"):
            return rec["place"]
        earlier = [r for r in by_period[rec["period_id"]]
                   if r["start"] < rec["start"] and not r["place"].startswith("T")]
        return earlier[-1]["place"] if earlier else rec["place"]

    return {
        "CLA": len(recs),
        "FOSTER": sum(home_place(r) in {"U1", "U2", "U3", "U4", "U5", "U6"} for r in recs),
        "OWN": sum(r["provider"] == "PR1" for r in recs),
        "PARENTS": sum(r["place"] == "P1" for r in recs),
        "EXT_RES_N": sum(r["category"] == "residential_external" for r in recs),
        "UASC": sum(bool(r["uasc"]) for r in recs),
        "STARTS": len(starts),
        "CEASES": len(ceases),
    }


@pytest.mark.parametrize("as_at", [date(2024, 3, 31), date(2025, 9, 30)])
def test_computed_indicators_equal_independent_counts(history, as_at):
    table = compute_indicators(history.episodes, as_at, population_0_17=60_000).set_index("id")
    expected = _independent_counts(history.episodes, pd.Timestamp(as_at))
    n = expected["CLA"]
    assert table.loc["CLA", "value"] == n
    assert table.loc["CLA_RATE", "value"] == pytest.approx(n / 60_000 * 10_000)
    for key in ("FOSTER", "OWN", "PARENTS"):
        assert table.loc[key, "numerator"] == expected[key]
        assert table.loc[key, "denominator"] == n
    for key in ("EXT_RES_N", "UASC", "STARTS", "CEASES"):
        assert table.loc[key, "value"] == expected[key], key
    assert 0 <= table.loc["STAB_3PLUS", "value"] <= 100 and 0 <= table.loc["STAB_LONG", "value"] <= 100


def test_three_placements_in_the_year_counts_moves_not_legal_changes_or_temporary_stays():
    from placecast.kpi.computed import placements_in_window

    t = pd.Timestamp
    rows = [  # child a: S, legal change, temporary stay, back to same carer, move -> 2 placements
        ("a", "S", "U4", "PR1", "2024-04-10", "2024-06-01"), ("a", "L", "U4", "PR1", "2024-06-01", "2024-07-01"),
        ("a", "P", "T3", "", "2024-07-01", "2024-07-10"), ("a", "P", "U4", "PR1", "2024-07-10", "2024-09-01"),
        ("a", "P", "K2", "PR4", "2024-09-01", None),
        # child b: three different placements
        ("b", "S", "U6", "PR4", "2024-05-01", "2024-06-01"), ("b", "P", "U4", "PR1", "2024-06-01", "2024-08-01"),
        ("b", "P", "K2", "PR4", "2024-08-01", None),
    ]
    ep = pd.DataFrame(rows, columns=["child_id", "rne", "place", "provider", "start", "end"])
    ep["start"], ep["end"] = pd.to_datetime(ep["start"]), pd.to_datetime(ep["end"])
    ep["short_break"] = False
    counts = placements_in_window(ep, t("2024-04-01"), t("2025-03-31"))
    assert counts.to_dict() == {"a": 2, "b": 3}


# ---- DfE benchmarks ------------------------------------------------------------------------------

@needs_dfe
def test_published_rate_per_10000_is_count_over_population_for_every_council():
    from placecast.kpi import read_dfe

    df = read_dfe(DFE / "cla_number_and_rate_per_10k_children.csv",
                  ["children_count", "population_estimate", "rate_per_10000"])
    las = df[(df["geographic_level"] == "Local authority") & df["children_count"].notna()
             & df["population_estimate"].notna() & df["rate_per_10000"].notna()]
    assert las["la_name"].nunique() >= 150
    computed = las["children_count"] / las["population_estimate"] * 10_000
    assert ((computed - las["rate_per_10000"]).abs() <= 0.5 + 1e-9).all()


@needs_dfe
@pytest.mark.parametrize(("key", "year", "rate_", "sn_avg"), [
    # Hand-checked: Stockport's 10 neighbours in 2024 are 114, 67, 80, 64, 35, 50, 64, 58, 36, 45 -> 61.3.
    ("Stockport", 2024, 77, 61.3),
    ("356", 2024, 77, 61.3),
    # Hartlepool's: 152, 94, 101, 182, 146, 132, 121, 137, 86, 95 -> 124.6.
    ("E06000001", 2024, 164, 124.6),
])
def test_statistical_neighbour_average_matches_hand_check(key, year, rate_, sn_avg):
    result = benchmark(key, DFE)
    row = result.table[result.table["year"] == year].iloc[0]
    assert row["council"] == rate_ and row["sn_average"] == pytest.approx(sn_avg) and row["sn_count"] == 10


@needs_dfe
def test_suppressed_values_are_missing_not_zero(tmp_path):
    from placecast.kpi import read_dfe

    src = DFE / "cla_number_and_rate_per_10k_children.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    header, first = lines[0], lines[1].split(",")
    first[-2], first[-1] = "c", "low"
    (tmp_path / "f.csv").write_text(header + "\n" + ",".join(first) + "\n", encoding="utf-8")
    df = read_dfe(tmp_path / "f.csv", ["children_count", "rate_per_10000"])
    assert df["children_count"].isna().all() and df["children_count_suppressed"].all()


@needs_dfe
def test_unknown_council_suggests_names():
    from placecast.errors import UnusableInputError

    with pytest.raises(UnusableInputError, match="Did you mean"):
        benchmark("stock", DFE)


@needs_dfe
@pytest.mark.parametrize(("measure", "year", "council", "england"), [
    ("stability_3plus", 2024, 11, 11),
    ("care_leavers_suitable", 2024, 98, 88),
    ("starts_rate", 2024, None, None),
])
def test_other_published_measures(measure, year, council, england):
    result = benchmark("Stockport", DFE, measure)
    row = result.table[result.table["year"] == year].iloc[0]
    if council is not None:
        assert row["council"] == council and row["england"] == england
    assert row["sn_count"] >= 8 and row["of"] >= 130


@needs_dfe
def test_suppressed_council_values_have_no_rank():
    result = benchmark("Stockport", DFE, "new_placements_far")
    row = result.table[result.table["year"] == 2024].iloc[0]
    assert bool(row["suppressed"]) and pd.isna(row["council"]) and pd.isna(row["rank"])


@needs_dfe
@pytest.mark.parametrize(("key", "suggested"), [("Stockportt", "Stockport"), ("stock", "Stockport")])
def test_a_misspelt_council_names_the_nearest(key, suggested):
    from placecast.errors import UnusableInputError

    with pytest.raises(UnusableInputError, match=f"Did you mean .*{suggested}"):
        benchmark(key, DFE, "stability_3plus")


@needs_dfe
@pytest.mark.parametrize("column", ["geographic_level", "time_period", "region_name", "placement_stability"])
def test_a_published_file_without_a_column_the_benchmark_reads_is_unusable_input(tmp_path, column):
    """A column the benchmark filters or groups on, left out of the DfE's file, stopped it with exit 3."""
    import shutil

    from placecast.errors import UnusableInputError

    shutil.copytree(DFE, tmp_path / "dfe")
    file = tmp_path / "dfe" / "la_cla_placement_stability.csv"
    pd.read_csv(file, dtype=str, keep_default_na=False).drop(columns=column).to_csv(file, index=False)
    with pytest.raises(UnusableInputError, match=f"missing column\\(s\\) {column}"):
        benchmark("Stockport", tmp_path / "dfe", "stability_3plus")


def test_a_rule_threshold_may_be_a_percentage_and_5_says_how_to_write_it(tmp_path):
    from importlib import resources

    from placecast.errors import PlacecastError
    from placecast.kpi.rag import load_rules

    built_in = resources.files("placecast.kpi").joinpath("rules.yaml").read_text(encoding="utf-8")
    path = tmp_path / "rules.yaml"
    path.write_text(built_in.replace("  value: 0.05", "  value: 5%"), encoding="utf-8")
    assert load_rules(path).red_gap == pytest.approx(0.05)
    path.write_text(built_in.replace("  value: 0.05", "  value: 5"), encoding="utf-8")  # the same file, edited:
    with pytest.raises(PlacecastError, match=r"write 0\.05 \(or 5%\) for 5%"):  # read again, not the cached one
        load_rules(path)



def test_a_reports_rules_key_names_the_councils_rules_file_not_its_folder(tmp_path):
    """The key of every rated table ended 'Rules: /home/officer/...' with the folder of the officer's machine."""
    import hashlib
    from importlib import resources

    from placecast.kpi.rag import load_rules, rules_in_effect, rules_key

    text = resources.files("placecast.kpi").joinpath("rules.yaml").read_bytes()
    path = tmp_path / "private-folder" / "our-rules.yaml"
    path.parent.mkdir()
    path.write_bytes(text)
    with rules_in_effect(load_rules(path)):
        key = rules_key()
    assert key.endswith(f"Rules: our-rules.yaml (file {hashlib.sha256(text).hexdigest()[:12]}).")
    assert "private-folder" not in key
    assert rules_key().endswith("Rules: built-in rules.")

def test_a_percentage_written_as_a_fraction_against_a_percentage_target_is_said():
    """0.72 against a target of 70 rated Red (and a target written 0.7 against 72% would rate every year Green),
    with no word; a small value against a target it is far below is real and not flagged."""
    from placecast.kpi.definitions import Indicator, IndicatorValues, scale_warnings

    defs = {"FOSTER": Indicator("FOSTER", "Fostered", "High", "Council", "%", 70.0),
            "STAB": Indicator("STAB", "3+ moves", "Low", "Council", "%", 10.0),
            "OWN": Indicator("OWN", "Own provision", "High", "Council", "%", 0.65),
            "CLA": Indicator("CLA", "Children", "Low", "Council", "count", 70.0)}
    values = {"FOSTER": IndicatorValues("FOSTER", previous_year_end=0.71, current=0.72),
              "STAB": IndicatorValues("STAB", previous_year_end=0.8, current=0.4),
              "OWN": IndicatorValues("OWN", previous_year_end=66.0, current=64.5),
              "CLA": IndicatorValues("CLA", current=0.72)}
    said = scale_warnings(defs, values)
    assert [s.split(":")[0] for s in said] == ["FOSTER", "OWN"]
    assert "write them as percentages (72 or 72%)" in said[0] and "write it as a percentage (65 or 65%)" in said[1]


def test_a_population_in_thousands_is_an_error_and_an_implausible_one_a_warning():
    """A population written 60 for 60,000 made the rate 78,167 children looked after per 10,000."""
    from placecast.errors import UnusableInputError
    from placecast.kpi.computed import population_warning

    assert population_warning(469, 60_000) is None and population_warning(469, None) is None
    with pytest.raises(UnusableInputError, match="fewer than the 469 children in care.*not thousands"):
        population_warning(469, 60)
    said = population_warning(469, 600)
    assert said is not None and "7,817 children looked after per 10,000" in said


def test_indicators_by_placement_type_count_the_dfe_codes_whatever_the_councils_own_categories():
    """A council's own taxonomy (its own names, solo residential homes apart) left its children out of
    FOSTER and EXT_RES, which counted the built-in categories: they count the placement codes now."""
    from placecast.kpi import compute_indicators
    from placecast.testing import small_history

    episodes = small_history().episodes
    day = episodes["start"].max().date()
    own = episodes.assign(category=episodes["category"].map(
        lambda c: {"residential_external": "external_homes"}.get(c, c.replace("fostering_", "foster_"))))
    before = compute_indicators(episodes, day).set_index("id")["value"]
    after = compute_indicators(own, day).set_index("id")["value"]
    assert before["EXT_RES"] > 0 and before["FOSTER"] > 0
    assert after.to_dict() == before.to_dict()


@pytest.mark.parametrize("cell", ["-40", "abc", "1.2.3"])
def test_a_published_count_neither_a_number_nor_a_marker_is_an_error_not_a_suppressed_cell(tmp_path, cell):
    """Read as missing, '-40' or a stray word was taken for a suppressed cell and the council's figure filled in
    from its total, without a word."""
    from placecast.errors import UnusableInputError
    from placecast.kpi.benchmarks import read_dfe

    path = tmp_path / "cla.csv"
    path.write_text(f"year,level,code,count\n2024,la,E1,40\n2024,la,E2,c\n2024,la,E3,{cell}\n2024,la,E4,x\n",
                    encoding="utf-8")
    with pytest.raises(UnusableInputError, match=f"cla.csv, line 4, column count: '{cell}' is neither a number"):
        read_dfe(path, ["count"])
    path.write_text("year,level,code,count\n2024,la,E1,40\n2024,la,E2,c\n2024,la,E3,0\n", encoding="utf-8")
    read = read_dfe(path, ["count"])
    assert read["count"].tolist()[::2] == [40, 0] and read["count_suppressed"].tolist() == [False, True, False]


@needs_dfe
def test_a_statistical_neighbours_file_not_in_utf8_is_unusable_input_not_a_crash(tmp_path):
    import shutil

    from placecast.errors import UnusableInputError
    from placecast.kpi.benchmarks import SN_FILE, benchmark

    folder = tmp_path / "dfe"
    shutil.copytree(DFE, folder)
    with (folder / SN_FILE).open("ab") as out:
        out.write("\nCafé".encode("cp1252"))
    with pytest.raises(UnusableInputError, match=f"{SN_FILE}: cannot be read as a DfE CSV"):
        benchmark("Stockport", folder)

"""Synthetic council -> ingest -> history summary equals the simulator's ground truth exactly."""

from __future__ import annotations

import io

import pandas as pd
from typer.testing import CliRunner

from placecast.cli import app
from placecast.ssda903 import assemble, summarise, validate

runner = CliRunner()


def test_clean_synthetic_council_has_no_findings(clean_council):
    found = validate([clean_council]).findings
    assert found.counts_by_rule() == {}


def test_summary_equals_ground_truth_at_every_31_march(clean_council, key, tmp_path):
    ingest = runner.invoke(app, ["ingest", str(clean_council), "--out", str(tmp_path / "hist")])
    assert ingest.exit_code == 0, ingest.output
    result = runner.invoke(app, ["history", "summary", str(tmp_path / "hist"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(io.StringIO(result.output))
    truth = pd.read_csv(clean_council / "truth.csv")
    dates = sorted(got["date"].unique())
    assert dates == [f"{y}-03-31" for y in range(2022, 2027)]
    expected = truth[truth["date"].isin(dates)]
    merged = got.merge(expected, on=["date", "category"], how="outer", suffixes=("", "_truth"))
    assert merged["children"].tolist() == merged["children_truth"].tolist()
    totals = got[got["category"] == "total"]["children"]
    assert totals.between(400, 650).all()


def test_summary_straight_from_returns_equals_summary_from_history(clean_council, key):
    a = runner.invoke(app, ["history", "summary", str(clean_council)])
    history = assemble(validate([clean_council]), key)
    b = summarise(history).to_csv(index=False)
    assert a.exit_code == 0 and a.output == b


def test_history_has_the_contract_columns_and_no_raw_ids(clean_council, key):
    history = assemble(validate([clean_council]), key)
    ep = history.episodes
    for col in ("child_id", "dob", "sex", "uasc", "period_id", "start", "end", "place", "provider", "ls", "cin",
                "rne", "rec", "category", "cost_line", "source", "repair"):
        assert col in ep.columns
    raw = set(pd.read_csv(clean_council / "2022" / "header.csv", dtype=str)["CHILD"])
    assert not raw & set(ep["child_id"])
    assert (ep["dob"].dt.day == 1).all()
    assert ep["uasc"].any() and ep["short_break"].any()
    assert len(history.repairs) == 0


def test_periods_of_care_start_with_s(clean_council, key):
    ep = assemble(validate([clean_council]), key).episodes
    first = ep.sort_values(["period_id", "start"]).drop_duplicates("period_id")
    in_span = first[first["start"] >= pd.Timestamp("2021-04-01")]
    assert (in_span["rne"] == "S").all()


def test_a_councils_own_taxonomy_travels_with_its_history(clean_council, key, tmp_path):
    """Solo residential placements (S1) as a category of their own: the ingest folder keeps the taxonomy's
    categories and labels, so the forecast, the summary and the report show it in its place, by its name."""
    from placecast.ssda903 import load_taxonomy, read_history, write_history
    from placecast.ssda903.assemble import known_at
    from placecast.ssda903.taxonomy import default_taxonomy_text

    text = default_taxonomy_text().replace("place: [K2, R1, P3, S1]", "place: [K2, R1, P3]").replace(
        "  - {category: secure,", '  - {category: residential_solo, label: "Solo residential", place: [S1]}\n'
        "  - {category: secure,")
    (tmp_path / "taxonomy.yaml").write_text(text, encoding="utf-8")
    validated = validate([clean_council])
    history = assemble(validated, key, load_taxonomy(tmp_path / "taxonomy.yaml"))
    write_history(history, validated.findings, tmp_path / "h")
    again = read_history(tmp_path / "h")
    assert again.labels == history.labels and again.labels["residential_solo"] == "Solo residential"
    cats = again.categories()
    assert cats.index("residential_solo") == cats.index("residential_external") + 1 and cats[-1] == "other"
    assert list(dict.fromkeys(summarise(again)["category"]))[:-1] == cats  # then 'total'
    from datetime import date
    from types import SimpleNamespace

    from placecast.report.sections.common import category_labels

    assert category_labels(SimpleNamespace(history=known_at(again, date(2025, 9, 30))))["residential_solo"] == \
        "Solo residential"  # the report's labels, from the history as known at the quarter end
    assert assemble(validated, key).labels == {c: load_taxonomy().labels()[c] for c in load_taxonomy().categories}

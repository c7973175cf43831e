"""Property-based tests over random valid histories (hypothesis)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from placecast.ssda903 import assemble, read_returns, validate, validate_returns
from placecast.ssda903.pseudonym import pseudonymise
from placecast.testing import cut_into_returns, histories, history_as_source, write_return_folders

KEY = b"property-key"
YEARS = [2020, 2021, 2022, 2023, 2024]
COMPARE = ["child_id", "start", "end", "place", "provider", "ls", "rne", "rec", "category", "period_id"]


def _assemble_tables(tables) -> pd.DataFrame:
    folder = Path(tempfile.mkdtemp())
    try:
        write_return_folders(tables, folder)
        return assemble(validate([folder]), KEY).episodes
    finally:
        shutil.rmtree(folder)


def _canonical(ep: pd.DataFrame) -> pd.DataFrame:
    return ep[COMPARE].sort_values(["child_id", "start"]).reset_index(drop=True)


slow = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


@slow
@given(histories())
def test_valid_histories_cut_into_returns_validate_clean_and_come_back_unchanged(history):
    episodes, header = history
    tables = cut_into_returns(episodes, header, YEARS)
    assume(all(len(t["Episodes"]) for t in tables.values()))  # a year with no episodes is an error (issue 13)
    folder = Path(tempfile.mkdtemp())
    try:
        write_return_folders(tables, folder)
        validated = validate([folder])
        assert validated.findings.errors == []
        got = assemble(validated, KEY).episodes
    finally:
        shutil.rmtree(folder)
    assert len(got) == len(episodes)
    assert (got["repair"] == "").all()
    expected_ids = pseudonymise(episodes["CHILD"].astype(str), KEY)
    assert sorted(got["child_id"]) == sorted(expected_ids)
    assert sorted(got["start"].dt.date) == sorted(episodes["DECOM"])


@slow
@given(histories(), st.randoms(use_true_random=False))
def test_reading_order_of_the_returns_does_not_change_the_history(history, rnd):
    episodes, header = history
    tables = cut_into_returns(episodes, header, YEARS)
    baseline = _canonical(_assemble_tables(tables))
    order = list(tables)
    rnd.shuffle(order)
    shuffled = {y: tables[y] for y in order}
    folder = Path(tempfile.mkdtemp())
    try:
        paths = write_return_folders(shuffled, folder)
        rnd.shuffle(paths)
        # read the year folders in the shuffled order, one path at a time
        year_dirs = list(dict.fromkeys(p.parent for p in paths))
        got = assemble(validate_returns(read_returns(year_dirs)), KEY).episodes
    finally:
        shutil.rmtree(folder)
    pd.testing.assert_frame_equal(_canonical(got), baseline)


@slow
@given(histories(), st.data())
def test_assembly_is_idempotent_even_after_repairs(history, data):
    episodes, header = history
    tables = cut_into_returns(episodes, header, YEARS)
    # Break the returns the way real ones break: drop some episodes that should have been carried forward.
    for y in YEARS[1:]:
        ep = tables[y]["Episodes"]
        if len(ep):
            drop = data.draw(st.lists(st.integers(0, len(ep) - 1), max_size=2, unique=True))
            tables[y]["Episodes"] = ep.drop(index=drop).reset_index(drop=True)
    first = _assemble_tables(tables)
    if first.empty:
        return
    again_ep, again_hdr = history_as_source(first)
    second = _assemble_tables(cut_into_returns(again_ep, again_hdr, YEARS))
    a = _canonical(first)
    b = _canonical(second)
    # ids are re-hashed on the second pass; compare through the mapping
    mapping = dict(zip(pseudonymise(a["child_id"], KEY), a["child_id"], strict=True))
    b["child_id"] = b["child_id"].map(mapping)
    b["period_id"] = b["child_id"] + "-" + b["period_id"].str.rsplit("-", n=1).str[-1]
    pd.testing.assert_frame_equal(b.sort_values(["child_id", "start"]).reset_index(drop=True), a)
    assert (second["repair"].isin(["", "X1 with no continuation"])).all()


date_like = st.one_of(
    st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}", st.integers(0, 40).map(str) | st.just("07"),
              st.integers(0, 14).map(str) | st.just("03"), st.integers(0, 2400).map(lambda y: f"{y:04d}"),
              st.sampled_from(["/", "/", "-", " "])),
    st.text(alphabet="0123456789/ -:T٣", max_size=14),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(date_like, min_size=1, max_size=8))
def test_fast_date_parsing_reads_exactly_what_the_pattern_reads(values):
    """parse_dates reads plain dd/mm/yyyy in C and the rest by the pattern: for any text, the dates, the
    bad-format and the impossible-date masks are those of the pattern alone."""
    from placecast.ssda903.dates import _parse_by_pattern, parse_dates

    series = pd.Series(values, dtype=object)
    text = series.astype("string").fillna("").str.strip()
    parsed, bad, impossible = parse_dates(series)
    want_parsed, want_bad, want_impossible = _parse_by_pattern(text)
    pd.testing.assert_series_equal(parsed, want_parsed, check_names=False)
    assert bad.tolist() == want_bad.tolist()
    assert impossible.tolist() == want_impossible.tolist()


def _count_by_rows(episodes: pd.DataFrame, day, categories: list[str]) -> dict[str, int]:
    """The count at a day written the slow, plain way: live rows, one per child (the later row), by category."""
    ts = pd.Timestamp(day)
    live = episodes[(episodes["start"] <= ts) & (episodes["end"].isna() | (episodes["end"] > ts))
                    & ~episodes["short_break"]].drop_duplicates("child_id", keep="last")
    counts = live["category"].value_counts()
    out = {c: int(counts.get(c, 0)) for c in categories}
    out.update({str(c): int(n) for c, n in counts.items() if c not in out})
    return {**out, "total": len(live)}


episode_rows = st.lists(st.tuples(
    st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30)),
    st.sampled_from(["fostering", "residential", "other", None]), st.booleans()), max_size=25)


@settings(max_examples=300, deadline=None)
@given(episode_rows, st.lists(st.integers(-5, 100), min_size=1, max_size=6))
def test_counts_in_care_at_many_days_equal_the_count_row_by_row(rows, offsets):
    from placecast.ssda903.assemble import counts_in_care

    base = pd.Timestamp("2024-01-01")
    episodes = pd.DataFrame({
        "child_id": [r[0] for r in rows], "start": [base + pd.Timedelta(days=r[1]) for r in rows],
        "end": [pd.NaT if r[2] is None else base + pd.Timedelta(days=r[1] + r[2]) for r in rows],
        "category": pd.Series([r[3] for r in rows], dtype=object), "short_break": [r[4] for r in rows]})
    episodes["start"] = pd.to_datetime(episodes["start"]).astype("datetime64[ns]")
    episodes["end"] = pd.to_datetime(episodes["end"]).astype("datetime64[ns]")
    days = [(base + pd.Timedelta(days=o)).date() for o in offsets]
    cats = ["fostering", "residential"]
    got = counts_in_care(episodes, days, cats)
    assert got == [_count_by_rows(episodes, d, cats) for d in days]


def _chains(draw_rows) -> pd.DataFrame:
    """Episode rows as the chain rules see them: sorted later, with open ends, overlaps, gaps and X1s."""
    base = pd.Timestamp("2021-04-01")
    rows = [{"CHILD": f"c{child}", "DECOM": base + pd.Timedelta(days=start),
             "DEC": pd.NaT if length is None else base + pd.Timedelta(days=start + length),
             "DEC_raw": "" if length is not None or not bad else "31/02/2022", "REC": rec, "RNE": rne,
             "_year": year, "source": f"{year}/episodes.csv"}
            for child, start, length, bad, rec, rne, year in draw_rows]
    frame = pd.DataFrame(rows)
    frame["DECOM"] = frame["DECOM"].astype("datetime64[ns]")
    frame["DEC"] = frame["DEC"].astype("datetime64[ns]")
    return frame


episode_rows = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1400), st.none() | st.integers(0, 400),
                                  st.booleans(), st.sampled_from(["X1", "E4A", "E11", ""]),
                                  st.sampled_from(["S", "P", "L", "T", "U", "B"]),
                                  st.sampled_from([2022, 2023, 2024, 2025])), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(episode_rows)
def test_chain_rules_visit_every_row_they_would_change(rows):
    """The chain rules visit only the rows :func:`_chain_candidates` names; visiting every row instead
    gives the same episodes and the same repairs, in the same order."""
    import importlib

    module = importlib.import_module("placecast.ssda903.assemble")  # the package's name is the function
    continuation = frozenset({"P", "L", "T", "U", "B"})
    frame = _chains(rows)
    fast, fast_repairs = frame.copy(), module._Repairs()
    fast = module._repair_chains(fast, 2025, continuation, fast_repairs)
    visit_all = module._chain_candidates
    try:
        module._chain_candidates = lambda has_next, *rest: range(len(has_next))
        slow_repairs = module._Repairs()
        every = module._repair_chains(frame.copy(), 2025, continuation, slow_repairs)
    finally:
        module._chain_candidates = visit_all
    pd.testing.assert_frame_equal(fast, every)
    assert fast_repairs.rows == slow_repairs.rows

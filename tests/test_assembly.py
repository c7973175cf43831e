"""Assembly across years: later return wins, each documented repair, nothing silently dropped."""

from __future__ import annotations

import pandas as pd

from placecast.ssda903 import assemble, validate

from builders import BASE_EPISODES, BASE_HEADER, changed, mini_return

KEY = b"k"
E, H = BASE_EPISODES, BASE_HEADER


def _history(root):
    return assemble(validate([root]), KEY)


def _two_years(tmp_path, eps_2024, eps_2025, hdr_2025=None):
    mini_return(tmp_path, 2024, episodes=eps_2024)
    mini_return(tmp_path, 2025, episodes=eps_2025, header=hdr_2025)
    return _history(tmp_path)


def test_later_return_wins_for_the_same_episode(tmp_path):
    closed = changed(E[:2], 1, DEC="01/06/2024", REC="E4A")
    h = _two_years(tmp_path, E, closed, [H[0]])
    row = h.episodes[h.episodes["start"] == pd.Timestamp("2023-09-01")].iloc[0]
    assert row["end"] == pd.Timestamp("2024-06-01") and row["rec"] == "E4A"
    assert row["source"].endswith("2025/episodes.csv:3")
    assert (h.sources["fate"] == "superseded by a later return").sum() == 2
    assert len(h.sources) == 6 and len(h.repairs) == 0


def test_open_episode_missing_from_the_next_return_is_closed_at_31_march(tmp_path):
    h = _two_years(tmp_path, E, [], [])
    row = h.episodes[h.episodes["start"] == pd.Timestamp("2023-09-01")].iloc[0]
    assert row["end"] == pd.Timestamp("2024-03-31") and row["rec"] == "E99"
    assert list(h.repairs["action"]) == ["open episode closed"]
    assert h.repairs["source"].iloc[0].endswith("2024/episodes.csv:3")


def test_open_episode_followed_by_a_continuation_is_closed_with_x1(tmp_path):
    eps = changed(E, 0, DEC="", REC="", REASON_PLACE_CHANGE="")
    h = _history(mini_return(tmp_path, episodes=eps))
    first = h.episodes[h.episodes["start"] == pd.Timestamp("2023-05-01")].iloc[0]
    assert first["end"] == pd.Timestamp("2023-09-01") and first["rec"] == "X1"
    assert list(h.repairs["action"]) == ["open episode closed"]


def test_open_episode_followed_by_a_new_period_is_closed_the_day_before(tmp_path):
    eps = changed(changed(E, 0, DEC="", REC="", REASON_PLACE_CHANGE=""), 1, RNE="S")
    h = _history(mini_return(tmp_path, episodes=eps))
    first = h.episodes[h.episodes["start"] == pd.Timestamp("2023-05-01")].iloc[0]
    assert first["end"] == pd.Timestamp("2023-08-31") and first["rec"] == "E99"
    assert h.episodes["period_id"].nunique() == 3


def test_overlap_is_cut_back_to_the_next_start(tmp_path):
    h = _history(mini_return(tmp_path, episodes=changed(E, 2, DEC="05/07/2023")))
    row = h.episodes[h.episodes["start"] == pd.Timestamp("2023-04-10")].iloc[0]
    assert row["end"] == pd.Timestamp("2023-07-01")
    assert list(h.repairs["action"]) == ["overlap cut"]


def test_x1_gap_is_closed_and_x1_at_the_end_treated_as_leaving(tmp_path):
    eps = changed(changed(E, 2, DEC="25/06/2023"), 3, REC="X1")
    h = _history(mini_return(tmp_path, episodes=eps))
    assert sorted(h.repairs["action"]) == ["X1 gap closed", "X1 treated as leaving care"]
    row = h.episodes[h.episodes["start"] == pd.Timestamp("2023-04-10")].iloc[0]
    assert row["end"] == pd.Timestamp("2023-07-01")


def test_unusable_rows_are_quarantined_and_recorded(tmp_path):
    eps = changed(changed(E, 3, DECOM="next week"), 1, DEC="soon", REC="E4A")
    h = _history(mini_return(tmp_path, episodes=eps))
    # quarantining 1002's last episode leaves its X1 episode last, which is treated as leaving care
    assert set(h.repairs["action"]) == {"quarantined", "unreadable DEC treated as open", "X1 treated as leaving care"}
    assert (h.sources["fate"] == "quarantined").sum() == 1
    assert len(h.episodes) == 3
    opened = h.episodes[h.episodes["start"] == pd.Timestamp("2023-09-01")].iloc[0]
    assert pd.isna(opened["end"]) and opened["rec"] == ""


def test_duplicates_are_removed_with_a_record(tmp_path):
    h = _history(mini_return(tmp_path, episodes=E + [E[1]]))
    assert len(h.episodes) == 4
    assert list(h.repairs["action"]) == ["duplicate removed"]


def test_temporary_placement_takes_the_category_it_returns_to(tmp_path):
    eps = [
        dict(E[0], DEC="01/08/2023", REC="X1"),
        {"CHILD": "1001", "DECOM": "01/08/2023", "RNE": "P", "LS": "C1", "CIN": "N1", "PLACE": "T3",
         "PLACE_PROVIDER": "", "DEC": "10/08/2023", "REC": "X1"},
        {"CHILD": "1001", "DECOM": "10/08/2023", "RNE": "P", "LS": "C1", "CIN": "N1", "PLACE": "U4",
         "PLACE_PROVIDER": "PR1", "DEC": "", "REC": ""},
    ]
    h = _history(mini_return(tmp_path, episodes=eps, header=[H[0]]))
    assert list(h.episodes.sort_values("start")["category"]) == ["fostering_inhouse"] * 3


def test_short_breaks_are_excluded_from_counts(tmp_path):
    from datetime import date

    from placecast.ssda903 import count_in_care

    eps = changed(E, 1, LS="V3")
    h = _history(mini_return(tmp_path, episodes=eps))
    counts = count_in_care(h.episodes, date(2024, 3, 31), ["fostering_external"])
    assert counts["total"] == 0
    counts = count_in_care(h.episodes, date(2023, 10, 1), ["residential_external"])
    assert counts == {"residential_external": 1, "total": 1}  # child 1002; 1001 is on a short break
    assert count_in_care(_history(mini_return(tmp_path / "b")).episodes, date(2024, 3, 31),
                         ["fostering_external"]) == {"fostering_external": 1, "total": 1}


def test_a_history_known_within_a_year_is_summarised_at_its_end_not_at_a_31_march_to_come():
    # The demo's history, known at 30/09/2025, was counted "at 31/03/2026": every open episode as still open.
    from datetime import date

    from placecast.ssda903 import summarise
    from placecast.ssda903.assemble import count_in_care, known_at
    from placecast.testing import small_history

    full = small_history()
    assert full.summary_dates()[-1] == full.census_date == date(2025, 3, 31)
    part = known_at(full, date(2024, 9, 30))
    assert part.summary_dates()[-2:] == [date(2024, 3, 31), date(2024, 9, 30)]
    table = summarise(part)
    last = table[table["date"] == "2024-09-30"].set_index("category")["children"]
    assert last.to_dict() == count_in_care(part.episodes, date(2024, 9, 30), list(last.index[:-1]))
    assert "2025-03-31" not in set(table["date"])

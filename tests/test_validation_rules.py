"""One tiny broken return per rule: the finding names the rule, the line and the column."""

from __future__ import annotations

import pytest

from placecast.ssda903 import validate

from builders import BASE_EPISODES, BASE_HEADER, changed, mini_return

E, H = BASE_EPISODES, BASE_HEADER


def _findings(tmp_path, **kwargs):
    return validate([mini_return(tmp_path, **kwargs)]).findings


def test_clean_base_return_has_no_findings(tmp_path):
    assert list(_findings(tmp_path)) == []


CASES = [
    # (name, episodes, header, expected file, line, column, rule)
    ("date in words", changed(E, 0, DECOM="1 May 2023"), H, "episodes.csv", 2, "DECOM", "DATE_FORMAT"),
    ("two digit year", changed(E, 0, DEC="01/09/23"), H, "episodes.csv", 2, "DEC", "DATE_FORMAT"),
    ("impossible date", changed(E, 3, DEC="31/02/2024"), H, "episodes.csv", 5, "DEC", "DATE_IMPOSSIBLE"),
    ("impossible dob", E, changed(H, 1, DOB="30/13/2008"), "header.csv", 3, "DOB", "DATE_IMPOSSIBLE"),
    ("K3 before 2024/25", changed(E, 2, PLACE="K3"), H, "episodes.csv", 4, "PLACE", "CODE_NOT_IN_YEAR"),
    ("unknown place", changed(E, 1, PLACE="U9"), H, "episodes.csv", 3, "PLACE", "CODE_INVALID"),
    ("unknown legal status", changed(E, 0, LS="W1"), H, "episodes.csv", 2, "LS", "CODE_INVALID"),
    ("unknown reason ceased", changed(E, 3, REC="E99"), H, "episodes.csv", 5, "REC", "CODE_INVALID"),
    ("unknown sex", E, changed(H, 0, SEX="X"), "header.csv", 2, "SEX", "CODE_INVALID"),
    ("mother neither 1 nor 0", E, changed(H, 1, MOTHER="Y"), "header.csv", 3, "MOTHER", "CODE_INVALID"),
    ("provider not allowed", changed(E, 1, PLACE_PROVIDER="PR3"), H, "episodes.csv", 3, "PLACE_PROVIDER",
     "PROVIDER_NOT_ALLOWED"),
    ("parent provider with fostering", changed(E, 0, PLACE_PROVIDER="PR0"), H, "episodes.csv", 2,
     "PLACE_PROVIDER", "PROVIDER_NOT_ALLOWED"),
    ("provider missing", changed(E, 2, PLACE_PROVIDER=""), H, "episodes.csv", 4, "PLACE_PROVIDER",
     "PROVIDER_MISSING"),
    ("blank required value", changed(E, 0, CIN=""), H, "episodes.csv", 2, "CIN", "VALUE_MISSING"),
    ("ends before it starts", changed(E, 3, DEC="30/06/2023"), H, "episodes.csv", 5, "DEC", "DEC_BEFORE_DECOM"),
    ("REC without DEC", changed(E, 1, REC="E4A"), H, "episodes.csv", 3, "REC", "REC_WITHOUT_DEC"),
    ("DEC without REC", changed(E, 3, REC=""), H, "episodes.csv", 5, "REC", "DEC_WITHOUT_REC"),
    ("overlap", changed(E, 2, DEC="05/07/2023"), H, "episodes.csv", 5, "DECOM", "EPISODE_OVERLAP"),
    ("two open episodes", changed(E, 0, DEC="", REC="", REASON_PLACE_CHANGE=""), H, "episodes.csv", 2, "DEC",
     "OPEN_EPISODES"),
    ("X1 with no continuation", changed(E, 3, REC="X1"), H, "episodes.csv", 5, "REC", "X1_NO_CONTINUATION"),
    ("continuation with no X1", changed(E, 2, RNE="P"), H, "episodes.csv", 4, "RNE", "CONTINUATION_NO_X1"),
    ("period starts temporary", changed(E, 2, PLACE="T4", PLACE_PROVIDER=""), H, "episodes.csv", 4, "PLACE",
     "TEMP_PERIOD_START"),
    ("period ends temporary", changed(E, 3, PLACE="T1", PLACE_PROVIDER=""), H, "episodes.csv", 5, "REC",
     "TEMP_PERIOD_END"),
    ("before birth", E, changed(H, 0, DOB="01/06/2023"), "episodes.csv", 2, "DECOM", "BEFORE_BIRTH"),
    ("over 18", E, changed(H, 1, DOB="01/01/2005"), "episodes.csv", 4, "DECOM", "OVER_18"),
    ("no header", E, H[1:], "episodes.csv", 2, "CHILD", "NO_HEADER"),
    ("duplicate row", E[:2] + [E[1]] + E[2:], H, "episodes.csv", 4, "", "DUPLICATE_ROW"),
    ("repeated episode", E[:2] + [dict(E[1], CIN="N5")] + E[2:], H, "episodes.csv", 4, "DECOM",
     "EPISODE_REPEATED"),
    ("repeated header", E, H + [dict(H[1], ETHNIC="WBRI")], "header.csv", 4, "CHILD", "HEADER_REPEATED"),
    ("starts after the year", changed(E, 1, DECOM="05/04/2024", RNE="S"), H, "episodes.csv", 3, "DECOM",
     "OUTSIDE_YEAR"),
    ("ended before the year", changed(E, 3, DEC="20/03/2023", DECOM="10/03/2023", RNE="S"), H, "episodes.csv", 5,
     "DEC", "OUTSIDE_YEAR"),
]


@pytest.mark.parametrize(("name", "episodes", "header", "file", "line", "column", "rule"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_broken_value_is_reported_at_its_line_and_column(tmp_path, name, episodes, header, file, line, column,
                                                             rule):
    found = _findings(tmp_path, episodes=episodes, header=header)
    located = {(f.file.rsplit("/", 1)[-1], f.line, f.column, f.rule) for f in found}
    assert (file, line, column, rule) in located, found.to_text()


def test_every_finding_message_says_what_to_do(tmp_path):
    found = _findings(tmp_path, episodes=changed(E, 0, DECOM="2023-05-01", LS="W1"))
    assert found.errors
    for f in found:
        assert f.message.endswith(".") and len(f.message) > 30


def test_uasc_row_for_unknown_child(tmp_path):
    found = _findings(tmp_path, uasc=[{"CHILD": "9999", "SEX": "1", "DOB": "01/01/2007", "DUC": ""}])
    hits = [(f.line, f.column, f.rule) for f in found]
    assert hits == [(2, "CHILD", "UASC_UNKNOWN_CHILD")]


def test_child_ids_are_never_printed_in_findings(tmp_path):
    found = _findings(tmp_path, header=H[1:])
    assert all("1001" not in f.value and "1001" not in f.message for f in found)


def test_h5_is_retired_in_2024_25_and_k3_accepted(tmp_path):
    eps = [dict(e, DECOM=e["DECOM"][:-4] + "2024", DEC=(e["DEC"][:-4] + "2024") if e["DEC"] else "") for e in E]
    k3 = validate([mini_return(tmp_path / "a", year=2025, episodes=changed(eps, 2, PLACE="K3"))]).findings
    h5 = validate([mini_return(tmp_path / "b", year=2025, episodes=changed(eps, 2, PLACE="H5"))]).findings
    assert [f.rule for f in k3 if f.column == "PLACE" and f.rule.startswith("CODE")] == []
    assert [(f.line, f.rule) for f in h5 if f.column == "PLACE" and f.rule.startswith("CODE")] == [
        (4, "CODE_NOT_IN_YEAR")]
    assert "K3" in next(f.message for f in h5 if f.column == "PLACE")


def test_z1_is_split_in_2025_26(tmp_path):
    eps = [dict(e, DECOM=e["DECOM"][:-4] + "2025", DEC=(e["DEC"][:-4] + "2025") if e["DEC"] else "") for e in E]
    z1 = validate([mini_return(tmp_path / "a", year=2026, episodes=changed(eps, 2, PLACE="Z1",
                                                                               PLACE_PROVIDER=""))]).findings
    z12 = validate([mini_return(tmp_path / "b", year=2026, episodes=changed(eps, 2, PLACE="Z12",
                                                                                PLACE_PROVIDER=""))]).findings
    assert [f.rule for f in z1 if f.column == "PLACE"] == ["CODE_NOT_IN_YEAR"]
    assert [f.rule for f in z12 if f.column == "PLACE"] == []


def test_codes_are_case_insensitive_and_sex_follows_the_year(tmp_path):
    eps = changed(E, 1, PLACE="u6", PLACE_PROVIDER="pr4", LS="c1")
    assert list(_findings(tmp_path / "a", episodes=eps)) == []
    later = [dict(e, DECOM=e["DECOM"][:-4] + "2024", DEC=(e["DEC"][:-4] + "2024") if e["DEC"] else "") for e in eps]
    header = [dict(h, SEX={"1": "m", "2": "F"}[h["SEX"]]) for h in H]
    assert list(validate([mini_return(tmp_path / "b", year=2025, episodes=later, header=header)]).findings) == []
    old = validate([mini_return(tmp_path / "c", year=2025, episodes=later, header=H)]).findings
    assert {(f.rule, f.dfe_rule) for f in old if f.column == "SEX"} == {("CODE_NOT_IN_YEAR", "101")}


def test_legacy_q2_is_mapped_with_a_warning(tmp_path):
    found = _findings(tmp_path, episodes=changed(E, 1, PLACE="Q2"))
    assert [(f.rule, f.severity) for f in found] == [("CODE_LEGACY", "warning")]


def test_folder_year_that_does_not_match_the_dates_is_a_clear_error(tmp_path):
    found = validate([mini_return(tmp_path, year=2022)]).findings
    mismatch = [f for f in found if f.rule == "YEAR_MISMATCH"]
    assert len(mismatch) == 1
    assert "2024" in mismatch[0].message and "2022" in mismatch[0].message
    assert not [f for f in found if f.rule == "OUTSIDE_YEAR"]
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable

    with pytest.raises(UnusableInputError, match="the dates fit 2024"):  # it was forecast from as "2021/22"
        check_usable(found, "returns")


def test_a_file_saved_with_month_first_dates_stops_the_history(clean_council, tmp_path):
    # Its dates with a day over 12 were errors; the others (about 40%) were read with day and month swapped, and
    # the forecast ran on them with exit 0.
    import shutil

    import pandas as pd

    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable

    root = tmp_path / "returns"
    shutil.copytree(clean_council, root)
    year = sorted(p for p in root.iterdir() if p.name.isdigit())[-2]
    path = next(p for p in year.glob("*.csv") if "episode" in p.name.lower())
    episodes = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("DECOM", "DEC"):
        episodes[col] = pd.to_datetime(episodes[col], format="%d/%m/%Y", errors="coerce").dt.strftime("%m/%d/%Y")
    episodes.fillna("").to_csv(path, index=False)
    found = validate([root]).findings
    (us,) = [f for f in found if f.rule == "DATE_FORMAT_US"]
    assert us.file.endswith(path.name) and "month-first" in us.message
    with pytest.raises(UnusableInputError, match="month-first"):
        check_usable(found, "returns")
    clean = validate([clean_council]).findings
    assert not [f for f in clean if f.rule == "DATE_FORMAT_US"]


def test_many_findings_end_with_their_count_by_rule_and_the_whole_file_ones_that_explain_them():
    """A month-first file gave 1,000 findings; the one saying why was the 281st of 1,474 lines."""
    from placecast.ssda903.findings import Findings, finding

    whole = finding("2025/episodes.csv", 0, "DECOM", "mm/dd/yyyy", "DATE_FORMAT_US", "saved with month-first dates")
    cells = [finding("2025/episodes.csv", n, "DECOM", "13/30/2024", "DATE_IMPOSSIBLE", "not a real date")
             for n in range(2, 32)]
    lines = Findings([*cells[:5], whole, *cells[5:]]).to_text().splitlines()
    assert lines[-4:] == ["Errors by rule: DATE_IMPOSSIBLE 30, DATE_FORMAT_US 1.",
                          "About whole files (these may explain many of the findings above):",
                          lines[5], "31 error(s), 0 warning(s)."]
    assert "DATE_FORMAT_US" in lines[5]
    assert Findings(cells[:3]).to_text().splitlines()[-1] == "3 error(s), 0 warning(s)."  # few: the list alone
    assert len(Findings(cells[:3]).to_text().splitlines()) == 4

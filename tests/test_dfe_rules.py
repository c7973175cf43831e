"""The DfE's rules for Header, Episodes and UASC: for each, a return that breaks it and one that keeps it.

The cases are in tests/dfe/rules.yaml, written as changes to the clean base return of builders.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from placecast.ssda903 import validate
from placecast.ssda903.dfe_rules import coverage, load_catalogue

from builders import BASE_EPISODES, BASE_HEADER, mini_return

CASES = yaml.safe_load((Path(__file__).parent / "dfe" / "rules.yaml").read_text(encoding="utf-8"))
RULE_LIST = Path(__file__).parents[2] / "shared" / "reference" / "ssda903_rules_by_year.csv"


def _moved(value: str, years: int, year: int) -> str:
    """A dd/mm/yyyy date moved on by ``years``; sex codes as the collection year writes them."""
    match = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", value)
    if match:
        return f"{match[1]}/{match[2]}/{int(match[3]) + years}"
    return value


def _rows(rows: list[dict], years: int, year: int, sex: bool) -> list[dict]:
    out = []
    for row in rows:
        moved = {k: _moved(str(v), years, year) for k, v in row.items()}
        if sex and year >= 2025 and moved.get("SEX") in ("1", "2"):
            moved["SEX"] = {"1": "M", "2": "F"}[moved["SEX"]]
        out.append(moved)
    return out


def _build(root: Path, change: dict, year: int):
    episodes = [dict(r) for r in change.get("episode_rows", BASE_EPISODES)]
    header = [dict(r) for i, r in enumerate(BASE_HEADER) if i not in change.get("header_rows", [])]
    for i, values in (change.get("episodes") or {}).items():
        episodes[int(i)].update({k: str(v) for k, v in values.items()})
    for i, values in (change.get("header") or {}).items():
        header[int(i)].update({k: str(v) for k, v in values.items()})
    episodes += change.get("add_episodes", [])
    header += change.get("add_header", [])
    shift = year - 2024
    uasc = change.get("uasc")
    return mini_return(root, year=year, episodes=_rows(episodes, shift, year, False),
                       header=_rows(header, shift, year, True),
                       uasc=None if uasc is None else _rows(uasc, shift, year, True))


def _codes(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in validate([root]).findings:
        for code in f.dfe_rule.split("/") if f.dfe_rule else []:
            found.setdefault(code, []).append(f"{f.rule} {f.column} line {f.line}")
    return found


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_dfe_rule_finds_the_broken_return_and_passes_the_kept_one(code, tmp_path):
    case = CASES[code]
    year = case.get("year", 2024)
    failing = _codes(_build(tmp_path / "fail", case["fail"], year))
    assert code in failing, f"rule {code} did not fire; found {sorted(failing)}"
    passing = _codes(_build(tmp_path / "pass", case["pass"], year))
    assert code not in passing, f"rule {code} fired on the return that keeps it: {passing[code]}"


def test_the_clean_base_return_breaks_no_dfe_rule_in_any_year(tmp_path):
    for year in (2024, 2025, 2026):
        assert _codes(_build(tmp_path / f"base{year}", {}, year)) == {}


def test_every_rule_placecast_checks_has_a_case():
    catalogue = load_catalogue()
    assert set(catalogue.checks) - {"199", "503D", *LAST_YEARS_HEADER} <= set(CASES)
    assert set(catalogue.native) <= set(CASES)


def _two_years(root: Path, last_year_rec: str, place_now: str, header_now: dict | None = None,
               header_last: dict | None = None) -> Path:
    """A 2023/24 return whose child 1001 is open at 31 March, then a 2024/25 return."""
    first = [dict(r) for r in BASE_EPISODES]
    first[3]["REC"] = last_year_rec
    mini_return(root, 2024, episodes=first, header=_changed(BASE_HEADER, header_last))
    carried = dict(BASE_EPISODES[1], PLACE=place_now)
    later = [carried, {"CHILD": "1002", "DECOM": "01/06/2024", "RNE": "S", "LS": "C2", "CIN": "N4", "PLACE": "K2",
                       "PLACE_PROVIDER": "PR4", "HOME_POST": "CD1 2EF", "PL_POST": "CD3 4GH", "URN": "SC123456"}]
    header = _changed(_rows([dict(r) for r in BASE_HEADER], 0, 2025, True), header_now)
    return mini_return(root, 2025, episodes=later, header=header)


def _changed(rows: list[dict], change: dict | None) -> list[dict]:
    """``rows`` with ``change`` ({row number: {column: value}}) made."""
    return [{**row, **(change or {}).get(i, {})} for i, row in enumerate(rows)]


LAST_YEARS_HEADER = {  # a rule against last year's Header: (this year's change, last year's), breaking and keeping it
    "202": [({0: {"SEX": "F"}}, None), ({0: {"SEX": "U"}}, None)],
    "203": [({0: {"DOB": "02/01/2015"}}, None), ({0: {"DOB": "01/01/2015"}}, None)],
    "204": [({0: {"ETHNIC": "WIRI"}}, None), ({0: {"ETHNIC": "WIRI"}}, {0: {"ETHNIC": "NOBT"}})],
    "207": [({1: {"MOTHER": "0"}}, {1: {"MOTHER": "1", "MC_DOB": "01/01/2023"}}),
            ({1: {"MOTHER": "1", "MC_DOB": "01/01/2023"}}, {1: {"MOTHER": "1", "MC_DOB": "01/01/2023"}})],
    "208": [({0: {"UPN": "A123456789099"}}, None), ({0: {"UPN": "A123456789012"}}, {0: {"UPN": "UN4"}})],
}


@pytest.mark.parametrize("code", sorted(LAST_YEARS_HEADER))
def test_the_header_must_agree_with_last_years(code, tmp_path):
    """A child's sex, date of birth, ethnicity, UPN and mother status against last year's Header (DfE rules
    202-208): a date of birth changed between returns changed the child's age in the history without a word."""
    (now, last), (kept_now, kept_last) = LAST_YEARS_HEADER[code]
    assert code in _codes(_two_years(tmp_path / "fail", "E4A", "U6", now, last))
    assert code not in _codes(_two_years(tmp_path / "pass", "E4A", "U6", kept_now, kept_last))


def test_199_a_child_adopted_last_year_has_episodes_again(tmp_path):
    fails = _codes(_two_years(tmp_path / "fail", "E11", "U6"))
    assert "199" in fails
    assert "199" not in _codes(_two_years(tmp_path / "pass", "E4A", "U6"))


def test_503D_the_placement_carried_over_must_match_last_year(tmp_path):
    assert "503D" in _codes(_two_years(tmp_path / "fail", "E4A", "U4"))
    assert "503D" not in _codes(_two_years(tmp_path / "pass", "E4A", "U6"))


def test_the_readme_states_the_coverage_the_catalogue_gives():
    if not RULE_LIST.exists():
        pytest.skip("the DfE rule list is read from ../shared/reference")
    rules = pd.read_csv(RULE_LIST, dtype=str)
    rules = rules[rules["year"].isin(["2024", "2025", "2026"])]
    rules = rules[rules["tables"].str.split(";").map(lambda t: set(t) <= {"Header", "Episodes", "UASC"})]
    table = coverage(rules)
    catalogue = load_catalogue()
    every = set(rules["code"])
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    outside = set(LAST_YEARS_HEADER)  # listed on Header_last, so not in this count; the README names them
    assert every == (set(catalogue.checks) - outside) | set(catalogue.native) | set(catalogue.not_checked)
    assert ", ".join(sorted(outside)) in readme.replace(" and ", ", ")
    for row in table.itertuples():
        assert f"| {row.table} | {row.implemented} | {row.published} | {row.not_checkable} |" in readme

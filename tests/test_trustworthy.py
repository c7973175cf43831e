"""Returns you can trust (issue 13, in part): no silent gaps, no empty years, duplicates that do not cascade."""

from __future__ import annotations

import shutil

from placecast.ssda903 import validate

from builders import BASE_EPISODES, mini_return, write_table


def _rules(result) -> list[str]:
    return [f.rule for f in result.findings.errors]


def test_a_missing_year_folder_is_an_error_naming_the_year_and_the_fix(clean_council, tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    shutil.rmtree(returns / "2024")
    result = validate([returns])
    missing = [f for f in result.findings.errors if f.rule == "YEAR_MISSING"]
    assert len(missing) == 1 and missing[0].value == "2023/24"
    assert missing[0].file.endswith("2024") and "Add the 2024/ folder" in missing[0].message


def test_a_header_only_episodes_table_is_an_error_not_an_empty_year(tmp_path):
    root = mini_return(tmp_path / "r", 2024)
    write_table(root / "2024" / "episodes.csv", "Episodes", [])
    result = validate([root])
    assert "TABLE_EMPTY" in _rules(result)
    assert next(f for f in result.findings.errors if f.rule == "TABLE_EMPTY").value == "2023/24"


def test_an_exact_duplicate_row_is_one_finding_and_does_not_fault_the_row_it_copies(tmp_path):
    clean = validate([mini_return(tmp_path / "clean", 2024)])
    doubled = validate([mini_return(tmp_path / "dup", 2024, episodes=BASE_EPISODES + BASE_EPISODES[:3])])
    assert _rules(doubled).count("DUPLICATE_ROW") == 3
    assert sorted(r for r in _rules(doubled) if r != "DUPLICATE_ROW") == sorted(_rules(clean))

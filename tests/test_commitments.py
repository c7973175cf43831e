"""Commitments register: exact day-count costing, reconciliation with the history, located errors."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import pytest
from openpyxl import Workbook

from placecast.finance import FinanceInputError, default_unit_costs, read_commitments, reconcile

LINES = default_unit_costs().lines
HEADER = ("child_id,placement_ref,provider,cost_line,weekly_cost,start,planned_end,funding_social_care,"
          "funding_education,funding_health,funding_uasc_grant\n")


def _register(tmp_path, body: str, name: str = "c.csv"):
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_commitments_are_costed_by_day_to_year_end_or_planned_end(tmp_path):
    p = _register(tmp_path, "A1,P1,Acme,residential_external,5000,2023-01-01,,,,,\n"
                            "A2,P2,Home,fostering_inhouse,450,2023-06-01,2023-12-31,50,50,,\n")
    reg = read_commitments(p, LINES)
    # After 30 Sep 2023: A1 183 days to 31 March (2024 is a leap year); A2 92 days to 31 December.
    assert reg.cost_to(date(2023, 9, 30)) == Fraction(5000 * 183 + 450 * 92, 7)
    assert reg.cost_by_line(date(2023, 9, 30))["fostering_inhouse"] == Fraction(450 * 92, 7)
    assert reg.table.loc[1, "funding_education"] == 50.0


def test_xlsx_register_with_date_cells(tmp_path):
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["A1", "P1", "Acme", "residential_external", 5000, datetime(2023, 1, 1), None, None, None, None, None])
    wb.save(tmp_path / "c.xlsx")
    assert read_commitments(tmp_path / "c.xlsx", LINES).cost_to(date(2024, 3, 30)) == Fraction(5000, 7)


def test_a_register_split_over_sheets_is_an_error_not_its_first_sheet_alone(tmp_path):
    """A register kept as a Residential and a Fostering sheet was read from the first: the fostering
    commitments left out of the outturn without a word."""
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.title = "Residential"
    ws.append(HEADER.strip().split(","))
    ws.append(["A1", "P1", "Acme", "residential_external", 5000, datetime(2023, 1, 1), None, None, None, None, None])
    other = wb.create_sheet("Fostering")
    other.append(HEADER.strip().split(","))
    other.append(["B2", "P2", "Acme", "fostering_inhouse", 450, datetime(2023, 1, 1), None, None, None, None, None])
    wb.create_sheet("Notes")  # an empty sheet is no matter
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(tmp_path / "c.xlsx", LINES)
    (p,) = info.value.problems
    assert p.value == "Fostering" and "first sheet ('Residential')" in p.message


def test_a_formula_saved_without_its_result_is_named_not_read_as_a_blank_cost(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append(["A1", "P1", "Acme", "residential_external", "=2*2500", "2023-01-01", None, None, None, None, None])
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(tmp_path / "c.xlsx", LINES)
    (p,) = info.value.problems
    assert (p.where, p.column, p.value) == ("line 2", "weekly_cost", "=2*2500")
    assert "save it" in p.message


@pytest.mark.parametrize(("row", "column", "value"), [
    ("A1,P1,Acme,residential_external,-5,2023-01-01,,,,,", "weekly_cost", "-5"),
    ("A1,P1,Acme,residential_external,lots,2023-01-01,,,,,", "weekly_cost", "lots"),
    ('A1,P1,Acme,residential_external,"4500,50",2023-01-01,,,,,', "weekly_cost", "4500,50"),
    ("A1,P1,Acme,spaceship,100,2023-01-01,,,,,", "cost_line", "spaceship"),
    ("A1,P1,Acme,secure,100,2023-05-01,2023-04-01,,,,", "planned_end", "2023-04-01"),
    ("A1,P1,Acme,secure,100,01-05-2023,,,,,", "start", "01-05-2023"),
    ("A1,P1,Acme,secure,100,2023-05-01,,60,30,,", "funding_social_care", "90.0"),
    ("A1,P1,Acme,secure,100,2023-05-01,,0.6,0.4,,", "funding_social_care", "1.0"),
])
def test_bad_commitments_are_located(tmp_path, row, column, value):
    with pytest.raises(FinanceInputError) as info:
        read_commitments(_register(tmp_path, row + "\n"), LINES)
    p = info.value.problems[0]
    assert (p.where, p.column, p.value) == ("line 2", column, value)


def test_duplicate_references_and_files_that_are_not_tables(tmp_path):
    body = "A1,P1,Acme,secure,100,2023-05-01,,,,,\nA2,P1,Acme,secure,100,2023-05-01,,,,,\n"
    with pytest.raises(FinanceInputError) as info:
        read_commitments(_register(tmp_path, body), LINES)
    assert [(p.where, p.column) for p in info.value.problems] == [("line 3", "placement_ref")]
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02")
    with pytest.raises(FinanceInputError, match="not a UTF-8 CSV"):
        read_commitments(tmp_path / "bin.csv", LINES)
    (tmp_path / "other.csv").write_text("name,address\nx,y\n", encoding="utf-8")
    with pytest.raises(FinanceInputError, match="column is missing"):
        read_commitments(tmp_path / "other.csv", LINES)


def test_reconciliation_lists_both_kinds_of_discrepancy(tmp_path):
    key = b"k"
    from placecast.ssda903.pseudonym import pseudonymise

    ids = dict(zip(["A1", "A2", "A3"], pseudonymise(pd.Series(["A1", "A2", "A3"]), key), strict=True))
    episodes = pd.DataFrame({
        "child_id": [ids["A1"], ids["A3"]], "start": pd.to_datetime(["2023-01-01", "2023-02-01"]),
        "end": pd.to_datetime([None, None]), "short_break": [False, False],
        "category": ["residential_external", "fostering_external"], "place": ["K2", "U6"],
        "provider": ["PR4", "PR4"], "source": ["e.csv:2", "e.csv:3"],
    })
    body = "A1,P1,Acme,residential_external,5000,2023-01-01,,,,,\nA2,P2,Acme,fostering_external,900,2023-01-01,,,,,\n"
    reg = read_commitments(_register(tmp_path, body), LINES, key)
    orphan, unfunded = reconcile(reg, episodes, date(2023, 9, 30), ["residential_external", "fostering_external"])
    assert list(orphan["child_id"]) == [ids["A2"]]  # paid for, but not in care
    assert list(unfunded["child_id"]) == [ids["A3"]]  # in a paid placement with no commitment
    assert "A1" not in orphan.to_csv() + unfunded.to_csv()


def test_a_placement_left_open_when_the_next_began_is_an_error_not_costed_twice(tmp_path):
    """A residential placement with no planned end beside the foster placement the child stepped down to:
    both were costed to 31 March. A placement ending the day the next starts is a handover, not an overlap."""
    body = ("A1,P1,Acme,residential_external,5000,2023-01-01,,,,,\n"
            "B2,P2,Acme,fostering_inhouse,450,2023-01-01,2023-05-31,,,,\n"
            "A1,P3,Home,fostering_inhouse,450,2023-06-01,,,,,\n"
            "B2,P4,Home,fostering_external,900,2023-05-31,,,,,\n")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(_register(tmp_path, body), LINES)
    (p,) = info.value.problems
    assert (p.where, p.column, p.value) == ("line 4", "start", "P3") and "placement on line 2" in p.message
    assert "A1" not in str(p)  # the child's id is not shown


def test_a_total_row_copied_in_with_the_register_is_named_as_one(tmp_path):
    p = _register(tmp_path, "A1,P1,Acme,residential_external,5000,01/04/2025,,,,,\nTotal,,,,5000,,,,,,\n")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(p, LINES)
    said = {(q.where, q.column): q.message for q in info.value.problems}
    assert "a total row, not a placement" in said[("line 3", "child_id")]
    assert said[("line 3", "start")] == "not a date; write YYYY-MM-DD or dd/mm/yyyy."


def test_a_date_saved_as_a_spreadsheets_day_number_says_so(tmp_path):
    """A register saved from Excel with its date format lost gives 45748 for 01/04/2025: 'not a date' alone
    left the officer looking for a typing mistake."""
    p = _register(tmp_path, "A1,P1,Acme,residential_external,5000,45748,46112.0,,,,\n")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(p, LINES)
    said = {(q.column, q.value): q.message for q in info.value.problems}
    assert set(said) == {("start", "45748"), ("planned_end", "46112.0")}
    assert all(m.startswith("a spreadsheet's day number, not a date") for m in said.values())


def test_the_commitments_cost_table_is_in_pounds_as_its_column_says(tmp_path):
    """cost_to_year_end_gbp held 174000 for £174,285.71: pounds rounded to thousands under a pounds heading."""
    from typer.testing import CliRunner

    from placecast.cli import app

    budget = tmp_path / "budget.yaml"
    budget.write_text("units: £000\nlines:\n  - {name: Placements, budget_previous_quarter: 50, actuals_to_date: 0, "
                      "committed_to_year_end: from_commitments, new_demand: 0}\n", encoding="utf-8")
    register = _register(tmp_path, "A1,P1,Acme,residential_external,5000,2023-01-01,2023-12-01,,,,\n")
    result = CliRunner().invoke(app, ["outturn", str(budget), "--as-at", "2023-09-30", "--commitments",
                                      str(register), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "commitments_cost.csv", encoding="utf-8-sig")
    assert table.to_dict("records") == [{"cost_line": "residential_external", "cost_to_year_end_gbp": 44285.71}]
    assert (tmp_path / "out" / "commitments_cost.csv").read_text(encoding="utf-8-sig").splitlines()[1] == \
        "residential_external,44285.71"  # pounds and pence as written, not a float's repr


def test_a_commitment_priced_by_the_year_in_the_weekly_column_is_said(tmp_path):
    """£260,000 (a year of external residential care) in weekly_cost committed 52 weeks of cost for every week
    left in the year, without a word."""
    reg = read_commitments(_register(tmp_path, "A1,P1,Acme,residential_external,260000,2025-04-01,,,,,\n"
                                               "A2,P2,Home,fostering_inhouse,450,2025-04-01,,,,,\n"
                                               "A3,P3,Acme,residential_external,12000,2025-04-01,,,,,\n"), LINES)
    said = reg.price_warning(default_unit_costs(), date(2025, 9, 30))
    assert said is not None and said.startswith("1 commitment(s) cost over 20 times their cost line's unit cost "
                                                "(placement P1: £260,000.00 a week on residential_external")
    assert "A1" not in said  # the placement's reference, never the child's id
    bespoke = read_commitments(_register(tmp_path, "A3,P3,Acme,residential_external,12000,2025-04-01,,,,,\n"), LINES)
    assert bespoke.price_warning(default_unit_costs(), date(2025, 9, 30)) is None  # dear, but weekly


def test_rows_ending_in_a_comma_the_header_lacks_read_as_written(tmp_path):
    """Each row one cell longer than the header: pandas took the first column as the index, and every value
    moved one column left (the child's id read as the placement reference, and so on)."""
    plain = "A1,P1,Acme,residential_external,5000,2023-01-01,,,,,\nA2,P2,Home,fostering_inhouse,450,2023-06-01,,,,,\n"
    trailing = plain.replace(",,,,,\n", ",,,,,,\n")
    read = [read_commitments(_register(tmp_path, body, name), LINES).table for body, name in
            ((plain, "plain.csv"), (trailing, "trailing.csv"))]
    pd.testing.assert_frame_equal(read[0], read[1])
    assert read[1]["child_id"].tolist() == ["A1", "A2"] and read[1]["weekly_pence"].tolist() == [500_000, 45_000]


def test_a_value_beyond_the_header_or_under_a_blank_header_is_an_error_not_dropped(tmp_path):
    from datetime import datetime

    body = ("A1,P1,Acme,residential_external,5000,2023-01-01,,,,,\n"
            "A2,P2,Home,fostering_inhouse,450,2023-06-01,,,,,,900\n")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(_register(tmp_path, body), LINES)
    assert [(p.where, p.column, p.value) for p in info.value.problems] == [("line 3", "L", "900")]
    p = tmp_path / "blank.csv"  # a header cell left blank (a CSV) over a column of values
    p.write_text(HEADER.replace("planned_end,", ","), encoding="utf-8")
    p.write_text(p.read_text(encoding="utf-8") + "A1,P1,Acme,residential_external,5000,2023-01-01,2024-03-01,,,,\n",
                 encoding="utf-8")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(p, LINES)
    assert [(pr.where, pr.column, pr.value) for pr in info.value.problems] == [("line 2", "G", "2024-03-01")]
    assert "no name in the header row" in info.value.problems[0].message
    wb = Workbook()  # the same in a workbook; an empty column with no name is no matter
    ws = wb.active
    ws.append([*HEADER.strip().split(",")[:6], None, None])
    ws.append(["A1", "P1", "Acme", "residential_external", 5000, datetime(2023, 1, 1), None, None])
    wb.save(tmp_path / "c.xlsx")
    assert read_commitments(tmp_path / "c.xlsx", LINES).cost_to(date(2024, 3, 30)) == Fraction(5000, 7)
    ws.cell(row=2, column=7, value=datetime(2023, 12, 31))
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(FinanceInputError) as info:
        read_commitments(tmp_path / "c.xlsx", LINES)
    assert [(pr.where, pr.column) for pr in info.value.problems] == [("line 2", "G")]

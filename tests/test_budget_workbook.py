"""The budget workbook: `placecast defaults budget-workbook`, filled in as a finance officer would, gives
the same outturn as the equivalent YAML; its errors name the sheet, the row and the column (issue 14)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from openpyxl import load_workbook

from placecast.finance import read_budget
from placecast.finance.budget import read_budget_input
from placecast.finance.errors import FinanceInputError
from placecast.finance.workbook import write_budget_workbook

SOURCES = {"from_history": Decimal(15_127_471), "from_commitments": Decimal(15_636_000),
           "from_forecast": Decimal(-384_000)}
DEMO = resources.files("placecast.report").joinpath("defaults", "demo_budget.yaml")


def _blank(tmp_path):
    path = tmp_path / "budget.xlsx"
    result = subprocess.run([sys.executable, "-m", "placecast.cli", "defaults", "budget-workbook"],
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    path.write_bytes(result.stdout)
    return path


def test_the_blank_workbook_filled_in_gives_the_yamls_outturn(tmp_path):
    path = _blank(tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == ["About", "Settings", "Lines", "Changes", "Reserves", "Adjustments", "Line adjustments",
                               "Mitigations", "Reserve transfers", "Savings"]
    settings = book["Settings"]
    settings["B2"], settings["B3"], settings["B4"] = "Children's Services", "2025/26 Q2", "£000"
    lines = book["Lines"]
    header = [c.value for c in lines[1]]
    for row, values in enumerate([
            {"name": "Placements", "budget_previous_quarter": 100, "forecast_net_expenditure": 110, "reserves": 5},
            {"name": "Social work", "budget_previous_quarter": 150, "forecast_net_expenditure": 149.5}], start=2):
        for key, value in values.items():
            lines.cell(row, header.index(key) + 1, value)
    book["Changes"].append(["Social work", "Market supplement", 12.25])
    book["Reserves"].append(["Children's reserve", "", "Placements", 20, 5])
    book.save(path)
    yaml = tmp_path / "budget.yaml"
    yaml.write_text("""title: Children's Services
quarter: 2025/26 Q2
units: £000
lines:
  - {name: Placements, budget_previous_quarter: 100, forecast_net_expenditure: 110, reserves: 5}
  - name: Social work
    budget_previous_quarter: 150
    changes: [{description: Market supplement, amount: 12.25}]
    forecast_net_expenditure: 149.5
reserves:
  - {category: Children's reserve, purpose: Placements, approved_use_balance: 20, approved_use: 5}
""", encoding="utf-8")
    from_book, from_yaml = read_budget(path), read_budget(yaml)
    assert from_book.outturn_table().equals(from_yaml.outturn_table())
    assert from_book.headline() == from_yaml.headline()
    assert from_book.total("deficit") == Decimal("-7.75")


def test_the_demo_budget_round_trips_through_the_workbook(tmp_path):
    yaml_input = read_budget_input(DEMO)
    path = write_budget_workbook(tmp_path / "demo.xlsx", yaml_input.model)
    book_input = read_budget_input(path)
    assert book_input.model == yaml_input.model
    assert book_input.budget(SOURCES).headline() == yaml_input.budget(SOURCES).headline()


def _demo_workbook(tmp_path):
    """The demo budget as a workbook opened for editing: (path, book, the Lines sheet's column names)."""
    path = write_budget_workbook(tmp_path / "demo.xlsx", read_budget_input(DEMO).model)
    book = load_workbook(path)
    return path, book, [c.value for c in book["Lines"][1]]


def _problems_when_read(path, book, sources=None):
    """Save the edited workbook; the problems reading it raises."""
    book.save(path)
    with pytest.raises(FinanceInputError) as info:
        read_budget(path, sources)
    return info.value.problems


def test_a_workbook_error_names_the_sheet_row_and_column(tmp_path):
    path, book, header = _demo_workbook(tmp_path)
    book["Lines"].cell(3, header.index("forecast_net_expenditure") + 1, "lots")
    book["Lines"].cell(1, header.index("reserves") + 1, "reserve")
    book["Changes"].append(["No such line", "x", 1])
    problems = _problems_when_read(path, book)
    found = {(p.where, p.column) for p in problems}
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(header.index("reserves") + 1)
    assert ("sheet Lines, row 1", f"reserve ({letter})") in found
    assert ("sheet Changes, row 4", "line (A)") in found  # after the demo's two changes
    message = next(p.message for p in problems if p.column == f"reserve ({letter})")
    assert "did you mean 'reserves'" in message


def test_a_workbook_value_error_is_placed_on_its_cell(tmp_path):
    path, book, header = _demo_workbook(tmp_path)
    book["Lines"].cell(3, header.index("forecast_net_expenditure") + 1, "lots")
    book["Settings"]["B4"] = "£m"
    found = {(p.where, p.column) for p in _problems_when_read(path, book)}
    letter = "ABCDEFGHIJ"[header.index("forecast_net_expenditure")]
    assert ("sheet Lines, row 3", f"forecast_net_expenditure ({letter})") in found
    assert ("sheet Settings, row 4", "value (B)") in found



def test_a_column_whose_header_was_cleared_is_an_error_not_left_out(tmp_path):
    """The forecast column's header cleared: every line read with no forecast, and shown at budget."""
    path, book, header = _demo_workbook(tmp_path)
    column = header.index("forecast_net_expenditure") + 1
    book["Lines"].cell(1, column).value = None
    problems = _problems_when_read(path, book, SOURCES)
    from openpyxl.utils import get_column_letter

    unnamed = [p for p in problems if p.column == get_column_letter(column)]
    assert [p.where for p in unnamed] == ["sheet Lines, row 3"]  # once, at its first value (row 2 computes it)
    assert "a value in a column with no name in the header row" in unnamed[0].message

def test_a_drawdown_in_brackets_as_accounts_write_it_says_to_write_it_positive(tmp_path):
    """'(1,400)' in the reserves column was 'expected greater than or equal to 0'."""
    path, book, header = _demo_workbook(tmp_path)
    book["Lines"].cell(2, header.index("reserves") + 1, "(1,400)")
    (problem,) = _problems_when_read(path, book)
    assert problem.value == "(1,400)" and problem.message == (
        "may not be negative (Appropriations from reserves to this line): write it as a positive amount, without a "
        "minus sign or brackets.")


def test_a_formula_saved_without_its_result_is_an_error_not_a_line_at_budget(tmp_path):
    # openpyxl (like any program that writes workbooks) saves a formula without its result; read for
    # values the cell is blank, and a line with no forecast is shown at budget: £395k less deficit here.
    path, book, header = _demo_workbook(tmp_path)
    book["Lines"].cell(3, header.index("forecast_net_expenditure") + 1, "=19000+105")
    (problem,) = _problems_when_read(path, book, SOURCES)
    letter = "ABCDEFGHIJ"[header.index("forecast_net_expenditure")]
    assert (problem.where, problem.column, problem.value) == ("sheet Lines, row 3",
                                                              f"forecast_net_expenditure ({letter})", "=19000+105")
    assert "save it" in problem.message


def test_a_sheet_placecast_does_not_read_is_an_error_naming_the_nearest(tmp_path):
    # A sheet named "Reserve" would otherwise be passed over: no reserves, a larger deficit after them.
    path, book, _ = _demo_workbook(tmp_path)
    book["Reserves"].title = "Reserve"
    book.create_sheet("Notes")
    found = {p.where: p.message for p in _problems_when_read(path, book, SOURCES)}
    assert set(found) == {"sheet Reserve", "sheet Notes"}
    assert "did you mean 'Reserves'" in found["sheet Reserve"]
    assert "move it to another workbook" in found["sheet Notes"]


def test_a_name_beginning_with_equals_is_text_in_the_workbook_not_a_formula(tmp_path):
    model = read_budget_input(DEMO).model
    model.lines[1].name = "=SUM(1,2) social work"
    path = write_budget_workbook(tmp_path / "demo.xlsx", model)
    cell = load_workbook(path)["Lines"]["A3"]
    assert (cell.value, cell.data_type) == ("=SUM(1,2) social work", "s")
    assert read_budget_input(path).model.lines[1].name == "=SUM(1,2) social work"


def test_the_seed001_budget_with_its_named_adjustment_round_trips(tmp_path):
    from pathlib import Path

    seed = Path(__file__).parents[1] / "examples" / "seed001" / "budget.yaml"
    yaml_input = read_budget_input(seed)
    book_input = read_budget_input(write_budget_workbook(tmp_path / "seed001.xlsx", yaml_input.model))
    assert book_input.model == yaml_input.model
    assert book_input.budget().outturn_table().equals(yaml_input.budget().outturn_table())


def test_every_concept_of_the_budget_round_trips_through_the_workbook(tmp_path):
    """Gross and income, previous year, contributions to reserves, adjustments and mitigations."""
    yaml = tmp_path / "budget.yaml"
    yaml.write_text("""units: £000
adjustments: [{id: uasc_grant, label: UASC grant}]
lines:
  - {name: Placements, budget_previous_quarter: 100, forecast_gross: 160, forecast_income: 50,
     previous_year_outturn: 90, reserves: 5, adjustments: {uasc_grant: 4}}
  - {name: Social work, budget_previous_quarter: 150, forecast_net_expenditure: 149, to_reserves: 10}
  - {name: DSG high needs, outside_cash_limit: true, budget_previous_quarter: 900, forecast_net_expenditure: 950}
reserves:
  - {category: Children's reserve, purpose: Placements, approved_use_balance: 20, approved_use: 5, contribution: 10}
mitigations:
  - {name: Step-downs, amount: 3, status: agreed}
""", encoding="utf-8")
    from_yaml = read_budget_input(yaml)
    from_book = read_budget_input(write_budget_workbook(tmp_path / "budget.xlsx", from_yaml.model))
    assert from_book.model == from_yaml.model
    assert from_book.budget().headline() == from_yaml.budget().headline()
    assert from_book.budget().headline()["deficit_after_mitigations"] == Decimal(7)  # 110-4-5 + 149+10 - 250 - 3


@pytest.mark.parametrize("example", ["york_2020", "durham_2018", "brighton_2022", "rotherham_2018"])
def test_the_published_examples_round_trip_through_the_workbook(tmp_path, example):
    """Gross budgets, variances, periods and the movement basis, reserve transfers and savings by status."""
    yaml = Path(__file__).parents[1] / "examples" / example / "budget.yaml"
    from_yaml = read_budget_input(yaml)
    from_book = read_budget_input(write_budget_workbook(tmp_path / "budget.xlsx", from_yaml.model))
    assert from_book.model == from_yaml.model
    a, b = from_book.budget(), from_yaml.budget()
    assert a.headline() == b.headline() and a.savings_table().equals(b.savings_table())
    assert a.reserves_table().equals(b.reserves_table())


def test_a_change_naming_a_line_in_other_case_or_spacing_says_which_line_it_meant(tmp_path):
    path, book, _ = _demo_workbook(tmp_path)
    first = book["Lines"]["A2"].value
    book["Changes"]["A2"] = f" {first.upper()} "
    (problem,) = _problems_when_read(path, book, SOURCES)
    assert problem.where == "sheet Changes, row 2" and f"did you mean '{first}'?" in problem.message


def test_a_workbook_that_would_unpack_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A few kB of .xlsx can declare parts of many GB, which openpyxl would hold in memory (an uploaded
    budget in the web application, or a year's return as a workbook): refused from the sizes declared."""
    import placecast.xlsx
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import read_returns

    (tmp_path / "2025").mkdir()
    path = write_budget_workbook(tmp_path / "2025" / "demo.xlsx", read_budget_input(DEMO).model)
    assert read_budget_input(path).model.lines  # within the limit: read
    monkeypatch.setattr(placecast.xlsx, "UNPACKED_LIMIT", 1_000)
    with pytest.raises(FinanceInputError) as info:
        read_budget(path)
    assert "unpacks to 0 MB, more than any workbook Placecast reads (0 MB)" in info.value.problems[0].message
    with pytest.raises(UnusableInputError, match="demo.xlsx: not read: it unpacks to"):
        read_returns([tmp_path])

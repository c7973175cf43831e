"""Other councils' published budget monitoring figures, reproduced from their own papers (issue 14)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from placecast.finance import read_budget

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_rotherham_2018_pressure_mitigations_and_last_years_outturn():
    budget = read_budget(EXAMPLES / "rotherham_2018" / "budget.yaml")
    head = budget.headline()
    assert head["cash_limit"] == 57400 and head["forecast_outturn"] == 72700
    assert head["deficit_before_reserves"] == 15300  # "an in year pressure of £15.3m"
    assert head["mitigations"] == 5700 and head["deficit_after_mitigations"] == 9600  # "reduced ... to £9.6m"
    total = budget.outturn_table().set_index("line").loc["Total"]
    assert total["previous_year_outturn"] == 69800 and total["change_on_previous_year"] == 2900
    steps = budget.mitigation_table()
    assert list(steps["amount"]) == [15300, -5700, 9600]
    assert round(total["deficit_pct"], 1) == Decimal("26.7")


def test_the_reports_outturn_section_shows_the_mitigations_step_and_the_ring_fenced_lines(tmp_path):
    from types import SimpleNamespace

    from placecast.report.sections import outturn as section

    text = (EXAMPLES / "rotherham_2018" / "budget.yaml").read_text(encoding="utf-8").replace(
        "mitigations:", "  - {name: Dedicated Schools Grant, outside_cash_limit: true, budget_previous_quarter: 100, "
        "forecast_net_expenditure: 120}\nmitigations:")
    (tmp_path / "budget.yaml").write_text(text, encoding="utf-8")
    budget = read_budget(tmp_path / "budget.yaml")
    results = SimpleNamespace(outturn=SimpleNamespace(budget=budget, sources={}), quarter="2018/19 Q2",
                              inputs=SimpleNamespace(money_unit="£000", commentary=SimpleNamespace(
                                  section=lambda _: "")))
    tables = {b.name: b for b in section.build(results).blocks if hasattr(b, "name")}
    steps = [(r["step"], r["amount"]) for r in tables["mitigations"].rows]
    assert steps[0][1] == 15300 and steps[-1] == ("(Surplus)/deficit after mitigations", 9600)
    assert [r["line"] for r in tables["outside"].rows] == ["Dedicated Schools Grant", "Total"]
    assert tables["outside"].rows[-1]["deficit"] == 20
    assert [r["line"] for r in tables["outturn"].rows][-1] == "Total" and tables["outturn"].rows[-1]["deficit"] == 15300

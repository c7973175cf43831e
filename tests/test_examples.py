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


def _total(budget):
    return budget.outturn_table().set_index("line").loc["Total"]


def test_york_2020_q3_gross_budgets_variances_funding_rows_mitigations_and_movement_on_q2():
    """City of York Council, CEC 2020/21 quarter 3 monitoring, Table 1: every figure."""
    budget = read_budget(EXAMPLES / "york_2020" / "budget.yaml")
    assert budget.period_label == "2020/21 Quarter 3"
    table = budget.outturn_table().set_index("line")
    published = {  # line: (net budget, variation, % of budget, quarter 2 variation)
        "Children's Specialist Services": (19454, 5793, "29.8", 4983),
        "Communities & Equalities": (5174, 179, "3.5", 164),
        "Education & Skills": (11862, 3956, "33.4", 2097),
        "School Funding & Assets": (-7774, -3313, "-42.6", -1437),
        "Central CEC Budgets": (-4154, 247, "5.9", 530),
        "Children's Improvement Funding": (0, -651, None, -600),
        "Covid 19 Funding": (0, -1192, None, -1192)}
    for line, (net, variation, pct, q2) in published.items():
        row = table.loc[line]
        assert (row["cash_limit"], row["deficit"], row["previous_deficit"]) == (net, variation, q2)
        assert (None if row["deficit_pct"] is None else str(round(row["deficit_pct"], 1))) == pct
    budgets = budget.budget_table().set_index("line")
    assert budgets.loc["Children's Specialist Services", "budget_gross"] == 22117
    assert budgets.loc["School Funding & Assets", "budget_income"] == 150524
    # Table 1 prints gross 193,204, income 168,742 and net 24,562: the lines' income adds up to 168,642, and
    # 193,204 - 168,642 is the net 24,562 the paper prints, so its income total is a misprint by 100.
    assert budgets.loc["Cash Limit", "budget_gross"] == 193204 and budgets.loc["Cash Limit", "cash_limit"] == 24562
    assert budgets.loc["Cash Limit", "budget_income"] == 168642
    head = budget.headline()
    assert head["mitigations"] == 1450 and head["deficit_after_mitigations"] == 3569  # "+3,569"
    assert round(head["deficit_after_mitigations_pct"], 1) == Decimal("14.5")  # "+14.5%"
    assert head["previous_position"] == 2595 and head["movement"] == 974  # quarter 2 total "+2,595"


def test_durham_2018_outturn_reserve_transfers_in_and_movement_on_q3_before_reserves():
    """Durham County Council, CYPS revenue outturn 2018/19, paragraphs 3-5: every figure."""
    budget = read_budget(EXAMPLES / "durham_2018" / "budget.yaml")
    head = budget.headline()
    assert head["cash_limit"] == 107865 and head["deficit_before_reserves"] == 3386  # "£3.386 million"
    assert round(head["deficit_before_pct"], 1) == Decimal("3.1")
    assert head["previous_position"] == 2663 and head["movement"] == 723  # quarter 3: £2.663m
    assert list(budget.movement_table()["amount"]) == [3386, 2663, 723]
    reserve = budget.reserves[0]
    assert reserve.approved_use_balance == 1763 and reserve.transfers_in == [
        ("General Fund Balances", 900), ("General Reserve", 723)]
    assert reserve.approved_use_balance + 900 == 2663  # the transfer covers the quarter 3 overspend exactly
    assert reserve.balance == 0 and head["deficit_after_reserves"] == 0  # no negative cash limit reserve


def test_brighton_2022_month_2_variances_savings_by_status_recovery_measures_and_last_years_variance():
    """Brighton & Hove City Council, TBM month 2 2022/23, Families, Children & Learning summary: every figure."""
    budget = read_budget(EXAMPLES / "brighton_2022" / "budget.yaml")
    assert budget.period_label == "2022/23 Month 2 (May)"
    table = budget.outturn_table().set_index("line")
    published = {"Director of Families, Children & Learning": (248, 248, 0, "0.0", -9),
                 "Health, SEN & Disability Services": (49396, 51017, 1621, "3.3", 6),
                 "Education & Skills": (9691, 10127, 436, "4.5", -55),
                 "Children's Safeguarding & Care": (42359, 44024, 1665, "3.9", -17),
                 "Quality Assurance & Performance": (1568, 1610, 42, "2.7", -43),
                 "Total": (103262, 107026, 3764, "3.6", -118)}
    for line, (limit, forecast, variance, pct, last_year) in published.items():
        row = table.loc[line]
        assert (row["cash_limit"], row["forecast_net_expenditure"], row["deficit"]) == (limit, forecast, variance)
        assert f"{round(row['deficit_pct'], 1):.1f}" == pct and row["previous_year_variance"] == last_year
    savings = budget.savings_table().set_index("line")
    for line, (proposed, secure, at_risk) in {"Health, SEN & Disability Services": (1046, 0, 1046),
                                              "Education & Skills": (13, 13, 0),
                                              "Children's Safeguarding & Care": (1529, 259, 1270),
                                              "Quality Assurance & Performance": (86, 54, 32),
                                              "Total": (2674, 326, 2348)}.items():
        row = savings.loc[line]
        assert (row["proposed"], row["achieved_or_anticipated"], row["at_risk"]) == (proposed, secure, at_risk)
    assert savings.loc["Education & Skills", "rag"] == "Green" and savings.loc["Total", "rag"] == "Red"
    head = budget.headline()
    assert head["mitigations"] == 511 and head["deficit_after_mitigations"] == 3253  # "(511)", "3,253"
    assert head["forecast_outturn"] - head["mitigations"] == 106515  # "Residual risk after ... 106,515"
    assert round(head["deficit_after_mitigations_pct"], 1) == Decimal("3.2")
    assert head["movement"] is None  # no previous report is published: the movement is n/a, not the full amount


def _section(budget):
    from types import SimpleNamespace

    from placecast.report.sections import outturn as section

    results = SimpleNamespace(outturn=SimpleNamespace(budget=budget, sources={}), quarter=budget.period_label,
                              inputs=SimpleNamespace(money_unit="£000", commentary=SimpleNamespace(
                                  section=lambda _: "")))
    return section.build(results).blocks


def test_the_reports_outturn_section_shows_the_movement_basis_savings_status_and_gross_budgets():
    york = {b.name: b for b in _section(read_budget(EXAMPLES / "york_2020" / "budget.yaml")) if hasattr(b, "name")}
    assert [r["amount"] for r in york["movement"].rows] == [3569, 2595, 974]
    assert york["movement"].title.startswith("Movement on the previous report, after mitigations")
    assert "Gross expenditure" in [c.label for c in york["budget"].columns]
    assert "(Surplus)/deficit quarter 2" in [c.label for c in york["outturn"].columns]
    brighton = _section(read_budget(EXAMPLES / "brighton_2022" / "budget.yaml"))
    tables = {b.name: b for b in brighton if hasattr(b, "name")}
    assert tables["savings_status"].rows[-1]["at_risk"] == 2348 and tables["savings_status"].rows[-1]["rag"] == "Red"
    words = " ".join(p for b in brighton if hasattr(b, "paragraphs") for p in b.paragraphs)
    assert "n/a, because the previous report's position is not given" in words
    assert "Last year's variance" in [c.label for c in tables["outturn"].columns]
    durham = {b.name: b for b in _section(read_budget(EXAMPLES / "durham_2018" / "budget.yaml")) if hasattr(b, "name")}
    reserve = durham["reserves"].rows[0]
    assert (reserve["approved_use_balance"], reserve["transfers_in"], reserve["balance"]) == (1763, 1623, 0)

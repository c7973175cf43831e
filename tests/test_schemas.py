"""Every kind of input file a user writes is strict: an unknown or misspelt key, column or unit is an
error naming the file, the line, the key and a suggestion; `placecast schema` prints each schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from placecast.cli import app
from placecast.errors import LocatedInputError
from placecast.finance import read_budget, read_commitments, read_unit_costs
from placecast.kpi import read_definitions, read_values
from placecast.kpi.files import RulesFile
from placecast.programme import read_plan
from placecast.programme.scenario import read_scenario
from placecast.report import read_commentary, read_config
from placecast.schema import SCHEMAS, read_model
from placecast.ssda903.taxonomy import load_taxonomy

BUDGET = "units: £000\nlines:\n  - name: Placements\n    budget_previous_quarter: 100\n    {key}: 110\n"
SCENARIO = "name: s\nseed: 1\ninterventions:\n  - {{type: edge_of_care, start: 2025-04-01, reduce_entries_pct: 5, " \
           "{key}: [10-13]}}\n"
PLAN = "title: p\ninvest_to_save:\n  - name: x\n    children: 1\n    weekly_saving: 1\n    saving_from: 2025-04-01\n" \
       "    annual_cost: 1\n    cost_from: 2025-04-01\n    {key}: 6\n"
UNIT_COSTS = "unit: GBP per week\ninflation_per_year: 0\n{key}:\n  secure: [{{from: 2024-04-01, weekly: 7000}}]\n"
RULES = "red_gap: {{value: 0.05, unit: fraction of the target}}\n{key}: {{value: 0.01, unit: fraction of the " \
        "previous year end}}\n"
TAXONOMY = "categories:\n  - {{category: other, place: [Z1]}}\ntemporary: [T0]\n{key}: other\n"
CONFIG = "council: X\ndata: returns\n{key}: budget.yaml\n"
COMMENTARY = "sections:\n  outturn: Fine.\n{key}:\n  CLA: Fine.\n"
COMMITMENTS = "child_id,placement_ref,provider,cost_line,{key},start\nA,1,P,secure,100,2025-04-01\n"
UNIT_COST_CSV = "cost_line,{key},effective_from\nsecure,7000,2024-04-01\n"
DEFINITIONS = "id,name,polarity,{key},unit,target\nCLA,Children,Low,Council,count,Minimise\n"
VALUES = "id,current,{key}\nCLA,480,450\n"


def _read(reader: Callable[[Path], object], name: str, text: str, tmp_path: Path) -> LocatedInputError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        reader(path)
    return info.value


# (file kind, reader, file name, template, the misspelt key, the key it should be, the line it is on)
MISSPELT = [
    ("budget", read_budget, "budget.yaml", BUDGET, "forcast_net_expenditure", "forecast_net_expenditure", "5"),
    ("scenario", read_scenario, "scenario.yaml", SCENARIO, "age_band", "age_bands", "4"),
    ("plan", read_plan, "plan.yaml", PLAN, "monts", "months", "9"),
    ("unit costs (YAML)", read_unit_costs, "costs.yaml", UNIT_COSTS, "cost", "costs", "3"),
    ("RAG rules", lambda p: read_model(p, RulesFile), "rules.yaml", RULES, "stable_bnad", "stable_band", "2"),
    ("taxonomy", load_taxonomy, "taxonomy.yaml", TAXONOMY, "fallbak", "fallback", "4"),
    ("report configuration", read_config, "report.yaml", CONFIG, "budjet", "budget", "3"),
    ("commentary", read_commentary, "commentary.yaml", COMMENTARY, "indicator", "indicators", "3"),
    ("commitments", lambda p: read_commitments(p, ["secure"]), "commitments.csv", COMMITMENTS, "weekly_cots",
     "weekly_cost", "line 1"),
    ("unit costs (CSV)", read_unit_costs, "costs.csv", UNIT_COST_CSV, "weekly_cots", "weekly_cost", "1"),
    ("indicator definitions", read_definitions, "definitions.csv", DEFINITIONS, "influense", "influence", "1"),
    ("indicator values", read_values, "values.csv", VALUES, "previous_yearend", "previous_year_end", "1"),
]


@pytest.mark.parametrize(("kind", "reader", "name", "template", "wrong", "right", "line"), MISSPELT,
                         ids=[m[0] for m in MISSPELT])
def test_a_misspelt_key_is_located_with_a_suggestion(tmp_path, kind, reader, name, template, wrong, right, line):
    error = _read(reader, name, template.format(key=wrong), tmp_path)
    problem = next(p for p in error.problems if p.value == wrong)
    assert problem.file.endswith(name) and problem.where == line
    assert problem.column.endswith(wrong)
    assert f"did you mean '{right}'" in problem.message


@pytest.mark.parametrize("unit", ["£m", "thousand", "GBP thousands", "pence"])
def test_a_budget_in_an_unknown_unit_is_an_error_listing_the_units(tmp_path, unit):
    text = BUDGET.format(key="forecast_net_expenditure").replace("units: £000", f"units: {unit}")
    problem = _read(read_budget, "budget.yaml", text, tmp_path).problems[0]
    assert (problem.where, problem.column, problem.value) == ("1", "units", unit)
    assert "'£000'" in problem.message and "'£'" in problem.message


@pytest.mark.parametrize(("reader", "name", "text", "unit"), [
    (read_unit_costs, "costs.yaml", UNIT_COSTS.format(key="costs").replace("GBP per week", "GBP per day"),
     "GBP per day"),
    (lambda p: read_model(p, RulesFile), "rules.yaml", RULES.format(key="stable_band").replace("of the target",
                                                                                                "percent"),
     "fraction percent"),
    (read_definitions, "definitions.csv", DEFINITIONS.format(key="influence").replace(",count,", ",pounds,"),
     "pounds"),
], ids=["unit costs", "RAG rules", "indicator definitions"])
def test_an_unknown_unit_is_an_error(tmp_path, reader, name, text, unit):
    problem = _read(reader, name, text, tmp_path).problems[0]
    assert problem.value == unit and problem.where != "-"


def test_the_budget_that_turned_a_deficit_into_a_surplus_now_stops_with_exit_2(tmp_path):
    """Issue 12: a misspelt forecast key used to make the line's forecast 0, with exit 0."""
    seed = (Path(__file__).resolve().parents[1] / "examples" / "seed001" / "budget.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "budget.yaml"
    bad.write_text(seed.replace("forecast_net_expenditure: 55160", "forcast_net_expenditure: 55160"), encoding="utf-8")
    result = CliRunner().invoke(app, ["outturn", str(bad), "--as-at", "2023-09-30", "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and not (tmp_path / "o").exists()


def test_a_scenario_seed_that_is_not_a_number_is_a_located_error_not_an_internal_one(tmp_path):
    error = _read(read_scenario, "scenario.yaml", "name: s\nseed: abc\n", tmp_path)
    assert [(p.where, p.column, p.value) for p in error.problems] == [("2", "seed", "abc")]


def test_an_unknown_intervention_type_suggests_the_nearest(tmp_path):
    error = _read(read_scenario, "scenario.yaml", "interventions:\n  - {type: edge_of_cair, start: 2025-04-01}\n",
                  tmp_path)
    assert "did you mean 'edge_of_care'" in error.problems[0].message


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_placecast_schema_prints_each_json_schema(name):
    result = CliRunner().invoke(app, ["schema", name])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["type"] == "object" and schema["properties"]
    assert schema.get("additionalProperties") is False


def test_placecast_schema_lists_the_schemas_and_refuses_an_unknown_one():
    listed = CliRunner().invoke(app, ["schema"])
    assert all(name in listed.output for name in SCHEMAS)
    assert CliRunner().invoke(app, ["schema", "budgte"]).exit_code == 2


def test_the_same_models_are_built_in_python_without_any_file():
    from placecast.finance.budget import budget_from_model
    from placecast.finance.files import BudgetFile

    budget = budget_from_model(BudgetFile(units="£000", lines=[
        {"name": "Placements", "budget_previous_quarter": 100, "forecast_net_expenditure": 130}]))
    assert budget.headline()["deficit_after_reserves"] == 30


@pytest.mark.parametrize(("written", "said"), [
    ("01/04/2025", "expected a date written as YYYY-MM-DD, for example 2025-04-01"),  # as a UK user writes it
    ("2025-04-31", "not a day in the calendar"),
])
def test_a_date_in_a_file_says_how_to_write_it_or_that_the_day_does_not_exist(tmp_path, written, said):
    p = tmp_path / "plan.yaml"
    p.write_text(f"approved: {written}\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_plan(p)
    problem = info.value.problems[0]
    assert (problem.where, problem.column) == ("1", "approved") and said in problem.message


def test_commentary_for_an_indicator_no_definition_has_is_an_error_naming_the_nearest(tmp_path):
    """It was never shown, and the Red indicator it was written for was listed as having no commentary."""
    p = tmp_path / "commentary.yaml"
    p.write_text("indicators:\n  OWN: fine\n  EXT_RESI: the step-down team will reduce them\n", encoding="utf-8")
    assert read_commentary(p).indicators["EXT_RESI"]  # without the ids, nothing to check against
    with pytest.raises(LocatedInputError) as info:
        read_commentary(p, ["OWN", "EXT_RES", "CLA"])
    (problem,) = info.value.problems
    assert (problem.where, problem.column) == ("3", "indicators.EXT_RESI")
    assert "did you mean 'EXT_RES'?" in problem.message


def test_a_file_that_is_not_yaml_keys_names_its_schema_and_an_example(tmp_path):
    """It pointed at 'placecast defaults' for an example, which has none for some files (a capacity CSV)."""
    from placecast.cli import DEFAULT_FILES
    from placecast.schema import EXAMPLES, SCHEMAS

    assert set(EXAMPLES) <= set(SCHEMAS) and set(EXAMPLES.values()) <= set(DEFAULT_FILES)
    p = tmp_path / "plan.yaml"
    p.write_text("- a list, not keys\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_plan(p)
    assert "'placecast schema plan'; an example: 'placecast defaults demo-plan'" in info.value.problems[0].message
    result = CliRunner().invoke(app, ["defaults", EXAMPLES["plan"]])
    assert result.exit_code == 0 and "approved:" in result.output


def test_an_empty_list_says_it_needs_an_entry_in_words(tmp_path):
    """It was pydantic's 'List should have at least 1 item after validation, not 0'."""
    p = tmp_path / "unit_costs.yaml"
    p.write_text("costs: {}\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_unit_costs(p)
    assert info.value.problems[0].message == "needs at least 1 entry; none were given."


@pytest.mark.parametrize(("edit", "column", "said"), [
    (("provider: [PR1]", "provider: [PR01]"), "categories[1].provider[0]", "did you mean PR1?"),
    (("place: [K1]", "place: [K11]"), "categories[5].place[0]", "not a PLACE code of any year"),
    (("fallback: other", "fallback: others"), "fallback", "the fallback must be one of the categories"),
    (("place: [K1]", "place: [K1, K2]"), "categories[5].place[1]", "already taken by an earlier rule"),
    # a copy without K2 for external providers counted every external residential placement as 'other'
    (("place: [K2, R1, P3, S1], provider: [PR0", "place: [R1, P3, S1], provider: [PR0"), "categories",
     "no rule takes K2 with PLACE_PROVIDER PR0, PR2, PR3, PR4, PR5 or blank: such placements would be counted as "
     "'other'"),
    (("place: [K1]", "place: [Z1]"), "categories", "no rule takes K1 with any provider"),
])
def test_a_taxonomy_code_no_code_list_has_or_a_fallback_that_is_no_category_is_located(tmp_path, edit, column, said):
    # PR01 for PR1 sent every in-house foster placement to 'other'; 'others' made a category of its own.
    from placecast.ssda903.taxonomy import default_taxonomy_text

    text = default_taxonomy_text()
    assert edit[0] in text
    problems = _read(load_taxonomy, "taxonomy.yaml", text.replace(edit[0], edit[1], 1), tmp_path).problems
    assert any(problem.column == column and said in problem.message for problem in problems), problems
    (tmp_path / "copy.yaml").write_text(text, encoding="utf-8")
    assert load_taxonomy(tmp_path / "copy.yaml").categories == load_taxonomy().categories  # the built-in passes


@pytest.mark.parametrize(("reader", "name", "text", "line", "column"), [
    # the second secure line silently replaced the first: a forecast costed at £9,000 a week, not £7,000
    (read_unit_costs, "costs.yaml", "unit: GBP per week\ninflation_per_year: 0\ncosts:\n  secure: [{from: 2024-04-01, "
     "weekly: 7000}]\n  other: [{from: 2024-04-01, weekly: 800}]\n  secure: [{from: 2024-04-01, weekly: 9000}]\n",
     "6", "costs.secure"),
    (read_budget, "budget.yaml", "units: £000\nlines:\n  - name: Placements\n    budget_previous_quarter: 100\n"
     "    budget_this_quarter: 110\n    budget_this_quarter: 120\n", "6", "lines[0].budget_this_quarter"),
    (read_plan, "plan.yaml", "title: p\nplanned: {Step-down: 250000, Step-down: 100000}\n", "2", "planned.Step-down"),
    (read_definitions, "indicators.yaml", "indicators:\n  - {id: CLA, name: Children, name: Looked after, "
     "polarity: Low, unit: count}\n", "2", "indicators[0].name"),
])
def test_a_key_given_twice_is_an_error_on_its_second_line(tmp_path, reader, name, text, line, column):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        reader(path)
    problem = info.value.problems[0]
    assert (problem.where, problem.column) == (line, column) and "given twice" in problem.message


@pytest.mark.parametrize(("reader", "text", "located"), [
    # the target column's header deleted: every indicator was read with no target, and rated nothing
    (read_definitions, "id,name,polarity,influence,unit,\nCLA,Children looked after,Low,Council,count,70\n",
     ("2", "F", "70")),
    (read_values, "id,previous_year_end,current\nCLA,480,485,500\n", ("2", "D", "500")),
    (read_unit_costs, "cost_line,weekly_cost,,effective_from\nsecure,7000,,2024-04-01\nsupported,1500,x,2024-04-01\n",
     ("3", "C", "x")),
])
def test_a_value_under_no_column_name_is_located_not_dropped(tmp_path, reader, text, located):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        reader(path)
    (problem,) = info.value.problems
    assert (problem.where, problem.column, problem.value) == located
    assert "a value in a column with no name in the header row" in problem.message


def test_an_empty_column_with_no_name_is_no_matter(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text("cost_line,weekly_cost,effective_from,,\nsecure,7000,2024-04-01,,\n", encoding="utf-8")
    assert read_unit_costs(path).lines == ["secure"]


def test_a_key_with_no_value_says_so_not_what_pydantic_expected(tmp_path):
    """'delivery_cost_per_year:' alone said 'Decimal input should be an integer, float, string or Decimal object'."""
    path = tmp_path / "scenario.yaml"
    path.write_text("name: s\nseed:\ninterventions:\n  - {type: edge_of_care, name: e, start: 2025-06-01, "
                    "reduce_entries_pct: 10, delivery_cost_per_year: }\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        read_scenario(path)
    assert [(p.where, p.column, p.message) for p in info.value.problems] == [
        ("2", "seed", "has no value: write it after the key, or remove the key if it may be left out."),
        ("4", "interventions[0].delivery_cost_per_year",
         "has no value: write it after the key, or remove the key if it may be left out.")]


@pytest.mark.parametrize(("reader", "name"), [(read_plan, "plan.yaml"), (read_scenario, "scenario.yaml"),
                                              (read_commentary, "commentary.yaml"), (read_budget, "budget.yaml"),
                                              (load_taxonomy, "taxonomy.yaml")])
def test_a_file_saved_empty_is_an_error_not_a_file_of_defaults(tmp_path, reader, name):
    """An empty plan read as a plan with nothing in it, and an empty scenario as one of no interventions; an
    empty taxonomy was three keys required, not a file saved empty."""
    path = tmp_path / name
    path.write_text("# to do\n\n", encoding="utf-8")
    with pytest.raises(LocatedInputError) as info:
        reader(path)
    (problem,) = info.value.problems
    assert problem.where == "1" and problem.message.startswith("the file is empty (or only comments): give its keys")


def test_a_yaml_file_not_in_utf8_names_the_line_of_its_first_foreign_byte(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_bytes("name: Recovery\n# costs in £\n".encode("cp1252"))
    with pytest.raises(LocatedInputError) as info:
        read_scenario(path)
    (problem,) = info.value.problems
    assert (problem.where, problem.message) == ("2", "byte 0xa3 is not UTF-8 text; save the file as UTF-8.")


def test_a_file_not_there_or_a_folder_given_for_a_file_says_so_plainly(tmp_path):
    """It said "cannot be read ([Errno 2] No such file or directory: 'nofile.yaml')"."""
    for given, said in ((tmp_path / "nofile.yaml", "no such file; check the path."),
                        (tmp_path, "a folder, not a file; give the file in it.")):
        with pytest.raises(LocatedInputError) as info:
            read_scenario(given)
        assert [p.message for p in info.value.problems] == [said]

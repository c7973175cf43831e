"""The quarterly report: three renderings of one report model, checked against the library's values.

A synthetic council is built once; the report is rendered to HTML, PDF and Excel, and a second report
with one weekly cost changed is made through the CLI. Every check reads the rendered files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from placecast.cli import app
from placecast.demo import demo_config
from placecast.finance import cost_summary, default_unit_costs, to_thousands
from placecast.finance.forecast_cost import cost_runs
from placecast.finance.outturn import forecast_outturn
from placecast.report import build_report, parse_quarter, read_commentary, read_config, write_report
from placecast.report.model import KINDS, display, rounded
from placecast.ssda903 import assemble, load_taxonomy, read_returns, validate_returns, write_history
from placecast.ssda903.assemble import count_in_care
from placecast.synth import SynthSettings, simulate, write_returns

STATS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"
RUNS = 200


class _Tables(HTMLParser):
    """Every table's cell texts by table id, plus every address a tag would load."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.loads: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for key in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
            if a.get(key) and not str(a[key]).startswith("#"):
                self.loads.append(f"{tag} {key}={a[key]}")
        if tag == "table":
            self.current = a["id"].removeprefix("t-")
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.current and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _number(text: str) -> float:
    negative = text.startswith("(")
    value = float(re.sub(r"[^0-9.]", "", text))
    return -value if negative else value


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    result = simulate(SynthSettings(children_in_care=400, years=5, end_year=2026, seed=5))
    write_returns(result, root / "returns")
    validated = validate_returns(read_returns([root / "returns"]))
    history = assemble(validated, b"report-test-key", load_taxonomy())
    write_history(history, validated.findings, root / "history", key=b"report-test-key")
    return root


@pytest.fixture(scope="module")
def rendered(council):
    config = demo_config(council / "history", STATS if STATS.is_dir() else None, runs=RUNS, seed=3)
    report = build_report(config)
    paths = write_report(report, council / "out", config)
    parser = _Tables()
    parser.feed(paths["html"].read_text(encoding="utf-8"))
    return config, report, paths, parser


@pytest.fixture(scope="module")
def dearer(council, rendered):
    """The same report through the CLI, with external residential care £1,000 a week dearer."""
    config = rendered[0]
    costs = yaml.safe_load(default_unit_costs_text())
    costs["costs"]["residential_external"] = [{"from": "2020-04-01", "weekly": 6000}]
    (council / "dearer_costs.yaml").write_text(yaml.safe_dump(costs), encoding="utf-8")
    data = config.model_dump(mode="json")
    data["unit_costs"] = str(council / "dearer_costs.yaml")
    (council / "dearer.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--config", str(council / "dearer.yaml"), "--out",
                                      str(council / "dearer"), "--quarter", "2025-Q2"])
    assert result.exit_code in (0, 1), result.output
    stem = rendered[2]["html"].stem
    paths = {ext: council / "dearer" / f"{stem}.{ext}" for ext in ("html", "pdf", "xlsx")}
    parser = _Tables()
    parser.feed(paths["html"].read_text(encoding="utf-8"))
    return paths, parser


def default_unit_costs_text() -> str:
    from importlib import resources

    return resources.files("placecast.finance").joinpath("unit_costs.yaml").read_text(encoding="utf-8")


def test_quarters_are_financial_year_quarters():
    assert parse_quarter("2025-Q2") == ("2025/26 Q2", date(2025, 9, 30))
    assert parse_quarter("2025/26 q4") == ("2025/26 Q4", date(2026, 3, 31))
    assert parse_quarter("2023-Q3")[1] == date(2023, 12, 31)
    with pytest.raises(ValueError, match="not a financial year"):
        parse_quarter("2025/27 Q1")
    with pytest.raises(ValueError, match="YYYY-Qn"):
        parse_quarter("Q5 2025")
    assert parse_quarter("Q2 2025/26") == ("2025/26 Q2", date(2025, 9, 30))  # as councils title their reports
    with pytest.raises(ValueError, match="YYYY-Qn"):
        parse_quarter("Q2 2025")  # which year's Q2 is not plain: calendar or financial


def test_a_missing_file_in_the_configuration_is_located_and_a_grouped_population_reads(tmp_path):
    """A missing file was reported at 'report configuration, unit_costs' without the file or line; a
    population written 60,000 was refused."""
    from placecast.quarter.config import ReportConfigError

    config = tmp_path / "report.yaml"
    config.write_text("council: X\nquarter: Q2 2025/26\ndata: builtin:demo\nbudget: builtin:demo-budget\n"
                      "unit_costs: nosuch.yaml\npopulation_0_17: 60,000\n", encoding="utf-8")
    with pytest.raises(ReportConfigError) as info:
        read_config(config)
    (problem,) = info.value.problems
    assert (problem.file, problem.where, problem.column) == (str(config), "5", "unit_costs")
    config.write_text(config.read_text(encoding="utf-8").replace("unit_costs: nosuch.yaml\n", ""), encoding="utf-8")
    assert read_config(config).population_0_17 == 60_000
    config.write_text(config.read_text(encoding="utf-8") + "capacity: {residential_in_house: 14}\n", encoding="utf-8")
    with pytest.raises(ReportConfigError) as info:  # found at step 5 of the run, with no file or line
        read_config(config)
    (problem,) = info.value.problems
    assert problem.where == "6" and "did you mean 'residential_inhouse'?" in problem.message
    config.write_text(config.read_text(encoding="utf-8").replace("residential_in_house", "residential_inhouse"),
                      encoding="utf-8")
    for written, unit in (("£'000", "£000"), ("£k", "£000"), ("£ million", "£m")):  # as councils head columns
        config.write_text(config.read_text(encoding="utf-8").split("money_unit")[0] + f'money_unit: "{written}"\n',
                          encoding="utf-8")
        assert read_config(config).money_unit == unit


def test_capacity_for_a_category_of_the_councils_own_taxonomy_reads_from_its_ingest_folder(tmp_path):
    """An ingest folder made with a taxonomy that has solo residential placements: capacity for them was
    refused as no placement category."""
    import json

    from placecast.quarter.config import ReportConfigError

    history = tmp_path / "history"
    history.mkdir()
    (history / "history.parquet").write_bytes(b"")
    (history / "manifest.json").write_text(json.dumps({"categories": {"residential_solo": "Solo residential",
                                                                      "other": "Other"}}), encoding="utf-8")
    config = tmp_path / "report.yaml"
    config.write_text("council: X\nquarter: 2025-Q2\ndata: history\nbudget: builtin:demo-budget\n"
                      "capacity: {residential_solo: 3}\n", encoding="utf-8")
    assert read_config(config).capacity == {"residential_solo": 3}
    config.write_text(config.read_text(encoding="utf-8").replace("data: history", "data: builtin:demo"),
                      encoding="utf-8")
    with pytest.raises(ReportConfigError, match="unknown placement category"):
        read_config(config)


def test_every_html_table_cell_is_the_report_models_value(rendered):
    _, report, _, parser = rendered
    assert len(report.tables()) >= 12
    for table in report.tables():
        if not table.rows:
            continue
        html = parser.tables[table.name]
        assert html[0] == [c.label for c in table.columns]
        body = [[table.cell(row, c.key) for c in table.columns] for row in table.rows]
        assert html[1:] == body, table.name


def test_no_table_cell_reads_none_or_nan(rendered):
    """An indicator with no polarity read 'None' under 'Good performance'."""
    _, _, _, parser = rendered
    cells = [cell.strip() for table in parser.tables.values() for row in table for cell in row]
    assert not {"None", "nan", "NaN"} & set(cells)
    indicators = parser.tables["indicators"]
    assert any(row[2] == "Context only" for row in indicators[1:])


def test_html_figures_equal_the_librarys_values(rendered):
    """Figures recomputed here with the library, independently of the report builder, match the HTML."""
    config, report, _, parser = rendered
    history, forecast = report.results.history, report.results.forecast.forecast
    as_at = report.as_at
    assert as_at == date(2025, 9, 30) and history.census_date == as_at
    # outturn by service line, in whole £000
    outturn = forecast_outturn(config.budget, as_at, default_unit_costs(),
                               run_costs=cost_runs(forecast.run_days(), default_unit_costs()),
                               history_episodes=history.episodes).tables()["outturn.csv"]
    html = {row[0]: row[1:] for row in parser.tables["outturn"][1:]}
    for r in outturn.to_dict("records"):
        cells = html[r["line"]]
        assert _number(cells[0]) == r["cash_limit"]
        assert _number(cells[1]) == r["forecast_net_expenditure"]
        assert _number(cells[4]) == r["deficit"]  # no adjustment column: the demo budget has none
    # children in care now, by category
    tax = load_taxonomy()
    now = count_in_care(history.episodes, as_at, tax.categories)
    labels = {**tax.labels(), "total": "All children in care"}
    children = {row[0]: row for row in parser.tables["children"][1:]}
    for cat, n in now.items():
        if cat in labels and labels[cat] in children:
            assert _number(children[labels[cat]][2]) == n
    assert _number(children["All children in care"][2]) == now["total"]
    fc = forecast.table()
    end = fc[(fc["date"] == "2026-03-31") & (fc["category"] == "total")].iloc[0]
    assert _number(children["All children in care"][3]) == float(Decimal(str(end["mean"])).quantize(Decimal("0.1")))
    # placement cost by financial year, £000
    by_year = cost_summary(cost_runs(forecast.run_days(), default_unit_costs()), "financial_year")
    totals = by_year[by_year["category"] == "total"].set_index("financial_year")["mean_gbp"]
    html_costs = {row[0]: _number(row[1]) for row in parser.tables["cost_range"][1:]}
    assert html_costs == {fy: rounded(v / 1000, "gbp_k") for fy, v in totals.items()}
    by_category = {row[0]: row[1:] for row in parser.tables["costs"]}
    assert [_number(x) for x in by_category["All children in care"]] == list(html_costs.values())
    ext = by_year[by_year["category"] == "residential_external"].set_index("financial_year")["mean_gbp"]
    assert [_number(x) for x in by_category["External residential"]] == [rounded(v / 1000, "gbp_k") for v in ext]
    # indicators at the quarter end
    from placecast.kpi import compute_indicators

    ind = compute_indicators(history.episodes, as_at, config.population_0_17).set_index("id")
    rows = {row[0]: row for row in parser.tables["indicators"][1:]}
    assert _number(rows["CLA"][5]) == ind.loc["CLA", "value"] == now["total"]
    assert _number(rows["FOSTER"][5]) == rounded(ind.loc["FOSTER", "value"], "pct")
    # headline figures
    head = {f.label: f for f in report.headline}
    assert head["Children in care now"].value == now["total"]
    assert display(head["Cash limit"].value, "gbp_k") == f"{outturn.iloc[-1]['cash_limit']:,}"


def test_rag_is_a_word_and_symbol_not_colour_alone(rendered):
    _, report, _, parser = rendered
    for row in parser.tables["indicators"][1:]:
        rag, direction = row[-2], row[-1]
        assert re.fullmatch(r"(✖ Red|▲ Amber|✔ Green|– N/A)", rag)
        assert re.fullmatch(r"(↑ getting better|↓ getting worse|→ stable|○ n/a)", direction)


def test_red_indicators_without_commentary_are_warnings(rendered):
    _, report, _, _ = rendered
    table = report.table("indicators")
    reds = [r["id"] for r in table.rows if r["rag"] == "Red"]
    commented = read_commentary(rendered[0].commentary).indicators
    for ident in reds:
        listed = any(ident in w for w in report.warnings)
        assert listed == (ident not in commented)
    slots = [p for s in report.sections if s.id == "indicators" for b in s.blocks
             if getattr(b, "css", "").startswith("commentary") for p in b.paragraphs]
    needs = [r["id"] for r in table.rows if r["rag"] == "Red" or (r["rag"] == "Amber" and r["dot"] == "worse")]
    assert sorted(p.split(" ", 1)[0] for p in slots) == sorted(needs)


def test_html_is_self_contained_and_accessible(rendered):
    _, report, paths, parser = rendered
    text = paths["html"].read_text(encoding="utf-8")
    assert parser.loads == []  # no src/href/... pointing anywhere but inside the page
    assert "<link" not in text and "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)
    assert not re.search(r"<script[^>]+src=", text)
    assert '"url"' not in "".join(str(c.spec) for c in report.charts())  # chart data inline
    # headings in order, charts with alt text, tables with header cells
    levels = [int(h) for h in re.findall(r"<h([1-6])", text)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert text.count('role="img" aria-label="') == len(report.charts()) >= 3
    assert text.count('<th scope="col"') >= sum(len(t.columns) for t in report.tables() if t.rows)
    assert 'lang="en-GB"' in text


def test_pdf_text_holds_the_headline_figures(rendered):
    _, report, paths, _ = rendered
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed; .ci/run installs it"
    text = " ".join(subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert report.title in text and "Page 1 of" in text
    for fig in report.headline:
        assert fig.label in text
        assert display(fig.value, fig.kind) in text, fig.label
    assert "<svg" not in text
    info = subprocess.run(["pdfinfo", str(paths["pdf"])], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 8


def test_excel_holds_numbers_with_formats(rendered):
    _, report, paths, _ = rendered
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames[0] == "About" and "Headline" in wb.sheetnames and "Charts" in wb.sheetnames
    assert len(wb["Charts"]._images) == len(report.charts())
    head = {row[0].value: row[1] for row in wb["Headline"].iter_rows(min_row=2)}
    for fig in report.headline:
        cell = head[fig.label]
        assert isinstance(cell.value, int | float)
        assert cell.number_format == KINDS[fig.kind][0]
        assert float(cell.value) == pytest.approx(float(fig.value))
    ws = wb["outturn"]
    table = report.table("outturn")
    for i, row in enumerate(table.rows, start=5):
        assert ws.cell(i, 1).value == row["line"]
        for j, c in enumerate(table.columns[1:], start=2):
            cell = ws.cell(i, j)
            if row[c.key] is None:
                continue
            assert isinstance(cell.value, float | int) and cell.number_format == KINDS[c.kind][0]
            assert rounded(cell.value, c.kind) == rounded(row[c.key], c.kind)
    ind = wb["indicators"]
    rags = [ind.cell(r, 9).value for r in range(5, 5 + len(report.table("indicators").rows))]
    assert all(v.split(" ", 1)[1] in ("Red", "Amber", "Green", "N/A") for v in rags)


def test_a_dearer_weekly_cost_changes_every_dependent_figure_in_all_three_formats(rendered, dearer):
    _, report, paths, parser = rendered
    new_paths, new_parser = dearer
    forecast = report.results.forecast.forecast
    # the expected change, from the forecast's placement-days: £1,000 a week per external residential day
    days = forecast.run_days()
    ext = days[days["category"] == "residential_external"].copy()
    ext["fy"] = [f"{int(m[:4]) - (int(m[5:7]) < 4)}/{(int(m[:4]) - (int(m[5:7]) < 4) + 1) % 100:02d}"
                 for m in ext["month_end"]]
    extra = (ext.groupby(["run", "fy"])["days"].sum().groupby("fy").mean() * 1000 / 7)

    def costs(p: _Tables) -> dict[str, float]:
        return {row[0]: _number(row[1]) for row in p.tables["cost_range"][1:]}

    before, after = costs(parser), costs(new_parser)
    for fy, amount in extra.items():
        old = report.results.costs.by_year
        mean = old[(old["financial_year"] == fy) & (old["category"] == "total")]["mean_gbp"].iloc[0]
        assert after[fy] == rounded((mean + amount) / 1000, "gbp_k")
        assert after[fy] > before[fy]
    # outturn: the placements line and the totals move; other lines do not
    old_lines = {r[0]: r for r in parser.tables["outturn"][1:]}
    new_lines = {r[0]: r for r in new_parser.tables["outturn"][1:]}
    placements = "Children looked after placements"
    assert _number(new_lines[placements][2]) > _number(old_lines[placements][2])
    assert _number(new_lines["Total"][5]) > _number(old_lines["Total"][5])  # the deficit
    for line in old_lines:
        if line not in (placements, "Total"):
            assert new_lines[line] == old_lines[line]
    # children in care do not depend on costs
    assert new_parser.tables["children"] == parser.tables["children"]
    # the same new figures in the PDF and the Excel workbook
    new_outturn = new_lines["Total"][4]  # net after reserves
    pdf = " ".join(subprocess.run(["pdftotext", str(new_paths["pdf"]), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert new_outturn in pdf and new_lines[placements][2] in pdf
    wb = openpyxl.load_workbook(new_paths["xlsx"])
    head = {row[0].value: row[1].value for row in wb["Headline"].iter_rows(min_row=2)}
    assert rounded(head["Forecast outturn"], "gbp_k") == _number(new_outturn)
    sheet = wb["cost_range"]
    excel_costs = {sheet.cell(r, 1).value: rounded(sheet.cell(r, 2).value, "gbp_k")
                   for r in range(5, sheet.max_row + 1)}
    assert excel_costs == after
    old_wb = openpyxl.load_workbook(paths["xlsx"])
    old_head = {row[0].value: row[1].value for row in old_wb["Headline"].iter_rows(min_row=2)}
    assert head["Forecast outturn"] > old_head["Forecast outturn"]
    assert head["Children in care now"] == old_head["Children in care now"]


def test_actuals_and_commitments_from_the_history_are_day_counted(council):
    from placecast.finance.actuals import commitments_from_history, history_cost
    from placecast.ssda903 import read_history

    history = read_history(council / "history")
    rates = default_unit_costs()
    day = date(2025, 9, 30)
    spent = history_cost(history.episodes, date(2025, 4, 1), day, rates)
    halves = [history_cost(history.episodes, date(2025, 4, 1), date(2025, 6, 30), rates),
              history_cost(history.episodes, date(2025, 7, 1), day, rates)]
    for cat, v in spent.items():
        assert v == sum((h.get(cat, Fraction(0)) for h in halves), Fraction(0))
    on_day = history_cost(history.episodes, day, day, rates)
    open_now = commitments_from_history(history.episodes, day, rates)
    assert sum(on_day.values(), Fraction(0)) == sum(
        (Fraction(int(w), 700) for w in open_now.table["weekly_pence"]), Fraction(0))
    assert to_thousands(open_now.cost_to(day)) == to_thousands(
        sum((Fraction(int(w), 700) * 182 for w in open_now.table["weekly_pence"]), Fraction(0)))


def test_bad_configuration_is_located_and_exits_2(tmp_path):
    bad = tmp_path / "report.yaml"
    bad.write_text("council: X\ndata: nowhere\nbudjet: b.yaml\npopulation_0_17: -5\n", encoding="utf-8")
    result = _cli("report", "--config", str(bad), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "budjet" in result.stderr and "did you mean 'budget'" in result.stderr
    from placecast.report import ReportConfigError

    with pytest.raises(ReportConfigError) as info:
        read_config(bad)
    where = {(p.where, p.column) for p in info.value.problems}
    assert {("1", "budget"), ("3", "budjet"), ("4", "population_0_17")} <= where
    ok = tmp_path / "ok.yaml"
    ok.write_text("council: X\ndata: nowhere\nbudget: b.yaml\n", encoding="utf-8")
    result = _cli("report", "--config", str(ok), "--out", str(tmp_path / "o"), "--quarter", "2025-Q9")
    assert result.returncode == 2 and "2025-Q9" in result.stderr and not (tmp_path / "o").exists()
    result = _cli("report", "--config", str(ok), "--out", str(tmp_path / "o"), "--quarter", "2025-Q1")
    assert result.returncode == 2 and "budget" in result.stderr and "no such file" in result.stderr
    assert "nowhere" in result.stderr and not (tmp_path / "o").exists()



def test_an_input_written_with_no_file_is_an_error_not_left_out(tmp_path):
    """'plan:' with its file forgotten was read as no plan: the report had no programme section, and said nothing."""
    from placecast.report import ReportConfigError

    (tmp_path / "b.yaml").write_text("units: £000\nlines: []\n", encoding="utf-8")
    config = tmp_path / "report.yaml"
    config.write_text("council: X\ndata: .\nbudget: b.yaml\nplan:\npopulation_0_17:  # ONS\n", encoding="utf-8")
    with pytest.raises(ReportConfigError) as info:
        read_config(config)
    assert [(p.where, p.column, p.message) for p in info.value.problems] == [
        ("4", "plan", "plan has no value. Write it, or remove the key: the report then has no recovery programme."),
        ("5", "population_0_17", "population_0_17 has no value. Write it, or remove the key: no rate per 10,000 "
         "children is then shown.")]
    config.write_text("council: X\ndata: .\nbudget: b.yaml\nplan: null\npopulation_0_17: ~\n", encoding="utf-8")
    assert read_config(config).plan is None  # 'null' says none on purpose (as a configuration written by a program)

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "placecast.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_commentary_file_errors_are_located(tmp_path):
    from placecast.report import ReportConfigError

    f = tmp_path / "c.yaml"
    f.write_text("sections:\n  outturn: [not, text]\nindicators:\n  CLA: Fine.\nother: 1\n", encoding="utf-8")
    with pytest.raises(ReportConfigError) as info:
        read_commentary(f)
    assert {(p.where, p.column) for p in info.value.problems} == {("2", "sections.outturn"), ("5", "other")}
    f.write_text("indicators:\n  CLA: >-\n    Two\n    lines.\n", encoding="utf-8")
    commentary = read_commentary(f)
    assert (commentary.sections, commentary.indicator("CLA")) == ({}, "Two lines.")


def test_report_uses_only_what_was_known_at_the_quarter_end(rendered):
    _, report, _, _ = rendered
    history = report.results.history
    assert history.census_date == date(2025, 9, 30)
    assert (history.episodes["start"] <= pd.Timestamp("2025-09-30")).all()
    assert (history.episodes["end"].dropna() <= pd.Timestamp("2025-09-30")).all()


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_report_colours_meet_wcag_aa_contrast():
    from importlib import resources

    css = resources.files("placecast.report").joinpath("report.css").read_text(encoding="utf-8")
    pairs = re.findall(r"\{[^}]*background:\s*(#[0-9a-fA-F]{6});\s*color:\s*(#[0-9a-fA-F]{6})", css)
    assert len(pairs) >= 4  # table header and the three RAG cells
    for background, text in pairs:
        hi, lo = sorted([_luminance(background), _luminance(text)], reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, (background, text)


def test_pdf_charts_are_vector_graphics(rendered):
    _, _, paths, _ = rendered
    images = subprocess.run(["pdfimages", "-list", str(paths["pdf"])], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert len(images) == 2  # the header lines only: no raster pictures, the charts are drawn as vectors


def test_pdf_repeats_table_headers_and_numbers_pages(tmp_path):
    from placecast.report import render_pdf
    from placecast.report.model import Column, Figure, Report, Section, Table

    rows = [{"name": f"Line {i}", "amount": Decimal(i) * 1000 + Decimal("0.5")} for i in range(150)]
    table = Table("long", "A long table", [Column("name", "Cost line"), Column("amount", "Amount heading £000",
                                                                              "gbp_k")], rows)
    report = Report("Title", "Council", "2025/26 Q2", date(2025, 9, 30), [Figure("Cash limit", 1, "gbp_k")],
                    [Section("long", "Long", [table])])
    pdf = render_pdf(report, tmp_path / "r.pdf")
    pages = []
    for page in (2, 3, 4):
        pages.append(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                    capture_output=True, text=True, check=True).stdout)
    assert all("Amount heading £000" in p for p in pages)
    assert "Page 3 of" in pages[1]
    assert "149,001" in "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                               check=True).stdout.split("\n"))  # 149,000.5 rounds half up


def test_scenario_run_and_the_reports_scenario_section_agree_for_the_same_file_data_and_seed(council, tmp_path):
    """The report runs the scenario file as written (its runs and seed), so `placecast scenario run` on the
    same file and data prints the same figures; the report says where its own settings differ."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: Check\nstart: 2025-09-30\nhorizon_months: 18\nruns: 150\nseed: 11\n"
                        "capacity: {residential_inhouse: 10}\ninterventions:\n"
                        "  - {type: step_down, start: 2025-10-01, from: residential_external, to: fostering_inhouse,"
                        " per_month: 1}\n", encoding="utf-8")
    config = demo_config(council / "history", None, runs=RUNS, seed=3).model_copy(update={"scenario": scenario})
    report = build_report(config)
    result = CliRunner().invoke(app, ["scenario", "run", str(scenario), "--history", str(council / "history"),
                                      "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(tmp_path / "cli" / "cost_by_year.csv", dtype={"financial_year": str})
    ours = report.results.scenario.comparison.cost_by_year
    pd.testing.assert_frame_equal(cli, ours.reset_index(drop=True), check_dtype=False)
    beds = pd.read_csv(tmp_path / "cli" / "beds.csv")
    pd.testing.assert_frame_equal(beds, report.results.scenario.comparison.beds, check_dtype=False)
    shown = {(r["scenario"], r["financial_year"]): r["avoided"] for r in report.table("scenario").rows}
    for r in cli.to_dict("records"):
        assert shown[(r["scenario"], r["financial_year"])] == Decimal(int(r["avoided_mean"])) / 1000
    assert any("uses its file's 150 runs and seed 11" in n for n in report.notes)


@pytest.mark.parametrize("step", ["placecast.report.write.render_excel",
                                  "placecast.report.record.write_inputs_record"])
def test_an_interrupted_report_leaves_the_earlier_report_as_it_was(council, rendered, monkeypatch, step):
    """Ctrl-C while the workbook is written: the HTML and PDF already made are not moved in. Ctrl-C while the
    record of the inputs is written: the new report was already in place beside the earlier record."""
    import placecast.report.write as writing

    config, report, paths, _ = rendered
    assert set(paths) == {"html", "pdf", "xlsx", "inputs"} and paths["inputs"].name.endswith("-inputs.zip")
    before = {p.name: p.read_bytes() for p in paths.values()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(step, interrupted)
    with pytest.raises(KeyboardInterrupt):
        writing.write_report(report, council / "out", config)
    assert {p.name: p.read_bytes() for p in paths.values()} == before
    assert not [p for p in council.iterdir() if p.name.startswith(".placecast-")]


def test_a_councils_report_says_which_inputs_are_the_built_in_examples(tmp_path):
    """A council's configuration without unit costs, a scenario or indicator definitions ran the demo's
    invented programme, illustrative unit costs and example targets as the council's, without a word."""
    from placecast.quarter import ReportConfig
    from placecast.quarter.inputs import examples_in_use

    own = ReportConfig.model_validate({"council": "X", "data": [tmp_path], "budget": tmp_path / "b.yaml"})
    said = examples_in_use(own)
    assert [s.split(",")[0] for s in said] == ["No unit costs are given for the council",
                                               "No recovery scenario is given for the council",
                                               "No indicator definitions are given for the council"]
    assert "the beds set against need are the example's too" in said[1]
    demo = ReportConfig.model_validate({"council": "X", "data": ["builtin:demo"], "budget": tmp_path / "b.yaml"})
    assert examples_in_use(demo) == ()


def test_indicators_from_the_councils_other_systems_are_rated_from_its_values_file(council, tmp_path):
    """A council's report rates indicators the returns cannot give (care leavers in education, from another
    system): they were left out with a warning, with no way to give their values. A value given for an
    indicator the returns do give is not used, and said."""
    from placecast.quarter.config import builtin_file

    defs = tmp_path / "indicators.csv"
    defs.write_text(builtin_file("builtin:indicators").read_text(encoding="utf-8").rstrip("\n") + "\nCL_EET,% of "
                    "care leavers aged 19-21 in education employment or training,High,Council,%,60\n", encoding="utf-8")
    values = tmp_path / "values.csv"
    values.write_text("id,previous_year_end,current,current_date\nCL_EET,58,64.5,30/09/2025\nCLA,470,999,30/09/2025\n",
                      encoding="utf-8")
    config = demo_config(council / "history", None, runs=RUNS, seed=3).model_copy(
        update={"indicators": defs, "values": values})
    report = build_report(config)
    rated = report.results.indicators.rated.set_index("id")
    assert rated.loc["CL_EET", "current"] == 64.5 and rated.loc["CL_EET", "rag"] == "Green"
    assert rated.loc["CL_EET", "direction"] == "better"  # 58 at the year end, 64.5 now, High is good
    assert rated.loc["CLA", "current"] != 999  # the returns' own count
    assert any("Indicator CLA is computed from the SSDA903 returns; the values given" in w for w in report.warnings)
    assert not any("CL_EET is left out" in w for w in report.warnings)
    caption = report.table("indicators").note  # each figure traceable: which came from where
    assert "CL_EET: as given in values.csv (the council's other systems); the rest computed from the SSDA903" in caption


def test_a_value_from_another_system_not_at_the_quarter_end_is_said():
    from placecast.kpi.definitions import IndicatorValues
    from placecast.quarter.run import given_value_warnings

    stale = IndicatorValues("CL_EET", current=64.5, current_date=date(2025, 6, 30))
    said = given_value_warnings(stale, date(2025, 9, 30), "values.csv")
    assert said and "at 30/06/2025, not the quarter end 30/09/2025" in said[0]
    assert given_value_warnings(IndicatorValues("CL_EET", current=64.5, current_date=date(2025, 9, 30)),
                                date(2025, 9, 30), "values.csv") == []
    assert "gives no current value" in given_value_warnings(IndicatorValues("CL_EET"), date(2025, 9, 30), "v.csv")[0]


def test_a_report_keeps_a_record_of_its_inputs_that_makes_the_same_figures_again(rendered, tmp_path):
    """A report signed off in one quarter could not be traced to the budget, unit costs and targets it used
    once they were replaced. The record copies them (fingerprints alone for files naming children) beside a
    configuration that reads the copies, and made again from it the report has the same figures."""
    import json
    import zipfile
    from datetime import datetime

    from placecast.report.record import fingerprint, write_inputs_record

    config, report, _, _ = rendered
    record = write_inputs_record(config, tmp_path / "inputs.zip", datetime(2025, 10, 14, 9, 30))
    with zipfile.ZipFile(record) as z:
        z.extractall(tmp_path / "record")
        names = set(z.namelist())
    assert {"report.yaml", "record.json", "inputs/budget.yaml", "inputs/unit_costs.yaml"} <= names
    assert "inputs/plan.yaml" not in names  # its programme log names children
    kept = json.loads((tmp_path / "record" / "record.json").read_text())
    assert kept["inputs"]["plan"] == {"file": config.plan.name, "bytes": config.plan.stat().st_size,
                                      "sha256": fingerprint(config.plan), "copied": False}
    assert kept["inputs"]["budget"]["sha256"] == fingerprint(tmp_path / "record" / "inputs" / "budget.yaml")
    assert kept["history"]["history_sha256"] == fingerprint(config.data[0] / "history.parquet")
    again = build_report(read_config(tmp_path / "record" / "report.yaml"))  # the plan read where it was
    assert [(f.label, f.value) for f in again.headline] == [(f.label, f.value) for f in report.headline]


def test_the_record_of_a_report_from_returns_fingerprints_every_table_file_it_read(tmp_path):
    """The record listed the returns' CSV files alone: a year given as Excel or as the DfE's XML was left out."""
    from placecast.report.record import _history, fingerprint
    from placecast.testing import example_returns

    returns = tmp_path / "returns"
    shutil.copytree(example_returns(), returns)
    year = returns / "2025"
    (year / "return.xml").write_bytes(b"<EXPSSDA903/>")  # read as that year's return like any table file
    config = demo_config(returns, runs=RUNS).model_copy(update={"data": [returns]})
    recorded = _history(config)["returns"]
    assert recorded[str(year / "return.xml")] == fingerprint(year / "return.xml")
    assert {Path(f).parent.name for f in recorded} == {"2023", "2024", "2025"}


def _fresh_bundle(monkeypatch, folder: Path, built: list[str]) -> str:
    """The report's Vega script with the cache folder at ``folder``; each build by vl-convert is counted."""
    import vl_convert

    from placecast.report import html

    monkeypatch.setenv("PLACECAST_CACHE_DIR", str(folder))
    monkeypatch.setattr(vl_convert, "javascript_bundle", lambda: built.append("built") or "vega();\n// £ ✓")
    html._bundle.cache_clear()
    try:
        return html.javascript_bundle()
    finally:
        html._bundle.cache_clear()


def test_the_vega_script_is_built_once_per_version_and_then_read_from_the_cache(monkeypatch, tmp_path):
    from importlib.metadata import version

    built: list[str] = []
    assert _fresh_bundle(monkeypatch, tmp_path / "cache", built) == "vega();\n// £ ✓"
    kept = tmp_path / "cache" / f"vega-bundle-{version('vl-convert-python')}.js"
    assert kept.read_bytes() == "vega();\n// £ ✓".encode()  # byte for byte: no line endings translated
    assert _fresh_bundle(monkeypatch, tmp_path / "cache", built) == "vega();\n// £ ✓"
    assert built == ["built"]  # the second process read it
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temporary file left behind
    kept.write_bytes(b"\xff\xfe broken")  # a cache that cannot be read is built again and replaced
    assert _fresh_bundle(monkeypatch, tmp_path / "cache", built) == "vega();\n// £ ✓"
    assert built == ["built", "built"] and kept.read_bytes() == "vega();\n// £ ✓".encode()


def test_a_cache_folder_that_cannot_be_written_is_built_around(monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    built: list[str] = []
    assert _fresh_bundle(monkeypatch, blocked / "cache", built) == "vega();\n// £ ✓"
    assert _fresh_bundle(monkeypatch, blocked / "cache", built) == "vega();\n// £ ✓"
    assert built == ["built", "built"] and blocked.read_text() == "not a folder"

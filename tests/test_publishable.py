"""The quarterly report can be published: a tagged PDF (structure, headings, table headers, figures with
alternative text, bookmarks, language) with no near-empty pages, one date style and one money unit,
neighbours by name, and a workbook that carries the words and prints well."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pikepdf
import pytest

from placecast.demo import demo_config
from placecast.report import build_report, write_report
from placecast.ssda903 import assemble, load_taxonomy, read_returns, validate_returns, write_history
from placecast.synth import SynthSettings, simulate, write_returns

STATS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    write_returns(simulate(SynthSettings(children_in_care=300, years=5, end_year=2026, seed=8)), root / "returns")
    validated = validate_returns(read_returns([root / "returns"]))
    write_history(assemble(validated, b"publish", load_taxonomy()), validated.findings, root / "history",
                  key=b"publish")
    config = demo_config(root / "history", STATS if STATS.is_dir() else None, runs=150, seed=2)
    report = build_report(config)
    return report, write_report(report, root / "out")


def _structure(pdf: pikepdf.Pdf) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                out.append((str(node.S), str(node.Alt) if "/Alt" in node else None))
            kids = node.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return out


def test_the_pdf_is_tagged_with_language_title_headings_table_headers_and_bookmarks(published):
    report, paths = published
    with pikepdf.open(paths["pdf"]) as pdf:
        assert str(pdf.Root.Lang) == "en-GB" and bool(pdf.Root.MarkInfo.Marked)
        assert report.title in str(pdf.docinfo.Title)
        tags = [tag for tag, _ in _structure(pdf)]
        assert tags.count("/H1") == 1 and tags.count("/H2") >= len(report.sections)
        assert tags.count("/Table") >= len([t for t in report.tables() if t.rows]) and "/TH" in tags
        with pdf.open_outline() as outline:
            titles = [item.title for top in outline.root for item in [top, *top.children]]
        assert all(s.title in titles for s in report.sections)


def test_every_chart_in_the_pdf_is_a_figure_with_its_alternative_text(published):
    report, paths = published
    with pikepdf.open(paths["pdf"]) as pdf:
        alts = [alt for tag, alt in _structure(pdf) if tag == "/Figure"]
    assert sorted(alts) == sorted(c.alt for c in report.charts())


def _page_fullness(pdf: Path) -> list[tuple[float, str]]:
    """For each page, how far down the body's text reaches (0 to 1) and the page's first line of body text."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for height, body in re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', html, re.S):
        top, bottom = 14 / 25.4 * 72, float(height) - 16 / 25.4 * 72  # inside the page margins
        words = [(float(y0), float(y1), w) for y0, y1, w in
                 re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>', body)]
        inner = sorted(w for w in words if w[0] > top and w[1] < bottom)
        reach = (max(w[1] for w in inner) - top) / (bottom - top) if inner else 0.0
        out.append((reach, " ".join(w[2] for w in inner[:12])))
    return out


def test_no_page_is_less_than_a_quarter_full_except_the_last_of_a_section(published):
    report, paths = published
    pages = _page_fullness(paths["pdf"])
    starts = [s.title for s in report.sections] + ["About this report"]
    for i, (reach, _) in enumerate(pages[:-1]):
        next_first = pages[i + 1][1]
        if reach < 0.25:
            assert any(next_first.startswith(" ".join(t.split()[:3])) for t in starts), (i + 1, reach, next_first)


class _Visible(HTMLParser):
    """The text a reader sees (not scripts, styles or chart markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.skip, self.text = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style", "svg")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style", "svg")

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def test_the_html_has_one_date_style_and_one_money_unit(published):
    _, paths = published
    parser = _Visible()
    parser.feed(paths["html"].read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    assert not re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)
    assert "£000" in text
    assert not re.findall(r"£\s?m\b|£ million|£[\d,.]+k\b|£\d+(?:\.\d+)?m\b", text)


def test_money_columns_carry_no_unit_of_their_own_and_their_table_states_it(published):
    report, _ = published
    for table in report.tables():
        money = [c for c in table.columns if c.kind in ("gbp_k", "gbp_m")]
        if money:
            assert table.title.endswith("(£000)"), table.title
            assert not any("£" in c.label for c in money), table.name


def test_the_report_can_be_made_in_pounds_million(published):
    import dataclasses

    from placecast.quarter import run_quarter

    report, _ = published
    millions = build_report(run_quarter(dataclasses.replace(report.results.inputs, money_unit="£m")))
    assert millions.figure("Cash limit").value * 1000 == report.figure("Cash limit").value
    money = [t for t in millions.tables() if any(c.kind == "gbp_m" for c in t.columns)]
    assert money and all(t.title.endswith("(£m)") for t in money)


@pytest.mark.skipif(not STATS.is_dir(), reason="needs the DfE statistics in ../shared")
def test_neighbours_are_named_and_a_council_before_it_existed_is_not_applicable():
    from placecast.kpi import benchmark

    result = benchmark("Cumberland", STATS)
    assert result.neighbours_named()[0] == "Westmorland and Furness (943)"
    early = result.table[result.table["year"] < 2024]
    assert set(early["status"]) == {"not applicable"}


def test_the_workbook_carries_the_words_and_every_sheet_prints_landscape_one_page_wide(published):
    report, paths = published
    wb = openpyxl.load_workbook(paths["xlsx"])
    text = {ws.title: " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value) for ws in wb}
    outturn = next(s for s in report.sections if s.id == "outturn")
    assert outturn.intro and outturn.intro in text["Commentary"]
    assert "Backtest over" in text["Model card"] and "error(s) and" in text["Data quality"]
    assert all(w in text["Warnings"] for w in report.warnings)
    for ws in wb:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_area, ws.title


def test_a_quarter_forecast_leaving_out_uasc_is_refused(published):
    # Its outturn's new demand (the forecast less commitments, which count every child) would leave the UASC's
    # cost out; the web app's forecast settings offered it.
    import dataclasses

    import pytest

    from placecast.errors import UnusableInputError
    from placecast.quarter import run_quarter

    report, _ = published
    inputs = report.results.inputs
    leaving_out = dataclasses.replace(inputs, settings=inputs.settings.model_copy(update={"uasc": "exclude"}))
    with pytest.raises(UnusableInputError, match="must count every child"):
        run_quarter(leaving_out)

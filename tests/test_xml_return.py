"""Returns in the DfE's XML form (EXPSSDA903): read into the same tables as the CSV files, so a council's XML
return gives the same history and the same findings as its CSV tables; elements outside the schema are
findings on their line; the parser neither resolves entities nor reads other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from placecast.errors import UnusableInputError
from placecast.ssda903 import assemble, load_taxonomy, read_returns, validate_returns
from placecast.ssda903.xml_return import xml_from_tables
from placecast.synth import SynthSettings, simulate, write_returns


def as_xml(folder: Path) -> bytes:
    """One year's CSV tables as the DfE's XML return (the library's writer, from the tables as read)."""
    tables = {t.table: t.data for t in read_returns([folder]).tables}
    return xml_from_tables(tables)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("xml")
    write_returns(simulate(SynthSettings(children_in_care=150, years=3, end_year=2025, seed=11)), root / "csv")
    for year in (2023, 2024, 2025):
        (root / "xml" / str(year)).mkdir(parents=True)
        (root / "xml" / str(year) / "return.xml").write_bytes(as_xml(root / "csv" / str(year)))
    return root / "csv", root / "xml"


def test_an_xml_return_gives_the_same_history_and_findings_as_its_csv_tables(both):
    csv_returns, xml_returns = both
    made = {}
    for name, folder in (("csv", csv_returns), ("xml", xml_returns)):
        validated = validate_returns(read_returns([folder]))
        history = assemble(validated, b"xml-test-key", load_taxonomy())
        made[name] = (history.episodes.drop(columns=["source"]), sorted(f.rule for f in validated.findings))
    assert len(made["xml"][0]) > 300
    assert made["xml"][0].equals(made["csv"][0])
    assert made["xml"][1] == made["csv"][1]


def test_an_element_outside_the_schema_is_a_finding_on_its_line(both, tmp_path):
    _, xml_returns = both
    text = (xml_returns / "2025" / "return.xml").read_text(encoding="utf-8")
    misspelt = text.replace("<PLACE_PROVIDER>", "<PLACE_PROVDER>", 1).replace("</PLACE_PROVIDER>", "</PLACE_PROVDER>",
                                                                             1)
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "return.xml").write_text(misspelt, encoding="utf-8")
    found = [f for f in read_returns([tmp_path]).findings if f.rule == "COLUMN_UNEXPECTED"]
    line = next(i for i, row in enumerate(misspelt.splitlines(), start=1) if "PLACE_PROVDER" in row)
    assert [(f.line, f.column) for f in found] == [(line, "PLACE_PROVDER")]
    assert "Did you mean <PLACE_PROVIDER>?" in found[0].message and found[0].severity == "error"


def test_a_finding_about_one_cell_is_on_its_elements_line(both, tmp_path):
    """The rules find a bad cell on its row, whose line in an XML return was its EPISODE's or HEADER's, some
    lines above the element at fault: the finding is now on the element's own line."""
    _, xml_returns = both
    text = (xml_returns / "2025" / "return.xml").read_text(encoding="utf-8")
    lines = text.splitlines()
    pl = next(i for i, row in enumerate(lines) if "<PL>" in row)
    lines[pl] = lines[pl].replace(lines[pl].split("<PL>")[1].split("</PL>")[0], "Q9")  # not a placement code
    dob = next(i for i, row in enumerate(lines) if "<DOB>" in row)
    lines[dob] = lines[dob].replace(lines[dob].split("<DOB>")[1].split("</DOB>")[0], "31/02/2010")  # no such day
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "return.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = validate_returns(read_returns([tmp_path])).findings
    place = [f for f in found if f.column == "PLACE" and f.value == "Q9"]
    born = [f for f in found if f.column == "DOB" and f.value == "31/02/2010"]
    assert place and {f.line for f in place} == {pl + 1}  # lines count from 1
    episode = max(i for i in range(pl) if "<EPISODE>" in lines[i]) + 1
    assert pl + 1 > episode  # the row's own line, where it was found before
    assert born and {f.line for f in born} == {dob + 1}
    row_findings = [f for f in found if f.column == "" and f.file.endswith("return.xml")]
    assert all(f.line > 0 for f in row_findings)  # findings about a whole row stay on the row's element


@pytest.mark.parametrize(("text", "said"), [
    (b"<EXPSSDA903><CHILD><HEADER></EXPSSDA903>", "line 1: not well-formed XML"),
    (b"<?xml version='1.0'?>\n<CLA><CHILD/></CLA>", "line 2: the XML's root element is <CLA>, not <EXPSSDA903>"),
    (b"<EXPSSDA903></EXPSSDA903>", "holds no <CHILD> element"),
])
def test_an_xml_file_that_is_not_a_return_is_unusable_input_naming_its_line(tmp_path, text, said):
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "return.xml").write_bytes(text)
    with pytest.raises(UnusableInputError, match="return.xml") as info:
        read_returns([tmp_path])
    assert said in str(info.value)


def _one_child(tmp_path: Path, doctype: str, child_id: str, upn: str) -> Path:
    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / "return.xml").write_text(
        f'<?xml version="1.0"?>{doctype}<EXPSSDA903><CHILD><HEADER><CHILDID>{child_id}</CHILDID><UPN>{upn}</UPN>'
        '<SEX>1</SEX><DOB>01/01/2015</DOB><ETHNIC>WBRI</ETHNIC><UASC>0</UASC></HEADER></CHILD></EXPSSDA903>')
    return tmp_path / "2025"


def test_the_parser_does_not_read_other_files_named_in_the_return(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("NOT FOR THE RETURN")
    folder = _one_child(tmp_path, f'<!DOCTYPE EXPSSDA903 [<!ENTITY file SYSTEM "file://{secret}">]>', "&file;", "A1")
    header = read_returns([folder]).of("Header")[0].data
    assert "NOT FOR THE RETURN" not in header.to_string() and header.loc[0, "CHILD"] == ""


def test_a_return_that_would_expand_itself_without_bound_is_refused(tmp_path):
    bomb = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))  # 10^9 x's if expanded
    folder = _one_child(tmp_path, f'<!DOCTYPE EXPSSDA903 [<!ENTITY e0 "xxxxxxxxxx">{bomb}]>', "A1", "&e8;")
    with pytest.raises(UnusableInputError, match="not well-formed XML"):
        read_returns([folder])


def test_a_uasc_flag_neither_1_nor_0_is_located_on_its_own_line(tmp_path):
    """<UASC>ZZ</UASC> was read as not UASC without a word (a child's UASC status lost from the history)."""
    folder = _one_child(tmp_path, "", "A1", "UN1")
    text = (folder / "return.xml").read_text().replace("<UASC>0</UASC>", "\n<UASC>Z</UASC>\n")
    (folder / "return.xml").write_text(text)
    found = [f for f in validate_returns(read_returns([folder])).findings if f.column == "UASC"]
    assert [(f.rule, f.line, f.value) for f in found] == [("CODE_INVALID", 2, "Z")]
    assert "read as 0" in found[0].message

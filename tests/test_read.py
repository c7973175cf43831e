"""Reading returns: formats, encodings, recognising tables by their columns, unusable files."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from placecast.errors import UnusableInputError
from placecast.ssda903 import read_returns, validate
from placecast.ssda903.read import identify_table
from placecast.ssda903.tables import TABLE_COLUMNS

from builders import BASE_EPISODES, BASE_HEADER, mini_return, write_table


def test_tables_are_recognised_by_columns_not_names_and_in_any_order(tmp_path):
    cols = list(reversed(TABLE_COLUMNS["Episodes"]))
    write_table(tmp_path / "2024" / "anything.csv", "Episodes", BASE_EPISODES, cols)
    write_table(tmp_path / "2024" / "kids.csv", "Header", BASE_HEADER)
    rs = read_returns([tmp_path])
    assert sorted(t.table for t in rs.tables) == ["Episodes", "Header"]
    assert list(validate([tmp_path]).findings) == []


def test_utf8_bom_is_accepted(tmp_path):
    root = mini_return(tmp_path)
    p = root / "2024" / "episodes.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert list(validate([root]).findings) == []


def test_xlsx_return_with_real_date_cells(tmp_path):
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.title = "Episodes"
    ws.append(list(TABLE_COLUMNS["Episodes"]))
    for r in BASE_EPISODES:
        row = []
        for c in TABLE_COLUMNS["Episodes"]:
            v = r.get(c, "")
            if c in ("DECOM", "DEC") and v:
                v = datetime.strptime(v, "%d/%m/%Y")
            row.append(v or None)
        ws.append(row)
    hs = wb.create_sheet("Header")
    hs.append(list(TABLE_COLUMNS["Header"]))
    for r in BASE_HEADER:
        hs.append([int(r[c]) if c == "CHILD" else (r[c] or None) for c in TABLE_COLUMNS["Header"]])
    notes = wb.create_sheet("Notes")
    notes.append(["Prepared by", "the performance team"])
    (tmp_path / "2024").mkdir()
    wb.save(tmp_path / "2024" / "return.xlsx")
    found = validate([tmp_path]).findings
    assert [(f.rule, f.file.endswith("[Notes]")) for f in found] == [("SHEET_IGNORED", True)]


def test_misspelt_column_names_the_closest_expected_column(tmp_path):
    cols = [("DECCOM" if c == "DECOM" else c) for c in TABLE_COLUMNS["Episodes"]]
    rows = [dict(r, DECCOM=r["DECOM"]) for r in BASE_EPISODES]
    write_table(tmp_path / "2024" / "episodes.csv", "Episodes", rows, cols)
    write_table(tmp_path / "2024" / "header.csv", "Header", BASE_HEADER)
    found = validate([tmp_path]).findings
    unexpected = [f for f in found if f.rule == "COLUMN_UNEXPECTED"]
    missing = [f for f in found if f.rule == "COLUMN_MISSING"]
    assert [(f.line, f.column) for f in unexpected] == [(1, "DECCOM")]
    assert "Did you mean 'DECOM'" in unexpected[0].message
    assert [(f.line, f.column) for f in missing] == [(1, "DECOM")]


def test_a_header_without_its_child_column_is_located_not_an_internal_error(tmp_path):
    """The Header's CHILD column misspelt: the DfE rules looked up each episode's date of birth in an empty
    table of dates, which pandas cannot do, and the command stopped with exit 3."""
    cols = [("CHILDX" if c == "CHILD" else c) for c in TABLE_COLUMNS["Header"]]
    write_table(tmp_path / "2024" / "episodes.csv", "Episodes", BASE_EPISODES)
    write_table(tmp_path / "2024" / "header.csv", "Header", [dict(r, CHILDX=r["CHILD"]) for r in BASE_HEADER], cols)
    write_table(tmp_path / "2024" / "uasc.csv", "UASC", [{"CHILD": BASE_HEADER[0]["CHILD"], "DOB": "01/01/2015"}])
    found = validate([tmp_path]).findings
    assert [(f.line, f.column) for f in found if f.rule == "COLUMN_MISSING"] == [(1, "CHILD")]
    assert {f.rule for f in found if f.file.endswith("episodes.csv")} == {"NO_HEADER"}


def test_lower_case_column_is_read_with_a_warning(tmp_path):
    cols = [c.lower() if c == "URN" else c for c in TABLE_COLUMNS["Episodes"]]
    rows = [dict(r, urn=r.get("URN", "")) for r in BASE_EPISODES]
    write_table(tmp_path / "2024" / "episodes.csv", "Episodes", rows, cols)
    write_table(tmp_path / "2024" / "header.csv", "Header", BASE_HEADER)
    found = validate([tmp_path]).findings
    assert [(f.rule, f.severity, f.column) for f in found] == [("COLUMN_CASE", "warning", "urn")]


def test_ragged_row_is_located(tmp_path):
    root = mini_return(tmp_path)
    p = root / "2024" / "episodes.csv"
    lines = p.read_text().splitlines()
    lines[2] = lines[2] + ",extra,cells"
    p.write_text("\n".join(lines) + "\n")
    found = validate([root]).findings
    assert [(f.line, f.rule) for f in found] == [(3, "ROW_SHAPE")]


def test_identify_table_prefers_the_table_that_explains_the_columns():
    assert identify_table(TABLE_COLUMNS["Header"])[0] == "Header"
    assert identify_table(TABLE_COLUMNS["UASC"])[0] == "UASC"
    assert identify_table(["NAME", "ADDRESS"])[0] is None


@pytest.mark.parametrize(("content", "expected"), [
    (b"\xff\xfeC\x00H\x00I\x00", "UTF-16"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"CHILD,DECOM\n\xe9\xe8\n", "not valid UTF-8"),
    (b"NAME,ADDRESS\nA,B\n", "match no SSDA903 table"),
    (b"CHILD;DECOM;RNE;LS;CIN;PLACE\n1;2;3;4;5;6\n", "separated by semicolons"),
])
def test_unusable_files_raise_a_clear_error_naming_the_file(tmp_path, content, expected):
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "bad.csv").write_bytes(content)
    with pytest.raises(UnusableInputError) as info:
        read_returns([tmp_path])
    assert "bad.csv" in str(info.value) and expected in str(info.value)


def test_missing_path_and_unknown_year_are_unusable(tmp_path):
    with pytest.raises(UnusableInputError, match="no such file"):
        read_returns([tmp_path / "nope"])
    f = write_table(tmp_path / "misc" / "episodes.csv", "Episodes", BASE_EPISODES)
    with pytest.raises(UnusableInputError, match="--year"):
        read_returns([f])
    assert read_returns([f], year=2024).years() == [2024]


def test_an_empty_file_beside_real_tables_is_skipped_with_a_warning(tmp_path):
    root = mini_return(tmp_path)
    (root / "2024" / "ad1.csv").write_bytes(b"")
    found = validate([root]).findings
    assert [(f.rule, f.severity) for f in found] == [("FILE_EMPTY", "warning")]


def test_a_copy_of_a_file_in_the_same_year_is_read_once_with_one_warning(tmp_path):
    # "episodes (1).csv" beside episodes.csv was an error on every row (an exact copy of an earlier row).
    root = mini_return(tmp_path)
    (root / "2024" / "episodes (1).csv").write_bytes((root / "2024" / "episodes.csv").read_bytes())
    result = validate([root])
    assert [(f.rule, f.severity) for f in result.findings] == [("FILE_REPEATED", "warning")]
    assert len(result.episodes) == 4


@pytest.mark.parametrize(("name", "said"), [("2025 (copy)", "If it holds the 2024/25 return, name it 2025"),
                                             ("2024-25", "Name it 2025"), ("old", "Name it by the year")])
def test_a_folder_of_tables_not_named_by_a_year_is_an_error_not_a_year_left_out(tmp_path, name, said):
    # Beside 2024/, a folder "2025 (copy)" was passed over: the history ended a year early, 0 errors.
    root = mini_return(tmp_path / "r")
    mini_return(tmp_path / "x", year=2025)
    (tmp_path / "x" / "2025").rename(root / name)
    with pytest.raises(UnusableInputError, match=re.escape(said)):
        read_returns([root])
    (root / name / "manifest.json").write_text("{}")  # an ingest folder kept beside the returns is not one
    assert read_returns([root]).years() == [2024]


def test_only_empty_files_is_unusable(tmp_path):
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "x.csv").write_bytes(b"  \n")
    with pytest.raises(UnusableInputError, match="x.csv: the file"):
        read_returns([tmp_path])


# The plain-file reader (whole-array line splitting and Arrow's CSV reader) must read exactly what the general
# reader (Python's csv module) reads: the same header, cells, lines, table and findings, or decline the file.
_PLAIN = st.text(alphabet=" \t,ab1/", max_size=4)
_ODD = st.text(alphabet=" ab\"\u00e9\r\x0b", max_size=2)


@st.composite
def _csv_texts(draw) -> tuple[str, str]:
    table = draw(st.sampled_from(["Episodes", "Header", "UASC"]))
    cols = TABLE_COLUMNS[table]
    order = draw(st.lists(st.integers(-1, len(cols) - 1), min_size=1, max_size=9))
    width = len(order)
    lines = [draw(st.sampled_from(["", "Council", ",,", " "]))] if draw(st.booleans()) else []
    lines.append(",".join(cols[i] if i >= 0 else "" for i in order))
    for _ in range(draw(st.integers(0, 8))):
        n = width if draw(st.integers(0, 20)) else draw(st.integers(0, width + 2))
        cells = draw(st.lists(_PLAIN if draw(st.integers(0, 9)) else _ODD, min_size=n, max_size=n))
        lines.append(",".join(cells))
    ends = [draw(st.sampled_from(["\n"] * 20 + ["\r\n"] * 8 + ["\r"])) for _ in lines]
    return table, "".join(line + end for line, end in zip(lines, ends, strict=True))


@settings(max_examples=500, deadline=None)
@given(_csv_texts())
def test_plain_files_read_the_same_by_either_reader(tmp_path_factory, table_text):
    from hypothesis import event

    from placecast.ssda903 import read as reader

    table, text = table_text
    path = tmp_path_factory.mktemp("plain") / "table.csv"
    path.write_bytes(text.encode("utf-8"))
    plain = reader._plain_csv_columns(text)
    event(f"plain: {plain is not None}")
    if plain is None:
        return
    header, columns, lines = plain
    g_header, g_rows, g_lines = reader._read_csv_rows(path, text)
    assert (header, lines) == (g_header, g_lines)
    assert [c.to_pylist() for c in columns] == ([list(cells) for cells in zip(*g_rows, strict=True)] if g_rows
                                                else [[] for _ in header])
    if reader.identify_table(header)[0] != table:
        return
    found_plain: list = []
    found_general: list = []
    by_plain = reader._build_table("t", table, 2024, header, columns, lines[1:], found_plain, by_column=True)
    by_general = reader._build_table("t", table, 2024, g_header, g_rows, g_lines[1:], found_general)
    assert by_plain.data.equals(by_general.data)
    assert list(by_plain.data.dtypes) == list(by_general.data.dtypes)
    assert found_plain == found_general


def test_year_given_for_a_folder_of_year_folders_or_against_the_folders_own_name_is_refused(tmp_path):
    """--year 2024 on a folder of year folders was passed over (every year read); on a folder named 2025 it read
    its tables as the 2023/24 return."""
    from placecast.testing import example_returns

    with pytest.raises(UnusableInputError, match="every one of which would be read"):
        read_returns([example_returns()], year=2024)
    with pytest.raises(UnusableInputError, match="named 2025 but --year says 2024"):
        read_returns([example_returns() / "2025"], year=2024)
    assert read_returns([example_returns() / "2025"], year=2025).years() == [2025]


def test_a_year_folder_given_alone_says_which_years_lie_beside_it():
    """returns/2025 of a folder holding 2023-2025 read one year without a word: the forecast had no backtest."""
    import logging

    from placecast.ssda903.read import logger, years_left_beside
    from placecast.testing import example_returns

    returns = example_returns()
    heard: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: heard.append(record.getMessage())  # type: ignore[method-assign]
    level = logging.getLogger("placecast").level  # an earlier 'placecast -q' in this process set it to ERROR
    logger.addHandler(handler)
    logging.getLogger("placecast").setLevel(logging.WARNING)
    try:
        assert read_returns([returns / "2025"]).years() == [2025]
    finally:
        logger.removeHandler(handler)
        logging.getLogger("placecast").setLevel(level)
    said = years_left_beside([returns / "2025", returns / "2024"])
    assert said is not None and f"{returns} also holds 2023: give {returns}" in said
    assert any("also holds 2023, 2024" in m for m in heard)
    assert years_left_beside([returns]) is None and years_left_beside([returns / str(y) for y in (2023, 2024, 2025)]) \
        is None


def test_two_files_of_one_table_in_a_year_are_one_finding_naming_both(tmp_path):
    """'episodes - Copy.csv' (an older, shorter export) beside episodes.csv: both were read and 299 rows were
    each a DUPLICATE_ROW error, with nothing naming the copy."""
    root = mini_return(tmp_path / "r", 2024)
    write_table(root / "2024" / "episodes - Copy.csv", "Episodes", BASE_EPISODES[:2])
    found = [f for f in read_returns([root]).findings if f.rule == "TABLE_REPEATED"]
    assert len(found) == 1 and "2 Episodes tables" in found[0].message and "episodes - Copy.csv" in found[0].message
    assert not [f for f in read_returns([mini_return(tmp_path / "ok", 2024)]).findings if f.rule == "TABLE_REPEATED"]

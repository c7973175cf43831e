"""Reading SSDA903 returns from folders and files (CSV, XLSX and the DfE's XML form).

Every cell is read as text and kept; nothing is converted here except trimming spaces. A table is
recognised by its set of columns, not by its file name. Problems with the shape of a file (missing,
extra or misspelt columns, ragged rows) become findings; files that cannot be read at all raise
:class:`~placecast.errors.UnusableInputError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from placecast.errors import UnusableInputError
from placecast.ssda903.findings import Finding, finding
from placecast.ssda903.tables import TABLE_COLUMNS

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xml"}
YEAR_RE = re.compile(r"^(19|20)\d\d$")
MAX_FILE_BYTES = 500 * 1024 * 1024
LINE = "_line"


@dataclass
class RawTable:
    """One table read from one file (or worksheet), all cells as text.

    ``data`` has the expected columns (missing ones filled with blanks) plus ``_line``, the row
    number as a spreadsheet shows it (the header is line 1).
    """

    source: str
    table: str
    year: int
    data: pd.DataFrame
    missing_columns: list[str] = field(default_factory=list)
    xml: Path | None = None  # the XML return it was read from, where each cell has a line of its own


@dataclass
class ReturnSet:
    """Every table read from the inputs, with the findings made while reading."""

    tables: list[RawTable]
    findings: list[Finding]
    files: list[Path]

    def years(self) -> list[int]:
        """The collection years read."""
        return sorted({t.year for t in self.tables})

    def of(self, table: str, year: int | None = None) -> list[RawTable]:
        """The tables of ``kind`` (Header, Episodes, UASC) read, one per year."""
        return [t for t in self.tables if t.table == table and (year is None or t.year == year)]


def _display(path: Path) -> str:
    return str(path)


def discover(paths: Sequence[Path], year: int | None = None) -> list[tuple[Path, int]]:
    """Find the table files in ``paths`` and the collection year of each.

    A folder named by a year (``2024/``) holds that collection year's files; a folder of such
    folders holds several years; a file takes ``year`` or, failing that, its folder's name.
    """
    found: list[tuple[Path, int]] = []
    if not paths:
        raise UnusableInputError("No input given. Name a folder of returns (for example returns/) or files.")
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UnusableInputError(f"{path}: no such file or folder. Check the path and try again.")
        if path.is_dir():
            found.extend(_discover_dir(path, year))
        else:
            file_year = year if year is not None else _year_of_name(path.parent.name)
            if file_year is None:
                raise UnusableInputError(
                    f"{path}: cannot tell the collection year. Put the file in a folder named by the year "
                    "the collection ends (for example 2024/ for 2023/24) or pass --year 2024."
                )
            found.append((path, file_year))
    unique: dict[Path, int] = {}
    for p, y in found:
        unique.setdefault(p.resolve(), y)
    if not unique:
        raise UnusableInputError(
            f"{', '.join(str(p) for p in paths)}: no .csv, .xlsx or .xml files found. Expected folders named by "
            "collection year (for example 2024/) holding the return's tables."
        )
    return [(p, y) for p, y in found if unique.pop(p.resolve(), None) is not None]


def _year_of_name(name: str) -> int | None:
    return int(name) if YEAR_RE.match(name) else None


def _table_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
                  and not p.name.startswith(("~$", ".")))


def _discover_dir(path: Path, year: int | None) -> list[tuple[Path, int]]:
    own_year = _year_of_name(path.name)
    if own_year is not None and year is not None and year != own_year:
        raise UnusableInputError(f"{path}: the folder is named {own_year} but --year says {year}; its tables would "
                                 f"be read as the {year - 1}/{year % 100:02d} return. Rename the folder, or correct "
                                 "or leave out --year.")
    if own_year is not None:
        return [(f, own_year) for f in _table_files(path)]
    year_dirs = sorted(p for p in path.iterdir() if p.is_dir() and _year_of_name(p.name) is not None)
    if year_dirs and year is not None:  # --year names a folder of one year's tables; it was passed over
        raise UnusableInputError(f"{path}: --year {year} is for a folder of one year's tables, but this one holds "
                                 f"year folders ({', '.join(d.name for d in year_dirs)}), every one of which would "
                                 f"be read. Give the year's folder itself ({path / str(year)}) to read that year "
                                 "alone, or leave out --year.")
    if year_dirs:
        _no_unnamed_years(path)
        out: list[tuple[Path, int]] = []
        for d in year_dirs:
            out.extend((f, int(d.name)) for f in _table_files(d))
        return out
    files = _table_files(path)
    if files and year is not None:
        return [(f, year) for f in files]
    raise UnusableInputError(
        f"{path}: no collection-year folders found. Put each year's files in a folder named by the year "
        "the collection ends (for example 2024/ for 1 April 2023 to 31 March 2024), or pass --year."
    )


def _no_unnamed_years(path: Path) -> None:
    """A folder of tables beside the year folders but not named by a year ("2025 (copy)", "2024-25") would
    be passed over, and its year with it; an error names it and what to call it. An ingest folder kept there
    (it has a manifest.json) and hidden folders are not returns."""
    from placecast.ssda903.history_io import MANIFEST_FILE

    for d in sorted(p for p in path.iterdir() if p.is_dir() and _year_of_name(p.name) is None):
        if d.name.startswith(".") or (d / MANIFEST_FILE).exists() or not _table_files(d):
            continue
        digits = re.findall(r"(?:19|20)\d\d", d.name)
        end = re.fullmatch(r"((?:19|20)\d\d)\s*[-_/ ]\s*(\d\d)", d.name.strip())
        hint = (f"name it {int(end[1]) + 1} (the year the collection ends)" if end
                else f"if it holds the {int(digits[0]) - 1}/{digits[0][2:]} return, name it {digits[0]}" if digits
                else "name it by the year the collection ends (for example 2025 for 2024/25)")
        raise UnusableInputError(f"{d}: a folder of tables beside the year folders, not named by a year, so its "
                                 f"return would be left out. {hint[0].upper()}{hint[1:]}, or move it out of {path}.")


# --------------------------------------------------------------------------------------------
# Low-level readers: return (header, rows) of strings, with the spreadsheet line of each row.


def decode_csv(path: Path) -> str:
    """The file's text, or UnusableInputError naming what is wrong with it (size, encoding, binary)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnusableInputError(f"{path}: the file is {size // 2**20} MB, larger than any return; "
                                     "is it the right file?")
        raw = path.read_bytes()
    except OSError as exc:
        raise UnusableInputError(f"{path}: cannot be read ({exc.strerror}). Check permissions.") from exc
    if not raw.strip():
        raise UnusableInputError(f"{path}: the file is empty. Export the table again with its header row.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnusableInputError(
            f"{path}: the file is UTF-16 encoded. Save it as 'CSV UTF-8 (comma delimited)' and try again."
        )
    if b"\x00" in raw[:65536] or raw.startswith(b"PK\x03\x04"):
        raise UnusableInputError(
            f"{path}: this is not a text CSV file (it contains binary data). Export the table as CSV UTF-8, "
            "or give the .xlsx file its real extension."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnusableInputError(
            f"{path}: line {line}: byte {raw[exc.start]:#04x} is not valid UTF-8. Save the file as "
            "'CSV UTF-8 (comma delimited)' and try again."
        ) from exc


def _read_csv_rows(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header row, the data rows and their line numbers (``lines[0]`` is the header's)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    marks = "\ufeff" in text  # a byte-order mark inside the text (the first is gone with utf-8-sig)
    try:
        for record, row in enumerate(reader, start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            rows.append([cell.lstrip("\ufeff") for cell in cells] if marks else cells)
            lines.append(record)
    except csv.Error as exc:
        raise UnusableInputError(
            f"{path}: line {reader.line_num}: the CSV cannot be parsed ({exc}). Check quotes and delimiters; "
            "export the table again as CSV UTF-8."
        ) from exc
    if not rows:
        raise UnusableInputError(f"{path}: the file has no cells with anything in them. Export the table again "
                                 "with its header row.")
    at = _header_position(rows)
    return rows[at], rows[at + 1:], lines[at:]


# The bytes a plain file may hold (printable ASCII but the quote, tabs and line ends), and of those the ones
# that make a line more than a blank row (anything but spaces, tabs, commas and line ends).
PLAIN_BYTES = np.zeros(256, bool)
PLAIN_BYTES[0x20:0x7F] = True
PLAIN_BYTES[[0x09, 0x0A, 0x0D]] = True
PLAIN_BYTES[ord('"')] = False
FILLER = np.zeros(256, bool)
FILLER[[0x09, 0x0D, 0x20, ord(",")]] = True


def _plain_csv_columns(text: str) -> tuple[list[str], list[pa.Array], list[int]] | None:
    """The header, the data as one text array per column and the line numbers, for a plain file: printable
    ASCII with no quotes and no lone carriage returns, every data row as wide as the header, so that a line
    is a record and a comma a cell's end. The cells are exactly what :func:`_read_csv_rows` reads (trimmed,
    blank rows skipped); the lines are found with whole-array operations and the cells split by Arrow's CSV
    reader. None when the file is not plain: the general reader then reads it (and reports ragged rows)."""
    if not text.isascii():
        return None
    raw = text.encode("ascii")
    b = np.frombuffer(raw, np.uint8)
    if not PLAIN_BYTES[b].all():
        return None
    returns = np.flatnonzero(b == 0x0D)
    if len(returns) and (returns[-1] + 1 >= len(b) or (b[returns + 1] != 0x0A).any()):
        return None
    ends = np.flatnonzero(b == 0x0A)
    starts, stops = np.r_[0, ends + 1], np.r_[ends, len(b)]
    length = stops - starts
    empty = length == _per_line(returns, starts, stops)  # nothing but the carriage return of a CRLF, if that
    blank = _per_line(np.flatnonzero(FILLER[b]), starts, stops) == length
    n_commas = _per_line(np.flatnonzero(b == ord(",")), starts, stops)
    nonblank = np.flatnonzero(~blank)
    if not len(nonblank):
        return None
    leading = [[cell.strip(" \t") for cell in raw[starts[k]:stops[k]].decode("ascii").rstrip("\r").split(",")]
               for k in nonblank[:HEADER_SEARCH_ROWS]]
    at = _header_position(leading)
    header, data = leading[at], nonblank[at + 1:]
    if (n_commas[data] != len(header) - 1).any():
        return None
    columns = _arrow_cells(raw, starts, stops, empty, data, len(header))
    if columns is None:
        return None
    return header, columns, [int(nonblank[at]) + 1, *(data + 1).tolist()]


def _per_line(positions: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """How many of the sorted byte ``positions`` fall in each line [start, stop)."""
    return np.asarray(np.searchsorted(positions, stops)) - np.asarray(np.searchsorted(positions, starts))


def _arrow_cells(raw: bytes, starts: np.ndarray, stops: np.ndarray, empty: np.ndarray, data: np.ndarray,
                 width: int) -> list[pa.Array] | None:
    """The data lines' cells, trimmed, one text array per column (None if Arrow reads another number of rows).
    ``empty`` marks the lines with nothing on them, which Arrow's reader skips by itself."""
    from pyarrow import csv as pa_csv

    if not len(data):
        return [pa.array([], pa.string()) for _ in range(width)]
    first = int(data[0])
    if len(data) + int(empty[first:].sum()) == len(starts) - first:  # from the first data line on: data and empty
        body = raw[starts[first]:]
    else:  # blank rows of commas or spaces among the data: leave them out
        body = b"\n".join(raw[starts[k]:stops[k]] for k in data)
    names = [f"c{i}" for i in range(width)]
    read = pa_csv.read_csv(
        io.BytesIO(body), read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(quote_char=False, double_quote=False, escape_char=False,
                                          newlines_in_values=False, ignore_empty_lines=True),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                              strings_can_be_null=False, quoted_strings_can_be_null=False))
    if read.num_rows != len(data):
        return None
    return [pc.utf8_trim(read.column(n).combine_chunks(), " \t") for n in names]


# A header row may sit below a title (a council's name, "SSDA903 Episodes 2024"): look this far down.
HEADER_SEARCH_ROWS = 10


def _header_position(rows: list[list[str]]) -> int:
    """The first of the leading rows whose cells are a table's column names (0 when none is)."""
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if identify_table(cells)[0] is not None:
            return i
    return 0


def _title_rows(source: str, header_line: int) -> Finding:
    """A warning that rows above the header row (a title) were skipped."""
    rows = "row 1" if header_line == 2 else f"rows 1-{header_line - 1}"
    return finding(source, header_line, "", "", "TITLE_ROWS",
                   f"The header row is on row {header_line}; {rows} above it (a title) were skipped. "
                   "Nothing else was changed.")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx_sheets(path: Path) -> list[tuple[str, list[str], list[list[str]], list[int]]]:
    from placecast.xlsx import WorkbookTooLarge, open_workbook

    try:
        book = open_workbook(path)
    except WorkbookTooLarge as exc:
        raise UnusableInputError(f"{path}: not read: {exc}.") from exc
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise UnusableInputError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}). Open it in Excel and save it as .xlsx, "
            "or export each table as CSV UTF-8."
        ) from exc
    except Exception as exc:  # openpyxl raises its own exception types for malformed parts
        raise UnusableInputError(f"{path}: not a readable Excel workbook ({exc}). Save it again as .xlsx.") from exc
    sheets = []
    try:
        for ws in book.worksheets:
            rows: list[list[str]] = []
            lines: list[int] = []
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if any(cells):
                    rows.append(cells)
                    lines.append(number)
            if rows:
                at = _header_position(rows)
                header = rows[at]
                while header and header[-1] == "":
                    header.pop()
                sheets.append((ws.title, header, rows[at + 1:], lines[at:]))
    except Exception as exc:
        raise UnusableInputError(f"{path}: the workbook could not be read ({exc}). Save it again as .xlsx.") from exc
    finally:
        book.close()
    return sheets


# --------------------------------------------------------------------------------------------
# Recognising tables by their columns.


def identify_table(columns: Sequence[str]) -> tuple[str | None, float]:
    """The table whose column set best matches ``columns`` and the share of its columns present."""
    given = {c.strip().upper() for c in columns if c.strip()}
    best: tuple[str | None, float, int] = (None, 0.0, 0)
    for name, expected in TABLE_COLUMNS.items():
        hits = len(given & set(expected))
        share = hits / len(expected)
        # Prefer a better share; on a tie prefer the table that explains more of the file's columns.
        if (share, hits) > (best[1], best[2]):
            best = (name, share, hits)
    if best[0] is None or best[1] < 0.6 or best[2] < 2:
        return None, best[1]
    return best[0], best[1]


def _closest(name: str, candidates: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(name.upper(), list(candidates), n=1, cutoff=0.5)
    return match[0] if match else None


def _build_table(
    source: str, table: str, year: int, header: list[str], rows: list[list[str]] | list[pa.Array],
    lines: list[int], findings: list[Finding], by_column: bool = False,
) -> RawTable:
    """The table's expected columns from the file's cells: ``rows`` as read, or (``by_column``) one text array
    per header position from :func:`_plain_csv_columns`, every row already as wide as the header."""
    expected = TABLE_COLUMNS[table]
    index: dict[str, int] = {}
    unexpected: list[tuple[int, str]] = []
    for i, name in enumerate(header):
        if not name:
            if _has_cells(rows, i, by_column):
                unexpected.append((i, name))
            continue
        key = name.upper()
        if key in expected:
            if key in index:
                findings.append(finding(source, 1, name, name, "COLUMN_REPEATED",
                                        f"Column {key} appears twice; delete one of them."))
                continue
            if name != key:
                findings.append(finding(source, 1, name, name, "COLUMN_CASE",
                                        f"Column '{name}' should be written '{key}'; it was read as {key}."))
            index[key] = i
        else:
            unexpected.append((i, name))
    missing = [c for c in expected if c not in index]
    _column_findings(source, table, expected, unexpected, missing, findings)
    by_position = rows if by_column else _columns_of(source, header, rows, lines, findings)
    blank = [""] * len(lines)
    data = pd.DataFrame({c: pd.Series(by_position[index[c]] if c in index else blank, dtype="str")
                         for c in expected})
    data[LINE] = pd.Series(lines, dtype="int64")
    return RawTable(source=source, table=table, year=year, data=data, missing_columns=missing)


def _has_cells(rows: list[list[str]] | list[pa.Array], i: int, by_column: bool) -> bool:
    """Whether any row has something in position ``i``."""
    if by_column:
        return bool(pc.any(pc.not_equal(rows[i], "")).as_py())
    return any(i < len(r) and r[i] for r in rows)


def _column_findings(source: str, table: str, expected: tuple[str, ...], unexpected: list[tuple[int, str]],
                     missing: list[str], findings: list[Finding]) -> None:
    for _, name in unexpected:
        guess = _closest(name, missing) or _closest(name, expected)
        hint = (f" Did you mean '{guess}'? Rename the column to {guess}." if guess
                else " Remove the column: the table's columns are " + ", ".join(expected) + ".")
        findings.append(finding(source, 1, name or "(blank)", name, "COLUMN_UNEXPECTED",
                                f"Column '{name}' is not a column of the {table} table.{hint}"))
    for name in missing:
        near = [n for _, n in unexpected if _closest(n, [name]) == name]
        hint = f" The file has '{near[0]}', which may be a misspelling of it." if near else ""
        findings.append(finding(source, 1, name, "", "COLUMN_MISSING",
                                f"The {table} table needs a column {name}.{hint} "
                                "Add it (it may be blank where allowed)."))


def _columns_of(source: str, header: list[str], rows: list[list[str]], lines: list[int],
                findings: list[Finding]) -> list[tuple[str, ...]]:
    """The rows as columns, each row padded or cut to the header's width (ragged rows are findings)."""
    width = len(header)
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width and (len(row) < width or any(row[width:])):
            findings.append(finding(source, line, "", "", "ROW_SHAPE",
                                    f"The row has {len(row)} cells but the header has {width}. "
                                    "Check for stray commas or missing cells."))
    square = [row if len(row) == width else (row + [""] * width)[:width] for row in rows]
    return list(zip(*square, strict=True)) if square else [()] * width


def read_file(path: Path, year: int) -> tuple[list[RawTable], list[Finding]]:
    """Read one CSV or XLSX file into tables. Raises UnusableInputError if nothing can be used."""
    findings: list[Finding] = []
    tables: list[RawTable] = []
    source = _display(path)
    if path.suffix.lower() == ".xml":  # the whole return in one file, as the DfE collects it
        from placecast.ssda903.xml_return import read_xml_return

        frames, findings = read_xml_return(path, source)
        return [RawTable(source, table, year, frame, xml=path) for table, frame in frames.items()], findings
    if path.suffix.lower() == ".csv":
        text = decode_csv(path)
        plain = _plain_csv_columns(text)
        header, cells, lines = plain if plain is not None else _read_csv_rows(path, text)
        table, share = identify_table(header)
        if table is None:
            raise UnusableInputError(_not_a_table_message(source, header))
        if lines[0] > 1:
            findings.append(_title_rows(source, lines[0]))
        tables.append(_build_table(source, table, year, header, cells, lines[1:], findings,
                                   by_column=plain is not None))
    else:
        for sheet, header, rows, lines in _read_xlsx_sheets(path):
            sheet_source = f"{source} [{sheet}]"
            table, _ = identify_table(header)
            if table is None:
                findings.append(finding(sheet_source, 0, "", "", "SHEET_IGNORED",
                                        f"This worksheet's columns match no SSDA903 table in its first "
                                        f"{HEADER_SEARCH_ROWS} rows, so it was not read. Its first row is: "
                                        f"{', '.join(h for h in header[:6] if h)}."))
                continue
            if lines[0] > 1:
                findings.append(_title_rows(sheet_source, lines[0]))
            tables.append(_build_table(sheet_source, table, year, header, rows, lines[1:], findings))
        if not tables:
            raise UnusableInputError(f"{source}: no worksheet has the columns of an SSDA903 table "
                                     "(for example Header: CHILD, SEX, DOB, ETHNIC, UPN, MOTHER, MC_DOB).")
    return tables, findings


def _not_a_table_message(source: str, header: Sequence[str]) -> str:
    shown = ", ".join(h for h in header[:8] if h) or "(no column names)"
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "semicolons" if ";" in header[0] else "tabs"
        return (f"{source}: line 1: the columns are separated by {sep}. Save the table as "
                "'CSV UTF-8 (comma delimited)' and try again.")
    return (
        f"{source}: line 1: the columns ({shown}) match no SSDA903 table, and no row among the first "
        f"{HEADER_SEARCH_ROWS} does either. Expected for example "
        f"Episodes: {', '.join(TABLE_COLUMNS['Episodes'])}; Header: {', '.join(TABLE_COLUMNS['Header'])}. "
        "Check that the file is a comma-separated return table with its header row first."
    )


def _first_bytes(path: Path, size: int = 65536) -> bytes:
    """The file's first ``size`` bytes (to tell an empty export without reading the whole file twice)."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise UnusableInputError(f"{path}: cannot be read ({exc.strerror}). Check permissions.") from exc


def years_left_beside(paths: Sequence[Path]) -> str | None:
    """Year folders given alone while others lie beside them (returns/2025 of returns/2022-2026): the history
    would be that year only, and a forecast fitted on it has no backtest. Said, not refused: one year may be
    what was meant."""
    given = {Path(p).resolve() for p in paths}
    left: dict[Path, set[str]] = {}
    for path in map(Path, paths):
        if path.is_dir() and _year_of_name(path.name) is not None:
            for sibling in path.resolve().parent.iterdir():
                if sibling.is_dir() and sibling not in given and _year_of_name(sibling.name) is not None \
                        and _table_files(sibling):
                    left.setdefault(path.parent, set()).add(sibling.name)
    if not left:
        return None
    parent, years = next(iter(left.items()))
    return (f"Only the year folder(s) given are read, but {parent} also holds {', '.join(sorted(years))}: give "
            f"{parent} to read every year (the forecast's fit and backtest use every year they are given).")


def read_returns(paths: Sequence[Path], year: int | None = None) -> ReturnSet:
    """Discover and read every table under ``paths``.

    Parameters
    ----------
    paths : folders of returns (one per collection year) or files.
    year : the collection year of files given directly.

    Returns
    -------
    ReturnSet
        The tables found, recognised by their columns, and any finding made while reading.

    Examples
    --------
    >>> from placecast.testing import example_returns
    >>> read_returns([example_returns()]).years()
    [2023, 2024, 2025]
    """
    files = discover(paths, year)
    if beside := years_left_beside(paths):
        logger.warning(beside)
    tables: list[RawTable] = []
    findings: list[Finding] = []
    seen: dict[tuple[int | None, str], Path] = {}
    for path, file_year in files:
        if path.stat().st_size == 0 or not _first_bytes(path).strip():
            # an empty table (common for tables a council has nothing to report in) is skipped, not fatal
            findings.append(finding(_display(path), 0, "", "", "FILE_EMPTY",
                                    "The file is empty, so it was skipped. If the table should have rows, "
                                    "export it again with its header row."))
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.stat().st_size <= MAX_FILE_BYTES else ""
        first = seen.setdefault((file_year, digest), path) if digest else path  # too large: refused when read
        if first != path:  # "episodes (1).csv" beside episodes.csv: one finding, not an error on every row
            findings.append(finding(_display(path), 0, "", "", "FILE_REPEATED",
                                    f"The file is an exact copy of {_display(first)}, so only that one was read. "
                                    "Delete one of the two."))
            continue
        t, f = read_file(path, file_year)
        tables.extend(t)
        findings.extend(f)
    if not tables:
        empty = ", ".join(f.file for f in findings if f.rule == "FILE_EMPTY")
        raise UnusableInputError(f"{empty}: the file(s) are empty, so there is no SSDA903 table to read. Export "
                                 "the return's tables again, with their header rows, as CSV UTF-8 or XLSX.")
    findings.extend(_tables_given_twice(tables))
    return ReturnSet(tables=tables, findings=findings, files=[p for p, _ in files])


def _tables_given_twice(tables: list[RawTable]) -> list[Finding]:
    """A year with two files of one table ('episodes - Copy.csv', an older export, beside episodes.csv): both
    are read, one after the other, and every row the two share is a duplicate; one finding names both."""
    sources: dict[tuple[int | None, str], list[str]] = {}
    for t in tables:
        sources.setdefault((t.year, t.table), []).append(t.source)
    return [finding(names[1], 0, "", "", "TABLE_REPEATED",
                    f"The {year} return has {len(names)} {table} tables ({', '.join(names)}); a return has one of "
                    "each. Both were read, so rows they share are repeated: keep the right file and remove the "
                    "others.")
            for (year, table), names in sources.items() if len(set(names)) > 1]

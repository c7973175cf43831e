"""Where each council's returns are: a folder per council, or stacked files with a council column as
regional data platforms hold them (split here into a folder per council, the column dropped)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TextIO

from placecast.errors import UnusableInputError
from placecast.schema import folded
from placecast.ssda903.read import decode_csv

COUNCIL_COLUMNS = ("council", "la", "la_code", "local_authority")


def council_folders(paths: list[Path], council_column: str | None = None, work: Path | None = None
                    ) -> dict[str, Path]:
    """Each council's folder of returns (or ingest folder), by council name, in name order.

    Without ``council_column``, every sub-folder of each path is one council (its name the folder's).
    With it, each path holds stacked returns (year folders of CSVs) whose rows carry the council in that
    column; they are split into one folder per council under ``work``.
    """
    if council_column:
        if work is None:
            raise ValueError("stacked returns need a work folder to split them into")
        return _split_stacked(paths, council_column, work)
    found: dict[str, Path] = {}
    for path in paths:
        if not Path(path).is_dir():
            raise UnusableInputError(f"{path}: no such folder; give a folder holding one folder per council.")
        subs = sorted(p for p in Path(path).iterdir() if p.is_dir() and not p.name.startswith("."))
        _check_not_year_folders(Path(path), subs)
        for sub in subs:
            if sub.name in found:
                raise UnusableInputError(f"{sub}: a second folder for council '{sub.name}'; merge them or "
                                         "rename one.")
            found[sub.name] = sub
    if not found:
        raise UnusableInputError(f"{', '.join(map(str, paths))}: no council folders found. Give a folder with one "
                                 "folder of returns per council, or stacked returns with --council-column.")
    return dict(sorted(found.items()))


def _check_not_year_folders(path: Path, subs: list[Path]) -> None:
    """Year folders (2023/, 2024/) where council folders were expected: one council's returns, or stacked
    returns without --council-column, would be forecast as councils named 2023, 2024 and so on."""
    from placecast.ssda903.read import YEAR_RE

    years = [p.name for p in subs if YEAR_RE.match(p.name)]
    if years:
        raise UnusableInputError(f"{path}: its folders {', '.join(years)} are collection years, not councils: it "
                                 "holds one set of returns. Give the folder that holds one folder per council, or, "
                                 "for stacked returns with a column naming the council, add --council-column.")


def _safe(name: str) -> str:
    """A council name as a folder name."""
    return re.sub(r"[^A-Za-z0-9 _.-]", "_", name).strip() or "council"


def _check_spelling(spelt: dict[str, tuple[str, str]], name: str, where: str) -> None:
    """Two spellings of one council (York and york, or Bath & NE Somerset and Bath _ NE Somerset as folder
    names) would be forecast as two councils, each with part of the children: an error naming both."""
    for key in (folded(name), f"folder:{_safe(name).casefold()}"):
        first, first_where = spelt.setdefault(key, (name, where))
        if first != name:
            raise UnusableInputError(f"{where}: council '{name}', but {first_where} writes '{first}'. They would be "
                                     "split as two councils; write the council the same way on every row.")


def _split_stacked(paths: list[Path], column: str, work: Path) -> dict[str, Path]:
    """Every CSV under ``paths`` split by ``column`` into work/<council>/<the file's own path>."""
    councils: dict[str, Path] = {}
    spelt: dict[str, tuple[str, str]] = {}  # folded name -> (the name as first written, where)
    files = [(root, f) for root in paths for f in sorted(Path(root).rglob("*.csv"))]
    if not files:
        raise UnusableInputError(f"{', '.join(map(str, paths))}: no CSV files of stacked returns found.")
    for root, file in files:
        with io.StringIO(decode_csv(file), newline="") as handle:  # UTF-8, or an error saying how to save it
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            match = next((h for h in header if h.strip().lower() == column.lower()), None)
            if match is None:
                raise UnusableInputError(f"{file}, line 1: no column '{column}' naming the council; the columns "
                                         f"are {', '.join(header)}. Give --council-column with the right name.")
            rest = [h for h in header if h != match]
            writers: dict[str, tuple[TextIO, csv.DictWriter]] = {}
            for number, row in enumerate(reader, start=2):
                name = (row.get(match) or "").strip()
                if any(v.strip() for v in row.get(None) or []):
                    raise UnusableInputError(f"{file}, line {number}: more cells than the header has columns; the "
                                             "values past the header would be dropped. Correct the row.")
                if not name:
                    raise UnusableInputError(f"{file}, line {number}, column {match}: no council given; every row "
                                             "of stacked returns needs one.")
                if name not in writers:
                    _check_spelling(spelt, name, f"{file}, line {number}")
                    target = work / _safe(name) / file.relative_to(root)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    out = target.open("w", newline="", encoding="utf-8")
                    writer = csv.DictWriter(out, fieldnames=rest)
                    writer.writeheader()
                    writers[name] = (out, writer)
                    councils[name] = work / _safe(name)
                writers[name][1].writerow({k: row[k] for k in rest})
            for handle_out, _ in writers.values():
                handle_out.close()
    return dict(sorted(councils.items()))

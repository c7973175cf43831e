"""Tiny hand-made returns for rule tests: a clean base, changed one cell at a time."""

from __future__ import annotations

import csv
from pathlib import Path

from placecast.ssda903.tables import TABLE_COLUMNS

BASE_HEADER = [
    {"CHILD": "1001", "SEX": "1", "DOB": "01/01/2015", "ETHNIC": "WBRI", "UPN": "A123456789012", "MOTHER": "",
     "MC_DOB": ""},
    {"CHILD": "1002", "SEX": "2", "DOB": "15/06/2008", "ETHNIC": "MOTH", "UPN": "A123456789013", "MOTHER": "0",
     "MC_DOB": ""},
]
# Child 1001: started 01/05/2023 in-house foster care, moved to agency foster care 01/09/2023, still there.
# Child 1002: started 10/04/2023 in a children's home, legal status changed 01/07/2023, went home 20/12/2023.
BASE_EPISODES = [
    {"CHILD": "1001", "DECOM": "01/05/2023", "RNE": "S", "LS": "C1", "CIN": "N1", "PLACE": "U4",
     "PLACE_PROVIDER": "PR1", "DEC": "01/09/2023", "REC": "X1", "REASON_PLACE_CHANGE": "CARPL",
     "HOME_POST": "AB1 2CD", "PL_POST": "AB3 4EF"},
    {"CHILD": "1001", "DECOM": "01/09/2023", "RNE": "P", "LS": "C1", "CIN": "N1", "PLACE": "U6",
     "PLACE_PROVIDER": "PR4", "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "",
     "HOME_POST": "AB1 2CD", "PL_POST": "AB5 6GH"},
    {"CHILD": "1002", "DECOM": "10/04/2023", "RNE": "S", "LS": "V2", "CIN": "N4", "PLACE": "K2",
     "PLACE_PROVIDER": "PR4", "DEC": "01/07/2023", "REC": "X1", "REASON_PLACE_CHANGE": "",
     "HOME_POST": "CD1 2EF", "PL_POST": "CD3 4GH", "URN": "SC123456"},
    {"CHILD": "1002", "DECOM": "01/07/2023", "RNE": "L", "LS": "C2", "CIN": "N4", "PLACE": "K2",
     "PLACE_PROVIDER": "PR4", "DEC": "20/12/2023", "REC": "E4A", "REASON_PLACE_CHANGE": "",
     "HOME_POST": "CD1 2EF", "PL_POST": "CD3 4GH", "URN": "SC123456"},
]


def write_table(path: Path, table: str, rows: list[dict], columns: list[str] | None = None) -> Path:
    cols = columns or list(TABLE_COLUMNS[table])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


def mini_return(root: Path, year: int = 2024, episodes: list[dict] | None = None, header: list[dict] | None = None,
                uasc: list[dict] | None = None) -> Path:
    """Write a one-year return under ``root/YEAR/`` and return ``root``."""
    folder = root / str(year)
    write_table(folder / "episodes.csv", "Episodes", BASE_EPISODES if episodes is None else episodes)
    write_table(folder / "header.csv", "Header", BASE_HEADER if header is None else header)
    if uasc is not None:
        write_table(folder / "uasc.csv", "UASC", uasc)
    return root


def changed(rows: list[dict], index: int, **values: str) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(values)
    return out

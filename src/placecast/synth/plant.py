"""Planting known errors in synthetic returns, with a manifest of where each one is.

Each kind of error changes one row (or one column) of one year's table, always for a child no other
planted error touches, and records the file, spreadsheet line and column where a validator must
report it. Kinds are used in turn, so planting 33 or more errors plants every kind at least once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

Tables = dict[int, dict[str, pd.DataFrame]]


def _d(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%d/%m/%Y")
    except ValueError:
        return None


def _dd(text: str) -> datetime:
    day = _d(text)
    if day is None:
        raise ValueError(f"not a date: {text!r}")
    return day


def _s(day: datetime) -> str:
    return day.strftime("%d/%m/%Y")


class _Planter:
    def __init__(self, tables: Tables, rng: np.random.Generator) -> None:
        self.t = tables
        self.rng = rng
        self.used: set[str] = set()
        self.next_pid = 0
        self.dropped: set[tuple[int, str]] = set()
        for y in tables:
            for name, df in tables[y].items():
                tables[y][name] = df.assign(_pid=np.arange(self.next_pid, self.next_pid + len(df)))
                self.next_pid += len(df)

    # helpers ------------------------------------------------------------------------------
    def ep(self, y: int) -> pd.DataFrame:
        return self.t[y]["Episodes"]

    def pick(self, y: int, table: str, mask: pd.Series) -> int | None:
        df = self.t[y][table]
        ok = mask & ~df["CHILD"].isin(self.used)
        idx = np.flatnonzero(ok.to_numpy())
        if not len(idx):
            return None
        pos = int(self.rng.choice(idx))
        self.used.add(df["CHILD"].iloc[pos])
        return pos

    def set(self, y: int, table: str, pos: int, column: str, value: str) -> int:
        df = self.t[y][table]
        df.iloc[pos, df.columns.get_loc(column)] = value
        return int(df["_pid"].iloc[pos])

    def insert_copy(self, y: int, table: str, pos: int, changes: dict[str, str]) -> int:
        df = self.t[y][table]
        row = df.iloc[[pos]].copy()
        for k, v in changes.items():
            row[k] = v
        row["_pid"] = self.next_pid
        self.next_pid += 1
        self.t[y][table] = pd.concat([df.iloc[: pos + 1], row, df.iloc[pos + 1:]], ignore_index=True)
        return int(row["_pid"].iloc[0])

    def first_episode(self, y: int, child: str) -> int:
        df = self.ep(y)
        return int(np.flatnonzero((df["CHILD"] == child).to_numpy())[0])

    def bounds(self, y: int) -> tuple[datetime, datetime]:
        return datetime(y - 1, 4, 1), datetime(y, 3, 31)

    def dates(self, y: int, col: str) -> pd.Series:
        return self.ep(y)[col].map(_d)

    def last_of_child(self, y: int) -> pd.Series:
        c = self.ep(y)["CHILD"]
        return c.ne(c.shift(-1))

    # kinds: each returns (table, pid, column, rule, description) or None ---------------------
    def date_format(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["DECOM"] != "")
        if pos is None:
            return None
        day = _dd(self.ep(y)["DECOM"].iloc[pos])
        return "Episodes", self.set(y, "Episodes", pos, "DECOM", day.strftime("%Y-%m-%d")), "DECOM", "DATE_FORMAT", \
            "DECOM written as ISO yyyy-mm-dd"

    def date_impossible(self, y):
        h = self.t[y]["Header"]
        pos = self.pick(y, "Header", h["DOB"] != "")
        if pos is None:
            return None
        year = h["DOB"].iloc[pos][-4:]
        return "Header", self.set(y, "Header", pos, "DOB", f"31/02/{year}"), "DOB", "DATE_IMPOSSIBLE", "DOB 31 February"

    def code_not_in_year(self, y):
        e = self.ep(y)
        if y >= 2025:
            pos = self.pick(y, "Episodes", e["PLACE"] == "K3")
            value = "H5"
        else:
            pos = self.pick(y, "Episodes", e["PLACE"].isin(["H5", "P2"]))
            value = "K3"
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "PLACE", value), "PLACE", "CODE_NOT_IN_YEAR", \
            f"PLACE {value} outside its years"

    def _code(self, y, table, col, value, mask=None):
        df = self.t[y][table]
        pos = self.pick(y, table, mask if mask is not None else df[col] != "")
        if pos is None:
            return None
        return table, self.set(y, table, pos, col, value), col, "CODE_INVALID", f"{col} '{value}' is not a code"

    def code_ls(self, y):
        return self._code(y, "Episodes", "LS", "C9")

    def code_rne(self, y):
        return self._code(y, "Episodes", "RNE", "Q", self.ep(y)["RNE"] == "S")

    def code_cin(self, y):
        return self._code(y, "Episodes", "CIN", "N9")

    def code_sex(self, y):
        return self._code(y, "Header", "SEX", "X")

    def code_ethnic(self, y):
        return self._code(y, "Header", "ETHNIC", "ZZZZ")

    def code_rec(self, y):
        e = self.ep(y)
        return self._code(y, "Episodes", "REC", "E10", e["REC"].str.startswith("E"))

    def provider_not_allowed(self, y):
        e = self.ep(y)
        pos = self.pick(y, "Episodes", e["PLACE"].isin(["U4", "U6"]))
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "PLACE_PROVIDER", "PR3"), "PLACE_PROVIDER", \
            "PROVIDER_NOT_ALLOWED", "fostering with other public provision (PR3)"

    def provider_missing(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["PLACE"] == "K2")
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "PLACE_PROVIDER", ""), "PLACE_PROVIDER", \
            "PROVIDER_MISSING", "children's home without provider"

    def provider_not_expected(self, y):
        e = self.ep(y)
        pos = self.pick(y, "Episodes", e["PLACE"].isin(["T0", "T1", "T2", "T3", "T4", "Z11", "Z12", "Z13", "Z14"]))
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "PLACE_PROVIDER", "PR1"), "PLACE_PROVIDER", \
            "PROVIDER_NOT_EXPECTED", "temporary/other placement with a provider"

    def dec_before_decom(self, y):
        start, _ = self.bounds(y)
        e = self.ep(y)
        decom = self.dates(y, "DECOM")
        mask = e["REC"].str.startswith("E") & decom.map(lambda d: d is not None and d >= start + timedelta(days=10))
        pos = self.pick(y, "Episodes", mask)
        if pos is None:
            return None
        new = _s(decom.iloc[pos] - timedelta(days=3))
        return "Episodes", self.set(y, "Episodes", pos, "DEC", new), "DEC", "DEC_BEFORE_DECOM", "DEC before DECOM"

    def rec_without_dec(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["DEC"] == "")
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "REC", "E4A"), "REC", "REC_WITHOUT_DEC", "REC on open episode"

    def dec_without_rec(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["REC"].str.startswith("E"))
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "REC", ""), "REC", "DEC_WITHOUT_REC", "DEC without REC"

    def overlap(self, y):
        _, end = self.bounds(y)
        e = self.ep(y)
        nxt_decom = self.dates(y, "DECOM").shift(-1)
        same = e["CHILD"].eq(e["CHILD"].shift(-1))
        nxt_dec = self.dates(y, "DEC").shift(-1)
        ok = same & (e["REC"] == "X1") & nxt_decom.map(lambda d: d is not None and not pd.isna(d)
                                                        and d + timedelta(days=2) <= end)
        ok &= np.array([(b is None or pd.isna(b) or (a is not None and not pd.isna(a) and b >= a + timedelta(days=4)))
               for a, b in zip(nxt_decom, nxt_dec, strict=True)], dtype=bool)
        pos = self.pick(y, "Episodes", ok)
        if pos is None:
            return None
        self.set(y, "Episodes", pos, "DEC", _s(nxt_decom.iloc[pos] + timedelta(days=2)))
        return "Episodes", int(e["_pid"].iloc[pos + 1]), "DECOM", "EPISODE_OVERLAP", "episode overlaps the next"

    def open_episodes(self, y):
        e = self.ep(y)
        last = self.last_of_child(y)
        later_open = (e["DEC"] == "").shift(-1, fill_value=False) & last.shift(-1, fill_value=False)
        ok = e["CHILD"].eq(e["CHILD"].shift(-1)) & later_open & (e["DEC"] != "")
        pos = self.pick(y, "Episodes", ok)
        if pos is None:
            return None
        self.set(y, "Episodes", pos, "REC", "")
        self.set(y, "Episodes", pos, "REASON_PLACE_CHANGE", "")
        return "Episodes", self.set(y, "Episodes", pos, "DEC", ""), "DEC", "OPEN_EPISODES", "two open episodes"

    def x1_no_continuation(self, y):
        e = self.ep(y)
        pos = self.pick(y, "Episodes", self.last_of_child(y) & e["REC"].str.startswith("E"))
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "REC", "X1"), "REC", "X1_NO_CONTINUATION", \
            "X1 with nothing after"

    def continuation_no_x1(self, y):
        start, _ = self.bounds(y)
        e = self.ep(y)
        ok = (e["RNE"] == "S") & self.dates(y, "DECOM").map(lambda d: d is not None and d >= start)
        pos = self.pick(y, "Episodes", ok)
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "RNE", "P"), "RNE", "CONTINUATION_NO_X1", "P with no X1"

    def temp_start(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["RNE"] == "S")
        if pos is None:
            return None
        self.set(y, "Episodes", pos, "PLACE_PROVIDER", "")
        return "Episodes", self.set(y, "Episodes", pos, "PLACE", "T4"), "PLACE", "TEMP_PERIOD_START", \
            "period starts in T4"

    def temp_end(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["REC"].str.startswith("E"))
        if pos is None:
            return None
        self.set(y, "Episodes", pos, "PLACE_PROVIDER", "")
        pid = self.set(y, "Episodes", pos, "PLACE", "T1")
        return "Episodes", pid, "REC", "TEMP_PERIOD_END", "period ends in T1"

    def _header_pos(self, y, child) -> int:
        return int(np.flatnonzero((self.t[y]["Header"]["CHILD"] == child).to_numpy())[0])

    def _child_with_episodes(self, y, extra=None):
        e = self.ep(y)
        h = self.t[y]["Header"]
        mask = e["CHILD"].isin(set(h["CHILD"])) & e["CHILD"].ne(e["CHILD"].shift(1))
        uasc = set(self.t[y]["UASC"]["CHILD"])
        mask &= ~e["CHILD"].isin(uasc)
        if extra is not None:
            mask &= extra
        return self.pick(y, "Episodes", mask)

    def before_birth(self, y):
        pos = self._child_with_episodes(y)
        if pos is None:
            return None
        e = self.ep(y)
        child = e["CHILD"].iloc[pos]
        dob = _dd(e["DECOM"].iloc[pos]) + timedelta(days=10)
        self.set(y, "Header", self._header_pos(y, child), "DOB", _s(dob))
        return "Episodes", int(e["_pid"].iloc[pos]), "DECOM", "BEFORE_BIRTH", "DOB after first DECOM"

    def over_18(self, y):
        pos = self._child_with_episodes(y)
        if pos is None:
            return None
        e = self.ep(y)
        child = e["CHILD"].iloc[pos]
        d = _dd(e["DECOM"].iloc[pos])
        dob = d.replace(year=d.year - 18) - timedelta(days=10) if not (d.month == 2 and d.day == 29) \
            else datetime(d.year - 18, 2, 18)
        self.set(y, "Header", self._header_pos(y, child), "DOB", _s(dob))
        return "Episodes", int(e["_pid"].iloc[pos]), "DECOM", "OVER_18", "aged 18 at DECOM"

    def no_header(self, y):
        pos = self._child_with_episodes(y)
        if pos is None:
            return None
        e = self.ep(y)
        child = e["CHILD"].iloc[pos]
        h = self.t[y]["Header"]
        self.t[y]["Header"] = h[h["CHILD"] != child].reset_index(drop=True)
        return "Episodes", int(e["_pid"].iloc[pos]), "CHILD", "NO_HEADER", "Header row deleted"

    def duplicate_row(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["DECOM"] != "")
        if pos is None:
            return None
        return "Episodes", self.insert_copy(y, "Episodes", pos, {}), "", "DUPLICATE_ROW", "row copied"

    def uasc_unknown(self, y):
        u = self.t[y]["UASC"]
        known = set(self.t[y]["Header"]["CHILD"])
        while True:
            new_id = str(int(self.rng.integers(10_000_000, 99_999_999)))
            if new_id not in known:
                break
        row = pd.DataFrame([{"CHILD": new_id, "SEX": "1" if y <= 2024 else "M", "DOB": f"01/06/{y - 16}", "DUC": "",
                             "_pid": self.next_pid}])
        self.next_pid += 1
        self.t[y]["UASC"] = pd.concat([u, row], ignore_index=True)
        self.used.add(new_id)
        return "UASC", int(row["_pid"].iloc[0]), "CHILD", "UASC_UNKNOWN_CHILD", "UASC row for unknown child"

    def column_missing(self, y):
        if (y, "URN") in self.dropped:
            return None
        self.dropped.add((y, "URN"))
        self.t[y]["Episodes"] = self.ep(y).drop(columns="URN")
        return "Episodes", None, "URN", "COLUMN_MISSING", "URN column removed"

    def column_misspelt(self, y):
        if (y, "HOME_POST") in self.dropped:
            return None
        self.dropped.add((y, "HOME_POST"))
        self.t[y]["Episodes"] = self.ep(y).rename(columns={"HOME_POST": "HOME_POSTCODE"})
        return "Episodes", None, "HOME_POSTCODE", "COLUMN_UNEXPECTED", "HOME_POST misspelt"

    def column_extra(self, y):
        if (y, "LA") in self.dropped:
            return None
        self.dropped.add((y, "LA"))
        self.t[y]["Header"] = self.t[y]["Header"].assign(LA="999")
        return "Header", None, "LA", "COLUMN_UNEXPECTED", "extra column LA"

    def header_repeated(self, y):
        h = self.t[y]["Header"]
        pos = self.pick(y, "Header", h["CHILD"] != "")
        if pos is None:
            return None
        eth = "WOTH" if h["ETHNIC"].iloc[pos] != "WOTH" else "WBRI"
        return "Header", self.insert_copy(y, "Header", pos, {"ETHNIC": eth}), "CHILD", "HEADER_REPEATED", \
            "child has two Header rows"

    def episode_repeated(self, y):
        e = self.ep(y)
        pos = self.pick(y, "Episodes", e["DECOM"] != "")
        if pos is None:
            return None
        cin = "N4" if e["CIN"].iloc[pos] != "N4" else "N5"
        return "Episodes", self.insert_copy(y, "Episodes", pos, {"CIN": cin}), "DECOM", "EPISODE_REPEATED", \
            "same CHILD and DECOM twice"

    def value_missing(self, y):
        pos = self.pick(y, "Episodes", self.ep(y)["CIN"] != "")
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "CIN", ""), "CIN", "VALUE_MISSING", "CIN blank"

    def outside_year(self, y):
        _, end = self.bounds(y)
        e = self.ep(y)
        ok = self.last_of_child(y) & (e["DEC"] == "") & (e["RNE"] == "S") & e["CHILD"].ne(e["CHILD"].shift(1))
        pos = self.pick(y, "Episodes", ok)
        if pos is None:
            return None
        return "Episodes", self.set(y, "Episodes", pos, "DECOM", _s(end + timedelta(days=10))), "DECOM", \
            "OUTSIDE_YEAR", "DECOM after the collection year"


KINDS: list[str] = [
    "date_format", "date_impossible", "code_not_in_year", "code_ls", "code_rne", "code_cin", "code_sex",
    "code_ethnic", "code_rec", "provider_not_allowed", "provider_missing", "provider_not_expected",
    "dec_before_decom", "rec_without_dec", "dec_without_rec", "overlap", "open_episodes", "x1_no_continuation",
    "continuation_no_x1", "temp_start", "temp_end", "before_birth", "over_18", "no_header", "duplicate_row",
    "uasc_unknown", "column_missing", "column_misspelt", "column_extra", "header_repeated", "episode_repeated",
    "value_missing", "outside_year",
]


def plant_errors(tables: Tables, count: int, rng: np.random.Generator) -> list[dict]:
    """Plant ``count`` errors into ``tables`` in place; returns where each one is (by row id)."""
    planter = _Planter(tables, rng)
    years = sorted(tables)
    planted: list[dict] = []
    attempts = 0
    k = 0
    while len(planted) < count and attempts < count * 4 + len(KINDS) * len(years):
        kind = KINDS[k % len(KINDS)]
        year = years[(k // len(KINDS) + k) % len(years)]
        k += 1
        attempts += 1
        fn: Callable = getattr(planter, kind)
        result = None
        for offset in range(len(years)):
            result = fn(years[(years.index(year) + offset) % len(years)])
            if result is not None:
                year = years[(years.index(year) + offset) % len(years)]
                break
        if result is None:
            continue
        table, pid, column, rule, description = result
        planted.append({"year": year, "table": table, "pid": pid, "column": column, "rule": rule,
                        "description": description})
    return planted

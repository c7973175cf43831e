"""Benchmarks from DfE published statistics and the statistical-neighbour model.

Reads the CSVs in the layout the DfE publishes them (Explore Education Statistics), from a path the
user gives; never the network. Suppression markers (c, low, k, u, x, z) become missing values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.errors import UnusableInputError

SUPPRESSED = {"c", "low", "k", "u", "x", "z", ":", ""}
CLA_FILE = "cla_number_and_rate_per_10k_children.csv"
SN_FILE = "sn_model_2025_wide.csv"
CLA_MEASURE = "Children looked after on 31 March each year"


def read_dfe(path: Path, numeric: list[str], text: Sequence[str] = ()) -> pd.DataFrame:
    """A DfE CSV with suppression markers turned into missing values (and counted); ``numeric`` and ``text``
    are the columns it must have."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UnusableInputError(f"{path}: cannot be read as a DfE CSV ({exc}). Download it again from "
                                 "Explore Education Statistics.") from exc
    missing = [c for c in [*numeric, *text] if c not in df.columns]
    if missing:
        raise UnusableInputError(f"{path}: missing column(s) {', '.join(missing)}; is this the right DfE file?")
    for col in numeric:
        raw = df[col].str.strip()
        df[col + "_marker"] = raw.str.lower().where(raw.str.lower().isin(SUPPRESSED), "")
        df[col + "_suppressed"] = raw.str.lower().isin(SUPPRESSED)
        df[col] = pd.to_numeric(raw.where(~df[col + "_suppressed"]), errors="coerce")
        _no_stray_values(path, col, raw, df[col], df[col + "_suppressed"])
    return df


def _no_stray_values(path: Path, col: str, raw: pd.Series, values: pd.Series, suppressed: pd.Series) -> None:
    """A published count or rate is a number not below zero, or a suppression marker: anything else (text, a
    number with a thousands comma, a minus sign) is an error at its line. Read as missing, it had been taken for
    a suppressed cell, and the council's figure filled in from its total."""
    stray = (values.isna() & ~suppressed) | (values < 0)
    if stray.any():
        i = int(np.flatnonzero(stray.to_numpy())[0])
        raise UnusableInputError(f"{path}, line {i + 2}, column {col}: '{raw.iloc[i]}' is neither a number (0 or "
                                 f"more) nor a suppression marker ({', '.join(sorted(m for m in SUPPRESSED if m))}); "
                                 f"{int(stray.sum())} such cell(s) in all. Download the file again from Explore "
                                 "Education Statistics.")


@dataclass(frozen=True)
class Measure:
    """A published measure: which file, which rows, which column holds the value."""

    name: str
    file: str
    filters: tuple[tuple[str, str], ...]
    value: str
    count: str


MEASURES = {
    "cla_rate": Measure("Children looked after at 31 March per 10,000 children aged 0-17", CLA_FILE,
                        (("population_type", CLA_MEASURE),), "rate_per_10000", "children_count"),
    "starts_rate": Measure("Children starting to be looked after per 10,000", CLA_FILE,
                           (("population_type", "Children starting to be looked after each year"),),
                           "rate_per_10000", "children_count"),
    "stability_3plus": Measure("% of children looked after with 3 or more placements during the year",
                               "la_cla_placement_stability.csv",
                               (("cla_group", "CLA on 31 March"),
                                ("placement_stability", "With 3 or more placements during the year")),
                               "children_percent", "children_count"),
    "stability_long_term": Measure("% of under-16s looked after 2.5+ years living with the same carer 2+ years",
                                   "la_cla_placement_stability.csv",
                                   (("cla_group", "Children looked after continuously for at least 2.5 years on 31 "
                                                  "March aged under 16 years"),
                                    ("placement_stability", "Living with the same carer for at least 2 years")),
                                   "children_percent", "children_count"),
    "care_leavers_suitable": Measure("% of care leavers aged 19-21 in suitable accommodation",
                                     "la_care_leavers_accommodation_suitability.csv",
                                     (("care_leaver_age", "19 to 21 years"),
                                      ("breakdown", "Accommodation considered suitable")),
                                     "care_leaver_percent", "care_leaver_count"),
    "new_placements_far": Measure("% of new placements outside the council more than 20 miles from home",
                                  "la_cla_during_year_new_placements.csv",
                                  (("characteristic", "Location of new placements during the year"),
                                   ("breakdown", "Placed outside LA boundary more than 20 miles from home")),
                                  "children_percent", "children_count"),
}


@dataclass
class Benchmark:
    """A published measure for a council over the years, with its rank, statistical neighbours, region and England."""

    council: str
    old_la_code: str
    new_la_code: str
    region: str
    neighbours: list[str]  # old codes
    table: pd.DataFrame  # year, council, status, rank, of, sn_average, sn_count, region, england
    measure: str = "cla_rate"
    neighbour_names: list[str] = field(default_factory=list)  # in the order of ``neighbours``

    def neighbours_named(self) -> list[str]:
        """Each statistical neighbour as 'Name (old code)'."""
        names = self.neighbour_names or self.neighbours
        return [f"{name} ({code})" if name != code else code for name, code in zip(names, self.neighbours,
                                                                                   strict=True)]


def status_of(marker: str) -> str:
    """Why a published value is missing, in words: DfE's 'z' is "not applicable" (for example a council
    before it existed); the other markers are "suppressed"; '' for a published value."""
    if marker == "z":
        return "not applicable"
    return "suppressed" if marker else ""


def find_council(cla: pd.DataFrame, key: str) -> pd.Series:
    """A council's identity by old code (e.g. 805), new code (E06000001) or name (case-insensitive)."""
    las = cla[cla["geographic_level"] == "Local authority"].drop_duplicates("old_la_code", keep="last")
    k = key.strip().lower()
    hit = las[(las["old_la_code"].str.lower() == k) | (las["new_la_code"].str.lower() == k)
              | (las["la_name"].str.lower() == k)]
    if hit.empty:
        names = {n.lower(): n for n in las["la_name"]}
        close = [n for low, n in names.items() if k in low][:5] or [
            names[low] for low in get_close_matches(k, list(names), n=3, cutoff=0.75)]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnusableInputError(f"No council '{key}' in the DfE file (old code, new code or name).{hint}")
    return hit.iloc[0]


def benchmark(council: str, stats_dir: Path, measure: str = "cla_rate") -> Benchmark:
    """A measure over time for a council: its value, rank (1 = lowest), the average of its 10 statistical
    neighbours, its region and England."""
    stats_dir = Path(stats_dir)
    if measure not in MEASURES:
        raise UnusableInputError(f"Unknown measure '{measure}'; choose one of {', '.join(MEASURES)}.")
    m = MEASURES[measure]
    data = read_dfe(stats_dir / m.file, [m.value, m.count], ["time_period", "geographic_level", "old_la_code",
                                                            "new_la_code", "la_name", "region_name",
                                                            *(column for column, _ in m.filters)])
    sn = read_dfe(stats_dir / SN_FILE, [], ["old_la_code", *(f"SN_{i}" for i in range(1, 11))])
    me = find_council(data, council)
    row = sn[sn["old_la_code"] == me["old_la_code"]]
    neighbours = [row.iloc[0][f"SN_{i}"] for i in range(1, 11)] if len(row) else []
    rows = data
    for column, wanted in m.filters:
        rows = rows[rows[column].str.strip() == wanted]
    las = rows[rows["geographic_level"] == "Local authority"]
    out = []
    for year, g in las.groupby("time_period"):
        mine = g[g["old_la_code"] == me["old_la_code"]]
        if mine.empty:
            continue
        value = mine[m.value].iloc[0]
        ranked = g[m.value].dropna()
        sn_values = g[g["old_la_code"].isin(neighbours)][m.value].dropna()
        nat = rows[(rows["time_period"] == year) & (rows["geographic_level"] == "National")]
        reg = rows[(rows["time_period"] == year) & (rows["geographic_level"] == "Regional")
                   & (rows["region_name"] == me["region_name"])]
        out.append({
            "year": int(year), "council": value, "status": status_of(str(mine[m.value + "_marker"].iloc[0])),
            "count": mine[m.count].iloc[0],
            "suppressed": bool(mine[m.value + "_suppressed"].iloc[0]),
            "rank": int((ranked < value).sum() + 1) if pd.notna(value) else None, "of": int(len(ranked)),
            "sn_average": round(float(sn_values.mean()), 1) if len(sn_values) else None,
            "sn_count": int(len(sn_values)),
            "region": reg[m.value].iloc[0] if len(reg) else None,
            "england": nat[m.value].iloc[0] if len(nat) else None,
        })
    names = las.drop_duplicates("old_la_code", keep="last").set_index("old_la_code")["la_name"]
    return Benchmark(me["la_name"], me["old_la_code"], me["new_la_code"], me["region_name"], neighbours,
                     pd.DataFrame(out).astype({"rank": "Int64"}) if out else pd.DataFrame(out), measure,
                     [str(names.get(code, code)) for code in neighbours])

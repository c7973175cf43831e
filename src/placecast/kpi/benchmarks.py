"""Benchmarks from DfE published statistics and the statistical-neighbour model.

Reads the CSVs in the layout the DfE publishes them (Explore Education Statistics), from a path the
user gives; never the network. Suppression markers (c, low, k, u, x, z) become missing values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from placecast.errors import UnusableInputError

SUPPRESSED = {"c", "low", "k", "u", "x", "z", ":", ""}
CLA_FILE = "cla_number_and_rate_per_10k_children.csv"
SN_FILE = "sn_model_2025_wide.csv"
CLA_MEASURE = "Children looked after on 31 March each year"


def read_dfe(path: Path, numeric: list[str]) -> pd.DataFrame:
    """A DfE CSV with suppression markers turned into missing values (and counted)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UnusableInputError(f"{path}: cannot be read as a DfE CSV ({exc}). Download it again from "
                                 "Explore Education Statistics.") from exc
    missing = [c for c in numeric if c not in df.columns]
    if missing:
        raise UnusableInputError(f"{path}: missing column(s) {', '.join(missing)}; is this the right DfE file?")
    for col in numeric:
        raw = df[col].str.strip()
        df[col + "_suppressed"] = raw.str.lower().isin(SUPPRESSED)
        df[col] = pd.to_numeric(raw.where(~df[col + "_suppressed"]), errors="coerce")
    return df


@dataclass
class Benchmark:
    council: str
    old_la_code: str
    new_la_code: str
    region: str
    neighbours: list[str]
    table: pd.DataFrame  # year, council, rank, of, sn_average, sn_count, region, england


def find_council(cla: pd.DataFrame, key: str) -> pd.Series:
    """A council's identity by old code (e.g. 805), new code (E06000001) or name (case-insensitive)."""
    las = cla[cla["geographic_level"] == "Local authority"].drop_duplicates("old_la_code", keep="last")
    k = key.strip().lower()
    hit = las[(las["old_la_code"].str.lower() == k) | (las["new_la_code"].str.lower() == k)
              | (las["la_name"].str.lower() == k)]
    if hit.empty:
        close = las[las["la_name"].str.lower().str.contains(k, regex=False)]["la_name"].tolist()[:5]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnusableInputError(f"No council '{key}' in the DfE file (old code, new code or name).{hint}")
    return hit.iloc[0]


def benchmark(council: str, stats_dir: Path) -> Benchmark:
    """Children looked after per 10,000: the council, its rank, its 10 neighbours' average, region, England."""
    stats_dir = Path(stats_dir)
    cla = read_dfe(stats_dir / CLA_FILE, ["children_count", "rate_per_10000", "population_estimate"])
    sn = pd.read_csv(stats_dir / SN_FILE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    me = find_council(cla, council)
    row = sn[sn["old_la_code"] == me["old_la_code"]]
    neighbours = [row.iloc[0][f"SN_{i}"] for i in range(1, 11)] if len(row) else []
    stock = cla[cla["population_type"] == CLA_MEASURE]
    las = stock[stock["geographic_level"] == "Local authority"]
    out = []
    for year, g in las.groupby("time_period"):
        mine = g[g["old_la_code"] == me["old_la_code"]]
        if mine.empty:
            continue
        value = mine["rate_per_10000"].iloc[0]
        ranked = g["rate_per_10000"].dropna()
        sn_rates = g[g["old_la_code"].isin(neighbours)]["rate_per_10000"].dropna()
        nat = stock[(stock["time_period"] == year) & (stock["geographic_level"] == "National")]
        reg = stock[(stock["time_period"] == year) & (stock["geographic_level"] == "Regional")
                    & (stock["region_name"] == me["region_name"])]
        out.append({
            "year": int(year), "council": value, "children": mine["children_count"].iloc[0],
            "rank": int((ranked < value).sum() + 1) if pd.notna(value) else None, "of": int(len(ranked)),
            "sn_average": round(float(sn_rates.mean()), 1) if len(sn_rates) else None, "sn_count": int(len(sn_rates)),
            "region": reg["rate_per_10000"].iloc[0] if len(reg) else None,
            "england": nat["rate_per_10000"].iloc[0] if len(nat) else None,
        })
    return Benchmark(me["la_name"], me["old_la_code"], me["new_la_code"], me["region_name"], neighbours,
                     pd.DataFrame(out))

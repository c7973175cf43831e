"""The DfE's council-level published tables as one panel: children looked after at 31 March, in total
and by the DfE's placement groups, for every council on today's boundaries.

Suppressed cells (``c``, ``low``, ``k``, ``u``, ``x``) are missing, never zero: a suppressed placement
group at the forecast origin is filled from what the council's total leaves over, shared equally among
its suppressed groups; a suppressed cell is left out of any score. ``z`` (a council that did not exist)
is missing too. Councils created by reorganisation get a history on their own boundaries: before their
first year, the predecessor's figures in the proportions of that first year (:data:`SUCCESSORS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.errors import UnusableInputError
from placecast.kpi.benchmarks import read_dfe

# the DfE's files, named by the years each release covers: 2016_2024 in the 2024 release, 2017_2025 in a later
TOTALS_FILE = "cla_totals_starts_ceases_2016_2024.csv"
PLACEMENT_FILE = "cla_placement_type_31march_2020_2024.csv"
LOOKUP_FILE = "la_lookup.csv"
_RELEASE = re.compile(r"_(19|20)\d\d_(19|20)\d\d\.csv$")
GROUPS = ("Foster placements", "Placed for adoption",
          "Placed with parents or other person with parental responsibility", "Secure homes and children's homes",
          "Other residential settings", "Residential schools",
          "Independent and semi-independent living arrangements/supported accommodation", "Other placements")
# English reorganisations in the published years (the DfE's README for these extracts): predecessor
# ONS code -> its successors' codes
SUCCESSORS = {"E10000021": ("E06000061", "E06000062"),  # Northamptonshire -> North and West Northamptonshire
              "E10000006": ("E06000063", "E06000064")}  # Cumbria -> Cumberland, Westmorland and Furness


@dataclass(frozen=True)
class Published:
    """Council-by-year tables: ``totals`` (code x year), ``groups`` (code, year x group, missing where
    suppressed), the councils' names and regions, and which councils were back-cast from a predecessor."""

    totals: pd.DataFrame
    groups: pd.DataFrame
    councils: pd.DataFrame  # index code: name, region
    backcast: dict[str, str]  # successor code -> predecessor code
    own_from: dict[str, int] = field(default_factory=dict)  # successor code -> its first published year

    @property
    def years(self) -> list[int]:
        """The published years of the totals."""
        return sorted(int(y) for y in self.totals.columns)

    def known_at(self, year: int) -> Published:
        """The panel as published up to ``year`` (for backtests: nothing after the origin is used)."""
        totals = self.totals[[y for y in self.totals.columns if y <= year]]
        groups = self.groups[self.groups.index.get_level_values("year") <= year]
        return Published(totals, groups, self.councils, self.backcast, self.own_from)


def _path(folder: Path, name: str) -> Path:
    path = Path(folder) / name
    if not path.is_file():
        raise UnusableInputError(f"{folder}: no {name}; give the folder of the DfE's published CSVs "
                                 "(see ../shared/reference/dfe/README.md for the files).")
    return path


def _release_file(folder: Path, name: str) -> Path:
    """The file of the DfE's release in ``folder`` named as ``name`` but for the years it covers (a later
    release's ``cla_totals_starts_ceases_2017_2025.csv`` for ``..._2016_2024.csv``): exactly one."""
    stem = _RELEASE.sub("", name)
    found = sorted(p for p in Path(folder).glob(f"{stem}_*.csv") if _RELEASE.sub("", p.name) == stem)
    if len(found) > 1:
        raise UnusableInputError(f"{folder}: {', '.join(p.name for p in found)} are the same table from more than "
                                 "one release of the DfE's statistics; keep the latest only.")
    if not found:
        raise UnusableInputError(f"{folder}: no {stem}_YYYY_YYYY.csv (the 2024 release's is {name}); give the "
                                 "folder of the DfE's published CSVs (see ../shared/reference/dfe/README.md for "
                                 "the files).")
    return found[0]


def _read(folder: Path, name: str, measure: str, also: tuple[str, ...] = ()) -> pd.DataFrame:
    """A council-level table: its rows of level 'la', years as numbers (a year that is not one is an error at its
    line), each row's ``measure`` given; the columns this needs, and ``also``, must be there."""
    path = _release_file(folder, name)
    frame = read_dfe(path, ["count"], ["year", "level", "code", measure, *also])
    years = pd.to_numeric(frame["year"].str.strip(), errors="coerce")
    if (bad := years.isna() | (years % 1 != 0)).any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise UnusableInputError(f"{path}, line {i + 2}, column year: '{frame['year'].iloc[i]}' is not a year (like "
                                 "2024). Download the file again from Explore Education Statistics.")
    frame["year"] = years.astype(int)
    frame = frame[frame["level"] == "la"].copy()
    return frame[frame[measure].notna()]


def read_published(folder: Path) -> Published:
    """The panel from the DfE's CSVs in ``folder`` (totals 2016 on, placement groups 2020 on)."""
    totals = _read(folder, TOTALS_FILE, "measure", ("region",))
    regions = totals[totals["region"] != ""].groupby("code")["region"].first()  # the DfE's regions
    totals = totals[totals["measure"] == "cla_31march"].pivot_table(index="code", columns="year", values="count",
                                                                     aggfunc="first")
    groups = _read(folder, PLACEMENT_FILE, "placement")
    _check_releases(folder, int(totals.columns.max()), int(groups["year"].max()))
    _check_groups(groups, set(totals.index), _release_file(folder, PLACEMENT_FILE))
    groups = groups[groups["placement"].isin(GROUPS)].pivot_table(index=["code", "year"], columns="placement",
                                                                  values="count", aggfunc="first", dropna=False)
    groups = groups.reindex(columns=list(GROUPS))
    lookup = read_dfe(_path(folder, LOOKUP_FILE), [], ["code", "name"]).set_index("code")[["name"]]
    lookup["region"] = regions.reindex(lookup.index)
    totals, groups, backcast, own_from = _on_todays_boundaries(totals, groups)
    current = [c for c in totals.index if c not in SUCCESSORS]
    return Published(totals.loc[current], groups[groups.index.get_level_values("code").isin(current)],
                     lookup.reindex(current), backcast, own_from)


def _check_releases(folder: Path, totals_to: int, groups_to: int) -> None:
    """The totals and the placement groups run to the same year: files of two releases would start the forecast
    from the older one's year without a word."""
    if totals_to != groups_to:
        raise UnusableInputError(f"{folder}: {_release_file(folder, TOTALS_FILE).name} runs to {totals_to} but "
                                 f"{_release_file(folder, PLACEMENT_FILE).name} to {groups_to}; give the files of one "
                                 "release of the DfE's statistics.")


def _check_groups(groups: pd.DataFrame, councils: set[str], path: Path) -> None:
    """Each council row of the placement file is one of the DfE's groups (or their total), for a council the
    totals file has: a row read as neither was left out, and its council's group filled in as if suppressed."""
    for column, bad, what in (
            ("placement", ~groups["placement"].isin([*GROUPS, "Total"]),
             f"is not one of the DfE's placement groups ({'; '.join(GROUPS)}) or Total"),
            ("code", ~groups["code"].isin(councils), "is a council code the totals file does not have")):
        if bad.any():
            line = int(groups.index[bad.to_numpy()][0]) + 2  # the row's index is its place in the file
            raise UnusableInputError(f"{path}, line {line}, column {column}: '{groups.loc[bad, column].iloc[0]}' "
                                     f"{what} ({int(bad.sum())} such row(s) in all). Download the file again from "
                                     "Explore Education Statistics.")


def _on_todays_boundaries(totals: pd.DataFrame, groups: pd.DataFrame
                          ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, int]]:
    """Successor councils' years before their first, from the predecessor in their first year's shares."""
    totals, backcast, own_from = totals.copy(), {}, {}
    extra = []
    for old, new in SUCCESSORS.items():
        if old not in totals.index or not all(n in totals.index for n in new):
            continue
        first = min(y for y in totals.columns if totals.loc[list(new), y].notna().all())
        shares = totals.loc[list(new), first] / totals.loc[list(new), first].sum()
        for code in new:
            before = [y for y in totals.columns if y < first]
            totals.loc[code, before] = (totals.loc[old, before] * shares[code]).round()
            backcast[code], own_from[code] = old, int(first)
            old_groups = groups.xs(old, level="code", drop_level=False) if old in groups.index.get_level_values(
                "code") else None
            if old_groups is not None:
                part = old_groups[old_groups.index.get_level_values("year") < first] * float(shares[code])
                part.index = pd.MultiIndex.from_tuples([(code, y) for _, y in part.index], names=["code", "year"])
                extra.append(part.round())
    if extra:
        groups = pd.concat([groups.drop(index=[i for i in groups.index if i in
                                               pd.concat(extra).index], errors="ignore"), *extra]).sort_index()
    return totals, groups, backcast, own_from


def filled_groups(published: Published, year: int) -> pd.DataFrame:
    """Each council's placement groups in ``year`` with suppressed cells filled from what the total leaves
    over (shared equally among the suppressed groups; never negative), as shares of the total."""
    counts = published.groups.xs(year, level="year").reindex(published.totals.index)
    total = published.totals[year].reindex(counts.index)
    missing = counts.isna()
    left = (total - counts.sum(axis=1)).clip(lower=0)
    per_cell = left / missing.sum(axis=1).replace(0, np.nan)
    filled = counts.where(~missing, np.repeat(per_cell.to_numpy()[:, None], counts.shape[1], axis=1))
    sums = filled.sum(axis=1).replace(0, np.nan)
    return filled.div(sums, axis=0)

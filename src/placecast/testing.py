"""Test helpers: hypothesis strategies for valid care histories, and writing them as yearly returns.

Used by Placecast's own tests; councils can use them to test their own pipelines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from placecast.ssda903.codelists import collection_year_end, collection_year_start
from placecast.ssda903.tables import TABLE_COLUMNS

# Placement codes valid in every collection year, with an allowed provider.
STABLE_PLACEMENTS = [("U4", "PR1"), ("U6", "PR4"), ("U3", "PR1"), ("K2", "PR4"), ("K2", "PR1"), ("P1", "PR0"),
                     ("K1", "PR1"), ("A4", "PR1")]
EXITS = ["E4A", "E4B", "E13", "E8", "E3", "E46", "E11"]
# Exits the DfE allows only from some placements (390, 516) and only before 18 (386, 407).
EXIT_NEEDS_PLACE = {"E11": ("A4",), "E46": ("U3", "U4", "U6")}


@st.composite
def child_histories(draw, first_year: int = 2020, last_year: int = 2024, max_periods: int = 3,
                    max_episodes: int = 4) -> tuple[list[dict], dict]:
    """One child's valid episodes (within the span) and Header row."""
    span_start = collection_year_start(first_year)
    span_end = collection_year_end(last_year)
    child = str(draw(st.integers(100_000, 999_999)))
    dob = span_start - timedelta(days=draw(st.integers(30, 12 * 365)))
    day = span_start + timedelta(days=draw(st.integers(0, 365 * 3)))
    episodes: list[dict] = []
    for _ in range(draw(st.integers(1, max_periods))):
        if day >= span_end:
            break
        ls = draw(st.sampled_from(["C1", "C2", "V2"]))
        cin = draw(st.sampled_from(["N1", "N4", "N5"]))
        place, provider = draw(st.sampled_from(_placements(ls)))
        n_eps = draw(st.integers(1, max_episodes))
        rne = "S"
        for k in range(n_eps):
            length = draw(st.integers(1, 500))
            end = day + timedelta(days=length)
            last = k == n_eps - 1
            episodes.append({"CHILD": child, "DECOM": day, "RNE": rne, "LS": ls, "CIN": cin, "PLACE": place,
                             "PLACE_PROVIDER": provider, "DEC": end, "REC": "X1" if not last else None})
            if end >= span_end:
                break
            day = end
            if not last:
                if draw(st.booleans()):
                    rne, ls = "L", ("C2" if ls != "C2" else "C1")
                else:
                    rne = "P"
                    place, provider = draw(st.sampled_from([p for p in _placements(ls) if p[0] != place]))
        final = episodes[-1]
        if final["DEC"] >= span_end or draw(st.integers(0, 4)) == 0:
            final["DEC"], final["REC"] = None, None
            break
        rec = draw(st.sampled_from(EXITS))
        final["REC"] = rec if final["PLACE"] in EXIT_NEEDS_PLACE.get(rec, (final["PLACE"],)) else "E13"
        if final["REC"] == "E11":  # an adopted child is not looked after again under the same id
            break
        day = final["DEC"] + timedelta(days=draw(st.integers(1, 400)))
    eighteen = date(dob.year + 18, 3, 1)
    episodes = [e for e in episodes if e["DECOM"] < eighteen]
    for e in episodes:  # a child adopted or under a guardianship order is under 18
        if e["REC"] in ("E11", "E46") and e["DEC"] >= eighteen:
            e["REC"] = "E13"
    header = {"CHILD": child, "SEX": draw(st.sampled_from(["M", "F"])), "DOB": dob,
              "ETHNIC": draw(st.sampled_from(["WBRI", "MOTH", "BAFR"]))}
    return episodes, header


@st.composite
def histories(draw, first_year: int = 2020, last_year: int = 2024, max_children: int = 8
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small council's valid history: (episodes, header), each child's episodes chained."""
    children = draw(st.lists(child_histories(first_year, last_year), min_size=1, max_size=max_children,
                             unique_by=lambda c: c[1]["CHILD"]))
    eps = [e for c, _ in children for e in c]
    hdr = [h for c, h in children if c]
    episodes = pd.DataFrame(eps, columns=["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER",
                                          "DEC", "REC"])
    header = pd.DataFrame(hdr, columns=["CHILD", "SEX", "DOB", "ETHNIC"])
    return episodes, header


def _placements(ls: str) -> list[tuple[str, str]]:
    """The placements a child under legal status ``ls`` may be in (no P1 under V2: DfE rule 378)."""
    return [p for p in STABLE_PLACEMENTS if not (ls == "V2" and p[0] == "P1")]


def _postcodes(ep: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """A home postcode per child and a placement postcode per placement (a new one at each move)."""
    child = ep["CHILD"].astype(str)
    move = (~child.eq(child.shift(1)) | ep["RNE"].isin(["P", "B", "T", "U"])).astype(int)
    seq = move.groupby(child).cumsum()
    code = pd.util.hash_pandas_object(child + ":" + seq.astype(str), index=False) % 8000
    home = "ZZ99 " + (pd.util.hash_pandas_object(child, index=False) % 9).astype(str).to_numpy() + "HH"
    place = [f"ZZ{n // 400 % 10} {n % 10}{'ABDEFGHJLN'[n // 10 % 10]}{'PQRSTUWXYZ'[n // 100 % 4]}" for n in code]
    return pd.Series(home, index=ep.index), pd.Series(place, index=ep.index)


def _fmt(d) -> str:
    if d is None or (not isinstance(d, date) and pd.isna(d)):
        return ""
    return pd.Timestamp(d).strftime("%d/%m/%Y")


def cut_into_returns(episodes: pd.DataFrame, header: pd.DataFrame, years: Sequence[int]
                     ) -> dict[int, dict[str, pd.DataFrame]]:
    """Yearly return tables (as text) from a history, as a council would submit them."""
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for y in years:
        start, end = pd.Timestamp(collection_year_start(y)), pd.Timestamp(collection_year_end(y))
        decom = pd.to_datetime(episodes["DECOM"])
        dec = pd.to_datetime(episodes["DEC"])
        ep = episodes[(decom <= end) & (dec.isna() | (dec >= start))].copy()
        open_now = pd.to_datetime(ep["DEC"]).isna() | (pd.to_datetime(ep["DEC"]) > end)
        table = pd.DataFrame({c: "" for c in TABLE_COLUMNS["Episodes"]}, index=ep.index)
        for c in ("CHILD", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER"):
            table[c] = ep[c].astype(str)
        ep = ep.sort_values(["CHILD", "DECOM"], kind="stable")
        table = table.loc[ep.index]
        table["HOME_POST"], table["PL_POST"] = _postcodes(ep)
        urn = "SC" + (pd.util.hash_pandas_object(table["PL_POST"], index=False) % 800000 + 100000).astype(str)
        table["URN"] = urn.where(table["PLACE"].isin(["K1", "K2"]).to_numpy(), "").to_numpy()
        moves_next = ep["CHILD"].eq(ep["CHILD"].shift(-1)) & ep["RNE"].shift(-1).eq("P")
        table["DECOM"] = ep["DECOM"].map(_fmt)
        table["REC"] = [("" if o or r is None or (isinstance(r, float) and pd.isna(r)) else str(r))
                        for o, r in zip(open_now.loc[ep.index], ep["REC"], strict=True)]
        table["DEC"] = [("" if o else _fmt(d)) for o, d in zip(open_now.loc[ep.index], ep["DEC"], strict=True)]
        table["REASON_PLACE_CHANGE"] = ["CARPL" if m and r == "X1" else ""
                                        for m, r in zip(moves_next, table["REC"], strict=True)]
        kids = set(table["CHILD"])
        h = header[header["CHILD"].astype(str).isin(kids)]
        htable = pd.DataFrame({c: "" for c in TABLE_COLUMNS["Header"]}, index=h.index)
        htable["CHILD"] = h["CHILD"].astype(str)
        htable["SEX"] = h["SEX"] if y >= 2025 else h["SEX"].map({"M": "1", "F": "2"})
        htable["DOB"] = h["DOB"].map(_fmt)
        htable["ETHNIC"] = h["ETHNIC"]
        digits = pd.util.hash_pandas_object(h["CHILD"].astype(str), index=False) % 10**11
        htable["UPN"] = ("A" + digits.astype(str).str.zfill(11) + "0").to_numpy()
        htable["MOTHER"] = ["0" if s == "F" else "" for s in h["SEX"]]
        out[y] = {"Episodes": table.reset_index(drop=True), "Header": htable.reset_index(drop=True)}
    return out


def write_return_folders(tables: dict[int, dict[str, pd.DataFrame]], folder: Path) -> list[Path]:
    """Write ``cut_into_returns`` output as ``folder/YYYY/{header,episodes}.csv``."""
    written = []
    for y, t in tables.items():
        d = Path(folder) / str(y)
        d.mkdir(parents=True, exist_ok=True)
        for name, df in t.items():
            path = d / f"{name.lower()}.csv"
            df.to_csv(path, index=False)
            written.append(path)
    return written


def history_as_source(episodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An assembled history back in return form (its pseudonymised ids become CHILD)."""
    ep = pd.DataFrame({
        "CHILD": episodes["child_id"], "DECOM": episodes["start"].dt.date,
        "RNE": episodes["rne"], "LS": episodes["ls"], "CIN": episodes["cin"], "PLACE": episodes["place"],
        "PLACE_PROVIDER": episodes["provider"],
        "DEC": [None if pd.isna(d) else d.date() for d in episodes["end"]],
        "REC": [r or None for r in episodes["rec"]],
    })
    hd = episodes.drop_duplicates("child_id")
    header = pd.DataFrame({"CHILD": hd["child_id"], "SEX": hd["sex"], "DOB": hd["dob"].dt.date,
                           "ETHNIC": "WBRI"})
    return ep, header


@lru_cache(maxsize=4)
def example_returns(children_in_care: int = 60, seed: int = 1) -> Path:
    """A folder of a small synthetic council's returns (2022/23 to 2024/25, one folder per year), for
    examples and doctests; written once per process into a temporary folder removed at exit.

    Examples
    --------
    >>> sorted(p.name for p in example_returns().iterdir() if p.is_dir())
    ['2023', '2024', '2025']
    """
    import atexit
    import shutil
    import tempfile

    from placecast.synth import SynthSettings, simulate, write_returns

    folder = Path(tempfile.mkdtemp(prefix="placecast-example-"))
    atexit.register(shutil.rmtree, folder, True)
    settings = SynthSettings(children_in_care=children_in_care, years=3, end_year=2025, seed=seed)
    write_returns(simulate(settings), folder)
    return folder


@lru_cache(maxsize=4)
def small_history(children_in_care: int = 60, seed: int = 1):
    """The assembled care history of :func:`example_returns`, for examples and doctests.

    Examples
    --------
    >>> small_history().years
    [2023, 2024, 2025]
    """
    from placecast.ssda903 import ingest

    history, _ = ingest([example_returns(children_in_care, seed)], b"placecast-example-key")
    return history

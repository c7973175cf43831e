"""Writing a simulated council as yearly SSDA903 returns, exactly as a council would.

Each collection year's return holds every episode open at any time in that year; episodes open at
31 March have blank DEC, REC and REASON_PLACE_CHANGE and reappear, closed, in the next return.
Codes follow the year: SEX 1/2 before 2024/25 and M/F after; H5/P2 become K3 from 2024/25; Z1
becomes Z11-Z14 from 2025/26.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.ssda903.tables import TABLE_COLUMNS
from placecast.synth.plant import plant_errors
from placecast.synth.simulate import NO_DAY, SimulationResult, day_number, to_date


def _fmt_days(days: pd.Series) -> pd.Series:
    dates = pd.to_datetime(days.to_numpy(), unit="D", origin="unix")
    return pd.Series(dates.strftime("%d/%m/%Y"), index=days.index)


def _place_for_year(place: pd.Series, variant: pd.Series, year: int) -> pd.Series:
    out = place.copy()
    if year >= 2025:
        out[out.isin(["H5", "P2"])] = "K3"
    if year >= 2026:
        z = out == "Z1"
        sub = np.array(["Z11", "Z12", "Z13", "Z14"])[np.minimum((variant[z] * 4).astype(int), 3)]
        out[z] = sub
    return out


def _postcode(ids: pd.Series, salt: int) -> pd.Series:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    h = (pd.util.hash_pandas_object(ids, index=False).to_numpy() + salt) % (10 * 20 * 20)
    return pd.Series([f"ZZ99 {n // 400}{letters[(n // 20) % 20]}{letters[n % 20]}" for n in h], index=ids.index)


def _placement_postcodes(ep: pd.DataFrame, same_prev: pd.Series) -> None:
    """One postcode (and URN) per placement: a move gets a new one, a return from a temporary
    placement gets the one before it back."""
    has_post, has_urn = ep["PL_POST"] != "", ep["URN"] != ""
    temp = ep["PLACE"].str.match(r"^T[0-4]$")
    after_temp = same_prev & temp.shift(1, fill_value=False)
    move = ~same_prev | ep["RNE"].isin(["P", "B", "T", "U"]) & ~after_temp & ~temp
    seq = move.astype(int).groupby(ep["CHILD"]).cumsum().astype(str)
    key = ep["CHILD"] + ":" + seq + ":" + ep["PLACE"].where(temp, "")
    ep.loc[has_post, "PL_POST"] = _postcode(key, 1)[has_post]
    urn = "SC" + (pd.util.hash_pandas_object(ep["PL_POST"], index=False) % 900000 + 100000).astype(str)
    ep.loc[has_urn, "URN"] = urn[has_urn]


def _record_as_the_dfe_asks(ep: pd.DataFrame, year: int) -> pd.DataFrame:
    """Record the simulated episodes as the DfE's rules ask, without changing who is where when.

    The simulation draws legal statuses, reasons and exits loosely; a council records them within the
    rules (police protection at most 72 hours, a short break without postcodes, and so on).
    """
    ep = ep.copy()
    decom = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
    dec = pd.to_datetime(ep["DEC"].replace("", None), format="%d/%m/%Y")
    days = (dec.fillna(pd.Timestamp(year, 3, 31)) - decom).dt.days
    ep.loc[(ep["LS"] == "L1") & (days > 3), "LS"] = "L2"  # police protection lasts at most 72 hours
    ep.loc[(ep["LS"] == "L2") & (days > 21), "LS"] = "C1"  # an emergency protection order at most 21 days
    ep.loc[(ep["PLACE"] == "P1") & (ep["LS"] == "V2"), "LS"] = "C2"
    ep.loc[ep["LS"].isin(["V3", "V4"]), ["HOME_POST", "PL_POST", "URN"]] = ""
    ep.loc[(ep["PLACE"] == "T4") & (days > 7), "PLACE"] = "T0"
    dob = pd.to_datetime(ep.pop("_dob"), format="%d/%m/%Y")
    before_birthday = (dec.dt.month < dob.dt.month) | ((dec.dt.month == dob.dt.month) & (dec.dt.day < dob.dt.day))
    under_18 = (dec.dt.year - dob.dt.year - before_birthday.astype(int)) < 18  # 29 February: 18 on 1 March
    ep.loc[(ep["REC"] == "E17") & under_18, "REC"] = "E8"
    ep.loc[(ep["PLACE"] == "T3") & (days > 21), "PLACE"] = "T0"
    ep.loc[(ep["PLACE"] == "T1") & (days > 42), "PLACE"] = "T0"
    same_prev = ep["CHILD"].eq(ep["CHILD"].shift(1))
    with_carers = ep["PLACE"].isin(["A3", "A5"])
    fostered = ep.pop("_prev_place").str.match(r"^U[1-6]$")  # the placement before, in any year
    ep.loc[with_carers & ~fostered & ep["RNE"].ne("S"), "PLACE"] = ep["PLACE"].map({"A3": "A4", "A5": "A6"})
    with_carers = ep["PLACE"].isin(["A3", "A5"])
    ep.loc[with_carers, "RNE"] = ep.loc[with_carers, "RNE"].replace({"P": "T", "B": "U", "L": "U"})
    ep.loc[ep["REC"].isin(["E11", "E12"]) & ~ep["PLACE"].str.match(r"^A[3-6]$"), "REC"] = "E13"
    not_foster = ~ep["PLACE"].str.match(r"^U[1-6]$")
    ep.loc[not_foster & (ep["REC"] == "E45"), "REC"] = "E47"
    ep.loc[not_foster & (ep["REC"] == "E46"), "REC"] = "E48"
    if year == 2024:  # from 28/10/2023 a child in supported accommodation is in a registered H5 placement
        late_p2 = (ep["PLACE"] == "P2") & (decom >= pd.Timestamp(2023, 10, 28))
        ep.loc[late_p2, "PLACE"] = "H5"
    for _ in range(6):  # a recorded status equal to the one before a change of legal status: record the other order
        clash = ep["RNE"].eq("L") & same_prev & ep["LS"].eq(ep["LS"].shift(1))
        if not clash.any():
            break
        ep.loc[clash, "LS"] = np.where(ep.loc[clash, "LS"] == "C2", "C1", "C2")
    _placement_postcodes(ep, same_prev)
    ls_changed = same_prev & ep["LS"].ne(ep["LS"].shift(1))
    ep.loc[ls_changed & ep["RNE"].eq("P"), "RNE"] = "B"
    ep.loc[ls_changed & ep["RNE"].eq("T"), "RNE"] = "U"
    same = ep["HOME_POST"].ne("") & ep["HOME_POST"].eq(ep["PL_POST"]) & ep["PLACE"].ne("P1")
    ep.loc[same, "PL_POST"] = ep.loc[same, "PL_POST"].str[:-2] + "ZZ"
    return ep


def return_tables(result: SimulationResult, year: int) -> dict[str, pd.DataFrame]:
    """The Header, Episodes and UASC tables of collection year ``year`` (all text)."""
    start, end = day_number(date(year - 1, 4, 1)), day_number(date(year, 3, 31))
    ep = result.episodes
    dec = ep["dec"].where(ep["dec"] != NO_DAY, np.iinfo(np.int64).max)
    order = ep.sort_values(["child", "decom"], kind="stable")
    prev_place = order["place"].shift(1).where(order["child"].eq(order["child"].shift(1)), "")
    inyear = ep[(ep["decom"] <= end) & (dec >= start)].copy()
    inyear["prev_place"] = prev_place.reindex(inyear.index).fillna("")
    kids = result.children.set_index("child")
    inyear = inyear.assign(CHILD=kids.loc[inyear["child"], "id"].to_numpy())
    open_at_end = (inyear["dec"] == NO_DAY) | (inyear["dec"] > end)
    episodes = pd.DataFrame({
        "CHILD": inyear["CHILD"],
        "DECOM": _fmt_days(inyear["decom"]),
        "RNE": inyear["rne"],
        "LS": inyear["ls"],
        "CIN": inyear["cin"],
        "PLACE": _place_for_year(inyear["place"], inyear["variant"], year),
        "PLACE_PROVIDER": inyear["provider"],
        "DEC": _fmt_days(inyear["dec"].where(~open_at_end, 0)).where(~open_at_end, ""),
        "REC": inyear["rec"].where(~open_at_end, ""),
        "REASON_PLACE_CHANGE": inyear["rpc"].where(~open_at_end, ""),
        "HOME_POST": _postcode(inyear["CHILD"], 0),
        "PL_POST": _postcode(inyear["CHILD"] + inyear["place"], 1),
        "URN": "",
    })
    needs_urn = episodes["PLACE"].isin(["K1", "K2", "R1", "S1", "H5", "K3", "U4", "U5", "U6", "U1", "U2", "U3",
                                        "A3", "A4", "A5", "A6", "P2"])
    episodes.loc[needs_urn, "URN"] = "SC" + (pd.util.hash_pandas_object(
        episodes.loc[needs_urn, "PL_POST"], index=False) % 900000 + 100000).astype(str).to_numpy()
    episodes["_prev_place"] = inyear["prev_place"].to_numpy()
    episodes["_dob"] = _fmt_days(pd.Series(kids.loc[inyear["child"], "dob"].to_numpy(), index=inyear.index))
    episodes = episodes.assign(_order=inyear["decom"].to_numpy()).sort_values(["CHILD", "_order"], kind="stable")
    episodes = episodes.drop(columns="_order").reset_index(drop=True)
    episodes = _record_as_the_dfe_asks(episodes, year)
    children = kids[kids["id"].isin(set(episodes["CHILD"]))].sort_values("id")
    dob = pd.Series(children["dob"].to_numpy(), index=children.index)
    sex = children["sex"].map({"M": "1", "F": "2"}) if year <= 2024 else children["sex"]
    age_at_end = (end - children["dob"]) / 365.25
    mother = np.where((children["sex"] == "F") & (age_at_end >= 12), "0", "")
    upn = np.where(age_at_end < 5, "UN1",
                   "A" + (pd.util.hash_pandas_object(children["id"], index=False) % 10**12).astype(str).str.zfill(12))
    header = pd.DataFrame({
        "CHILD": children["id"].to_numpy(),
        "SEX": sex.to_numpy(),
        "DOB": _fmt_days(dob).to_numpy(),
        "ETHNIC": children["ethnic"].to_numpy(),
        "UPN": np.where(children["uasc"].to_numpy(), "UN2", upn),
        "MOTHER": mother,
        "MC_DOB": "",
    })
    u = children[children["uasc"]]
    uasc = pd.DataFrame({
        "CHILD": u["id"].to_numpy(),
        "SEX": (u["sex"].map({"M": "1", "F": "2"}) if year <= 2024 else u["sex"]).to_numpy(),
        "DOB": _fmt_days(pd.Series(u["dob"].to_numpy())).to_numpy(),
        "DUC": "",
    }, columns=list(TABLE_COLUMNS["UASC"]))
    return {"Header": header, "Episodes": episodes, "UASC": uasc}


# File names vary by year on purpose: tables are recognised by their columns, not their names.
FILE_NAMES = [
    {"Header": "header.csv", "Episodes": "episodes.csv", "UASC": "uasc.csv"},
    {"Header": "SSDA903_Header.csv", "Episodes": "SSDA903_Episodes.csv", "UASC": "SSDA903_UASC.csv"},
    {"Header": "903 child details.csv", "Episodes": "903 episodes.csv", "UASC": "903 uasc.csv"},
]


def write_returns(result: SimulationResult, out: Path, plant: int = 0) -> dict:
    """Write every collection year's return under ``out/YYYY/``, the truth and a manifest."""
    out = Path(out)
    s = result.settings
    years = list(range(s.end_year - s.years + 1, s.end_year + 1))
    tables = {y: return_tables(result, y) for y in years}
    rng = np.random.default_rng([s.seed, 99])
    planted = plant_errors(tables, plant, rng) if plant else []
    for y in years:
        folder = out / str(y)
        folder.mkdir(parents=True, exist_ok=True)
        names = FILE_NAMES[y % len(FILE_NAMES)]
        for table, df in tables[y].items():
            cols = [c for c in df.columns if not c.startswith("_")]
            if y % 2 == 1:  # column order does not matter either
                cols = list(reversed(cols))
            df[cols].to_csv(folder / names[table], index=False, encoding="utf-8")
    lines = []
    for p in planted:
        df = tables[p["year"]][p["table"]]
        pos = np.flatnonzero(df["_pid"].to_numpy() == p["pid"]) if p["pid"] is not None else np.array([], int)
        line = int(pos[0]) + 2 if len(pos) else 1
        file = str(out / str(p["year"]) / FILE_NAMES[p["year"] % len(FILE_NAMES)][p["table"]])
        lines.append({"file": file, "line": line, "column": p["column"], "rule": p["rule"],
                      "description": p["description"]})
    pd.DataFrame(lines, columns=["file", "line", "column", "rule", "description"]).to_csv(
        out / "planted_errors.csv", index=False)
    result.truth.to_csv(out / "truth.csv", index=False)
    manifest = {
        "settings": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(s).items()},
        "years": years,
        "entries_per_year": round(result.entries_per_year, 2),
        "children_in_care_at_end": int(result.truth[result.truth["category"] == "total"]["children"].iloc[-1]),
        "planted_errors": len(lines),
        "note": "Synthetic data made by placecast synth. No real child is described.",
    }
    (out / "synth_manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return manifest


__all__ = ["return_tables", "write_returns", "to_date"]

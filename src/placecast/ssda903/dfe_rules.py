"""The DfE's validation rules for the Header, Episodes and UASC tables, as data plus short functions.

The catalogue (``codes/dfe_rules.yaml``) holds each rule's code, years, table, column, severity and
message; here each rule is one small function of a :class:`ReturnYear` that returns a mask of the
rows it faults. Rules Placecast's own checks already make are listed there as ``native``; rules that
need data a return does not hold (the postcode directory, Ofsted's register) as ``not_checked``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from placecast.ssda903.codelists import PACKAGED_LOADER, collection_year_end, collection_year_start, load_code_lists
from placecast.ssda903.findings import ERROR, RULES, WARNING, Finding
from placecast.ssda903.tables import distinct, looked_up, members

YEARS = (2024, 2025, 2026)
FOSTER = ["U1", "U2", "U3", "U4", "U5", "U6"]
SEX_MEANS = load_code_lists().fields["SEX"].meanings()  # sex codes to 2023/24 as the letters from 2024/25
ADOPTION = ["A3", "A4", "A5", "A6"]
TEMPORARY = ["T0", "T1", "T2", "T3", "T4"]
RESPITE = ["V3", "V4"]
POSTCODE = r"^[A-Z]{1,2}[0-9][0-9A-Z]?(\s*[0-9][A-Z]{2})?$"
UPN = r"^[A-Z][0-9]{11}[0-9A-Z]$"
# Placement types the DfE recoded between years: an episode carried over keeps its placement (503D).
RECODED = {2025: {"H5": "K3", "P2": "K3"}, 2026: {}}


@dataclass(frozen=True)
class DfeRule:
    """One DfE rule as Placecast checks it."""

    code: str
    id: str
    table: str
    column: str
    severity: str
    message: str
    years: tuple[int, ...] = YEARS
    note: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The DfE rules: checked here, made by Placecast's own checks, or not checkable from a return."""

    checks: dict[str, DfeRule]
    native: dict[str, list[str]]
    not_checked: dict[str, str]

    def native_codes(self) -> dict[tuple[str, str], str]:
        """``(Placecast rule, qualifier)`` -> DfE code(s), e.g. ``("CODE_INVALID", "SEX") -> "101"``."""
        out: dict[tuple[str, str], list[str]] = {}
        for code, entries in self.native.items():
            for entry in entries:
                rule, _, qualifier = entry.partition(" ")
                out.setdefault((rule, qualifier), []).append(code)
        return {k: "/".join(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The packaged DfE rule catalogue."""
    text = resources.files("placecast.ssda903.codes").joinpath("dfe_rules.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=PACKAGED_LOADER)
    checks = {str(code): DfeRule(code=str(code), years=tuple(spec.pop("years", YEARS)), **spec)
              for code, spec in raw["checks"].items()}
    for rule in checks.values():  # so that every finding's rule id has a severity and a title
        RULES.setdefault(rule.id, (ERROR if rule.severity == "error" else WARNING, rule.code,
                                   rule.message.split(". ")[0].split(" (")[0]))
    return Catalogue(checks, {str(k): list(v) for k, v in raw["native"].items()},
                     {str(k): str(v) for k, v in raw["not_checked"].items()})


def _age(dob: pd.Series, day: pd.Series | pd.Timestamp) -> pd.Series:
    """Whole years of age on ``day`` (NaN where either date is missing)."""
    day = pd.Series(day, index=dob.index) if isinstance(day, pd.Timestamp) else day
    years = day.dt.year - dob.dt.year
    before = (day.dt.month < dob.dt.month) | ((day.dt.month == dob.dt.month) & (day.dt.day < dob.dt.day))
    return years - before.astype(int)


def _by_child(header: pd.DataFrame) -> pd.DataFrame:
    """A Header's rows by CHILD (each child's first row; rows with no CHILD left out)."""
    return header[header["CHILD"] != ""].drop_duplicates("CHILD").set_index("CHILD")


def _blank(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).str.strip() == ""


class ReturnYear:
    """One collection year's return, normalised, with what the rules share computed once.

    ``episodes`` are sorted by child and start, with the child's date of birth and sex from the
    Header, ages at start and end, length in days, and the previous and next episode's fields
    (``prev_*``, ``next_*``) where they belong to the same child.
    """

    def __init__(self, year: int, episodes: pd.DataFrame, header: pd.DataFrame, uasc: pd.DataFrame,
                 previous: pd.DataFrame | None = None, missing: dict[str, set[str]] | None = None,
                 previous_header: pd.DataFrame | None = None) -> None:
        self.year = year
        self.previous_header = previous_header
        self.start = pd.Timestamp(collection_year_start(year))
        self.end = pd.Timestamp(collection_year_end(year))
        self.missing = missing or {}
        self.previous = previous
        by_child = _by_child(header)
        self.dob_of, self.sex_of = by_child["DOB"], by_child["SEX"]
        self.ep = self._episodes(episodes)
        self.hd = header
        self.ua = uasc

    def _episodes(self, episodes: pd.DataFrame) -> pd.DataFrame:
        e = episodes[(episodes["CHILD"] != "") & episodes["DECOM"].notna()]
        e = e.sort_values(["CHILD", "DECOM", "_line"], kind="stable").copy()
        e["DOB"] = pd.to_datetime(looked_up(e["CHILD"], self.dob_of))
        e["age_decom"] = _age(e["DOB"], e["DECOM"])
        e["age_dec"] = _age(e["DOB"], e["DEC"])
        e["days"] = (e["DEC"] - e["DECOM"]).dt.days
        e["same_prev"] = e["CHILD"].eq(e["CHILD"].shift(1))
        e["same_next"] = e["CHILD"].eq(e["CHILD"].shift(-1))
        for col in ("DECOM", "DEC", "REC", "RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER", "CIN"):
            e["prev_" + col] = e[col].shift(1).where(e["same_prev"])
            e["next_" + col] = e[col].shift(-1).where(e["same_next"])
        new_period = ~e["same_prev"] | (e["prev_REC"] != "X1") | (e["prev_DEC"] != e["DECOM"])
        period = new_period.cumsum()
        e["period_cin"] = e.groupby(period)["CIN"].transform("first")
        return e

    @cached_property
    def header(self) -> pd.DataFrame:
        """The Header rows with ages and what the child's episodes say about the year."""
        h = self.hd.copy()
        h["age_start"] = _age(h["DOB"], self.start)
        h["age_end"] = _age(h["DOB"], self.end)
        e = self.ep
        not_respite = ~e["LS"].isin(RESPITE)
        open_end = e[e["DEC"].isna() & not_respite]
        left = e[e["DEC"].notna() & (e["REC"] != "X1") & (e["REC"] != "") & not_respite]
        h["in_care_end"] = members(h["CHILD"], open_end["CHILD"])
        h["in_care_week"] = members(h["CHILD"], open_end.loc[open_end["DECOM"] <= self.end - pd.Timedelta(days=7),
                                                              "CHILD"])
        h["left_in_year"] = members(h["CHILD"], left["CHILD"])
        h["last_dec"] = pd.to_datetime(h["CHILD"].map(left.groupby("CHILD")["DEC"].max().to_dict()))
        h["has_episodes"] = members(h["CHILD"], e["CHILD"])
        # each field in last year's return: missing where the child had no row there (or there was no return)
        last = None if self.previous_header is None else _by_child(self.previous_header)
        for col in LAST_YEAR:
            h[col + "_last"] = (pd.Series(None, index=h.index, dtype=h[col].dtype)
                                if last is None or col not in last.columns else looked_up(h["CHILD"], last[col]))
        return h

    def changed(self, cols: tuple[str, ...]) -> pd.Series:
        """True where any of ``cols`` differs from the previous episode's."""
        e = self.ep
        out = pd.Series(False, index=e.index)
        for c in cols:
            out |= e[c].fillna("") != e["prev_" + c].fillna("")
        return out


Check = Callable[[ReturnYear], pd.Series]
CHECKS: dict[str, Check] = {}


def check(code: str) -> Callable[[Check], Check]:
    """Register the function that checks DfE rule ``code``."""
    def register(fn: Check) -> Check:
        CHECKS[code] = fn
        return fn
    return register


def _girl(h: pd.DataFrame) -> pd.Series:
    return h["SEX"].isin(["2", "F"])


# Header -------------------------------------------------------------------------------------------

@check("168")
def _upn_invalid(y: ReturnYear) -> pd.Series:
    u = y.hd["UPN"].fillna("").str.upper()
    return (u != "") & ~u.str.match(UPN) & ~u.isin(["UN1", "UN2", "UN3", "UN4", "UN5"])


@check("174")
def _mc_dob_male(y: ReturnYear) -> pd.Series:
    return y.hd["MC_DOB"].notna() & y.hd["SEX"].isin(["1", "M"])


@check("209")
def _un1_school_age(y: ReturnYear) -> pd.Series:
    h = y.header
    school_age = _age(h["DOB"], pd.Timestamp(y.year - 1, 8, 31)) >= 5
    return (h["UPN"].str.upper() == "UN1") & school_age


@check("210")
def _un4_in_care(y: ReturnYear) -> pd.Series:
    h = y.header
    return (h["UPN"].str.upper() == "UN4") & h["in_care_week"]


@check("232")
def _sex_unknown(y: ReturnYear) -> pd.Series:
    return y.hd["SEX"] == "U"


@check("301")
def _dob_after_year(y: ReturnYear) -> pd.Series:
    return y.hd["DOB"] > y.end


@check("351")
def _over_25(y: ReturnYear) -> pd.Series:
    return y.header["age_start"] > 25


@check("393")
def _mother_missing_in_care(y: ReturnYear) -> pd.Series:
    h = y.header
    return _girl(h) & (h["age_end"] >= 12) & h["in_care_end"] & _blank(h["MOTHER"])


@check("607")
def _mother_missing_left(y: ReturnYear) -> pd.Series:
    h = y.header
    return _girl(h) & (_age(h["DOB"], h["last_dec"]) >= 12) & h["left_in_year"] & _blank(h["MOTHER"])


@check("442")
def _upn_missing(y: ReturnYear) -> pd.Series:
    return _blank(y.hd["UPN"])


@check("444")
def _upn_duplicate(y: ReturnYear) -> pd.Series:
    u = y.hd["UPN"].fillna("").str.upper()
    real = (u != "") & ~u.str.startswith("UN")
    return real & u.duplicated(keep=False) & ~y.hd["CHILD"].duplicated(keep=False)


@check("611")
def _mother_no_mc_dob(y: ReturnYear) -> pd.Series:
    return (y.hd["MOTHER"] == "1") & _blank(y.hd["MC_DOB_raw"])


@check("612")
def _mc_dob_not_mother(y: ReturnYear) -> pd.Series:
    return y.hd["MC_DOB"].notna() & (y.hd["MOTHER"] != "1") & _girl(y.hd)


@check("620")
def _mother_under_11(y: ReturnYear) -> pd.Series:
    h = y.header
    return (h["MOTHER"] == "1") & (h["age_start"] < 11)


@check("621")
def _mother_younger(y: ReturnYear) -> pd.Series:
    return y.hd["MC_DOB"].notna() & y.hd["DOB"].notna() & (y.hd["MC_DOB"] <= y.hd["DOB"])


@check("625")
def _mc_dob_after_care(y: ReturnYear) -> pd.Series:
    h = y.header
    after_left = h["last_dec"].notna() & ~h["in_care_end"] & (h["MC_DOB"] > h["last_dec"])
    return h["MC_DOB"].notna() & ((h["MC_DOB"] > y.end) | after_left)


@check("EPI")
def _no_episodes(y: ReturnYear) -> pd.Series:
    h = y.header
    return (h["CHILD"] != "") & ~h["has_episodes"]


# UASC ---------------------------------------------------------------------------------------------

@check("231")
def _uasc_young(y: ReturnYear) -> pd.Series:
    return _age(y.ua["DOB"], y.end) < 10


@check("304")
def _duc_after_18(y: ReturnYear) -> pd.Series:
    eighteen = y.ua["DOB"] + pd.DateOffset(years=18)
    return y.ua["DUC"].notna() & y.ua["DOB"].notna() & (y.ua["DUC"] > eighteen)


@check("INT18")
def _uasc_dob_differs(y: ReturnYear) -> pd.Series:
    header_dob = pd.to_datetime(looked_up(y.ua["CHILD"], y.dob_of))
    return header_dob.notna() & y.ua["DOB"].notna() & (header_dob != y.ua["DOB"])


@check("INT21")
def _uasc_sex_differs(y: ReturnYear) -> pd.Series:
    header_sex = looked_up(y.ua["CHILD"], y.sex_of).replace(SEX_MEANS)
    sex = y.ua["SEX"].replace(SEX_MEANS)
    return header_sex.notna() & (sex != "") & (header_sex != sex)


@check("INT36")
def _uasc_repeated(y: ReturnYear) -> pd.Series:
    return (y.ua["CHILD"] != "") & y.ua["CHILD"].duplicated(keep="first")


# Episodes: places, providers and the provider's registration ---------------------------------------

def _p(y: ReturnYear, *codes: str) -> pd.Series:
    return y.ep["PLACE"].isin(codes)


@check("214")
def _location_not_required(y: ReturnYear) -> pd.Series:
    e = y.ep
    return e["LS"].isin(RESPITE) & (~_blank(e["PL_POST"]) | ~_blank(e["URN"]))


@check("217")
def _adoption_with_carers_rne(y: ReturnYear) -> pd.Series:
    e = y.ep
    return _p(y, "A3", "A5") & (e["DECOM"] >= pd.Timestamp(2015, 4, 1)) & ~e["RNE"].isin(["S", "T", "U"])


@check("217t")
def _p2_after_october_2023(y: ReturnYear) -> pd.Series:
    return _p(y, "P2") & (y.ep["DECOM"] >= pd.Timestamp(2023, 10, 28))


def _registered(y: ReturnYear) -> pd.Series:
    places = ["K1", "K2"] + (["K3"] if y.year >= 2025 else [])
    return y.ep["PLACE"].isin(places) & (y.ep["PLACE_PROVIDER"] != "PR3")


@check("218")
def _urn_required(y: ReturnYear) -> pd.Series:
    return _registered(y) & _blank(y.ep["URN"]) & ~y.ep["LS"].isin(RESPITE)


@check("222")
def _urn_not_expected(y: ReturnYear) -> pd.Series:
    not_registered = ["P1", "R2", "R5", "Z1", "Z11", "Z12", "Z13", "Z14", *TEMPORARY]
    urn = y.ep["URN"].fillna("").str.upper()
    return y.ep["PLACE"].isin(not_registered) & (urn != "") & (urn != "XXXXXXX")


@check("230")
def _h5_urn_required(y: ReturnYear) -> pd.Series:
    e = y.ep
    open_after = e["DEC"].isna() | (e["DEC"] >= pd.Timestamp(2023, 10, 28))
    return _p(y, "H5") & open_after & _blank(e["URN"])


@check("242")
def _urn_xxxxxxx(y: ReturnYear) -> pd.Series:
    return (y.ep["URN"].fillna("").str.upper() == "XXXXXXX") & ~y.ep["PLACE"].isin(ADOPTION)


@check("336")
def _adoption_not_from_foster(y: ReturnYear) -> pd.Series:
    e = y.ep
    continues = e["same_prev"] & (e["prev_REC"] == "X1") & (e["prev_DEC"] == e["DECOM"])
    return _p(y, "A3", "A5") & continues & ~e["prev_PLACE"].isin(FOSTER)


# Episodes: ages -----------------------------------------------------------------------------------

def _younger(y: ReturnYear, places: list[str], age: int) -> pd.Series:
    return y.ep["PLACE"].isin(places) & (y.ep["age_decom"] < age)


@check("358")
def _ls_under_10(y: ReturnYear) -> pd.Series:
    return y.ep["LS"].isin(["J1", "J2", "J3"]) & (y.ep["age_decom"] < 10)


@check("359")
def _over_18_not_s20_home(y: ReturnYear) -> pd.Series:
    e = y.ep
    eighteen = e["DOB"] + pd.DateOffset(years=18)
    after_18 = e["DEC"].isna() & (eighteen <= y.end)
    return after_18 & ~(e["LS"].eq("V2") & e["PLACE"].isin(["K1", "K2", "R1", "H5", "K3"]))


@check("370")
def _p2_under_16(y: ReturnYear) -> pd.Series:
    return _younger(y, ["P2"], 16)


@check("371")
def _supported_under_16(y: ReturnYear) -> pd.Series:
    return _younger(y, ["H5", "K3"], 16)


@check("372")
def _custody_under_10(y: ReturnYear) -> pd.Series:
    return _younger(y, ["R5"], 10)


@check("373")
def _school_under_4(y: ReturnYear) -> pd.Series:
    return _younger(y, ["S1"], 4)


@check("374")
def _employment_under_14(y: ReturnYear) -> pd.Series:
    return _younger(y, ["P3"], 14)


def _ceased(y: ReturnYear, recs: list[str]) -> pd.Series:
    return y.ep["REC"].isin(recs) & y.ep["DEC"].notna()


@check("386")
def _adopted_over_18(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E11", "E12"]) & (y.ep["age_dec"] >= 18)


@check("387")
def _independent_under_14(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E5", "E6"]) & (y.ep["age_dec"] < 14)


@check("389")
def _adult_care_under_16(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E7"]) & (y.ep["age_dec"] < 16)


@check("407")
def _sgo_over_18(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E45", "E46", "E47", "E48"]) & (y.ep["age_dec"] >= 18)


@check("460")
def _stayed_put_under_18(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E17"]) & (y.ep["age_dec"] < 18)


@check("234")
def _custody_change_under_10(y: ReturnYear) -> pd.Series:
    return (y.ep["REASON_PLACE_CHANGE"] == "CUSTOD") & (y.ep["age_dec"] < 10)


# Episodes: lengths --------------------------------------------------------------------------------

def _longer(y: ReturnYear, column: str, codes: list[str], days: int) -> pd.Series:
    return y.ep[column].isin(codes) & (y.ep["days"] > days)


@check("355")
def _under_24_hours(y: ReturnYear) -> pd.Series:
    return y.ep["days"] == 0


@check("361")
def _l1_over_72h(y: ReturnYear) -> pd.Series:
    return _longer(y, "LS", ["L1"], 3)


@check("362")
def _l2_over_21d(y: ReturnYear) -> pd.Series:
    return _longer(y, "LS", ["L2"], 21)


@check("363")
def _l3_over_7d(y: ReturnYear) -> pd.Series:
    return _longer(y, "LS", ["L3"], 7)


@check("364")
def _j2_too_long(y: ReturnYear) -> pd.Series:
    return _longer(y, "LS", ["J2"], 1)


@check("365")
def _v3_over_17d(y: ReturnYear) -> pd.Series:
    return _longer(y, "LS", ["V3"], 17)


@check("375")
def _t1_over_6w(y: ReturnYear) -> pd.Series:
    return _longer(y, "PLACE", ["T1"], 42)


@check("376")
def _t3_over_3w(y: ReturnYear) -> pd.Series:
    return _longer(y, "PLACE", ["T3"], 21)


@check("379")
def _t4_over_7d(y: ReturnYear) -> pd.Series:
    return _longer(y, "PLACE", ["T4"], 7)


@check("367")
def _v3_over_75_days(y: ReturnYear) -> pd.Series:
    e = y.ep
    v3 = e["LS"] == "V3"
    start = e["DECOM"].clip(lower=y.start)
    days = ((e["DEC"].fillna(y.end) - start).dt.days + 1).where(v3, 0)
    total = days.groupby(e["CHILD"]).transform("sum")
    last = e.index.isin(e[v3].groupby("CHILD").tail(1).index)
    return v3 & (total > 75) & last


@check("377")
def _t3_more_than_two(y: ReturnYear) -> pd.Series:
    t3 = y.ep["PLACE"] == "T3"
    count = t3.groupby(y.ep["CHILD"]).cumsum()
    return t3 & (count > 2)


# Episodes: legal status, temporary placements and respite -------------------------------------------

@check("378")
def _p1_under_v2(y: ReturnYear) -> pd.Series:
    return _p(y, "P1") & (y.ep["LS"] == "V2")


@check("382")
def _respite_temporary(y: ReturnYear) -> pd.Series:
    return y.ep["LS"].isin(RESPITE) & y.ep["PLACE"].isin(TEMPORARY)


@check("383")
def _temporary_no_return(y: ReturnYear) -> pd.Series:
    e = y.ep
    temp = e["PLACE"].isin(TEMPORARY) & e["same_prev"] & e["same_next"]
    back = (e["prev_PLACE"] == e["next_PLACE"]) & (e["prev_PL_POST"].fillna("") == e["next_PL_POST"].fillna(""))
    return temp & ~back


@check("384")
def _respite_long_term_foster(y: ReturnYear) -> pd.Series:
    return y.ep["LS"].isin(RESPITE) & _p(y, "U1", "U4")


@check("366")
def _v3_placement_change(y: ReturnYear) -> pd.Series:
    return (y.ep["LS"] == "V3") & (y.ep["RNE"] != "S")


@check("408")
def _adoption_no_placement_order(y: ReturnYear) -> pd.Series:
    return _p(y, "A5", "A6") & ~y.ep["LS"].isin(["E1", "D1"])


@check("426")
def _v3_and_v4(y: ReturnYear) -> pd.Series:
    e = y.ep
    v3 = distinct(e.loc[e["LS"] == "V3", "CHILD"])
    v4 = distinct(e.loc[e["LS"] == "V4", "CHILD"])
    return e["LS"].isin(RESPITE) & e["CHILD"].isin(v3 & v4)


@check("445")
def _d1_after_2005(y: ReturnYear) -> pd.Series:
    return (y.ep["LS"] == "D1") & (y.ep["DECOM"] > pd.Timestamp(2005, 12, 30))


@check("446")
def _e1_before_2005(y: ReturnYear) -> pd.Series:
    return (y.ep["LS"] == "E1") & (y.ep["DECOM"] < pd.Timestamp(2005, 12, 30))


@check("451")
def _still_freed(y: ReturnYear) -> pd.Series:
    return (y.ep["LS"] == "D1") & y.ep["DEC"].isna()


# Episodes: how episodes follow each other ---------------------------------------------------------

def _continues(y: ReturnYear) -> pd.Series:
    e = y.ep
    return e["same_prev"] & (e["prev_REC"] == "X1") & (e["prev_DEC"] == e["DECOM"])


PLACEMENT = ("PLACE", "PL_POST", "URN", "PLACE_PROVIDER")


@check("431")
def _s_after_same_day_end(y: ReturnYear) -> pd.Series:
    e = y.ep
    return (e["RNE"] == "S") & e["same_prev"] & (e["prev_DEC"] == e["DECOM"])


@check("434")
def _rne_l_mismatch(y: ReturnYear) -> pd.Series:
    return (y.ep["RNE"] == "L") & _continues(y) & (~y.changed(("LS",)) | y.changed(PLACEMENT))


@check("435")
def _rne_p_t_mismatch(y: ReturnYear) -> pd.Series:
    return y.ep["RNE"].isin(["P", "T"]) & _continues(y) & (y.changed(("LS",)) | ~y.changed(PLACEMENT))


@check("436")
def _rne_b_u_mismatch(y: ReturnYear) -> pd.Series:
    return y.ep["RNE"].isin(["B", "U"]) & _continues(y) & (~y.changed(("LS",)) | ~y.changed(PLACEMENT))


@check("437")
def _episodes_after_final(y: ReturnYear) -> pd.Series:
    return y.ep["REC"].isin(["E2", "E15"]) & y.ep["same_next"]


@check("225")
def _place_change_reason_missing(y: ReturnYear) -> pd.Series:
    e = y.ep
    moves = (e["REC"] == "X1") & e["same_next"] & e["next_RNE"].isin(["P", "B", "T", "U"])
    return moves & ~e["next_PLACE"].isin(TEMPORARY) & ~e["PLACE"].isin(TEMPORARY) & _blank(
        e["REASON_PLACE_CHANGE"])


@check("226")
def _place_change_reason_temporary(y: ReturnYear) -> pd.Series:
    return y.ep["PLACE"].isin(TEMPORARY) & ~_blank(y.ep["REASON_PLACE_CHANGE"])


@check("233")
def _place_change_reason_open(y: ReturnYear) -> pd.Series:
    return y.ep["DEC"].isna() & ~_blank(y.ep["REASON_PLACE_CHANGE"])


@check("504")
def _cin_changed(y: ReturnYear) -> pd.Series:
    return y.ep["CIN"] != y.ep["period_cin"]


@check("390")
def _adopted_not_placed(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E11", "E12"]) & ~y.ep["PLACE"].isin(ADOPTION)


@check("516")
def _sgo_foster_not_fostered(y: ReturnYear) -> pd.Series:
    return _ceased(y, ["E45", "E46"]) & ~y.ep["PLACE"].isin(FOSTER)


@check("353")
def _decom_before_1991(y: ReturnYear) -> pd.Series:
    return y.ep["DECOM"] < pd.Timestamp(1991, 10, 14)


# Header: against last year's return ------------------------------------------------------------------

LAST_YEAR = ("SEX", "DOB", "ETHNIC", "MOTHER", "UPN")  # the Header's fields compared with last year's


def _differs(now: pd.Series, last: pd.Series, unknown: tuple[str, ...] = ()) -> pd.Series:
    """Both years give a value (neither blank nor one of ``unknown``) and they differ."""
    now, last = now.fillna("").astype(str).str.strip(), last.fillna("").astype(str).str.strip()
    given = (now != "") & (last != "") & ~now.isin(unknown) & ~last.isin(unknown)
    return given & (now != last)


@check("202")
def _sex_differs_from_last_year(y: ReturnYear) -> pd.Series:
    h = y.header
    return _differs(h["SEX"].replace(SEX_MEANS), h["SEX_last"].replace(SEX_MEANS), ("U",))


@check("203")
def _dob_differs_from_last_year(y: ReturnYear) -> pd.Series:
    h = y.header
    return h["DOB"].notna() & h["DOB_last"].notna() & (h["DOB"] != h["DOB_last"])


@check("204")
def _ethnic_differs_from_last_year(y: ReturnYear) -> pd.Series:
    h = y.header
    return _differs(h["ETHNIC"], h["ETHNIC_last"], ("NOBT", "REFU"))


@check("207")
def _no_longer_a_mother(y: ReturnYear) -> pd.Series:
    h = y.header
    return (h["MOTHER_last"].fillna("") == "1") & (h["MOTHER"].fillna("") == "0")


@check("208")
def _upn_differs_from_last_year(y: ReturnYear) -> pd.Series:
    h = y.header
    return _differs(h["UPN"].str.upper(), h["UPN_last"].str.upper(), ("UN1", "UN2", "UN3", "UN4", "UN5"))


# Episodes: against last year's return ----------------------------------------------------------------

@check("199")
def _previously_adopted(y: ReturnYear) -> pd.Series:
    if y.previous is None:
        return pd.Series(False, index=y.ep.index)
    adopted = set(y.previous.loc[y.previous["REC"].isin(["E11", "E12"]), "CHILD"])
    return y.ep["CHILD"].isin(adopted) & ~y.ep["same_prev"]


@check("503D")
def _place_not_carried(y: ReturnYear) -> pd.Series:
    if y.previous is None:
        return pd.Series(False, index=y.ep.index)
    prev = y.previous[y.previous["DEC"].isna() & (y.previous["CHILD"] != "")]
    place = prev.drop_duplicates(["CHILD", "DECOM"]).set_index(["CHILD", "DECOM"])["PLACE"]
    keys = pd.MultiIndex.from_arrays([y.ep["CHILD"], y.ep["DECOM"]])
    y.ep["prev_year_place"] = place.reindex(keys).to_numpy()
    before = y.ep["prev_year_place"].astype(object)
    recoded = before.map(lambda p: RECODED.get(y.year, {}).get(p, p))
    return y.ep["prev_year_place"].notna() & (recoded != y.ep["PLACE"].str[:len("Z1")].where(
        y.ep["PLACE"].str.startswith("Z1"), y.ep["PLACE"]))


# Episodes: postcodes ----------------------------------------------------------------------------------

def _not_respite_or_uasc(y: ReturnYear) -> pd.Series:
    uasc = set(y.ua["CHILD"]) if len(y.ua) else set()
    return ~y.ep["LS"].isin(RESPITE) & ~y.ep["CHILD"].isin(uasc)


@check("392b")
def _postcodes_missing(y: ReturnYear) -> pd.Series:
    e = y.ep
    return _not_respite_or_uasc(y) & _blank(e["HOME_POST"]) & _blank(e["PL_POST"])


def _bad_postcode(s: pd.Series) -> pd.Series:
    text = s.fillna("").str.upper().str.strip()
    return (text != "") & ~text.str.match(POSTCODE)


@check("392c")
def _postcode_invalid(y: ReturnYear) -> pd.Series:
    e = y.ep
    bad_home, bad_place = _bad_postcode(e["HOME_POST"]), _bad_postcode(e["PL_POST"])
    e["bad_postcode"] = np.where(bad_home, e["HOME_POST"], e["PL_POST"])
    return bad_home | bad_place


@check("392d")
def _postcodes_same(y: ReturnYear) -> pd.Series:
    e = y.ep
    home = e["HOME_POST"].fillna("").str.replace(" ", "").str.upper()
    place = e["PL_POST"].fillna("").str.replace(" ", "").str.upper()
    return (home != "") & (home == place) & ~_p(y, "P1")


@check("398")
def _postcodes_for_respite(y: ReturnYear) -> pd.Series:
    e = y.ep
    return e["LS"].isin(RESPITE) & (~_blank(e["HOME_POST"]) | ~_blank(e["PL_POST"]))


def _what(y: ReturnYear) -> None:
    """Say, for every episode, what changed from the previous one (for the messages of 434-436)."""
    ls, place = y.changed(("LS",)), y.changed(PLACEMENT)
    y.ep["what"] = np.select([ls & place, ls, place], ["both the legal status and the placement changed",
                                                       "only the legal status changed", "only the placement changed"],
                             "neither the legal status nor the placement changed")


def _shown(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(y: ReturnYear, name: str) -> pd.DataFrame:
    return {"Episodes": y.ep, "Header": y.header, "UASC": y.ua}[name]


def check_year(y: ReturnYear, catalogue: Catalogue | None = None) -> list[Finding]:
    """Every DfE rule that applies to the year's return, as findings carrying the DfE code."""
    catalogue = catalogue or load_catalogue()
    _what(y)
    out: list[Finding] = []
    for code, rule in catalogue.checks.items():
        if y.year not in rule.years or rule.column in y.missing.get(rule.table, ()):
            continue
        table = _table(y, rule.table)
        if table.empty:
            continue
        mask = CHECKS[code](y).reindex(table.index, fill_value=False).fillna(False).astype(bool)
        if not mask.any():
            continue
        rows = table[mask]
        severity = ERROR if rule.severity == "error" else WARNING
        for rec in rows.to_dict("records"):
            value = "(child id withheld)" if rule.column == "CHILD" else _shown(rec.get(rule.column))
            text = rule.message.format_map({k: _shown(v) for k, v in rec.items()})
            out.append(Finding(str(rec["_source"]), int(rec["_line"]), rule.column, value, rule.id, severity,
                               text, code, str(rec.get("CHILD") or "")))
    return out


def coverage(published: pd.DataFrame) -> pd.DataFrame:
    """Rules implemented of rules published, by table, from the DfE's rule list (year, code, tables).

    A rule is counted under each of its tables; "implemented" is checked here or by Placecast's own
    checks; "not checkable" needs data a return does not hold.
    """
    catalogue = load_catalogue()
    rows = []
    for table in ("Header", "Episodes", "UASC"):
        pub = published[published["tables"].str.split(";").map(lambda t, tb=table: tb in t)]
        codes = set(pub["code"].astype(str))
        done = codes & (set(catalogue.checks) | set(catalogue.native))
        rows.append({"table": table, "published": len(codes), "implemented": len(done),
                     "not_checkable": len(codes & set(catalogue.not_checked))})
    return pd.DataFrame(rows)

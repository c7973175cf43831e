"""Assembly of validated returns into one clean episode history with periods of care.

Rules, applied in this order (each change is written to the repairs table with the source file and
line; no source row is dropped without a record):

1. Rows without a usable CHILD or DECOM are quarantined (kept in the sources table, not in the history).
2. Exact duplicate rows, and repeated (CHILD, DECOM) rows within one return, keep the first.
3. The same episode (CHILD + DECOM) in several returns: the latest return wins.
4. An open episode followed by another episode of the same child is closed: on the next DECOM with
   REC X1 if the next episode continues the period, otherwise the day before the next period starts
   (or 31 March of its return, if earlier) with REC E99 ("closed by repair").
5. An open episode missing from the next return (child absent from every later return) is closed
   at 31 March of its return with REC E99.
6. An episode that overlaps the next one is cut back to the next DECOM.
7. An X1 episode followed by a continuation after a gap is extended to the next DECOM.
8. An X1 episode with nothing after it is kept, and the period treated as ending at its DEC.
9. An unreadable DEC is treated as blank (open) before rules 4-5 apply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from placecast.ssda903.codelists import CodeLists, collection_year_end, collection_year_start, load_code_lists
from placecast.ssda903.pseudonym import pseudonymise_together
from placecast.ssda903.read import LINE
from placecast.ssda903.tables import looked_up, per_kind
from placecast.ssda903.taxonomy import Taxonomy, load_taxonomy
from placecast.ssda903.validate import SOURCE, YEAR, ValidatedReturns

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = [
    "child_id", "dob", "sex", "uasc", "period_id", "start", "end", "place", "provider", "ls", "cin",
    "rne", "rec", "reason_place_change", "category", "cost_line", "short_break", "source", "repair",
]
REPAIR_COLUMNS = ["child_id", "source", "action", "field", "old", "new", "why"]
REPAIR_REC = "E99"


@dataclass
class History:
    """The assembled episode history (see ``docs/architecture.md``, "Episode history").

    Examples
    --------
    >>> from placecast.testing import small_history
    >>> {"child_id", "start", "end", "category"} <= set(small_history().episodes.columns)
    True
    """

    episodes: pd.DataFrame
    repairs: pd.DataFrame
    sources: pd.DataFrame
    census_date: date
    years: list[int]
    labels: dict[str, str] = field(default_factory=dict)  # the taxonomy's categories, in order, and their labels

    def summary_dates(self) -> list[date]:
        """The 31 March dates inside the history, then its census date when the last year is not complete (a
        31 March after the data would count every open episode as still open, as if it were known)."""
        ends = [d for d in (collection_year_end(y) for y in self.years) if d <= self.census_date]
        return ends if ends and ends[-1] == self.census_date else [*ends, self.census_date]

    def categories(self) -> list[str]:
        """The placement categories to forecast and report: those of the taxonomy the history was assembled
        with (the built-in one's when it does not say), in its order, with any other category its episodes
        hold before the last. Reading them from the built-in taxonomy alone put a council's own category,
        such as solo residential placements, into 'other' without a word.

        >>> from placecast.testing import small_history
        >>> small_history().categories()[-2:]
        ['adoption', 'other']
        """
        known = list(self.labels) or load_taxonomy().categories
        own = sorted({str(c) for c in self.episodes["category"].dropna().unique()} - set(known))
        return [*known[:-1], *own, known[-1]]

    @property
    def first_day(self) -> date:
        """1 April of the first collection year: before it, only the children still in care then are seen."""
        return collection_year_start(min(self.years))

    def check_covers(self, day: date, what: str) -> None:
        """:class:`UnusableInputError` unless ``day`` lies in the years the returns cover: before them only the
        children still in care at their start are seen, and after them every open episode looks open still."""
        from placecast.errors import UnusableInputError

        if not self.first_day <= day <= self.census_date:
            raise UnusableInputError(f"{what} {day:%d/%m/%Y} is outside the returns, which cover "
                                     f"{self.first_day:%d/%m/%Y} to {self.census_date:%d/%m/%Y}; choose a date "
                                     "between them (before them only the children still in care at their start "
                                     "are seen; after them every placement open at their end looks open still).")


def _fmt(d) -> str:
    return "" if pd.isna(d) else pd.Timestamp(d).strftime("%d/%m/%Y")


class _Repairs:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, child: str, source: str, action: str, field: str, old: str, new: str, why: str) -> None:
        self.rows.append({"child_id": child, "source": source, "action": action, "field": field,
                          "old": old, "new": new, "why": why})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=REPAIR_COLUMNS)


def _select_rows(ep: pd.DataFrame, repairs: _Repairs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply rules 1-3; returns the chosen rows and the fate of every source row."""
    ep = ep.copy()
    ep["source"] = ep[SOURCE].astype(str) + ":" + ep[LINE].astype(str)
    fate = pd.Series("used", index=ep.index, dtype=object)
    unusable = ~ep["_usable"].astype(bool)
    for _, r in ep[unusable].iterrows():
        why = "CHILD is blank" if r["CHILD"] == "" else f"DECOM '{r.get('DECOM_raw', '')}' is not a usable date"
        repairs.add(r["CHILD"], r["source"], "quarantined", "DECOM" if r["CHILD"] else "CHILD", "", "",
                    f"{why}; the row is kept in sources.csv but cannot be placed in the history")
    fate[unusable] = "quarantined"
    ok = ep[~unusable].sort_values([YEAR, SOURCE, LINE], kind="stable")
    same_return = ok.duplicated(subset=["CHILD", "DECOM", YEAR], keep="first")
    for _, r in ok[same_return].iterrows():
        repairs.add(r["CHILD"], r["source"], "duplicate removed", "", "", "",
                    "another row in the same return has the same CHILD and DECOM; the first was kept")
    fate[ok.index[same_return]] = "duplicate"
    ok = ok[~same_return]
    superseded = ok.duplicated(subset=["CHILD", "DECOM"], keep="last")
    fate[ok.index[superseded]] = "superseded by a later return"
    chosen = ok[~superseded]
    sources = pd.DataFrame({"source": ep["source"], "year": ep[YEAR], "child": ep["CHILD"], "fate": fate})
    return chosen, sources


def _chain_candidates(has_next: np.ndarray, decom: np.ndarray, dec: np.ndarray, rec: np.ndarray, rne: np.ndarray,
                      continuation: frozenset[str]) -> np.ndarray:
    """The rows a chain rule may change (a superset, in order): open episodes, overlaps with the next episode,
    X1 endings with a gap before a continuation, and X1 endings of a child's last episode. Every other row
    is left as it is, so the rules need not visit it."""
    open_ = pd.isna(dec)
    next_decom = np.empty_like(decom)
    next_decom[:-1], next_decom[-1:] = decom[1:], np.datetime64("NaT")
    next_cont = np.zeros(len(rne), dtype=bool)
    next_cont[:-1] = pd.Series(rne[1:]).isin(continuation).to_numpy()
    x1 = rec == "X1"
    overlap_or_gap = (dec > next_decom) | (x1 & next_cont & (dec < next_decom))
    changed = open_ | (has_next & overlap_or_gap) | (~has_next & x1)
    return np.flatnonzero(changed)


def _repair_chains(ep: pd.DataFrame, latest_year: int, continuation: frozenset[str], repairs: _Repairs
                   ) -> pd.DataFrame:
    """Rules 4-9 on rows sorted by child and DECOM."""
    ep = ep.sort_values(["CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    child = ep["CHILD"].to_numpy()
    decom = ep["DECOM"].to_numpy()
    dec = ep["DEC"].to_numpy().copy()
    rec = ep["REC"].to_numpy().copy()
    rne = ep["RNE"].to_numpy()
    year = ep[YEAR].to_numpy()
    source = ep["source"].to_numpy()
    note = np.array([""] * len(ep), dtype=object)
    bad_dec = (ep["DEC_raw"].to_numpy() != "") & pd.isna(dec)
    last_year_of_child = ep.groupby("CHILD")[YEAR].transform("max").to_numpy()
    one_day = np.timedelta64(1, "D")
    for b in np.flatnonzero(bad_dec):
        repairs.add(child[b], source[b], "unreadable DEC treated as open", "DEC", str(ep.at[b, "DEC_raw"]), "",
                    "DEC is not a date; the episode is treated as open and closed by the rules below")
        rec[b] = ""
    n = len(ep)
    has_next = np.zeros(n, dtype=bool)
    has_next[:-1] = child[:-1] == child[1:]
    for i in _chain_candidates(has_next, decom, dec, rec, rne, continuation):
        if has_next[i]:
            j = i + 1
            nxt_is_cont = rne[j] in continuation
            if pd.isna(dec[i]):
                if nxt_is_cont:
                    dec[i], rec[i] = decom[j], "X1"
                    repairs.add(child[i], source[i], "open episode closed", "DEC", "", _fmt(dec[i]),
                                "the child has a later continuation episode; closed on its DECOM with REC X1")
                    note[i] = "closed (next continuation)"
                else:
                    year_end = np.datetime64(collection_year_end(int(year[i])))
                    end = min(year_end, decom[j] - one_day)
                    end = max(end, decom[i])
                    dec[i], rec[i] = end, REPAIR_REC
                    repairs.add(child[i], source[i], "open episode closed", "DEC", "", _fmt(end),
                                "the child starts a new period later; closed the day before (or at 31 March of "
                                "its return) with REC E99")
                    note[i] = "closed (new period follows)"
            elif dec[i] > decom[j]:
                old = _fmt(dec[i])
                dec[i] = decom[j]
                if nxt_is_cont and rec[i] != "X1":
                    rec[i] = "X1"
                repairs.add(child[i], source[i], "overlap cut", "DEC", old, _fmt(dec[i]),
                            "the episode overlapped the child's next episode; cut back to its DECOM")
                note[i] = "overlap cut"
            elif rec[i] == "X1" and dec[i] < decom[j] and nxt_is_cont:
                old = _fmt(dec[i])
                dec[i] = decom[j]
                repairs.add(child[i], source[i], "X1 gap closed", "DEC", old, _fmt(dec[i]),
                            "an X1 episode was followed by a continuation after a gap; extended to its DECOM")
                note[i] = "gap closed"
        else:
            if pd.isna(dec[i]) and year[i] < latest_year and last_year_of_child[i] == year[i]:
                end = np.datetime64(collection_year_end(int(year[i])))
                dec[i], rec[i] = end, REPAIR_REC
                repairs.add(child[i], source[i], "open episode closed", "DEC", "", _fmt(end),
                            f"open at 31/03/{int(year[i])} but the child is in no later return; closed at that "
                            "date with REC E99")
                note[i] = "closed (not carried forward)"
            elif rec[i] == "X1" and not pd.isna(dec[i]):
                repairs.add(child[i], source[i], "X1 treated as leaving care", "REC", "X1", "X1",
                            "REC X1 with no following episode; the period is treated as ending on DEC")
                note[i] = "X1 with no continuation"
    ep["DEC"] = dec
    ep["REC"] = rec
    ep["repair"] = note
    return ep


def _periods(ep: pd.DataFrame) -> pd.Series:
    """Number the periods of care within each child: a new period at RNE S, a gap, or an exit."""
    same = ep["CHILD"].eq(ep["CHILD"].shift(1))
    prev_end = ep["DEC"].shift(1)
    prev_rec = ep["REC"].shift(1).fillna("")
    new = ~same | (ep["RNE"] == "S") | (prev_end < ep["DECOM"]) | ((prev_rec != "X1") & (prev_rec != ""))
    return new.astype(int).groupby(ep["CHILD"]).cumsum()


def _categories(ep: pd.DataFrame, taxonomy: Taxonomy, codes: CodeLists, period_key: pd.Series) -> pd.Series:
    legacy = codes.fields["PLACE"].legacy

    def category(place: str, provider: str) -> str | None:
        return taxonomy.category_of(legacy.get(place, place), provider)

    cat = pd.Series(per_kind(ep[["PLACE", "PLACE_PROVIDER"]], category), index=ep.index, dtype=object)
    # Temporary placements take the category of the placement around them, within the period.
    filled = cat.groupby(period_key).ffill()
    filled = filled.groupby(period_key).bfill()
    return filled.fillna(taxonomy.fallback)


def assemble(validated: ValidatedReturns, key: bytes, taxonomy: Taxonomy | None = None,
             codes: CodeLists | None = None) -> History:
    """Build the clean episode history from validated returns.

    Parameters
    ----------
    validated : the returns, read and validated (:func:`~placecast.ssda903.validate`).
    key : the pseudonymisation key for CHILD ids.
    taxonomy : placement categories (default: the built-in taxonomy).
    codes : code lists by collection year (default: the built-in ones).

    Returns
    -------
    History
        One row per episode with its category, source and any repair; the repairs; the census date.

    Examples
    --------
    >>> from placecast.ssda903 import validate
    >>> from placecast.testing import example_returns
    >>> assemble(validate([example_returns()]), b"k").census_date
    datetime.date(2025, 3, 31)
    """
    taxonomy = taxonomy or load_taxonomy()
    codes = codes or load_code_lists()
    repairs = _Repairs()
    years = validated.years
    if validated.episodes.empty or not years:
        empty = empty_history()
        census = collection_year_end(max(years)) if years else date.today()
        return History(empty, repairs.frame(), pd.DataFrame(columns=["source", "year", "child", "fate"]),
                       census, years, _labels(taxonomy))
    chosen, sources = _select_rows(validated.episodes, repairs)
    legacy = codes.fields["PLACE"].legacy
    for _, r in chosen[chosen["PLACE"].isin(list(legacy))].iterrows():
        repairs.add(r["CHILD"], r["source"], "legacy code mapped", "PLACE", r["PLACE"], legacy[r["PLACE"]],
                    "legacy placement code replaced by its modern equivalent")
    chosen = chosen.assign(PLACE=chosen["PLACE"].map(lambda p: legacy.get(p, p)))
    ep = _repair_chains(chosen, max(years), codes.continuation_rne, repairs)
    period_no = _periods(ep)
    period_key = ep["CHILD"] + "#" + period_no.astype(str)
    category = _categories(ep, taxonomy, codes, period_key)

    rep = repairs.frame()
    ids, rep_ids, source_ids = pseudonymise_together(key, ep["CHILD"], rep["child_id"], sources["child"])
    if len(rep):
        rep["child_id"] = rep_ids
    sources = sources.assign(child=source_ids).rename(columns={"child": "child_id"})
    out = _episode_table(ep, validated, ids, period_no, category, codes)
    return History(out[HISTORY_COLUMNS].reset_index(drop=True), rep, sources.reset_index(drop=True),
                   collection_year_end(max(years)), years, _labels(taxonomy))


def _labels(taxonomy: Taxonomy) -> dict[str, str]:
    """The taxonomy's categories in order, each with its label."""
    labels = taxonomy.labels()
    return {category: labels.get(category, category) for category in taxonomy.categories}


def _episode_table(ep: pd.DataFrame, validated: ValidatedReturns, ids: pd.Series, period_no: pd.Series,
                   category: pd.Series, codes: CodeLists) -> pd.DataFrame:
    """The history's episode rows: pseudonymised ids, month of birth, sex and UASC from the header and UASC
    tables (each child's latest header row), and the episode's fields, category and provenance."""
    hd = validated.header
    hd = hd[hd["CHILD"] != ""].sort_values([YEAR, LINE]).drop_duplicates("CHILD", keep="last")
    dob = looked_up(ep["CHILD"], hd.set_index("CHILD")["DOB"])
    sex = looked_up(ep["CHILD"], hd.set_index("CHILD")["SEX"].replace(codes.fields["SEX"].meanings()))
    uasc_children = set(validated.uasc["CHILD"]) if len(validated.uasc) else set()
    return pd.DataFrame({
        "child_id": ids,
        "dob": pd.to_datetime(dob, errors="coerce").dt.to_period("M").dt.to_timestamp(),
        "sex": sex.fillna(""),
        "uasc": ep["CHILD"].isin(uasc_children),
        "period_id": ids + "-" + period_no.astype(str),
        "start": pd.to_datetime(ep["DECOM"]),
        "end": pd.to_datetime(ep["DEC"]),
        "place": ep["PLACE"],
        "provider": ep["PLACE_PROVIDER"],
        "ls": ep["LS"],
        "cin": ep["CIN"],
        "rne": ep["RNE"],
        "rec": ep["REC"],
        "reason_place_change": ep["REASON_PLACE_CHANGE"],
        "category": category,
        "cost_line": category,
        "short_break": ep["LS"].isin(list(codes.short_break_legal_status)),
        "source": ep["source"],
        "repair": ep["repair"],
    })


def known_at(history: History, day: date) -> History:
    """The history as it was known at the end of ``day``: later starts dropped, later ends (and their
    reasons) left open, census date ``day``. A quarter's report uses what was known at the quarter end."""
    if day >= history.census_date:
        return history
    years = [y for y in history.years if date(y - 1, 4, 1) <= day]
    return History(episodes_known_at(history.episodes, day).reset_index(drop=True), history.repairs,
                   history.sources, day, years, history.labels)


def episodes_known_at(episodes: pd.DataFrame, day: date | pd.Timestamp) -> pd.DataFrame:
    """A copy of the episodes as known at the end of ``day``: later starts dropped, later ends (and their
    reasons) left open."""
    ts = pd.Timestamp(day)
    ep = episodes[episodes["start"] <= ts].copy()
    later = ep["end"] > ts
    ep.loc[later, "end"] = pd.NaT
    ep.loc[later, "rec"] = ""
    return ep


def empty_history() -> pd.DataFrame:
    """A history with no episodes, with the right column types."""
    dtypes = {"dob": "datetime64[ns]", "start": "datetime64[ns]", "end": "datetime64[ns]", "uasc": bool,
              "short_break": bool}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, object)) for c in HISTORY_COLUMNS})


def count_in_care(episodes: pd.DataFrame, day: date, categories: list[str]) -> dict[str, int]:
    """Children looked after on ``day`` by category, as the DfE counts at 31 March.

    A child is counted when an episode has started on or before the day and has not ended by it
    (no end, or an end after the day); short breaks (V3/V4) are excluded.
    """
    return counts_in_care(episodes, [day], categories)[0]


def counts_in_care(episodes: pd.DataFrame, days: Sequence[date], categories: list[str]) -> list[dict[str, int]]:
    """``count_in_care`` on each of ``days``, the episodes prepared once: ``categories`` in order, any other
    category found after them (most children first), and ``total``. A child with two live episodes on a
    day is counted once, in the category of the later row."""
    ep = episodes[~episodes["short_break"].astype(bool)]
    start = ep["start"].to_numpy("datetime64[ns]")
    end = ep["end"].to_numpy("datetime64[ns]")
    child = pd.factorize(ep["child_id"])[0]
    cat, names = pd.factorize(ep["category"])
    out = []
    for day in days:
        ts = np.datetime64(pd.Timestamp(day).to_datetime64(), "ns")
        live = np.flatnonzero((start <= ts) & (np.isnat(end) | (end > ts)))[::-1]
        keep = live[np.unique(child[live], return_index=True)[1]]
        counts = np.bincount(cat[keep][cat[keep] >= 0], minlength=len(names))
        found = {str(names[i]): int(counts[i]) for i in np.argsort(-counts, kind="stable") if counts[i]}
        row = {c: found.pop(c, 0) for c in categories}
        out.append({**row, **found, "total": int(len(keep))})
    return out


def summarise(history: History, taxonomy: Taxonomy | None = None, dates: list[date] | None = None
              ) -> pd.DataFrame:
    """``date, category, children`` at each 31 March covered and at the census date when later (plus a
    ``total`` row per date).

    Parameters
    ----------
    history : the assembled history.
    taxonomy : placement categories (default: the history's own, :meth:`History.categories`).
    dates : the dates to count at (default: :meth:`History.summary_dates`).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from placecast.testing import small_history
    >>> summarise(small_history())["date"].iloc[-1]
    '2025-03-31'
    """
    categories = taxonomy.categories if taxonomy else history.categories()
    rows = []
    for day in dates or history.summary_dates():
        for cat, n in count_in_care(history.episodes, day, categories).items():
            rows.append({"date": day.isoformat(), "category": cat, "children": n})
    return pd.DataFrame(rows, columns=["date", "category", "children"])

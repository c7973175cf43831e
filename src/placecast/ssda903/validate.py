"""Validation of SSDA903 returns: structure, codes by collection year, chaining, cross-table rules.

Every finding names the file, the spreadsheet line (header = 1), the column, the raw value, the
rule, its severity and what to do. Validation never stops at the first problem: it collects all.
The normalised tables it builds are handed to assembly, so nothing is parsed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from placecast.ssda903.codelists import CodeLists, collection_year_end, collection_year_start, load_code_lists
from placecast.ssda903.dates import FORMATS, describe_bad_date, parse_dates, parse_other_formats
from placecast.ssda903.findings import Finding, Findings, finding
from placecast.ssda903.read import LINE, RawTable, ReturnSet
from placecast.ssda903.tables import (
    CODE_COLUMNS,
    DATE_COLUMNS,
    REQUIRED_COLUMNS,
    TABLE_COLUMNS,
    distinct,
    members,
    per_kind,
)

logger = logging.getLogger(__name__)

SOURCE = "_source"
YEAR = "_year"


@dataclass
class ValidatedReturns:
    """Normalised tables from every file, plus all findings.

    ``episodes`` has the Episodes columns with codes upper-cased, ``DECOM``/``DEC`` parsed into
    dates (NaT where blank or invalid), and ``_source``, ``_line``, ``_year`` and ``_usable``
    (False where CHILD or DECOM cannot be used). ``header`` and ``uasc`` likewise.
    """

    episodes: pd.DataFrame
    header: pd.DataFrame
    uasc: pd.DataFrame
    findings: Findings
    years: list[int]

    @property
    def error_count(self) -> int:
        """The number of errors found."""
        return len(self.findings.errors)


def _emit(rows: pd.DataFrame, source_col: str, column: str, rule: str, message, value_col: str | None = None
          ) -> list[Finding]:
    """Findings for every row of ``rows``; ``message`` is a string or a function of the row."""
    if rows.empty:  # most checks find nothing, and an empty table's records still cost pandas' overhead
        return []
    out = []
    vcol = value_col or column
    for rec in rows.to_dict("records"):
        value = "" if vcol not in rec or rec[vcol] is None or (isinstance(rec[vcol], float) and np.isnan(rec[vcol])) \
            else str(rec[vcol])
        if isinstance(rec.get(vcol), pd.Timestamp):
            value = rec[vcol].strftime("%d/%m/%Y")
        elif rec.get(vcol) is pd.NaT:
            value = ""
        text = message(rec) if callable(message) else message
        out.append(finding(rec[source_col], rec[LINE], column, value, rule, text, str(rec.get("CHILD") or "")))
    return out


def _year_label(year: int) -> str:
    return f"{year - 1}/{year % 100:02d}"


def _fmt(day) -> str:
    return "" if pd.isna(day) else pd.Timestamp(day).strftime("%d/%m/%Y")


def _normalise(table: RawTable, codes: CodeLists, out: list[Finding]) -> pd.DataFrame:
    """Upper-case codes, parse dates, check blanks, dates and codes cell by cell."""
    df = table.data.copy()
    df[SOURCE] = table.source
    df[YEAR] = table.year
    name = table.table
    for col in REQUIRED_COLUMNS.get(name, ()):
        if col in table.missing_columns:
            continue
        blank = df[col] == ""
        if blank.any():
            out.extend(_emit(df[blank], SOURCE, col, "VALUE_MISSING",
                             f"{col} may not be blank in the {name} table. Fill it in from the case record."))
    other: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    dates = {col: parse_dates(df[col]) for col in DATE_COLUMNS.get(name, ())}
    file_format = _file_date_format(df, dates)
    for col, (parsed, bad_format, impossible) in dates.items():
        raw = df[col]
        if bad_format.any() and file_format:  # a file written in ISO or Excel day numbers: read, one warning
            alt, kind = parse_other_formats(raw, bad_format)
            read = kind == file_format
            parsed = parsed.where(~read, alt)
            bad_format &= ~read
            for k in kind[read].unique():
                other.setdefault(k, []).append(col)
                counts[k] = counts.get(k, 0) + int((kind == k).sum())
        if bad_format.any():
            out.extend(_emit(df[bad_format], SOURCE, col, "DATE_FORMAT", lambda r, c=col: describe_bad_date(r[c])))
        if impossible.any():
            out.extend(_emit(df[impossible], SOURCE, col, "DATE_IMPOSSIBLE",
                             lambda r, c=col: f"'{r[c]}' is not a real date. Correct the day or month (dd/mm/yyyy)."))
        df[col + "_raw"] = raw
        df[col] = parsed
    us = _us_date_order(dates, df)
    if us:
        out.append(finding(table.source, 0, ", ".join(dates), "mm/dd/yyyy", "DATE_FORMAT_US", us))
    for k, cols in other.items():
        out.append(finding(table.source, 0, ", ".join(cols), FORMATS[k], "DATE_FORMAT_FILE",
                           f"{counts[k]:,} dates in {', '.join(cols)} are written as {FORMATS[k]}, not dd/mm/yyyy. "
                           "They were read as such, which is unambiguous; export the table with dd/mm/yyyy dates "
                           "before sending it to the DfE."))
    for col in CODE_COLUMNS.get(name, ()):
        if col in table.missing_columns:
            continue
        df[col] = df[col].str.upper()
        out.extend(_check_codes(df, col, table.year, codes))
    if "CHILD" in df.columns and (rounded := int(df["CHILD"].str.fullmatch(r"\d(\.\d+)?[eE]\+?\d+").sum())):
        out.append(finding(table.source, 0, name, f"{rounded:,} ids", "CHILD_ID_ROUNDED",
                           f"{rounded:,} CHILD ids are written like 1.23457E+11: a spreadsheet has read long ids as "
                           "numbers and rounded them, so different children may share one id and no id matches "
                           "another year's. Export the table again from the case-management system and do not "
                           "open it in Excel before Placecast reads it."))
    return df


def _us_date_order(dates: dict[str, tuple[pd.Series, pd.Series, pd.Series]], df: pd.DataFrame) -> str:
    """The message when a table's dates are month first (a file saved with US settings), else "". Its dates
    with a day over 12 are impossible as dd/mm/yyyy and real as mm/dd/yyyy; the others read without error,
    with their day and month swapped, so no date in the file can be trusted."""
    dated = impossible = swapped = 0
    for col, (parsed, _bad, bad_day) in dates.items():
        dated += int(parsed.notna().sum() + bad_day.sum())
        impossible += int(bad_day.sum())
        swapped += int(pd.to_datetime(df.loc[bad_day, col + "_raw"], format="%m/%d/%Y", errors="coerce").notna().sum())
    if impossible < 5 or impossible < 0.2 * dated or swapped < 0.9 * impossible:
        return ""
    return (f"{impossible:,} of the table's {dated:,} dates are not real as dd/mm/yyyy but are as mm/dd/yyyy: the "
            "file was saved with month-first (US) dates, so its other dates were read with day and month swapped. "
            "Export the table again with dd/mm/yyyy dates.")


def _file_date_format(df: pd.DataFrame, dates: dict[str, tuple[pd.Series, pd.Series, pd.Series]]) -> str:
    """"iso" or "serial" when most of the table's dates are written that way (a file exported so);
    "" otherwise, so that a stray date in another format among dd/mm/yyyy ones stays an error.
    ``dates`` are the columns' ``parse_dates`` results: a value written dd/mm/yyyy (real or not) cannot
    be in either other format, so when those are most of the values nothing more is parsed."""
    written = sum(int((parsed.notna() | impossible).sum()) for parsed, _, impossible in dates.values())
    other = sum(int(bad.sum()) for _, bad, _ in dates.values())
    if not other or written / (written + other) > 0.5:
        return ""
    values = pd.concat([df[c] for c in dates], ignore_index=True)
    values = values[values.astype("string").fillna("").str.strip() != ""]
    _, kind = parse_other_formats(values, pd.Series(True, index=values.index))
    shares = kind[kind != ""].value_counts() / len(values)
    return str(shares.index[0]) if len(shares) and shares.iloc[0] >= 0.5 else ""


def _check_codes(df: pd.DataFrame, col: str, year: int, codes: CodeLists) -> list[Finding]:
    spec = codes.fields[col]
    values = df[col]
    present = values != ""
    valid_now = set(spec.codes_for_year(year))
    known = set(spec.codes)
    legacy = spec.legacy
    out: list[Finding] = []
    bad = present & ~values.isin(valid_now)
    if not bad.any():
        return out
    sub = df[bad]
    is_legacy = sub[col].isin(list(legacy))
    if is_legacy.any():
        out.extend(_emit(sub[is_legacy], SOURCE, col, "CODE_LEGACY",
                         lambda r: f"{r[col]} is a legacy code; it was read as {legacy[r[col]]}. "
                                   "Re-code it in the source system when you can."))
    other_year = sub[col].isin(known) & ~is_legacy
    if other_year.any():
        def msg(r: dict) -> str:
            code = spec.codes[r[col]]
            hint = ""
            if col == "PLACE" and r[col] in ("H5", "P2"):
                hint = " Use K3 (registered supported accommodation) or the placement type that now applies."
            elif col == "PLACE" and r[col] == "Z1":
                hint = " Use one of Z11, Z12, Z13 or Z14."
            elif col == "PLACE" and r[col].startswith("Z1"):
                hint = " Use Z1 before 2025/26."
            return (f"{col} {r[col]} ({code.description}) is {code.validity()}, so it cannot be used in the "
                    f"{_year_label(year)} return.{hint}")
        out.extend(_emit(sub[other_year], SOURCE, col, "CODE_NOT_IN_YEAR", msg))
    unknown = ~sub[col].isin(known) & ~is_legacy
    if unknown.any():
        allowed = ", ".join(sorted(valid_now))
        out.extend(_emit(sub[unknown], SOURCE, col, "CODE_INVALID",
                         lambda r: f"'{r[col]}' is not a {spec.description.lower()} code. "
                                   f"Use one of: {allowed}."))
    return out


def _check_episode_rows(ep: pd.DataFrame, year: int, codes: CodeLists) -> list[Finding]:
    out: list[Finding] = []
    legacy = codes.fields["PLACE"].legacy
    place = ep["PLACE"].where(~ep["PLACE"].isin(list(legacy)), ep["PLACE"].map(legacy))
    prov = ep["PLACE_PROVIDER"]
    no_provider = place.isin(codes.no_provider)
    optional_provider = place.isin(["Z1"])
    known_place = place.isin(list(codes.fields["PLACE"].codes))
    miss = known_place & ~no_provider & ~optional_provider & (prov == "")
    out.extend(_emit(ep[miss], SOURCE, "PLACE_PROVIDER", "PROVIDER_MISSING",
                     lambda r: f"Placement type {r['PLACE']} needs a PLACE_PROVIDER (PR0-PR5). "
                               "Record who provides it."))
    extra = no_provider & (prov != "")
    out.extend(_emit(ep[extra], SOURCE, "PLACE_PROVIDER", "PROVIDER_NOT_EXPECTED",
                     lambda r: f"Placement type {r['PLACE']} is recorded without a provider. "
                               "Leave PLACE_PROVIDER blank."))
    both = known_place & prov.isin(list(codes.fields["PLACE_PROVIDER"].codes)) & ~no_provider
    if both.any():
        pairs = pd.DataFrame({"p": place[both], "v": prov[both]})
        bad_idx = pairs.index[~per_kind(pairs, codes.provider_allowed).astype(bool)]
        out.extend(_emit(ep.loc[bad_idx], SOURCE, "PLACE_PROVIDER", "PROVIDER_NOT_ALLOWED",
                         lambda r: f"Provider {r['PLACE_PROVIDER']} cannot provide placement type {r['PLACE']}. "
                                   "Correct the provider or the placement type."))
    dec, decom = ep["DEC"], ep["DECOM"]
    before = dec.notna() & decom.notna() & (dec < decom)
    out.extend(_emit(ep[before], SOURCE, "DEC", "DEC_BEFORE_DECOM",
                     lambda r: f"The episode ends ({_fmt(r['DEC'])}) before it starts ({_fmt(r['DECOM'])}). "
                               "Correct DEC or DECOM."))
    dec_blank = ep["DEC_raw"] == ""
    rec_blank = ep["REC"] == ""
    out.extend(_emit(ep[dec_blank & ~rec_blank], SOURCE, "REC", "REC_WITHOUT_DEC",
                     "REC is given but DEC is blank. Give the date the episode ceased, "
                     "or blank REC if it is still open."))
    out.extend(_emit(ep[~dec_blank & rec_blank], SOURCE, "REC", "DEC_WITHOUT_REC",
                     "DEC is given but REC is blank. Give the reason the episode ceased "
                     "(X1 if a new episode follows)."))
    temp = place.isin(codes.temporary_places)
    out.extend(_emit(ep[temp & (ep["RNE"] == "S")], SOURCE, "PLACE", "TEMP_PERIOD_START",
                     lambda r: f"A period of care cannot start with a temporary placement ({r['PLACE']}). "
                               "Record the placement the child went to."))
    ends_period = ~rec_blank & (ep["REC"] != "X1")
    out.extend(_emit(ep[temp & ends_period], SOURCE, "REC", "TEMP_PERIOD_END",
                     lambda r: f"A period of care cannot end in a temporary placement ({r['PLACE']}). "
                               "End it in the child's normal placement."))
    start, end = pd.Timestamp(collection_year_start(year)), pd.Timestamp(collection_year_end(year))
    late_start = decom.notna() & (decom > end)
    late_end = dec.notna() & (dec > end)
    early_end = dec.notna() & (dec < start)
    label = _year_label(year)
    out.extend(_emit(ep[late_start], SOURCE, "DECOM", "OUTSIDE_YEAR",
                     f"The episode starts after 31/03/{year}, the end of the {label} collection year. "
                     "It belongs in a later return (check the folder's year)."))
    out.extend(_emit(ep[late_end], SOURCE, "DEC", "OUTSIDE_YEAR",
                     f"The episode ends after 31/03/{year}, the end of the {label} collection year. "
                     "Leave DEC and REC blank for episodes open at 31 March."))
    out.extend(_emit(ep[early_end], SOURCE, "DEC", "OUTSIDE_YEAR",
                     f"The episode ended before 01/04/{year - 1}, the start of the {label} collection year, "
                     "so it belongs in an earlier return. Remove it or check the folder's year."))
    return out


# What YEAR_MISMATCH says to do; the web app, where a year is given with an upload, says its own.
MOVE_TO_ITS_YEAR = "Move the file to the right year folder or pass the right --year."


def _year_mismatch(ep: pd.DataFrame, year: int, source: str) -> Finding | None:
    """A file-level finding when most dates fit another collection year better than the folder's."""
    ends = ep["DEC"].fillna(ep["DECOM"]).dropna()
    if len(ends) < 3:
        return None

    def misfits(y: int) -> int:
        lo, hi = pd.Timestamp(collection_year_start(y)), pd.Timestamp(collection_year_end(y))
        return int(((ep["DECOM"] > hi) | (ep["DEC"] > hi) | (ep["DEC"] < lo)).sum())

    outside = misfits(year)
    if outside / len(ep) <= 0.5:
        return None
    fitted = min(range(year - 6, year + 7), key=lambda y: (misfits(y), abs(y - year)))
    return finding(source, 0, "", str(year), "YEAR_MISMATCH",
                   f"The file is in the {year} folder ({_year_label(year)}), but {outside} of {len(ep)} episodes "
                   f"fall outside that year; the dates fit {fitted} ({_year_label(fitted)}). {MOVE_TO_ITS_YEAR}")


def _check_chains(ep: pd.DataFrame, year: int, codes: CodeLists) -> list[Finding]:
    """Rules between a child's episodes within one return (sorted by DECOM)."""
    out: list[Finding] = []
    e = ep[ep["DECOM"].notna() & (ep["CHILD"] != "")].sort_values(["CHILD", "DECOM", LINE], kind="stable")
    if e.empty:
        return out
    same_next = e["CHILD"].eq(e["CHILD"].shift(-1))
    same_prev = e["CHILD"].eq(e["CHILD"].shift(1))
    nxt = e.shift(-1)
    prv = e.shift(1)
    is_open = e["DEC_raw"] == ""
    # More than one open episode: report every open episode but the child's last open one.
    opens = e[is_open]
    later_open = opens["CHILD"].duplicated(keep="last")
    out.extend(_emit(opens[later_open], SOURCE, "DEC", "OPEN_EPISODES",
                     "The child has a later episode that is also open; only the latest episode may be open. "
                     "Give this episode its DEC and REC."))
    # Overlaps: the next episode starts before this one ends (or while this one is still open).
    closed_overlap = same_next & ~is_open & e["DEC"].notna() & (e["DEC"] > nxt["DECOM"])
    open_overlap = same_next & is_open & ~nxt["DEC_raw"].eq("").fillna(False)
    overlap_rows = e[closed_overlap | open_overlap]
    for idx in overlap_rows.index:
        pos = e.index.get_loc(idx)
        later = e.iloc[pos + 1]
        earlier = e.loc[idx]
        ends = "is still open" if earlier["DEC_raw"] == "" else f"ends {_fmt(earlier['DEC'])}"
        out.append(finding(later[SOURCE], later[LINE], "DECOM", _fmt(later["DECOM"]), "EPISODE_OVERLAP",
                           f"This episode starts before the child's episode on line {earlier[LINE]} "
                           f"({_fmt(earlier['DECOM'])}) {ends}. Episodes may not overlap: correct the dates.",
                           str(later["CHILD"])))
    # X1 must be followed by a continuation starting the same day.
    start, end = pd.Timestamp(collection_year_start(year)), pd.Timestamp(collection_year_end(year))
    x1 = (e["REC"] == "X1") & e["DEC"].notna() & (e["DEC"] <= end)
    follows = same_next & (nxt["DECOM"] == e["DEC"]) & nxt["RNE"].isin(list(codes.continuation_rne))
    bad_x1 = e[x1 & ~follows.fillna(False).astype(bool)]
    out.extend(_emit(bad_x1, SOURCE, "REC", "X1_NO_CONTINUATION",
                     lambda r: f"REC X1 means a new episode starts the same day ({_fmt(r['DEC'])}), but the child has "
                               "no continuation episode (RNE L, P, T, B or U) on that date. Add it, or give the "
                               "reason the child left care."))
    cont = e["RNE"].isin(list(codes.continuation_rne)) & (e["DECOM"] >= start)
    preceded = same_prev & (prv["REC"] == "X1") & (prv["DEC"] == e["DECOM"])
    bad_cont = e[cont & ~preceded.fillna(False).astype(bool)]
    out.extend(_emit(bad_cont, SOURCE, "RNE", "CONTINUATION_NO_X1",
                     lambda r: f"RNE {r['RNE']} continues a period of care, but no episode of this child ends X1 on "
                               f"{_fmt(r['DECOM'])}. Use RNE S if the child started to be looked after, or correct "
                               "the previous episode."))
    return out


def _drop_exact_copies(df: pd.DataFrame, table: str, found: list[Finding]) -> pd.DataFrame:
    """The table without rows that exactly copy an earlier row, for the checks: each copy is one finding
    and is left out of every later check, so it does not also fault the row it copies."""
    cols = [c if c + "_raw" not in df.columns else c + "_raw" for c in TABLE_COLUMNS[table] if
            c in df.columns or c + "_raw" in df.columns]
    exact = df.duplicated(subset=cols, keep="first")
    found.extend(_emit(df[exact], SOURCE, "", "DUPLICATE_ROW",
                       "This row is an exact copy of an earlier row. Delete the copy.", value_col="__none__"))
    return df[~exact].reset_index(drop=True)


def _table_empty(returns: ReturnSet, year: int) -> Finding:
    """An error for a collection year whose return has no episodes (a missing, empty or header-only table)."""
    folder = next((str(p.parent) for p in returns.files if p.parent.name == str(year)), str(year))
    return finding(folder, 0, "", f"{year - 1}/{year % 100:02d}", "TABLE_EMPTY",
                   f"The {year - 1}/{year % 100:02d} return has no episodes (the Episodes table is missing, empty "
                   "or has only its header row), so every child in care that year would be lost. Export the "
                   "Episodes table again with its rows, or remove the year's folder if it should not be there.")


def _years_missing(returns: ReturnSet) -> list[Finding]:
    """An error for each collection year missing between the first and the last given."""
    years = returns.years()
    if not years:
        return []
    root = returns.files[0].parent.parent if returns.files else None
    out = []
    for y in range(min(years) + 1, max(years)):
        if y not in years:
            label = f"{y - 1}/{y % 100:02d}"
            out.append(finding(str(root / str(y)) if root else str(y), 0, "", label, "YEAR_MISSING",
                               f"There is no {label} return between the {min(years) - 1}/{min(years) % 100:02d} and "
                               f"{max(years) - 1}/{max(years) % 100:02d} returns: children in care at 31 March "
                               f"{y - 1} would be closed as if they had left. Add the {y}/ folder (1 April {y - 1} to "
                               f"31 March {y}), or give only the returns from {y + 1} on if the data start after it."))
    return out


def _check_duplicates(df: pd.DataFrame, key: list[str], rule_key: str, what: str) -> list[Finding]:
    """Rows (exact copies already removed) that repeat the ``key`` of an earlier row."""
    keyed = df.duplicated(subset=key, keep="first") & df[key[0]].ne("")
    if rule_key == "EPISODE_REPEATED":
        keyed &= df["DECOM"].notna()
    return _emit(df[keyed], SOURCE, key[-1], rule_key, what, value_col=key[-1])


def validate_returns(returns: ReturnSet, codes: CodeLists | None = None) -> ValidatedReturns:
    """Validate every table and return the normalised tables with all findings."""
    codes = codes or load_code_lists()
    found: list[Finding] = list(returns.findings) + _years_missing(returns)
    episodes: list[pd.DataFrame] = []
    headers: list[pd.DataFrame] = []
    uascs: list[pd.DataFrame] = []
    previous: pd.DataFrame | None = None
    previous_header: pd.DataFrame | None = None
    for year in returns.years():
        if year - 1 not in returns.years():
            previous = previous_header = None
        eps = [_normalise(t, codes, found) for t in returns.of("Episodes", year)]
        hdr = [_normalise(t, codes, found) for t in returns.of("Header", year)]
        uas = [_normalise(t, codes, found) for t in returns.of("UASC", year)]
        ep = pd.concat(eps, ignore_index=True) if eps else None
        hd = pd.concat(hdr, ignore_index=True) if hdr else None
        ua = pd.concat(uas, ignore_index=True) if uas else None
        if ep is None or ep.empty:
            found.append(_table_empty(returns, year))
        kept = (ep, hd)  # assembly records each copy it drops, with its source row
        ep, hd = (None if frame is None else _drop_exact_copies(frame, table, found)
                  for frame, table in ((ep, "Episodes"), (hd, "Header")))
        if ep is not None:
            for source, part in ep.groupby(SOURCE, sort=False):
                mismatch = _year_mismatch(part, year, str(source))
                if mismatch is not None:
                    found.append(mismatch)
                    part_findings = [f for f in _check_episode_rows(part, year, codes) if f.rule != "OUTSIDE_YEAR"]
                else:
                    part_findings = _check_episode_rows(part, year, codes)
                found.extend(part_findings)
            found.extend(_check_chains(ep, year, codes))
            found.extend(_check_duplicates(ep, ["CHILD", "DECOM"], "EPISODE_REPEATED",
                                           "Another row has the same CHILD and DECOM. Each episode must appear "
                                           "once: merge the two rows."))
        if hd is not None:
            found.extend(_check_duplicates(hd, ["CHILD"], "HEADER_REPEATED",
                                           "The child already has a Header row in this return. "
                                           "Keep one row per child."))
        if ep is not None:
            found.extend(_check_against_header(ep, hd, year))
        if ep is not None and not ep.empty:
            found.extend(_dfe_rules(returns, year, ep, hd, ua, (previous, previous_header)))
        previous, previous_header = ep, hd
        if ua is not None:
            known = hd["CHILD"] if hd is not None else pd.Series([], dtype="str")
            unknown = ua[(ua["CHILD"] != "") & ~members(ua["CHILD"], known)]
            found.extend(_emit(unknown, SOURCE, "CHILD", "UASC_UNKNOWN_CHILD",
                               "This child is in the UASC table but has no Header row in the same return. "
                               "Add the Header row or remove the UASC row."))
        for frame, bucket in ((kept[0], episodes), (kept[1], headers), (ua, uascs)):
            if frame is not None:
                bucket.append(frame)
    all_ep = pd.concat(episodes, ignore_index=True) if episodes else _empty_episodes()
    all_ep["_usable"] = (all_ep["CHILD"] != "") & all_ep["DECOM"].notna() if len(all_ep) else pd.Series(dtype=bool)
    found.extend(_check_carried_forward(all_ep, returns.years()))
    all_hd = pd.concat(headers, ignore_index=True) if headers else pd.DataFrame(
        columns=["CHILD", "SEX", "DOB", "ETHNIC", SOURCE, LINE, YEAR])
    all_ua = pd.concat(uascs, ignore_index=True) if uascs else pd.DataFrame(columns=["CHILD", "DOB", "DUC", YEAR])
    found.extend(_check_header_children_have_episodes(all_ep, all_hd))
    return ValidatedReturns(all_ep, all_hd, all_ua, Findings(on_cell_lines(found, returns)), returns.years())


def on_cell_lines(found: list[Finding], returns: ReturnSet) -> list[Finding]:
    """Each finding about one cell of an XML return on its cell's own line (the rules find it on its row's:
    the line of its EPISODE or HEADER element, up to 20 lines above the element at fault)."""
    from placecast.ssda903.xml_return import cell_lines

    files = {t.source: t.xml for t in returns.tables if t.xml is not None}
    rows: dict[str, set[int]] = {}
    for f in found:
        if f.file in files and f.column and f.line:
            rows.setdefault(f.file, set()).add(f.line)
    if not rows:
        return found
    lines = {(source, *key): line for source, wanted in rows.items()
             for key, line in cell_lines(files[source], source, wanted).items()}
    return [replace(f, line=lines[key]) if (key := (f.file, f.line, f.column)) in lines else f for f in found]


def _dfe_rules(returns: ReturnSet, year: int, ep: pd.DataFrame, hd: pd.DataFrame | None, ua: pd.DataFrame | None,
               previous: tuple[pd.DataFrame | None, pd.DataFrame | None]) -> list[Finding]:
    """The DfE's own rules for the year's return (see ``dfe_rules``), ``previous`` being last year's Episodes
    and Header (None where there was no return last year)."""
    from placecast.ssda903.dfe_rules import ReturnYear, check_year

    if hd is None:
        return []
    missing = {t: {c for raw in returns.of(t, year) for c in raw.missing_columns}
               for t in ("Header", "Episodes", "UASC")}
    if ua is None:
        ua = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS["UASC"] + (SOURCE, LINE)})
        ua["DOB"] = pd.Series(dtype="datetime64[ns]")
        ua["DUC"] = pd.Series(dtype="datetime64[ns]")
    return check_year(ReturnYear(year, ep, hd, ua, previous[0], missing, previous_header=previous[1]))


def _empty_episodes() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS["Episodes"]})
    df["DECOM"] = pd.Series(dtype="datetime64[ns]")
    df["DEC"] = pd.Series(dtype="datetime64[ns]")
    df["DEC_raw"] = pd.Series(dtype=object)
    df[SOURCE] = pd.Series(dtype=object)
    df[LINE] = pd.Series(dtype="int64")
    df[YEAR] = pd.Series(dtype="int64")
    return df


def _check_against_header(ep: pd.DataFrame, hd: pd.DataFrame | None, year: int) -> list[Finding]:
    out: list[Finding] = []
    children = ep[ep["CHILD"] != ""]
    if hd is None:
        first = children.drop_duplicates(SOURCE)
        out.extend(_emit(first, SOURCE, "CHILD", "HEADER_MISSING",
                         f"The {_year_label(year)} return has no Header table, so no child in Episodes has a "
                         "Header row (no date of birth, so no age, for children new that year). Add the Header "
                         "file to the year's folder.", value_col="__none__"))
        return out
    dob = hd[hd["CHILD"] != ""].drop_duplicates("CHILD").set_index("CHILD")["DOB"]
    missing = ~members(children["CHILD"], dob.index)
    first_missing = children[missing].drop_duplicates("CHILD")
    out.extend(_emit(first_missing, SOURCE, "CHILD", "NO_HEADER",
                     "This child has episodes but no Header row in the same return. Add the child's Header row."))
    known = children[~missing]
    if known.empty:
        return out
    born = pd.to_datetime(known["CHILD"].map(dob))
    before = known["DECOM"].notna() & born.notna() & (known["DECOM"] < born)
    out.extend(_emit(known[before], SOURCE, "DECOM", "BEFORE_BIRTH",
                     lambda r: f"The episode starts ({_fmt(r['DECOM'])}) before the child's date of birth in the "
                               "Header. Correct DECOM or DOB."))
    eighteen = born + pd.DateOffset(years=18)
    over = known["DECOM"].notna() & eighteen.notna() & (known["DECOM"] >= eighteen)
    out.extend(_emit(known[over], SOURCE, "DECOM", "OVER_18",
                     lambda r: f"The child is 18 or over on {_fmt(r['DECOM'])}, when this episode starts; a person "
                               "of 18 cannot be looked after. Check DECOM and the child's DOB."))
    return out


INCOMPLETE_SHARE = 0.25  # of a return's children missing from it (in care at its start, or in its Header)
INCOMPLETE_AT_LEAST = 20  # children, below which a share says little


def _incomplete(missing: set, children: set) -> bool:
    """Whether so many of ``children`` are ``missing`` that the return cannot be complete."""
    return len(children) >= INCOMPLETE_AT_LEAST and len(missing) > INCOMPLETE_SHARE * len(children)


def _check_header_children_have_episodes(ep: pd.DataFrame, hd: pd.DataFrame) -> list[Finding]:
    """A year whose Header names over a quarter more children than its Episodes have (an episodes file cut
    short beside a whole Header): the children missing would be seen as never in care that year."""
    out: list[Finding] = []
    for year, header in hd[hd["CHILD"] != ""].groupby(YEAR):
        episodes = ep[ep[YEAR] == year]
        children = distinct(header["CHILD"])
        missing = children - distinct(episodes["CHILD"])
        if _incomplete(missing, children):
            source = str(episodes[SOURCE].iloc[0]) if len(episodes) else str(header[SOURCE].iloc[0])
            out.append(finding(source, 0, "Header, Episodes", f"{len(missing)} of {len(children)}", "RETURN_INCOMPLETE",
                               f"{len(missing):,} of the {len(children):,} children in the {year} Header "
                               f"({len(missing) / len(children):.0%}) have no episodes in the return: its episodes "
                               "look cut short or filtered, or the two tables come from different exports. Export "
                               "the whole return again."))
    return out


def _check_carried_forward(ep: pd.DataFrame, years: list[int]) -> list[Finding]:
    """Episodes open at the end of one return should reappear in the next (DfE rule 562)."""
    out: list[Finding] = []
    if ep.empty:
        return out
    usable = ep[ep["_usable"]]
    present = set(usable[YEAR].unique())
    for y in years:
        if y + 1 not in present or y not in present:
            continue
        open_y = usable[(usable[YEAR] == y) & (usable["DEC_raw"] == "")]
        nxt = pd.MultiIndex.from_frame(usable.loc[usable[YEAR] == y + 1, ["CHILD", "DECOM"]])
        rows = open_y[~pd.MultiIndex.from_frame(open_y[["CHILD", "DECOM"]]).isin(nxt)]
        out.extend(_emit(rows, SOURCE, "DEC", "NOT_CARRIED_FORWARD",
                         f"This episode was open at 31/03/{y} but is not in the {y + 1} return. Assembly closes it "
                         "(see the repairs table); check the next return."))
        in_care = distinct(open_y["CHILD"])  # children, not episodes: a date mended in the next return is no gap
        nxt_children = distinct(ep.loc[ep[YEAR] == y + 1, "CHILD"])
        gone = in_care - nxt_children  # any row of the child's, dated or not
        if _incomplete(gone, in_care):
            source = str(usable.loc[usable[YEAR] == y + 1, SOURCE].iloc[0])
            out.append(finding(source, 0, "Episodes", f"{len(gone)} of {len(in_care)}", "RETURN_INCOMPLETE",
                               f"{len(gone):,} of the {len(in_care):,} children in care at 31/03/{y} "
                               f"({len(gone) / len(in_care):.0%}) are not in the {y + 1} return at all, which must "
                               "carry every child in care at its start: it looks cut short or filtered, or the "
                               "children's ids changed between the returns. Assembled, they would all leave care on "
                               "31 March. Export the whole return again (with the same ids)."))
        out.extend(_zeros_changed(gone, nxt_children - distinct(ep.loc[ep[YEAR] == y, "CHILD"]),
                                  len(in_care), y, str(usable.loc[usable[YEAR] == y + 1, SOURCE].iloc[0])))
    return out


def _zeros_changed(gone: set, new: set, in_care: int, year: int, source: str) -> list[Finding]:
    """Children in care at 31 March of ``year`` missing from the next return, which has children new to it
    under the same ids with leading zeros dropped or added (a spreadsheet reading ids as numbers): assembled,
    each would be two children, one leaving care at 31 March and one in care from the start of its story."""
    unpadded = {child.lstrip("0"): child for child in new}
    changed = [child for child in gone if unpadded.get(child.lstrip("0"), child) != child]
    if not changed:
        return []
    return [finding(source, 0, "Episodes", f"{len(changed)} of {in_care}", "CHILD_ID_ZEROS",
                    f"{len(changed):,} of the {in_care:,} children in care at 31/03/{year} are in the {year + 1} "
                    "return only under the same id with its leading zeros dropped or added (like 001234 and 1234): "
                    "a spreadsheet has read the ids as numbers, so each child would be counted twice. Restore the "
                    "ids as the case-management system exports them (open the CSV files as text, not in Excel) "
                    "and validate again.")]

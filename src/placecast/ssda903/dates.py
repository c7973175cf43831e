"""Strict parsing of SSDA903 dates (dd/mm/yyyy), vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

DATE_PATTERN = r"^(\d{1,2})/(\d{1,2})/(\d{4})$"


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse text dates written dd/mm/yyyy (un-padded d/m/yyyy is accepted too).

    Returns ``(parsed, bad_format, impossible)``: parsed dates (NaT where blank or bad), a mask of
    values not written as dd/mm/yyyy, and a mask of values in that form that are not real dates
    (31/02/2024, month 13).
    """
    text = values.astype("string").fillna("").str.strip()
    parsed = plain_dates(text)
    bad_format = pd.Series(False, index=values.index)
    impossible = bad_format.copy()
    rest = parsed.isna() & (text != "")
    if rest.any():
        parsed.loc[rest], bad_format.loc[rest], impossible.loc[rest] = _parse_by_pattern(text[rest])
    return parsed, bad_format, impossible


def plain_dates(text: pd.Series) -> pd.Series:
    """The dates pandas' strptime reads in C as dd/mm/yyyy (1-2 digit day and month, 4-digit year: a subset
    of what DATE_PATTERN matches, with the same meaning) within 1900-2199; NaT for everything else."""
    codes, uniques = pd.factorize(text)  # a return repeats its dates: parse each distinct text once
    fast = pd.to_datetime(pd.Series(uniques, dtype="string"), format="%d/%m/%Y", errors="coerce")
    distinct = fast.where(fast.dt.year.between(1900, 2199)).astype("datetime64[ns]").to_numpy()
    parsed = np.append(distinct, np.datetime64("NaT", "ns"))[codes]  # code -1 (a missing value) takes the NaT
    return pd.Series(parsed, index=text.index)


def _parse_by_pattern(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``parse_dates`` by DATE_PATTERN, for stripped non-blank ``text`` the fast path did not read."""
    parts = text.str.extract(DATE_PATTERN)
    matched = parts[0].notna()
    bad_format = (text != "") & ~matched
    day = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    year = pd.to_numeric(parts[2], errors="coerce")
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if matched.any():
        sub = frame[matched]
        ok = sub["year"].between(1900, 2199) & sub["month"].between(1, 12) & sub["day"].between(1, 31)
        good = sub[ok]
        if len(good):
            parsed.loc[good.index] = pd.to_datetime(good, errors="coerce")
    impossible = matched & parsed.isna()
    return parsed, bad_format, impossible


def describe_bad_date(raw: str) -> str:
    """Plain-English reason a value is not a dd/mm/yyyy date, with what to do."""
    import re

    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", raw):
        return f"'{raw}' is written year first (ISO). Write it as dd/mm/yyyy, for example 01/04/2024."
    if re.match(r"^\d{1,2}/\d{1,2}/\d{2}$", raw):
        return f"'{raw}' has a two-digit year. Write the year in full: dd/mm/yyyy."
    if re.match(r"^\d{1,2}/\d{1,2}/\d{4}\s+\d", raw):
        return f"'{raw}' includes a time. Write the date alone as dd/mm/yyyy."
    return f"'{raw}' is not a date written as dd/mm/yyyy. Correct it in the source system and export again."


ISO_PATTERN = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
SERIAL_PATTERN = r"^(\d{4,5})(?:\.0+)?$"
EXCEL_EPOCH = pd.Timestamp(1899, 12, 30)  # Excel's day 0 (its day 60 is the 29/02/1900 that never was)
FORMATS = {"iso": "yyyy-mm-dd (ISO)", "serial": "Excel day numbers (for example 45383 for 01/04/2024)"}


def parse_other_formats(values: pd.Series, candidates: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates among ``candidates`` written in an unambiguous other format: ISO yyyy-mm-dd (a time of
    midnight allowed) or an Excel day number between 1900 and 2099.

    Returns ``(parsed, kind)``: the dates (NaT elsewhere) and "iso" / "serial" / "" per value.
    """
    text = values.astype("string").fillna("").str.strip()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    kind = pd.Series("", index=values.index, dtype=object)
    iso = text.where(candidates, "").str.extract(ISO_PATTERN)
    matched = iso[0].notna()
    if matched.any():
        parts = iso[matched].astype(int).set_axis(["year", "month", "day"], axis=1)
        days = pd.to_datetime(parts, errors="coerce")
        parsed.loc[days.index] = days
        kind.loc[days.index[days.notna()]] = "iso"
    serial = pd.to_numeric(text.where(candidates & ~matched, "").str.extract(SERIAL_PATTERN)[0], errors="coerce")
    ok = serial.between(61, 73050)  # 01/03/1900 to 31/12/2099
    if ok.any():
        parsed.loc[ok[ok].index] = EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")
        kind.loc[ok[ok].index] = "serial"
    return parsed, kind

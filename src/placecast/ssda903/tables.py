"""The SSDA903 tables and their exact column sets (DfE specification; csc-validator ``config.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
    ),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "AD1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "OC2": (
        "CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK",
        "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "DoLo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}

# Columns without which a table's rows cannot be used at all.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD",),
    "Episodes": ("CHILD", "DECOM"),
    "UASC": ("CHILD",),
}

# Columns that may not be blank (other blank rules are conditional and checked by rules).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "Episodes": ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE"),
    "UASC": ("CHILD", "DOB"),
}

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("DOB", "MC_DOB"),
    "Episodes": ("DECOM", "DEC"),
    "UASC": ("DOB", "DUC"),
}

CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("SEX", "ETHNIC", "MOTHER"),
    "Episodes": ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE"),
    "UASC": ("SEX",),
}


def looked_up(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each of ``keys`` (missing where it has none). ``keys.map(table)`` fails when
    ``table`` is an empty column of dates (a Header with no usable CHILD): pandas casts it to float first.

    >>> dob = pd.Series(pd.to_datetime([]), index=pd.Index([], dtype=object), dtype="datetime64[ns]")
    >>> looked_up(pd.Series(["1", "2"]), dob).isna().tolist()
    [True, True]
    """
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, name=table.name)


def members(values: pd.Series, pool: Iterable[str] | pd.Index | pd.Series) -> pd.Series:
    """``values.isin(pool)`` for a large ``pool`` of ids: by a hash index, where pandas' isin on Arrow-backed
    text converts the pool one value at a time (a second for a large council's children)."""
    index = pd.Index(list(pool) if isinstance(pool, set | frozenset) else pool).unique()
    return pd.Series(np.asarray(index.get_indexer(values) >= 0), index=values.index)


def per_kind(frame: pd.DataFrame, func: Callable[..., object]) -> np.ndarray:
    """``func(*row)`` for every row of ``frame``, called once per distinct row (a few dozen kinds of
    placement or provider however many episodes) and joined back in the rows' order."""
    cols = list(frame.columns)
    kinds = frame.drop_duplicates()
    kinds = kinds.assign(_value=[func(*row) for row in kinds.itertuples(index=False, name=None)])
    return frame.merge(kinds, on=cols, how="left")["_value"].to_numpy(dtype=object)


def distinct(values: pd.Series) -> set:
    """The distinct values of a column, as a set: through its unique values, since building a set from an
    Arrow-backed column visits it element by element in Python (about 1 µs a row: 0.6 s for the episodes of a
    council of 21,000 children, where this takes 0.03 s).

    >>> sorted(distinct(pd.Series(["b", "a", "b"], dtype="string[pyarrow]")))
    ['a', 'b']
    """
    return set(values.unique().tolist())

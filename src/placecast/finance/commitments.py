"""The commitments register: what the council has committed to pay for each placement.

Columns: child_id, placement_ref, provider, cost_line, weekly_cost, start, planned_end (optional),
and the funding split: funding_social_care, funding_education, funding_health, funding_uasc_grant
(percentages adding up to 100; blank means 100% social care). Child ids are pseudonymised with the
same key as the SSDA903 history so the two can be reconciled.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.finance.calendar import fy_end
from placecast.finance.errors import FinanceInputError, InputProblem
from placecast.finance.files import CommitmentRow
from placecast.finance.unit_costs import UnitCosts
from placecast.schema import GROUPED_THOUSANDS, check_columns, unnamed_cells

PRICE_FACTOR = 20  # a commitment this many times its line's unit cost is priced by the year, not the week

FUNDING = [name for name in CommitmentRow.model_fields if name.startswith("funding_")]
COLUMNS = [name for name in CommitmentRow.model_fields if name not in FUNDING]


@dataclass
class Commitments:
    """Validated commitments: one row per placement, weekly cost in pence (integer)."""

    table: pd.DataFrame

    def days_to(self, as_at: date, until: date | None = None) -> np.ndarray:
        """Each commitment's days from the day after ``as_at`` to ``until`` (default 31 March) or its planned
        end, whichever is first."""
        last = np.datetime64(until or fy_end(as_at), "D")
        first = np.datetime64(as_at + timedelta(days=1), "D")
        t = self.table
        begin = np.maximum(t["start"].to_numpy().astype("datetime64[D]"), first)
        end = t["planned_end"].to_numpy().astype("datetime64[D]")
        end = np.where(np.isnat(end), last, np.minimum(end, last))
        return np.maximum((end - begin).astype(np.int64) + 1, 0)

    def cost_to(self, as_at: date, until: date | None = None) -> Fraction:
        """Exact cost (GBP) of every commitment over :meth:`days_to`."""
        days = self.days_to(as_at, until)
        pence_days = int(np.dot(self.table["weekly_pence"].to_numpy().astype(np.int64), days))  # exact integer
        return Fraction(pence_days, 7 * 100)

    def price_warning(self, unit_costs: UnitCosts, on: date) -> str | None:
        """Commitments priced over :data:`PRICE_FACTOR` times their cost line's unit cost on ``on``: a yearly
        cost in the weekly column (£260,000 for £5,000 a week) commits 52 weeks of cost for every week left.
        Said, not refused: a bespoke placement can cost several times the line's usual price."""
        unit = self.table["cost_line"].map(lambda line: float(unit_costs.weekly(line, on))
                                           if line in unit_costs.rates else float("nan"))
        weekly = self.table["weekly_pence"] / 100
        ratio = (weekly / unit).where(unit > 0)
        high = ratio > PRICE_FACTOR
        if not high.any():
            return None
        worst = int(ratio[high].idxmax())
        row = self.table.loc[worst]
        return (f"{int(high.sum())} commitment(s) cost over {PRICE_FACTOR} times their cost line's unit cost "
                f"(placement {row['placement_ref']}: £{weekly[worst]:,.2f} a week on {row['cost_line']}, whose unit "
                f"cost is £{unit[worst]:,.2f}): is a yearly cost in the weekly_cost column? The register's "
                "costs are weekly.")

    def cost_by_line(self, as_at: date) -> dict[str, Fraction]:
        """Exact cost to 31 March of the commitments on each cost line."""
        return {line: Commitments(g).cost_to(as_at) for line, g in self.table.groupby("cost_line")}


def _read_rows(path: Path) -> tuple[list[str], pd.DataFrame]:
    """The named columns and a table of their text cells, with ``_line``: the line as a spreadsheet shows it.
    Columns with no name are left out: they hold no value (:func:`_read_cells` refuses one that does)."""
    header, frame = _read_cells(path)
    keep = [j for j, h in enumerate(header) if h]
    return [header[j] for j in keep], frame.iloc[:, [*keep, len(header)]]


def _read_cells(path: Path) -> tuple[list[str], pd.DataFrame]:
    """The header and a table of text cells, with ``_line``: the line as a spreadsheet shows it."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from placecast.xlsx import open_workbook

        try:
            book = open_workbook(path)
        except Exception as exc:
            problem = InputProblem(str(path), "-", "", "", f"not a readable workbook ({exc}).")
            raise FinanceInputError([problem]) from exc
        try:
            rows = list(book.worksheets[0].iter_rows(values_only=True))
            others = [sheet.title for sheet in book.worksheets[1:]
                      if any(v not in (None, "") for r in sheet.iter_rows(values_only=True) for v in r)]
        finally:
            book.close()
        if others:  # a register split over sheets (residential, fostering): only the first would be read
            raise FinanceInputError([InputProblem(str(path), "-", "", ", ".join(others), "the register is read from "
                                                  f"the first sheet ('{book.sheetnames[0]}'), but these sheets hold "
                                                  "data too. Put every commitment on the first sheet, or remove the "
                                                  "other sheets.")])
        if not rows:
            raise FinanceInputError([InputProblem(str(path), "line 1", "", "", "the sheet is empty.")])
        header = [str(h or "").strip().lower() for h in rows[0]]
        _no_unsaved_formulas(path, book.sheetnames[0], header)
        if unnamed := unnamed_cells(rows, CommitmentRow, str(path), "line "):
            raise FinanceInputError(unnamed)

        def text(v: object) -> str:
            if isinstance(v, datetime):
                return v.date().isoformat()
            if isinstance(v, date):
                return v.isoformat()
            return "" if v is None else str(v).strip()

        frame = pd.DataFrame([[text(v) for v in r] for r in rows[1:]], columns=header)
        frame["_line"] = np.arange(len(frame)) + 2
        frame = frame[(frame.drop(columns="_line") != "").any(axis=1)]
        return header, frame
    try:
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "binary")
        content = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FinanceInputError([InputProblem(str(path), "-", "", "", "not a UTF-8 CSV file; save it as "
                                              "'CSV UTF-8' or .xlsx.")]) from exc
    frame = _csv_frame(content, str(path))
    frame.columns = ["" if re.fullmatch(r"Unnamed: \d+", str(c)) else str(c).strip().lower() for c in frame.columns]
    frame["_line"] = np.arange(len(frame)) + 2
    frame = frame[(frame.drop(columns="_line") != "").any(axis=1)]
    return list(frame.columns[:-1]), frame  # type: ignore[return-value]


def _csv_frame(content: str, file: str) -> pd.DataFrame:
    """A CSV register as text cells, by pandas' C reader. A header with a blank cell, or rows longer than the
    header, go to Python's csv module: refused when a cell with no column name holds a value, read to the
    header's width when the cells past it are empty (a comma ending every row, as some exports write). Pandas had
    taken the first column as an index and moved every value one column left, or stopped with a tokenizer's
    error."""
    def not_a_table(exc: Exception) -> FinanceInputError:
        return FinanceInputError([InputProblem(file, "line 1", "", "", f"not a table ({exc}).")])

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False, skip_blank_lines=False,
                                index_col=False)
        if not any(re.fullmatch(r"Unnamed: \d+", str(c)) for c in frame.columns):  # no blank header cell
            return frame
        table = list(csv.reader(io.StringIO(content)))
    except (pd.errors.EmptyDataError, csv.Error) as exc:
        raise not_a_table(exc) from exc
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        table = list(csv.reader(io.StringIO(content)))
        if not any(len(row) > len(table[0]) for row in table):
            raise not_a_table(exc) from exc
    if unnamed := unnamed_cells(table, CommitmentRow, file, "line "):
        raise FinanceInputError(unnamed)
    width = len(table[0])
    return pd.DataFrame([(row + [""] * width)[:width] for row in table[1:]], columns=[h.strip() for h in table[0]])


def _no_unsaved_formulas(path: Path, sheet: str, header: list[str]) -> None:
    """A formula saved without its result reads as a blank cell; say so, rather than "missing"."""
    from openpyxl.utils import get_column_letter

    from placecast.xlsx import formulas_without_results

    found = formulas_without_results(path, [sheet])
    if found:
        name = {i: h for i, h in enumerate(header, start=1) if h}
        raise FinanceInputError([InputProblem(str(path), f"line {row}", name.get(column, get_column_letter(column)),
                                              formula,
                                              "a formula whose result is not saved in the file, so it reads as "
                                              "blank. Open the workbook in Excel or LibreOffice and save it.")
                                 for _sheet, row, column, formula in found])


EXCEL_DAY_NUMBER = ("a spreadsheet's day number, not a date (Excel counts days from 30/12/1899: 45748 is 01/04/2025); "
                    "format the column as a date and save the file again, or write YYYY-MM-DD.")


def _dates(values: pd.Series) -> pd.Series:
    """Dates written YYYY-MM-DD or dd/mm/yyyy (NaT where blank or invalid)."""
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


def read_commitments(path: Path, cost_lines: list[str], key: bytes | None = None) -> Commitments:
    """Read and validate a register; every problem is located (file, line, column, value, what to do).

    Checks run column by column over the whole table, so a million lines take seconds; problems are
    then listed in file order.
    """
    from placecast.ssda903.pseudonym import pseudonymise

    path = Path(path)
    file = str(path)
    header, rows = _read_rows(path)
    missing = [InputProblem(file, "line 1", c, "", "this column is missing; the register needs " + ", ".join(COLUMNS)
                            + ".") for c in COLUMNS if c not in header and c != "planned_end"]
    unknown = check_columns(header, CommitmentRow, file, "line 1")
    if missing or unknown:
        raise FinanceInputError(missing + unknown)
    df = rows.reset_index(drop=True)
    for col in [*COLUMNS, *FUNDING]:
        if col not in df.columns:
            df[col] = ""
        df[col] = df[col].astype(str).str.strip()
    line = df["_line"].to_numpy(dtype=np.int64)
    found: list[tuple[int, InputProblem]] = []

    def flag(mask: pd.Series | np.ndarray, column: str, message: str) -> None:
        m = np.asarray(mask, dtype=bool)
        for i in np.flatnonzero(m):
            found.append((int(line[i]), InputProblem(file, f"line {line[i]}", column, str(df[column].iloc[i]),
                                                     message)))

    first = df.groupby("placement_ref").cumcount() == 0
    first_line = pd.Series(line).groupby(df["placement_ref"].to_numpy()).transform("min").to_numpy()
    for i in np.flatnonzero(~first.to_numpy()):
        found.append((int(line[i]), InputProblem(file, f"line {line[i]}", "placement_ref", df["placement_ref"].iloc[i],
                                                 f"the same placement reference is on line {first_line[i]}; "
                                                 "each placement once.")))
    flag(df["child_id"] == "", "child_id", "give the child's id.")
    total = df["child_id"].str.casefold().str.replace(r"[^a-z]+", " ", regex=True).str.strip().isin(
        ["total", "totals", "grand total", "sub total", "subtotal"])
    flag(total, "child_id", "a total row, not a placement: Placecast adds the commitments up itself; remove it.")
    flag(~df["cost_line"].isin(cost_lines), "cost_line", f"unknown cost line; use one of {', '.join(cost_lines)}.")
    typed = df["weekly_cost"].str.replace("£", "", regex=False).str.strip()
    grouped = typed.str.fullmatch(GROUPED_THOUSANDS.pattern)  # 1,500.00; never 87,7 read as 877
    weekly = pd.to_numeric(typed.where(~grouped, typed.str.replace(",", "", regex=False)), errors="coerce")
    flag(weekly.isna() | (weekly < 0) | ~np.isfinite(weekly.fillna(0)), "weekly_cost",
         "must be a non-negative amount in pounds a week.")
    start = _dates(df["start"])
    serial = {c: df[c].str.fullmatch(r"[2-7]\d{4}(\.0+)?") for c in ("start", "planned_end")}
    flag(start.isna() & ~serial["start"], "start", "not a date; write YYYY-MM-DD or dd/mm/yyyy.")
    end = _dates(df["planned_end"])
    flag((df["planned_end"] != "") & end.isna() & ~serial["planned_end"], "planned_end", "not a date; write "
         "YYYY-MM-DD or dd/mm/yyyy, or leave it blank.")
    for column, mask in serial.items():
        flag(mask, column, EXCEL_DAY_NUMBER)
    flag(start.notna() & end.notna() & (end < start), "planned_end",
         "the planned end is before the start; correct one of them.")
    found += _overlaps(df["child_id"], start, end, line, df["placement_ref"], file)
    split = pd.DataFrame({c: pd.to_numeric(df[c].replace("", "0"), errors="coerce") for c in FUNDING})
    for c in FUNDING:
        flag(split[c].isna(), c, "must be a percentage.")
    total = split.fillna(0).sum(axis=1)
    bad_split = (total.round(6) != 100) & (total != 0)
    for i in np.flatnonzero(bad_split.to_numpy()):
        fractions = round(float(total.iloc[i]), 6) == 1  # 0.6 and 0.4 meant as 60% and 40%
        found.append((int(line[i]), InputProblem(file, f"line {line[i]}", "funding_social_care",
                                                 str(float(total.iloc[i])), "the funding split must add up to 100%"
                                                 + ("; write percentages (60 and 40), not fractions (0.6 and 0.4)."
                                                    if fractions else "."))))
    if found:
        found.sort(key=lambda item: item[0])
        raise FinanceInputError([p for _, p in found])
    split.loc[total == 0, "funding_social_care"] = 100.0
    table = pd.DataFrame({
        "placement_ref": df["placement_ref"], "provider": df["provider"], "cost_line": df["cost_line"],
        "weekly_pence": (weekly * 100).round().astype(np.int64), "start": start, "planned_end": end,
        **{c: split[c].astype(float) for c in FUNDING},
    })
    table["child_id"] = pseudonymise(df["child_id"], key) if key else df["child_id"]
    return Commitments(table.reset_index(drop=True))


def _overlaps(child: pd.Series, start: pd.Series, end: pd.Series, line: np.ndarray, ref: pd.Series, file: str
              ) -> list[tuple[int, InputProblem]]:
    """A placement starting before an earlier placement of the same child has ended (no planned end, or a
    later one): both would be costed for the same days. A placement ending on the day the next starts is a
    handover, as the SSDA903 return writes it. Named by line and placement reference, not by child."""
    def days(dates: pd.Series) -> np.ndarray:
        return dates.to_numpy().astype("datetime64[D]").astype(np.int64)

    frame = pd.DataFrame({"child": child.to_numpy(), "start": days(start), "line": line, "ref": ref.to_numpy(),
                          "end": np.where(end.isna().to_numpy(), np.iinfo(np.int64).max, days(end))})
    frame = frame[start.notna().to_numpy() & (child != "").to_numpy()]
    frame = frame[frame["child"].duplicated(keep=False)].sort_values(["child", "start", "line"])  # several rows
    out = []
    child_now, until, opener = None, 0, 0
    for r in frame.itertuples():
        if r.child != child_now:
            child_now, until, opener = r.child, r.end, int(r.line)
            continue
        if r.start < until:
            out.append((int(r.line), InputProblem(
                file, f"line {r.line}", "start", str(r.ref), f"this child's placement on line {opener} runs over "
                "the same days (it has no planned end, or ends after the day this one starts), so both would be "
                "costed: a child is in one placement at a time. Give the earlier placement its planned end.")))
        if r.end > until:
            until, opener = r.end, int(r.line)
    return out


def reconcile(commitments: Commitments, history_episodes: pd.DataFrame, as_at: date,
              paid_categories: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(commitments with no matching open episode, open paid placements with no commitment) at ``as_at``."""
    day = pd.Timestamp(as_at)
    t = commitments.table
    active = t[(t["start"] <= day) & (t["planned_end"].isna() | (t["planned_end"] >= day))]
    ep = history_episodes
    open_now = ep[(ep["start"] <= day) & (ep["end"].isna() | (ep["end"] > day)) & ~ep["short_break"].astype(bool)]
    paid = open_now[open_now["category"].isin(paid_categories)]
    in_care = set(open_now["child_id"])
    orphan = active[~active["child_id"].isin(in_care)][["child_id", "placement_ref", "provider", "cost_line",
                                                        "weekly_pence", "start", "planned_end"]]
    unfunded = paid[~paid["child_id"].isin(set(active["child_id"]))][["child_id", "category", "place", "provider",
                                                                       "start", "source"]]
    return orphan.reset_index(drop=True), unfunded.reset_index(drop=True)

"""The commitments register: what the council has committed to pay for each placement.

Columns: child_id, placement_ref, provider, cost_line, weekly_cost, start, planned_end (optional),
and the funding split: funding_social_care, funding_education, funding_health, funding_uasc_grant
(percentages adding up to 100; blank means 100% social care). Child ids are pseudonymised with the
same key as the SSDA903 history so the two can be reconciled.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.finance.calendar import fy_end
from placecast.finance.errors import FinanceInputError, InputProblem

COLUMNS = ["child_id", "placement_ref", "provider", "cost_line", "weekly_cost", "start", "planned_end"]
FUNDING = ["funding_social_care", "funding_education", "funding_health", "funding_uasc_grant"]


@dataclass
class Commitments:
    """Validated commitments: one row per placement, weekly cost in pence (integer)."""

    table: pd.DataFrame

    def cost_to(self, as_at: date, until: date | None = None) -> Fraction:
        """Exact cost (GBP) of every commitment from the day after ``as_at`` to ``until`` (default 31 March)
        or its planned end, whichever is first."""
        last = np.datetime64(until or fy_end(as_at), "D")
        first = np.datetime64(as_at + timedelta(days=1), "D")
        t = self.table
        begin = np.maximum(t["start"].to_numpy().astype("datetime64[D]"), first)
        end = t["planned_end"].to_numpy().astype("datetime64[D]")
        end = np.where(np.isnat(end), last, np.minimum(end, last))
        days = np.maximum((end - begin).astype(np.int64) + 1, 0)
        pence_days = int(np.dot(t["weekly_pence"].to_numpy().astype(np.int64), days))  # exact integer
        return Fraction(pence_days, 7 * 100)

    def cost_by_line(self, as_at: date) -> dict[str, Fraction]:
        return {line: Commitments(g).cost_to(as_at) for line, g in self.table.groupby("cost_line")}


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:
            problem = InputProblem(str(path), "-", "", "", f"not a readable workbook ({exc}).")
            raise FinanceInputError([problem]) from exc
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            raise FinanceInputError([InputProblem(str(path), "line 1", "", "", "the sheet is empty.")])
        header = [str(h or "").strip().lower() for h in rows[0]]

        def text(v: object) -> str:
            if isinstance(v, datetime):
                return v.date().isoformat()
            if isinstance(v, date):
                return v.isoformat()
            return "" if v is None else str(v).strip()

        return header, [(i + 2, {h: text(v) for h, v in zip(header, r, strict=False)}) for i, r in enumerate(rows[1:])]
    try:
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "binary")
        content = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FinanceInputError([InputProblem(str(path), "-", "", "", "not a UTF-8 CSV file; save it as "
                                              "'CSV UTF-8' or .xlsx.")]) from exc
    reader = csv.reader(io.StringIO(content))
    try:
        header = [h.strip().lower() for h in next(reader)]
        rows = [(i + 2, dict(zip(header, [c.strip() for c in r], strict=False))) for i, r in enumerate(reader)
                if any(c.strip() for c in r)]
    except (StopIteration, csv.Error) as exc:
        raise FinanceInputError([InputProblem(str(path), "line 1", "", "", f"not a table ({exc}).")]) from exc
    return header, rows


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_commitments(path: Path, cost_lines: list[str], key: bytes | None = None) -> Commitments:
    """Read and validate a register; every problem is located (file, line, column, value, what to do)."""
    from placecast.ssda903.pseudonym import pseudonymise

    path = Path(path)
    file = str(path)
    header, rows = _read_rows(path)
    missing = [c for c in COLUMNS if c not in header and c != "planned_end"]
    if missing:
        raise FinanceInputError([InputProblem(file, "line 1", c, "", "this column is missing; the register needs "
                                              + ", ".join(COLUMNS) + ".") for c in missing])
    problems: list[InputProblem] = []
    out = []
    refs: dict[str, int] = {}
    for line, row in rows:
        where = f"line {line}"
        ref = row.get("placement_ref", "")
        if ref in refs:
            problems.append(InputProblem(file, where, "placement_ref", ref, f"the same placement reference is on line "
                                         f"{refs[ref]}; each placement once."))
        refs.setdefault(ref, line)
        if not row.get("child_id"):
            problems.append(InputProblem(file, where, "child_id", "", "give the child's id."))
        line_name = row.get("cost_line", "")
        if line_name not in cost_lines:
            problems.append(InputProblem(file, where, "cost_line", line_name,
                                         f"unknown cost line; use one of {', '.join(cost_lines)}."))
        try:
            weekly = Fraction(row.get("weekly_cost", "").replace(",", "").replace("£", ""))
            if weekly < 0:
                raise ValueError
        except (ValueError, ZeroDivisionError):
            problems.append(InputProblem(file, where, "weekly_cost", row.get("weekly_cost", ""),
                                         "must be a non-negative amount in pounds a week."))
            weekly = Fraction(0)
        try:
            start = _date(row.get("start", ""))
        except ValueError:
            problems.append(InputProblem(file, where, "start", row.get("start", ""), "not a date; use YYYY-MM-DD."))
            start = None
        end = None
        if row.get("planned_end"):
            try:
                end = _date(row["planned_end"])
            except ValueError:
                problems.append(InputProblem(file, where, "planned_end", row["planned_end"], "not a date; use "
                                             "YYYY-MM-DD or leave blank."))
        if start and end and end < start:
            problems.append(InputProblem(file, where, "planned_end", row["planned_end"],
                                         "the planned end is before the start; correct one of them."))
        split = []
        for col in FUNDING:
            try:
                split.append(Fraction(row.get(col, "") or "0"))
            except ValueError:
                problems.append(InputProblem(file, where, col, row.get(col, ""), "must be a percentage."))
                split.append(Fraction(0))
        if sum(split) == 0:
            split[0] = Fraction(100)
        elif sum(split) != 100:
            problems.append(InputProblem(file, where, "funding_social_care", str(float(sum(split))),
                                         "the funding split must add up to 100%."))
        out.append({"child": row.get("child_id", ""), "placement_ref": ref, "provider": row.get("provider", ""),
                    "cost_line": line_name, "weekly_pence": int(round(weekly * 100)), "start": start,
                    "planned_end": end, **{c: float(v) for c, v in zip(FUNDING, split, strict=True)}})
    if problems:
        raise FinanceInputError(problems)
    table = pd.DataFrame(out)
    table["start"] = pd.to_datetime(table["start"])
    table["planned_end"] = pd.to_datetime(table["planned_end"])
    table["child_id"] = pseudonymise(table.pop("child"), key) if key else table.pop("child")
    return Commitments(table)


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

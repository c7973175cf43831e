"""Ordinary mistakes in a council's returns, made one at a time: does Placecast say so, or change the history?

A small synthetic council's returns (CSV tables, two years) are mutated cell by cell (blanked, junk, lower
case, padded with spaces; dates written as ISO, month first, with a two-digit year or as 30 February), row by
row (deleted, repeated) and column by column (left out, misspelt). Each mutated copy is read, validated and
assembled, and sorted by what happened:

- ``refused``: the input cannot be used (exit 2 with a located message);
- ``said``: a finding the clean returns do not have (the history may or may not differ);
- ``same``: no new finding and the same history (a cell the history does not use, or a harmless change);
- ``silent``: the history differs and nothing was said: each one is listed, to be read by hand;
- ``crash``: anything else raised (a bug).

Not timed. Run: ``.venv/bin/python benchmarks/explore_return_mistakes.py [--sample N] [--no-write]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import random
import shutil
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, update_results  # noqa: E402

from placecast.errors import PlacecastError  # noqa: E402
from placecast.ssda903 import ingest  # noqa: E402
from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

DATES = {"DECOM", "DEC", "DOB", "MC_DOB", "DUC"}
Rows = list[list[str]]


def cell_changes(column: str, value: str) -> Iterator[tuple[str, str]]:
    """(name, new value) for each mistake made to one cell."""
    yield "blank", ""
    yield "junk", "ZZ"
    if value:
        yield "lower case", value.lower()
        yield "padded", f" {value} "
    if column in DATES and value.count("/") == 2:
        day, month, year = value.split("/")
        yield "ISO date", f"{year}-{month}-{day}"
        yield "month first", f"{month}/{day}/{year}"
        yield "two-digit year", f"{day}/{month}/{year[2:]}"
        yield "30 February", f"30/02/{year}"


def mistakes(rows: Rows) -> Iterator[tuple[str, str, Rows]]:
    """(where, what, the table's rows with the mistake) for every mistake made to one table."""
    head = rows[0]
    for i in range(1, len(rows)):
        yield f"row {i + 1}", "row deleted", rows[:i] + rows[i + 1:]
        yield f"row {i + 1}", "row repeated", rows[:i + 1] + [rows[i]] + rows[i + 1:]
        for j, column in enumerate(head):
            for what, new in cell_changes(column, rows[i][j]):
                if new != rows[i][j]:
                    changed = [list(r) for r in rows]
                    changed[i][j] = new
                    yield f"row {i + 1}, {column}", what, changed
    for j, column in enumerate(head):
        yield column, "column misspelt", [head[:j] + [column + "X"] + head[j + 1:], *rows[1:]]
        yield column, "column left out", [r[:j] + r[j + 1:] for r in rows]


def outcome(folder: Path) -> tuple[str, str, list[tuple[str, str]]]:
    """(kind, the history as text, the findings' rules) of ingesting ``folder``."""
    try:
        history, validated = ingest([folder], b"a key for the mistakes explored here")
    except PlacecastError as exc:
        return "refused", str(exc), []
    except Exception as exc:  # noqa: BLE001 - a crash is what this looks for
        return "crash", repr(exc), []
    episodes = history.episodes.drop(columns=["source"]).sort_values(["child_id", "start"])
    return "read", episodes.to_csv(index=False), sorted((f.rule, f.severity) for f in validated.findings)


def sorted_kind(base: tuple[str, str, list], got: tuple[str, str, list]) -> str:
    if got[0] != "read":
        return got[0]
    if set(got[2]) - set(base[2]) or len(got[2]) > len(base[2]):
        return "said"
    return "same" if got[1] == base[1] else "silent"


def explore(root: Path, sample: int | None) -> tuple[Counter, list[str]]:
    """Every mistake (or a random ``sample`` of them) through ingest: the count of each kind, and each silent
    change and crash described."""
    base = outcome(root / "returns")
    cases = [(table, where, what, rows) for table in sorted((root / "returns").rglob("*.csv"))
             for where, what, rows in mistakes(list(csv.reader(io.StringIO(table.read_text(encoding="utf-8")))))]
    if sample is not None and sample < len(cases):
        cases = random.Random(3).sample(cases, sample)
    counts, notes = Counter(), []
    for n, (table, where, what, rows) in enumerate(cases, start=1):
        work = root / "work"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(root / "returns", work)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        (work / table.relative_to(root / "returns")).write_text(buffer.getvalue(), encoding="utf-8")
        kind = sorted_kind(base, outcome(work))
        counts[kind] += 1
        if kind in ("silent", "crash"):
            notes.append(f"{kind}: {table.relative_to(root / 'returns')}, {where}: {what}")
            print(notes[-1], file=sys.stderr)  # as it is found: a long run may be stopped
        if n % 500 == 0:
            print(f"{n:,} of {len(cases):,}: {dict(counts)}", file=sys.stderr)
    return counts, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="a random sample of this many mistakes")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        made = write_returns(simulate(SynthSettings(children_in_care=30, years=2, end_year=2025, seed=5)),
                             root / "returns")
        counts, notes = explore(root, args.sample)
    total = sum(counts.values())
    body = "\n".join([
        "## Ordinary mistakes in the returns, one at a time",
        "",
        f"Machine: {machine()}. Command: `.venv/bin/python benchmarks/explore_return_mistakes.py"
        f"{f' --sample {args.sample}' if args.sample else ''}`. A synthetic council of "
        f"{made['children_in_care_at_end']} children in care "
        f"(`SynthSettings(children_in_care=30, years=2, seed=5)`), {total:,} mistakes, each through read, validate "
        "and assemble.",
        "",
        "| outcome | mistakes |", "|---|---|",
        *(f"| {kind} | {counts.get(kind, 0):,} |" for kind in ("refused", "said", "same", "silent", "crash")),
        "", "Each silent change or crash:", "", *(f"- {note}" for note in notes or ["none"])])
    print(body)
    if not args.no_write:
        update_results("return-mistakes", body)


if __name__ == "__main__":
    main()

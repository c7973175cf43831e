"""Writing output folders all or nothing: files are written to a temporary folder beside the
destination and moved in only when every one of them has been written."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_folder(out: Path, written: list[Path] | None = None) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``out`` (appending them to ``written``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".placecast-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
            if written is not None:
                written.append(out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_whole(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a part file beside it (named afresh, so two writers never share
    one) renamed over it, and removed when the write fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.unlink(part)


SIGNIFICANT_DIGITS = 15  # as many as a float holds exactly; beyond them is the arithmetic's rounding
FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"


def write_tables(out: Path, tables: dict[str, pd.DataFrame], texts: dict[str, str] | None = None) -> list[Path]:
    """Write each table as CSV (no index) into ``out``, with any ``texts`` (file name -> text, UTF-8) beside
    them, all or nothing. CSVs are UTF-8 with a byte-order mark, so that Excel shows a budget line's "£" or
    "’" as written (without it, Excel reads the file as ANSI: "Â£"). Numbers are written to
    :data:`SIGNIFICANT_DIGITS` significant digits: a whole number of pounds held as a float is written
    3254728, not 3254728.0, and the last bit of a sum (151.10000000000002) is not shown as a figure."""
    written: list[Path] = []
    with atomic_folder(out, written) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False, encoding="utf-8-sig", float_format=FLOAT_FORMAT)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return written

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
def atomic_folder(out: Path, written: list[Path] | None = None, owner: str | None = None) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``out`` (appending them to ``written``).

    With an ``owner`` (a command's name), the files it wrote into ``out`` last time and not this time are
    removed, so that a table an earlier run wrote (a forecast by age, a comparison with a scenario since
    dropped) is not left beside figures it does not match. The names are kept in ``.placecast-OWNER.files``;
    files the command never wrote are not touched."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".placecast-", dir=out.parent))
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        names = sorted(f.name for f in tmp.iterdir())
        for name in names:
            os.replace(tmp / name, out / name)
            if written is not None:
                written.append(out / name)
        if owner is not None:
            _forget_earlier(out, owner, names)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _forget_earlier(out: Path, owner: str, names: list[str]) -> None:
    """Remove the files ``owner`` wrote into ``out`` last time but not now (``names``), and record ``names``."""
    record = out / f".placecast-{owner}.files"
    before = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
    for name in sorted(set(before) - set(names)):
        if name and Path(name).name == name and (out / name).is_file():  # a bare file name, never a path
            (out / name).unlink()
    write_whole(record, "".join(f"{name}\n" for name in names).encode("utf-8"))


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


def write_tables(out: Path, tables: dict[str, pd.DataFrame], texts: dict[str, str] | None = None,
                 owner: str | None = None) -> list[Path]:
    """Write each table as CSV (no index) into ``out``, with any ``texts`` (file name -> text, UTF-8) beside
    them, all or nothing. CSVs are UTF-8 with a byte-order mark, so that Excel shows a budget line's "£" or
    "’" as written (without it, Excel reads the file as ANSI: "Â£"). Numbers are written to
    :data:`SIGNIFICANT_DIGITS` significant digits: a whole number of pounds held as a float is written
    3254728, not 3254728.0, and the last bit of a sum (151.10000000000002) is not shown as a figure. With an
    ``owner``, the tables it wrote into ``out`` before and not now are removed (see :func:`atomic_folder`)."""
    written: list[Path] = []
    with atomic_folder(out, written, owner) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False, encoding="utf-8-sig", float_format=FLOAT_FORMAT)
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return written

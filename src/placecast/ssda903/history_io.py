"""Writing and reading an assembled history folder (Parquet + CSV that opens in Excel)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from placecast.errors import UnusableInputError
from placecast.outputs import atomic_folder
from placecast.ssda903.assemble import History
from placecast.ssda903.findings import Findings

HISTORY_FILE = "history.parquet"
MANIFEST_FILE = "manifest.json"


def write_history(history: History, findings: Findings, out: Path, extra: dict | None = None,
                  key: bytes | None = None) -> list[Path]:
    """Write the history, repairs, sources and findings to ``out`` atomically (all or nothing), with the
    pseudonymisation key when it is new (``key``), so that the key stays with the data."""
    from placecast.ssda903.pseudonym import KEY_FILE, write_key_file

    written: list[Path] = []
    with atomic_folder(Path(out), written) as tmp:
        if key is not None:
            write_key_file(tmp / KEY_FILE, key)
        history.episodes.to_parquet(tmp / HISTORY_FILE, index=False)
        history.repairs.to_csv(tmp / "repairs.csv", index=False)
        history.sources.to_csv(tmp / "sources.csv", index=False)
        (tmp / "findings.csv").write_text(findings.to_csv(), encoding="utf-8")
        manifest = {
            "census_date": history.census_date.isoformat(),
            "years": history.years,
            "episodes": int(len(history.episodes)),
            "children": int(history.episodes["child_id"].nunique()) if len(history.episodes) else 0,
            "repairs": int(len(history.repairs)),
            "errors": len(findings.errors),
            "warnings": len(findings.warnings),
            "categories": history.labels,  # the taxonomy's, in order, with their labels
            **(extra or {}),
        }
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return written


def read_history(folder: Path) -> History:
    """Read a folder written by :func:`write_history`."""
    folder = Path(folder)
    try:
        manifest = _manifest(folder)
        episodes = pd.read_parquet(folder / HISTORY_FILE)
        repairs = pd.read_csv(folder / "repairs.csv", dtype=str, keep_default_na=False)
        sources = pd.read_csv(folder / "sources.csv", dtype=str, keep_default_na=False)
        census, years = date.fromisoformat(manifest["census_date"]), [int(y) for y in manifest["years"]]
        labels = _labels_in(manifest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _not_a_history(folder, exc) from exc
    return History(episodes, repairs, sources, census, years, labels)


def census_date_of(folder: Path) -> date:
    """The census date of an ingest folder, from its manifest alone (without reading the history)."""
    try:
        return date.fromisoformat(_manifest(folder)["census_date"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _not_a_history(folder, exc) from exc


def _manifest(folder: Path) -> Any:
    """The manifest of an ingest folder as written (OSError or ValueError when it cannot be read)."""
    return json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))


def _not_a_history(folder: Path, exc: Exception) -> UnusableInputError:
    return UnusableInputError(f"{folder}: not a readable Placecast history folder ({exc}). "
                              "Run 'placecast ingest' to make one.")


def manifest_of(folder: Path) -> dict:
    """The manifest of an ingest folder ({} when there is none)."""
    try:
        return dict(_manifest(folder))
    except (OSError, ValueError):
        return {}


def categories_of(folder: Path) -> list[str]:
    """The placement categories an ingest folder's manifest names (its taxonomy's, in order): none when it
    is no ingest folder or was written before manifests named them."""
    try:
        return list(_labels_in(_manifest(folder))) if is_history_folder(folder) else []
    except (OSError, ValueError, AttributeError):
        return []


def _labels_in(manifest: Any) -> dict[str, str]:
    """The taxonomy's categories and labels a manifest names, in order ({} before manifests named them)."""
    return {str(c): str(label) for c, label in (manifest.get("categories") or {}).items()}


def is_history_folder(path: Path) -> bool:
    """True when ``path`` is a folder written by 'placecast ingest'."""
    return Path(path).is_dir() and (Path(path) / HISTORY_FILE).exists() and (Path(path) / MANIFEST_FILE).exists()


def check_keeps_years(out: Path, years: list[int]) -> None:
    """An ingest replaces the folder's history: returns that leave out years it holds would lose them (next
    year's return ingested alone left a history of one year, with exit 0). :class:`UnusableInputError` says
    which, and how to keep them."""
    from placecast.errors import UnusableInputError
    from placecast.ssda903.pseudonym import KEY_FILE

    held = [int(y) for y in manifest_of(out).get("years") or []]
    lost = sorted(set(held) - set(years))
    if lost:
        raise UnusableInputError(
            f"{out} holds a history of {held[0]}-{held[-1]}; these returns are for "
            f"{', '.join(map(str, years)) or 'no year'}, and an ingest replaces the history, so "
            f"{', '.join(map(str, lost))} would be lost. Ingest every year's returns together (the new year's "
            f"folder with the earlier ones) into {out}; to leave years out on purpose, give --out a new folder "
            f"(with --key-file {Path(out) / KEY_FILE} to keep the same pseudonyms).")


def check_not_beside_returns(path: Path) -> None:
    """An ingest folder that also holds year folders of returns is read as its history, so returns added there
    later (next year's) would be passed over: :class:`UnusableInputError` saying to keep them apart."""
    from placecast.errors import UnusableInputError
    from placecast.ssda903.read import TABLE_SUFFIXES, YEAR_RE

    years = sorted(d.name for d in Path(path).iterdir() if d.is_dir() and YEAR_RE.match(d.name)
                   and any(f.suffix.lower() in TABLE_SUFFIXES for f in d.iterdir()))
    if years:
        raise UnusableInputError(f"{path} holds an assembled history (written by 'placecast ingest') and returns "
                                 f"in year folders ({', '.join(years)}): it would be read as the history, and returns "
                                 "added later passed over. Keep them apart: ingest the returns into a folder of "
                                 f"their own (placecast ingest {path} --out ANOTHER_FOLDER), then remove "
                                 f"{HISTORY_FILE} and {MANIFEST_FILE} from {path}.")

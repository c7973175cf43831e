"""The record of what a report was made from: every input file as it was (or, for files naming children, its
fingerprint alone), the care history's summary and fingerprint, and the configuration that reads them, in one
zip beside the report. A report signed off in July can then be traced to the budget, unit costs and targets
it used, though each has been replaced since.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

import yaml

from placecast.quarter.config import FILE_KEYS, ReportConfig

CHILD_LEVEL = ("plan", "commitments")  # they name children (the programme log, the register): fingerprints only


def fingerprint(path: Path) -> str:
    """The SHA-256 of a file's bytes, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _history(config: ReportConfig) -> dict:
    """The care history's summary (from an ingest folder's manifest) and its table's fingerprint."""
    folder = Path(config.data[0])
    manifest, table = folder / "manifest.json", folder / "history.parquet"
    if len(config.data) != 1 or not manifest.exists():  # returns: each table file's fingerprint, as read
        from placecast.ssda903.read import discover

        folders = [Path(p) for p in config.data if Path(p).exists()]
        return {"returns": {str(f): fingerprint(f) for f, _ in discover(folders)} if folders
                else [str(p) for p in config.data]}
    summary = json.loads(manifest.read_text(encoding="utf-8"))
    keep = ("census_date", "years", "episodes", "children", "repairs", "errors", "warnings", "categories")
    return {**{k: summary[k] for k in keep if k in summary},
            "history_sha256": fingerprint(table) if table.exists() else None}


def write_inputs_record(config: ReportConfig, path: Path, made: datetime) -> Path:
    """Write the zip of ``config``'s inputs to ``path``: ``report.yaml`` (reading the copies beside it, and the
    care history and the files naming children where they were), a copy of each input file but those naming
    children, and ``record.json`` with every file's name, size and SHA-256 and the care history's summary and
    fingerprint."""
    files: dict[str, Path] = {}
    inputs: dict[str, dict] = {}
    record = {"made": made.isoformat(timespec="seconds"), "council": config.council, "quarter": config.quarter,
              "inputs": inputs, "history": _history(config)}
    settings = config.model_dump(mode="json", exclude={"data", "key_file", *FILE_KEYS})
    for key in FILE_KEYS:
        source = getattr(config, key)
        if source is None:
            continue
        source = Path(source)
        entry = {"file": source.name, "bytes": source.stat().st_size, "sha256": fingerprint(source),
                 "copied": key not in CHILD_LEVEL}
        inputs[key] = entry
        if entry["copied"]:
            files[f"inputs/{key}{source.suffix}"] = source
            settings[key] = f"inputs/{key}{source.suffix}"
        else:  # named where it was, as the data are: its fingerprint says whether it is still the same
            settings[key] = str(source.resolve())
    settings["data"] = [str(Path(p).resolve()) if Path(p).exists() else str(p) for p in config.data]
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.yaml", "# The report's configuration as made: the inputs are beside it, the data where "
                   "they were.\n"
                   + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True))
        z.writestr("record.json", json.dumps(record, indent=2, default=str))
        for name, source in files.items():
            z.write(source, name)
    part.replace(path)
    return path


"""A report model as plain data: every figure and label as the reader sees it (rounded once, as
displayed), for golden files and for reviewing what a change did to a report."""

from __future__ import annotations

import difflib
import json

from placecast.report.model import Chart, Report, Table, Text, display


def _block(block: Table | Chart | Text) -> dict:
    if isinstance(block, Table):
        return {"table": block.name, "title": block.title, "columns": [c.label for c in block.columns],
                "rows": [[block.cell(r, c.key) for c in block.columns] for r in block.rows], "note": block.note}
    if isinstance(block, Chart):
        return {"chart": block.name, "title": block.title, "alt": block.alt}
    return {"text": block.css, "paragraphs": list(block.paragraphs)}


def snapshot(report: Report) -> dict:
    """Every figure, label, table cell, chart description, warning and note of ``report``."""
    return {
        "title": report.title, "council": report.council, "quarter": report.quarter,
        "as_at": report.as_at.strftime("%d/%m/%Y"),
        "headline": [{"label": f.label, "value": display(f.value, f.kind), "note": f.note} for f in report.headline],
        "sections": [{"id": s.id, "title": s.title, "intro": s.intro, "blocks": [_block(b) for b in s.blocks]}
                     for s in report.sections],
        "warnings": list(report.warnings), "notes": list(report.notes),
    }


def snapshot_text(report: Report) -> str:
    """The snapshot as indented JSON, one value per line (so a diff is readable)."""
    return json.dumps(snapshot(report), indent=1, ensure_ascii=False) + "\n"


def snapshot_diff(expected: str, actual: str, name: str = "golden") -> str:
    """A unified diff of two snapshots ('' when they agree)."""
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), f"{name} (expected)",
                                        f"{name} (actual)", n=2))

"""Section: data quality: validation findings by rule and the repairs made when assembling."""

from __future__ import annotations

import pandas as pd

from placecast.quarter import QuarterResults
from placecast.report.model import Column, Section, Table, Text
from placecast.report.sections.common import intro
from placecast.ssda903.findings import RULES

ID = "quality"


def finding_rows(findings: pd.DataFrame) -> list[dict]:
    """Findings counted by rule and severity, errors first, most frequent first."""
    if not len(findings):
        return []
    counts = findings.groupby(["rule", "severity"]).size().reset_index(name="count")
    return [{"rule": r["rule"], "title": RULES.get(r["rule"], ("", "", ""))[2], "severity": r["severity"],
             "count": int(r["count"])}
            for r in counts.sort_values(["severity", "count"], ascending=[True, False]).to_dict("records")]


def build(results: QuarterResults) -> Section:
    """Data quality."""
    q = results.quality
    rep = q.repairs
    rep_rows = [{"action": a, "why": w, "count": int(n)} for (a, w), n in
                rep.groupby(["action", "why"]).size().sort_values(ascending=False).items()] if len(rep) else []
    return Section(ID, "Data quality", [
        Text([f"{q.errors:,} error(s) and {q.warnings:,} warning(s) in the SSDA903 data; {len(rep):,} repair(s) made "
              "when assembling the history. Run 'placecast validate' for every finding with its file, line, column "
              "and value."]),
        Table("findings", "Validation findings by rule", [Column("rule", "Rule"), Column("title", "What"),
                                                          Column("severity", "Severity"),
                                                          Column("count", "Count", "int")], finding_rows(q.findings)),
        Table("repairs", "Repairs made when assembling the history", [Column("action", "Repair"), Column("why", "Why"),
                                                                     Column("count", "Count", "int")], rep_rows),
    ], intro(results, ID))

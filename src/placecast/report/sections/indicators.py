"""Section: performance indicators with RAG and direction of travel, and commentary where needed."""

from __future__ import annotations

from pathlib import Path

from placecast.finance.calendar import fy_end
from placecast.kpi.rag import needs_commentary, rules_key
from placecast.quarter import QuarterResults
from placecast.report.model import DOT_TEXT, Column, Section, Table, Text
from placecast.report.sections.common import intro

ID = "indicators"
UNIT_KINDS = {"count": "int", "rate": "num1", "%": "pct"}


def rows(results: QuarterResults) -> list[dict]:
    """One row per rated indicator: values at three dates, the forecast, target, RAG and direction."""
    ind = results.indicators
    out = []
    for r in ind.rated.to_dict("records"):
        definition, v = ind.definitions[r["id"]], ind.values[r["id"]]
        kind = UNIT_KINDS.get(definition.unit, "num1")
        polarity = "Context only" if definition.polarity == "None" else definition.polarity  # not "None"
        out.append({"id": r["id"], "name": r["name"], "polarity": polarity, "two": v.two_years_ago,
                    "prev": v.previous_year_end, "current": v.current, "forecast": v.forecast,
                    "target": "" if definition.target is None else definition.target, "rag": r["rag"],
                    "dot": r["direction"], "_kinds": dict.fromkeys(("two", "prev", "current", "forecast", "target"),
                                                                  kind)})
    return out


def commentary(results: QuarterResults) -> list[Text]:
    """Commentary for every Red indicator and every Amber one getting worse (a placeholder where missing)."""
    out = []
    for r in results.indicators.rated.to_dict("records"):
        if not needs_commentary(r["rag"], r["direction"]):
            continue
        text = results.inputs.commentary.indicator(r["id"])
        lead = f"{r['id']} ({r['rag']}, {DOT_TEXT.get(r['direction'], r['direction'])})"
        out.append(Text([f"{lead}: {text}"], "commentary") if text else
                   Text([f"{lead}: commentary needed. Add it under 'indicators' in the commentary file."],
                        "commentary missing"))
    return out


def warnings(results: QuarterResults) -> list[str]:
    """A warning for each Red indicator without commentary."""
    return [f"No commentary for Red indicator {r['id']} ({r['name']})."
            for r in results.indicators.rated.to_dict("records")
            if r["rag"] == "Red" and not results.inputs.commentary.indicator(r["id"])]


def sources(results: QuarterResults) -> str:
    """Where the indicators' values come from: the history, and the council's values file for those the
    returns cannot give (named, so that each figure can be traced)."""
    given = [i for i in results.indicators.values if i in results.inputs.values
             and results.indicators.values[i] is results.inputs.values[i]]
    if not given:
        return "Computed from the SSDA903 history."
    return (f"{', '.join(given)}: as given in {Path(results.inputs.values_source).name} (the council's other "
            "systems); the rest computed from the SSDA903 history.")


def build(results: QuarterResults) -> Section:
    """Performance indicators."""
    as_at, ind = results.as_at, results.indicators
    table = Table("indicators", f"Performance indicators at {as_at:%d/%m/%Y}",
                  [Column("id", "Id"), Column("name", "Indicator"), Column("polarity", "Good performance"),
                   Column("two", f"{ind.two_years_ago:%d/%m/%Y}", "num1"),
                   Column("prev", f"{ind.previous_year_end:%d/%m/%Y}", "num1"),
                   Column("current", f"{as_at:%d/%m/%Y}", "num1"),
                   Column("forecast", f"Forecast {fy_end(as_at):%d/%m/%Y}", "num1"), Column("target", "Target", "num1"),
                   Column("rag", "RAG", "rag"), Column("dot", "Direction of travel", "dot")], rows(results),
                  f"{rules_key()} {sources(results)}")
    notes = commentary(results)
    lead = (Text(["Commentary on Red indicators and on Amber indicators that are getting worse."], "lead") if notes
            else Text(["No indicator is Red or Amber and getting worse."]))
    return Section(ID, "Performance indicators", [table, lead, *notes], intro(results, ID))

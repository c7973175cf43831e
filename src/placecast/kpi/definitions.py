"""Indicator definitions and values as data, read from CSV or YAML with located errors."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from placecast.errors import LocatedInputError, LocatedProblem
from placecast.kpi.files import IndicatorRow, IndicatorValuesRow
from placecast.schema import (
    InputFileError,
    StrictModel,
    check_columns,
    number_text,
    parse_yaml,
    unnamed_cells,
)

POLARITIES = {"high": "High", "low": "Low", "none": "None", "": "None", "-": "None", "null": "None",
              "contextual": "None", "n/a": "None"}
# the ways councils' tables write polarity: "High is good", "Bigger is better", "Lower is better", "Up", ...
for _word in ("high is good", "higher is better", "bigger is better", "big is good", "larger is better",
              "more is better", "up", "up is good", "maximise", "maximize", "↑"):
    POLARITIES[_word] = "High"
for _word in ("low is good", "lower is better", "smaller is better", "small is good", "less is better", "down",
              "down is good", "minimise", "minimize", "↓"):
    POLARITIES[_word] = "Low"
SCHEMES = {"": "RAG", "rag": "RAG", "red amber green": "RAG", "red/amber/green": "RAG", "rg": "RG",
           "red green": "RG", "red/green": "RG", "no amber": "RG", "no amber band": "RG"}
COMPARE = {"": "previous year end", "previous year end": "previous year end", "year end": "previous year end",
           "last year end": "previous year end", "same period last year": "same period last year",
           "same quarter last year": "same period last year", "same time last year": "same period last year"}
INFLUENCES = {"council": "Council", "partnership": "Partnership", "contextual": "Contextual"}
UNITS = {"%", "rate", "count", "score", "number", "ratio"}
UNIT_WORDS = {"percent": "%", "per cent": "%", "percentage": "%", "pct": "%"}  # as councils head the column
NO_TARGET = {"", "n/a", "na", "null", "none", "-"}
RAGS = {"r": "Red", "red": "Red", "a": "Amber", "amber": "Amber", "g": "Green", "green": "Green",
        "n/a": "N/A", "na": "N/A", "": "", "null": "N/A"}
DOTS = {"↑": "better", "better": "better", "getting better": "better", "↓": "worse", "worse": "worse",
        "getting worse": "worse", "→": "stable", "stable": "stable", "○": "n/a", "n/a": "n/a", "": ""}


Problem = LocatedProblem


class IndicatorFileError(LocatedInputError):
    """An indicator file has problems; ``problems`` lists every one."""

    what = "the indicator file(s)"


@dataclass
class Indicator:
    """An indicator definition. ``target`` is a number, "Maximise", "Minimise" or None."""

    id: str
    name: str
    polarity: str  # High, Low or None
    influence: str  # Council, Partnership or Contextual
    unit: str
    target: float | str | None
    scheme: str = "RAG"  # RAG, or RG: no amber band
    tolerance: float | None = None  # the indicator's own red gap (RAG) or green tolerance (RG)
    floor: float | None = None  # a floor target: Red beyond it, Amber between it and the target
    compare_with: str = "previous year end"  # or "same period last year" for the direction of travel

    @property
    def scheme_text(self) -> str:
        """The indicator's rating scheme in words, for the tables."""
        if self.floor is not None:
            return f"floor {self.floor:g}"
        words = "no amber band" if self.scheme == "RG" else "RAG"
        return words + ("" if self.tolerance is None else f", tolerance {self.tolerance:.0%}")

    @property
    def contextual(self) -> bool:
        """True when the indicator is contextual (no RAG or direction of travel)."""
        return self.influence == "Contextual" or self.polarity == "None"


@dataclass
class IndicatorValues:
    """An indicator's values: two years ago, the previous year end, now, the forecast, and what was published."""

    id: str
    two_years_ago: float | None = None
    previous_year_end: float | None = None
    current: float | None = None
    current_date: date | None = None
    forecast: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    published_rag: str = ""
    published_dot: str = ""
    extra: dict = field(default_factory=dict)
    same_period_last_year: float | None = None


def _rows(path: Path, schema: type[StrictModel]) -> list[tuple[str, dict[str, str]]]:
    """Rows of a CSV (line numbers as a spreadsheet shows them) or YAML list (keys as 'item N'); a column
    or key the ``schema`` does not know is an error with "did you mean"."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IndicatorFileError([Problem(str(path), "-", "-", "", f"cannot be read ({exc}); save it as UTF-8 "
                                          "CSV or YAML.")]) from exc
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        try:
            data, _ = parse_yaml(text, str(path))  # not YAML, or a key given twice: located
        except InputFileError as exc:
            raise IndicatorFileError(exc.problems) from exc
        items = data.get("indicators", data) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise IndicatorFileError([Problem(str(path), "-", "-", "", "expected a list of indicators "
                                              "(or a mapping with an 'indicators' list).")])
        rows = [(f"item {i + 1}", {str(k): "" if v is None else str(v) for k, v in dict(item).items()})
                for i, item in enumerate(items)]
        unknown = [p for line, row in rows for p in check_columns(list(row), schema, str(path), line)]
        if unknown:
            raise IndicatorFileError(unknown)
        return rows
    if "\x00" in text:
        raise IndicatorFileError([Problem(str(path), "-", "-", "", "this is not a text CSV file.")])
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "id" not in [f.strip().lower() for f in reader.fieldnames]:
        raise IndicatorFileError([Problem(str(path), "1", "id", ",".join(reader.fieldnames or []),
                                          "the file needs a header row with an 'id' column.")])
    unknown = check_columns([(f or "").strip().lower() for f in reader.fieldnames], schema, str(path))
    unknown += unnamed_cells(list(csv.reader(io.StringIO(text))), schema, str(path))
    if unknown:
        raise IndicatorFileError(unknown)
    return [(str(i + 2), {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
            for i, row in enumerate(reader)]


def _number(text: str) -> float | None:
    cleaned = number_text(text, "%£")
    if cleaned.lower() in NO_TARGET:
        return None
    value = float(cleaned)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(text)
    return value


def _numbers(row: dict[str, str], keys: tuple[str, ...], where: tuple[str, str, list[Problem]], example: str
             ) -> dict[str, float | None]:
    """The numbers in ``keys`` of a row (None when blank); a cell that is not a number is a located problem."""
    file, line, problems = where
    out: dict[str, float | None] = {}
    for key in keys:
        text = row.get(key, "")
        try:
            out[key] = _number(text)
        except ValueError:
            problems.append(Problem(file, line, key, text, f"not a number; write it like {example}."))
            out[key] = None
    return out


def _rows_with_ids(path: Path, schema: type[StrictModel], problems: list[Problem], seen: set[str],
                   duplicate: str):
    """(line, row, id) for each row with a new, non-blank id; other rows become problems."""
    file = str(path)
    for line, raw in _rows(path, schema):
        row = {k.lower(): v for k, v in raw.items()}
        ident = row.get("id", "").strip()
        if not ident:
            problems.append(Problem(file, line, "id", "", "every row needs an indicator id, e.g. CFE.53."))
        elif ident in seen:
            problems.append(Problem(file, line, "id", ident, duplicate))
        else:
            seen.add(ident)
            yield line, row, ident


def _scheme(row: dict[str, str], file: str, line: str, problems: list[Problem]
            ) -> tuple[str, float | None, float | None, str]:
    """The indicator's rating scheme, tolerance, floor and direction-of-travel comparison, as given."""
    raw = row.get("scheme", "")
    scheme = SCHEMES.get(" ".join(raw.lower().replace("-", " ").split()))
    if scheme is None:
        problems.append(Problem(file, line, "scheme", raw, "scheme must be RAG (Red, Amber, Green) or RG (no amber "
                                "band)."))
    numbers = _numbers(row, ("tolerance", "floor"), (file, line, problems), "10% or 0.1")
    tolerance = numbers["tolerance"]
    if tolerance is not None:
        tolerance = tolerance / 100 if "%" in row.get("tolerance", "") or tolerance > 1 else tolerance
        if not 0 <= tolerance < 1:
            problems.append(Problem(file, line, "tolerance", row.get("tolerance", ""), "a tolerance is a share of "
                                    "the target between 0% and 100%."))
    raw_compare = row.get("compare_with", "")
    compare = COMPARE.get(" ".join(raw_compare.lower().split()))
    if compare is None:
        problems.append(Problem(file, line, "compare_with", raw_compare, "compare_with must be 'previous year end' "
                                "or 'same period last year'."))
    return scheme or "RAG", tolerance, numbers["floor"], compare or "previous year end"


def read_definitions(path: Path) -> dict[str, Indicator]:
    """Definitions keyed by id; every problem in the file is reported at once."""
    problems: list[Problem] = []
    out: dict[str, Indicator] = {}
    file = str(path)
    for line, row, ident in _rows_with_ids(path, IndicatorRow, problems, set(),
                                         "this id is defined twice; keep one definition."):
        pol_raw = row.get("polarity", "")
        polarity = POLARITIES.get(pol_raw.strip().lower())
        if polarity is None:
            problems.append(Problem(file, line, "polarity", pol_raw, "polarity must be High, Low or None (or "
                                    "written as 'High is good', 'Bigger is better', 'Lower is better', ...)."))
        inf_raw = row.get("influence", "Council")
        influence = INFLUENCES.get(inf_raw.strip().lower() or "council")
        if influence is None:
            problems.append(Problem(file, line, "influence", inf_raw,
                                    "influence must be Council, Partnership or Contextual."))
        unit_raw = row.get("unit", "%").strip()  # no unit column: every indicator a percentage
        unit = UNIT_WORDS.get(unit_raw.lower(), unit_raw.lower())
        if not unit_raw:  # a blank cell was read as %: a count of 485 shown as 485%
            problems.append(Problem(file, line, "unit", "", f"give the unit: one of {', '.join(sorted(UNITS))}."))
        elif unit not in UNITS:
            problems.append(Problem(file, line, "unit", unit_raw, f"unit must be one of {', '.join(sorted(UNITS))} "
                                    "(a percentage may also be written percent or percentage)."))
        t_raw = row.get("target", "").strip()
        target: float | str | None
        if t_raw.lower() in ("maximise", "maximize"):
            target = "Maximise"
        elif t_raw.lower() in ("minimise", "minimize"):
            target = "Minimise"
        else:
            try:
                target = _number(t_raw)
            except ValueError:
                problems.append(Problem(file, line, "target", t_raw, "target must be a number, Maximise, "
                                        "Minimise or N/A."))
                target = None
        if target in ("Maximise", "Minimise") and polarity == "None":
            problems.append(Problem(file, line, "target", t_raw, f"a {target} target needs a High or Low polarity."))
        scheme, tolerance, floor, compare = _scheme(row, file, line, problems)
        out[ident] = Indicator(ident, row.get("name", ident), polarity or "None", influence or "Council", unit,
                               target, scheme, tolerance, floor, compare)
    if problems:
        raise IndicatorFileError(problems)
    return out


def scale_warnings(definitions: dict[str, Indicator], values: dict[str, IndicatorValues]) -> list[str]:
    """A percentage indicator whose values and target differ about a hundredfold (0.72 against a target of 70):
    one of them is a fraction of 1 written where a percentage was meant, and every rating against the target
    would be wrong. Said, not refused: a value under 1% against a large target can be real, if rare.

    >>> defs = {"FOSTER": Indicator("FOSTER", "Fostered", "High", "Council", "%", 70.0)}
    >>> scale_warnings(defs, {"FOSTER": IndicatorValues("FOSTER", current=0.72)})[0][:67]
    'FOSTER: its values (0.72) are about a hundredth of its target (70):'
    """
    out = []
    for ident, v in values.items():
        d = definitions.get(ident)
        given = [x for x in (v.two_years_ago, v.previous_year_end, v.current, v.same_period_last_year)
                 if x is not None and x == x]
        if d is None or d.unit != "%" or not isinstance(d.target, float) or d.target <= 0 or not given \
                or min(given) <= 0:
            continue
        ratio = d.target / max(given)
        if 50 <= ratio <= 200 and max(given) <= 1:
            out.append(f"{ident}: its values ({', '.join(f'{x:g}' for x in given)}) are about a hundredth of its "
                       f"target ({d.target:g}): if they are fractions of 1, write them as percentages "
                       f"({given[-1] * 100:g} or {given[-1] * 100:g}%), or the ratings are wrong.")
        elif 1 / 200 <= ratio <= 1 / 50 and d.target <= 1:
            out.append(f"{ident}: its target ({d.target:g}) is about a hundredth of its values "
                       f"({', '.join(f'{x:g}' for x in given)}): if the target is a fraction of 1, write it as a "
                       f"percentage ({d.target * 100:g} or {d.target * 100:g}%), or the ratings are wrong.")
    return out


def read_values(path: Path, definitions: dict[str, Indicator] | None = None) -> dict[str, IndicatorValues]:
    """Values keyed by id (two years ago, previous year end, current with its date, forecast, ...)."""
    problems: list[Problem] = []
    out: dict[str, IndicatorValues] = {}
    file = str(path)
    duplicate = "values for this id are given twice; keep one row."
    for line, row, ident in _rows_with_ids(path, IndicatorValuesRow, problems, set(), duplicate):
        if definitions is not None and ident not in definitions:
            problems.append(Problem(file, line, "id", ident, "no definition has this id; add it to the "
                                    "definitions file or correct the id."))
        values = _numbers(row, ("two_years_ago", "previous_year_end", "current", "forecast", "numerator",
                                "denominator", "same_period_last_year"), (file, line, problems), "87.7 or 87.7%")
        when = None
        raw_date = row.get("current_date", "").strip()
        if raw_date:
            for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
                try:
                    when = datetime.strptime(raw_date, fmt).date()
                    break
                except ValueError:
                    continue
            else:
                problems.append(Problem(file, line, "current_date", raw_date, "not a date; use dd/mm/yyyy."))
        rag_raw = row.get("published_rag", "")
        dot_raw = row.get("published_dot", "")
        rag = RAGS.get(rag_raw.strip().lower())
        dot = DOTS.get(dot_raw.strip().lower())
        if rag is None:
            problems.append(Problem(file, line, "published_rag", rag_raw, "a rating must be R, A, G or N/A."))
        if dot is None:
            problems.append(Problem(file, line, "published_dot", dot_raw, "direction of travel must be ↑, ↓, → "
                                    "or ○ (better, worse, stable, n/a)."))
        out[ident] = IndicatorValues(ident, values["two_years_ago"], values["previous_year_end"], values["current"],
                                     when, values["forecast"], values["numerator"], values["denominator"],
                                     rag or "", dot or "", same_period_last_year=values["same_period_last_year"])
    if problems:
        raise IndicatorFileError(problems)
    return out

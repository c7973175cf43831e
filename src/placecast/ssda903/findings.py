"""Validation findings: every problem located by file, spreadsheet line and column."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"

# Rule id -> (severity, DfE rule it corresponds to, short title). The message of each finding
# says what is wrong with that value and what to do.
RULES: dict[str, tuple[str, str, str]] = {
    "COLUMN_MISSING": (ERROR, "", "A column the table needs is missing"),
    "COLUMN_UNEXPECTED": (ERROR, "", "A column is not part of the table (extra or misspelt)"),
    "COLUMN_CASE": (WARNING, "", "A column name is not in upper case"),
    "COLUMN_REPEATED": (ERROR, "", "The same column appears twice"),
    "ROW_SHAPE": (ERROR, "", "A row has more or fewer cells than the header"),
    "SHEET_IGNORED": (WARNING, "", "A worksheet is not an SSDA903 table"),
    "XML_ELEMENT_IGNORED": (WARNING, "", "A group of an XML return is not in the DfE's schema and was not read"),
    "TITLE_ROWS": (WARNING, "", "Rows above the header row (a title) were skipped"),
    "DATE_FORMAT_FILE": (WARNING, "", "A file writes its dates in another unambiguous format; they were read"),
    "DATE_FORMAT_US": (ERROR, "", "A file writes its dates month first (mm/dd/yyyy); none can be trusted"),
    "FILE_EMPTY": (WARNING, "", "A file is empty and was skipped"),
    "FILE_REPEATED": (WARNING, "", "A file is an exact copy of another in the same year and was skipped"),
    "TABLE_REPEATED": (ERROR, "", "A collection year has two files of the same table"),
    "TABLE_EMPTY": (ERROR, "", "A collection year's return has no episodes"),
    "YEAR_MISSING": (ERROR, "", "A collection year is missing between the first and the last"),
    "HEADER_MISSING": (ERROR, "", "A collection year's return has no Header table"),
    "VALUE_MISSING": (ERROR, "", "A value that may not be blank is blank"),
    "DATE_FORMAT": (ERROR, "102/141/147", "A date is not written as dd/mm/yyyy"),
    "DATE_IMPOSSIBLE": (ERROR, "102/141/147", "A date does not exist in the calendar"),
    "CODE_INVALID": (ERROR, "101/103/143-149", "A code is not in the SSDA903 code list"),
    "CODE_NOT_IN_YEAR": (ERROR, "146", "A code is not valid in this collection year"),
    "CODE_LEGACY": (WARNING, "", "A legacy code was mapped to its modern equivalent"),
    "PROVIDER_NOT_ALLOWED": (ERROR, "527-531/550", "The provider cannot provide this placement type"),
    "PROVIDER_MISSING": (ERROR, "178", "The placement needs a provider"),
    "PROVIDER_NOT_EXPECTED": (ERROR, "213/526", "The placement type is recorded without a provider"),
    "DEC_BEFORE_DECOM": (ERROR, "356", "The episode ends before it starts"),
    "REC_WITHOUT_DEC": (ERROR, "148", "A reason episode ceased is given with no end date"),
    "DEC_WITHOUT_REC": (ERROR, "148", "An end date is given with no reason episode ceased"),
    "EPISODE_OVERLAP": (ERROR, "501", "Two episodes of the same child overlap"),
    "OPEN_EPISODES": (ERROR, "142", "More than one episode of the child is open"),
    "X1_NO_CONTINUATION": (ERROR, "388/433", "An episode ending X1 is not followed by a new episode the same day"),
    "CONTINUATION_NO_X1": (ERROR, "433/434", "A continuation episode has no preceding episode ending X1"),
    "TEMP_PERIOD_START": (ERROR, "380", "A period of care starts with a temporary placement"),
    "TEMP_PERIOD_END": (ERROR, "381", "A period of care ends with a temporary placement"),
    "BEFORE_BIRTH": (ERROR, "302", "An episode starts before the child's date of birth"),
    "NO_HEADER": (ERROR, "INT03", "A child in Episodes has no Header row"),
    "DUPLICATE_ROW": (ERROR, "", "A row is an exact copy of an earlier row"),
    "HEADER_REPEATED": (ERROR, "", "A child has more than one Header row"),
    "EPISODE_REPEATED": (ERROR, "", "Two different rows have the same child and DECOM"),
    "UASC_UNKNOWN_CHILD": (ERROR, "INT", "A UASC row is for a child not in the Header"),
    "OVER_18": (ERROR, "", "The child is 18 or over when the episode starts"),
    "OUTSIDE_YEAR": (ERROR, "354/385", "A date falls outside the collection year of the return"),
    "YEAR_MISMATCH": (ERROR, "", "The folder's collection year does not match the dates in the file"),
    "NOT_CARRIED_FORWARD": (WARNING, "562", "An episode open at 31 March is missing from the next return"),
    "RETURN_INCOMPLETE": (ERROR, "", "A return lacks over a quarter of its children: those in care at its start, "
                                     "or those in its Header"),
    "CHILD_ID_ZEROS": (ERROR, "", "Children in care are in the next return with their ids' leading zeros dropped "
                                  "or added"),
    "CHILD_ID_ROUNDED": (ERROR, "", "CHILD ids are in scientific notation, rounded by a spreadsheet"),
}


# Errors after which the assembled history misstates who was in care (a collection year missing between two
# returns closes every child in care at its start; a year with no episodes, likewise; a year with no Header
# leaves its new children with no date of birth, so no age; a file whose dates fit another year than its
# folder's puts a year's care in the wrong year; month-first dates swap day and month wherever the day is 12 or
# less; a return missing a large share of the children in care at its start, cut short or filtered, or with
# the children's ids changed, closes them all at 31 March; ids whose leading zeros a spreadsheet dropped in one
# return count each such child twice, and ids a spreadsheet rounded to 1.23457E+11 merge children): nothing
# may be forecast, costed or reported from such a history until the returns are mended.
HISTORY_ERRORS = ("YEAR_MISSING", "TABLE_EMPTY", "HEADER_MISSING", "YEAR_MISMATCH", "DATE_FORMAT_US",
                  "RETURN_INCOMPLETE", "CHILD_ID_ZEROS", "CHILD_ID_ROUNDED")


@dataclass(frozen=True)
class Finding:
    """One problem in one place. ``line`` is the spreadsheet row (header = 1; 0 = the whole file)."""

    file: str
    line: int
    column: str
    value: str
    rule: str
    severity: str
    message: str
    dfe_rule: str = ""
    child: str = field(default="", repr=False, compare=False)  # the row's CHILD, for the data owner only

    @property
    def is_error(self) -> bool:
        """True for an error (not a warning)."""
        return self.severity == ERROR


def finding(file: str, line: int, column: str, value: str, rule: str, message: str, child: str = "") -> Finding:
    """Build a finding with the severity its rule carries (``child``: the row's CHILD, never shown by default)."""
    severity = RULES[rule][0]
    shown = "(child id withheld)" if column == "CHILD" and value else value
    return Finding(file, int(line), column, shown, rule, severity, message, dfe_code(rule, column, value), child)


def dfe_code(rule: str, column: str, value: str) -> str:
    """The DfE rule code(s) a Placecast finding corresponds to ("" where the DfE has none)."""
    from placecast.ssda903.dfe_rules import load_catalogue

    native = _native_codes(load_catalogue())
    return native.get((rule, column)) or native.get((rule, value)) or native.get((rule, ""), "")


_NATIVE: dict[tuple[str, str], str] = {}


def _native_codes(catalogue) -> dict[tuple[str, str], str]:
    if not _NATIVE:
        _NATIVE.update(catalogue.native_codes())
    return _NATIVE


FIELDS = ["file", "line", "column", "value", "rule", "dfe_rule", "severity", "message"]


class Findings:
    """An ordered collection of findings with renderings for people and machines."""

    def __init__(self, items: Iterable[Finding] = ()) -> None:
        self._items: list[Finding] = list(items)

    def add(self, item: Finding) -> None:
        """Add a finding."""
        self._items.append(item)

    def extend(self, items: Iterable[Finding]) -> None:
        """Add several findings."""
        self._items.extend(items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def errors(self) -> list[Finding]:
        """The findings that are errors."""
        return [f for f in self._items if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that are warnings."""
        return [f for f in self._items if not f.is_error]

    def sorted(self) -> Findings:
        """The findings in file, line and column order."""
        return Findings(sorted(self._items, key=lambda f: (f.file, f.line, f.column, f.rule)))

    def counts_by_rule(self) -> dict[str, int]:
        """The number of findings of each rule."""
        out: dict[str, int] = {}
        for f in self._items:
            out[f.rule] = out.get(f.rule, 0) + 1
        return dict(sorted(out.items()))

    def to_records(self) -> list[dict[str, object]]:
        """The findings as dictionaries (child ids withheld)."""
        return [{k: v for k, v in asdict(f).items() if k != "child"} for f in self._items]

    def to_json(self) -> str:
        """The findings as JSON, in the one shape used everywhere."""
        return json.dumps(
            {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": self.to_records(),
            },
            indent=2,
        )

    def to_csv(self) -> str:
        """The findings as CSV."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for rec in self.to_records():
            writer.writerow(rec)
        return buf.getvalue()

    @staticmethod
    def _text(f: Finding) -> str:
        where = f"{f.file}" + (f", line {f.line}" if f.line else "") + (f", column {f.column}" if f.column else "")
        value = f" ('{f.value}')" if f.value and f"'{f.value}'" not in f.message else ""
        return f"{f.severity.upper():7} {f.rule}: {where}{value}: {f.message}"

    def to_text(self, summarise_over: int = 20) -> str:
        """The findings as text for the terminal, with a summary. Over ``summarise_over`` of them, the count by
        rule follows the list, and the findings about a whole file (month-first dates, a missing column),
        which explain many of the others, are repeated at its end, where the reader is."""
        lines = [self._text(f) for f in self._items]
        if len(self._items) > summarise_over:
            from collections import Counter

            for severity, found in ((ERROR, self.errors), (WARNING, self.warnings)):
                counts = Counter(f.rule for f in found).most_common()
                if counts:
                    lines.append(f"{severity.capitalize()}s by rule: "
                                 + ", ".join(f"{rule} {n:,}" for rule, n in counts) + ".")
            whole = [self._text(f) for f in self._items if not f.line]
            if whole:
                lines += ["About whole files (these may explain many of the findings above):", *whole]
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s).")
        return "\n".join(lines)

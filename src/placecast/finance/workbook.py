"""The budget as finance officers keep it: an Excel workbook with one sheet per table.

``placecast defaults budget-workbook > budget.xlsx`` writes the blank workbook (an explanation sheet,
then Settings, Lines, Changes and Reserves with their headers, notes on units and data validation on
coded columns); Placecast reads it back into the same :class:`~placecast.finance.files.BudgetFile` as
the YAML, with every problem located by sheet, row and column.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from placecast.errors import LocatedProblem
from placecast.finance.errors import FinanceInputError
from placecast.finance.files import (
    MONEY_UNITS,
    AdjustmentFile,
    BudgetFile,
    BudgetLineFile,
    MitigationFile,
    ReserveFile,
    ReserveTransfer,
    SavingFile,
)
from placecast.schema import Loc, unnamed_cells, validate_data
from placecast.xlsx import as_text_not_formulas, formulas_without_results, open_workbook, workbook_with_about

SETTINGS = ("title", "quarter", "units", "cash_limit", "year", "period", "movement_basis", "previous_period",
            "previous_deficit", "previous_mitigations")
LINE_COLUMNS = tuple(n for n in BudgetLineFile.model_fields if n not in ("changes", "adjustments"))
CHANGE_COLUMNS = ("line", "description", "amount")
RESERVE_COLUMNS = tuple(n for n in ReserveFile.model_fields if n != "transfers_in")
TRANSFER_COLUMNS = ("reserve", *ReserveTransfer.model_fields)
SAVING_COLUMNS = tuple(SavingFile.model_fields)
ADJUSTMENT_COLUMNS = tuple(AdjustmentFile.model_fields)
LINE_ADJUSTMENT_COLUMNS = ("line", "adjustment", "amount")
MITIGATION_COLUMNS = tuple(MitigationFile.model_fields)
SHEETS = ("About", "Settings", "Lines", "Changes", "Reserves", "Adjustments", "Line adjustments", "Mitigations",
          "Reserve transfers", "Savings")
COMPUTED = ("from_history", "from_commitments", "from_forecast")
ABOUT = [
    "Placecast budget workbook",
    "",
    "Fill in one sheet per table; Placecast reads this workbook exactly as it reads a budget YAML file.",
    "Settings: the report's title and quarter, the money unit of every amount (units: £000 or £) and, if you "
    "state it, the portfolio's cash limit (the lines' cash limits must add up to it).",
    "Lines: one row per service line. Give forecast_net_expenditure, or all of actuals_to_date, "
    "committed_to_year_end and new_demand (0 where there is none; from_history, from_commitments or "
    "from_forecast to compute it from the data). A line with a budget and nothing else is shown at budget.",
    "Changes: one row per budget change since the last report; 'line' names a row of Lines.",
    "Reserves: one row per earmarked reserve used this year, with its approved-use balance.",
    "Adjustments: the council's own adjustment columns (a grant, a corporate allocation, one-off funding), each "
    "with an id and the label the outturn table shows; Line adjustments: the amount of each on a line.",
    "Mitigations: measures not yet delivered (so not in the forecast), each with its amount and status; the "
    "report shows the position before them, each of them, and the position after.",
    "Reserve transfers: money paid into a reserve from outside this budget (the general fund, a corporate "
    "reserve); 'reserve' names a row of Reserves by its name (or its purpose).",
    "Savings: the year's savings, each with its line, amount and delivery status (delivered, on track, at risk, "
    "not deliverable); the savings RAG is derived from the amounts by the rule the report states.",
    "Settings also take the financial year (2025/26), the period (month 7, period 7, quarter 2, outturn), the "
    "previous report's period and the basis of the movement on it (after reserves, before reserves, after "
    "mitigations), with its total if the lines do not give theirs.",
    "A blank cell is a value not given, never zero. Every problem is reported with its sheet, row and column.",
]
NOTES = {
    "budget_previous_quarter": "The budget at the last report, in the units of Settings.",
    "forecast_net_expenditure": "The finance system's forecast for the year; leave blank to add up the components.",
    "actuals_to_date": "A number, or from_history (days in care since 1 April at unit costs).",
    "committed_to_year_end": "A number, or from_commitments (open placements costed to 31 March).",
    "new_demand": "A number, or from_forecast (the forecast's new demand to 31 March).",
    "income": "TRUE for an income line (its budget may be negative).",
    "outside_cash_limit": "TRUE for ring-fenced funding (DSG, UASC grant): reported beside the position.",
    "reserves": "Drawn from reserves to this line (see the Reserves sheet).",
}


def _sheet(book: Workbook, title: str, columns: tuple[str, ...], rows: list[list[object]]) -> Any:
    ws = book.create_sheet(title)
    ws.append(list(columns))
    for i, name in enumerate(columns, start=1):
        cell = ws.cell(1, i)
        cell.font = Font(bold=True)
        if name in NOTES:
            cell.comment = Comment(NOTES[name], "Placecast")
        ws.column_dimensions[get_column_letter(i)].width = max(14, len(name) + 4)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    return ws


def _validate(ws: Any, column: str, rule: DataValidation) -> None:
    ws.add_data_validation(rule)
    rule.add(f"{column}2:{column}500")


def write_budget_workbook(path: Path, model: BudgetFile | None = None) -> Path:
    """The budget workbook (blank, or holding ``model``) at ``path``."""
    book = workbook_with_about(ABOUT)
    settings = _sheet(book, "Settings", ("setting", "value"), [
        [key, None if model is None else getattr(model, key)] for key in SETTINGS])
    units = DataValidation(type="list", formula1='"' + ",".join(MONEY_UNITS) + '"', allow_blank=False)
    settings.add_data_validation(units)
    units.add("B4")
    lines = [] if model is None else [[_given(ln, c) for c in LINE_COLUMNS] for ln in model.lines]
    ws = _sheet(book, "Lines", LINE_COLUMNS, lines)
    letter = {c: get_column_letter(i) for i, c in enumerate(LINE_COLUMNS, start=1)}
    for flag in ("income", "outside_cash_limit"):
        _validate(ws, letter[flag], DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True))
    for part in ("actuals_to_date", "committed_to_year_end", "new_demand"):
        cell = f"{letter[part]}2"
        formula = f'OR(ISBLANK({cell}),ISNUMBER({cell}),' + ",".join(f'{cell}="{c}"' for c in COMPUTED) + ")"
        _validate(ws, letter[part], DataValidation(type="custom", formula1=formula, allow_blank=True,
                                                   error="A number, or from_history, from_commitments or "
                                                         "from_forecast.", showErrorMessage=True))
    changes = [] if model is None else [[ln.name, c.description, c.amount] for ln in model.lines for c in ln.changes]
    ws = _sheet(book, "Changes", CHANGE_COLUMNS, changes)
    _validate(ws, "A", DataValidation(type="list", formula1="Lines!$A$2:$A$500", allow_blank=False))
    reserves = [] if model is None else [[getattr(r, c) for c in RESERVE_COLUMNS] for r in model.reserves]
    _sheet(book, "Reserves", RESERVE_COLUMNS, reserves)
    declared = [] if model is None else [[getattr(a, c) for c in ADJUSTMENT_COLUMNS] for a in model.adjustments]
    _sheet(book, "Adjustments", ADJUSTMENT_COLUMNS, declared)
    amounts = [] if model is None else [[ln.name, k, v] for ln in model.lines for k, v in ln.adjustments.items()]
    ws = _sheet(book, "Line adjustments", LINE_ADJUSTMENT_COLUMNS, amounts)
    _validate(ws, "A", DataValidation(type="list", formula1="Lines!$A$2:$A$500", allow_blank=False))
    _validate(ws, "B", DataValidation(type="list", formula1="Adjustments!$A$2:$A$100", allow_blank=False))
    steps = [] if model is None else [[getattr(m, c) for c in MITIGATION_COLUMNS] for m in model.mitigations]
    ws = _sheet(book, "Mitigations", MITIGATION_COLUMNS, steps)
    _validate(ws, "C", DataValidation(type="list", formula1='"planned,in progress,agreed"', allow_blank=True))
    transfers = [] if model is None else [[_reserve_name(r), t.source, t.amount, t.description]
                                          for r in model.reserves for t in r.transfers_in]
    _sheet(book, "Reserve transfers", TRANSFER_COLUMNS, transfers)
    saved = [] if model is None else [[getattr(x, c) for c in SAVING_COLUMNS] for x in model.savings]
    ws = _sheet(book, "Savings", SAVING_COLUMNS, saved)
    status = get_column_letter(SAVING_COLUMNS.index("status") + 1)
    _validate(ws, status, DataValidation(type="list", formula1='"delivered,on track,at risk,not deliverable"',
                                         allow_blank=True))
    as_text_not_formulas(book).save(path)
    return path


def _given(item: Any, key: str) -> object:
    """A value as the file gave it: blank where it was left out (so a default is not written as given)."""
    return getattr(item, key) if key in item.model_fields_set else None


def _reserve_name(reserve: ReserveFile | dict) -> str:
    """How the Reserve transfers sheet names a reserve: its name, else its purpose."""
    get = reserve.get if isinstance(reserve, dict) else lambda k: getattr(reserve, k)
    return str(get("name") or get("purpose") or "")


def _cell(value: object) -> object:
    """A cell as the schema reads it: numbers exactly (as written), text trimmed, blanks as not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return str(value).strip()


def _rows(ws: Any, columns: tuple[str, ...], file: str, problems: list[LocatedProblem]
          ) -> list[tuple[int, dict[str, object], dict[str, str]]]:
    """(row number, values by column, cell reference by column) for every non-blank row."""
    header = [str(c).strip() if c is not None else "" for c in next(ws.iter_rows(max_row=1, values_only=True), ())]
    for i, name in enumerate(header, start=1):
        if name and name not in columns:
            from difflib import get_close_matches

            near = get_close_matches(name, list(columns), n=1, cutoff=0.6)
            problems.append(LocatedProblem(file, f"sheet {ws.title}, row 1", f"{name} ({get_column_letter(i)})",
                                           name, f"unknown column '{name}'" + (f"; did you mean '{near[0]}'?" if near
                                           else ".") + f" Expected columns: {', '.join(columns)}."))
    problems += unnamed_cells(list(ws.iter_rows(values_only=True)), columns, file, f"sheet {ws.title}, row ")
    out = []
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        cells = {h: _cell(v) for h, v in zip(header, values, strict=False) if h in columns}
        if all(v is None for v in cells.values()):
            continue
        refs = {h: f"{h} ({get_column_letter(i)})" for i, h in enumerate(header, start=1) if h in columns}
        out.append((number, {k: v for k, v in cells.items() if v is not None}, refs))
    return out


def _data(book: Any, file: str) -> tuple[dict[str, Any], dict[str, tuple[str, str]], list[LocatedProblem]]:
    """The workbook as the budget's data, with the sheet/row/column of every key path."""
    problems: list[LocatedProblem] = []
    places: dict[str, tuple[str, str]] = {}
    missing = [s for s in ("Settings", "Lines") if s not in book.sheetnames]
    if missing:
        return {}, places, [LocatedProblem(file, "-", "", ", ".join(missing), "the workbook has no sheet "
                                           f"{' or '.join(missing)}; start from 'placecast defaults budget-workbook'.")]
    problems += _unknown_sheets(book.sheetnames, file)
    data: dict[str, Any] = {"lines": [], "reserves": []}
    for number, cells, _refs in _rows(book["Settings"], ("setting", "value"), file, problems):
        key = str(cells.get("setting", ""))
        if key not in SETTINGS:
            problems.append(LocatedProblem(file, f"sheet Settings, row {number}", "setting (A)", key,
                                           f"unknown setting; expected one of {', '.join(SETTINGS)}."))
        else:  # a blank value is not given; its row is still where a required one is asked for
            places[key] = (f"sheet Settings, row {number}", "value (B)")
            if "value" in cells:
                data[key] = cells["value"]
    index: dict[str, int] = {}
    for number, cells, refs in _rows(book["Lines"], LINE_COLUMNS, file, problems):
        i = len(data["lines"])
        index[str(cells.get("name", ""))] = i
        data["lines"].append({**cells, "changes": []})
        places[f"lines[{i}]"] = (f"sheet Lines, row {number}", "")
        places.update({f"lines[{i}].{k}": (f"sheet Lines, row {number}", refs[k]) for k in refs})
    if "Changes" in book.sheetnames:
        for number, cells, refs in _rows(book["Changes"], CHANGE_COLUMNS, file, problems):
            line = str(cells.pop("line", ""))
            if line not in index:
                problems.append(LocatedProblem(file, f"sheet Changes, row {number}", refs.get("line", "line"), line,
                                               _no_line(line, index)))
                continue
            changes = data["lines"][index[line]]["changes"]
            places.update({f"lines[{index[line]}].changes[{len(changes)}].{k}": (f"sheet Changes, row {number}",
                                                                               refs[k]) for k in refs})
            changes.append(cells)
    for sheet, key, columns in (("Adjustments", "adjustments", ADJUSTMENT_COLUMNS),
                                ("Mitigations", "mitigations", MITIGATION_COLUMNS),
                                ("Reserves", "reserves", RESERVE_COLUMNS), ("Savings", "savings", SAVING_COLUMNS)):
        if sheet in book.sheetnames:
            data[key] = _list_sheet(book[sheet], key, columns, places, file, problems)
    if "Reserve transfers" in book.sheetnames:
        _transfers(book["Reserve transfers"], data["reserves"], places, file, problems)
    if "Line adjustments" in book.sheetnames:
        for number, cells, refs in _rows(book["Line adjustments"], LINE_ADJUSTMENT_COLUMNS, file, problems):
            line, key = str(cells.get("line", "")), str(cells.get("adjustment", ""))
            if line not in index:
                problems.append(LocatedProblem(file, f"sheet Line adjustments, row {number}", refs.get("line", "line"),
                                               line, _no_line(line, index)))
                continue
            data["lines"][index[line]].setdefault("adjustments", {})[key] = cells.get("amount")
            places[f"lines[{index[line]}].adjustments.{key}"] = (f"sheet Line adjustments, row {number}",
                                                                  refs.get("amount", "amount"))
    return data, places, problems


def _unknown_sheets(names: list[str], file: str) -> list[LocatedProblem]:
    """A sheet Placecast does not read is an error: its figures would be left out without a word."""
    from difflib import get_close_matches

    problems = []
    for name in names:
        if name not in SHEETS:
            near = get_close_matches(name, SHEETS, n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'? Rename it exactly" if near else "move it to another workbook"
            problems.append(LocatedProblem(file, f"sheet {name}", "", name, f"Placecast does not read this sheet; "
                                           f"{hint}. The sheets it reads: {', '.join(SHEETS[1:])}."))
    return problems


def _formula_problems(path: Path, book: Any, file: str) -> list[LocatedProblem]:
    """Formulas saved without their result, which would read as blank: not given, never zero, so an error."""
    problems = []
    for sheet, row, column, formula in formulas_without_results(path, [s for s in book.sheetnames if s in SHEETS]):
        header = next(book[sheet].iter_rows(max_row=1, values_only=True), ())
        name = header[column - 1] if column <= len(header) and header[column - 1] else ""
        problems.append(LocatedProblem(file, f"sheet {sheet}, row {row}", f"{name} ({get_column_letter(column)})",
                                       formula, "a formula whose result is not saved in the file (it was written "
                                       "by a program, not saved by Excel), so it reads as blank. Open the "
                                       "workbook in Excel or LibreOffice and save it, or type the value."))
    return problems


def _no_line(line: str, names: dict[str, int]) -> str:
    """What to say of a line name no row of the Lines sheet has: the row it was surely meant for, if one is
    the same but for case and spacing, or one near it."""
    from difflib import get_close_matches

    from placecast.schema import folded

    near = {folded(n): n for n in names}.get(folded(line)) or next(
        iter(get_close_matches(line, list(names), n=1, cutoff=0.6)), None)
    hint = f" (did you mean '{near}'?)" if near else ""
    return f"names no row of the Lines sheet{hint}; use a line's name exactly."


def _list_sheet(ws: Any, key: str, columns: tuple[str, ...], places: dict[str, tuple[str, str]], file: str,
                problems: list[LocatedProblem]) -> list[dict[str, object]]:
    """The rows of a sheet that is one list of the budget (``key``), each row's cells placed."""
    items: list[dict[str, object]] = []
    for number, cells, refs in _rows(ws, columns, file, problems):
        i = len(items)
        places[f"{key}[{i}]"] = (f"sheet {ws.title}, row {number}", "")
        places.update({f"{key}[{i}].{k}": (f"sheet {ws.title}, row {number}", refs[k]) for k in refs})
        items.append(cells)
    return items


def _transfers(ws: Any, reserves: list[dict[str, object]], places: dict[str, tuple[str, str]], file: str,
               problems: list[LocatedProblem]) -> None:
    """Each row of Reserve transfers into the transfers_in of the reserve it names."""
    index = {_reserve_name(r): i for i, r in enumerate(reserves)}
    for number, cells, refs in _rows(ws, TRANSFER_COLUMNS, file, problems):
        name = str(cells.pop("reserve", ""))
        if name not in index:
            problems.append(LocatedProblem(file, f"sheet {ws.title}, row {number}", refs.get("reserve", "reserve"),
                                           name, "names no row of the Reserves sheet; use a reserve's name (or its "
                                           "purpose) exactly."))
            continue
        into = reserves[index[name]].setdefault("transfers_in", [])
        assert isinstance(into, list)
        places.update({f"reserves[{index[name]}].transfers_in[{len(into)}].{k}": (f"sheet {ws.title}, row {number}",
                                                                                 refs[k]) for k in refs})
        into.append(cells)


def relocate(problems: list[LocatedProblem], places: dict[str, tuple[str, str]]) -> list[LocatedProblem]:
    """Problems found on key paths, placed on the workbook's sheet, row and column."""
    out = []
    for p in problems:
        path = p.column
        while path and path not in places:
            path = path.rsplit(".", 1)[0] if "." in path else ""
        where, column = places.get(path, (p.where, p.column))
        out.append(LocatedProblem(p.file, where, column or p.column, p.value, p.message))
    return out


def read_budget_workbook(path: Path) -> tuple[BudgetFile, dict[Loc, int]]:
    """The budget held in a workbook, and the sheet and row of every line (for later problems)."""
    file = str(path)
    try:
        book = open_workbook(path)
    except Exception as exc:  # openpyxl raises many kinds of errors for files that are not workbooks
        raise FinanceInputError([LocatedProblem(file, "-", "", "", f"not a readable Excel workbook ({exc}). Save "
                                                "it again as .xlsx.")]) from exc
    try:
        data, places, problems = _data(book, file)
        problems = _formula_problems(path, book, file) + problems
    finally:
        book.close()
    if problems:
        raise FinanceInputError(relocate(problems, places))
    result = validate_data(BudgetFile, data, file, {})
    if result.problems:
        raise FinanceInputError(relocate(result.problems, places))
    lines: dict[Loc, Any] = {("lines", i): places[f"lines[{i}]"][0] for i in range(len(data["lines"]))}
    lines.update({("reserves", i): places[f"reserves[{i}]"][0] for i in range(len(data["reserves"]))})
    return result.model, lines  # type: ignore[return-value]

"""Weekly unit costs per cost line, with effective dates and annual inflation (YAML or CSV)."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

from placecast.finance.calendar import fy_start
from placecast.finance.errors import FinanceInputError, InputProblem
from placecast.finance.files import UnitCostEntry, UnitCostRow, UnitCostsFile
from placecast.schema import check_columns, read_model, read_text, unnamed_cells, validate_data


@dataclass(frozen=True)
class UnitCosts:
    """``rates[cost_line]`` is a list of (effective date, weekly cost), sorted; inflation per year.

    Examples
    --------
    >>> from datetime import date
    >>> costs = UnitCosts({"secure": [(date(2024, 4, 1), Decimal(7000))]}, Decimal("0.03"))
    >>> costs.weekly("secure", date(2025, 6, 1))
    Decimal('7210.00')
    """

    rates: dict[str, list[tuple[date, Decimal]]]
    inflation: Decimal = Decimal(0)
    source: str = "the built-in unit costs"  # the file they were read from, for messages

    def weekly(self, cost_line: str, on: date) -> Decimal:
        """The weekly cost in force on ``on``, inflated once for every 1 April since it took effect."""
        if cost_line not in self.rates:
            raise KeyError(cost_line)
        in_force = [(d, w) for d, w in self.rates[cost_line] if d <= on] or self.rates[cost_line][:1]
        since, weekly = in_force[-1]
        years = max(fy_start(on).year - fy_start(since).year, 0)
        return weekly * (1 + self.inflation) ** years

    @property
    def lines(self) -> list[str]:
        """The cost lines that have unit costs."""
        return list(self.rates)

    def warnings(self) -> list[str]:
        """Residential and secure care priced under £1,000 a week: about a day's cost, as a daily rate typed
        where the file asks for weekly ones would give (costs a seventh of what they are). Said, not refused,
        since Placecast cannot know what was meant.

        >>> costs = UnitCosts({"secure": [(date(2024, 4, 1), Decimal(7000)), (date(2025, 4, 1), Decimal(950))]})
        >>> [w.split(", about")[0] for w in costs.warnings()]
        ['the built-in unit costs: secure costs £950.00 a week from 01/04/2025']
        """
        out = []
        for line, entries in self.rates.items():
            if line.startswith(DAILY_PRICED):
                out += [f"{self.source}: {line} costs £{weekly:,.2f} a week from {since:%d/%m/%Y}, about what a day of "
                        f"it costs: the costs are weekly (write {weekly * 7:,.2f} for £{weekly:,.2f} a day)."
                        for since, weekly in entries if 0 < weekly < LEAST_WEEKLY]
        return out

    def check_in_force(self, first: date, what: str) -> None:
        """Refuse to cost days from ``first`` (``what`` they are, for the message) at a price that takes effect
        only later: :meth:`weekly` falls back to a line's first price before it (which the record of earlier
        forecasts may use as a price level), but a forecast, an outturn or realised savings must not.

        >>> UnitCosts({"secure": [(date(2026, 4, 1), Decimal(7000))]}).check_in_force(date(2025, 4, 1), "x")
        Traceback (most recent call last):
        ...
        placecast.errors.UnusableInputError: the built-in unit costs: secure has no cost before 01/04/2026, ...
        """
        from placecast.errors import UnusableInputError

        late = [f"{line} has no cost before {entries[0][0]:%d/%m/%Y}" for line, entries in self.rates.items()
                if entries and entries[0][0] > first]
        if late:
            raise UnusableInputError(f"{self.source}: {'; '.join(late)}, but {what} from {first:%d/%m/%Y} are "
                                     f"costed. Add each line's cost taking effect on or before {first:%d/%m/%Y}; "
                                     "a price set later is never used for earlier days.")


DAILY_PRICED = ("residential", "secure")  # categories whose weekly cost is thousands of pounds
LEAST_WEEKLY = Decimal(1000)  # below it, such a line's 'weekly' cost is about a day's


def default_unit_costs() -> UnitCosts:
    """The built-in weekly unit costs (``placecast defaults unit-costs``).

    Returns
    -------
    UnitCosts

    Examples
    --------
    >>> from datetime import date
    >>> default_unit_costs().weekly("residential_external", date(2025, 6, 1)) == 5000
    True
    """
    return unit_costs_from_model(unit_costs_model())


def unit_costs_from_model(model: UnitCostsFile) -> UnitCosts:
    """The :class:`UnitCosts` of a validated unit-costs model."""
    rates = {line: sorted((e.from_, e.weekly) for e in entries) for line, entries in model.costs.items()}
    return UnitCosts(rates, model.inflation_per_year)


def read_unit_costs(path: Path) -> UnitCosts:
    """Unit costs from YAML (schema ``unit-costs``, like the default) or CSV (schema ``unit-costs-row``:
    cost_line, weekly_cost, effective_from, inflation), with located errors.

    Parameters
    ----------
    path : a ``.yaml``/``.yml`` file, or a CSV file.

    Returns
    -------
    UnitCosts

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("cost_line,weekly_cost,effective_from" + chr(10) + "secure,7000,2024-04-01")
    >>> read_unit_costs(Path(f.name)).weekly("secure", date(2024, 6, 1))
    Decimal('7000')
    """
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return dataclasses.replace(unit_costs_from_model(read_model(path, UnitCostsFile, FinanceInputError)),
                                   source=str(path))
    text = read_text(path)
    file = str(path)
    if "\x00" in text:
        raise FinanceInputError([InputProblem(file, "-", "", "", "this is not a text CSV file.")])
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip() for h in reader.fieldnames or []]
    problems = check_columns(header, UnitCostRow, file) + unnamed_cells(list(csv.reader(io.StringIO(text))),
                                                                        UnitCostRow, file)
    rates: dict[str, list[tuple[date, Decimal]]] = {}
    inflation: tuple[int, Decimal] | None = None  # (the line that gave it, the rate): one rate for every line
    seen: dict[tuple[str, date], int] = {}
    for n, row in enumerate(reader, start=2):
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if (k or "").strip() in header
                 and (k or "").strip()}  # a column with no name: said above when it holds a value
        result = validate_data(UnitCostRow, {k: v for k, v in cells.items() if v != ""}, file)
        if result.problems:
            problems += [InputProblem(file, str(n), p.column, p.value, p.message) for p in result.problems]
            continue
        entry: UnitCostRow = result.model
        if (entry.cost_line, entry.effective_from) in seen:
            problems.append(InputProblem(file, str(n), "effective_from", str(entry.effective_from),
                                         f"{entry.cost_line} already has a cost from this day (line "
                                         f"{seen[entry.cost_line, entry.effective_from]}); keep one."))
        seen[entry.cost_line, entry.effective_from] = n
        if entry.inflation is not None and inflation is not None and entry.inflation != inflation[1]:
            problems.append(InputProblem(file, str(n), "inflation", str(entry.inflation), f"differs from line "
                                         f"{inflation[0]}'s {inflation[1]}; one yearly inflation applies to every "
                                         "line: give the same on each row, or leave it blank."))
        elif entry.inflation is not None and inflation is None:
            inflation = (n, entry.inflation)
        rates.setdefault(entry.cost_line, []).append((entry.effective_from, entry.weekly_cost))
    if problems:
        raise FinanceInputError(problems)
    if not rates:
        raise FinanceInputError([InputProblem(file, "1", "", "", "no cost lines found; expected columns "
                                              "cost_line, weekly_cost, effective_from.")])
    return UnitCosts({k: sorted(v) for k, v in rates.items()}, inflation[1] if inflation else Decimal(0), file)


def unit_costs_model(path: Path | None = None) -> UnitCostsFile:
    """The unit-costs file as its validated model: a YAML file, or the built-in one when ``path`` is None."""
    if path is None:
        with resources.as_file(resources.files("placecast.finance").joinpath("unit_costs.yaml")) as default:
            return read_model(default, UnitCostsFile, FinanceInputError)
    return read_model(path, UnitCostsFile, FinanceInputError)


def unit_costs_file(path: Path) -> UnitCostsFile:
    """A council's unit costs, YAML or CSV (each checked, every problem located), as the unit-costs model
    (which :func:`unit_costs_yaml` writes as the YAML file)."""
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return unit_costs_model(Path(path))
    costs = read_unit_costs(Path(path))
    return UnitCostsFile.model_validate({
        "description": f"From {Path(path).name}", "inflation_per_year": costs.inflation,
        "costs": {line: [{"from": d, "weekly": w} for d, w in entries] for line, entries in costs.rates.items()}})


def entry_in_force(entries: list[UnitCostEntry], on: date) -> UnitCostEntry | None:
    """The latest of a cost line's entries that has taken effect by ``on`` (None when none has yet)."""
    before = [e for e in sorted(entries, key=lambda e: e.from_) if e.from_ <= on]
    return before[-1] if before else None


def revise_unit_costs(model: UnitCostsFile, weekly: dict[str, Decimal], effective_from: date,
                      inflation: Decimal | None = None) -> tuple[UnitCostsFile, list[str]]:
    """The unit costs with new weekly costs taking effect on ``effective_from``, and the changes in words.

    A line whose cost in force on that date (before inflation) already equals the new one is left alone;
    a changed line gains an entry from that date (replacing one already on that date), so the costs
    before it, and the outturn of the months before it, stay as they were. Unknown cost lines are refused.

    Examples
    --------
    >>> from datetime import date
    >>> model, changes = revise_unit_costs(unit_costs_model(), {"secure": Decimal(7500)}, date(2026, 4, 1))
    >>> changes
    ['secure: £7,000.00 -> £7,500.00 a week from 01/04/2026']
    >>> unit_costs_from_model(model).weekly("secure", date(2026, 3, 31)) == 7000
    True
    """
    unknown = sorted(set(weekly) - set(model.costs))
    if unknown:
        raise FinanceInputError([InputProblem("unit costs", "-", line, line, "not a cost line of the unit costs; "
                                              f"the lines are {', '.join(model.costs)}.") for line in unknown])
    costs = {line: list(entries) for line, entries in model.costs.items()}
    changes = []
    for line, new in weekly.items():
        in_force = entry_in_force(costs[line], effective_from)
        old = in_force.weekly if in_force else None
        if old == new:
            continue
        costs[line] = [e for e in costs[line] if e.from_ != effective_from] + [
            UnitCostEntry.model_validate({"from": effective_from, "weekly": new})]
        costs[line].sort(key=lambda e: e.from_)
        was = "none" if old is None else f"£{old:,.2f}"
        changes.append(f"{line}: {was} -> £{new:,.2f} a week from {effective_from:%d/%m/%Y}")
    rate = model.inflation_per_year if inflation is None else inflation
    if rate != model.inflation_per_year:
        changes.append(f"inflation: {model.inflation_per_year:.2%} -> {rate:.2%} a year")
    revised = validate_data(UnitCostsFile, {**model.model_dump(by_alias=True), "costs": {
        k: [e.model_dump(by_alias=True) for e in v] for k, v in costs.items()}, "inflation_per_year": rate},
        "unit costs")
    if revised.problems:
        raise FinanceInputError(revised.problems)
    return revised.model, changes


def unit_costs_yaml(model: UnitCostsFile) -> str:
    """The unit costs as a YAML file ``read_unit_costs`` reads back to the same model (amounts as text,
    exactly)."""
    import yaml

    data = {"description": model.description, "reference": model.reference, "unit": model.unit,
            "inflation_per_year": str(model.inflation_per_year),
            "costs": {line: [{"from": e.from_.isoformat(), "weekly": str(e.weekly)} for e in entries]
                      for line, entries in model.costs.items()}}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

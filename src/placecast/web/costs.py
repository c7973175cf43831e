"""Unit costs in the money page: the weekly cost of each cost line, read and changed in a form by finance.

A change takes effect from a date the user gives (the costs before it, and the outturn of the months
before it, stay as they were), is checked by the library's unit-costs schema, written as the council's
``unit_costs.yaml`` (all or nothing), audited with every line's old and new cost, and recomputes the
quarter. Nothing is changed when any field is refused; each refusal is shown by its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from placecast.finance.errors import FinanceInputError
from placecast.finance.files import UnitCostsFile
from placecast.finance.unit_costs import entry_in_force, revise_unit_costs, unit_costs_model, unit_costs_yaml
from placecast.outputs import write_whole
from placecast.schema import number_text
from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import council_of, form_of, log, need, state
from placecast.web.pages import section_page

router = APIRouter()
FILE = "unit_costs.yaml"


def own_file(request: Request, slug: str) -> Path:
    """Where the council's own unit costs are kept (when it has set them)."""
    return workspace.folder(state(request).settings.data_dir, slug).inputs / FILE


def current_model(request: Request, slug: str) -> UnitCostsFile:
    """The council's unit costs (its own file, else the built-in illustrative ones)."""
    path = own_file(request, slug)
    if not path.exists():
        return _built_in().model_copy(deep=True)
    return _parsed(str(path), path.read_bytes()).model_copy(deep=True)


@lru_cache(maxsize=1)
def _built_in() -> UnitCostsFile:
    return unit_costs_model(None)


@lru_cache(maxsize=32)
def _parsed(path: str, content: bytes) -> UnitCostsFile:
    """A council's unit-costs file, parsed and checked once for the same content (the money page shows it)."""
    return unit_costs_model(Path(path))


def cost_rows(model: UnitCostsFile, on: date, results=None) -> list[dict]:
    """Each cost line with the weekly cost in force on ``on`` (before inflation) and since when (a line
    whose first cost is later shows that one, as the costing uses it); named by the labels of the taxonomy
    the quarter's ``results`` were assembled with, when given."""
    from placecast.report.sections.common import category_labels

    labels = category_labels(results)  # 'External residential', not residential_external
    rows = []
    for line, entries in model.costs.items():
        entry = entry_in_force(entries, on) or min(entries, key=lambda e: e.from_)
        rows.append({"line": line, "label": labels.get(line, line), "weekly": entry.weekly, "since": entry.from_})
    return rows


def _amount(text: str) -> Decimal:
    """A weekly cost typed as 1500, 1,500.00 or £1,500."""
    value = Decimal(number_text(text))
    if not value.is_finite() or value < 0:
        raise InvalidOperation
    return value


def _read_form(form: Mapping[str, Any], model: UnitCostsFile
               ) -> tuple[dict[str, Decimal], date | None, Decimal | None, dict[str, str]]:
    """The weekly costs, the date and the inflation typed, and a refusal by each field that is wrong."""
    errors: dict[str, str] = {}
    weekly: dict[str, Decimal] = {}
    for line in model.costs:
        text = str(form.get(f"weekly-{line}", "")).strip()
        if not text:
            errors[f"weekly-{line}"] = f"Give the weekly cost of {line} in pounds (0 if it costs nothing)."
            continue
        try:
            weekly[line] = _amount(text)
        except (InvalidOperation, ValueError):
            errors[f"weekly-{line}"] = (f"{line}: '{text}' is not an amount of pounds of 0 or more, for example "
                                        "1500 or 1,500.00.")
    effective: date | None = None
    try:
        effective = date.fromisoformat(str(form.get("effective_from", "")).strip())
    except ValueError:
        errors["effective_from"] = "Give the date the new costs take effect (day, month and year)."
    inflation: Decimal | None = None
    typed = str(form.get("inflation", "")).strip()
    try:
        inflation = Decimal(typed.rstrip("%")) / 100
        if not -1 <= inflation <= 1:
            raise InvalidOperation
        if 0 < abs(inflation) < Decimal("0.001"):  # 0.03, as the unit costs file writes 3%: read as 0.03%
            meant = f"{(inflation * 10000).normalize():f}"
            errors["inflation"] = (f"'{typed}' would be {typed.rstrip('%')}% a year: the field is a percentage, so "
                                   f"write {meant} for {meant}%.")
    except (InvalidOperation, ValueError):
        errors["inflation"] = "Give the yearly inflation as a percentage between -100 and 100, for example 3 or 2.5."
    return weekly, effective, inflation, errors


@router.post("/c/{slug}/money/unit-costs")
def change_unit_costs(request: Request, slug: str, user: SignedIn = Depends(need("money")),
                      form: FormData = Depends(form_of)) -> Response:
    """Check the form, write the council's unit costs, audit the change and recompute the quarter."""
    council = council_of(request, slug, user)
    model = current_model(request, slug)
    weekly, effective, inflation, errors = _read_form(form, model)
    typed = {k: str(v) for k, v in form.items() if k != "csrftoken"}
    revised, changes = model, list[str]()
    if not errors and effective is not None:
        try:
            revised, changes = revise_unit_costs(model, weekly, effective, inflation)
        except FinanceInputError as exc:
            errors["effective_from"] = "; ".join(p.message for p in exc.problems)
    if errors:
        return section_page(request, slug, "money", user, status=400, cost_errors=errors, cost_typed=typed)
    if not changes:
        return RedirectResponse(f"/c/{slug}/money#h-unit-costs", status_code=303)
    st = state(request)
    write_whole(own_file(request, slug), unit_costs_yaml(revised).encode("utf-8"))
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "quarter", user.username, {}, "unit costs changed")
    log(request, user.username, "unit costs changed", f"{'; '.join(changes)} (job {job.id})", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)

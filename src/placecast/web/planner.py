"""The scenario planner: levers in a form, an instant expected-value preview as they change, saved and
shared scenarios, a full Monte Carlo run in the background beside the baseline, beds against capacity."""

from __future__ import annotations

import asyncio
import threading
import weakref
from datetime import UTC, datetime

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from placecast.errors import UnusableInputError
from placecast.store.workspace import Job, SavedScenario
from placecast.web import jobs
from placecast.web.accounts import SignedIn
from placecast.web.app import council_of, form_of, log, need, render, state
from placecast.web.pages import page_context
from placecast.web.scenarios import Levers, comparison_records, read_levers, scenario_of

router = APIRouter()


def _form_dict(form) -> dict[str, object]:
    data: dict[str, object] = {k: v for k, v in form.items() if k != "entries_age_bands"}
    data["entries_age_bands"] = list(form.getlist("entries_age_bands"))
    return data


def _visible(s: Session, council_id: int, user: SignedIn):
    return select(SavedScenario).where(SavedScenario.council_id == council_id,
                                       or_(SavedScenario.owner == user.username, SavedScenario.shared))


def categories_of(ctx: dict) -> list[str]:
    """The council's placement categories: those its quarter's history was assembled with (the built-in
    taxonomy's before the quarter is computed)."""
    from placecast.ssda903 import load_taxonomy

    return ctx["report"].results.history.categories() if ctx["report"] else load_taxonomy().categories


def category_options(ctx: dict) -> list[tuple[str, str]]:
    """The step-downs' choices: each category with its label."""
    from placecast.report.sections.common import category_labels

    labels = category_labels(ctx["report"].results if ctx["report"] else None)
    return [(c, labels.get(c, c)) for c in categories_of(ctx)]


def _default_levers(ctx: dict) -> Levers:
    origin = ctx["report"].results.forecast.model.origin_.date() if ctx["report"] else datetime.now(UTC).date()
    return Levers(start=origin)


def _page(request: Request, slug: str, user: SignedIn, status: int = 200, **extra: object) -> Response:
    ctx = page_context(request, user, council_of(request, slug, user), "scenarios")
    with Session(state(request).engine) as s:
        ctx["saved"] = list(s.scalars(_visible(s, ctx["council"].id, user).order_by(SavedScenario.name)))
    extra.setdefault("levers", _default_levers(ctx))
    extra.setdefault("errors", {})
    extra.setdefault("category_options", category_options(ctx))
    return render(request, "scenarios.html", status, **ctx, **extra)


@router.get("/c/{slug}/scenarios")
def planner(request: Request, slug: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The scenario planner with the levers at their defaults."""
    return _page(request, slug, user)


_BASELINES: dict[tuple[int, int], tuple[object, object]] = {}  # (id of the fitted model, horizon) -> baseline
_BASELINE_LOCK = threading.Lock()
_PREVIEWS: dict[tuple[int, str], tuple[object, dict]] = {}  # (id of the fitted model, levers) -> tables, the newest 256


def _preview_tables(report, levers: Levers) -> dict:
    """The preview's tables: the library's expected-value comparison, the baseline kept per model and horizon."""
    from placecast.programme.scenario import expected_baseline, preview_scenario
    from placecast.report.sections.common import category_labels

    results = report.results
    model, costs = results.forecast.model, results.inputs.unit_costs
    scen = scenario_of(levers, 10)  # the expected-value mode has one path; runs are for the full run
    key = (id(model), scen.horizon_months)
    with _BASELINE_LOCK:  # made once: the previews asked for meanwhile wait for it rather than each make it
        if key not in _BASELINES or _BASELINES[key][0] is not model:
            if len(_BASELINES) > 32:
                _BASELINES.clear()
            _BASELINES[key] = (model, expected_baseline(model, scen.horizon_months, costs))
        baseline = _BASELINES[key][1]
    seen = (id(model), levers.model_dump_json())
    if seen not in _PREVIEWS or _PREVIEWS[seen][0] is not model:  # the same levers again: the same tables
        while len(_PREVIEWS) >= 256:
            _PREVIEWS.pop(next(iter(_PREVIEWS)))
        _PREVIEWS[seen] = (model, comparison_records(preview_scenario(model, scen, costs, scen.capacity,
                                                                      baseline),  # type: ignore[arg-type]
                                                     category_labels(results)))
    return _PREVIEWS[seen][1]


@router.post("/c/{slug}/scenarios/preview")
async def preview(request: Request, slug: str, user: SignedIn = Depends(need("scenarios"))) -> Response:
    """The expected-value preview of the levers (JSON), from the quarter's fitted model: instant. It is
    computed in a worker thread, so that other requests are served meanwhile."""
    ctx = await run_in_threadpool(lambda: page_context(request, user, council_of(request, slug, user), "scenarios"))
    levers, errors = read_levers(_form_dict(await request.form()), categories_of(ctx))
    if levers is None:
        return JSONResponse({"errors": errors}, status_code=400)
    if ctx["report"] is None:
        return JSONResponse({"errors": {"form": "The quarter is still being computed."}}, status_code=409)
    try:
        tables = await anyio.to_thread.run_sync(_preview_tables, ctx["report"], levers, limiter=_preview_limiter())
    except UnusableInputError as exc:  # e.g. a start after the horizon's end: the library says why
        return JSONResponse({"errors": {"form": str(exc)}}, status_code=400)
    return JSONResponse({"errors": {}, "tables": tables})


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _preview_limiter() -> anyio.CapacityLimiter:
    """Previews computed at once: one a core. More waiting previews would take the threads and the
    interpreter from the pages; they wait for one another instead (the same figures, in turn)."""
    from placecast.threads import cores

    loop = asyncio.get_running_loop()  # a limiter belongs to its event loop (tests start several)
    if loop not in _LIMITERS:
        _LIMITERS[loop] = anyio.CapacityLimiter(cores())
    return _LIMITERS[loop]


@router.post("/c/{slug}/scenarios")
def save(request: Request, slug: str, user: SignedIn = Depends(need("scenarios")),
         form: FormData = Depends(form_of)) -> Response:
    """Save the levers as a named scenario (and, when asked, run it in full)."""
    council = council_of(request, slug, user)
    levers, errors = read_levers(_form_dict(form), categories_of(page_context(request, user, council, "scenarios")))
    if levers is None:
        return _page(request, slug, user, 400, errors=errors, form=_form_dict(form))
    now = datetime.now(UTC)
    with Session(state(request).engine) as s, s.begin():
        row = SavedScenario(council_id=council.id, name=levers.name, owner=user.username, shared=form.get("shared")
                            == "on", levers=levers.model_dump(mode="json"), created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        sid = row.id
    log(request, user.username, "scenario changed", f"saved scenario {sid} '{levers.name}'", slug)
    if form.get("run") == "on":
        return _run(request, slug, sid, user)
    return RedirectResponse(f"/c/{slug}/scenarios/{sid}", status_code=303)


def _owned(request: Request, slug: str, sid: int, user: SignedIn) -> tuple[object, SavedScenario]:
    council = council_of(request, slug, user)
    with Session(state(request).engine) as s:
        row = s.scalar(_visible(s, council.id, user).where(SavedScenario.id == sid))
    if row is None:
        raise HTTPException(404, "No such scenario in this council (or it is not shared with you).")
    return council, row


@router.get("/c/{slug}/scenarios/{sid}")
def show(request: Request, slug: str, sid: int, user: SignedIn = Depends(need("view"))) -> Response:
    """A saved scenario: its levers, its runs and the latest full run's tables."""
    _, row = _owned(request, slug, sid, user)
    with Session(state(request).engine) as s:
        runs = list(s.scalars(select(Job).where(Job.kind == "scenario", Job.council_id == row.council_id,
                                                 Job.subject == f"scenario {sid}").order_by(Job.id.desc()).limit(5)))
    done = next((j for j in runs if j.status == "done"), None)
    return _page(request, slug, user, scenario=row, levers=Levers.model_validate(row.levers), runs=runs,
                 result=(done.result or {}).get("output") if done else None)


@router.post("/c/{slug}/scenarios/{sid}/run")
def run(request: Request, slug: str, sid: int, user: SignedIn = Depends(need("scenarios"))) -> Response:
    """Run a saved scenario in full in the background."""
    return _run(request, slug, sid, user)


def _run(request: Request, slug: str, sid: int, user: SignedIn) -> Response:
    council, row = _owned(request, slug, sid, user)
    st = state(request)
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "scenario", user.username,  # type: ignore[attr-defined]
                      {"scenario_id": sid}, f"scenario {sid}")
    log(request, user.username, "run", f"scenario {sid} '{row.name}' full run (job {job.id})", slug)
    return RedirectResponse(f"/c/{slug}/scenarios/{sid}", status_code=303)


@router.post("/c/{slug}/scenarios/{sid}/share")
def share(request: Request, slug: str, sid: int, user: SignedIn = Depends(need("scenarios"))) -> Response:
    """Share a scenario with the council's team, or stop sharing it (its owner only)."""
    _, row = _owned(request, slug, sid, user)
    if row.owner != user.username:
        raise HTTPException(403, "Only the scenario's owner can change whether it is shared.")
    with Session(state(request).engine) as s, s.begin():
        saved = s.get(SavedScenario, sid)
        assert saved is not None
        saved.shared = not saved.shared
        saved.updated_at = datetime.now(UTC)
        now_shared = saved.shared
    log(request, user.username, "scenario changed", f"scenario {sid} {'shared' if now_shared else 'unshared'}", slug)
    return RedirectResponse(f"/c/{slug}/scenarios/{sid}", status_code=303)

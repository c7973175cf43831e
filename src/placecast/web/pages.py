"""The council's pages: home, data, forecast, money, programme, indicators, reports, and job progress.
Each route checks the role, finds the council among the user's, calls the library and renders."""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from placecast.errors import PlacecastError
from placecast.store.workspace import ArchivedReport, Council
from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import council_of, current_user, form_of, log, need, render, state
from placecast.web.views import Fragments, headline

router = APIRouter()

PAGES = [("home", "Home"), ("data", "Data"), ("forecast", "Forecast"), ("money", "Money"),
         ("scenarios", "Scenarios"), ("programme", "Programme"), ("indicators", "Indicators"),
         ("reports", "Reports")]


def page_context(request: Request, user: SignedIn, council: Council, active: str) -> dict:
    """What every council page shows: the council, the user's councils, the navigation, the report (or
    None while it is computed) and the work in progress."""
    st = state(request)
    f = workspace.folder(st.settings.data_dir, council.slug)
    try:
        settings: workspace.WorkspaceSettings | None = f.settings()
    except Exception:  # a new workspace: no quarter yet
        settings = None
    quarter = settings.quarter if settings else ""
    report = workspace.load_report(f, quarter) if quarter else None
    running = jobs.running_jobs(st.engine, council.id)
    councils = getattr(request.state, "councils", None)  # found by council_of for this request
    if councils is None:
        councils = workspace.visible_councils(st.engine, user)
    return {"user": user, "council": council, "councils": councils,
            "pages": PAGES, "active": active, "report": report, "quarter": quarter, "running": running,
            "fragments": Fragments(), "workspace_settings": settings}


def guarded(request: Request, slug: str, user: SignedIn, active: str) -> dict:
    """The page context of council ``slug``, when the user may see it (404 otherwise)."""
    return page_context(request, user, council_of(request, slug, user), active)


@router.get("/")
def index(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    """The user's councils (straight to the council when there is only one)."""
    from placecast.web.regions import regions_of

    councils = workspace.visible_councils(state(request).engine, user)
    if len(councils) == 1:
        return RedirectResponse(f"/c/{councils[0].slug}", status_code=303)
    return render(request, "councils.html", user=user, councils=councils, regions=regions_of(request, user))


@router.get("/healthz")
def health() -> dict:
    """For load balancers and start-up checks."""
    return {"status": "ok"}


@router.get("/c/{slug}")
def home(request: Request, slug: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The council's home page: the quarter's headline figures and warnings."""
    from placecast.web.regions import regions_of

    ctx = guarded(request, slug, user, "home")
    ctx["headline"] = headline(ctx["report"]) if ctx["report"] else []
    region = ctx["council"].region
    ctx["region"] = next((r for r in regions_of(request, user) if r.name == region), None) if region else None
    return render(request, "home.html", **ctx)


def section_page(request: Request, slug: str, page: str, user: SignedIn, **extra: object) -> Response:
    """Forecast, money, programme, indicators and data: the report's sections for that page."""
    ctx = guarded(request, slug, user, page)
    template = str(extra.pop("template", f"{page}.html"))
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    ctx.update(extra)
    ctx["sections"] = ctx["fragments"].page(ctx["report"], page) if ctx["report"] else []
    if page == "data":
        ctx.update(data_summary(request, ctx["council"]))
    if page == "money":
        from placecast.web.costs import cost_rows, current_model, own_file

        model = current_model(request, slug)
        shown = ctx["workspace_settings"]
        ctx["money_unit"] = shown.money_unit if shown else "£000"
        ctx["report_title"] = shown.title if shown else ""
        results = ctx["report"].results if ctx["report"] else None
        ctx.update(cost_rows=cost_rows(model, date.today(), results), cost_inflation=model.inflation_per_year * 100,
                   today=date.today().isoformat(), costs_built_in=not own_file(request, slug).exists())
    if ctx["report"] is not None:
        from placecast.web.commentary import in_effect, indicator_rows, section_rows

        written = in_effect(state(request).engine, ctx["council"].id, ctx["quarter"])  # once for the page
        ctx["section_rows"] = section_rows(ctx, page, written)
        if page == "indicators":
            ctx["indicator_rows"] = indicator_rows(ctx, written)
    if page == "indicators":
        ctx["benchmark_row"] = benchmark_row(request, ctx["workspace_settings"])
    if page in ("data", "indicators", "programme", "money"):
        from placecast.web.council_files import file_rows

        ctx["file_rows"] = file_rows(request, slug, page, user)
    return render(request, template, status, **ctx)


def _page_route(page: str) -> None:
    def show(request: Request, slug: str, user: SignedIn = Depends(need("view"))) -> Response:
        return section_page(request, slug, page, user)

    show.__name__ = f"{page}_page"
    router.add_api_route(f"/c/{{slug}}/{page}", show, methods=["GET"], name=f"{page}_page")


for _page in ("data", "forecast", "money", "programme", "indicators"):
    _page_route(_page)


def data_summary(request: Request, council: Council) -> dict:
    """The history's manifest (aggregate counts) and the findings counted by rule."""
    f = workspace.folder(state(request).settings.data_dir, council.slug)
    manifest = workspace.read_when_changed(f.history / "manifest.json", _manifest)
    counts = workspace.read_when_changed(f.history / "findings.csv", _finding_counts)
    years = sorted(p.name for p in f.returns.iterdir() if p.is_dir()) if f.returns.exists() else []
    return {"manifest": copy.deepcopy(manifest) if manifest else {}, "finding_counts": copy.deepcopy(counts or []),
            "years": years}


@lru_cache(maxsize=16)
def _manifest(path: str, mtime_ns: int, size: int) -> dict:
    return json.loads(Path(path).read_text())


@lru_cache(maxsize=16)
def _finding_counts(path: str, mtime_ns: int, size: int) -> list[dict]:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not len(frame):
        return []
    return (frame.groupby(["severity", "rule"]).size().rename("count").reset_index()
            .sort_values("count", ascending=False).to_dict("records"))


EDITABLE = ("runs", "horizon_months", "window_years", "half_life_months", "shrinkage", "trend", "trend_carry", "seed")
# not uasc: the quarter's forecast counts every child, as its outturn's commitments do


@router.post("/c/{slug}/forecast/settings")
def forecast_settings(request: Request, slug: str, user: SignedIn = Depends(need("data")),
                      form: FormData = Depends(form_of)) -> Response:
    """Change the quarter's forecast settings (checked by the library's schema), then run it again."""
    from pydantic import ValidationError

    from placecast.model.settings import ForecastSettings
    from placecast.web.scenarios import field_errors

    council_of(request, slug, user)
    given = {k: str(form[k]) for k in EDITABLE if str(form.get(k, "")).strip()}
    try:
        chosen = ForecastSettings.model_validate(given)
    except ValidationError as exc:
        return section_page(request, slug, "forecast", user, status=400, settings_errors=field_errors(exc),
                            settings_given=given)
    f = workspace.folder(state(request).settings.data_dir, slug)
    ws = f.settings()
    ws.forecast = chosen.model_dump(include=set(given))
    f.write_settings(ws)
    log(request, user.username, "settings changed", "forecast: " + ", ".join(f"{k} {v}" for k, v in
                                                                               ws.forecast.items()), slug)
    return start_job(request, slug, user, "quarter", "forecast settings", "quarter forecast with new settings")


@router.post("/c/{slug}/forecast/run")
def run_forecast(request: Request, slug: str, user: SignedIn = Depends(need("data"))) -> Response:
    """Compute the quarter's forecast again in the background (analyst, admin)."""
    return start_job(request, slug, user, "quarter", "forecast", "quarter forecast")


def start_job(request: Request, slug: str, user: SignedIn, kind: str, subject: str, what: str) -> Response:
    """Queue a job for the council, audit it as a run, and send the user to its progress page."""
    council = council_of(request, slug, user)
    st = state(request)
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, kind, user.username, {}, subject)
    log(request, user.username, "run", f"{what} (job {job.id})", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)


@router.get("/c/{slug}/jobs/{job_id}")
def job_page(request: Request, slug: str, job_id: int, user: SignedIn = Depends(need("view"))) -> Response:
    """A job's progress: a page that refreshes itself, or JSON for the page's script."""
    council = council_of(request, slug, user)
    job = jobs.get_job(state(request).engine, job_id)
    if job is None or job.council_id != council.id:
        raise HTTPException(404, "No such job in this council.")
    if wants_json(request):
        return job_json(job)
    ctx = page_context(request, user, council, "home")
    return render(request, "job.html", job=job, **ctx)


def wants_json(request: Request) -> bool:
    """Whether the request is the page script's, asking a job's progress as JSON."""
    return request.headers.get("accept", "").startswith("application/json")


def job_json(job) -> JSONResponse:
    """A job's progress as the page script follows it."""
    return JSONResponse({"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
                         "error": job.error, "created_at": job.created_at.isoformat(),
                         "finished_at": job.finished_at.isoformat() if job.finished_at else None})


def follow_job(request: Request, job, user: SignedIn, url: str, back_url: str, back: str) -> Response:
    """The progress of a job that is no council's (a region's, England's): JSON for the script, else its page,
    which goes ``back_url`` when it is done."""
    if wants_json(request):
        return job_json(job)
    return render(request, "job.html", user=user, job=job, job_url=url, back_url=back_url, back=back,
                  councils=workspace.visible_councils(state(request).engine, user))


@router.get("/c/{slug}/reports")
def reports_page(request: Request, slug: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The archive of every report generated for the council."""
    ctx = guarded(request, slug, user, "reports")
    with Session(state(request).engine) as s:
        ctx["archive"] = list(s.scalars(select(ArchivedReport).where(ArchivedReport.council_id == ctx["council"].id)
                                        .order_by(ArchivedReport.id.desc())))
    return render(request, "reports.html", **ctx)


@router.post("/c/{slug}/reports")
def generate_report(request: Request, slug: str, user: SignedIn = Depends(need("reports"))) -> Response:
    """Generate the quarter's report (HTML, PDF and Excel) in the background."""
    return start_job(request, slug, user, "report", "quarterly report", "quarterly report")


MEDIA = {"html": "text/html", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "inputs": "application/zip"}


@router.get("/c/{slug}/reports/{report_id}/{kind}")
def download_report(request: Request, slug: str, report_id: int, kind: str,
                    user: SignedIn = Depends(need("view"))) -> Response:
    """One archived report file (the download is audited)."""
    council = council_of(request, slug, user)
    with Session(state(request).engine) as s:
        row = s.get(ArchivedReport, report_id)
    if row is None or row.council_id != council.id or kind not in MEDIA or kind not in row.files:
        raise HTTPException(404, "No such report file in this council.")
    path = Path(row.folder) / row.files[kind]
    log(request, user.username, "export", f"report {row.quarter} {kind} (archive {row.id})", slug)
    return FileResponse(path, media_type=MEDIA[kind], filename=path.name)


@router.get("/assets/vega-bundle.js")
def vega_bundle() -> Response:
    """Vega, Vega-Lite and vega-embed as bundled by vl-convert-python: served here, nothing from the network."""
    from placecast.report.html import javascript_bundle

    return Response(javascript_bundle(), media_type="text/javascript",
                    headers={"cache-control": "public, max-age=86400"})


@router.get("/assets/report.css")
def report_css() -> Response:
    """The report's own style sheet (tables, RAG cells, headline figures)."""
    from importlib import resources

    css = resources.files("placecast.report").joinpath("report.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"cache-control": "public, max-age=3600"})


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon: an empty answer instead of a 404."""
    return Response(status_code=204)


def benchmark_row(request: Request, settings: workspace.WorkspaceSettings | None) -> dict:
    """The benchmark's settings as the indicators page shows them: whether the server has the DfE statistics,
    and the council this workspace (its ``settings``) is benchmarked as."""
    stats = state(request).settings.dfe_stats
    return {"available": stats is not None and Path(stats).is_dir(),
            "council": settings.benchmark_council if settings else ""}


@router.post("/c/{slug}/indicators/benchmark")
def set_benchmark(request: Request, slug: str, council: str = Form(""),
                  user: SignedIn = Depends(need("indicators"))) -> Response:
    """Benchmark the workspace as a council of the DfE's statistics (checked in them at once), or not at all
    (empty); the quarter is computed with it and kept only if that works."""
    from placecast.kpi.benchmarks import benchmark

    st = state(request)
    found = council_of(request, slug, user)
    f = workspace.folder(st.settings.data_dir, slug)
    stats = st.settings.dfe_stats
    if stats is None or not Path(stats).is_dir() or not f.settings_file.exists():
        return section_page(request, slug, "indicators", user, status=400, benchmark_error="Benchmarking needs the "
                            "DfE statistics on the server (PLACECAST_DFE_STATS) and the quarter set on the money page.")
    name = " ".join(council.split())
    if name:
        try:
            benchmark(name, Path(stats))
        except PlacecastError as exc:
            return section_page(request, slug, "indicators", user, status=400, benchmark_error=str(exc),
                                benchmark_typed=name)
    job = jobs.submit(st.pool, st.settings, st.engine, found.id, "quarter", user.username,
                      {"stats": str(stats), "benchmark_council": name}, "benchmark changed")
    log(request, user.username, "settings changed", f"benchmarked as '{name or 'none'}' (job {job.id}; kept when it "
        "succeeds)", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)

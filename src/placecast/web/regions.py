"""A region's page: its councils side by side at their latest quarters, and the region's forecast made in the
background from its councils' assembled histories by the library's regional run (each council forecast with
its own seed, the region the sum of their runs, each council costed at its own unit costs), with the regional
report in HTML, PDF and Excel.

A region is the councils an administrator gave the same region. Its page is for those who see every one of
its councils (administrators and the region's own users): a region's figures include every council's.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from placecast.errors import PlacecastError, UnusableInputError
from placecast.model.panel import AGE_LABELS
from placecast.model.settings import DEFAULT_HORIZON_MONTHS, DEFAULT_SEED, AgeBand, HorizonMonths, Seed, ages_words
from placecast.report.model import Figure, display
from placecast.schema import StrictModel
from placecast.store.workspace import Council
from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import form_of, log, need, render, state
from placecast.web.views import Fragments

router = APIRouter()

SECTIONS = ("region_children", "region_councils", "region_costs", "region_beds")
SHOWN = ("Children in care now", "Children in care forecast at 31 March", "Forecast outturn",
         "(Surplus)/deficit after reserves")  # each council's headline figures on the region's page
PRICING = "set each council's own on its money page"
CATCH_UP = ("Upload their later returns on their data pages and forecast the region again; until then the region "
            "starts where its earliest council's returns end.")


def region_key(name: str) -> str:
    """The region's name in addresses (and its folder's): letters and digits, or a fingerprint of a name
    without any.

    >>> region_key("North West (RCC pilot)"), region_key("—")
    ('north-west-rcc-pilot', 'region-bda05058')
    """
    key = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return key or "region-" + hashlib.sha256(name.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Region:
    """A region: its name, its key in addresses and all its councils."""

    name: str
    councils: tuple[Council, ...]

    @property
    def key(self) -> str:
        """The region's name in addresses (:func:`region_key`)."""
        return region_key(self.name)


def regions_of(request: Request, user: SignedIn) -> list[Region]:
    """The regions whose every council the user sees."""
    with Session(state(request).engine) as s:
        every = list(s.scalars(select(Council).where(Council.region != "").order_by(Council.name)))
    seen = {c.id for c in workspace.visible_councils(state(request).engine, user)}
    names = sorted({c.region for c in every})
    grouped = [Region(n, tuple(c for c in every if c.region == n)) for n in names]
    return [r for r in grouped if all(c.id in seen for c in r.councils)]


def region_of(request: Request, key: str, user: SignedIn) -> Region:
    """The region ``key`` when the user sees all its councils; 404 otherwise (whether or not it exists)."""
    for r in regions_of(request, user):
        if r.key == key:
            return r
    raise HTTPException(404, "No such region among yours: a region's page is for those who see all its councils.")


def _council_rows(request: Request, region: Region) -> list[dict]:
    """Each council at the quarter its pages show: the headline figures the region's page compares."""
    rows = []
    for c in region.councils:
        f = workspace.folder(state(request).settings.data_dir, c.slug)
        quarter = f.settings().quarter if f.settings_file.exists() else ""
        report = workspace.load_report(f, quarter) if quarter else None
        figures = {f.label: f for f in report.headline} if report else {}
        rows.append({"council": c, "quarter": quarter, "figures": [_cell(figures.get(label)) for label in SHOWN],
                     "history": (f.history / "manifest.json").exists()})
    return rows


def _cell(figure: Figure | None) -> tuple[str, str] | None:
    """A headline figure as the region's table shows it: the value, with the money unit or a short note
    (the date of a count); the report's longer notes are on the council's own home page.

    >>> _cell(Figure("Forecast outturn", 58378.4, "gbp_k", "£000, after reserves; 80% range 57,711 to 58,974"))
    ('58,378', '£000')
    >>> _cell(Figure("Children in care now", 485, "int", "at 30/09/2025"))
    ('485', 'at 30/09/2025')
    """
    if figure is None:
        return None
    note = re.split(r"[,;(]", figure.note)[0].strip() if figure.kind.startswith("gbp") else figure.note
    return display(figure.value, figure.kind), note if len(note) <= 30 else ""


@router.get("/regions/{key}")
def region_page(request: Request, key: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The region's councils side by side, its beds, and its latest forecast with the regional report."""
    return _show(request, region_of(request, key, user), user)


class RegionRun(StrictModel):
    """How far ahead, with how many runs, from which seed and of which ages the page's form forecasts a region:
    the settings of ``placecast region`` of the same names. Runs are bounded as the server's own are
    (``PLACECAST_WEB_RUNS``): every council of the region is simulated that many times."""

    horizon_months: HorizonMonths = DEFAULT_HORIZON_MONTHS
    runs: Annotated[int, Field(ge=20, le=10_000)]
    seed: Seed = DEFAULT_SEED
    ages: list[AgeBand] | None = None  # only the children of these age bands (none chosen: every age)


RUN_FIELDS = tuple(RegionRun.model_fields)


def _bounds(name: str) -> tuple[int, int]:
    """A numeric setting's least and greatest values, as RegionRun checks them (the form's min and max)."""
    meta = RegionRun.model_fields[name].metadata
    return next(m.ge for m in meta if hasattr(m, "ge")), next(m.le for m in meta if hasattr(m, "le"))


RUN_NUMBERS = [(name, label, *_bounds(name)) for name, label in (
    ("horizon_months", "Months ahead"), ("runs", "Monte Carlo runs (each council)"), ("seed", "Random seed"))]


def run_of(params: dict, default_runs: int) -> RegionRun:
    """A region job's settings from its parameters (a job queued before they were asked has none of them)."""
    return RegionRun.model_validate({"runs": default_runs, **{k: params[k] for k in RUN_FIELDS if k in params}})


def run_words(run: RegionRun) -> str:
    """The settings in words, as the page says how a forecast was made.

    >>> run_words(RegionRun(runs=1000)), run_words(RegionRun(runs=50, ages=["16", "17"]))
    ('24 months ahead, 1,000 runs, seed 0', '24 months ahead, 50 runs, seed 0, children aged 16, 17')
    """
    return f"{run.horizon_months} months ahead, {run.runs:,} runs, seed {run.seed}" + (
        f", children {ages_words(run.ages)}" if run.ages else "")


def _show(request: Request, region: Region, user: SignedIn, status: int = 200,
          capacity_errors: list[str] | None = None, run_errors: dict[str, str] | None = None,
          run_given: dict[str, object] | None = None) -> Response:
    """The region's page (``capacity_errors``: the problems of a capacity file just refused; ``run_errors``: the
    forecast's settings just refused, each by its field, with ``run_given`` what was given)."""
    st = state(request)
    running, done = jobs.latest(st.engine, "region", region.name)
    params = (done.result or {}).get("params", {}) if done is not None else {}
    last = run_of(params, st.settings.runs)
    fragments, sections, made = Fragments(), [], None
    if done is not None:
        made = (done.result or {})["output"]
        report = workspace.read_when_changed(Path(made["folder"]) / "report.pickle", workspace.load_pickle)
        if report is not None:
            sections = [fragments.section(s, 3) for i in SECTIONS for s in report.sections if s.id == i]
            made = {**made, "notes": report.notes, "warnings": report.warnings}
    return render(request, "region.html", status, user=user, region=region, rows=_council_rows(request, region),
                  shown=SHOWN, running=[], region_running=running, done=done, made=made, sections=sections,
                  fragments=fragments, councils=workspace.visible_councils(state(request).engine, user),
                  beds=_beds_rows(request, region), capacity_errors=capacity_errors or [],
                  run_values={"uasc": params.get("uasc", "include"), "by_age": bool(params.get("by_age")),
                              **last.model_dump(), **(run_given or {})}, run_errors=run_errors or {},
                  run_made=run_words(last) if done is not None else None, age_bands=AGE_LABELS,
                  run_numbers=RUN_NUMBERS)


UASC = {"include": "every child", "exclude": "without unaccompanied asylum-seeking children",
        "only": "unaccompanied asylum-seeking children only"}


@router.post("/regions/{key}/forecast")
def forecast_region(request: Request, key: str, user: SignedIn = Depends(need("reports")),
                    form: FormData = Depends(form_of)) -> Response:
    """Forecast the region in the background (analysts, finance and administrators who see all its councils),
    of every child, without UASC or of UASC only, of every age or of the bands ticked, so many months ahead with
    so many runs from a seed (a setting out of bounds is said by its field, and nothing is queued)."""
    from placecast.web.scenarios import field_errors

    region = region_of(request, key, user)
    uasc = str(form.get("uasc") or "include")
    if uasc not in UASC:
        raise HTTPException(400, f"'{uasc}' is not a choice of children: {', '.join(UASC)}.")
    st = state(request)
    given: dict[str, object] = {k: str(form[k]).strip() for k in RUN_FIELDS if k != "ages" and
                                str(form.get(k, "")).strip()}
    if ages := [str(a) for a in form.getlist("ages")]:
        given["ages"] = ages
    by_age = form.get("by_age") == "on"
    try:
        run = run_of(given, st.settings.runs)
    except ValidationError as exc:
        return _show(request, region, user, 400, run_errors=field_errors(exc),
                     run_given={**given, "uasc": uasc, "by_age": by_age})
    job = jobs.submit(st.pool, st.settings, st.engine, None, "region", user.username,
                      {"uasc": uasc, "by_age": by_age, **run.model_dump()}, "regional forecast", region.name)
    log(request, user.username, "run", f"regional forecast of {region.name}, {UASC[uasc]}, {run_words(run)} "
                                       f"(job {job.id})")
    return RedirectResponse(f"/regions/{key}/jobs/{job.id}", status_code=303)


@router.get("/regions/{key}/jobs/{job_id}")
def region_job(request: Request, key: str, job_id: int, user: SignedIn = Depends(need("view"))) -> Response:
    """A regional forecast's progress: a page that follows it, or JSON for the page's script."""
    region = region_of(request, key, user)
    job = jobs.get_job(state(request).engine, job_id)
    if job is None or job.region != region.name or job.council_id is not None:
        raise HTTPException(404, "No such job in this region.")
    from placecast.web.pages import follow_job

    return follow_job(request, job, user, f"/regions/{key}/jobs/{job.id}", f"/regions/{key}",
                      "Back to the region's page")


MEDIA = {"html": "text/html", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/regions/{key}/forecasts/{job_id}/{kind}")
def download(request: Request, key: str, job_id: int, kind: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The regional report of a finished forecast as HTML, PDF or Excel (the download is audited)."""
    region = region_of(request, key, user)
    job = jobs.get_job(state(request).engine, job_id)
    if job is None or job.region != region.name or job.status != "done" or kind not in MEDIA:
        raise HTTPException(404, "No such regional report.")
    made = (job.result or {})["output"]
    path = Path(made["folder"]) / made["files"][kind]
    log(request, user.username, "export", f"regional report of {region.name} {kind} (job {job.id})")
    return FileResponse(path, media_type=MEDIA[kind], filename=path.name)


CAPACITY_EXAMPLE = """# The beds the region's councils have, by placement category (placecast schema capacity).
# Or a CSV file with two columns, category and beds. The categories are the councils' taxonomy's.
description: Beds across the region
beds:
  residential_inhouse: 0
  fostering_inhouse: 0
"""


def region_dir(data_dir: Path, region: Region) -> Path:
    """The region's folder in the data folder: its capacity file and its forecasts."""
    return Path(data_dir) / "regions" / region.key


def capacity_file(data_dir: Path, region: Region) -> Path | None:
    """The region's capacity file in effect, or None."""
    for suffix in (".yaml", ".csv"):
        if (path := region_dir(data_dir, region) / f"capacity{suffix}").exists():
            return path
    return None


def _categories(data_dir: Path, councils: tuple[Council, ...] | list[Council]) -> list[str]:
    """The placement categories of the region's councils (each its own taxonomy, or the built-in one)."""
    from placecast.ssda903 import load_taxonomy

    found: dict[str, None] = {}
    for c in councils:
        found.update(dict.fromkeys(load_taxonomy(workspace.folder(data_dir, c.slug).own_file("taxonomy")).categories))
    return list(found)


def _beds_rows(request: Request, region: Region) -> dict:
    """The region's beds as the page shows them: by category, and whether they are the region's file."""
    from placecast.regional.files import read_capacity

    data_dir = state(request).settings.data_dir
    path = capacity_file(data_dir, region)
    if path is None:
        return {"own": False, "beds": []}
    try:
        beds = read_capacity(path, _categories(data_dir, region.councils))
    except PlacecastError as exc:  # a council's taxonomy changed since: the forecast will say so too
        return {"own": True, "beds": [], "problem": str(exc).replace(str(path), path.name)}
    from placecast.report.sections.common import category_labels

    labels = category_labels()
    return {"own": True, "beds": [(labels.get(c, c), c, n) for c, n in beds.items()]}


@router.post("/regions/{key}/capacity")
def upload_capacity(request: Request, key: str, file: UploadFile = File(...),
                    user: SignedIn = Depends(need("reports"))) -> Response:
    """The beds the region has, checked at once by the library's reader; kept for the region's forecasts."""
    from placecast.regional.files import read_capacity
    from placecast.web.uploads import stage_checked

    region = region_of(request, key, user)
    name = Path(file.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        return _show(request, region, user, 400, [f"{name or 'The file'} is not a YAML or CSV file: the region's "
                                                  "beds are a YAML file or a CSV of category,beds (download the "
                                                  "example to start from)."])
    data = file.file.read()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _show(request, region, user, 400, [f"{name} is not a text file in UTF-8 (save it as 'CSV UTF-8')."])
    data_dir = state(request).settings.data_dir
    folder = region_dir(data_dir, region)
    folder.mkdir(parents=True, exist_ok=True)
    categories = _categories(data_dir, region.councils)
    staged, problems = stage_checked(folder, "capacity-", suffix, data, name,
                                     lambda path: read_capacity(path, categories))
    if staged is None:
        return _show(request, region, user, 400, problems)
    kept = folder / f"capacity{'.csv' if suffix == '.csv' else '.yaml'}"
    for old in (folder / "capacity.yaml", folder / "capacity.csv"):
        old.unlink(missing_ok=True)
    staged.replace(kept)
    log(request, user.username, "upload", f"capacity of {region.name} ({name}); used by its next forecast")
    return RedirectResponse(f"/regions/{key}#h-beds", status_code=303)


@router.post("/regions/{key}/capacity/remove")
def remove_capacity(request: Request, key: str, user: SignedIn = Depends(need("reports"))) -> Response:
    """Stop using the region's capacity file."""
    region = region_of(request, key, user)
    path = capacity_file(state(request).settings.data_dir, region)
    if path is not None:
        path.unlink()
        log(request, user.username, "upload", f"capacity of {region.name} no longer used")
    return RedirectResponse(f"/regions/{key}#h-beds", status_code=303)


@router.get("/regions/{key}/capacity")
def download_capacity(request: Request, key: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The region's capacity file in use, or the example to start from (audited)."""
    region = region_of(request, key, user)
    path = capacity_file(state(request).settings.data_dir, region)
    log(request, user.username, "export", f"capacity of {region.name}")
    if path is None:
        return Response(CAPACITY_EXAMPLE, media_type="application/yaml",
                        headers={"content-disposition": f'attachment; filename="{region.key}-capacity.yaml"'})
    return FileResponse(path, media_type="text/csv" if path.suffix == ".csv" else "application/yaml",
                        filename=f"{region.key}-capacity{path.suffix}")


def region_forecast(ctx: jobs.Context) -> dict:
    """The job: every council of the region whose returns are assembled, forecast from their common start,
    summed run by run, and the regional report written; kept whole or not at all."""
    from placecast.finance.unit_costs import default_unit_costs
    from placecast.model.settings import ForecastSettings, children_words
    from placecast.regional.report import regional_report
    from placecast.regional.run import regional_forecast
    from placecast.report import write_report
    from placecast.report.html import render_charts

    folders, own_costs, capacity, left = _region_inputs(ctx)
    run = run_of(ctx.params, ctx.settings.runs)
    uasc = str(ctx.params.get("uasc", "include"))
    settings = ForecastSettings.model_validate({**run.model_dump(), "backtest_runs": min(100, run.runs),
                                                "uasc": uasc})
    ctx.progress(f"Forecasting {len(folders)} councils, each with its own backtest"
                 + (f" ({', '.join(left)} left out: no returns assembled yet)" if left else ""))
    results = regional_forecast(folders, settings, default_unit_costs(), capacity=capacity, own_costs=own_costs,
                                progress=ctx.progress, by_age=bool(ctx.params.get("by_age")))
    who = f" ({words})" if (words := children_words(uasc, run.ages)) else ""
    report = regional_report(results, f"{ctx.region}: children in care forecast{who}", ctx.region, PRICING, CATCH_UP)
    if left:
        report.warnings.append(f"Left out of the region, with no returns assembled yet: {', '.join(left)} (upload "
                               "each council's returns on its data page, then forecast the region again).")
    ctx.progress("Writing the regional report (HTML, PDF and Excel)")
    out = ctx.settings.data_dir / "regions" / region_key(ctx.region) / str(ctx.job_id)
    part = out.with_name(out.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        paths = write_report(report, part)
        render_charts(report)
        (part / "report.pickle").write_bytes(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))
        part.rename(out)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return {"folder": str(out), "files": {k: p.name for k, p in paths.items()}, "councils": list(folders),
            "left_out": left, "children": UASC[uasc], "note": f"Finished: {len(folders)} councils forecast"}


def _region_inputs(ctx: jobs.Context) -> tuple[dict[str, Path], dict, dict[str, int], list[str]]:
    """Each council's history folder and own unit costs (by name), the region's beds (its capacity file, else
    the councils' in-house beds added) and the councils left out (no returns assembled yet)."""
    from placecast.finance.unit_costs import read_unit_costs
    from placecast.regional.files import read_capacity

    with Session(ctx.engine) as s:
        councils = list(s.scalars(select(Council).where(Council.region == ctx.region).order_by(Council.name)))
    folders, own_costs, capacity, left = {}, {}, dict[str, int](), []
    for c in councils:
        f = workspace.folder(ctx.settings.data_dir, c.slug)
        if not (f.history / "manifest.json").exists():
            left.append(c.name)
            continue
        folders[c.name] = f.history
        if (own := f.own_file("unit_costs")) is not None:
            own_costs[c.name] = read_unit_costs(own)
        if f.settings_file.exists():
            for category, beds in f.settings().capacity.items():
                capacity[category] = capacity.get(category, 0) + beds
    if not folders:
        raise UnusableInputError(f"No council of {ctx.region} has its returns assembled yet: upload each council's "
                                 "returns on its data page first.")
    region = Region(ctx.region, tuple(councils))
    if (path := capacity_file(ctx.settings.data_dir, region)) is not None:
        try:
            capacity = read_capacity(path, _categories(ctx.settings.data_dir, councils))
        except PlacecastError as exc:
            raise UnusableInputError(f"The region's beds no longer fit its councils' categories: "
                                     f"{str(exc).replace(str(path), path.name)} Upload them again on the region's "
                                     "page, or stop using them.") from None
    return folders, own_costs, capacity, left

"""England's page: every council, region and England forecast one to three years ahead from the DfE's
published statistics (the server's, ``PLACECAST_DFE_STATS``) by the library's national forecast, made in the
background, with its own backtest in plain words; the user's councils are picked out where an analyst has
named them as the statistics write them (the indicators page's benchmark). Published figures only: no child's
data, so every signed-in user may read it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from placecast.errors import UnusableInputError
from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import log, need, render, state

router = APIRouter()
FILES = ("national_england.csv", "national_regions.csv", "national_councils.csv", "national_backtest.csv",
         "national_model_card.md")
YEARS = 3  # ahead of the last published year


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, encoding="utf-8-sig")


def _wide(frame: pd.DataFrame, key: str) -> list[dict]:
    """Totals by ``key`` with each year's mean and 80% interval, a row for each ``key``."""
    total = frame[frame["placement"] == "Total"]
    rows = []
    for name, part in total.groupby(key, sort=False):
        rows.append({"name": name, "years": [(int(r.year), r.mean, r.p10, r.p90) for r in part.itertuples()]})
    return rows


def _own(request: Request, user: SignedIn, councils: pd.DataFrame) -> list[dict]:
    """The user's councils named as the statistics write them (name or code; a council not named is looked for
    under its own name here, and said to be), with their published forecast."""
    total = councils[councils["placement"] == "Total"]

    def found(named: str) -> list[tuple]:
        hit = total[(total["name"].str.lower() == named.lower()) | (total["code"].str.lower() == named.lower())]
        return [(int(r.year), r.mean, r.p10, r.p90) for r in hit.itertuples()]

    rows = []
    for c in workspace.visible_councils(state(request).engine, user):
        f = workspace.folder(state(request).settings.data_dir, c.slug)
        given = f.settings().benchmark_council.strip() if f.settings_file.exists() else ""
        years = found(given) if given else found(c.name.strip())
        rows.append({"council": c, "as": given or (c.name if years else ""), "by_own_name": bool(years) and not given,
                     "years": years})
    return rows


@router.get("/national")
def national_page(request: Request, user: SignedIn = Depends(need("view"))) -> Response:
    """England's forecast from the published statistics, its regions, the user's councils and its backtest."""
    stats = state(request).settings.dfe_stats
    running, done = jobs.latest(state(request).engine, "national")
    shown: dict = {}
    if done is not None:
        made = (done.result or {})["output"]
        folder = Path(made["folder"])
        shown = {"origin": made["origin"], "england": _wide(_read(folder, "national_england.csv").assign(
                 area="England"), "area"), "regions": _wide(_read(folder, "national_regions.csv"), "region"),
                 "own": _own(request, user, _read(folder, "national_councils.csv")),
                 "plain": _plain_words(folder / "national_model_card.md"),
                 "backtest": _read(folder, "national_backtest.csv").to_dict("records")}
    return render(request, "national.html", user=user, available=stats is not None and Path(stats).is_dir(),
                  running=[], national_running=running, done=done, shown=shown,
                  councils=workspace.visible_councils(state(request).engine, user))


def _plain_words(card: Path) -> str:
    """The model card's sentence in plain words on how the forecast did against 'no change'."""
    text = card.read_text(encoding="utf-8")
    return next((line for line in text.splitlines() if line.startswith("In plain words")), "")


@router.post("/national/forecast")
def forecast_england(request: Request, user: SignedIn = Depends(need("reports"))) -> Response:
    """Forecast every council, region and England from the server's DfE statistics, in the background."""
    st = state(request)
    if st.settings.dfe_stats is None or not Path(st.settings.dfe_stats).is_dir():
        raise HTTPException(400, "The server has no DfE statistics: set PLACECAST_DFE_STATS (or --dfe-stats).")
    job = jobs.submit(st.pool, st.settings, st.engine, None, "national", user.username, {}, "national forecast")
    log(request, user.username, "run", f"national forecast (job {job.id})")
    return RedirectResponse(f"/national/jobs/{job.id}", status_code=303)


@router.get("/national/jobs/{job_id}")
def national_job(request: Request, job_id: int, user: SignedIn = Depends(need("view"))) -> Response:
    """The national forecast's progress: a page that follows it, or JSON for the page's script."""
    job = jobs.get_job(state(request).engine, job_id)
    if job is None or job.kind != "national":
        raise HTTPException(404, "No such national forecast.")
    from placecast.web.pages import follow_job

    return follow_job(request, job, user, f"/national/jobs/{job.id}", "/national", "Back to England's page")


@router.get("/national/forecasts/{job_id}/{name}")
def download(request: Request, job_id: int, name: str, user: SignedIn = Depends(need("view"))) -> Response:
    """A table (CSV) or the model card (Markdown) of a finished national forecast (audited)."""
    job = jobs.get_job(state(request).engine, job_id)
    if job is None or job.kind != "national" or job.status != "done" or name not in FILES:
        raise HTTPException(404, "No such file of a national forecast.")
    path = Path((job.result or {})["output"]["folder"]) / name
    if not path.exists():  # the backtest is written only when it was made
        raise HTTPException(404, "No such file of a national forecast.")
    log(request, user.username, "export", f"national forecast {name} (job {job.id})")
    return FileResponse(path, media_type="text/markdown" if name.endswith(".md") else "text/csv", filename=name)


def national_forecast_job(ctx: jobs.Context) -> dict:
    """The job: the library's national forecast from the server's statistics, its tables and model card kept
    whole or not at all."""
    from placecast.national.run import model_card, national_forecast
    from placecast.outputs import write_tables

    stats = ctx.settings.dfe_stats
    if stats is None or not Path(stats).is_dir():
        raise UnusableInputError("The server has no DfE statistics: set PLACECAST_DFE_STATS (or --dfe-stats).")
    ctx.progress(f"Forecasting every council {YEARS} years ahead from the published statistics, with its backtest")
    results = national_forecast(Path(stats), years=YEARS, runs=ctx.settings.runs)
    out = Path(ctx.settings.data_dir) / "national" / str(ctx.job_id)
    shutil.rmtree(out, ignore_errors=True)
    write_tables(out, results.tables(), {"national_model_card.md": model_card(results)}, "national")
    return {"folder": str(out), "origin": results.origin, "note": "Finished: every council, region and England"}

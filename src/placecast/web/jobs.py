"""Background work: ingesting returns, the quarter, scenario runs and reports run in worker processes,
so that no page waits for them. Each job is a row (queued, running, done, failed) with its progress; a
failed job changes nothing (every file it writes is replaced atomically, the store in one transaction)."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session, defer

from placecast.errors import PlacecastError, UnusableInputError
from placecast.store import Store
from placecast.store.workspace import ArchivedReport, Council, Job
from placecast.web.settings import WebSettings

logger = logging.getLogger(__name__)

KINDS = ("ingest", "quarter", "scenario", "report", "region", "commentary", "national")
NOT_A_COUNCILS = ("region", "national")  # jobs of a region, and of England


def executor(settings: WebSettings) -> Executor:
    """Worker processes for jobs (spawned: no state shared with the web server's threads), the cores shared
    out between them (see :func:`placecast.threads.threads_per_job`). All of them are started now, each
    with the libraries its jobs use already loaded, so that the first job a process runs does not wait
    for Python to start and import them."""
    from placecast.threads import threads_per_job

    pool = ProcessPoolExecutor(
        max_workers=settings.job_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(threads_per_job(settings.job_workers),),
    )
    for _ in range(settings.job_workers):  # a process is started for each task asked for while none is idle
        pool.submit(_ready)
    return pool


def _start_worker(threads: int) -> None:
    """A job process's start: its share of the cores, then the modules the jobs need."""
    from placecast.threads import job_process

    job_process(threads)
    parent = multiprocessing.parent_process()
    if parent is not None:  # the server stopped, however it stopped: its job processes stop with it
        threading.Thread(target=_exit_with, args=(parent,), name="placecast-parent-watch", daemon=True).start()
    import placecast.programme.scenario  # noqa: F401
    import placecast.quarter  # noqa: F401
    import placecast.web.scenarios  # noqa: F401


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    """Wait for the server process to end, then end this job process (an unfinished job is marked
    interrupted when the server starts again; its files are written whole or not at all)."""
    parent.join()
    os._exit(0)


def _ready() -> None:
    """Nothing: asked of each job process at the start, so that all of them are started."""


@lru_cache(maxsize=4)
def _store(url: str) -> Store:
    """This process's store for ``url``: one engine (and one check of the migrations) for all its jobs."""
    return Store(url)


def submit(pool: Executor, settings: WebSettings, engine: Engine, council_id: int | None, kind: str, user: str,
           params: dict, subject: str = "", region: str = "") -> Job:
    """Queue a job (a council's; or with no council, a region's, with ``region``, or England's) and start it in
    a worker process."""
    assert kind in KINDS, kind
    assert (council_id is None) == (kind in NOT_A_COUNCILS) and bool(region) == (kind == "region"), kind
    with Session(engine) as s, s.begin():
        job = Job(council_id=council_id, region=region, kind=kind, subject=subject, status="queued",
                  progress="Waiting to start",
                  requested_by=user, created_at=datetime.now(UTC), result={"params": params})
        s.add(job)
        s.flush()
        s.expunge(job)
    pool.submit(execute, settings.model_dump(mode="json"), job.id)
    return job


def mark_interrupted(engine: Engine) -> int:
    """When the server starts: jobs left queued or running by a server that stopped are failed, in words
    (their files were never swapped in, so nothing was changed). Returns how many."""
    with Session(engine) as s, s.begin():
        stale = list(s.scalars(select(Job).where(Job.status.in_(("queued", "running")))))
        for job in stale:
            job.status, job.finished_at = "failed", datetime.now(UTC)
            job.error = "Interrupted: the server stopped before this finished. Nothing was changed; run it again."
        return len(stale)


def jobs_of(engine: Engine, council_id: int, kind: str | None = None, limit: int = 20) -> list[Job]:
    """A council's jobs, newest first."""
    stmt = select(Job).where(Job.council_id == council_id).order_by(Job.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    with Session(engine) as s:
        return list(s.scalars(stmt))


_RUNNING = (  # made once: every page asks it
    select(Job)
    .where(Job.council_id == bindparam("council_id"), Job.status.in_(("queued", "running")))
    .options(defer(Job.result), defer(Job.error))
    .order_by(Job.id.desc())
    .limit(10)
)


def running_jobs(engine: Engine, council_id: int) -> list[Job]:
    """A council's jobs queued or running, newest first, without their results (every page shows these)."""
    with Session(engine) as s:
        return list(s.scalars(_RUNNING, {"council_id": council_id}))


def latest(engine: Engine, kind: str, region: str = "") -> tuple[list[Job], Job | None]:
    """The jobs of ``kind`` that belong to no council (a region's, with ``region``, or England's): those queued
    or running, and the newest finished one."""
    mine = select(Job).where(Job.kind == kind, Job.region == region, Job.council_id.is_(None)).order_by(Job.id.desc())
    with Session(engine) as s:
        running = list(s.scalars(mine.where(Job.status.in_(("queued", "running")))))
        return running, s.scalars(mine.where(Job.status == "done").limit(1)).first()


def get_job(engine: Engine, job_id: int) -> Job | None:
    """The job ``job_id``, or None."""
    with Session(engine) as s:
        return s.get(Job, job_id)


@dataclass
class Context:
    """What a job has to hand: settings, the store, its job row's ids and a way to report progress."""

    settings: WebSettings
    engine: Engine
    job_id: int
    council: Council | None  # None for a region's or England's job
    user: str
    params: dict
    region: str = ""

    @property
    def own(self) -> Council:
        """The council of a council's job."""
        if self.council is None:
            raise AssertionError("a region's or England's job has no council")
        return self.council

    def progress(self, text: str) -> None:
        """Record what the job is doing now (shown on its page)."""
        _update(self.engine, self.job_id, progress=text[:400])


def _update(engine: Engine, job_id: int, **values: object) -> None:
    with Session(engine) as s, s.begin():
        job = s.get(Job, job_id)
        if job is not None:
            for k, v in values.items():
                setattr(job, k, v)


def _shown(message: str, limit: int = 2000) -> str:
    """The message as the job's page shows it: whole lines up to ``limit`` characters, and how many more."""
    if len(message) <= limit:
        return message
    lines, kept = message.splitlines(), list[str]()
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > limit - 80:
            break
        kept.append(line)
    if not kept:  # one long line
        return message[:limit - 3] + "..."
    return "\n".join(kept) + f"\n... and {len(lines) - len(kept)} more line(s): the command line shows them all."


def execute(settings_data: dict, job_id: int) -> None:
    """Run job ``job_id`` (in a worker process): its outcome is written to its row, never raised."""
    settings = WebSettings.model_validate(settings_data)
    engine = _store(settings.store_url).engine
    with Session(engine) as s:
        job = s.get(Job, job_id)
        council = s.get(Council, job.council_id) if job and job.council_id is not None else None
        if job is None or (council is None and job.kind not in NOT_A_COUNCILS):
            return
        s.expunge_all()
    _update(engine, job_id, status="running", progress="Started")
    ctx = Context(settings, engine, job_id, council, job.requested_by, dict((job.result or {}).get("params", {})),
                  job.region)
    try:
        with one_at_a_time(ctx, job.kind):
            output = RUNNERS[job.kind](ctx)
    except PlacecastError as exc:  # a problem with the inputs: said in words, on the page
        _update(engine, job_id, status="failed", error=_shown(str(exc)), finished_at=datetime.now(UTC))
        return
    except Exception as exc:  # a bug: logged with its type only (no data), shown as such
        logger.exception("job %s (%s) failed", job_id, job.kind)
        _update(engine, job_id, status="failed", finished_at=datetime.now(UTC),
                error=f"Placecast failed ({exc.__class__.__name__}): this is a bug; the administrator's log has "
                      "the details. Nothing was changed.")
        return
    finished = str(output.get("note") or "Finished")
    _update(engine, job_id, status="done", progress=finished, finished_at=datetime.now(UTC),
            result={"params": ctx.params, "output": output})


@contextmanager
def one_at_a_time(ctx: Context, kind: str) -> Iterator[None]:
    """A council's jobs that change what its pages show run one after another (a lock in its folder, across
    the worker processes). Two at once (finance's budget and an analyst's targets, say) each computed the
    quarter with the other's file as it was, and the pages showed whichever finished last: figures that
    matched neither. A scenario's full run changes nothing, so it does not wait."""
    from filelock import FileLock, Timeout

    from placecast.web.workspace import folder

    if kind == "scenario" or ctx.council is None:  # a region's or England's forecast changes no council's pages
        yield
        return
    lock = FileLock(folder(ctx.settings.data_dir, ctx.council.slug).root / "jobs.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        ctx.progress("Waiting for this council's other work to finish")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def run_ingest(ctx: Context) -> dict:
    """Validate and assemble the workspace's returns, keep the history with its key, store the dataset;
    then compute the quarter."""
    from placecast.ssda903.pseudonym import new_key, read_key_file, write_key_file
    from placecast.web.workspace import folder

    f = folder(ctx.settings.data_dir, ctx.own.slug)
    first = not f.key_file.exists()  # the workspace's key is kept once its first returns are
    key = new_key() if first else read_key_file(f.key_file)
    staged = f.root / str(ctx.params["staged"]) if ctx.params.get("staged") else None
    if staged is not None and (staged.parent != f.root or not staged.is_dir()):
        raise UnusableInputError("The uploaded returns are no longer there: upload them again.")
    taxonomy = staged_council_file(f, {"file_key": "taxonomy", "file": ctx.params["taxonomy"]}
                                   ) if "taxonomy" in ctx.params else {}
    try:
        out = _ingest(ctx, f, staged or f.returns, key, taxonomy["taxonomy"] if taxonomy else f.own_file("taxonomy"))
    except BaseException:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)  # a failed ingest changes nothing
        for path in taxonomy.values():
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    keep_council_files(f, taxonomy)
    if first:
        write_key_file(f.key_file, key)
    if staged is not None:  # the new returns replace the old only now that they have been read
        old = f.root / f"returns.replaced-{ctx.job_id}"
        f.returns.rename(old) if f.returns.exists() else None
        staged.rename(f.returns)
        shutil.rmtree(old, ignore_errors=True)
    if not f.settings_file.exists() or f.budget() is None:  # a new workspace: returns first
        return {**out, "quarter": None, "note": "Finished: the returns are kept; the quarter is computed once its "
                "quarter and budget are set on the money page"}
    try:
        return {**out, **run_quarter_job(ctx)}
    except PlacecastError as exc:  # the history is kept; the quarter waits for what it needs
        raise PlacecastError(f"The returns were assembled and kept, but the quarter could not be computed with "
                             f"them (the pages show the quarter as it was): {exc}") from exc


def _ingest(ctx: Context, f, source, key: bytes, taxonomy: Path | None) -> dict:
    from placecast.ssda903 import (
        assemble,
        check_usable,
        load_taxonomy,
        read_returns,
        validate_returns,
        write_history,
    )
    from placecast.ssda903.error_report import write_error_report
    from placecast.ssda903.validate import MOVE_TO_ITS_YEAR

    ctx.progress("Reading the returns")
    returns = read_returns([source])
    ctx.progress(f"Validating {len(returns.files)} files")
    validated = validate_returns(returns)
    try:  # a year missing or empty: refused before anything is kept, so the pages stay as they were
        check_usable(validated.findings, "The returns with this upload")
    except UnusableInputError as exc:
        said = str(exc).replace(f"{source}/", "").replace(MOVE_TO_ITS_YEAR, "Upload it as that year's return.")
        raise UnusableInputError(f"{said} The upload was not kept.") from None
    ctx.progress("Assembling the care history")
    history = assemble(validated, key, load_taxonomy(taxonomy))
    report = write_error_report(validated.findings, f.root / "error_report.part.xlsx")

    def write(_dataset) -> None:  # inside the store's transaction: a failed write stores nothing
        write_history(history, validated.findings, f.history, key=key)
        report.replace(f.root / "error_report.xlsx")

    _store(ctx.settings.store_url).import_dataset(returns.files, history, validated.findings, ctx.own.slug,
                                                  ctx.user, then=write)
    return {"files": len(returns.files), "errors": len(validated.findings.errors),
            "warnings": len(validated.findings.warnings), "episodes": int(len(history.episodes))}


def _compute_quarter(ctx: Context, budget: Path | None = None, staged: dict | None = None,
                     files: dict[str, Path | None] | None = None):
    """The quarter for the workspace's settings (with ``budget`` instead of the budget in effect, the
    ``staged`` settings over the workspace's and the council ``files`` over its own, when given), computed and
    kept for the pages: (folder, quarter, report, the configuration it was made from)."""
    from placecast.report import build_report
    from placecast.web.workspace import folder, report_config, save_results

    f = folder(ctx.settings.data_dir, ctx.own.slug)
    config = report_config(ctx.settings.data_dir, ctx.own.slug, ctx.own.name, ctx.settings.runs,
                           budget=budget, staged=staged, files=files)
    quarter = f.settings_with(staged).quarter
    report = build_report(config, progress=ctx.progress)
    save_results(f, quarter, report)
    return f, quarter, report, config


def run_quarter_job(ctx: Context) -> dict:
    """The quarter for the workspace's settings, kept for the pages. With a staged budget (an upload), the
    budget in effect is replaced by it only once the quarter has been computed with it."""
    from placecast.web.workspace import folder

    f = folder(ctx.settings.data_dir, ctx.own.slug)
    staged = f.root / str(ctx.params["budget"]) if ctx.params.get("budget") else None
    if staged is not None and (staged.parent != f.root or not staged.is_file()):
        raise UnusableInputError("The uploaded budget is no longer there: upload it again.")
    settings = {k: ctx.params[k] for k in ("quarter", "population_0_17", "money_unit", "title", "stats",
                                           "benchmark_council") if k in ctx.params}
    files = staged_council_file(f, ctx.params)
    try:
        _, _, report, _ = _compute_quarter(ctx, staged, settings, files)
    except BaseException:
        for path in (staged, *files.values()):
            if path is not None:
                path.unlink(missing_ok=True)  # a failed run changes nothing
        if staged is not None or settings or files:
            ctx.progress("Not kept: the budget, the quarter and the council's files in effect are as they were")
        raise
    if staged is not None:
        staged.replace(f.inputs / "budget.xlsx")
        (f.inputs / "budget.yaml").unlink(missing_ok=True)
    keep_council_files(f, files)
    if settings:  # the pages show the new quarter only now that it has been computed
        f.write_settings(f.settings_with(settings))
    return {"quarter": report.quarter}


def staged_council_file(f, params: dict) -> dict[str, Path | None]:
    """The council file a job computes the quarter with in place of the one in effect: {key: the staged
    upload, or None to go back to none}; {} when the job changes none."""
    from placecast.web.workspace import COUNCIL_FILE

    key = params.get("file_key")
    if not key:
        return {}
    if key not in {c.key for c in COUNCIL_FILE.values()}:
        raise UnusableInputError(f"'{key}' is not a file the quarter reads.")
    if not params.get("file"):
        return {key: None}
    staged = f.root / str(params["file"])
    if staged.parent != f.root or not staged.is_file():
        raise UnusableInputError("The uploaded file is no longer there: upload it again.")
    return {key: staged}


def keep_council_files(f, files: dict[str, Path | None]) -> None:
    """Make each staged council file the one in effect (None: the council's own file is removed)."""
    for key, staged in files.items():
        old = f.own_file(key)
        if old is not None and (staged is None or old.suffix != staged.suffix):
            old.unlink()
        if staged is not None:
            staged.replace(f.inputs / f"{key}{staged.suffix}")


def run_report(ctx: Context) -> dict:
    """The quarter computed afresh and written as HTML, PDF and Excel into the archive, with the record of the
    inputs it was made from (placecast.report.record)."""
    from placecast.report import write_report

    f, quarter, report, config = _compute_quarter(ctx)
    ctx.progress("Writing HTML, PDF and Excel, and the record of the inputs")
    made = datetime.now(UTC)
    out = f.reports / quarter / made.strftime("%Y%m%dT%H%M%S")
    paths = write_report(report, out, config, made)
    with Session(ctx.engine) as s, s.begin():
        s.add(ArchivedReport(council_id=ctx.own.id, quarter=quarter, folder=str(out), made_by=ctx.user,
                             made_at=made, files={k: p.name for k, p in paths.items()}))
    return {"quarter": quarter, "files": sorted(p.name for p in paths.values())}


def run_scenario(ctx: Context) -> dict:
    """A saved scenario's full Monte Carlo run against the baseline (aggregate tables only)."""
    from placecast.web.scenarios import full_run

    return full_run(ctx)


def run_commentary(ctx: Context) -> dict:
    """The quarter's report laid out again with the commentary written since it was computed, so that the
    pages show a paragraph once it is kept; no figure is computed again (after any of the council's work
    under way, which read the commentary as it was when it started)."""
    from dataclasses import replace

    from placecast.quarter.config import read_commentary
    from placecast.report.build import report_from_results
    from placecast.web.workspace import folder, load_report, save_results

    with Session(ctx.engine) as s:  # paragraphs saved one after another: the last one's layout has them all
        later = s.scalar(select(Job.id).where(Job.council_id == ctx.own.id, Job.kind == "commentary",
                                              Job.id > ctx.job_id, Job.status == "queued").limit(1))
    if later is not None:
        return {"note": f"Finished: the pages show the commentary once job {later} has laid it out"}
    f = folder(ctx.settings.data_dir, ctx.own.slug)
    quarter = str(ctx.params["quarter"])
    report = load_report(f, quarter)
    if report is None or report.results is None:
        return {"note": "Finished: the quarter is not computed; its report will take the paragraph"}
    inputs = report.results.inputs
    path = f.commentary_file(quarter)
    commentary = read_commentary(path if path.exists() else None, inputs.indicators)
    fresh = report_from_results(replace(report.results, inputs=replace(inputs, commentary=commentary)))
    rendered = {c.name: c for c in report.charts()}
    for chart in fresh.charts():  # the figures are the same: their charts need not be rendered again
        old = rendered.get(chart.name)
        if old is not None and old.spec == chart.spec:
            chart.svg = old.svg
    save_results(f, quarter, fresh)
    return {"note": "Finished: the pages show the commentary"}


def run_region(ctx: Context) -> dict:
    """The region's forecast over its councils' assembled histories, with its report (placecast.web.regions)."""
    from placecast.web.regions import region_forecast

    return region_forecast(ctx)


def run_national(ctx: Context) -> dict:
    """Every council, region and England from the DfE's published statistics (placecast.web.national)."""
    from placecast.web.national import national_forecast_job

    return national_forecast_job(ctx)


RUNNERS: dict[str, Callable[[Context], dict]] = {"ingest": run_ingest, "quarter": run_quarter_job,
                                                 "scenario": run_scenario, "report": run_report,
                                                 "region": run_region, "commentary": run_commentary,
                                                 "national": run_national}

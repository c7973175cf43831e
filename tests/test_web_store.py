"""The web application on each store (SQLite and Debian's PostgreSQL in CI): its migration, sign-in, a
council page, the audit trail refusing change, and commentary written in the page reaching the report."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from web_fixtures import PASSWORD, login, token


def test_the_app_runs_on_each_store_and_its_audit_trail_is_append_only(store_url, tmp_path, monkeypatch):
    from placecast.store import Store
    from placecast.web import audit, workspace
    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_ADMIN_PASSWORD", PASSWORD)
    app = create_app(WebSettings(data_dir=tmp_path, database_url=store_url, load_demo=False, secure_cookies=False),
                     pool=ThreadPoolExecutor(1))
    engine = app.state.placecast.engine
    workspace.create_council(engine, tmp_path, "north", "North council")
    c = login(app, "admin")
    assert c.get("/c/north").status_code == 200 and "has not been computed yet" in c.get("/c/north").text
    assert c.get("/admin/audit").status_code == 200
    rows = audit.search(engine, audit.AuditQuery(action="sign-in"))
    assert rows and rows[0].user == "admin" and rows[0].ip == "testclient"
    for statement in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert Store(store_url).count("audit_log") >= 2  # opening the store again keeps everything


def queued_quarter_job(engine) -> int:
    """A quarter job of the demo council, queued as the pages queue one (run it with ``jobs.execute``)."""
    from placecast.store.workspace import Job

    with Session(engine) as s, s.begin():
        job = Job(council_id=1, kind="quarter", status="queued", requested_by="analyst",
                  created_at=datetime.now(UTC), result={"params": {}})
        s.add(job)
        s.flush()
        return job.id


def test_commentary_written_in_the_page_reaches_the_report(web, tmp_path):
    from placecast.web import jobs
    from placecast.web.workspace import folder, load_report

    before = load_report(folder(web.data_dir, "demo"), "2025-Q2")
    red = [w for w in before.warnings if "No commentary for Red indicator" in w]
    assert red, before.warnings
    ident = red[0].split("indicator ")[1].split(" ")[0]
    c = login(web.app, "analyst")
    words = "Placements for under-16s are being reviewed by the stability panel each month."
    long = c.post("/c/demo/indicators/commentary", data={"indicator": ident, "text": "word " * 900,
                                                         "csrftoken": token(c)})
    assert long.status_code == 400 and "longer than 4,000 characters" in long.text  # it was cut, unseen
    r = c.post("/c/demo/indicators/commentary", data={"indicator": ident, "text": words, "csrftoken": token(c)})
    assert r.status_code == 303
    job_id = queued_quarter_job(web.engine)
    jobs.execute(web.state.settings.model_dump(mode="json"), job_id)  # the next quarter run, in this process
    assert jobs.get_job(web.engine, job_id).status == "done"
    after = load_report(folder(web.data_dir, "demo"), "2025-Q2")
    assert not [w for w in after.warnings if f"indicator {ident} " in w]
    page = c.get("/c/demo/indicators").text
    assert words in page


def test_jobs_left_by_a_stopped_server_are_failed_in_words(tmp_path, monkeypatch):
    from placecast.store.workspace import Job
    from placecast.web import jobs, workspace
    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_ADMIN_PASSWORD", PASSWORD)
    app = create_app(WebSettings(data_dir=tmp_path, load_demo=False), pool=ThreadPoolExecutor(1))
    engine = app.state.placecast.engine
    council = workspace.create_council(engine, tmp_path, "north", "North council")
    with Session(engine) as s, s.begin():
        for status in ("queued", "running", "done"):
            s.add(Job(council_id=council.id, kind="quarter", status=status, requested_by="a",
                      created_at=datetime.now(UTC), result={"params": {}}))
    assert jobs.mark_interrupted(engine) == 2
    left = jobs.jobs_of(engine, council.id)
    assert sorted(j.status for j in left) == ["done", "failed", "failed"]
    assert all("Interrupted" in j.error for j in left if j.status == "failed")


def test_one_blas_thread_holds_the_linear_algebra_library_to_one_thread():
    """The planner's small matrix products cost twice the CPU when OpenBLAS splits them (placecast.threads)."""
    from threadpoolctl import threadpool_info

    from placecast.threads import one_blas_thread

    one_blas_thread()
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_one_blas_thread_holds_even_when_called_before_numpy_is_imported():
    """Job processes and the command line call it first thing, before numpy is loaded: the limit must
    hold then too (threadpoolctl only limits libraries already loaded). Checked in a fresh process."""
    import subprocess
    import sys

    code = (
        "from placecast.threads import one_blas_thread; one_blas_thread()\n"
        "import numpy\nfrom threadpoolctl import threadpool_info\n"
        "print(sorted({lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas'}))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[1]"


def test_the_demo_workspace_names_its_built_in_examples_and_so_is_not_warned_of_them(tmp_path):
    """A council's own data without unit costs or indicator definitions is warned of (the examples would be shown
    as the council's); the web demo's own are the built-in ones, as in 'placecast demo'."""
    from placecast.quarter.config import builtin_file
    from placecast.quarter.inputs import examples_in_use
    from placecast.web import workspace

    for slug in ("demo", "other"):
        f = workspace.folder(tmp_path, slug)
        f.write_settings(workspace.WorkspaceSettings(quarter="2025-Q2"))
        f.history.mkdir(parents=True)
        f.inputs.mkdir(parents=True)
        (f.history / "manifest.json").write_text("{}", encoding="utf-8")
        (f.inputs / "budget.yaml").write_text("units: £000\n", encoding="utf-8")
        (f.inputs / "scenario.yaml").write_text("name: s\n", encoding="utf-8")
    demo = workspace.report_config(tmp_path, "demo", "Demo", 100, budget=workspace.folder(tmp_path, "demo").inputs
                                   / "budget.yaml")
    other = workspace.report_config(tmp_path, "other", "Other", 100, budget=workspace.folder(tmp_path, "other").inputs
                                    / "budget.yaml")
    assert demo.unit_costs == builtin_file("unit-costs") and examples_in_use(demo) == ()
    assert [w.split(",")[0] for w in examples_in_use(other)] == ["No unit costs are given for the council",
                                                                 "No indicator definitions are given for the council"]


def test_a_councils_jobs_that_change_its_pages_run_one_after_another(web):
    """Two jobs at once (a budget and indicator targets uploaded together) each computed the quarter with the
    other's file as it was, and the pages kept whichever finished last. The second now waits for the first."""
    import threading
    import time

    from filelock import FileLock

    from placecast.web import jobs
    from placecast.web.workspace import folder

    job_id = queued_quarter_job(web.engine)
    other = FileLock(folder(web.data_dir, "demo").root / "jobs.lock")  # another job of the council, running
    other.acquire()
    worker = threading.Thread(target=jobs.execute, args=(web.state.settings.model_dump(mode="json"), job_id))
    try:
        worker.start()
        end = time.monotonic() + 60
        while "Waiting" not in (jobs.get_job(web.engine, job_id).progress or "") and time.monotonic() < end:
            time.sleep(0.1)
        waiting = jobs.get_job(web.engine, job_id)
        assert waiting.status == "running" and "Waiting for this council's other work" in waiting.progress
    finally:
        other.release()
        worker.join(300)
    assert jobs.get_job(web.engine, job_id).status == "done"

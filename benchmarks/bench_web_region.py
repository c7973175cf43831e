"""The region's forecast in the web application: what a regional user waits for after "Forecast the region".

A region of 10 synthetic councils (about 5,000 children in care, the sizes of ``bench_regional.py``), each
with its returns assembled in its workspace, is forecast by the web's job (1,000 runs for each council with
its own backtest, summed, costed, and the regional report written in HTML, PDF and Excel), timed from the
request to the job's end as the page sees it; the median of ``--repeats``. Peak memory is the largest total
resident memory of this process (the server) and its job processes, sampled every 0.2 s.

Run: ``.venv/bin/python benchmarks/bench_web_region.py [--repeats 3]`` (about 3 minutes to prepare the
councils).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_regional import REGION_SIZES  # noqa: E402
from common import machine, update_results  # noqa: E402

PASSWORD = "a long benchmark password"


def prepare(data: Path) -> object:
    """The web application on ``data`` with the 10 councils of a region, their returns assembled."""
    from placecast.ssda903 import ingest, write_history
    from placecast.synth import SynthSettings, simulate, write_returns
    from placecast.web import workspace
    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    os.environ.update(PLACECAST_ADMIN_PASSWORD=PASSWORD, PLACECAST_LOAD_DEMO="0")
    app = create_app(WebSettings(data_dir=data, runs=1000, secure_cookies=False))
    engine = app.state.placecast.engine
    for i, size in enumerate(REGION_SIZES):
        slug = f"council-{i + 1:02d}"
        workspace.create_council(engine, data, slug, f"Council {i + 1:02d}", "Bench region")
        with tempfile.TemporaryDirectory() as returns:
            write_returns(simulate(SynthSettings(children_in_care=size, years=5, end_year=2025, seed=700 + i)),
                          Path(returns))
            key = f"bench-{i}".encode()
            history, validated = ingest([Path(returns)], key)
        write_history(history, validated.findings, workspace.folder(data, slug).history, key=key)
    return app


def _peak(stop: threading.Event, found: list[float]) -> None:
    me = psutil.Process()
    while not stop.is_set():
        try:
            found.append(sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]) / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.2)


def forecast_once(client, engine) -> tuple[float, float]:
    """Seconds from the request to the job's end, and peak memory (MB)."""
    from placecast.web.jobs import get_job

    token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/account").text).group(1)
    stop, sizes = threading.Event(), list[float]()
    watcher = threading.Thread(target=_peak, args=(stop, sizes), daemon=True)
    watcher.start()
    start = time.perf_counter()
    r = client.post("/regions/bench-region/forecast", data={"csrftoken": token})
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    while (job := get_job(engine, job_id)) is None or job.status not in ("done", "failed"):
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    if job.status != "done":
        raise SystemExit(f"the region's forecast failed: {job.error}")
    return seconds, max(sizes)


def main() -> None:
    from fastapi.testclient import TestClient

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        app = prepare(Path(root))
        client = TestClient(app, follow_redirects=False)
        token = re.search(r'name="csrftoken" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/", "csrftoken": token})
        forecast_once(client, app.state.placecast.engine)  # a first run starts the job process's libraries
        runs = [forecast_once(client, app.state.placecast.engine) for _ in range(args.repeats)]
        app.state.placecast.pool.shutdown()
    seconds = [s for s, _ in runs]
    body = ["## The region's forecast in the web application", "",
            f"Machine: {machine()}. `.venv/bin/python benchmarks/bench_web_region.py --repeats {args.repeats}`: "
            f"{sum(REGION_SIZES):,} children in care in 10 synthetic councils, their returns assembled in their "
            "workspaces; 'Forecast the region' timed from the request to the job's end (1,000 runs per council "
            "with its own 100-run backtest, the regional report in HTML, PDF and Excel), after one run to warm "
            "the job process.", "",
            "| what | median time | runs | peak memory (server and job processes) |", "|---|---|---|---|",
            f"| Forecast the region (10 councils) | {statistics.median(seconds):.1f} s | "
            f"{', '.join(f'{s:.1f}' for s in seconds)} s | {max(m for _, m in runs):,.0f} MB |"]
    update_results("web-region", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()

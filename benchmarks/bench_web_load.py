"""Load test of the web application on loopback (issue 18): 50 simulated users browsing while two scenario
runs execute in the background.

1. ``placecast serve`` is started in its own process on a fresh data folder (the demo council, 1,000 runs:
   the default), and the demo's first ingest and quarter are awaited.
2. Two scenario runs at once warm both job processes (a job process's first run also loads the quarter it
   runs on); then a scenario's full run is timed alone (from the request to the job's end), three times one
   after another: the median is the run alone.
3. 50 users sign in (each its own session; timed on its own), then browse the council's pages (home,
   data, forecast, money, scenarios, programme, indicators, reports, and the scenario planner's preview)
   with a think time of 0.5-1.5 s (the first request too: users arrive over a think time) for ``--seconds``;
   after ``--settle`` seconds of browsing (10), two scenario runs are started together and timed.

Recorded: p50 and p95 page times, errors, and each scenario run's time against the run alone. Bounded in
users and time, loopback only.

Run: ``.venv/bin/python benchmarks/bench_web_load.py [--users 50] [--seconds 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_results  # noqa: E402

PLACECAST = Path(sys.executable).with_name("placecast")
PASSWORD = "load test password 2026"
PAGES = ["/c/demo", "/c/demo/data", "/c/demo/forecast", "/c/demo/money", "/c/demo/scenarios", "/c/demo/programme",
         "/c/demo/indicators", "/c/demo/reports"]
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def sign_in(client: httpx.AsyncClient, user: str) -> str:
    page = await client.get("/login")
    r = await client.post("/login", data={"username": user, "password": PASSWORD, "next": "/",
                                          "csrftoken": TOKEN.search(page.text).group(1)})
    assert r.status_code == 303, r.status_code
    return TOKEN.search((await client.get("/account")).text).group(1)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as c:
        for _ in range(600):
            try:
                if (await c.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not start")


STEPS: list[str] = []  # each run's time to be asked for (the form's request, the page showing the job), polls
JOB_SECONDS: list[float] = []  # each job's own time in the store: queued to finished


async def wait_job(client: httpx.AsyncClient, job: int, timeout: float = 900) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        j = (await client.get(f"/c/demo/jobs/{job}", headers={"accept": "application/json"})).json()
        if j["status"] in ("done", "failed"):
            assert j["status"] == "done", j
            created, finished = datetime.fromisoformat(j["created_at"]), datetime.fromisoformat(j["finished_at"])
            JOB_SECONDS.append((finished - created).total_seconds())
            now = datetime.now(UTC) if finished.tzinfo else datetime.now(UTC).replace(tzinfo=None)  # stored in UTC
            seen = (now - finished).total_seconds()  # the same machine's clock as the server's
            STEPS.append(f"job {job} seen done {seen:.1f} s after it finished")
            return time.perf_counter() - start
        await asyncio.sleep(0.5)
    raise RuntimeError(f"job {job} did not finish")


async def latest_job(client: httpx.AsyncClient, sid: int) -> int:
    page = (await client.get(f"/c/demo/scenarios/{sid}")).text  # the scenario's own runs (the page's notice
    return max(int(j) for j in re.findall(r"<p>Run (\d+):", page))  # lists every job the council is running)


async def start_scenario(client: httpx.AsyncClient, token: str, name: str, origin: str) -> tuple[int, float]:
    """Save and run a scenario; return its job id and the time it was asked for."""
    asked = time.perf_counter()
    r = await client.post("/c/demo/scenarios", data={"csrftoken": token, "name": name, "start": origin,
                                                      "entries_reduced_pct": "15", "step_downs_per_month": "0.5",
                                                      "run": "on", "horizon_months": "36"})
    sid = int(r.headers["location"].rsplit("/", 1)[1])
    posted = time.perf_counter()
    job = await latest_job(client, sid)
    STEPS.append(f"{name}: saved and started in {posted - asked:.1f} s, its page in {time.perf_counter() - posted:.1f} s")
    return job, asked


by_path: dict[str, list[float]] = {}
previews: list[float] = []  # the planner's instant preview (an API call, not a page): reported on its own


async def browse(c: httpx.AsyncClient, token: str, user: str, until: float, times: list[float], errors: list[str],
                 origin: str) -> None:
    rng = random.Random(user)
    await asyncio.sleep(rng.uniform(0, 1.5))  # users arrive over a think time, not all in the same instant
    while time.perf_counter() < until:
        path = rng.choice(PAGES + ["preview"])
        start = time.perf_counter()
        try:
            if path == "preview":
                r = await c.post("/c/demo/scenarios/preview", data={
                    "csrftoken": token, "start": origin, "entries_reduced_pct": f"{rng.uniform(0, 30):.1f}",
                    "step_downs_per_month": f"{rng.uniform(0, 2):.1f}"},
                    headers={"accept": "application/json"})
            else:
                r = await c.get(path)
            if r.status_code != 200:
                errors.append(f"{path}: {r.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{path}: {exc.__class__.__name__}")
        (previews if path == "preview" else times).append(time.perf_counter() - start)
        by_path.setdefault(path, []).append(time.perf_counter() - start)
        await asyncio.sleep(rng.uniform(0.5, 1.5))


async def scenario(base: str, token_holder: dict, name: str, origin: str) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        token = await sign_in(c, "analyst")
        job, asked = await start_scenario(c, token, name, origin)
        await wait_job(c, job)
        return time.perf_counter() - asked


async def main_async(base: str, users: int, seconds: float, settle: float) -> dict:
    await wait_ready(base)
    async with httpx.AsyncClient(base_url=base, timeout=60) as admin:
        token = await sign_in(admin, "admin")
        for name in ["analyst", *(f"user{i}" for i in range(users))]:
            await admin.post("/admin/users", data={"csrftoken": token, "username": name, "role": "analyst",
                                                   "password": PASSWORD, "councils": "demo"})
        for _ in range(600):  # the demo's first ingest and quarter
            if "Headline" in (await admin.get("/c/demo")).text:
                break
            await asyncio.sleep(1)
        page = (await admin.get("/c/demo/scenarios")).text
        origin = re.search(r'id="start" name="start" type="date" value="([0-9-]+)"', page).group(1)
    warm = await asyncio.gather(*(scenario(base, {}, f"Warm-up {i + 1}", origin) for i in range(2)))  # both job
    alone_cpu = CpuShares()  # processes have loaded the quarter; then three runs alone, one after another
    alones = [await scenario(base, {}, f"Alone {i + 1}", origin) for i in range(3)]
    alone_cpu.stop()
    alone = statistics.median(alones)
    times: list[float] = []
    errors: list[str] = []
    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(users)]
    started = time.perf_counter()  # everyone signs in first (Argon2id: about 0.1 s of CPU each), then browses
    tokens = await asyncio.gather(*(sign_in(c, f"user{i}") for i, c in enumerate(clients)))
    signed_in = time.perf_counter() - started
    until = time.perf_counter() + seconds
    cpu: list[CpuShares] = []

    async def timed_runs() -> list[float]:
        await asyncio.sleep(settle)  # the runs start while everyone is browsing (not in the first moment)
        cpu.append(CpuShares())
        out = await asyncio.gather(
            scenario(base, {}, "Under load 1", origin), scenario(base, {}, "Under load 2", origin)
        )
        cpu[0].stop()
        return list(out)

    try:
        loaded, *_ = await asyncio.gather(
            timed_runs(),
            *(
                browse(c, t, f"user{i}", until, times, errors, origin)
                for i, (c, t) in enumerate(zip(clients, tokens, strict=True))
            ),
        )
    finally:
        for c in clients:
            await c.aclose()
    return {
        "alone": alone,
        "alones": alones,
        "loaded": loaded,
        "times": times,
        "errors": errors,
        "signed_in": signed_in,
        "cpu": cpu[0].shares(),
        "warm": warm,
        "alone_cpu": alone_cpu.shares(),
    }


class CpuShares:
    """CPU used while the two runs under load execute, in cores: the server, its job processes, this load
    generator (all on the same machine)."""

    def __init__(self) -> None:
        self.server = SERVER[0]
        self.started = time.perf_counter()
        self.before = self._sample()
        self.after: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        def used(p: psutil.Process) -> float:
            t = p.cpu_times()
            return t.user + t.system

        jobs = sum(
            used(p) for p in self.server.children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())
        )
        return {"server": used(self.server), "jobs": jobs, "load generator": used(psutil.Process())}

    def stop(self) -> None:
        self.after, self.seconds = self._sample(), time.perf_counter() - self.started

    def shares(self) -> dict[str, float]:
        return {k: (self.after[k] - self.before[k]) / self.seconds for k in self.before}


SERVER: list[psutil.Process] = []


def peak_rss(proc: psutil.Process) -> float:
    try:
        return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6
    except psutil.Error:
        return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--settle", type=float, default=10, help="seconds of browsing before the two runs start")
    args = ap.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLACECAST_ADMIN_PASSWORD": PASSWORD, "PLACECAST_WEB_RUNS": "1000"}
        server = subprocess.Popen([str(PLACECAST), "serve", "--port", str(port), "--data", tmp], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc = psutil.Process(server.pid)
        SERVER.append(proc)
        peak = [0.0]

        async def run() -> dict:
            async def sample() -> None:
                while True:
                    peak[0] = max(peak[0], peak_rss(proc))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            try:
                return await main_async(base, args.users, args.seconds, args.settle)
            finally:
                sampler.cancel()

        try:
            out = asyncio.run(run())
        finally:
            server.terminate()
            server.wait(20)
    report(out, args, peak[0])


def report(out: dict, args, peak_mb: float) -> None:
    times = sorted(out["times"])
    pv = sorted(previews)
    p50 = statistics.median(times) * 1000
    p95 = times[int(0.95 * (len(times) - 1))] * 1000
    slow = max(out["loaded"]) / out["alone"]
    own, own_alone = JOB_SECONDS[5:7], statistics.median(JOB_SECONDS[2:5])  # (after the two warm-up runs)
    own_slow = max(own) / own_alone
    rows = [
        f"| page p50 | {p50:.0f} ms | | |",
        f"| page p95 | {p95:.0f} ms | under 500 ms | {'met' if p95 < 500 else 'MISSED'} |",
        f"| planner preview p50 / p95 | {statistics.median(pv) * 1000:.0f} / {pv[int(0.95 * (len(pv) - 1))] * 1000:.0f} ms"
        " | | |",
        f"| errors | {len(out['errors'])} of {len(times) + len(pv)} requests | none | {'met' if not out['errors'] else 'MISSED'} |",
        "| scenario run alone (median of 3: "
        + ", ".join(f"{t:.1f}" for t in out["alones"])
        + f" s) | {out['alone']:.1f} s | | |",
        f"| {args.users} users signing in at once (before browsing) | {out['signed_in']:.1f} s | | |",
        f"| scenario runs under load | {out['loaded'][0]:.1f} s, {out['loaded'][1]:.1f} s ({slow:.2f}x alone) | within 2x | "
        f"{'met' if slow <= 2 else 'MISSED'} |",
        f"| the same, by the jobs' own times in the store (queued to finished; no polling) | {own[0]:.1f} s, "
        f"{own[1]:.1f} s against {own_alone:.1f} s alone ({own_slow:.2f}x) | within 2x | "
        f"{'met' if own_slow <= 2 else 'MISSED'} |",
    ]
    body = (
        f"## Web application under load (issue 18)\n\nMachine: {machine()}. Command: `.venv/bin/python "
        f"benchmarks/bench_web_load.py --users {args.users} --seconds {args.seconds:.0f}`. `placecast serve` (one "
        "uvicorn process, two job processes) on loopback with the demo council (1,000 runs); "
        f"{args.users} users, each signed in with its own session, browse the eight council pages and the "
        "planner's instant preview with 0.5-1.5 s think time; after "
        f"{args.settle:.0f} s of browsing two scenario full runs (36 months, 1,000 runs each) start together; both "
        "job processes are warmed by two runs before the runs alone are timed; peak memory of the server and "
        f"its job processes {peak_mb:,.0f} MB.\n\n"
        "| measure | result | target | |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    body += (
        "\nThe jobs' own times (queued to finished, from the store): alone "
        + ", ".join(f"{t:.1f} s" for t in JOB_SECONDS[2:5])
        + "; under load "
        + ", ".join(f"{t:.1f} s" for t in JOB_SECONDS[5:7])
        + "; the two warm-up runs at once before them (each job process's first, which loads the quarter) "
        + ", ".join(f"{t:.1f} s" for t in JOB_SECONDS[:2])
        + ".\n"
    )
    body += (
        "\nCPU while the two runs under load execute (cores of 2): "
        + "; ".join(f"{k} {v:.2f}" for k, v in out["cpu"].items())
        + "; during the runs alone: "
        + "; ".join(f"{k} {v:.2f}" for k, v in out["alone_cpu"].items())
        + ".\n"
    )
    body += (
        "\nBy page (p50 / p95 ms): "
        + "; ".join(
            f"{k.rsplit('/', 1)[-1]} {statistics.median(v) * 1000:.0f} / {sorted(v)[int(0.95 * (len(v) - 1))] * 1000:.0f}"
            for k, v in sorted(by_path.items())
        )
        + ".\n"
    )
    body += "\nEach run from the request: " + "; ".join(STEPS) + ".\n"
    if out["errors"]:
        body += "\nErrors: " + "; ".join(sorted(set(out["errors"]))[:10]) + "\n"
    print(body)
    update_results("web-load", body)


if __name__ == "__main__":
    main()

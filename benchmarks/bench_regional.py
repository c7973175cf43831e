"""Regional forecasts from returns and a national-sized pool (issue 17): the whole command, timed.

1. A synthetic region of 10 councils (about 5,000 children in care) from returns to regional tables:
   ``placecast region REGION --out DIR --runs 1000 --no-report`` (read, validate, assemble, fit, forecast
   every council as Dask tasks, sum, cost, write); and with the report.
2. A national-sized synthetic pool (about 82,000 children in care across 150 councils) forecast from
   assembled histories (ingest folders): ``placecast region POOL --out DIR --runs 1000 --no-report`` with
   1 and 2 local workers.

Each is the median of ``--repeats`` runs; peak memory is the largest total resident memory of the command
and its worker processes, sampled every 0.2 s.

Run: ``.venv/bin/python benchmarks/bench_regional.py [--repeats 3] [--pool-councils 150] [--pool DIR]``
(``--pool``: a pool prepared by an earlier run, kept with ``--keep-pool DIR``; preparing one takes about 20
minutes).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_results  # noqa: E402

from placecast.ssda903 import ingest, write_history  # noqa: E402
from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

PLACECAST = Path(sys.executable).with_name("placecast")
REGION_SIZES = (250, 350, 400, 450, 500, 500, 550, 600, 650, 750)  # about 5,000 children in care
POOL_SIZES = (150, 250, 350, 450, 550, 650, 800, 1000, 1300)  # mean about 550: 150 councils about 82,000


def timed(args: list[str], repeats: int) -> tuple[float, float]:
    """Median seconds and peak total memory (MB) of ``placecast ARGS``."""
    seconds, peaks = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            proc = subprocess.Popen([str(PLACECAST), *args, "--out", out], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            peak = 0.0
            parent = psutil.Process(proc.pid)
            while proc.poll() is None:
                try:
                    tree = [parent, *parent.children(recursive=True)]
                    peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
                except psutil.Error:
                    pass
                time.sleep(0.2)
            seconds.append(time.perf_counter() - start)
            peaks.append(peak)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"placecast {' '.join(args)} failed with exit {proc.returncode}")
    return statistics.median(seconds), max(peaks)


def make_region(folder: Path) -> int:
    for i, size in enumerate(REGION_SIZES):
        write_returns(simulate(SynthSettings(children_in_care=size, years=5, end_year=2025, seed=700 + i)),
                      folder / f"Council {i + 1:02d}")
    return sum(REGION_SIZES)


def make_pool(folder: Path, councils: int) -> int:
    """Ingest folders of ``councils`` synthetic councils (assembled histories); returns children in care."""
    total = 0
    for i in range(councils):
        size = POOL_SIZES[i % len(POOL_SIZES)]
        with tempfile.TemporaryDirectory() as returns:
            write_returns(simulate(SynthSettings(children_in_care=size, years=4, end_year=2025, seed=2000 + i)),
                          Path(returns))
            history, validated = ingest([Path(returns)], f"pool-{i}".encode())
        write_history(history, validated.findings, folder / f"Council {i + 1:03d}", {})
        total += size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pool-councils", type=int, default=150)
    parser.add_argument("--pool", type=Path, help="A pool prepared earlier (see --keep-pool) instead of a new one.")
    parser.add_argument("--keep-pool", type=Path, help="Prepare the pool in this folder and keep it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        region = Path(root) / "region"
        children = make_region(region)
        pool = args.pool or args.keep_pool or Path(root) / "pool"
        if args.pool:
            args.pool_councils = sum(1 for p in pool.iterdir() if p.is_dir())
            pool_children = sum(POOL_SIZES[i % len(POOL_SIZES)] for i in range(args.pool_councils))
        else:
            start = time.perf_counter()
            pool_children = make_pool(pool, args.pool_councils)
            print(f"pool prepared in {time.perf_counter() - start:.0f} s")
        rows = [("region of 10 councils from returns, tables only, 2 workers",
                 timed(["region", str(region), "--runs", "1000", "--no-report", "--workers", "2"], args.repeats)),
                ("region of 10 councils from returns, with the report, 2 workers",
                 timed(["region", str(region), "--runs", "1000", "--workers", "2"], args.repeats))]
        for workers in (1, 2):
            rows.append((f"pool of {args.pool_councils} councils from histories, {workers} worker(s)",
                         timed(["region", str(pool), "--runs", "1000", "--no-report", "--workers", str(workers)],
                               args.repeats)))
    body = ["## Regional forecasts from returns and a national-sized pool (issue 17)", "",
            f"Machine: {machine()}. Median of {args.repeats} runs of the whole command; peak memory is the command "
            f"and its Dask workers together. Region: {children:,} children in care in 10 synthetic councils; pool: "
            f"{pool_children:,} in {args.pool_councils} synthetic councils (assembled histories). 1,000 runs, "
            "24 months.", "", "| what | median time | peak memory |", "|---|---|---|"]
    body += [f"| {what} | {s:.1f} s | {m:,.0f} MB |" for what, (s, m) in rows]
    body += ["", "Targets: the region from returns to tables under 60 s; the pool under 120 s on 2 cores, under "
             "8 GB, and faster with more workers."]
    update_results("regional", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()

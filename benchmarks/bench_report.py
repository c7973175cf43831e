"""The README's main job: ``placecast demo`` end to end (synthesise, validate, ingest, forecast,
scenario, outturn, indicators, and the report as HTML, PDF and Excel). Target (issue 7): under 60 s
on a 2-core machine. Also times the report alone (build + three renderings) from an ingest folder. Each
demo runs twice, interleaved: with an empty cache folder (a machine's first run, when vl-convert builds the
report's Vega script) and with the script already in the cache (every later run).

Run: ``.venv/bin/python benchmarks/bench_report.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median, run_measured, update_results  # noqa: E402

STATS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"

REPORT_ONLY = """
import time
from pathlib import Path
from placecast.demo import demo_config
from placecast.report import build_report, write_report
config = demo_config(Path({history!r}), Path({stats!r}))
t0 = time.perf_counter()
report = build_report(config)
t1 = time.perf_counter()
write_report(report, Path({out!r}))
t2 = time.perf_counter()
result = {{"build_s": t1 - t0, "render_s": t2 - t1}}
"""


def demo_once(out: Path, cache: Path) -> tuple[float, float]:
    """Wall time and peak memory (MB, the process and its children) of one `placecast demo` with the cache
    folder ``cache``."""
    exe = Path(sys.executable).with_name("placecast")
    env = dict(os.environ, PLACECAST_DFE_STATS=str(STATS), PLACECAST_CACHE_DIR=str(cache))
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", str(exe), "demo", "--out", str(out)], capture_output=True,
                          text=True, env=env, check=True)
    wall = time.perf_counter() - started
    peak = next(int(line.split(":")[1]) for line in proc.stderr.splitlines() if "Maximum resident" in line)
    return wall, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, peaks, cold, builds, renders = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "cache-warm"
        demo_once(Path(tmp) / "prime", warm)  # fills the warm cache; not timed
        for i in range(args.runs):
            cold.append(demo_once(Path(tmp) / f"cold{i}", Path(tmp) / f"cache-cold{i}")[0])
            wall, peak = demo_once(Path(tmp) / f"demo{i}", warm)
            walls.append(wall)
            peaks.append(peak)
            print(f"demo run {i + 1}: {wall:.1f} s (empty cache {cold[-1]:.1f} s), peak {peak:.0f} MB", flush=True)
        history = Path(tmp) / "demo0" / "history"
        for i, r in enumerate(run_measured(REPORT_ONLY.format(history=str(history), stats=str(STATS),
                                                              out=str(Path(tmp) / "rep")), args.runs)):
            builds.append(r["build_s"])
            renders.append(r["render_s"])
            print(f"report run {i + 1}: build {r['build_s']:.1f} s, render {r['render_s']:.1f} s", flush=True)
    body = f"""## Demo and quarterly report (issue 7)

Machine: {machine()}.
Command: `.venv/bin/python benchmarks/bench_report.py --runs {args.runs}` (each `placecast demo` in a fresh
process, with the DfE statistics for the benchmark section; peak memory from `/usr/bin/time -v`).

| what | median of {args.runs} | runs | target |
|---|---|---|---|
| `placecast demo` end to end (500 children, 5 years, 1,000 runs; report in 3 formats) | {median(walls):.1f} s, peak {median(peaks):.0f} MB | {', '.join(f'{w:.1f}' for w in walls)} s | under 60 s: {'met' if median(walls) < 60 else 'MISSED'} |
| the same, a machine's first run (empty cache folder: vl-convert builds the Vega script) | {median(cold):.1f} s | {', '.join(f'{w:.1f}' for w in cold)} s | |
| report build from an ingest folder (forecast, backtest, costs, outturn, scenario, programme, indicators) | {median(builds):.1f} s | {', '.join(f'{w:.1f}' for w in builds)} s | |
| rendering HTML + PDF + Excel | {median(renders):.1f} s | {', '.join(f'{w:.1f}' for w in renders)} s | |
"""
    update_results("report", body)
    print(body)


if __name__ == "__main__":
    main()

"""Demand model speed: fit + 1,000-run, 24-month Monte Carlo forecast, and peak memory.

Targets (issue 3): under 2 s wall for a 500-child council, under 20 s for 25,000 children in care,
under 2 GB. Each timed run is a fresh interpreter (import, load the history, fit, project).

Run: ``.venv/bin/python benchmarks/bench_model_speed.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median, run_measured, update_results  # noqa: E402

from placecast.ssda903 import assemble, validate, write_history  # noqa: E402
from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

TIMED = """
import time
from datetime import date
t0 = time.perf_counter()
from placecast.model import DemandModel
from placecast.ssda903 import read_history
h = read_history({folder!r})
t1 = time.perf_counter()
m = DemandModel(n_runs=1000, random_state=1).fit(h, date(2025, 3, 31))
t2 = time.perf_counter()
f = m.project(24)
t3 = time.perf_counter()
e = m.project(24, mode="expected")
t4 = time.perf_counter()
result = dict(load_s=t1 - t0, fit_s=t2 - t1, project_s=t3 - t2, fit_project_s=t3 - t1, expected_s=t4 - t3,
              stock=len(m.stock_))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 25000])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            t = time.perf_counter()
            returns = Path(tmp) / f"r{size}"
            write_returns(simulate(SynthSettings(children_in_care=size, years=5, end_year=2025, seed=7)), returns)
            hist = Path(tmp) / f"h{size}"
            v = validate([returns])
            write_history(assemble(v, b"speed"), v.findings, hist)
            prep = time.perf_counter() - t
            res = run_measured(TIMED.format(folder=str(hist)), args.runs)
            rows.append((size, prep, res))
            print(size, res, flush=True)
    lines = []
    verdicts = []
    for _size, _prep, res in rows:
        fp = median([r["fit_project_s"] for r in res])
        peak = max(r["peak_mb"] for r in res)
        target = 2.0 if _size <= 1000 else 20.0
        verdicts.append(f"{res[0]['stock']:,} in care: {'met' if fp < target and peak < 2048 else 'MISSED'}")
        lines.append(f"| {res[0]['stock']:,} | {median([r['fit_s'] for r in res]):.2f} s | "
                     f"{median([r['project_s'] for r in res]):.2f} s | **{fp:.2f} s** | "
                     f"{median([r['expected_s'] for r in res]):.2f} s | {peak:,.0f} MB | {target:.0f} s |")
    body = f"""## Demand model speed (issue 3)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_model_speed.py --runs {args.runs}`; median of {args.runs} fresh
  interpreters; fit at 31 March 2025 on up to 5 years of history, then 1,000 Monte Carlo runs 24 months ahead.

| children in care at the start | fit | project (1,000 runs, 24 months) | fit + project | expected-value mode | peak memory | target |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}

Targets (under the target time and under 2 GB): {'; '.join(verdicts)}.
"""
    print(body)
    if not args.no_write:
        update_results("model-speed", body)


if __name__ == "__main__":
    main()

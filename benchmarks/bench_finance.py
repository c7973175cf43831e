"""Finance speed: 1,000,000 commitment lines costed to year end; a 1,000-run forecast costed by month
for 36 months. Target (issue 4): each under 10 s on a 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_finance.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from common import machine, median, run_measured, update_results  # noqa: E402

COMMITMENTS = """
import time
t0 = time.perf_counter()
from datetime import date
from placecast.finance import default_unit_costs, read_commitments
reg = read_commitments({path!r}, default_unit_costs().lines)
t1 = time.perf_counter()
total = reg.cost_to(date(2025, 9, 30))
t2 = time.perf_counter()
result = dict(read_s=t1 - t0, cost_s=t2 - t1, total_s=t2 - t0, lines=len(reg.table))
"""

FORECAST = """
import time
t0 = time.perf_counter()
import pandas as pd
from placecast.finance import cost_runs, cost_summary, default_unit_costs
days = pd.read_parquet({path!r})
costed = cost_runs(days, default_unit_costs())
by_month = cost_summary(costed, "month_end")
by_year = cost_summary(costed, "financial_year")
t1 = time.perf_counter()
result = dict(total_s=t1 - t0, rows=len(days))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        n = 1_000_000
        lines = np.array(["residential_external", "fostering_external", "fostering_inhouse", "supported", "secure"])
        start = pd.Timestamp("2022-04-01") + pd.to_timedelta(rng.integers(0, 1200, n), unit="D")
        end = start + pd.to_timedelta(rng.integers(1, 900, n), unit="D")
        frame = pd.DataFrame({
            "child_id": np.char.add("C", np.arange(n).astype(str)), "placement_ref": np.arange(n),
            "provider": "Acme", "cost_line": lines[rng.integers(0, 5, n)],
            "weekly_cost": rng.integers(100, 9000, n), "start": start.strftime("%Y-%m-%d"),
            "planned_end": np.where(rng.random(n) < 0.3, "", end.strftime("%Y-%m-%d")),
            "funding_social_care": 100, "funding_education": 0, "funding_health": 0, "funding_uasc_grant": 0,
        })
        cpath = Path(tmp) / "commitments.csv"
        frame.to_csv(cpath, index=False)
        runs = 1000
        months = pd.date_range("2025-04-30", periods=36, freq="ME").strftime("%Y-%m-%d")
        cats = ["fostering_kinship", "fostering_inhouse", "fostering_external", "residential_inhouse",
                "residential_external", "secure", "supported", "with_parents", "adoption", "other"]
        days = pd.DataFrame({"run": np.repeat(np.arange(runs), 36 * 10), "month_end": np.tile(np.repeat(months, 10), runs),
                             "category": np.tile(cats, runs * 36), "days": rng.random(runs * 360) * 3000})
        fpath = Path(tmp) / "days.parquet"
        days.to_parquet(fpath, index=False)
        c = run_measured(COMMITMENTS.format(path=str(cpath)), args.runs)
        f = run_measured(FORECAST.format(path=str(fpath)), args.runs)
    ct, ft = median([r["total_s"] for r in c]), median([r["total_s"] for r in f])
    body = f"""## Finance speed (issue 4)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_finance.py --runs {args.runs}` (median of {args.runs} fresh interpreters)

| job | median wall | peak memory | target |
|---|---|---|---|
| read, validate and cost 1,000,000 commitment lines to year end | **{ct:.2f} s** (read + validate {median([r['read_s'] for r in c]):.2f} s, cost {median([r['cost_s'] for r in c]):.3f} s) | {max(r['peak_mb'] for r in c):,.0f} MB | 10 s: {'met' if ct < 10 else 'MISSED'} |
| cost a 1,000-run forecast by month for 36 months (360,000 run-month-category rows), quantiles by month and year | **{ft:.2f} s** | {max(r['peak_mb'] for r in f):,.0f} MB | 10 s: {'met' if ft < 10 else 'MISSED'} |
"""
    print(body)
    if not args.no_write:
        update_results("finance", body)


if __name__ == "__main__":
    main()

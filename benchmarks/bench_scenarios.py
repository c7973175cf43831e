"""Scenario comparison speed: the baseline and 3 scenarios for a 500-child council, 1,000 runs,
36 months, costed by financial year. Target (issue 5): under 10 s on a 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_scenarios.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median, run_measured, update_results  # noqa: E402

from placecast.ssda903 import assemble, validate, write_history  # noqa: E402
from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

SCENARIOS = {
    "prevention": "  - {type: edge_of_care, start: 2025-06-01, reduce_entries_pct: 10, age_bands: ['10-13', '14-15']}\n",
    "reunification": "  - {type: reunification, start: 2025-04-01, increase_return_home_pct: 15}\n",
    "placements": ("  - {type: step_down, start: 2025-04-01, from: residential_external, to: fostering_inhouse, "
                   "per_month: 0.5, hold: 0.8}\n  - {type: new_home, opening: 2025-09-01, beds: 4, occupancy: 0.75}\n"),
}
HEAD = "name: {name}\nstart: 2025-03-31\nhorizon_months: 36\nruns: 1000\nseed: 1\ninterventions:\n"

TIMED = """
import time
t0 = time.perf_counter()
from pathlib import Path
from placecast.programme.scenario import comparison_tables, read_scenario, run_scenarios
from placecast.ssda903 import read_history
history = read_history({history!r})
scenarios = [read_scenario(Path(p)) for p in {files!r}]
t1 = time.perf_counter()
baseline, results = run_scenarios(history, scenarios)
tables = comparison_tables(baseline, results, {{"residential_inhouse": 14}})
t2 = time.perf_counter()
result = dict(load_s=t1 - t0, compare_s=t2 - t1, total_s=t2 - t0)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        returns, hist = Path(tmp) / "returns", Path(tmp) / "history"
        write_returns(simulate(SynthSettings(children_in_care=500, years=5, end_year=2025, seed=21)), returns)
        v = validate([returns])
        write_history(assemble(v, b"bench"), v.findings, hist)
        files = []
        for name, body in SCENARIOS.items():
            f = Path(tmp) / f"{name}.yaml"
            f.write_text(HEAD.format(name=name) + body, encoding="utf-8")
            files.append(str(f))
        res = run_measured(TIMED.format(history=str(hist), files=files), args.runs)
    total = median([r["total_s"] for r in res])
    body = f"""## Scenario comparison speed (issue 5)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_scenarios.py --runs {args.runs}` (median of {args.runs} fresh interpreters)
- A synthetic council of about 500 children in care; fit once, then the baseline and 3 scenarios (prevention
  for 10-15s, reunification, step-down plus a new home), 1,000 Monte Carlo runs each, 36 months, costed by
  financial year with avoidance intervals and beds against capacity.

| measure | median |
|---|---|
| load history and scenario files | {median([r['load_s'] for r in res]):.2f} s |
| fit + 4 x 1,000-run 36-month simulations + costing + tables | {median([r['compare_s'] for r in res]):.2f} s |
| **total wall** | **{total:.2f} s** (peak memory {max(r['peak_mb'] for r in res):,.0f} MB) |

Target: under 10 s: **{'met' if total < 10 else 'MISSED'}**.
"""
    print(body)
    if not args.no_write:
        update_results("scenarios", body)


if __name__ == "__main__":
    main()

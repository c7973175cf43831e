"""Validation with every rule (Placecast's own and the DfE's) + assembly of 5 years of returns for a
council of 5,000 children in care.

Target (issues 2 and 13): under 10 s wall and under 2 GB peak memory on a 2-core machine. The data is
simulated once (not timed); each timed run is a fresh interpreter that reads, validates and
assembles the returns, so import time and peak memory are those a user would see.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_ingest.py [--children 5000] [--runs 5]``.
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

from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

TIMED = """
import time
t0 = time.perf_counter()
from placecast.ssda903 import read_returns, validate_returns, assemble
t1 = time.perf_counter()
rs = read_returns([{folder!r}])
v = validate_returns(rs)
t2 = time.perf_counter()
h = assemble(v, b"bench-key")
t3 = time.perf_counter()
from placecast.ssda903.dfe_rules import load_catalogue
c = load_catalogue()
result = dict(import_s=t1 - t0, validate_s=t2 - t1, assemble_s=t3 - t2, total_s=t3 - t0,
              rows=int(sum(len(t.data) for t in rs.tables if t.table == 'Episodes')),
              episodes=len(h.episodes), errors=len(v.findings.errors), checks=len(c.checks), native=len(c.native))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "returns"
        t = time.perf_counter()
        manifest = write_returns(simulate(SynthSettings(children_in_care=args.children, years=args.years,
                                                        end_year=2026, seed=2024)), folder)
        synth_s = time.perf_counter() - t
        runs = run_measured(TIMED.format(folder=str(folder)), args.runs)
    total = median([r["total_s"] for r in runs])
    peak = max(r["peak_mb"] for r in runs)
    first = runs[0]
    verdict = "met" if total < 10 and peak < 2048 else "MISSED"
    body = f"""## Ingest: validation with all rules + assembly (issues 2 and 13)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_ingest.py --children {args.children} --years {args.years} \
  --runs {args.runs}`
- Data: synthetic council, {manifest['children_in_care_at_end']:,} children in care at 31 March 2026,
  {args.years} yearly returns, {first['rows']:,} Episodes rows in all ({first['episodes']:,} episodes after
  assembly); {first['errors']} validation errors (clean data). Simulating it took {synth_s:.1f} s (not timed).
- Each run is a fresh interpreter: import + read + validate + assemble. Validation makes every check:
  Placecast's own and the DfE's rules for Header, Episodes and UASC ({first['checks']} DfE rules as their
  own functions, {first['native']} through Placecast's checks), each in the years it applies to (2023/24-2025/26).

| measure | median of {args.runs} runs |
|---|---|
| import | {median([r['import_s'] for r in runs]):.2f} s |
| read + validate | {median([r['validate_s'] for r in runs]):.2f} s |
| assemble (repairs, periods, taxonomy, pseudonymise) | {median([r['assemble_s'] for r in runs]):.2f} s |
| **total wall** | **{total:.2f} s** (runs: {', '.join(f"{r['total_s']:.2f}" for r in runs)}) |
| peak memory (max RSS of any run) | {peak:,.0f} MB |

Target: under 10 s and under 2 GB: **{verdict}**. For scale, the DfE rules validator takes about 3 s
for 8,000 episodes on a 2-core machine (`docs/ssda903.md` §3.1).
"""
    print(body)
    if not args.no_write:
        update_results("ingest", body)


if __name__ == "__main__":
    main()

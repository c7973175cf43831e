"""The national forecast from the DfE's published statistics (issue 17): accuracy on the published years
and the time of the whole command.

Accuracy: the model's own backtest (origins 31 March 2022 and 2023, scored on 2023 and 2024), beside "no
change" and a linear trend; the model's settings were chosen on origins 2018-2021 only. Speed: the
command ``placecast national --stats DIR --out DIR --years 3 --runs 1000`` (read, fit, forecast all 153
councils as Dask tasks, sum regions and England, backtest, write), median of several runs, with 1 and 2
local workers and in one process, and its peak memory.

Run: ``.venv/bin/python benchmarks/bench_national.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_results  # noqa: E402

from placecast.national.published import read_published  # noqa: E402
from placecast.national.run import national_forecast  # noqa: E402

DFE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"
PLACECAST = Path(sys.executable).with_name("placecast")


def timed(workers: int, repeats: int) -> tuple[float, float]:
    """Median seconds and the largest peak memory (MB) of the whole command."""
    seconds, peaks = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([str(PLACECAST), "national", "--stats", str(DFE), "--out", out, "--years", "3",
                            "--runs", "1000", "--workers", str(workers)], check=True, capture_output=True)
            seconds.append(time.perf_counter() - start)
        peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return statistics.median(seconds), max(peaks)


def accuracy_table() -> str:
    scores = national_forecast(read_published(DFE), runs=1000, seed=42).backtest
    assert scores is not None
    lines = ["| origin | target | method | councils | group WAPE | group WAPE, other and supported merged | "
             "total MAPE | 80% coverage |", "|---|---|---|---|---|---|---|---|"]
    for r in scores.scores.to_dict("records"):
        cover = "" if r["coverage_80"] is None or r["coverage_80"] != r["coverage_80"] else f"{r['coverage_80']:.0%}"
        lines.append(f"| {r['origin']} | {r['target']} | {r['method']} | {r['councils']} | {r['group_wape']:.1%} | "
                     f"{r['group_wape_merged']:.1%} | {r['total_mape']:.1%} | {cover} |")
    ratios = []
    for column in ("group_wape", "total_mape"):
        for against in ("No change", "Linear trend"):
            r = scores.ratio(column, against)
            ratios.append(f"- {column.replace('_', ' ')} / {against.lower()}: " + ", ".join(
                f"{int(x.origin)}->{int(x.target)} {x._3:.3f}" for x in r.itertuples()))
    return "\n".join(lines) + "\n\nPlacecast's score as a multiple of the others':\n\n" + "\n".join(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    speed = {w: timed(w, args.repeats) for w in (0, 1, 2)}
    body = ["## National forecast from the DfE's published statistics (issue 17)", "",
            f"Machine: {machine()}. Commands: `placecast national --stats ../shared/reference/dfe --out DIR --years 3 "
            f"--runs 1000 --workers W` (median of {args.repeats}); accuracy from the command's own backtest "
            "(`national_backtest.csv`), seed 42.", "", "| workers | median time | peak memory |", "|---|---|---|"]
    body += [f"| {'in one process' if w == 0 else w} | {s:.1f} s | {m:.0f} MB |" for w, (s, m) in speed.items()]
    body += ["", "Target: all 153 councils, 1,000 runs, 3 years ahead, under 30 s on 2 cores.", "", accuracy_table()]
    update_results("national", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()

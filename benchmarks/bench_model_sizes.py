"""Demand model accuracy on smaller and larger councils than the main benchmark (not a target).

The issue's target is measured on councils of about 450 children (``bench_model_accuracy.py``). This
asks how the same model does on a small council (150 in care) and a large one (1,500): three councils
each (steady, entries growing 10% a year, entries falling 8% a year) x the same two origins, each
future re-drawn ``--forks`` times; Placecast's error is averaged over ``--seeds`` Monte Carlo seeds.
Reported: WAPE over the 10 placement categories 12 months ahead for Placecast, the accuracy limit and
"no change", and the ratios to the limit.

Run: ``.venv/bin/python benchmarks/bench_model_sizes.py [--sizes 150 1500] [--forks 50] [--seeds 3]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_model_accuracy import HORIZON, ORIGINS, council_cases, wape  # noqa: E402
from common import machine, update_results  # noqa: E402

from placecast.model import DemandModel  # noqa: E402
from placecast.ssda903 import load_taxonomy  # noqa: E402
from placecast.synth import SynthSettings  # noqa: E402

SHAPES = [("steady", 201, 0.0), ("growing 10%", 202, 0.10), ("falling 8%", 203, -0.08)]


def score_size(size: int, forks: int, seeds: int, cats: list[str]) -> list[dict]:
    rows = []
    for name, seed, trend in SHAPES:
        settings = SynthSettings(children_in_care=size, years=5, end_year=2025, seed=seed, entry_trend=trend)
        with tempfile.TemporaryDirectory() as tmp:
            cases = list(council_cases(settings, forks, cats, Path(tmp)))
        for origin, history, _, futures in cases:
            model = DemandModel(n_runs=1000).fit(history, origin)
            medians = [np.quantile(model.project(HORIZON, random_state=s).counts, 0.5, axis=0)[HORIZON]
                       for s in range(1, seeds + 1)]
            best, now = futures[:, HORIZON].mean(axis=0), futures[0, 0]
            actual = futures[:, HORIZON]
            rows.append({"size": size, "council": name, "origin": origin.isoformat(),
                         "in_care": int(now.sum()),
                         "placecast": float(np.mean([[wape(m, a) for a in actual] for m in medians])),
                         "limit": float(np.mean([wape(best, a) for a in actual])),
                         "nochange": float(np.mean([wape(now, a) for a in actual]))})
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[150, 1500])
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    cats = load_taxonomy().categories
    started = time.perf_counter()
    rows = [r for size in args.sizes for r in score_size(size, args.forks, args.seeds, cats)]
    df = pd.DataFrame(rows)
    table = "\n".join(
        f"| {r.size:,} | {r.council} | {r.origin} | {r.in_care:,} | {r.placecast:.3f} | {r.limit:.3f} | "
        f"{r.nochange:.3f} | {r.placecast / r.limit:.2f} | {r.nochange / r.limit:.2f} |" for r in df.itertuples())
    means = df.groupby("size")[["placecast", "limit", "nochange"]].mean()
    summary = "; ".join(f"{size:,} children: Placecast {m.placecast / m.limit:.3f} x the limit, no change "
                        f"{m.nochange / m.limit:.3f} x" for size, m in means.iterrows())
    body = f"""## Demand model accuracy by council size (issue 3; no target)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_model_sizes.py --sizes {' '.join(map(str, args.sizes))} --forks {args.forks} --seeds {args.seeds}`
  ({(time.perf_counter() - started) / 60:.0f} min)
- Councils of each size: steady, entries +10%/year, entries -8%/year; origins {', '.join(o.isoformat() for o in ORIGINS)};
  {args.forks} re-drawn futures each; WAPE over the 10 categories {HORIZON} months ahead; Placecast averaged over
  {args.seeds} seeds.

| size | council | origin | in care at origin | Placecast | limit | no change | Placecast / limit | no change / limit |
|---|---|---|---|---|---|---|---|---|
{table}

Mean: {summary}.
"""
    print(body)
    if not args.no_write:
        update_results("model-sizes", body)


if __name__ == "__main__":
    main()

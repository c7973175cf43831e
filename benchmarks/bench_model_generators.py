"""Demand model accuracy on two structurally different generators, side by side (issue 16).

For each generator (``hazard``: :mod:`placecast.synth.simulate`; ``cohort``: :mod:`placecast.synth.cohort`),
councils that are steady, growing and falling (both generators drift their placement mix) are simulated
once; at each origin their future is re-drawn ``--forks`` times. Placecast is fitted once on the shared
past and scored against every future: WAPE over the 10 placement categories 12 months ahead against the
accuracy limit (the mean of the futures) and "no change"; the 24-month error on the total against no
change; and the share of outcomes inside the 80% and 90% bands.

Run: ``.venv/bin/python benchmarks/bench_model_generators.py [--forks 100] [--runs 1000]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_results  # noqa: E402

from placecast.model import DemandModel, backtest  # noqa: E402
from placecast.model.combine import anchored, combination_weights  # noqa: E402
from placecast.ssda903 import ingest, load_taxonomy  # noqa: E402
from placecast.ssda903.assemble import known_at  # noqa: E402
from placecast.synth import (  # noqa: E402
    CohortSettings,
    SynthSettings,
    simulate,
    simulate_cohort,
    simulate_forks,
    write_returns,
)

ORIGINS = [date(2023, 3, 31), date(2024, 3, 31)]
TRENDS = [("steady", 0.0, 1), ("growing 8%", 0.08, 2), ("falling 5%", -0.05, 3), ("growing 4%", 0.04, 4),
          ("steady (b)", 0.0, 5)]
SIZE = 450


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.abs(forecast - actual).sum() / max(actual.sum(), 1))


def matrix(truth: pd.DataFrame, dates: list[str], cats: list[str]) -> np.ndarray:
    t = truth.set_index(["date", "category"])["children"]
    return np.array([[t[(d, c)] for c in cats] for d in dates], dtype=float)


def futures(generator: str, seed: int, trend: float, origin: date, forks: int, lam: float) -> list[pd.DataFrame]:
    if generator == "hazard":
        s = SynthSettings(children_in_care=SIZE, years=5, end_year=2026, seed=seed, entry_trend=trend,
                          entries_per_year=lam)
        return simulate_forks(s, origin, list(range(forks)))
    c = CohortSettings(children_in_care=SIZE, years=5, end_year=2026, seed=seed, entry_trend=trend,
                       entries_per_year=lam)
    return [simulate_cohort(replace(c, fork_date=origin, fork_seed=k)).truth for k in range(forks)]


def history_and_rate(generator: str, seed: int, trend: float, folder: Path):
    if generator == "hazard":
        result = simulate(SynthSettings(children_in_care=SIZE, years=5, end_year=2026, seed=seed, entry_trend=trend))
    else:
        result = simulate_cohort(CohortSettings(children_in_care=SIZE, years=5, end_year=2026, seed=seed,
                                                entry_trend=trend))
    write_returns(result, folder)
    return ingest([folder], b"bench")[0], result.entries_per_year


def bands(counts: np.ndarray) -> tuple[np.ndarray, ...]:
    return (np.quantile(counts, 0.5, axis=0), *np.quantile(counts, [0.05, 0.1, 0.9, 0.95], axis=0))


def score(generator: str, forks: int, runs: int, cats: list[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    rows: list[dict] = []
    cover: dict[str, list] = {"80": [], "90": [], "80r": [], "90r": []}
    for name, trend, seed in TRENDS:
        with tempfile.TemporaryDirectory() as tmp:
            history, lam = history_and_rate(generator, 600 + seed, trend, Path(tmp))
        for origin in ORIGINS:
            o = pd.Timestamp(origin)
            dates = [(o + pd.offsets.MonthEnd(k)).date().isoformat() for k in range(25)]
            fut = np.stack([matrix(t, dates, cats) for t in futures(generator, 600 + seed, trend, origin, forks, lam)])
            model = DemandModel(n_runs=runs, random_state=1).fit(history, origin)
            forecast = model.project(24)
            # the robust forecast: anchored on no change by the council's own backtest, on what was known then
            own = backtest(known_at(history, origin), model, n_runs=200)
            robust = anchored(forecast, combination_weights(own))
            median, lo90, lo80, hi80, hi90 = bands(forecast.counts.to_numpy())
            rmed, rlo90, rlo80, rhi80, rhi90 = bands(robust.counts.to_numpy())
            now, best = fut[0, 0], fut[:, 12].mean(axis=0)
            for f in fut:
                rows.append({"generator": generator, "council": name, "origin": origin.isoformat(),
                             "placecast": wape(median[12], f[12]), "robust": wape(rmed[12], f[12]),
                             "limit": wape(best, f[12]), "nochange": wape(now, f[12]),
                             "total24": abs(median[24].sum() - f[24].sum()) / f[24].sum(),
                             "total24_robust": abs(rmed[24].sum() - f[24].sum()) / f[24].sum(),
                             "total24_nochange": abs(now.sum() - f[24].sum()) / f[24].sum()})
                for key, lo, hi in (("80", lo80, hi80), ("90", lo90, hi90), ("80r", rlo80, rhi80),
                                    ("90r", rlo90, rhi90)):
                    cover[key].append(((f[1:13] >= lo[1:13]) & (f[1:13] <= hi[1:13])).reshape(-1))
            print(generator, name, origin, pd.DataFrame(rows[-forks:]).mean(numeric_only=True).round(3).to_dict(),
                  flush=True)
    return pd.DataFrame(rows), {k: float(np.concatenate(v).mean()) for k, v in cover.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forks", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    cats = load_taxonomy().categories
    started = time.perf_counter()
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    lines = ["| generator | council | origin | Placecast | robust | limit | no change | Placecast / limit | "
             "robust / limit | Placecast / no change | robust / no change | 24-month total: Placecast | robust | "
             "no change |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = []
    for generator in ("hazard", "cohort"):
        df, cov = score(generator, args.forks, args.runs, cats)
        per = df.groupby(["council", "origin"], sort=False).mean(numeric_only=True)
        for (council, origin), r in per.iterrows():
            lines.append(f"| {generator} | {council} | {origin} | {r.placecast:.3f} | {r.robust:.3f} | {r.limit:.3f} | "
                         f"{r.nochange:.3f} | {r.placecast / r.limit:.2f} | {r.robust / r.limit:.2f} | "
                         f"{r.placecast / r.nochange:.2f} | {r.robust / r.nochange:.2f} | {r.total24:.3f} | "
                         f"{r.total24_robust:.3f} | {r.total24_nochange:.3f} |")
        m = per.mean()
        for label, col, tot, c80, c90 in (("Placecast (microsimulation)", "placecast", "total24", cov["80"], cov["90"]),
                                          ("robust (anchored on no change by the council's own backtest)", "robust",
                                           "total24_robust", cov["80r"], cov["90r"])):
            lim, nc = m[col] / m["limit"], m[col] / m["nochange"]
            summary.append(f"- **{generator}**, {label}: {lim:.3f}x the limit (target 1.10: {verdict(lim <= 1.10)}), "
                           f"{nc:.3f}x no change (target 0.85: {verdict(nc <= 0.85)}); 80% bands {c80:.1%} (75-85%: "
                           f"{verdict(0.75 <= c80 <= 0.85)}), 90% bands {c90:.1%} (86-94%: "
                           f"{verdict(0.86 <= c90 <= 0.94)}); 24-month total error {m[tot]:.3f} against no change "
                           f"{m['total24_nochange']:.3f} ({verdict(m[tot] <= m['total24_nochange'])}).")
    body = ["## Demand model on two generators, side by side (issue 16)", "",
            f"Date {date.today().isoformat()}; machine: {machine()}. Command: `.venv/bin/python "
            f"benchmarks/bench_model_generators.py --forks {args.forks} --runs {args.runs}` "
            f"({(time.perf_counter() - started) / 60:.0f} min). {len(TRENDS)} councils of about {SIZE} children in "
            f"care per generator x {len(ORIGINS)} origins, {args.forks} re-drawn futures each; WAPE over the 10 "
            "placement categories 12 months ahead; each forecast's point is its median. 'robust' is the same forecast "
            "anchored on no change with weights from the council's own backtest on what was known at the origin "
            "(placecast.model.combine; equal weights where there is no backtest yet).", "", *lines, "",
            *summary]
    update_results("model-generators", "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()

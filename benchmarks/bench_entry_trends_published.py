"""Do real councils' trends in entries into care persist? Evidence from the DfE's published starts.

Every council's children starting to be looked after in each year ending 31 March (2016-2024, the DfE's
published table in ``../shared/reference/dfe/``) is used to ask how far a three-year trend in starts carries
into the next year. For each council and origin year t (2018-2023), a straight line is fitted to the log of
its starts in t-2, t-1 and t; next year's starts are predicted from the three-year mean level plus m times
the slope (m = 0: the mean; m = 1: the line's end, no further growth; m = 2: the line carried one more year)
and by "no change" (year t's starts). The score is the mean absolute percentage error over councils and
origins. This is the evidence the demand model's entry trend should be judged on (issues 15 and 16): the
synthetic generators' councils grow at a steady rate for ever; real councils' starts may not.

Usage: ``.venv/bin/python benchmarks/bench_entry_trends_published.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, update_results  # noqa: E402

STARTS = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "dfe" / "cla_totals_starts_ceases_2016_2024.csv"
SLOPES = (0.0, 0.25, 0.5, 1.0, 2.0)


def starts_by_council(path: Path) -> pd.DataFrame:
    """Councils' published starts by year (suppressed cells are missing)."""
    d = pd.read_csv(path)
    d["count"] = pd.to_numeric(d["count"], errors="coerce")
    return d[(d.level == "la") & (d.measure == "started")].pivot_table(index="code", columns="year", values="count")


def cases(s: pd.DataFrame) -> pd.DataFrame:
    """One row per council and origin: the three-year slope, mean level and next year's outcome (logs)."""
    rows = []
    for t in range(int(s.columns.min()) + 2, int(s.columns.max())):
        w, nxt = s[[t - 2, t - 1, t]], s[t + 1]
        ok = (w > 0).all(axis=1) & (nxt > 0)
        logs = np.log(w[ok].to_numpy())
        rows.append(pd.DataFrame({"origin": t, "slope": (logs[:, 2] - logs[:, 0]) / 2.0, "mean": logs.mean(1),
                                  "last": logs[:, 2], "next": np.log(nxt[ok].to_numpy())}))
    return pd.concat(rows, ignore_index=True)


def overdispersion(s: pd.DataFrame) -> tuple[float, float, int]:
    """How far yearly starts vary beyond a Poisson count: (random-walk sd a year, each year's own sd, councils).

    With log starts = a random walk (variance w a year) + each year's own level (variance v) + Poisson noise,
    the year-to-year change, less England's median change, has variance w + 2v + P and lag-one covariance
    -v - 1/n, where the Poisson parts (P = 1/n_t + 1/n_t-1) are known from the counts. Councils with over
    20 starts in every year.
    """
    s = s[(s > 20).all(axis=1)]
    change = np.log(s).diff(axis=1).iloc[:, 1:]
    change = (change - change.median()).to_numpy()
    inverse = 1.0 / s.to_numpy()
    excess = np.mean(change**2) - np.mean(inverse[:, 1:] + inverse[:, :-1])
    lag_one = np.mean(change[:, :-1] * change[:, 1:]) + np.mean(inverse[:, 1:-1])
    year = max(-lag_one, 0.0)
    return float(np.sqrt(max(excess - 2 * year, 0.0))), float(np.sqrt(year)), len(s)


CARRIES = (0.0, 0.25, 0.5, 1.0)
LEVEL_AND_LAST = "level and last year"  # the mean of the fitted level at the origin and the last year's starts


def model_cases(s: pd.DataFrame, window: int = 5) -> pd.DataFrame:
    """The demand model's entry fit on each council's last ``window`` years of starts, and its forecast of the
    starts one and two years on with the fitted trend carried on by each share in CARRIES (1: the straight
    line, 0: the fitted level at the origin held). The yearly counts are spread evenly over their months and
    fitted as the model fits monthly entrants (Poisson, log-linear, the same prior on the trend)."""
    from placecast.model.fit import _fit_trend, _level_at_origin

    rows = []
    first, last = int(s.columns.min()), int(s.columns.max())
    for t in range(first + window - 1, last):
        w = s[list(range(t - window + 1, t + 1))]
        for ahead in (1, 2):
            if t + ahead > last:
                continue
            nxt = s[t + ahead]
            ok = (w > 0).all(axis=1) & (nxt > 0)
            for counts, actual in zip(w[ok].to_numpy(), nxt[ok].to_numpy(), strict=True):
                monthly = np.repeat(counts / 12.0, 12)
                coef, _ = _fit_trend(monthly, True)
                months = np.arange(1, 13) + 12 * (ahead - 1)
                row = {"origin": t, "ahead": ahead, "actual": actual, "no change": counts[-1],
                       "window mean": counts.mean()}
                row |= {c: float(np.exp(coef[0] + c * coef[1] * months / 12.0).sum()) for c in CARRIES}
                row[LEVEL_AND_LAST] = 12 * float(np.exp(_level_at_origin(coef, monthly)[0]))
                rows.append(row)
    return pd.DataFrame(rows)


def model_table(m: pd.DataFrame) -> str:
    """Mean absolute percentage error of each forecast of the starts, by years ahead and origin."""
    names = ["no change", "window mean", *CARRIES, LEVEL_AND_LAST]
    head = "| years ahead | origin | council-origins | " + " | ".join(
        n if isinstance(n, str) else f"trend carried x {n:g}" for n in names) + " |"
    lines = [head, "|" + "---|" * (len(names) + 3)]
    for ahead, g in m.groupby("ahead"):
        for origin, part in [("all", g), *g.groupby("origin")]:
            cells = [f"{np.mean(np.abs(part[n] / part['actual'] - 1)):.1%}" for n in names]
            lines.append(f"| {ahead} | {origin} | {len(part)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


HALF_LIVES = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)  # years; the demand model's default is 10 (120 months)


def exit_recency(path: Path) -> pd.DataFrame:
    """How far back a council's rate of leaving care should look: each council's ceases in year t predicted as
    its rate over the five years before (ceases over exposure, each year weighted by a half-life) times year t's
    exposure (children in care at the start plus half the year's starts: the starts are taken as known, so only
    the rate is forecast). One row per council and origin (2021-2024), one column per half-life in years."""
    d = pd.read_csv(path)
    d["count"] = pd.to_numeric(d["count"], errors="coerce")
    la = d[d.level == "la"].pivot_table(index=["code", "year"], columns="measure", values="count")
    rows = []
    for _, g in la.groupby(level=0):
        g = g.droplevel(0).sort_index()[["cla_31march", "started", "ceased"]]
        if len(g) < 9 or g.isna().any().any():
            continue
        exposure, ceased = g["cla_31march"].shift(1) + g["started"] / 2, g["ceased"]
        for t in range(2021, int(g.index.max()) + 1):
            years = np.arange(max(t - 5, int(g.index.min()) + 1), t)
            row = {"origin": t, "actual": ceased[t]}
            for hl in HALF_LIVES:
                w = 0.5 ** ((t - 1 - years) / hl)
                row[hl] = float((w * ceased.loc[years]).sum() / (w * exposure.loc[years]).sum() * exposure[t])
            rows.append(row)
    return pd.DataFrame(rows)


def exit_table(q: pd.DataFrame) -> str:
    """Mean absolute percentage error of each half-life's forecast of the ceases, by origin."""
    lines = ["| origin | councils | " + " | ".join(f"half-life {hl:g} years" for hl in HALF_LIVES) + " |",
             "|" + "---|" * (len(HALF_LIVES) + 2)]
    for origin, part in [*q.groupby("origin"), ("all", q)]:
        cells = [f"{np.mean(np.abs(part[hl] / part['actual'] - 1)):.1%}" for hl in HALF_LIVES]
        lines.append(f"| {origin} | {len(part)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mape(actual_log: pd.Series, predicted_log: pd.Series) -> float:
    return float(np.mean(np.abs(np.exp(predicted_log - actual_log) - 1.0)))


def main() -> None:
    c = cases(starts_by_council(STARTS))
    no_change = mape(c["next"], c["last"])
    by_m = {m: mape(c["next"], c["mean"] + m * c["slope"]) for m in SLOPES}
    best = np.sum((c["next"] - c["mean"]) * c["slope"]) / np.sum(c["slope"] ** 2)
    per_origin = {t: float(np.sum((g["next"] - g["mean"]) * g["slope"]) / np.sum(g["slope"] ** 2))
                  for t, g in c.groupby("origin")}
    walk, year, n_councils = overdispersion(starts_by_council(STARTS))
    rows = [f"| no change (year t's starts) | {no_change:.1%} |"]
    rows += [f"| three-year mean + {m:g} x slope{label} | {v:.1%} |" for m, v in by_m.items()
             for label in [{1.0: " (the line's end)", 2.0: " (the line carried on a year)"}.get(m, "")]]
    body = (f"## Do councils' trends in entries persist? Published starts (issues 15 and 16)\n\nMachine: {machine()}. "
            "Command: `.venv/bin/python benchmarks/bench_entry_trends_published.py`. The DfE's published starts by "
            f"council, years ending 31 March 2016-2024; {len(c):,} council-origins (origins 2018-2023). One year "
            "ahead, mean absolute percentage error:\n\n| predictor of next year's starts | MAPE |\n|---|---|\n"
            + "\n".join(rows) + "\n\nLeast-squares multiple of the slope on the mean level: "
            f"{best:.2f} pooled; by origin " + ", ".join(f"{t} {v:.2f}" for t, v in per_origin.items()) + ".\n\n"
            f"Starts vary more than a Poisson count ({n_councils} councils with over 20 starts in every year; the "
            "change in log starts from one year to the next, less England's median change, split by its lag-one "
            f"covariance): a lasting part, a random walk with sd {walk:.3f} a year, and a passing part, each year's "
            f"own level with sd {year:.3f}. The demand model's entries carry both "
            "(placecast.model.project.ENTRY_WALK_SD and ENTRY_YEAR_SD).\n\n"
            "The demand model's own entry fit on the same published starts (each council's last five years, the "
            "yearly counts spread over their months and fitted as the model fits its monthly entrants: Poisson, "
            "log-linear, the same prior on the trend), its forecast of the starts one and two years on with the "
            "fitted trend carried on in full (the straight line, the model before session 19), in part, or not "
            "at all (the fitted level at the origin held, the model's default from session 19); and the mean of "
            "that held level and the last year's starts (the model's level from session 20). Mean absolute "
            "percentage error:\n\n" + model_table(model_cases(starts_by_council(STARTS))) + "\n\n"
            "Does a council's rate of leaving care drift, so that recent years should count more? Each council's "
            "ceases in a year predicted from its rate over the five years before (ceases over children in care at "
            "the start plus half the year's starts, the years weighted by a half-life), times that year's own "
            "exposure (the starts taken as known, so only the rate is forecast). Mean absolute percentage error; "
            "the demand model weights its transitions with a half-life of 10 years by default:\n\n"
            + exit_table(exit_recency(STARTS)) + "\n")
    print(body)
    update_results("entry-trends-published", body)


if __name__ == "__main__":
    main()

"""The national model's own backtest on the published years: each origin forecast from what was published
by then, scored against what was published after, beside "no change" (last year's figure) and a linear
trend (last year's change again).

Scores per origin and years ahead: the mean over councils of the WAPE over the DfE's placement groups
(suppressed cells left out), the same with "Other placements" and supported accommodation merged (the
2023-24 recording shift moved children between the two), the MAPE of council totals, and the share of
council totals inside the 80% interval. A council whose own figures start after the origin (created by
a reorganisation) is left out of that origin's scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.national.model import NationalForecast, Spread, council_runs, fit_spread, forecast
from placecast.national.published import GROUPS, Published, filled_groups

SHIFTED = ("Independent and semi-independent living arrangements/supported accommodation", "Other placements")
METHODS = ("Placecast", "No change", "Linear trend")


@dataclass(frozen=True)
class NationalBacktest:
    """Scores per origin, target year and method, and how many councils each covers."""

    scores: pd.DataFrame  # origin, target, method, councils, group_wape, group_wape_merged, total_mape, coverage_80

    def ratio(self, column: str, against: str = "No change") -> pd.DataFrame:
        """Placecast's score as a multiple of another method's, per origin and target."""
        table = self.scores.pivot_table(index=["origin", "target"], columns="method", values=column)
        return (table["Placecast"] / table[against]).rename(f"{column} / {against}").reset_index()


def _wape(pred: pd.DataFrame, actual: pd.DataFrame) -> pd.Series:
    known = actual.notna()
    error = (pred - actual).abs().where(known).sum(axis=1)
    return error / actual.where(known).sum(axis=1)


def _merged(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns=list(SHIFTED))
    out["Other and supported"] = frame[list(SHIFTED)].sum(axis=1, min_count=len(SHIFTED))
    return out


def _predictions(published: Published, fc: NationalForecast, target: int) -> dict[str, pd.DataFrame]:
    """Each method's counts by group for ``target``, councils as rows (Placecast's from ``fc``)."""
    origin = fc.origin
    known = published.known_at(origin)
    last = filled_groups(known, origin).mul(known.totals[origin], axis=0)
    before = filled_groups(known, origin - 1).mul(known.totals[origin - 1], axis=0)
    ahead = target - origin
    return {"Placecast": fc.shares.mul(fc.expected[target], axis=0),
            "No change": last.reindex(fc.shares.index),
            "Linear trend": (last + ahead * (last - before)).clip(lower=0).reindex(fc.shares.index)}


def backtest(published: Published, origins: tuple[int, ...] = (2022, 2023), years: int = 2, runs: int = 1000,
             seed: int = 42, spread: Spread | None = None) -> NationalBacktest:
    """Scores at each origin for each published target year up to ``years`` ahead (spread fitted on the
    years before 2022 only, unless given)."""
    spread = spread or fit_spread(published)
    rows = []
    last_year = max(published.years)
    for origin in origins:
        own = [c for c in published.totals.index if _own_from(published, c) <= origin]
        for target in range(origin + 1, min(origin + years, last_year) + 1):
            actual = published.groups.xs(target, level="year").reindex(own)
            totals = published.totals[target].reindex(own)
            fc = forecast(published, origin, target - origin, spread)
            preds = _predictions(published, fc, target)
            codes = [c for c in own if c in fc.expected.index and pd.notna(totals.get(c))]
            sims = council_runs(fc, codes, runs, seed)[:, :, target - origin - 1].sum(axis=-1)
            low, high = np.quantile(sims, [0.1, 0.9], axis=0)
            inside = float(np.mean((totals[codes].to_numpy() >= low) & (totals[codes].to_numpy() <= high)))
            for method, pred in preds.items():
                pred = pred.reindex(codes)
                tot = pred.sum(axis=1)
                rows.append({"origin": origin, "target": target, "method": method, "councils": len(codes),
                             "group_wape": float(_wape(pred, actual.reindex(codes)).mean()),
                             "group_wape_merged": float(_wape(_merged(pred), _merged(actual.reindex(codes))).mean()),
                             "total_mape": float(((tot - totals[codes]).abs() / totals[codes]).mean()),
                             "coverage_80": inside if method == "Placecast" else None})
    return NationalBacktest(pd.DataFrame(rows))


def _own_from(published: Published, code: str) -> int:
    """The first year of a council's own published figures (back-cast years before it are not its own)."""
    return published.own_from.get(code, min(published.years))


__all__ = ["GROUPS", "METHODS", "NationalBacktest", "backtest"]

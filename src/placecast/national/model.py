"""A forecast of children looked after at 31 March for every council, its region and England, by the
DfE's placement groups, one to three years ahead, from the published tables alone.

The model, chosen on the published years before 2022 only (origins 2018-2021 for totals, 2021 for
placement groups; the 2022 and 2023 origins are kept for the backtest):

- Total: "no change" moved by a damped, shrunk growth. Next year's log growth is ``DAMPING`` times a mix
  of the council's own last growth (weight ``OWN``) and its region's median growth; each later year
  grows by ``DAMPING`` times the year before. Councils' year-on-year growth is mostly noise, so the move
  is small: on the tuning origins a full trend did worse than no change.
- Placement groups: the council's latest shares shrunk toward its region's mean shares (``SHRINK``), the
  published suppressed cells filled from what the total leaves over.
- Intervals: each council's total varies as a lognormal whose variance is ``a + b / size`` (fitted to the
  tuning origins' log errors by maximum likelihood: small councils vary more) plus a shock common to every
  council (the national year), growing with the square root of the years ahead; groups vary about their shares as a
  Dirichlet whose concentration is fitted the same way. Regions and England are sums of the councils'
  runs, never sums of quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placecast.national.published import GROUPS, Published, filled_groups

DAMPING = 0.5  # chosen on origins 2018-2021 (council total MAPE): 0.25-0.5 beat 1.0 and no change
OWN = 0.25  # weight of the council's own last growth against its region's
SHRINK = 0.15  # weight of the region's shares (0.1-0.2 best on the 2021 origin)
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Spread:
    """How far forecasts are out: lognormal variance ``a + b / size`` per council, a national shock's
    variance, and the Dirichlet concentration of the placement shares."""

    a: float = 0.0015
    b: float = 0.6
    national: float = 0.0004
    concentration: float = 400.0

    def sd(self, size: np.ndarray, years: int) -> np.ndarray:
        """The council-specific log sd ``years`` ahead."""
        return np.sqrt((self.a + self.b / np.maximum(size, 1.0)) * years)


@dataclass(frozen=True)
class NationalForecast:
    """The expected total and shares per council and year ahead, with the spread of the runs."""

    origin: int
    expected: pd.DataFrame  # index code, columns years: the expected total
    shares: pd.DataFrame  # index code, columns GROUPS
    councils: pd.DataFrame
    spread: Spread = field(default_factory=Spread)


def growth(published: Published, origin: int) -> pd.Series:
    """Next year's expected log growth of each council: damped and shrunk toward its region."""
    totals = published.totals
    last = np.log(totals[origin] / totals[origin - 1])
    region = published.councils["region"].reindex(last.index)
    regional = last.groupby(region).transform("median")
    mixed = (OWN * last + (1 - OWN) * regional).fillna(regional).fillna(0.0)
    return DAMPING * mixed


def expected_totals(published: Published, origin: int, years: int = 3) -> pd.DataFrame:
    """Each council's expected total for the ``years`` after ``origin``, from what was published by then."""
    known = published.known_at(origin)
    g = growth(known, origin)
    steps = np.cumsum([DAMPING ** k for k in range(years)])  # each year grows by DAMPING times the one before
    return pd.DataFrame({origin + h + 1: known.totals[origin] * np.exp(g * steps[h]) for h in range(years)})


def fit_spread(published: Published, origins: tuple[int, ...] = (2018, 2019, 2020, 2021),
               share_origin: int = 2021) -> Spread:
    """The spread of one-year-ahead errors on the tuning origins: council variance ``a + b / size`` and
    the national shock from the totals' log errors, the shares' concentration from the groups'."""
    errors, national = [], []
    for origin in origins:
        expected = expected_totals(published, origin, 1)[origin + 1]
        e = np.log(published.totals[origin + 1] / expected).replace([np.inf, -np.inf], np.nan).dropna()
        national.append(float(e.mean()))
        errors.append(pd.DataFrame({"r2": (e - e.mean()) ** 2, "inv": 1 / expected.reindex(e.index)}))
    frame = pd.concat(errors)
    a, b = variance_by_likelihood(frame["r2"].to_numpy(), frame["inv"].to_numpy())
    shares = forecast(published, share_origin, 1, Spread()).shares
    actual = filled_groups(published, share_origin + 1).reindex(shares.index)
    p, obs = shares.to_numpy(), actual.to_numpy()
    ok = ~np.isnan(obs).any(axis=1)
    ratio = float((p[ok] * (1 - p[ok])).sum() / max(((obs[ok] - p[ok]) ** 2).sum(), 1e-9))
    return Spread(a, b, float(np.mean(np.square(national))), max(ratio - 1, 10.0))


def variance_by_likelihood(r2: np.ndarray, inv_size: np.ndarray, rounds: int = 200) -> tuple[float, float]:
    """The variance ``a + b / size`` of normal errors by maximum likelihood (Fisher scoring: least squares
    of the squared errors weighted by the inverse of the variance squared), with ``a`` and ``b`` kept
    positive. Plain least squares of squared errors is pulled by the largest errors; on the tuning origins
    its intercept came out negative, and cut to a floor it left every council's variance too large (its
    80% intervals held 89.5% of the one-year errors; this fit's hold 82%, evenly across council sizes)."""
    x = np.c_[np.ones(len(r2)), inv_size]
    coef = np.array([max(float(np.mean(r2)), 1e-5), 0.0])
    for _ in range(rounds):
        w = 1.0 / np.square(x @ coef)
        new = np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * r2))
        new = np.maximum(new, [1e-5, 0.0])
        if np.allclose(new, coef, rtol=1e-10, atol=0.0):
            break
        coef = new
    return float(coef[0]), float(coef[1])


def forecast(published: Published, origin: int, years: int = 3, spread: Spread | None = None) -> NationalForecast:
    """The expected totals and shares from the tables as published up to ``origin``."""
    known = published.known_at(origin)
    expected = expected_totals(published, origin, years)
    shares = filled_groups(known, origin)
    region = known.councils["region"].reindex(shares.index)
    regional = shares.groupby(region).transform("mean")
    shares = ((1 - SHRINK) * shares + SHRINK * regional).fillna(regional)
    shares = shares.div(shares.sum(axis=1), axis=0)
    keep = expected.index[expected[origin + 1].notna() & shares.notna().all(axis=1).reindex(expected.index,
                                                                                             fill_value=False)]
    return NationalForecast(origin, expected.loc[keep], shares.loc[keep, list(GROUPS)], known.councils.loc[keep],
                            spread or Spread())


def council_runs(fc: NationalForecast, codes: list[str], runs: int, seed: int) -> np.ndarray:
    """Runs of ``codes`` (runs x councils x years x groups). Each council draws from its own stream and
    the national shock from a stream every task shares, so any split of councils into tasks, on any
    number of workers, gives the same runs."""
    years = list(fc.expected.columns)
    shock = np.random.default_rng([seed, 0]).standard_normal((runs, len(years)))
    shock = np.cumsum(shock, axis=1) * np.sqrt(fc.spread.national)
    out = np.empty((runs, len(codes), len(years), len(GROUPS)))
    for j, code in enumerate(codes):
        rng = np.random.default_rng([seed, 1, _code_number(code)])
        mean = fc.expected.loc[code].to_numpy(float)
        sd = fc.spread.sd(mean, 1)
        own = np.cumsum(rng.standard_normal((runs, len(years))), axis=1) * sd
        total = mean * np.exp(own + shock - 0.5 * (sd ** 2 + fc.spread.national) * np.arange(1, len(years) + 1))
        alpha = np.maximum(fc.shares.loc[code].to_numpy(float) * fc.spread.concentration, 1e-3)
        shares = rng.dirichlet(alpha, size=(runs, len(years)))
        out[:, j] = total[..., None] * shares
    return out


def _code_number(code: str) -> int:
    """A council code as a number, for its own random stream (E06000001 -> 6000001)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits) if digits else 0


def summarise(runs: np.ndarray, labels: list[str], years: list[int]) -> pd.DataFrame:
    """Mean and quantiles per label, year and placement group (and the total) from runs."""
    rows = []
    totals = runs.sum(axis=-1)
    for i, label in enumerate(labels):
        for h, year in enumerate(years):
            for group, values in [*((g, runs[:, i, h, k]) for k, g in enumerate(GROUPS)), ("Total", totals[:, i, h])]:
                q = np.quantile(values, QUANTILES)
                rows.append({"label": label, "year": year, "placement": group, "mean": round(float(values.mean()), 1),
                             "p10": round(float(q[0]), 1), "p50": round(float(q[1]), 1),
                             "p90": round(float(q[2]), 1)})
    return pd.DataFrame(rows)

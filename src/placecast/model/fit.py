"""Fitting the demand model: monthly hazards with shrinkage, entry streams with a trend.

Every estimate is a posterior distribution, not just a number, so the Monte Carlo projection can
carry parameter uncertainty: exit and move probabilities are Beta, destinations and the make-up of
entrants are Dirichlet, and the entry rate and its trend are a bivariate normal on the log scale.
Sparse cells borrow strength from their margins (category by age, category, all) times one
time-in-care profile shared by every cell, and destinations from where children of the same age
move to, so a small council's forecast is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placecast.model.panel import AGE_EDGES_M, TIC_EDGES_M, age_band, tic_band

N_AGE = len(AGE_EDGES_M)
N_TIC = len(TIC_EDGES_M)


@dataclass
class EntryStream:
    """Entrants of one stream (0: other children, 1: UASC)."""

    coef: np.ndarray  # log monthly rate at the origin, yearly growth (log scale)
    cov: np.ndarray
    age_alpha: np.ndarray  # Dirichlet over single years of age 0..17
    cat_alpha: np.ndarray  # Dirichlet over categories, per age band: (N_AGE, C)
    observed_per_month: float
    trend_per_year: float
    last_year_per_month: float = 0.0  # entrants a month over the last 12 months of the window


@dataclass
class FittedParameters:
    """Posterior parameters of the hazards, destinations and entry streams, as fitted."""

    exit_a: np.ndarray
    exit_b: np.ndarray
    move_a: np.ndarray
    move_b: np.ndarray
    dest_alpha: np.ndarray  # (C, N_AGE, C)
    streams: list[EntryStream]
    transitions_used: int
    months_used: int
    trend_carry: float = 0.0  # not fitted: the share of each stream's trend the projection carries on
    # the chance that an entrant under one is in each month of age (0-11) on entering: most come into care in
    # their first weeks, so spreading them over the year (as for other ages) forecast too few children under
    # one (about half as many a year on)
    infant_months: np.ndarray = field(default_factory=lambda: np.full(12, 1 / 12))


def _duration_profile(events: np.ndarray, n: np.ndarray, rounds: int = 5) -> np.ndarray:
    """Relative hazard by time-in-care band, pooled over every stream, category and age band.

    A multiplicative (proportional-hazards) fit: each (stream, category) has its own level and the bands
    share one profile, so a sparse cell borrows the shape of the duration effect, not just its level.
    """
    r_t = np.ones(n.shape[3])
    e_t = events.sum(axis=(0, 1, 2))
    for _ in range(rounds):
        level = (events.sum(axis=(2, 3)) + 0.5) / ((n * r_t).sum(axis=(2, 3)) + 1.0)  # (u, c)
        expected = (n * level[:, :, None, None]).sum(axis=(0, 1, 2))
        r_t = (e_t + 1.0) / (expected + 1.0 / r_t.mean())
    return r_t


def _shrunk_beta(events: np.ndarray, n: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters for every (u, c, age band, tic band) cell, shrunk through its margins.

    Levels are estimated on exposure weighted by the pooled duration profile, and each cell's prior is
    its (u, c, age band) level times that profile.
    """
    r_t = _duration_profile(events, n)
    n_adj = n * r_t
    e_all, n_all = events.sum(), n_adj.sum()
    overall = (e_all + 0.5) / (n_all + 1.0)
    e_u, n_u = events.sum(axis=(1, 2, 3)), n_adj.sum(axis=(1, 2, 3))
    p_u = (e_u + strength * overall) / (n_u + strength)
    e_uc, n_uc = events.sum(axis=(2, 3)), n_adj.sum(axis=(2, 3))
    p_uc = (e_uc + strength * p_u[:, None]) / (n_uc + strength)
    e_uca, n_uca = events.sum(axis=3), n_adj.sum(axis=3)
    p_uca = (e_uca + strength * p_uc[:, :, None]) / (n_uca + strength)
    prior = np.clip(p_uca[..., None] * r_t, 1e-6, 1 - 1e-6)
    a = events + strength * prior
    b = np.maximum(n - events, 0) + strength * (1 - prior)
    return a, b


def _fit_trend(counts: np.ndarray, use_trend: bool, prior_sd: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Poisson log-linear fit of monthly counts; time in years, 0 at the last month."""
    k = len(counts)
    x = (np.arange(k) - (k - 1)) / 12.0
    total = counts.sum()
    alpha = np.log(max(counts.mean(), 0.05))
    if not use_trend or k < 12:
        return np.array([alpha, 0.0]), np.array([[1.0 / max(total, 0.5), 0.0], [0.0, 1e-12]])
    beta = 0.0
    for _ in range(25):
        mu = np.exp(alpha + beta * x)
        grad = np.array([np.sum(counts - mu), np.sum((counts - mu) * x) - beta / prior_sd**2])
        hess = np.array([[np.sum(mu), np.sum(mu * x)], [np.sum(mu * x), np.sum(mu * x * x) + 1 / prior_sd**2]])
        step = np.linalg.solve(hess, grad)
        alpha, beta = alpha + step[0], beta + step[1]
        if np.abs(step).max() < 1e-9:
            break
    mu = np.exp(alpha + beta * x)
    hess = np.array([[np.sum(mu), np.sum(mu * x)], [np.sum(mu * x), np.sum(mu * x * x) + 1 / prior_sd**2]])
    return np.array([alpha, beta]), np.linalg.inv(hess)


# The entry rate at the origin is the mean of two estimates of the level: the fitted line's end and the last
# 12 months' entrants (equal weights). On every council's DfE published starts (origins 2020-2023; see
# benchmarks/RESULTS.md, "Do councils' trends in entries persist?"), this forecast next year's starts better
# than either alone at every origin; two years ahead, better than the line's end and no worse than the last year.
LAST_YEAR_WEIGHT = 0.5
# The log monthly entry rate of a stream with no entrant in the window (a council with no UASC, or the stream
# --uasc leaves out): about 2e-22 a month, none. A Poisson fit of all-zero counts has no finite level: its
# variance ran to 1e10 and the runs drew rates too large to simulate (an internal error on --uasc exclude).
NO_ENTRIES = -50.0


def _level_at_origin(coef: np.ndarray, counts: np.ndarray, weight: float = LAST_YEAR_WEIGHT) -> np.ndarray:
    """``coef`` with its level (log monthly rate at the origin) moved to the mean, with ``weight`` on the last
    12 months of ``counts``, of the fitted line's end and those months' mean rate (unchanged when the window is
    shorter than a year).

    Examples
    --------
    >>> np.exp(_level_at_origin(np.array([np.log(10.0), 0.05]), np.full(24, 6.0))).round(3).tolist()
    [8.0, 1.051]
    """
    if len(counts) < 12 or weight == 0:
        return coef
    level = (1 - weight) * float(np.exp(coef[0])) + weight * float(counts[-12:].mean())
    return np.array([np.log(max(level, 0.05)), coef[1]])


def estimate(moves: pd.DataFrame, entrants: pd.DataFrame, n_steps: int, n_cat: int, half_life_months: float,
             strength: float, use_trend: bool) -> FittedParameters:
    """Estimate every parameter's posterior from the transitions and entrants of the window."""
    weight = 0.5 ** ((n_steps - 1 - moves["step"].to_numpy()) / half_life_months) if len(moves) else np.array([])
    usable = moves["outcome"].to_numpy() != -2 if len(moves) else np.array([], bool)
    u = moves["uasc"].to_numpy().astype(int)[usable]
    c = moves["cat"].to_numpy()[usable]
    a = age_band(moves["age_m"].to_numpy())[usable]
    t = tic_band(moves["tic_m"].to_numpy())[usable]
    out = moves["outcome"].to_numpy()[usable]
    w = weight[usable]
    shape = (2, n_cat, N_AGE, N_TIC)
    n = np.zeros(shape)
    ex = np.zeros(shape)
    mv = np.zeros(shape)
    np.add.at(n, (u, c, a, t), w)
    np.add.at(ex, (u, c, a, t), w * (out == -1))
    moved = (out >= 0) & (out != c)
    np.add.at(mv, (u, c, a, t), w * moved)
    exit_a, exit_b = _shrunk_beta(ex, n, strength)
    move_a, move_b = _shrunk_beta(mv, n, strength)
    dest = np.zeros((n_cat, N_AGE, n_cat))
    np.add.at(dest, (c[moved], a[moved], out[moved]), w[moved])
    idx = np.arange(n_cat)
    # Prior for each (from category, age band): where children of that age move to, pooled over the
    # categories they leave (each without its own category).
    by_age = dest.sum(axis=0) + 0.1  # (N_AGE, C)
    prior = np.broadcast_to(by_age[None, :, :], dest.shape).copy()
    prior[idx, :, idx] = 0.0
    prior = prior / prior.sum(axis=2, keepdims=True)
    dest_alpha = dest + strength * prior
    dest_alpha[idx, :, idx] = 0.0
    streams = []
    e_all = entrants
    age_years_all = np.clip(e_all["age_m"].to_numpy() // 12, 0, 17) if len(e_all) else np.array([], int)
    pooled_age = np.bincount(age_years_all, minlength=18) + 1.0
    pooled_cat = np.zeros((N_AGE, n_cat)) + 0.1
    if len(e_all):
        np.add.at(pooled_cat, (age_band(e_all["age_m"].to_numpy()), e_all["cat"].to_numpy()), 1.0)
    for stream in (0, 1):
        es = e_all[e_all["uasc"].astype(bool) == bool(stream)] if len(e_all) else e_all
        counts = np.bincount(es["step"].to_numpy().astype(int), minlength=n_steps)[:n_steps].astype(float) \
            if len(es) else np.zeros(n_steps)
        if counts.sum() == 0:  # no entrant of this stream in the window (or its children left out): none to come
            coef, cov = np.array([NO_ENTRIES, 0.0]), np.diag([1e-12, 1e-12])
        else:
            coef, cov = _fit_trend(counts, use_trend)
            if use_trend:
                coef = _level_at_origin(coef, counts)
        ages = np.clip(es["age_m"].to_numpy() // 12, 0, 17) if len(es) else np.array([], int)
        age_alpha = np.bincount(ages, minlength=18) + 2.0 * pooled_age / pooled_age.sum()
        if stream == 1:
            age_alpha[:12] = np.minimum(age_alpha[:12], np.bincount(ages, minlength=18)[:12] + 1e-3)
        cat_counts = np.zeros((N_AGE, n_cat))
        if len(es):
            np.add.at(cat_counts, (age_band(es["age_m"].to_numpy()), es["cat"].to_numpy()), 1.0)
        cat_prior = pooled_cat / pooled_cat.sum(axis=1, keepdims=True)
        cat_alpha = cat_counts + 3.0 * cat_prior
        streams.append(EntryStream(coef, cov, age_alpha, cat_alpha, float(counts.mean()), float(coef[1]),
                                   float(counts[-12:].mean()) if len(counts) else 0.0))
    return FittedParameters(exit_a, exit_b, move_a, move_b, dest_alpha, streams, int(usable.sum()), n_steps,
                            infant_months=infant_months(e_all["age_m"].to_numpy() if len(e_all) else np.array([])))


def infant_months(age_m: np.ndarray, prior: float = 12.0) -> np.ndarray:
    """The chance that an entrant under one enters in each month of age, from the entrants' ages in months
    (``age_m``), shrunk toward an even spread by ``prior`` entrants' worth.

    >>> infant_months(np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30])).round(3)[:3].tolist()
    [0.542, 0.042, 0.042]
    """
    under_one = age_m[(age_m >= 0) & (age_m < 12)].astype(int)
    counts = np.bincount(under_one, minlength=12)[:12] + prior / 12
    return counts / counts.sum()

"""Projection: a Monte Carlo microsimulation and a fast expected-value mode, same parameters.

The microsimulation follows every child in care at the start and every new entrant, one month at a
time, vectorised over children and runs (no per-child Python loop). Each run draws its own
parameters from the fitted posteriors, so its spread carries both the randomness of who enters,
moves and leaves and the uncertainty of the rates themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placecast.model.fit import N_AGE, N_TIC, FittedParameters
from placecast.model.panel import ADULT_M, age_band, tic_band

AB_LUT = age_band(np.arange(ADULT_M + 1)).astype(np.int64)
TIC_CAP = 60
TB_LUT = tic_band(np.arange(TIC_CAP + 1)).astype(np.int64)
MAX_SLOTS_PER_CHUNK = 6_000_000


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray, runs: int) -> np.ndarray:
    """Dirichlet draws along the last axis (zero alphas stay zero): shape (runs, *alpha.shape)."""
    g = rng.gamma(np.broadcast_to(alpha, (runs, *alpha.shape)))
    s = g.sum(axis=-1, keepdims=True)
    return np.where(s > 0, g / np.where(s > 0, s, 1), 0.0)


def _mean_dirichlet(alpha: np.ndarray) -> np.ndarray:
    s = alpha.sum(axis=-1, keepdims=True)
    return np.where(s > 0, alpha / np.where(s > 0, s, 1), 0.0)


class RunParameters:
    """Parameters for a block of runs: drawn from the posteriors, or their means (``draws=False``)."""

    def __init__(self, fit: FittedParameters, runs: int, rng: np.random.Generator, draws: bool = True) -> None:
        n_cat = fit.dest_alpha.shape[0]
        self.n_cat = n_cat
        if draws:
            pe = rng.beta(np.broadcast_to(fit.exit_a, (runs, *fit.exit_a.shape)),
                          np.broadcast_to(fit.exit_b, (runs, *fit.exit_b.shape)))
            pm = rng.beta(np.broadcast_to(fit.move_a, (runs, *fit.move_a.shape)),
                          np.broadcast_to(fit.move_b, (runs, *fit.move_b.shape)))
            dest = _dirichlet(rng, fit.dest_alpha, runs)
        else:
            pe = np.broadcast_to(fit.exit_a / (fit.exit_a + fit.exit_b), (runs, *fit.exit_a.shape))
            pm = np.broadcast_to(fit.move_a / (fit.move_a + fit.move_b), (runs, *fit.move_a.shape))
            dest = np.broadcast_to(_mean_dirichlet(fit.dest_alpha), (runs, *fit.dest_alpha.shape))
        pm = np.minimum(pm, 0.98 - pe)
        self.pe = np.ascontiguousarray(pe.reshape(runs, -1), dtype=np.float32)
        self.pm = np.ascontiguousarray(pm.reshape(runs, -1), dtype=np.float32)
        self.dest_cum = np.cumsum(dest, axis=-1).astype(np.float32)  # (runs, C, N_AGE, C)
        self.coef = np.zeros((runs, 2, 2))
        self.age_cum = np.zeros((runs, 2, 18))
        self.cat_cum = np.zeros((runs, 2, N_AGE, n_cat))
        self.entry_var = np.zeros((2, 2, 2))
        for s, st in enumerate(fit.streams):
            if draws:
                self.coef[:, s] = rng.multivariate_normal(st.coef, st.cov, size=runs, method="cholesky")
                age = _dirichlet(rng, st.age_alpha, runs)
                cat = _dirichlet(rng, st.cat_alpha, runs)
            else:
                self.coef[:, s] = st.coef
                age = np.broadcast_to(_mean_dirichlet(st.age_alpha), (runs, 18))
                cat = np.broadcast_to(_mean_dirichlet(st.cat_alpha), (runs, *st.cat_alpha.shape))
            self.entry_var[s] = st.cov
            self.age_cum[:, s] = np.cumsum(age, axis=-1)
            self.cat_cum[:, s] = np.cumsum(cat, axis=-1)

    def entry_rate(self, month: int) -> np.ndarray:
        """Expected entrants in month ``month`` (1 = the first month after the origin): (runs, 2)."""
        x = month / 12.0
        return np.exp(self.coef[:, :, 0] + self.coef[:, :, 1] * x)


def _cell(uasc: np.ndarray, cat: np.ndarray, age_m: np.ndarray, tic_m: np.ndarray, n_cat: int) -> np.ndarray:
    return ((uasc.astype(np.int64) * n_cat + cat) * N_AGE + AB_LUT[age_m]) * N_TIC + TB_LUT[np.minimum(tic_m, TIC_CAP)]


def simulate_runs(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int], runs: int,
                  rng: np.random.Generator, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo: counts (runs, H+1, C) at each month end and placement-days (runs, H, C)."""
    n_cat = fit.dest_alpha.shape[0]
    horizon = len(days_in_month)
    n0 = len(stock)
    mean_entries = sum(float(np.exp(st.coef[0] + max(st.coef[1], 0) * horizon / 12)) for st in fit.streams)
    cap = int(mean_entries * horizon * 1.6 + 8 * np.sqrt(mean_entries * horizon + 1) + 20)
    slots = n0 + cap
    chunk = max(1, min(runs, MAX_SLOTS_PER_CHUNK // max(slots, 1)))
    counts = np.zeros((runs, horizon + 1, n_cat), dtype=np.int32)
    days = np.zeros((runs, horizon, n_cat), dtype=np.float64)
    s_cat = stock["cat"].to_numpy().astype(np.int16)
    s_age = stock["age_m"].to_numpy().astype(np.int16)
    s_tic = np.minimum(stock["tic_m"].to_numpy(), TIC_CAP).astype(np.int16)
    s_uasc = stock["uasc"].to_numpy().astype(bool)
    for r0 in range(0, runs, chunk):
        rc = min(chunk, runs - r0)
        params = RunParameters(fit, rc, rng)
        grid = {name: np.zeros((rc, slots), dtype) for name, dtype in
                (("cat", np.int16), ("age", np.int16), ("tic", np.int16), ("uasc", bool), ("alive", bool))}
        for name, values in (("cat", s_cat), ("age", s_age), ("tic", s_tic), ("uasc", s_uasc), ("alive", True)):
            grid[name][:, :n0] = values
        cat, age, tic = grid["cat"].reshape(-1), grid["age"].reshape(-1), grid["tic"].reshape(-1)
        uasc, alive = grid["uasc"].reshape(-1), grid["alive"].reshape(-1)
        runix = np.repeat(np.arange(rc, dtype=np.int64), slots)
        used = np.zeros(rc, np.int64)
        counts[r0:r0 + rc, 0] = np.bincount(runix[alive] * n_cat + cat[alive], minlength=rc * n_cat).reshape(rc, n_cat)
        n_cells = params.pe.shape[1]
        pe_flat, pm_flat = params.pe.reshape(-1), params.pm.reshape(-1)
        for j in range(horizon):
            dm = float(days_in_month[j])
            idx = np.flatnonzero(alive)
            rr = runix[idx]
            cc = cat[idx].astype(np.int64)
            ag = age[idx].astype(np.int64)
            cell = rr * n_cells + _cell(uasc[idx], cc, ag, tic[idx].astype(np.int64), n_cat)
            pe = pe_flat[cell]
            pm = pm_flat[cell]
            u = rng.random(len(idx), dtype=np.float32)
            total = pe + pm
            event = u < total
            ex = u < pe
            mv = event & ~ex
            frac = np.ones(len(idx), dtype=np.float32)
            np.divide(u, total, out=frac, where=event)
            day_w = frac * dm
            days[r0:r0 + rc, j] += np.bincount(rr * n_cat + cc, weights=day_w,
                                               minlength=rc * n_cat).reshape(rc, n_cat)
            if mv.any():
                mi = idx[mv]
                cum = params.dest_cum[rr[mv], cc[mv], AB_LUT[ag[mv]]]
                v = rng.random(len(mi), dtype=np.float32) * cum[:, -1]
                newc = np.minimum((v[:, None] >= cum).sum(axis=1), n_cat - 1)
                days[r0:r0 + rc, j] += np.bincount(rr[mv] * n_cat + newc, weights=(1 - frac[mv]) * dm,
                                                   minlength=rc * n_cat).reshape(rc, n_cat)
                cat[mi] = newc
            alive[idx[ex]] = False
            stay = idx[~ex]
            age[stay] += 1
            tic[stay] = np.minimum(tic[stay] + 1, TIC_CAP)
            adult = stay[age[stay] >= ADULT_M]
            if len(adult):
                alive[adult] = False
                half_month = np.full(len(adult), dm / 2)
                days[r0:r0 + rc, j] -= np.bincount(runix[adult] * n_cat + cat[adult], weights=half_month,
                                                   minlength=rc * n_cat).reshape(rc, n_cat)
            rates = params.entry_rate(j + 1)
            for s in (0, 1):
                n_new = rng.poisson(rates[:, s])
                n_new = np.minimum(n_new, cap - used)
                tot = int(n_new.sum())
                if tot == 0:
                    continue
                rows = np.repeat(np.arange(rc), n_new)
                offs = np.arange(tot) - np.repeat(np.cumsum(n_new) - n_new, n_new)
                pos = rows * slots + n0 + used[rows] + offs
                used += n_new
                w = rng.random(tot)
                years = np.minimum((w[:, None] >= params.age_cum[rows, s]).sum(axis=1), 17)
                age_m = years * 12 + rng.integers(0, 12, tot)
                ab = AB_LUT[age_m]
                w2 = rng.random(tot)
                ccum = params.cat_cum[rows, s, ab]
                newc = np.minimum((w2[:, None] * ccum[:, -1:] >= ccum).sum(axis=1), n_cat - 1)
                cat[pos], age[pos], tic[pos], uasc[pos], alive[pos] = newc, age_m, 0, bool(s), True
                days[r0:r0 + rc, j] += np.bincount(rows * n_cat + newc, weights=rng.random(tot) * dm,
                                                   minlength=rc * n_cat).reshape(rc, n_cat)
            counts[r0:r0 + rc, j + 1] = np.bincount(runix[alive] * n_cat + cat[alive],
                                                    minlength=rc * n_cat).reshape(rc, n_cat)
        if progress is not None:
            progress(rc)
    return counts, np.maximum(days, 0.0)


def expected_path(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts (1, H+1, C) and placement-days (1, H, C) by a deterministic cohort projection."""
    n_cat = fit.dest_alpha.shape[0]
    p = RunParameters(fit, 1, np.random.default_rng(0), draws=False)
    pe = p.pe.reshape(2, n_cat, N_AGE, N_TIC)
    pm = p.pm.reshape(2, n_cat, N_AGE, N_TIC)
    ages = np.arange(ADULT_M)
    tics = np.arange(TIC_CAP + 1)
    pe_full = pe[:, :, AB_LUT[ages]][:, :, :, TB_LUT[tics]]
    pm_full = pm[:, :, AB_LUT[ages]][:, :, :, TB_LUT[tics]]
    dest = np.diff(np.concatenate([np.zeros((*p.dest_cum.shape[1:-1], 1)), p.dest_cum[0]], axis=-1), axis=-1)
    dest_full = dest[:, AB_LUT[ages], :]  # (C, A, C)
    x = np.zeros((2, n_cat, ADULT_M, TIC_CAP + 1))
    np.add.at(x, (stock["uasc"].to_numpy().astype(int), stock["cat"].to_numpy(), stock["age_m"].to_numpy(),
                  np.minimum(stock["tic_m"].to_numpy(), TIC_CAP)), 1.0)
    horizon = len(days_in_month)
    counts = np.zeros((1, horizon + 1, n_cat))
    days = np.zeros((1, horizon, n_cat))
    counts[0, 0] = x.sum(axis=(0, 2, 3))
    for j in range(horizon):
        dm = days_in_month[j]
        exits = x * pe_full
        moves = x * pm_full
        stay = x - exits - moves
        moved_in = np.einsum("ucat,cak->ukat", moves, dest_full)
        days[0, j] = dm * (stay + 0.5 * (exits + moves) + 0.5 * moved_in).sum(axis=(0, 2, 3))
        nxt = stay + moved_in
        days[0, j] -= 0.5 * dm * nxt[:, :, ADULT_M - 1, :].sum(axis=(0, 2))
        shifted = np.zeros_like(nxt)
        shifted[:, :, 1:, 1:] = nxt[:, :, :-1, :-1]
        shifted[:, :, 1:, TIC_CAP] += nxt[:, :, :-1, TIC_CAP]
        x = shifted
        for s, st in enumerate(fit.streams):
            xv = np.array([1.0, (j + 1) / 12.0])
            lam = float(np.exp(st.coef @ xv + 0.5 * xv @ st.cov @ xv))
            age_p = _mean_dirichlet(st.age_alpha)
            cat_p = _mean_dirichlet(st.cat_alpha)  # (N_AGE, C)
            age_m_p = np.repeat(age_p / 12.0, 12)  # months 0..215
            add = lam * age_m_p[:, None] * cat_p[AB_LUT[ages]]  # (A, C)
            x[s, :, :, 0] += add.T
            days[0, j] += 0.5 * dm * add.sum(axis=0)
        counts[0, j + 1] = x.sum(axis=(0, 2, 3))
    return counts, days

"""Projection: a Monte Carlo microsimulation and a fast expected-value mode, same parameters.

The microsimulation follows every child in care at the start and every new entrant, one month at a
time, vectorised over children and runs (no per-child Python loop). Each run draws its own
parameters from the fitted posteriors, so its spread carries both the randomness of who enters,
moves and leaves and the uncertainty of the rates themselves.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.model.fit import N_AGE, N_TIC, FittedParameters
from placecast.model.panel import ADULT_M, age_band, tic_band

AB_LUT = age_band(np.arange(ADULT_M + 1)).astype(np.int64)
TIC_CAP = 60
TB_LUT = tic_band(np.arange(TIC_CAP + 1)).astype(np.int64)
MAX_SLOTS_PER_CHUNK = 3_000_000  # per block of runs; blocks run side by side on the cores
COMPACT_MIN_SLOTS = 200_000  # below this, slots of children who have left are not worth compacting away


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray, runs: int) -> np.ndarray:
    """Dirichlet draws along the last axis (zero alphas stay zero): shape (runs, *alpha.shape)."""
    g = rng.gamma(np.broadcast_to(alpha, (runs, *alpha.shape)))
    s = g.sum(axis=-1, keepdims=True)
    return np.where(s > 0, g / np.where(s > 0, s, 1), 0.0)


def _mean_dirichlet(alpha: np.ndarray) -> np.ndarray:
    s = alpha.sum(axis=-1, keepdims=True)
    return np.where(s > 0, alpha / np.where(s > 0, s, 1), 0.0)


PARAMETER_SETS = 250  # posterior draws per 1,000 runs; each is shared by several runs


class RunParameters:
    """Parameters for a block of runs: drawn from the posteriors, or their means (``draws=False``).

    With draws, ``min(runs, sets)`` parameter sets are drawn and run ``r`` uses set ``r % sets``: the
    spread of the runs is then a mixture over parameter uncertainty and the randomness of events.
    """

    def __init__(self, fit: FittedParameters, runs: int, rng: np.random.Generator, draws: bool = True,
                 sets: int | None = None) -> None:
        n_sets = runs if sets is None else max(1, min(runs, sets))
        self._expand(fit, n_sets, rng, draws)
        if n_sets != runs:
            pick = np.arange(runs) % n_sets
            for name in ("pe", "pm", "dest_cum", "coef", "age_cum", "cat_cum"):
                setattr(self, name, np.ascontiguousarray(getattr(self, name)[pick]))

    def _expand(self, fit: FittedParameters, runs: int, rng: np.random.Generator, draws: bool) -> None:
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


AGE_LIMIT = ADULT_M + 130  # slots keep ageing after they leave; the lookup covers long horizons
AT_LUT = (AB_LUT[np.minimum(np.arange(AGE_LIMIT), ADULT_M), None] * N_TIC
          + TB_LUT[None, :]).astype(np.int32).reshape(-1)  # age * (TIC_CAP + 1) + tic -> cell part


def _bincount(index: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    return np.bincount(index, weights=weights, minlength=size)


@dataclass
class Adjustments:
    """Changes applied inside the simulation, month by month (index 0 = the first month).

    ``entry_factor[j, age_band]`` scales entries; ``exit_factor[j]`` scales the chance of leaving care;
    ``moves`` are (first month, from category, to category, children a month per run, chance it holds);
    a destination of -1 means the child leaves care.
    Factors of 1 and moves of 0 children draw no random numbers, so they reproduce the baseline exactly.
    """

    entry_factor: np.ndarray
    exit_factor: np.ndarray
    moves: list[tuple[int, int, int, np.ndarray, float]]

    @classmethod
    def none(cls, horizon: int) -> Adjustments:
        """No changes: the baseline for ``horizon`` months."""
        return cls(np.ones((horizon, N_AGE)), np.ones(horizon), [])


def simulate_runs(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int], runs: int,
                  rng: np.random.Generator, progress=None, adjust: Adjustments | None = None,
                  age_counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo: counts (runs, H+1, C) at each month end and placement-days (runs, H, C).

    If ``age_counts`` (an int array of shape (runs, H+1, N_AGE)) is given, it is filled with the
    children in care at each month end by age band (one more pass over the children a month).

    Children are slots in flat arrays: first every run's copy of the children in care at the start,
    then new entrants appended as they arrive (each slot knows its run). Each month every slot in use
    is updated with whole-array operations; events are rare, so counts and placement-days are kept
    up to date from the few children each event touches. Placement-days are the month-start count
    times the days in the month, corrected for the part of the month after each move, exit, 18th
    birthday or entry.
    """
    n_cat = fit.dest_alpha.shape[0]
    horizon = len(days_in_month)
    adjust = adjust or Adjustments.none(horizon)
    if horizon > AGE_LIMIT - ADULT_M - 1:
        raise ValueError(f"horizon of {horizon} months is longer than the model supports")
    n0 = len(stock)
    mean_entries = sum(float(np.exp(st.coef[0] + max(st.coef[1], 0) * horizon / 12)) for st in fit.streams)
    per_run = n0 + int(mean_entries * horizon * 1.2 + 20)
    # blocks of runs small enough to bound memory, and at least two so that two cores can share them
    chunk = max(1, min(-(-runs // 2), MAX_SLOTS_PER_CHUNK // max(per_run, 1)))
    counts = np.zeros((runs, horizon + 1, n_cat), dtype=np.int32)
    days = np.zeros((runs, horizon, n_cat), dtype=np.float64)
    n_at = N_AGE * N_TIC
    stride = TIC_CAP + horizon + 2  # ati = age * stride + months in care; tic never reaches the stride
    tic_clip = np.minimum(np.arange(stride), TIC_CAP)
    at_lut = (AB_LUT[np.minimum(np.arange(AGE_LIMIT), ADULT_M), None] * N_TIC
              + TB_LUT[tic_clip][None, :]).astype(np.int32).reshape(-1)
    s_cat = stock["cat"].to_numpy().astype(np.int32)
    s_age = stock["age_m"].to_numpy().astype(np.int32)
    s_tic = np.minimum(stock["tic_m"].to_numpy(), TIC_CAP).astype(np.int32)
    s_uasc = stock["uasc"].to_numpy().astype(np.int32)
    n_chunks = -(-runs // chunk)
    chunk_rngs = rng.spawn(n_chunks)  # one stream per block of runs: the same forecast whatever the threads

    def run_chunk(k: int) -> None:
        r0 = k * chunk
        rng = chunk_rngs[k]
        rc = min(chunk, runs - r0)
        params = RunParameters(fit, rc, rng, sets=max(1, rc * PARAMETER_SETS // 1000))
        n_cells = params.pe.shape[1]
        # one gather per child per month: (chance of leaving, chance of leaving or moving); children who
        # have left point at a block of zero chances past the runs' cells, so they need no mask
        tables: dict[float, np.ndarray] = {}
        dead = rc * n_cells

        capacity = rc * per_run
        arr = {name: np.zeros(capacity, np.int32) for name in ("cat", "uflag", "runix", "base", "ati", "adult_j")}
        alive_all = np.zeros(capacity, bool)
        n_used = rc * n0
        arr["cat"][:n_used] = np.tile(s_cat, rc)
        arr["uflag"][:n_used] = np.tile(s_uasc, rc)
        arr["runix"][:n_used] = np.repeat(np.arange(rc, dtype=np.int32), n0)
        alive_all[:n_used] = True
        arr["base"][:n_used] = arr["runix"][:n_used] * n_cells + (arr["uflag"][:n_used] * n_cat
                                                                  + arr["cat"][:n_used]) * n_at
        arr["ati"][:n_used] = np.tile(s_age * stride + s_tic, rc)
        arr["adult_j"][:n_used] = np.tile(ADULT_M - 1 - s_age, rc)  # the month in which each child turns 18
        current = np.tile(np.bincount(s_cat, minlength=n_cat).astype(np.int64), (rc, 1))
        counts[r0:r0 + rc, 0] = current
        if age_counts is not None:
            age_counts[r0:r0 + rc, 0] = np.bincount(AB_LUT[s_age], minlength=N_AGE)
        rc_cat = rc * n_cat
        for j in range(horizon):
            dm = float(days_in_month[j])
            if j % 3 == 0 and j and n_used > COMPACT_MIN_SLOTS:
                live = alive_all[:n_used]
                dead_share = 1 - live.mean()
                if dead_share > 0.25:  # compact: children who have left need no more work
                    keep = np.flatnonzero(live)
                    for name in arr:
                        arr[name][: len(keep)] = arr[name][keep]
                    alive_all[: len(keep)] = True
                    alive_all[len(keep):] = False
                    n_used = len(keep)
            n = n_used
            cat, uflag = arr["cat"][:n], arr["uflag"][:n]
            runix, base, ati, alive = arr["runix"][:n], arr["base"][:n], arr["ati"][:n], alive_all[:n]
            month_days = current * dm
            cell = base + at_lut[ati]
            probs = _table(params, float(adjust.exit_factor[j]), tables)[cell]
            pe, pt = probs.real, probs.imag
            u = rng.random(n, dtype=np.float32)
            event = np.flatnonzero(u < pt)
            leaves = u[event] < pe[event]
            ei, mi = event[leaves], event[~leaves]
            if len(ei):  # the part of the month after leaving is not in care
                key = runix[ei] * n_cat + cat[ei]
                month_days -= _bincount(key, (1 - u[ei] / pe[ei]) * dm, rc_cat).reshape(rc, n_cat)
                current -= _bincount(key, None, rc_cat).reshape(rc, n_cat)
                alive[ei] = False
                base[ei] = dead
            if len(mi):
                frac = u[mi] / pt[mi]
                rr, cc = runix[mi], cat[mi]
                cum = params.dest_cum[rr, cc, AB_LUT[np.minimum(ati[mi] // stride, ADULT_M)]]
                v = rng.random(len(mi), dtype=np.float32) * cum[:, -1]
                newc = np.minimum((v[:, None] >= cum).sum(axis=1), n_cat - 1).astype(np.int32)
                after = (1 - frac) * dm
                old_key, new_key = rr * n_cat + cc, rr * n_cat + newc
                month_days -= _bincount(old_key, after, rc_cat).reshape(rc, n_cat)
                month_days += _bincount(new_key, after, rc_cat).reshape(rc, n_cat)
                current += (_bincount(new_key, None, rc_cat) - _bincount(old_key, None, rc_cat)).reshape(rc, n_cat)
                cat[mi] = newc
                base[mi] = rr * n_cells + (uflag[mi] * n_cat + newc) * n_at
            ati += stride + 1
            adult = np.flatnonzero(arr["adult_j"][:n] == j)
            adult = adult[alive[adult]]
            if len(adult):
                key = runix[adult] * n_cat + cat[adult]
                alive[adult] = False
                base[adult] = dead
                month_days -= _bincount(key, np.full(len(adult), dm / 2), rc_cat).reshape(rc, n_cat)
                current -= _bincount(key, None, rc_cat).reshape(rc, n_cat)
            for start_step, from_c, to_c, per_month, hold in adjust.moves:
                if j >= start_step and per_month[j] > 0:
                    moved = _move_children(rng, arr, alive, runix, rc, from_c, to_c, float(per_month[j]), hold,
                                           n_cells, n_cat, n_at)
                    current += moved
            rates = params.entry_rate(j + 1)
            factors = adjust.entry_factor[j]
            uniform = bool(np.all(factors == factors[0]))
            if uniform and factors[0] != 1:
                rates = rates * factors[0]
            for s in (0, 1):
                n_new = rng.poisson(rates[:, s])
                tot_new = int(n_new.sum())
                if tot_new == 0:
                    continue
                if n_used + tot_new > capacity:  # rare: grow every array
                    grow = max(capacity // 2, tot_new)
                    arr = {k: np.concatenate([v, np.zeros(grow, np.int32)]) for k, v in arr.items()}
                    alive_all = np.concatenate([alive_all, np.zeros(grow, bool)])
                    capacity += grow
                rows = np.repeat(np.arange(rc, dtype=np.int32), n_new)
                pos = slice(n_used, n_used + tot_new)
                n_used += tot_new
                w = rng.random(tot_new)
                years = _pick(params.age_cum[:, s], rows, w)
                age_m = years * 12 + rng.integers(0, 12, tot_new)
                if not uniform:  # prevention aimed at some ages: thin those entrants
                    keep = rng.random(tot_new) < factors[AB_LUT[age_m]]
                    drop_rows = np.bincount(rows[~keep], minlength=rc)
                    rows, age_m, tot_new = rows[keep], age_m[keep], int(keep.sum())
                    n_used -= int(drop_rows.sum())
                    pos = slice(n_used - tot_new, n_used)
                    if tot_new == 0:
                        continue
                w2 = rng.random(tot_new)
                newc = _pick(params.cat_cum[:, s].reshape(rc * N_AGE, n_cat), rows * N_AGE + AB_LUT[age_m], w2)
                arr["cat"][pos], arr["uflag"][pos] = newc, s
                arr["runix"][pos] = rows
                arr["ati"][pos] = age_m * stride
                arr["adult_j"][pos] = j + ADULT_M - age_m
                arr["base"][pos] = rows * n_cells + (s * n_cat + newc) * n_at
                alive_all[pos] = True
                key = rows * n_cat + newc
                month_days += _bincount(key, rng.random(tot_new) * dm, rc_cat).reshape(rc, n_cat)
                current += _bincount(key, None, rc_cat).reshape(rc, n_cat)
            counts[r0:r0 + rc, j + 1] = current
            if age_counts is not None:
                live = np.flatnonzero(alive_all[:n_used])
                band = AB_LUT[np.minimum(arr["ati"][live] // stride, ADULT_M)]
                age_counts[r0:r0 + rc, j + 1] = _bincount(arr["runix"][live] * N_AGE + band, None,
                                                          rc * N_AGE).reshape(rc, N_AGE)
            days[r0:r0 + rc, j] = month_days
        if progress is not None:
            progress(rc)

    workers = min(n_chunks, _threads())
    if workers <= 1:
        for k in range(n_chunks):
            run_chunk(k)
    else:  # numpy releases the GIL in the whole-array work, so blocks of runs share the cores
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_chunk, range(n_chunks)))
    return counts, np.maximum(days, 0.0)


def _threads() -> int:
    """Threads for the Monte Carlo: the cores this process may use, or ``PLACECAST_THREADS``."""
    setting = os.environ.get("PLACECAST_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pick(cum: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each draw, the first index whose cumulative probability (row ``rows[i]`` of ``cum``) exceeds
    ``u[i]`` times the row total: one sorted search over all rows at once (each row shifted by its number)."""
    n_rows, width = cum.shape
    total = cum[:, -1:]
    scaled = np.where(total > 0, cum / np.where(total > 0, total, 1), 1.0)
    flat = (scaled + np.arange(n_rows)[:, None] * 2.0).reshape(-1)
    pos = np.searchsorted(flat, u + rows * 2.0, side="right")
    return np.minimum(pos - rows * width, width - 1)


def _table(params: RunParameters, factor: float, cache: dict[float, np.ndarray]) -> np.ndarray:
    """(chance of leaving, chance of leaving or moving) per cell as complex64, leaving scaled by ``factor``."""
    if factor not in cache:
        pe = np.minimum(params.pe * np.float32(factor), 0.98)
        pt = np.minimum(pe + params.pm, 0.99)
        pairs = np.stack([pe.reshape(-1), pt.reshape(-1)], axis=1)
        table = np.ascontiguousarray(pairs, dtype=np.float32).view(np.complex64).reshape(-1)
        cache[factor] = np.concatenate([table, np.zeros(N_AGE * N_TIC, np.complex64)])
    return cache[factor]


def _move_children(rng: np.random.Generator, arr: dict[str, np.ndarray], alive: np.ndarray, runix: np.ndarray,
                   rc: int, from_c: int, to_c: int, per_month: float, hold: float, n_cells: int, n_cat: int,
                   n_at: int) -> np.ndarray:
    """Move up to ``per_month`` children a run from one category to another at the month end; each
    move holds with chance ``hold``. Returns the change in counts (rc, C)."""
    cat = arr["cat"][: len(alive)]
    idx = np.flatnonzero(alive & (cat == from_c))
    change = np.zeros((rc, n_cat), np.int64)
    if not len(idx):
        return change
    whole = int(per_month)
    quota = np.full(rc, whole) + (rng.random(rc) < per_month - whole)
    order = np.lexsort((rng.random(len(idx)), runix[idx]))
    idx = idx[order]
    run_of = runix[idx]
    rank = np.arange(len(idx)) - np.searchsorted(run_of, run_of, side="left")
    chosen = idx[(rank < quota[run_of]) & (rng.random(len(idx)) < hold)]
    if len(chosen) and to_c < 0:  # leaving care (for example after intensive support)
        alive[chosen] = False
        arr["base"][chosen] = rc * n_cells  # the block of zero chances: no more events
        np.add.at(change, (runix[chosen], np.full(len(chosen), from_c)), -1)
        return change
    if len(chosen):
        rr = runix[chosen]
        arr["cat"][chosen] = to_c
        arr["base"][chosen] = rr * n_cells + (arr["uflag"][chosen] * n_cat + to_c) * n_at
        np.add.at(change, (rr, np.full(len(chosen), from_c)), -1)
        np.add.at(change, (rr, np.full(len(chosen), to_c)), 1)
    return change


def expected_path(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int],
                  age_counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts (1, H+1, C) and placement-days (1, H, C) by a deterministic cohort projection
    (and, if ``age_counts`` of shape (1, H+1, N_AGE) is given, the expected children by age band)."""
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

    def record(k: int) -> None:  # the month-end state x: children by category (and by age band)
        counts[0, k] = x.sum(axis=(0, 2, 3))
        if age_counts is not None:
            age_counts[0, k] = np.bincount(AB_LUT[ages], weights=x.sum(axis=(0, 1, 3)), minlength=N_AGE)

    record(0)
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
        record(j + 1)
    return counts, days

"""Projection: a Monte Carlo microsimulation and a fast expected-value mode, same parameters.

The microsimulation follows every child in care at the start and every new entrant, one month at a
time, vectorised over children and runs (no per-child Python loop). Each run draws its own
parameters from the fitted posteriors, so its spread carries both the randomness of who enters,
moves and leaves and the uncertainty of the rates themselves; its entry rate also wanders about the
fitted trend from year to year, as councils' published starts do (:func:`entry_shocks`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.model.fit import N_AGE, N_TIC, FittedParameters
from placecast.model.panel import ADULT_M, TIC_EDGES_M, age_band, tic_band

AB_LUT = age_band(np.arange(ADULT_M + 1)).astype(np.int64)
AGE_BAND_FIRST_MONTH = np.searchsorted(AB_LUT, np.arange(N_AGE))  # each age band's first month of age
TIC_CAP = 60
TB_LUT = tic_band(np.arange(TIC_CAP + 1)).astype(np.int64)
TIC_LAST = int(TIC_EDGES_M[-1])  # months in care from which a child's chances no longer change
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
# Councils' yearly starts vary more than a Poisson count with a trend. On the DfE's published starts of 144
# councils, 2016-2024 (benchmarks/bench_entry_trends_published.py), the change in log starts from one year
# to the next, less England's, has a variance beyond the Poisson part whose lag-one covariance splits it
# into a lasting part (a random walk, sd 0.12 a year) and a passing one (each year's own level, sd 0.08).
ENTRY_WALK_SD = 0.12
ENTRY_YEAR_SD = 0.08


class RunParameters:
    """Parameters for a block of runs: drawn from the posteriors, or their means (``draws=False``).

    With draws, ``min(runs, sets)`` parameter sets are drawn and run ``r`` uses set ``r % sets``: the
    spread of the runs is then a mixture over parameter uncertainty and the randomness of events.
    """

    def __init__(self, fit: FittedParameters, runs: int, rng: np.random.Generator, draws: bool = True,
                 sets: int | None = None, horizon: int = 0) -> None:
        n_sets = runs if sets is None else max(1, min(runs, sets))
        self.trend_carry = fit.trend_carry
        self.infant_month = infant_month_lookup(fit.infant_months)
        self._expand(fit, n_sets, rng, draws)
        if n_sets != runs:
            pick = np.arange(runs) % n_sets
            for name in ("pe", "pm", "dest_cum", "coef", "age_cum", "cat_cum"):
                setattr(self, name, np.ascontiguousarray(getattr(self, name)[pick]))
        self.entry_shock = entry_shocks(rng, runs, horizon) if draws and horizon else None

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
        x = self.trend_carry * month / 12.0  # the share of the fitted trend carried on
        log_rate = self.coef[:, :, 0] + self.coef[:, :, 1] * x
        if self.entry_shock is not None:
            log_rate = log_rate + self.entry_shock[:, month - 1]
        return np.exp(log_rate)


def infant_month_lookup(chances: np.ndarray) -> np.ndarray:
    """The month of age an entrant under one enters at, for each of twelve equally likely draws 0-11: the
    month at the middle of each twelfth of ``chances`` (an even spread gives the draw itself).

    >>> infant_month_lookup(np.full(12, 1 / 12)).tolist() == list(range(12))
    True
    >>> infant_month_lookup(np.array([0.5] + [0.5 / 11] * 11)).tolist()[:8]
    [0, 0, 0, 0, 0, 0, 1, 3]
    """
    middle = (np.arange(12) + 0.5) / 12
    return np.minimum(np.searchsorted(np.cumsum(chances), middle), 11).astype(np.int64)


def entry_shocks(rng: np.random.Generator, runs: int, horizon: int) -> np.ndarray:
    """Each run's departure of the log entry rate from its trend, month by month: (runs, horizon, 2 streams).

    A random walk (``ENTRY_WALK_SD`` a year, in monthly steps) plus a level of its own for each 12 months
    after the origin (``ENTRY_YEAR_SD``), each stream on its own; less half the variance, so that the expected
    rate is the trend's (the expected path and the runs' mean agree).
    """
    walk = np.cumsum(rng.normal(0.0, ENTRY_WALK_SD / np.sqrt(12.0), (runs, horizon, 2)), axis=1)
    years = -(-horizon // 12)
    year_level = np.repeat(rng.normal(0.0, ENTRY_YEAR_SD, (runs, years, 2)), 12, axis=1)[:, :horizon]
    variance = ENTRY_WALK_SD**2 * np.arange(1, horizon + 1) / 12.0 + ENTRY_YEAR_SD**2
    return walk + year_level - variance[None, :, None] / 2


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


@dataclass(frozen=True)
class _Layout:
    """What every block of runs shares: the children in care at the start, the horizon and the lookups."""

    n_cat: int
    horizon: int
    per_run: int  # slots a run is expected to need (the start plus its entrants, with room)
    stride: int  # age_time = age * stride + months in care; tic never reaches the stride
    at_lut: np.ndarray  # age_time -> the (age band, tic band) part of a cell
    start_cat: np.ndarray
    start_age_m: np.ndarray
    start_tic: np.ndarray
    start_uasc: np.ndarray

    @property
    def cells_per_category(self) -> int:
        return N_AGE * N_TIC

    @classmethod
    def of(cls, fit: FittedParameters, stock: pd.DataFrame, horizon: int) -> _Layout:
        mean_entries = sum(float(np.exp(st.coef[0] + max(st.coef[1], 0) * fit.trend_carry * horizon / 12))
                           for st in fit.streams)
        stride = TIC_CAP + horizon + 2
        tic_clip = np.minimum(np.arange(stride), TIC_CAP)
        at_lut = (AB_LUT[np.minimum(np.arange(AGE_LIMIT), ADULT_M), None] * N_TIC
                  + TB_LUT[tic_clip][None, :]).astype(np.int32).reshape(-1)
        return cls(fit.dest_alpha.shape[0], horizon, len(stock) + int(mean_entries * horizon * 1.2 + 20), stride,
                   at_lut, stock["cat"].to_numpy().astype(np.int32), stock["age_m"].to_numpy().astype(np.int32),
                   np.minimum(stock["tic_m"].to_numpy(), TIC_CAP).astype(np.int32),
                   stock["uasc"].to_numpy().astype(np.int32))


class _Block:
    """One block of runs in the microsimulation: children are slots in flat arrays (each slot knows its run),
    with the counts by run and category (``current``) kept up to date from the children each event touches."""

    SLOTS = ("category", "uasc", "run_of", "cell_base", "age_time", "month_turns_18")

    def __init__(self, fit: FittedParameters, lay: _Layout, runs: int, rng: np.random.Generator,
                 within: np.ndarray | None = None) -> None:
        self.lay, self.runs, self.rng = lay, runs, rng
        # counted only when of these ages (a flag by month of age, from the age bands chosen): the counts and
        # days are then kept twice, out of and within the ages, each child under the flag of its age during
        # the month (ages move on only at the month's end)
        self.within = None if within is None else within[AB_LUT].astype(np.int64)
        # the months of age at which a child turns into or out of the ages counted
        self.flips = None if self.within is None else np.r_[False, self.within[1:] != self.within[:-1]]
        self.n_keys = lay.n_cat * (1 if within is None else 2)
        self.params = RunParameters(fit, runs, rng, sets=max(1, runs * PARAMETER_SETS // 1000), horizon=lay.horizon)
        self.n_cells = self.params.pe.shape[1]
        # one gather per child per month: (chance of leaving, chance of leaving or moving); children who
        # have left point at a block of zero chances past the runs' cells, so they need no mask
        self.tables: dict[float, np.ndarray] = {}
        self.no_more_events = runs * self.n_cells
        self.capacity = runs * lay.per_run
        # each slot: its category, UASC flag, run, first cell of its (run, stream, category) block of chances,
        # age and months in care (age * stride + months), and the month in which the child turns 18
        self.slots = {name: np.zeros(self.capacity, np.int32) for name in self.SLOTS}
        self.alive_all = np.zeros(self.capacity, bool)
        n_start = len(lay.start_cat)
        self.n_used = runs * n_start
        used = slice(0, self.n_used)
        sl = self.slots
        sl["category"][used] = np.tile(lay.start_cat, runs)
        sl["uasc"][used] = np.tile(lay.start_uasc, runs)
        sl["run_of"][used] = np.repeat(np.arange(runs, dtype=np.int32), n_start)
        self.alive_all[used] = True
        sl["cell_base"][used] = self._cell_base(sl["run_of"][used], sl["uasc"][used], sl["category"][used])
        sl["age_time"][used] = np.tile(lay.start_age_m * lay.stride + lay.start_tic, runs)
        sl["month_turns_18"][used] = np.tile(ADULT_M - 1 - lay.start_age_m, runs)
        start_keys = lay.start_cat if self.within is None else self._flag(lay.start_age_m) * lay.n_cat + lay.start_cat
        self.current = np.tile(np.bincount(start_keys, minlength=self.n_keys).astype(np.int64), (runs, 1))

    def _flag(self, age_m: np.ndarray) -> np.ndarray:
        """1 for children of the ages counted, 0 for the others (with no filter, never called)."""
        assert self.within is not None
        return self.within[np.minimum(age_m, ADULT_M)]

    def _key(self, run: np.ndarray, category: np.ndarray, age_time: np.ndarray) -> np.ndarray:
        """Each child's place in the counts: its run and category, and whether of the ages counted."""
        if self.within is None:
            return run * self.lay.n_cat + category
        return (run * 2 + self._flag(age_time // self.lay.stride)) * self.lay.n_cat + category

    def counted(self) -> np.ndarray:
        """Children in care now by run and category, of the ages counted: (runs, C)."""
        return self.current if self.within is None else self.current[:, self.lay.n_cat:]

    def _cell_base(self, run: np.ndarray, uasc: np.ndarray | int, category: np.ndarray) -> np.ndarray:
        """The first cell of each child's (run, stream, category) block of chances."""
        return run * self.n_cells + (uasc * self.lay.n_cat + category) * self.lay.cells_per_category

    def _by_run_category(self, key: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        return _bincount(key, weights, self.runs * self.n_keys).reshape(self.runs, self.n_keys)

    def compact(self, month: int) -> None:
        """Every third month, drop the slots of children who have left once they are a quarter of them."""
        if not (month % 3 == 0 and month and self.n_used > COMPACT_MIN_SLOTS):
            return
        live = self.alive_all[: self.n_used]
        if 1 - live.mean() > 0.25:
            keep = np.flatnonzero(live)
            for column in self.slots.values():
                column[: len(keep)] = column[keep]
            self.alive_all[: len(keep)] = True
            self.alive_all[len(keep):] = False
            self.n_used = len(keep)

    def leave_and_move(self, factor: float, month_days: np.ndarray, days_this_month: float) -> None:
        """This month's exits and placement moves (one draw per child), with the part of the month after each."""
        lay, n, sl = self.lay, self.n_used, self.slots
        category, uasc, run_of = sl["category"][:n], sl["uasc"][:n], sl["run_of"][:n]
        cell_base, age_time, alive = sl["cell_base"][:n], sl["age_time"][:n], self.alive_all[:n]
        probs = _table(self.params, factor, self.tables)[cell_base + lay.at_lut[age_time]]
        p_leave, p_event = probs.real, probs.imag
        draw = self.rng.random(n, dtype=np.float32)
        event = np.flatnonzero(draw < p_event)
        leaves = draw[event] < p_leave[event]
        leavers, movers = event[leaves], event[~leaves]
        if len(leavers):  # the part of the month after leaving is not in care
            key = self._key(run_of[leavers], category[leavers], age_time[leavers])
            month_days -= self._by_run_category(key, (1 - draw[leavers] / p_leave[leavers]) * days_this_month)
            self.current -= self._by_run_category(key, None)
            alive[leavers] = False
            cell_base[leavers] = self.no_more_events
        if len(movers):
            moved_at = draw[movers] / p_event[movers]
            mover_runs, mover_cats = run_of[movers], category[movers]
            mover_bands = AB_LUT[np.minimum(age_time[movers] // lay.stride, ADULT_M)]
            dest_cum = self.params.dest_cum[mover_runs, mover_cats, mover_bands]
            dest_draw = self.rng.random(len(movers), dtype=np.float32) * dest_cum[:, -1]
            new_cat = np.minimum((dest_draw[:, None] >= dest_cum).sum(axis=1), lay.n_cat - 1).astype(np.int32)
            after = (1 - moved_at) * days_this_month
            old_key = self._key(mover_runs, mover_cats, age_time[movers])
            new_key = self._key(mover_runs, new_cat, age_time[movers])
            month_days -= self._by_run_category(old_key, after)
            month_days += self._by_run_category(new_key, after)
            self.current += self._by_run_category(new_key, None) - self._by_run_category(old_key, None)
            category[movers] = new_cat
            cell_base[movers] = self._cell_base(mover_runs, uasc[movers], new_cat)

    def age(self, month: int, month_days: np.ndarray, days_this_month: float) -> None:
        """A month older; children turning 18 this month leave care at its middle."""
        n, sl, alive = self.n_used, self.slots, self.alive_all[: self.n_used]
        adult = np.flatnonzero(sl["month_turns_18"][:n] == month)
        adult = adult[alive[adult]]
        if len(adult):
            key = self._key(sl["run_of"][adult], sl["category"][adult], sl["age_time"][adult])
            alive[adult] = False
            sl["cell_base"][adult] = self.no_more_events
            month_days -= self._by_run_category(key, np.full(len(adult), days_this_month / 2))
            self.current -= self._by_run_category(key, None)
        if self.within is not None and self.flips is not None:
            # the children whose next month of age turns them into or out of the ages counted (each one's age
            # from the month of its 18th birthday: no division per child)
            next_age = np.clip(month + ADULT_M - sl["month_turns_18"][:n], 0, ADULT_M)
            turning = np.flatnonzero(self.flips[next_age] & alive)
            after = self.within[next_age[turning]]
            base = sl["run_of"][turning] * 2 * self.lay.n_cat + sl["category"][turning]
            self.current += (self._by_run_category(base + after * self.lay.n_cat, None)
                             - self._by_run_category(base + (1 - after) * self.lay.n_cat, None))
        sl["age_time"][:n] += self.lay.stride + 1

    def programme_moves(self, adjust: Adjustments, month: int) -> None:
        """The scenario's moves of children between categories (or out of care) at the month end."""
        n = self.n_used
        if adjust.moves and self.within is not None:
            raise ValueError("a scenario's moves of children are not counted by age: forecast every age")
        for start_step, from_c, to_c, per_month, hold in adjust.moves:
            if month >= start_step and per_month[month] > 0:
                self.current += _move_children(self.rng, self.slots, self.alive_all[:n], self.slots["run_of"][:n],
                                               self.runs, from_c, to_c, float(per_month[month]), hold, self.n_cells,
                                               self.lay.n_cat, self.lay.cells_per_category)

    def enter(self, adjust: Adjustments, month: int, month_days: np.ndarray, days_this_month: float) -> None:
        """This month's entrants of each stream (other children, UASC), thinned where prevention aims at ages."""
        rates = self.params.entry_rate(month + 1)
        factors = adjust.entry_factor[month]
        uniform = bool(np.all(factors == factors[0]))
        if uniform and factors[0] != 1:
            rates = rates * factors[0]
        for stream in (0, 1):
            entrants_per_run = self.rng.poisson(rates[:, stream])
            n_entrants = int(entrants_per_run.sum())
            if n_entrants == 0:
                continue
            self._room_for(n_entrants)
            entrant_runs = np.repeat(np.arange(self.runs, dtype=np.int32), entrants_per_run)
            years = _pick(self.params.age_cum[:, stream], entrant_runs, self.rng.random(n_entrants))
            in_year = self.rng.integers(0, 12, n_entrants)
            entrant_age_m = years * 12 + np.where(years == 0, self.params.infant_month[in_year], in_year)
            if not uniform:  # prevention aimed at some ages: thin those entrants
                keep = self.rng.random(n_entrants) < factors[AB_LUT[entrant_age_m]]
                entrant_runs, entrant_age_m = entrant_runs[keep], entrant_age_m[keep]
                if not len(entrant_runs):
                    continue
            self._place(stream, month, entrant_runs, entrant_age_m, month_days, days_this_month)

    def _room_for(self, n_entrants: int) -> None:
        if self.n_used + n_entrants > self.capacity:  # rare: grow every array
            grow = max(self.capacity // 2, n_entrants)
            self.slots = {name: np.concatenate([column, np.zeros(grow, np.int32)])
                          for name, column in self.slots.items()}
            self.alive_all = np.concatenate([self.alive_all, np.zeros(grow, bool)])
            self.capacity += grow

    def _place(self, stream: int, month: int, entrant_runs: np.ndarray, entrant_age_m: np.ndarray,
               month_days: np.ndarray, days_this_month: float) -> None:
        """The entrants' first placements, in the next free slots."""
        lay, sl, n_entrants = self.lay, self.slots, len(entrant_runs)
        new_slots = slice(self.n_used, self.n_used + n_entrants)
        self.n_used += n_entrants
        cat_cum = self.params.cat_cum[:, stream].reshape(self.runs * N_AGE, lay.n_cat)
        new_cat = _pick(cat_cum, entrant_runs * N_AGE + AB_LUT[entrant_age_m], self.rng.random(n_entrants))
        sl["category"][new_slots], sl["uasc"][new_slots] = new_cat, stream
        sl["run_of"][new_slots] = entrant_runs
        sl["age_time"][new_slots] = entrant_age_m * lay.stride
        sl["month_turns_18"][new_slots] = month + ADULT_M - entrant_age_m
        sl["cell_base"][new_slots] = self._cell_base(entrant_runs, stream, new_cat)
        self.alive_all[new_slots] = True
        key = self._key(entrant_runs, new_cat, entrant_age_m * lay.stride)
        arrived_for = self.rng.random(n_entrants) * days_this_month  # days in care in the month of entry
        month_days += self._by_run_category(key, arrived_for)
        self.current += self._by_run_category(key, None)

    def by_age_band(self) -> np.ndarray:
        """Children in care by run and age band now: (runs, N_AGE)."""
        sl = self.slots
        live = np.flatnonzero(self.alive_all[: self.n_used])
        band = AB_LUT[np.minimum(sl["age_time"][live] // self.lay.stride, ADULT_M)]
        ages = _bincount(sl["run_of"][live] * N_AGE + band, None, self.runs * N_AGE).reshape(self.runs, N_AGE)
        return ages if self.within is None else ages * self.within[AGE_BAND_FIRST_MONTH]


def simulate_runs(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int], runs: int,
                  rng: np.random.Generator, progress=None, adjust: Adjustments | None = None,
                  age_counts: np.ndarray | None = None, within: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo: counts (runs, H+1, C) at each month end and placement-days (runs, H, C).

    If ``age_counts`` (an int array of shape (runs, H+1, N_AGE)) is given, it is filled with the
    children in care at each month end by age band (one more pass over the children a month).

    With ``within`` (a bool per age band), only the children of those ages are counted, each by its age in
    the month (a child's age moves on at the month's end): every child is still simulated, and the draws
    are the same, so the counts within and without some ages add up to the counts of every child (a test).
    It costs one more pass over the children a month.

    Children are slots in flat arrays (:class:`_Block`): first every run's copy of the children in care at
    the start, then new entrants appended as they arrive. Each month every slot in use is updated with
    whole-array operations; events are rare, so counts and placement-days are kept up to date from the few
    children each event touches. Placement-days are the month-start count times the days in the month,
    corrected for the part of the month after each move, exit, 18th birthday or entry.
    """
    horizon = len(days_in_month)
    adjust = adjust or Adjustments.none(horizon)
    if horizon > AGE_LIMIT - ADULT_M - 1:
        raise ValueError(f"horizon of {horizon} months is longer than the model supports")
    lay = _Layout.of(fit, stock, horizon)
    # blocks of runs small enough to bound memory, and at least two so that two cores can share them
    chunk = max(1, min(-(-runs // 2), MAX_SLOTS_PER_CHUNK // max(lay.per_run, 1)))
    counts = np.zeros((runs, horizon + 1, lay.n_cat), dtype=np.int32)
    days = np.zeros((runs, horizon, lay.n_cat), dtype=np.float64)
    n_chunks = -(-runs // chunk)
    chunk_rngs = rng.spawn(n_chunks)  # one stream per block of runs: the same forecast whatever the threads

    def run_chunk(block_number: int) -> None:
        rows = slice(block_number * chunk, min(runs, (block_number + 1) * chunk))
        block = _Block(fit, lay, rows.stop - rows.start, chunk_rngs[block_number], within)
        counts[rows, 0] = block.counted()
        if age_counts is not None:
            age_counts[rows, 0] = np.bincount(AB_LUT[lay.start_age_m], minlength=N_AGE) * (
                1 if within is None else within)
        for month in range(horizon):
            days_this_month = float(days_in_month[month])
            block.compact(month)
            month_days = block.current * days_this_month
            block.leave_and_move(float(adjust.exit_factor[month]), month_days, days_this_month)
            block.age(month, month_days, days_this_month)
            block.programme_moves(adjust, month)
            block.enter(adjust, month, month_days, days_this_month)
            counts[rows, month + 1] = block.counted()
            if age_counts is not None:
                age_counts[rows, month + 1] = block.by_age_band()
            days[rows, month] = month_days if within is None else month_days[:, lay.n_cat:]
        if progress is not None:
            progress(block.runs)

    workers = min(n_chunks, _threads())
    if workers <= 1:
        for block_number in range(n_chunks):
            run_chunk(block_number)
    else:  # numpy releases the GIL in the whole-array work, so blocks of runs share the cores
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run_chunk, range(n_chunks)))
    return counts, np.maximum(days, 0.0)


def _threads() -> int:
    """Threads for the Monte Carlo: the cores this process may use, or ``PLACECAST_THREADS``."""
    from placecast.threads import cores

    setting = os.environ.get("PLACECAST_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    return cores()


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


def _move_children(rng: np.random.Generator, slots: dict[str, np.ndarray], alive: np.ndarray, run_of: np.ndarray,
                   block_runs: int, from_c: int, to_c: int, per_month: float, hold: float, n_cells: int, n_cat: int,
                   cells_per_category: int) -> np.ndarray:
    """Move up to ``per_month`` children a run from one category to another at the month end; each
    move holds with chance ``hold``. Returns the change in counts (block_runs, C)."""
    cat = slots["category"][: len(alive)]
    idx = np.flatnonzero(alive & (cat == from_c))
    change = np.zeros((block_runs, n_cat), np.int64)
    if not len(idx):
        return change
    whole = int(per_month)
    quota = np.full(block_runs, whole) + (rng.random(block_runs) < per_month - whole)
    order = np.lexsort((rng.random(len(idx)), run_of[idx]))
    idx = idx[order]
    runs_sorted = run_of[idx]
    rank = np.arange(len(idx)) - np.searchsorted(runs_sorted, runs_sorted, side="left")
    chosen = idx[(rank < quota[runs_sorted]) & (rng.random(len(idx)) < hold)]
    if len(chosen) and to_c < 0:  # leaving care (for example after intensive support)
        alive[chosen] = False
        slots["cell_base"][chosen] = block_runs * n_cells  # the block of zero chances: no more events
        np.add.at(change, (run_of[chosen], np.full(len(chosen), from_c)), -1)
        return change
    if len(chosen):
        rr = run_of[chosen]
        slots["category"][chosen] = to_c
        slots["cell_base"][chosen] = rr * n_cells + (slots["uasc"][chosen] * n_cat + to_c) * cells_per_category
        np.add.at(change, (rr, np.full(len(chosen), from_c)), -1)
        np.add.at(change, (rr, np.full(len(chosen), to_c)), 1)
    return change


def expected_path(fit: FittedParameters, stock: pd.DataFrame, days_in_month: list[int],
                  age_counts: np.ndarray | None = None, adjust: Adjustments | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts (1, H+1, C) and placement-days (1, H, C) by a deterministic cohort projection
    (and, if ``age_counts`` of shape (1, H+1, N_AGE) is given, the expected children by age band).

    The state holds expected children by age in months, stream (UASC or not), months in care (capped) and
    category, in that order, so that each age band's moves are one matrix product on contiguous memory.
    ``adjust`` applies a scenario's changes as their expected values: entries and the chance of leaving
    scaled, and each month's moves as ``per_month x hold`` children taken evenly across the category's
    ages and times in care (at most the children there), at the month end as the simulation does."""
    n_cat = fit.dest_alpha.shape[0]
    p = RunParameters(fit, 1, np.random.default_rng(0), draws=False)
    ages, tics = np.arange(ADULT_M), np.arange(TIC_LAST + 1)  # months in care: the last slot holds the rest

    def by_cell(rates: np.ndarray) -> np.ndarray:  # (U, C, age band, tic band) -> (A, U, T, C)
        full = rates.reshape(2, n_cat, N_AGE, N_TIC)[:, :, AB_LUT[ages]][:, :, :, TB_LUT[tics]]
        return np.ascontiguousarray(full.transpose(2, 0, 3, 1), dtype=float)

    pe, pm = by_cell(p.pe), by_cell(p.pm)
    dest = np.diff(np.concatenate([np.zeros((*p.dest_cum.shape[1:-1], 1)), p.dest_cum[0]], axis=-1), axis=-1)
    dest_by_band = np.ascontiguousarray(dest.transpose(1, 0, 2))  # (age band, C, C)
    x = np.zeros((ADULT_M, 2, TIC_LAST + 1, n_cat))
    np.add.at(x, (stock["age_m"].to_numpy(), stock["uasc"].to_numpy().astype(int),
                  np.minimum(stock["tic_m"].to_numpy(), TIC_LAST), stock["cat"].to_numpy()), 1.0)
    horizon = len(days_in_month)
    counts, days = np.zeros((1, horizon + 1, n_cat)), np.zeros((1, horizon, n_cat))
    adjust = adjust or Adjustments.none(horizon)
    kept_by_factor: dict[float, np.ndarray] = {}  # exit factor -> chance of staying put for the month
    within = np.tile(np.full(12, 1 / 12), 18)  # the share of an age's entrants in each month of it
    within[:12] = fit.infant_months
    entries = [(st, (np.repeat(_mean_dirichlet(st.age_alpha), 12) * within)[:, None] * _mean_dirichlet(
        st.cat_alpha)[AB_LUT[ages]]) for st in fit.streams]  # (A, C): the share of a stream's entrants by age in months

    ones = np.ones(x.size // n_cat)

    def by_category(a: np.ndarray) -> np.ndarray:  # sums over all but the last axis, as one matrix product
        return ones[: a.size // n_cat] @ a.reshape(-1, n_cat)

    bands = [(int(b), slice(int(rows[0]), int(rows[-1]) + 1))  # the ages of a band are consecutive
             for b in np.unique(AB_LUT[ages]) for rows in [np.flatnonzero(AB_LUT[ages] == b)]]

    def moved_into(moves: np.ndarray) -> np.ndarray:  # each age band's movers through its destination matrix
        out = np.empty_like(moves)
        for b, band in bands:
            out[band] = (moves[band].reshape(-1, n_cat) @ dest_by_band[b]).reshape(moves[band].shape)
        return out

    def record(k: int) -> None:  # the month-end state x: children by category (and by age band)
        counts[0, k] = by_category(x)
        if age_counts is not None:
            age_counts[0, k] = np.bincount(AB_LUT[ages], weights=x.sum(axis=(1, 2, 3)), minlength=N_AGE)

    record(0)
    for j in range(horizon):
        dm, factor = days_in_month[j], float(adjust.exit_factor[j])
        if factor not in kept_by_factor:  # exits at most what moves leave
            kept_by_factor[factor] = 1.0 - np.minimum(pe * factor, 1.0 - pm) - pm
        after = moved_into(x * pm)  # where the children are at the month end, before they age a month
        after += x * kept_by_factor[factor]
        # leavers and movers count half the month where they were, movers half where they went
        days[0, j] = 0.5 * dm * (counts[0, j] + by_category(after) - by_category(after[-1]))  # less those reaching 18
        x = np.empty_like(after)
        x[0], x[:, :, 0] = 0.0, 0.0
        x[1:, :, 1:] = after[:-1, :, :-1]
        x[1:, :, TIC_LAST] += after[:-1, :, TIC_LAST]
        _expected_moves(x, adjust, j)
        for s, (st, share) in enumerate(entries):
            xv = np.array([1.0, fit.trend_carry * (j + 1) / 12.0])
            lam = float(np.exp(st.coef @ xv + 0.5 * xv @ st.cov @ xv))
            add = lam * share * adjust.entry_factor[j][AB_LUT[ages]][:, None]  # (A, C)
            x[:, s, 0] += add
            days[0, j] += 0.5 * dm * add.sum(axis=0)
        record(j + 1)
    return counts, days


def _expected_moves(x: np.ndarray, adjust: Adjustments, month: int) -> None:
    """Apply month ``month``'s scenario moves to the expected state ``x`` (age, uasc, tic, C) in place."""
    for start_step, from_c, to_c, per_month, hold in adjust.moves:
        if month < start_step or per_month[month] <= 0:
            continue
        there = x[..., from_c].sum()
        if there <= 0:
            continue
        share = min(1.0, float(per_month[month]) * hold / there)
        moved = x[..., from_c] * share
        x[..., from_c] -= moved
        if to_c >= 0:
            x[..., to_c] += moved

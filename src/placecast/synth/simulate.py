"""Simulation of a council's children looked after, one day at a time, vectorised over children.

Every change (entry, placement move, legal-status change, temporary placement, adoption, exit,
re-entry, leaving care at 18) happens through a daily hazard, so a run can be *forked*: up to
``fork_date`` the random stream is the council's own; after it the stream is re-drawn from
``fork_seed``, giving the same past with a different future.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from placecast.synth import parameters as P

logger = logging.getLogger(__name__)

EPOCH = date(1970, 1, 1)
NO_DAY = -(10**9)


def day_number(d: date) -> int:
    """Days since the simulation's epoch of a date."""
    return (d - EPOCH).days


def to_date(n: int) -> date:
    """The date of a day number since the simulation's epoch."""
    return EPOCH + timedelta(days=int(n))


@dataclass
class SynthSettings:
    """What to simulate. ``children_in_care`` is the target stock at the last 31 March."""

    children_in_care: int = 500
    years: int = 5
    end_year: int = 2025
    seed: int = 0
    entry_trend: float = 0.0
    uasc_entry_share: float = 0.12
    short_break_share: float = 0.01
    burn_in_years: int = 12
    fork_date: date | None = None
    fork_seed: int | None = None
    entries_per_year: float | None = None  # skip calibration (forks of one council share it)
    programme: SynthProgramme | None = None


@dataclass(frozen=True)
class SynthProgramme:
    """A recovery programme of known size, applied from ``start`` (for testing realised savings).

    ``fewer_entries``: the share of entrants aged ``min_age`` to ``max_age`` who do not enter care;
    ``step_downs_per_month``: extra moves from external residential care to in-house fostering;
    ``returns_home_per_month``: extra returns home (REC E4A) of children in external fostering or
    residential care. The programme draws from a stream of its own.
    """

    start: date
    fewer_entries: float = 0.0
    min_age: int = 0
    max_age: int = 17
    step_downs_per_month: float = 0.0
    returns_home_per_month: float = 0.0


@dataclass
class SimulationResult:
    """Episodes (sim-time codes), children, and the true counts at every month end."""

    episodes: pd.DataFrame
    children: pd.DataFrame
    truth: pd.DataFrame
    settings: SynthSettings
    entries_per_year: float = 0.0
    notes: dict = field(default_factory=dict)


class _Sim:
    """State of one simulation. Arrays per child grow as children enter."""

    def __init__(self, settings: SynthSettings, entries_per_year: float, seed_key: tuple[int, ...]) -> None:
        self.s = settings
        self.lam = entries_per_year
        self.rng_past = np.random.default_rng([*seed_key])
        self.rng_future = (np.random.default_rng([*seed_key, 7_919, settings.fork_seed])
                           if settings.fork_seed is not None else self.rng_past)
        self.rng_programme = np.random.default_rng([*seed_key, 4_201])
        self.programme_from = day_number(settings.programme.start) if settings.programme else None
        cap = 1024
        self.n = 0
        self.dob = np.zeros(cap, np.int64)
        self.dob18 = np.zeros(cap, np.int64)
        self.uasc = np.zeros(cap, bool)
        self.sb = np.zeros(cap, bool)
        self.in_care = np.zeros(cap, bool)
        self.cat = np.zeros(cap, np.int64)
        self.cur_ep = np.full(cap, -1, np.int64)
        self.home_ep = np.full(cap, -1, np.int64)
        self.in_temp = np.zeros(cap, bool)
        self.period_start = np.zeros(cap, np.int64)
        self.placement_start = np.zeros(cap, np.int64)
        self.ls_start = np.zeros(cap, np.int64)
        self.ls = np.zeros(cap, np.int64)  # index into LS_CODES
        self.adopt_stage = np.zeros(cap, np.int64)  # 0 none, 1 plan, 2 placed for adoption
        self.exit_day = np.full(cap, NO_DAY, np.int64)
        self.reentry_ok = np.zeros(cap, bool)
        self.sex: list[str] = []
        self.ethnic: list[str] = []
        self.cin: list[str] = []
        self.ids: list[str] = []
        self.ep: dict[str, list] = {k: [] for k in (
            "child", "decom", "dec", "rne", "ls", "cin", "place", "provider", "rec", "rpc", "cat", "variant")}
        self.truth: list[tuple[int, np.ndarray]] = []
        self.used_ids: set[int] = set()

    LS_CODES = ["C1", "C2", "V2", "L1", "L2", "J1", "E1", "V3"]

    # ---- helpers -------------------------------------------------------------------------
    def _grow(self) -> None:
        for name in ("dob", "dob18", "uasc", "sb", "in_care", "cat", "cur_ep", "home_ep", "in_temp", "period_start",
                     "placement_start", "ls_start", "ls", "adopt_stage", "exit_day", "reentry_ok"):
            arr = getattr(self, name)
            fill = -1 if name in ("cur_ep", "home_ep") else (NO_DAY if name == "exit_day" else 0)
            new = np.full(len(arr) * 2, fill, dtype=arr.dtype)
            new[: len(arr)] = arr
            setattr(self, name, new)

    def _new_id(self, rng: np.random.Generator) -> str:
        while True:
            v = int(rng.integers(1_000_000, 9_999_999))
            if v not in self.used_ids:
                self.used_ids.add(v)
                return str(v)

    def _open(self, c: int, t: int, rne: str, ls: str, place: str, provider: str, cat: int, variant: float) -> None:
        ep = self.ep
        ep["child"].append(c)
        ep["decom"].append(t)
        ep["dec"].append(NO_DAY)
        ep["rne"].append(rne)
        ep["ls"].append(ls)
        ep["cin"].append(self.cin[c])
        ep["place"].append(place)
        ep["provider"].append(provider)
        ep["rec"].append("")
        ep["rpc"].append("")
        ep["cat"].append(cat)
        ep["variant"].append(variant)
        self.cur_ep[c] = len(ep["child"]) - 1

    def _close(self, c: int, t: int, rec: str, rpc: str = "") -> None:
        e = self.cur_ep[c]
        self.ep["dec"][e] = t
        self.ep["rec"][e] = rec
        self.ep["rpc"][e] = rpc

    def _weights(self, table: np.ndarray, age_years: float, t: int, exclude: int | None = None) -> np.ndarray:
        band = int(np.searchsorted(P.AGE_BANDS, age_years, side="right") - 1)
        w = table[band].copy()
        years_on = (t - day_number(date(2015, 4, 1))) / 365.25
        for name, drift in P.DRIFT_PER_YEAR.items():
            w[P.CAT[name]] *= max(0.0, 1 + drift) ** years_on
        if exclude is not None:
            w[exclude] = 0.0
        return w / w.sum()

    @staticmethod
    def _placement_code(cat: int, age_years: float, rng: np.random.Generator) -> tuple[str, str]:
        name = P.CATEGORIES[cat]
        u = rng.random()
        v = rng.random()
        if name == "fostering_kinship":
            return ("U1" if u < 0.3 else "U2" if u < 0.35 else "U3"), ("PR1" if v < 0.9 else "PR4")
        if name == "fostering_inhouse":
            return ("U4" if u < 0.35 else "U5" if u < 0.4 else "U6"), "PR1"
        if name == "fostering_external":
            return ("U4" if u < 0.4 else "U6"), ("PR4" if v < 0.8 else "PR5" if v < 0.95 else "PR2")
        if name == "residential_inhouse":
            return ("K2" if u < 0.95 else "R1"), "PR1"
        if name == "residential_external":
            place = "K2" if u < 0.9 else ("S1" if u < 0.97 and age_years >= 4 else "R1")
            return place, ("PR4" if v < 0.85 else "PR5" if v < 0.95 else "PR2")
        if name == "secure":
            return "K1", ("PR1" if v < 0.4 else "PR2" if v < 0.8 else "PR4")
        if name == "supported":
            return ("H5" if u < 0.8 else "P2"), ("PR4" if v < 0.7 else "PR1" if v < 0.9 else "PR5")
        if name == "with_parents":
            return "P1", "PR0"
        if name == "adoption":
            return ("A5" if u < 0.3 else "A6"), ("PR1" if v < 0.8 else "PR5")
        # other
        if age_years < 1:
            return "R3", "PR4"
        if age_years >= 10 and u < 0.25:
            return "R5", "PR3"
        if u < 0.5:
            return "R2", "PR3"
        return "Z1", ""

    # ---- events --------------------------------------------------------------------------
    def _enter(self, c: int | None, t: int, rng: np.random.Generator, uasc: bool = False) -> None:
        if c is None:
            if self.n >= len(self.dob):
                self._grow()
            c = self.n
            self.n += 1
            if uasc:
                age_days = int(rng.integers(int(15 * 365.25), int(17.9 * 365.25)))
            else:
                age = int(rng.choice(18, p=P.ENTRY_AGE_WEIGHTS))
                age_days = (int(min(rng.exponential(40.0), 364)) if age == 0
                            else int(age * 365.25 + rng.integers(0, 365)))
                age_days = min(age_days, int(17.9 * 365.25))
                if self._prevented(age_days / 365.25, t):  # an edge-of-care programme keeps this child out
                    self.n -= 1
                    return
            self.dob[c] = t - age_days
            d = to_date(self.dob[c])
            try:
                d18 = d.replace(year=d.year + 18)
            except ValueError:
                d18 = d.replace(year=d.year + 18, day=28)
            self.dob18[c] = day_number(d18)
            self.uasc[c] = uasc
            male = rng.random() < (0.9 if uasc else P.SEX_MALE)
            self.sex.append("M" if male else "F")
            self.ethnic.append(str(rng.choice(P.UASC_ETHNIC)) if uasc
                               else str(rng.choice(P.ETHNIC_CODES, p=P.ETHNIC_WEIGHTS / P.ETHNIC_WEIGHTS.sum())))
            self.cin.append("N8" if uasc else str(rng.choice(P.CIN_CODES, p=P.CIN_WEIGHTS / P.CIN_WEIGHTS.sum())))
            self.ids.append(self._new_id(rng))
            age_years = age_days / 365.25
            self.adopt_stage[c] = 1 if (not uasc and age_years < 4 and rng.random() < P.ADOPTION_PLAN_SHARE) else 0
        else:
            age_years = (t - self.dob[c]) / 365.25
            self.adopt_stage[c] = 0
            self.cin[c] = str(rng.choice(P.CIN_CODES, p=P.CIN_WEIGHTS / P.CIN_WEIGHTS.sum()))
        if self.uasc[c]:
            w = P.UASC_FIRST.copy()
            if age_years < 16:
                w[P.CAT["supported"]] = 0
            cat = int(rng.choice(10, p=w / w.sum()))
            ls = "V2"
        else:
            cat = int(rng.choice(10, p=self._weights(P.FIRST_PLACEMENT, age_years, t)))
            u = rng.random()
            if age_years < 10:
                ls = "C1" if u < 0.45 else "V2" if u < 0.80 else "L2" if u < 0.92 else "L1"
            else:
                ls = "V2" if u < 0.55 else "C1" if u < 0.85 else "L1" if u < 0.92 else "J1"
        place, provider = self._placement_code(cat, age_years, rng)
        self.cat[c] = cat
        self.in_care[c] = True
        self.in_temp[c] = False
        self.period_start[c] = self.placement_start[c] = self.ls_start[c] = t
        self.ls[c] = self.LS_CODES.index(ls)
        self.reentry_ok[c] = False
        self._open(c, t, "S", ls, place, provider, cat, float(rng.random()))
        self.home_ep[c] = self.cur_ep[c]

    def _exit(self, c: int, t: int, rec: str) -> None:
        self._close(c, t, rec)
        self.in_care[c] = False
        self.exit_day[c] = t

    def _move(self, c: int, t: int, rng: np.random.Generator) -> None:
        age = (t - self.dob[c]) / 365.25
        table = P.MOVE_TO
        w = self._weights(table, age, t, exclude=int(self.cat[c]))
        if self.uasc[c] and age >= 16:
            w = w.copy()
            w[P.CAT["supported"]] += 0.3
            w /= w.sum()
        if age < 16:
            w[P.CAT["supported"]] = 0.0
            w /= w.sum()
        cat = int(rng.choice(10, p=w))
        place, provider = self._placement_code(cat, age, rng)
        rpc = str(rng.choice(["CARPL", "CREQB", "CREQO", "CHILD", "LAREQ", "STAND", "CLOSE", "OTHER"],
                             p=[0.4, 0.15, 0.1, 0.08, 0.1, 0.05, 0.04, 0.08]))
        self._close(c, t, "X1", rpc)
        ls = self.LS_CODES[self.ls[c]]
        self._open(c, t, "P", ls, place, provider, cat, float(rng.random()))
        self.cat[c] = cat
        self.placement_start[c] = t
        self.home_ep[c] = self.cur_ep[c]

    def _change_ls(self, c: int, t: int, new_ls: str) -> None:
        e = self.cur_ep[c]
        ep = self.ep
        self._close(c, t, "X1")
        self._open(c, t, "L", new_ls, ep["place"][e], ep["provider"][e], ep["cat"][e], ep["variant"][e])
        if not self.in_temp[c]:
            self.home_ep[c] = self.cur_ep[c]
        self.ls[c] = self.LS_CODES.index(new_ls)
        self.ls_start[c] = t

    def _exit_reason(self, c: int, t: int, kind: str, rng: np.random.Generator) -> str:
        u = rng.random()
        name = P.CATEGORIES[int(self.cat[c])]
        before_2018 = t < day_number(date(2018, 4, 1))
        if kind == "18":
            if self.uasc[c]:
                return "E5" if u < 0.8 else "E6" if u < 0.9 else "E15"
            if name.startswith("fostering"):
                return "E17" if u < 0.4 else "E5" if u < 0.75 else "E6" if u < 0.85 else "E8"
            if name == "supported":
                return "E5" if u < 0.75 else "E6" if u < 0.95 else "E8"
            return "E5" if u < 0.6 else "E6" if u < 0.7 else "E7" if u < 0.8 else "E8"
        if kind == "home":
            return "E4A" if u < 0.85 else "E4B"
        if kind == "sgo":
            if name == "fostering_kinship":
                return ("E43" if before_2018 else "E45") if u < 0.8 else ("E44" if before_2018 else "E47")
            if u < 0.1:
                return "E41"
            return ("E43" if before_2018 else "E46") if u < 0.8 else ("E44" if before_2018 else "E48")
        if self.uasc[c]:
            return "E16" if u < 0.3 else "E8" if u < 0.6 else "E13"
        return "E13" if u < 0.4 else "E8" if u < 0.7 else "E3"

    # ---- the daily step ------------------------------------------------------------------
    def setup(self, start: int, end: int) -> None:
        """Create the short-break children and remember the simulation's span."""
        self.start_day, self.end_day = start, end
        n_sb = int(round(self.s.short_break_share * self.lam * 2.5))
        rng0 = self.rng_past
        sb_pool = []
        for _ in range(n_sb):
            c = self.n
            if c >= len(self.dob):
                self._grow()
            self.n += 1
            self.dob[c] = start - int(rng0.integers(int(0 * 365), int(6 * 365)))
            self.dob18[c] = self.dob[c] + int(18 * 365.25)
            self.sb[c] = True
            self.sex.append("M" if rng0.random() < 0.6 else "F")
            self.ethnic.append("WBRI")
            self.cin.append("N2")
            self.ids.append(self._new_id(rng0))
            sb_pool.append(c)
        self.sb_idx = np.array(sb_pool, dtype=np.int64)

    def run(self, start: int, end: int, record_from: int, fork_day: int | None) -> None:
        self.setup(start, end)
        self.step(start, end, record_from, fork_day)

    def step(self, first: int, last: int, record_from: int, fork_day: int | None) -> None:
        """Advance day by day from ``first`` to ``last`` inclusive."""
        lam_u = self.lam * self.s.uasc_entry_share
        lam_g = self.lam - lam_u
        end = self.end_day
        sb_idx = self.sb_idx
        tic_edges = P.TIC_EDGES
        for t in range(first, last + 1):
            rng = self.rng_future if (fork_day is not None and t > fork_day) else self.rng_past
            n = self.n
            act = np.flatnonzero(self.in_care[:n] & ~self.sb[:n])
            if len(act):
                self._step_children(act, t, rng, tic_edges)
            # short breaks
            if len(sb_idx):
                on = self.in_care[sb_idx]
                u = rng.random(len(sb_idx))
                young = (t - self.dob[sb_idx]) < int(17.5 * 365.25)
                for c in sb_idx[on & (u < 1 / 3)]:
                    self._exit(int(c), t, "E4A")
                for c in sb_idx[~on & young & (u < 1 / 40) & (self.exit_day[sb_idx] < t)]:
                    c = int(c)
                    self.in_care[c] = True
                    place, prov = ("K2", "PR1") if rng.random() < 0.6 else ("U6", "PR1")
                    cat = P.CAT["residential_inhouse"] if place == "K2" else P.CAT["fostering_inhouse"]
                    self.cat[c] = cat
                    self._open(c, t, "S", "V3", place, prov, cat, 0.0)
            # re-entries
            cand = np.flatnonzero(self.reentry_ok[:n])
            if len(cand):
                gone = t - self.exit_day[cand]
                age_ok = (t - self.dob[cand]) < int(17.5 * 365.25)
                p = np.where((gone >= 1) & (gone < 730) & age_ok, 0.18 / 365, 0.0)
                u = rng.random(len(cand))
                for c in cand[u < p]:
                    self._enter(int(c), t, rng)
                self.reentry_ok[cand[(gone >= 730) | ~age_ok]] = False
            if self.programme_from is not None and t >= self.programme_from:
                self._programme_day(t, rng)
            # new entries
            years_to_end = (t - end) / 365.25
            growth = (1 + self.s.entry_trend) ** years_to_end
            for _ in range(int(rng.poisson(lam_g * growth / 365.25))):
                self._enter(None, t, rng)
            for _ in range(int(rng.poisson(lam_u * growth / 365.25))):
                self._enter(None, t, rng, uasc=True)
            if t >= record_from and to_date(t + 1).day == 1:
                live = np.flatnonzero(self.in_care[: self.n] & ~self.sb[: self.n])
                self.truth.append((t, np.bincount(self.cat[live], minlength=10)))

    def _programme_day(self, t: int, rng: np.random.Generator) -> None:
        """The programme's extra step-downs and returns home on day ``t`` (chosen from its own stream)."""
        prog, own = self.s.programme, self.rng_programme
        assert prog is not None
        n = self.n
        in_care = self.in_care[:n] & ~self.sb[:n] & ~self.in_temp[:n]
        for per_month, source, home in ((prog.step_downs_per_month, ("residential_external",), False),
                                        (prog.returns_home_per_month, ("residential_external", "fostering_external"),
                                         True)):
            for _ in range(int(own.poisson(per_month * 12 / 365.25))):
                pool = np.flatnonzero(in_care & np.isin(self.cat[:n], [P.CAT[c] for c in source])
                                      & ((t - self.dob[:n]) < int(17.5 * 365.25)))
                if not len(pool):
                    break
                c = int(pool[own.integers(len(pool))])
                in_care[c] = False
                if home:
                    self._exit(c, t, "E4A")
                else:
                    self._move_to(c, t, P.CAT["fostering_inhouse"], rng)

    def _move_to(self, c: int, t: int, cat: int, rng: np.random.Generator) -> None:
        """Move child ``c`` to category ``cat`` on day ``t`` (a planned move)."""
        place, provider = self._placement_code(cat, (t - self.dob[c]) / 365.25, rng)
        self._close(c, t, "X1", "CARPL")
        self._open(c, t, "P", self.LS_CODES[self.ls[c]], place, provider, cat, float(rng.random()))
        self.cat[c] = cat
        self.placement_start[c] = t
        self.home_ep[c] = self.cur_ep[c]

    def _prevented(self, age_years: float, t: int) -> bool:
        """True when the programme keeps this entrant out of care."""
        prog = self.s.programme
        if prog is None or self.programme_from is None or t < self.programme_from or not prog.fewer_entries:
            return False
        return prog.min_age <= age_years <= prog.max_age and bool(self.rng_programme.random() < prog.fewer_entries)

    def _step_children(self, act: np.ndarray, t: int, rng: np.random.Generator, tic_edges: np.ndarray) -> None:
        """One day for the children in care ``act``: leaving at 18 first, then at most one event each."""
        age = (t - self.dob[act]) / 365.25
        cat = self.cat[act]
        ls = self.ls[act]
        u = rng.random(len(act))
        # leaving care at 18 comes first
        turns18 = t >= self.dob18[act]
        for c in act[turns18]:
            self._exit(int(c), t, self._exit_reason(int(c), t, "18", rng))
        probs, remand = self._event_chances(act, t, age, cat, ls, turns18, tic_edges)
        k = probs.shape[1]
        cum = np.cumsum(probs, axis=1)
        event = np.where(u[:, None] < cum, np.arange(k)[None, :], k).min(axis=1)
        for i in np.flatnonzero(event < k):
            self._apply_event(int(act[i]), int(event[i]), t, float(age[i]), bool(remand[i]), int(ls[i]), int(cat[i]),
                              rng)

    def _event_chances(self, act: np.ndarray, t: int, age: np.ndarray, cat: np.ndarray, ls: np.ndarray,
                       turns18: np.ndarray, tic_edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each child's chance today of each event (0 temporary placement ends, 1 adopted, 2 placed for
        adoption, 3 home, 4 SGO, 5 other exit, 6 legal status change, 7 move), and who is on remand."""
        temp = self.in_temp[act]
        uasc = self.uasc[act]
        tic = t - self.period_start[act]
        k = 8
        probs = np.zeros((len(act), k))
        # 0 temp end
        probs[:, 0] = np.where(temp, 1 / 6, 0.0)
        normal = ~temp & ~turns18
        stage = self.adopt_stage[act]
        in_place = t - self.placement_start[act]
        # 1 adopted, 2 placed for adoption
        probs[:, 1] = np.where(normal & (stage == 2) & (in_place > 70), 1 / 200, 0.0)
        probs[:, 2] = np.where(normal & (stage == 1) & (tic > 240) & (age < 8), 1 / 160, 0.0)
        # 3 return home, 4 SGO, 5 other exit
        tic_factor = P.TIC_FACTOR[np.searchsorted(tic_edges, tic, side="right")]
        home = P.HOME_RATE[cat] * tic_factor * np.where(stage == 1, 0.15, 1.0) * np.where(uasc, 0.0, 1.0)
        home = np.where(stage == 2, 0.0, home)
        sgo = P.SGO_RATE[cat] * (tic > 180) * (age < 14) * np.where(stage == 2, 0.0, 1.0)
        remand = ls == self.LS_CODES.index("J1")
        other = np.where(remand, 8.0, np.where(uasc, 0.05, 0.03))
        probs[:, 3] = np.where(normal, 1 - np.exp(-home / 365.25), 0.0)
        probs[:, 4] = np.where(normal, 1 - np.exp(-sgo / 365.25), 0.0)
        probs[:, 5] = np.where(normal, 1 - np.exp(-other / 365.25), 0.0)
        # 6 legal status change
        since_ls = t - self.ls_start[act]
        p_ls = np.select(
            [ls == 3, ls == 4, (ls == 0) & (since_ls > 28), (ls == 2) & ~uasc & (age < 16)],
            [0.5, 0.1, 1 / 200, 0.15 / 365.25], default=0.0)
        probs[:, 6] = np.where(normal & (stage != 2), p_ls, 0.0)
        # 7 placement move (or, for fostered children, a short temporary placement)
        probs[:, 7] = np.where(normal, 1 - np.exp(-P.MOVE_RATE[cat] / 365.25), 0.0)
        return probs, remand

    def _apply_event(self, c: int, e: int, t: int, age: float, remand: bool, ls: int, cat: int,
                     rng: np.random.Generator) -> None:
        """Child ``c``'s event ``e`` (see :meth:`_event_chances`) on day ``t``."""
        if e == 0:
            home_e = self.home_ep[c]
            ep = self.ep
            self._close(c, t, "X1")
            ls_code = self.LS_CODES[self.ls[c]]
            self._open(c, t, "P", ls_code, ep["place"][home_e], ep["provider"][home_e], ep["cat"][home_e],
                       ep["variant"][home_e])
            self.home_ep[c] = self.cur_ep[c]
            self.in_temp[c] = False
        elif e == 1:
            self._exit(c, t, "E11" if rng.random() < 0.6 else "E12")
        elif e == 2:
            self._close(c, t, "X1", "CARPL")
            place, provider = self._placement_code(P.CAT["adoption"], age, rng)
            self._open(c, t, "B", "E1", place, provider, P.CAT["adoption"], float(rng.random()))
            self.cat[c] = P.CAT["adoption"]
            self.ls[c] = self.LS_CODES.index("E1")
            self.adopt_stage[c] = 2
            self.placement_start[c] = self.ls_start[c] = t
            self.home_ep[c] = self.cur_ep[c]
        elif e == 3:
            self._exit(c, t, self._exit_reason(c, t, "home", rng))
            self.reentry_ok[c] = rng.random() < 0.4
        elif e == 4:
            self._exit(c, t, self._exit_reason(c, t, "sgo", rng))
        elif e == 5:
            self._exit(c, t, "E14" if remand else self._exit_reason(c, t, "other", rng))
        elif e == 6:
            cur = self.LS_CODES[ls]
            new = {"L1": "V2" if rng.random() < 0.5 else "C1", "L2": "C1", "C1": "C2", "V2": "C1"}[cur]
            self._change_ls(c, t, new)
        elif e == 7:
            fostered = cat in P.FOSTERING
            if fostered and rng.random() < 0.15 and age < 17.8:
                self._close(c, t, "X1")
                r = rng.random()
                place = "T3" if r < 0.7 else "T1" if r < 0.9 else "T4"
                self._open(c, t, "P", self.LS_CODES[self.ls[c]], place, "", cat, 0.0)
                self.in_temp[c] = True
            else:
                self._move(c, t, rng)


def _calibrate(settings: SynthSettings, start: int, end: int) -> float:
    """Entries a year that give about ``children_in_care`` children at the end (stock is linear in it)."""
    pilot_lam = 150.0
    sim = _Sim(dataclasses.replace(settings, programme=None), pilot_lam, (settings.seed, 1))  # the council without it
    sim.run(start, end, end - 366, None)
    stock = np.mean([c.sum() for _, c in sim.truth[-12:]]) if sim.truth else 0.0
    per_entry = max(stock / pilot_lam, 0.1)
    return settings.children_in_care / per_entry


def _result(sim: _Sim, settings: SynthSettings, lam: float) -> SimulationResult:
    n = sim.n
    ep = pd.DataFrame(sim.ep)
    children = pd.DataFrame({
        "child": np.arange(n), "id": sim.ids, "dob": sim.dob[:n], "sex": sim.sex, "ethnic": sim.ethnic,
        "uasc": sim.uasc[:n], "short_breaks": sim.sb[:n],
    })
    rows = []
    for t, counts in sim.truth:
        d = to_date(t).isoformat()
        for i, name in enumerate(P.CATEGORIES):
            rows.append({"date": d, "category": name, "children": int(counts[i])})
        rows.append({"date": d, "category": "total", "children": int(counts.sum())})
    truth = pd.DataFrame(rows, columns=["date", "category", "children"])
    return SimulationResult(ep, children, truth, settings, entries_per_year=lam)


def simulate_forks(settings: SynthSettings, fork_date: date, fork_seeds: list[int]) -> list[pd.DataFrame]:
    """The true month-end counts of each re-drawn future, sharing one simulated past.

    Gives the same truth as ``simulate`` with ``fork_date`` and each ``fork_seed``, but simulates the
    shared past once.
    """
    import copy

    first_year = settings.end_year - settings.years + 1
    record_from = day_number(date(first_year - 1, 4, 1))
    end = day_number(date(settings.end_year, 3, 31))
    start = day_number(date(first_year - 1 - settings.burn_in_years, 4, 1))
    lam = settings.entries_per_year or _calibrate(settings, start, end)
    fork_day = day_number(fork_date)
    base = _Sim(settings, lam, (settings.seed, 2))
    base.setup(start, end)
    base.step(start, fork_day, record_from, None)
    out = []
    for k in fork_seeds:
        sim = copy.deepcopy(base)
        sim.rng_future = np.random.default_rng([settings.seed, 2, 7_919, k])
        sim.step(fork_day + 1, end, record_from, fork_day)
        out.append(_result(sim, settings, lam).truth)
    return out


def simulate(settings: SynthSettings) -> SimulationResult:
    """Simulate a council and return its episodes, children and true month-end counts."""
    first_year = settings.end_year - settings.years + 1
    record_from = day_number(date(first_year - 1, 4, 1))
    end = day_number(date(settings.end_year, 3, 31))
    start = day_number(date(first_year - 1 - settings.burn_in_years, 4, 1))
    lam = settings.entries_per_year or _calibrate(settings, start, end)
    sim = _Sim(settings, lam, (settings.seed, 2))
    fork_day = day_number(settings.fork_date) if settings.fork_date is not None else None
    sim.run(start, end, record_from, fork_day)
    return _result(sim, settings, lam)

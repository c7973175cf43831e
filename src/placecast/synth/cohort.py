"""A second synthetic council, structurally different from :mod:`placecast.synth.simulate` (issue 16).

The first generator moves children by daily hazards. This one draws each child's journey as a story at
entry: a pathway (a short stay, a stay of a year or two, adoption, or care until adulthood), a length of
stay from that pathway's own distribution (log-normal, gamma or to the 18th birthday), placement moves at
times spread over the stay, and a chance of coming back into care after going home. The council's
calendar moves too: entries follow a trend that changes part-way, with a seasonal pattern and a surge
of unaccompanied asylum-seeking children; entrants get older over the years; the placement mix drifts
toward external residential care; and from a date, older children's "other" placements are recorded as
supported accommodation (a recording change, as in 2023-24).

A future can be re-drawn from a fork date: journeys under way are re-drawn from their state at the fork
(their remaining stay conditional on the time already spent), and entries after it come from the
fork's own stream. The output is a :class:`~placecast.synth.simulate.SimulationResult`, written as
returns by :func:`~placecast.synth.write_returns`.

Rates are illustrative, in the range of England's published figures (DfE, "Children looked after in
England including adoptions"), not estimates for any council.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from placecast.synth import parameters as P
from placecast.synth.simulate import NO_DAY, SimulationResult, day_number, to_date

YEAR = 365.25
# pathway by age band at entry (0, 1-4, 5-9, 10-15, 16-17): short, medium, adoption, long
PATHWAYS = ("short", "medium", "adoption", "long")
PATHWAY_BY_AGE = np.array([[0.25, 0.20, 0.35, 0.20], [0.30, 0.30, 0.15, 0.25], [0.35, 0.35, 0.0, 0.30],
                           [0.45, 0.30, 0.0, 0.25], [0.55, 0.15, 0.0, 0.30]])
# placement mix by age band (CATEGORIES order), before the drift; adoption placements only by pathway
MIX = np.array([
    # kin   inh   ext   resi  rese  sec   sup   par   adop  oth
    [0.30, 0.38, 0.20, 0.00, 0.00, 0.00, 0.00, 0.10, 0.00, 0.02],
    [0.30, 0.35, 0.25, 0.00, 0.01, 0.00, 0.00, 0.08, 0.00, 0.01],
    [0.22, 0.33, 0.30, 0.03, 0.06, 0.00, 0.00, 0.05, 0.00, 0.01],
    [0.12, 0.22, 0.30, 0.06, 0.20, 0.02, 0.00, 0.04, 0.00, 0.04],
    [0.06, 0.10, 0.14, 0.04, 0.16, 0.02, 0.38, 0.02, 0.00, 0.08],
])
DRIFT = {P.CAT["residential_external"]: 0.06, P.CAT["fostering_inhouse"]: -0.02, P.CAT["supported"]: 0.03}
MOVES_PER_YEAR = np.array([0.35, 0.35, 0.45, 0.8, 0.9])
REENTRY = 0.14  # of those who go home, come back within two years
SEASON = 1 + 0.12 * np.cos(2 * np.pi * (np.arange(12) - 9) / 12)  # more entries in autumn (October peak)


@dataclass
class CohortSettings:
    """What to simulate; ``children_in_care`` is the target at the last 31 March."""

    children_in_care: int = 500
    years: int = 5
    end_year: int = 2025
    seed: int = 0
    entry_trend: float = 0.0  # yearly growth of entries before the change point
    trend_after: float | None = None  # and after it (default: half of entry_trend, of the opposite sign)
    change_year: int = 2022  # entries' trend changes on 1 April of this year
    uasc_share: float = 0.08
    uasc_surge: tuple[int, int] = (2022, 2023)  # financial years starting in these years: UASC entries x3
    older_entrants_per_year: float = 0.02  # growth of the share of entrants aged 10+ (relative, a year)
    recording_change: date = date(2023, 10, 28)  # "other" at 16+ recorded as supported accommodation
    burn_in_years: int = 14
    fork_date: date | None = None
    fork_seed: int | None = None
    entries_per_year: float | None = None  # skip calibration (forks of one council share it)
    notes: dict = field(default_factory=dict)


@dataclass
class _Child:
    dob: int
    uasc: bool
    sex: str
    ethnic: str
    cin: str


@dataclass
class _Stay:
    """A stay under way: when it started, its pathway, and the placement and legal status now."""

    start: int
    pathway: str
    cat: int
    ls: str
    place: str = ""  # the recorded placement code and provider (kept until the placement changes)
    provider: str = ""
    recorded: int = -1  # the recorded category


class _Council:
    """The journeys of one council's children, drawn from ``past`` up to the fork and ``future`` after."""

    def __init__(self, s: CohortSettings, lam: float) -> None:
        self.s, self.lam = s, lam
        self.past = np.random.default_rng([s.seed, 16, 1])
        self.future = np.random.default_rng([s.seed, 16, 2, s.fork_seed or 0])
        self.children: list[_Child] = []
        self.episodes: list[dict] = []
        self.returns: list[tuple[int, int]] = []  # (day, child): children coming back into care

    # ---- the calendar -------------------------------------------------------------------
    def entry_rate(self, month_start: date) -> float:
        """Expected entries in the month starting ``month_start``."""
        s = self.s
        years = (month_start - date(s.change_year, 4, 1)).days / YEAR
        after = s.trend_after if s.trend_after is not None else -s.entry_trend / 2
        growth = (1 + s.entry_trend) ** min(years, 0.0) * (1 + after) ** max(years, 0.0)
        return self.lam / 12 * growth * SEASON[month_start.month - 1]

    def mix(self, band: int, t: int) -> np.ndarray:
        """The placement mix for an age band on day ``t``, drifted since 2016."""
        w = MIX[band].copy()
        years = (to_date(t) - date(2016, 4, 1)).days / YEAR
        for cat, drift in DRIFT.items():
            w[cat] *= (1 + drift) ** years
        return w / w.sum()

    def band(self, c: int, t: int) -> int:
        return int(np.searchsorted(P.AGE_BANDS, (t - self.children[c].dob) / YEAR, side="right") - 1)

    def run(self, first: date, last: date, rng: np.random.Generator, after: int | None = None,
            until: int | None = None) -> None:
        """Entries and returns of every month from ``first`` to ``last`` (days after ``after``, up to
        ``until``), each journey drawn whole from ``rng``."""
        month = date(first.year, first.month, 1)
        while month <= last:
            nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            lo, hi = day_number(month), day_number(nxt) - 1
            days = np.sort(rng.integers(lo, hi + 1, rng.poisson(self.entry_rate(month))))
            due = sorted((d, c) for d, c in self.returns if lo <= d <= hi)
            events = sorted([(int(d), -1) for d in days] + due)
            for day, c in events:
                if (after is not None and day <= after) or (until is not None and day > until):
                    continue
                if c < 0:
                    self.enter(day, rng)
                else:
                    self.journey(c, day, "S", rng)
            month = nxt

    # ---- a child's journey ----------------------------------------------------------------
    def enter(self, t: int, rng: np.random.Generator) -> None:
        s = self.s
        fy = to_date(t).year - (1 if to_date(t).month < 4 else 0)
        surge = 3.0 if s.uasc_surge[0] <= fy <= s.uasc_surge[1] else 1.0
        uasc = bool(rng.random() < s.uasc_share * surge / (1 + s.uasc_share * (surge - 1)))
        if uasc:
            age = rng.uniform(14.5, 17.8)
        else:
            weights = P.ENTRY_AGE_WEIGHTS.copy()
            weights[10:] *= (1 + s.older_entrants_per_year) ** ((to_date(t) - date(2016, 4, 1)).days / YEAR)
            age = min(rng.choice(18, p=weights / weights.sum()) + rng.random(), 17.8)  # a stay before 18
        ethnic = rng.choice(P.UASC_ETHNIC) if uasc else rng.choice(P.ETHNIC_CODES, p=P.ETHNIC_WEIGHTS /
                                                                   P.ETHNIC_WEIGHTS.sum())
        cin = "N1" if uasc else rng.choice(P.CIN_CODES, p=P.CIN_WEIGHTS / P.CIN_WEIGHTS.sum())
        sex = "M" if rng.random() < (0.9 if uasc else 0.55) else "F"
        self.children.append(_Child(int(t - age * YEAR), uasc, sex, str(ethnic), str(cin)))
        self.journey(len(self.children) - 1, t, "S", rng)

    def stay(self, pathway: str, c: int, start: int, rng: np.random.Generator, spent: int = 0) -> int:
        """The day the stay that began on ``start`` ends (longer than ``spent`` days; before the 18th birthday)."""
        last = self.children[c].dob + int(18 * YEAR) - 1
        for _ in range(100):
            if pathway == "short":
                days = rng.lognormal(np.log(60), 0.9)
            elif pathway == "medium":
                days = rng.gamma(2.5, 220)
            elif pathway == "adoption":
                days = rng.gamma(8.0, 75)
            else:
                days = last - start
            if days > spent:
                break
        else:
            days = spent + 30
        return int(min(start + max(int(days), 1), last))

    def journey(self, c: int, t: int, rne: str, rng: np.random.Generator) -> None:
        """A new stay from day ``t``: its pathway, first placement and legal status, and its episodes."""
        child, band = self.children[c], self.band(c, t)
        pathway = "long" if child.uasc and rng.random() < 0.5 else str(rng.choice(PATHWAYS, p=PATHWAY_BY_AGE[band]))
        if pathway == "adoption" and child.uasc:
            pathway = "long"
        stay = _Stay(t, pathway, int(rng.choice(10, p=self.mix(band, t))), "V2" if child.uasc or
                     rng.random() < 0.2 else "C2")
        self.record(c, t, self.stay(pathway, c, t, rng), rne, stay, rng)

    def events(self, c: int, t: int, end: int, stay: _Stay, rng: np.random.Generator) -> list[tuple[int, str]]:
        """(day, kind) of the placement moves and legal-status changes between ``t`` and ``end``."""
        n = rng.poisson(MOVES_PER_YEAR[self.band(c, t)] * (end - t) / YEAR) if end > t + 1 else 0
        found = [(int(d), "move") for d in rng.integers(t + 1, end, n)] if n else []
        if stay.ls == "C2" and t < stay.start + 120 < end:
            found.append((stay.start + 120, "order"))  # the interim care order becomes a full order
        if stay.pathway == "adoption" and stay.cat != P.CAT["adoption"]:
            placed = max(t + 1, end - int(rng.uniform(150, 300)))
            if placed < end:
                found = [e for e in found if e[0] < placed] + [(placed, "adoption")]
        return sorted(set(found))

    def record(self, c: int, t: int, end: int, rne: str, stay: _Stay, rng: np.random.Generator,
               moves_from: int | None = None) -> None:
        """The stay's episodes from ``t`` to ``end`` and how it ends; a child who goes home may come back.
        With ``moves_from`` (a fork), the episode begun on ``t`` runs unchanged to the first event after it."""
        for day, kind in self.events(c, t if moves_from is None else max(t, moves_from), end, stay, rng):
            if day <= t:
                continue
            self.add(c, t, day, rne, stay, "X1", rng, "" if kind == "order" else "CARPL")
            t = day
            if kind == "order":
                stay.ls, rne = "C1", "L"
            elif kind == "adoption":
                stay.ls, stay.cat, stay.place, rne = "E1", P.CAT["adoption"], "", "B"
            else:
                w = self.mix(self.band(c, day), day)
                w[stay.cat] = 0.0
                stay.cat, stay.place, rne = int(rng.choice(10, p=w / w.sum())), "", "P"
        rec = self.exit_reason(c, end, stay, rng)
        self.add(c, t, end, rne, stay, rec, rng)
        if rec in ("E4A", "E41") and rng.random() < REENTRY:
            back = end + int(rng.uniform(30, 730))
            if back < self.children[c].dob + int(17.5 * YEAR):
                self.returns.append((back, c))

    def exit_reason(self, c: int, end: int, stay: _Stay, rng: np.random.Generator) -> str:
        age, u = (end - self.children[c].dob) / YEAR, rng.random()
        if age >= 17.9:
            return "E17" if stay.cat in P.FOSTERING and u < 0.3 else "E8" if u < 0.6 else "E5"
        if stay.cat == P.CAT["adoption"]:
            return "E11" if u < 0.6 else "E12"
        if stay.pathway == "long" and age >= 16:
            return "E5" if u < 0.7 else "E6"
        if u < 0.7:
            return "E4A"
        if u < 0.82:
            return "E41"
        return ("E45" if stay.cat in P.FOSTERING else "E47") if u < 0.95 else "E13"

    def add(self, c: int, start: int, end: int, rne: str, stay: _Stay, rec: str, rng: np.random.Generator,
            rpc: str = "") -> None:
        """An episode of the stay; a new placement gets its code (after the recording change, an older child's
        "other" placement is recorded as supported accommodation)."""
        child = self.children[c]
        if not stay.place:
            stay.recorded = stay.cat
            if stay.cat == P.CAT["other"] and start >= day_number(self.s.recording_change) and \
                    (start - child.dob) / YEAR >= 16:
                stay.recorded = P.CAT["supported"]
            stay.place, stay.provider = _code(stay.recorded, (start - child.dob) / YEAR, rng)
        self.episodes.append({"child": c, "decom": start, "dec": end, "rne": rne, "ls": stay.ls, "cin": child.cin,
                              "place": stay.place, "provider": stay.provider, "rec": rec, "rpc": rpc,
                              "cat": stay.recorded, "variant": float(rng.random()), "pathway": stay.pathway,
                              "stay_start": stay.start, "true_cat": stay.cat})

    # ---- re-drawing the future ------------------------------------------------------------
    def redraw_after(self, fork: int) -> None:
        """Cut every journey at ``fork`` and draw what comes after it from the future stream."""
        rng = self.future
        kept, open_at_fork = [], []
        for e in self.episodes:
            if e["decom"] > fork:
                continue
            if e["dec"] > fork:
                open_at_fork.append(e)
            else:
                kept.append(e)
        self.episodes = kept
        self.returns = [(d, c) for d, c in self.returns if d <= fork]
        for e in open_at_fork:
            c = e["child"]
            stay = _Stay(e["stay_start"], e["pathway"], int(e["true_cat"]), e["ls"], e["place"], e["provider"],
                         int(e["cat"]))
            end = self.stay(stay.pathway, c, stay.start, rng, fork - stay.start)
            self.record(c, e["decom"], max(end, fork + 1), e["rne"], stay, rng, moves_from=fork)
        home = {e["child"]: e["dec"] for e in kept if e["rec"] in ("E4A", "E41")}
        still_out = {c for c in home if not any(x["child"] == c and x["decom"] > home[c] for x in self.episodes)}
        for c in sorted(still_out):  # children gone home before the fork: their return re-drawn
            window = home[c] + 730 - fork
            if window > 0 and rng.random() < REENTRY * window / 700:
                back = fork + int(rng.uniform(1, window))
                if back < self.children[c].dob + int(17.5 * YEAR):
                    self.returns.append((back, c))


def _result(council: _Council, s: CohortSettings, record_from: int, end: int) -> SimulationResult:
    episodes = pd.DataFrame(council.episodes).sort_values(["child", "decom"], kind="stable").reset_index(drop=True)
    open_end = episodes["dec"] > end
    episodes.loc[open_end, "dec"] = NO_DAY
    episodes.loc[open_end, "rec"] = ""
    episodes = episodes.drop(columns=["pathway", "stay_start", "true_cat"])
    kids = council.children
    children = pd.DataFrame({"child": np.arange(len(kids)), "id": [str(1_000_000 + 7 * i + s.seed % 7)
                                                                   for i in range(len(kids))],
                             "dob": [k.dob for k in kids], "sex": [k.sex for k in kids],
                             "ethnic": [k.ethnic for k in kids], "uasc": [k.uasc for k in kids],
                             "short_breaks": False})
    return SimulationResult(episodes, children, truth(episodes, record_from, end), s,  # type: ignore[arg-type]
                            entries_per_year=council.lam)


def truth(episodes: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Children in care by recorded category at every month end from ``first`` to ``last``."""
    ends = pd.date_range(to_date(first), to_date(last), freq="ME")
    dec = episodes["dec"].where(episodes["dec"] != NO_DAY, np.iinfo(np.int64).max)
    rows = []
    for d in ends:
        n = day_number(d.date())
        live = episodes[(episodes["decom"] <= n) & (dec > n)].drop_duplicates("child", keep="last")
        counts = np.bincount(live["cat"].to_numpy(int), minlength=len(P.CATEGORIES))
        rows += [{"date": d.date().isoformat(), "category": name, "children": int(counts[i])}
                 for i, name in enumerate(P.CATEGORIES)]
        rows.append({"date": d.date().isoformat(), "category": "total", "children": int(counts.sum())})
    return pd.DataFrame(rows, columns=["date", "category", "children"])


def _simulate(s: CohortSettings, lam: float) -> tuple[_Council, int, int]:
    first_year = s.end_year - s.years + 1
    start = date(first_year - 1 - s.burn_in_years, 4, 1)
    end, record_from = day_number(date(s.end_year, 3, 31)), day_number(date(first_year - 1, 4, 1))
    council = _Council(s, lam)
    fork = day_number(s.fork_date) if s.fork_date else None
    council.run(start, date(s.end_year, 3, 31), council.past, until=fork)
    if fork is not None:
        council.redraw_after(fork)
        council.run(s.fork_date, date(s.end_year, 3, 31), council.future, after=fork)  # type: ignore[arg-type]
    return council, record_from, end


def simulate_cohort(s: CohortSettings) -> SimulationResult:
    """A council from this generator (entries calibrated to ``children_in_care`` at the last 31 March)."""
    lam = s.entries_per_year or _calibrate(s)
    council, record_from, end = _simulate(s, lam)
    return _result(council, s, record_from, end)


def _calibrate(s: CohortSettings) -> float:
    """Entries a year that give about ``children_in_care`` at the end (the stock is proportional to them)."""
    lam = s.children_in_care * 0.7
    for _ in range(2):
        council, record_from, end = _simulate(replace(s, fork_date=None, fork_seed=None), lam)
        frame = pd.DataFrame(council.episodes)
        stock = int(((frame["decom"] <= end) & (frame["dec"] > end)).groupby(frame["child"]).any().sum())
        lam *= s.children_in_care / max(stock, 1)
    return lam


def cohort_forks(s: CohortSettings, fork_date: date, seeds: list[int]) -> list[pd.DataFrame]:
    """The true month-end counts of each re-drawn future after ``fork_date`` (the same past)."""
    return [simulate_cohort(replace(s, fork_date=fork_date, fork_seed=k)).truth for k in seeds]


def _code(cat: int, age: float, rng: np.random.Generator) -> tuple[str, str]:
    """A placement code and provider for a category (this generator's own recording)."""
    name, u = P.CATEGORIES[cat], rng.random()
    table = {"fostering_kinship": ("U3" if u < 0.6 else "U1", "PR1"),
             "fostering_inhouse": ("U6" if u < 0.6 else "U4", "PR1"),
             "fostering_external": ("U6" if u < 0.55 else "U4", "PR4" if u < 0.85 else "PR5"),
             "residential_inhouse": ("K2", "PR1"),
             "residential_external": ("K2" if u < 0.93 or age < 4 else "S1", "PR4"),
             "secure": ("K1", "PR2" if u < 0.5 else "PR1"),
             "supported": ("H5", "PR4" if u < 0.75 else "PR1"),
             "with_parents": ("P1", "PR0"),
             "adoption": ("A6" if u < 0.7 else "A4", "PR1"),
             "other": ("R2", "PR3") if age < 16 else ("Z1", "PR4")}
    return table[name]

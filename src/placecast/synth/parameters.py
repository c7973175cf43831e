"""Parameters of the synthetic council, calibrated loosely to England's published figures.

Sources (DfE, "Children looked after in England including adoptions", 2024, OGL v3; extracts in
``shared/reference/dfe/`` and ``docs/ssda903.md``): about 83,630 children looked after at
31 March 2024 (70 per 10,000); about two thirds in foster placements (a fifth of them with family
or friends, a third with agencies); about 1 in 9 in children's homes, mostly private; about 1 in
11 in supported or independent accommodation (mostly aged 16-17 and many UASC); about 6% placed
with parents; 2% placed for adoption; UASC about 9% of children looked after. Starters are
younger than the stock: about a fifth under 1. The rates below are illustrative, not estimates.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = [
    "fostering_kinship", "fostering_inhouse", "fostering_external", "residential_inhouse",
    "residential_external", "secure", "supported", "with_parents", "adoption", "other",
]
CAT = {name: i for i, name in enumerate(CATEGORIES)}
FOSTERING = [CAT["fostering_kinship"], CAT["fostering_inhouse"], CAT["fostering_external"]]

# Age at entry (non-UASC): probability of each single year of age 0..17.
ENTRY_AGE_WEIGHTS = np.array(
    [0.20, 0.04, 0.035, 0.035, 0.03, 0.032, 0.032, 0.032, 0.032, 0.032,
     0.05, 0.055, 0.06, 0.07, 0.075, 0.075, 0.06, 0.045]
)
ENTRY_AGE_WEIGHTS = ENTRY_AGE_WEIGHTS / ENTRY_AGE_WEIGHTS.sum()

# First placement by age band (rows: 0, 1-4, 5-9, 10-15, 16-17), columns in CATEGORIES order.
AGE_BANDS = np.array([0, 1, 5, 10, 16])
FIRST_PLACEMENT = np.array([
    # kin   inh   ext   resi  rese  sec   sup   par   adop  oth
    [0.22, 0.40, 0.18, 0.00, 0.00, 0.00, 0.00, 0.12, 0.00, 0.08],
    [0.26, 0.38, 0.22, 0.00, 0.01, 0.00, 0.00, 0.12, 0.00, 0.01],
    [0.22, 0.35, 0.27, 0.02, 0.05, 0.00, 0.00, 0.08, 0.00, 0.01],
    [0.14, 0.26, 0.26, 0.04, 0.19, 0.02, 0.00, 0.05, 0.00, 0.04],
    [0.07, 0.12, 0.14, 0.03, 0.16, 0.02, 0.40, 0.02, 0.00, 0.04],
])
# Where a move goes, by age band (no moves into adoption here: that is its own pathway).
MOVE_TO = np.array([
    [0.20, 0.45, 0.25, 0.00, 0.00, 0.00, 0.00, 0.10, 0.00, 0.00],
    [0.22, 0.42, 0.26, 0.00, 0.02, 0.00, 0.00, 0.08, 0.00, 0.00],
    [0.18, 0.38, 0.30, 0.03, 0.07, 0.00, 0.00, 0.04, 0.00, 0.00],
    [0.10, 0.26, 0.28, 0.05, 0.24, 0.02, 0.00, 0.03, 0.00, 0.02],
    [0.05, 0.12, 0.14, 0.03, 0.18, 0.01, 0.45, 0.01, 0.00, 0.01],
])
UASC_FIRST = np.array([0.0, 0.10, 0.30, 0.0, 0.02, 0.0, 0.58, 0.0, 0.0, 0.0])

# Annual placement-move rates by category.
MOVE_RATE = np.array([0.10, 0.28, 0.28, 0.35, 0.38, 2.0, 0.30, 0.25, 0.02, 1.2])
# Annual return-home rate by category, before the time-in-care factor.
HOME_RATE = np.array([0.22, 0.30, 0.26, 0.20, 0.18, 0.9, 0.10, 0.35, 0.0, 0.6])
# Annual special guardianship / child arrangements order rate (after 6 months in care), by category.
SGO_RATE = np.array([0.30, 0.05, 0.04, 0.0, 0.0, 0.0, 0.0, 0.02, 0.0, 0.0])
# Time-in-care multipliers of the return-home rate: <3 months, 3-12, 12-24, 24+.
TIC_EDGES = np.array([91, 365, 730])
TIC_FACTOR = np.array([3.0, 1.1, 0.6, 0.3])

ADOPTION_PLAN_SHARE = 0.45   # of children entering under 4 (not UASC)
DRIFT_PER_YEAR = {"residential_external": 0.05, "fostering_external": 0.02, "fostering_inhouse": -0.01}

SEX_MALE = 0.56
CIN_CODES = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"]
CIN_WEIGHTS = np.array([0.64, 0.02, 0.03, 0.08, 0.14, 0.02, 0.002, 0.068])
ETHNIC_CODES = ["WBRI", "WOTH", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "BCRB", "BAFR", "BOTH", "OOTH",
                "WIRI", "AOTH", "NOBT"]
ETHNIC_WEIGHTS = np.array([0.70, 0.05, 0.03, 0.02, 0.02, 0.04, 0.01, 0.02, 0.02, 0.03, 0.02, 0.02, 0.005, 0.01,
                           0.005])
UASC_ETHNIC = ["AOTH", "BAFR", "OOTH", "BOTH", "WOTH"]

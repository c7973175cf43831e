"""The levers a recovery programme pulls, and the names plans give their interventions.

Realised avoidance is measured by lever (fewer entries, shorter stays, cheaper placements); a plan's
intervention counts against the lever its name says. A name Placecast does not know is an error in the plan
file, not an intervention left out of the tracker.

>>> lever_of("Step-down")
'placement_mix'
>>> check_intervention("Stepdown")
Traceback (most recent call last):
...
ValueError: not an intervention Placecast can track (did you mean 'step-down'?); name it as one of: prevention, ...
"""

from __future__ import annotations

import difflib
import re

LEVERS = {"entries": "Fewer entries (edge of care, prevention)",
          "shorter_stays": "Shorter stays (reunification, returns home)",
          "placement_mix": "Cheaper placements (step-downs, in-house instead of external)"}
OUT_OF_CARE = "out of care"  # where a logged move went when the child left care (home, or otherwise)
# how plans name their interventions, to the lever that realises them
LEVER_OF = {"prevention": "entries", "edge of care": "entries", "edge_of_care": "entries", "entries": "entries",
            "reunification": "shorter_stays", "returns home": "shorter_stays", "intensive support": "shorter_stays",
            "shorter_stays": "shorter_stays", "step-down": "placement_mix", "step_down": "placement_mix",
            "step down": "placement_mix", "foster carer recruitment": "placement_mix", "new home": "placement_mix",
            "in-house": "placement_mix", "placement_mix": "placement_mix"}


def lever_of(name: str) -> str | None:
    """The lever an intervention named in a plan realises (None when the name is not one Placecast knows)."""
    return LEVER_OF.get(name.strip().lower())


def intervention_key(name: str) -> str:
    """A name as it is compared between a plan's ``planned:`` and its log: case, spaces, hyphens and
    underscores aside ('Step-down', 'step down' and 'STEP_DOWN' are one intervention).

    >>> intervention_key(" Step_Down ") == intervention_key("step-down")
    True
    """
    return re.sub(r"[\s_-]+", " ", name.strip().lower())


def check_intervention(name: str) -> str:
    """``name`` when it names an intervention Placecast can track; otherwise a ValueError that says which
    names it knows (and the nearest one)."""
    if lever_of(name) is None:
        names = [n for n in LEVER_OF if "_" not in n and n not in LEVERS]  # as people write them
        near = difflib.get_close_matches(name.strip().lower(), names, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise ValueError(f"not an intervention Placecast can track{hint}; name it as one of: {', '.join(names)}")
    return name

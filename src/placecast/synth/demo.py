"""The demo council: a synthetic council of about 500 children in care, returns 2021/22 to 2025/26.

``placecast demo`` and a report configuration that says ``data: builtin:demo`` use the same council, so
``placecast defaults report-config`` followed by ``placecast report`` reproduces the demo's figures.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from placecast.synth.returns import write_returns
from placecast.synth.simulate import SynthSettings, simulate

DEMO_SEED = 42
DEMO_KEY = b"placecast-demo-key-synthetic-data-only"
DEMO_SETTINGS = SynthSettings(children_in_care=500, years=5, end_year=2026, seed=DEMO_SEED)


def write_demo_returns(out: Path, seed: int = DEMO_SEED) -> dict:
    """Write the demo council's yearly returns (and its ground truth) under ``out``."""
    settings = SynthSettings(children_in_care=DEMO_SETTINGS.children_in_care, years=DEMO_SETTINGS.years,
                             end_year=DEMO_SETTINGS.end_year, seed=seed)
    return write_returns(simulate(settings), Path(out))


def demo_history(seed: int = DEMO_SEED):
    """The demo council's assembled history and validated returns (pseudonymised with the demo key)."""
    from placecast.ssda903 import ingest

    with tempfile.TemporaryDirectory() as folder:
        write_demo_returns(Path(folder), seed)
        return ingest([Path(folder)], DEMO_KEY)

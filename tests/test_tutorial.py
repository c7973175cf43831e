"""The tutorial in docs/ runs, and its outturn is the library's."""

from __future__ import annotations

import runpy
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.py"


def test_the_tutorial_takes_an_analyst_from_returns_to_the_outturn(tmp_path, capsys):
    module = runpy.run_path(str(TUTORIAL))
    out = module["main"](tmp_path)
    printed = capsys.readouterr().out
    head = out["headline"]
    assert f"£{head['deficit_after_reserves']:,}k" in printed
    assert head["cash_limit"] == 27_600 + 1_200 + 18_400 + 310 + 3_900 + 6_200  # the demo budget, £000
    assert out["forecast"].counts.dims == ("run", "month_end", "category")

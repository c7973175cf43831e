"""Every planted error is reported at its file, line and column; at least 20 kinds are planted."""

from __future__ import annotations

import pandas as pd
import pytest

from placecast.ssda903 import validate


@pytest.fixture(scope="module")
def planted(planted_council):
    return pd.read_csv(planted_council / "planted_errors.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def found(planted_council):
    return validate([planted_council]).findings


def test_at_least_twenty_kinds_are_planted(planted):
    assert len(planted) >= 40
    assert planted["rule"].nunique() >= 20
    assert planted["description"].nunique() >= 30


def test_every_planted_error_is_reported_where_it_was_planted(planted, found):
    located = {(f.file, f.line, f.column, f.rule) for f in found}
    missed = [r for r in planted.itertuples() if (r.file, int(r.line), r.column, r.rule) not in located]
    assert missed == []


def test_planted_errors_make_validate_fail(found):
    assert found.errors

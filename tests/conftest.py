"""Shared fixtures: synthetic councils written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from placecast.synth import SynthSettings, simulate, write_returns

pytest_plugins = ["cases_plugin"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
KEY = b"test-key-not-secret"


@pytest.fixture(scope="session")
def clean_council(tmp_path_factory) -> Path:
    """About 500 children in care, 5 yearly returns ending 2025/26, no planted errors."""
    out = tmp_path_factory.mktemp("clean") / "returns"
    write_returns(simulate(SynthSettings(children_in_care=500, years=5, end_year=2026, seed=11)), out)
    return out


@pytest.fixture(scope="session")
def planted_council(tmp_path_factory) -> Path:
    """The same kind of council with 45 planted errors of every kind."""
    out = tmp_path_factory.mktemp("planted") / "returns"
    write_returns(simulate(SynthSettings(children_in_care=300, years=5, end_year=2026, seed=5)), out, plant=45)
    return out


@pytest.fixture()
def key(monkeypatch) -> bytes:
    monkeypatch.setenv("PLACECAST_KEY", KEY.decode())
    return KEY


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bless", action="store_true", default=False,
                     help="Rewrite the golden files from this run (then review the diff with git diff).")


@pytest.fixture()
def bless(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files (make bless)."""
    return bool(request.config.getoption("--bless"))

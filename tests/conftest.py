"""Shared fixtures: synthetic councils written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from placecast.synth import SynthSettings, simulate, write_returns

pytest_plugins = ["cases_plugin", "web_fixtures"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
KEY = b"test-key-not-secret-but-long-enough-to-use"


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


POSTGRES_ENV = "PLACECAST_TEST_POSTGRES"  # an admin URL of a PostgreSQL server (set by .ci/run)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty store: a SQLite file, and a new database on the PostgreSQL server of
    PLACECAST_TEST_POSTGRES (CI sets it and PLACECAST_REQUIRE_POSTGRES; elsewhere it may be skipped)."""
    import os
    import uuid

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        if os.environ.get("PLACECAST_REQUIRE_POSTGRES"):
            pytest.fail(f"{POSTGRES_ENV} is not set: the store's tests must run on PostgreSQL here")
        pytest.skip(f"no PostgreSQL server ({POSTGRES_ENV} not set; .ci/postgres starts one)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"placecast_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

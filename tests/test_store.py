"""The dataset store: content-hashed imports, idempotent, all-or-nothing."""

from __future__ import annotations

import pytest

from placecast.ssda903 import assemble, read_returns, validate_returns
from placecast.store import Store
from placecast.store.db import StoreError

from builders import mini_return


def _load(root, key):
    rs = read_returns([root])
    v = validate_returns(rs)
    return rs, v, assemble(v, key)


def test_importing_the_same_files_twice_is_a_no_op(tmp_path, key):
    rs, v, h = _load(mini_return(tmp_path / "r"), key)
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ds, created = store.import_dataset(rs.files, h, v.findings)
    again, created_again = store.import_dataset(rs.files, h, v.findings)
    assert created and not created_again and again.id == ds.id
    assert store.count("datasets") == 1 and store.count("episodes") == 4 and store.count("audit_log") == 1


def test_a_failed_import_leaves_the_database_as_it_was(tmp_path, key, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    rs, v, h = _load(mini_return(tmp_path / "a"), key)
    store.import_dataset(rs.files, h, v.findings)
    before = {t: store.count(t) for t in ("datasets", "episodes", "repairs", "findings", "audit_log")}
    rs2, v2, h2 = _load(mini_return(tmp_path / "b", episodes=[]), key)
    h2.episodes = h.episodes.assign(source=None)  # NOT NULL column: the insert fails half-way
    with pytest.raises(StoreError, match="rolled back"):
        store.import_dataset(rs2.files, h2, v2.findings)
    after = {t: store.count(t) for t in before}
    assert after == before


def test_ingest_writes_nothing_when_the_input_is_unusable(tmp_path, key):
    from typer.testing import CliRunner

    from placecast.cli import app

    (tmp_path / "r" / "2024").mkdir(parents=True)
    (tmp_path / "r" / "2024" / "x.csv").write_bytes(b"\x00\x01")
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "r"), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert not (tmp_path / "out").exists()


def test_strict_ingest_writes_nothing_when_there_are_errors(tmp_path, key):
    from typer.testing import CliRunner

    from placecast.cli import app

    root = mini_return(tmp_path / "r", header=[])
    result = CliRunner().invoke(app, ["ingest", str(root), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()

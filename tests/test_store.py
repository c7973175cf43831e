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


def test_importing_the_same_files_twice_is_a_no_op(tmp_path, key, store_url):
    rs, v, h = _load(mini_return(tmp_path / "r"), key)
    store = Store(store_url)
    ds, created = store.import_dataset(rs.files, h, v.findings)
    again, created_again = store.import_dataset(rs.files, h, v.findings)
    assert created and not created_again and again.id == ds.id
    assert store.count("datasets") == 1 and store.count("episodes") == 4 and store.count("audit_log") == 1


def test_a_failed_import_leaves_the_database_as_it_was(tmp_path, key, monkeypatch, store_url):
    store = Store(store_url)
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


def test_the_schema_is_made_by_the_migrations_and_is_the_models(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from placecast.store.db import Base

    store = Store(store_url)
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0004"
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert [d for d in diff if d[0] not in ("remove_table",)] == []
    assert {"datasets", "episodes", "repairs", "findings", "audit_log", "store_settings"} <= set(
        inspect(store.engine).get_table_names())
    store.engine.dispose()


def test_a_store_made_before_migrations_is_upgraded_in_place(tmp_path, key):
    import sqlalchemy as sa

    from placecast.store.db import FindingRow

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = sa.MetaData()
    later = {("findings", "dfe_rule"), ("datasets", "council"), ("audit_log", "ip"), ("audit_log", "council")}
    for table in Store.__init__.__globals__["Base"].metadata.sorted_tables:
        if table.name not in ("datasets", "episodes", "repairs", "findings", "audit_log"):  # the first release's
            continue
        cols = [c._copy() for c in table.columns if (table.name, c.name) not in later]
        sa.Table(table.name, old, *cols)
    old.create_all(sa.create_engine(url))
    rs, v, h = _load(mini_return(tmp_path / "r"), key)
    store = Store(url)
    ds, created = store.import_dataset(rs.files, h, v.findings)
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0004"
        assert c.execute(sa.select(FindingRow.dfe_rule)).scalars().all() == [f.dfe_rule for f in v.findings]
    assert created


def test_a_store_refuses_returns_pseudonymised_with_another_key(store_url):
    from placecast.ssda903.pseudonym import KeyMismatchError, fingerprint

    store = Store(store_url)
    store.claim_key(fingerprint(b"first"))
    store.claim_key(fingerprint(b"first"))
    with pytest.raises(KeyMismatchError, match="another key"):
        store.claim_key(fingerprint(b"second"))
    store.engine.dispose()


def test_the_embedded_store_keeps_a_write_ahead_log_so_pages_and_jobs_do_not_wait_for_each_other(tmp_path):
    """A reader holding a transaction open (a page) does not stop a writer (a job's progress) in SQLite's
    write-ahead-log mode; in the default mode the write would wait for the reader."""
    import sqlite3

    from sqlalchemy import text

    from placecast.store import Store

    db = tmp_path / "placecast.sqlite"
    store = Store(f"sqlite:///{db}")
    with store.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM audit_log").fetchall()  # a read transaction left open
    writer = sqlite3.connect(db, timeout=0.1)
    writer.execute("CREATE TABLE progress (note TEXT)")
    writer.execute("INSERT INTO progress VALUES ('half way')")
    writer.commit()  # would raise 'database is locked' without the log
    assert writer.execute("SELECT note FROM progress").fetchall() == [("half way",)]
    reader.close()
    writer.close()


def test_a_database_that_cannot_be_opened_is_named_without_its_password():
    """The message printed the URL with its password; postgres:// (as some hosts write it) was 'no driver'."""
    with pytest.raises(StoreError) as info:
        Store("postgres://placecast:hunter2-secret@127.0.0.1:1/placecast")
    said = str(info.value)
    assert "Cannot open the database postgresql+psycopg://placecast:***@127.0.0.1:1/placecast" in said
    assert "hunter2" not in said and "database URL is right" in said


def test_a_port_already_taken_is_refused_before_the_server_starts():
    import socket

    from placecast.errors import UnusableInputError
    from placecast.web.serve import check_port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UnusableInputError, match=f"port {port}.*already running there"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)  # free again


def test_a_second_server_on_the_same_data_folder_is_refused_before_it_touches_the_jobs(tmp_path):
    """A second 'placecast serve' on another port marked the first one's running jobs failed as it started."""
    import subprocess
    import sys

    from placecast.errors import UnusableInputError
    from placecast.web.serve import hold_data_folder

    first = hold_data_folder(tmp_path / "data")
    code = ("import sys; from placecast.web.serve import hold_data_folder\n"
            "try:\n    hold_data_folder(sys.argv[1])\nexcept Exception as exc:\n    print(exc); sys.exit(2)\n")
    other = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True,
                           timeout=120)
    assert other.returncode == 2 and "Another Placecast server is already serving the data folder" in other.stdout
    with pytest.raises(UnusableInputError, match="already serving"):  # in this process too
        hold_data_folder(tmp_path / "data")
    first.release()
    hold_data_folder(tmp_path / "data").release()  # free again once the first has stopped

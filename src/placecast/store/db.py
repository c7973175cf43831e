"""SQLAlchemy models and the Store: datasets, their files, episodes, repairs, findings, audit log."""

from __future__ import annotations

import getpass
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import JSON, DateTime, Engine, ForeignKey, Integer, String, create_engine, event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from placecast.errors import PlacecastError
from placecast.ssda903.assemble import History
from placecast.ssda903.findings import Findings

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///placecast.sqlite"


class StoreError(PlacecastError):
    """The database could not be opened or written."""


class Base(DeclarativeBase):
    """The declarative base of the store's tables."""

    pass


class Dataset(Base):
    """An imported dataset: its content hash, files and counts (immutable once stored)."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    files: Mapped[list] = mapped_column(JSON)
    years: Mapped[list] = mapped_column(JSON)
    census_date: Mapped[str] = mapped_column(String(10))
    episodes: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)
    council: Mapped[str] = mapped_column(String(60), server_default="")  # the web workspace, "" from the CLI


class EpisodeRow(Base):
    """An episode of the assembled history, in the store."""

    __tablename__ = "episodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    child_id: Mapped[str] = mapped_column(String(32), index=True)
    period_id: Mapped[str] = mapped_column(String(40))
    dob: Mapped[str | None] = mapped_column(String(10), nullable=True)
    sex: Mapped[str] = mapped_column(String(2))
    uasc: Mapped[int] = mapped_column(Integer)
    start: Mapped[str] = mapped_column(String(10))
    end: Mapped[str | None] = mapped_column(String(10), nullable=True)
    place: Mapped[str] = mapped_column(String(4))
    provider: Mapped[str] = mapped_column(String(4))
    ls: Mapped[str] = mapped_column(String(4))
    cin: Mapped[str] = mapped_column(String(4))
    rne: Mapped[str] = mapped_column(String(2))
    rec: Mapped[str] = mapped_column(String(4))
    category: Mapped[str] = mapped_column(String(40))
    short_break: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))
    repair: Mapped[str] = mapped_column(String(80))


class RepairRow(Base):
    """A repair made when assembling, in the store."""

    __tablename__ = "repairs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    child_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(80))
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str] = mapped_column(String(40))
    new: Mapped[str] = mapped_column(String(40))
    why: Mapped[str] = mapped_column(String(400))


class FindingRow(Base):
    """A validation finding, in the store."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    file: Mapped[str] = mapped_column(String(500))
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(String(1000))
    dfe_rule: Mapped[str] = mapped_column(String(40), server_default="")


class SettingRow(Base):
    """A setting of the store itself, such as the fingerprint of its pseudonymisation key."""

    __tablename__ = "store_settings"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class AuditRow(Base):
    """An entry of the append-only audit log."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(String(1000))
    ip: Mapped[str] = mapped_column(String(64), server_default="")
    council: Mapped[str] = mapped_column(String(60), server_default="")


def migrate(engine: Engine) -> None:
    """Bring the database's tables to the newest schema with Alembic (a store made before migrations
    existed is recognised as the first revision)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    config = Config()
    config.set_main_option("script_location", "placecast.store:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = inspect(connection)
        if tables.has_table("datasets") and not tables.has_table("alembic_version"):
            command.stamp(config, "0001")
        command.upgrade(config, "head")


def content_hash(files: Sequence[Path]) -> str:
    """SHA-256 over the files' names (within their year folder) and bytes, in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(Path(f) for f in files):
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _text_date(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _write_ahead_log(dbapi_connection, _record) -> None:
    """SQLite in write-ahead-log mode: readers (the web pages) and a writer (a job recording its progress,
    a sign-in) no longer wait for each other; commits stay fully synchronous. A file on a network drive
    cannot be shared this way, which the embedded store never is."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Store:
    """A Placecast database. ``Store("sqlite:///path.sqlite")`` or a PostgreSQL URL."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            parsed = make_url(url)
            if parsed.drivername in ("postgresql", "postgres"):  # the driver Placecast installs (placecast[postgres])
                parsed = parsed.set(drivername="postgresql+psycopg")  # postgres://, as some hosts write it
                url = parsed.render_as_string(hide_password=False)
        except ArgumentError as exc:
            raise StoreError("That is not a database URL. Write sqlite:///path/to/placecast.sqlite for a file, or "
                             "postgresql://user@host/database for a PostgreSQL server.") from exc
        self.url = url
        self.shown = shown = parsed.render_as_string(hide_password=True)  # never a password in a message or log
        try:
            sqlite = url.startswith("sqlite")  # several processes (web jobs) may write: wait for the lock
            self.engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
            if sqlite:
                event.listen(self.engine, "connect", _write_ahead_log)
            migrate(self.engine)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise StoreError(f"No driver for the database {shown} ({exc}). Placecast opens SQLite files "
                             "(sqlite:///...) and PostgreSQL servers (postgresql://...; its driver: pip install "
                             "'psycopg[binary]').") from exc
        except SQLAlchemyError as exc:
            detail = str(exc.args[0] if exc.args else "").replace(url, shown)
            raise StoreError(f"Cannot open the database {shown}: {exc.__class__.__name__} ({detail}). Check that it "
                             "can be reached and that the database URL is right.") from exc

    def claim_key(self, key_fingerprint: str) -> None:
        """Record the fingerprint of the store's pseudonymisation key, or refuse a different one."""
        from placecast.ssda903.pseudonym import KeyMismatchError

        try:
            with Session(self.engine) as s, s.begin():
                row = s.get(SettingRow, "key_fingerprint")
                if row is None:
                    s.add(SettingRow(name="key_fingerprint", value=key_fingerprint))
                    return
                known = row.value
        except SQLAlchemyError as exc:
            raise StoreError(f"Cannot read the settings of {self.shown}: {exc.__class__.__name__}.") from exc
        if known != key_fingerprint:
            raise KeyMismatchError(
                f"The database {self.shown} holds data pseudonymised with another key (fingerprint {known}, this key "
                f"{key_fingerprint}). Storing these returns with this key would give the same children different "
                "ids. Use the key the store was made with (--key-file or PLACECAST_KEY), or another --db.")

    def datasets(self) -> list[Dataset]:
        """Every stored dataset, newest first."""
        with Session(self.engine) as s:
            return list(s.scalars(select(Dataset).order_by(Dataset.id)))

    def find(self, digest: str) -> Dataset | None:
        """The dataset with this content hash, or None."""
        with Session(self.engine) as s:
            return s.scalars(select(Dataset).where(Dataset.content_hash == digest)).first()

    def import_dataset(self, files: Sequence[Path], history: History, findings: Findings, council: str = "",
                       user: str | None = None, then: Callable[[Dataset], object] | None = None
                       ) -> tuple[Dataset, bool]:
        """Store a dataset in one transaction (``council``: the web workspace it belongs to). Returns
        ``(dataset, created)``; same files: no-op. ``then`` (writing the files that go with the dataset) is
        called with the dataset before the transaction commits: if it fails or is interrupted, nothing is
        stored."""
        digest = content_hash(files)
        existing = self.find(digest)
        if existing is not None:
            if then is not None:
                then(existing)
            return existing, False
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as s, s.begin():
                ds = Dataset(content_hash=digest, created_at=now, created_by=user or _user(), council=council,
                             files=[str(f) for f in files], years=list(history.years),
                             census_date=history.census_date.isoformat(), episodes=len(history.episodes),
                             errors=len(findings.errors), warnings=len(findings.warnings))
                s.add(ds)
                s.flush()
                ep = history.episodes
                records = [
                    {"dataset_id": ds.id, "child_id": r.child_id, "period_id": r.period_id, "dob": _text_date(r.dob),
                     "sex": r.sex, "uasc": int(bool(r.uasc)), "start": _text_date(r.start), "end": _text_date(r.end),
                     "place": r.place, "provider": r.provider, "ls": r.ls, "cin": r.cin, "rne": r.rne,
                     "rec": r.rec, "category": r.category, "short_break": int(bool(r.short_break)),
                     "source": r.source, "repair": r.repair}
                    for r in ep.itertuples(index=False)
                ]
                if records:
                    s.execute(insert(EpisodeRow), records)
                reps = [{"dataset_id": ds.id, **{k: str(v) for k, v in rec.items()}}
                        for rec in history.repairs.to_dict("records")]
                if reps:
                    s.execute(insert(RepairRow), reps)
                finds = [{"dataset_id": ds.id, **rec} for rec in findings.to_records()]
                if finds:
                    s.execute(insert(FindingRow), finds)
                s.add(AuditRow(at=now, user=user or _user(), action="import", council=council,
                               detail=f"dataset {digest[:12]}: {len(files)} files, {len(ep)} episodes"))
                s.flush()
                if then is not None:
                    then(ds)
                s.expunge(ds)
        except SQLAlchemyError as exc:
            raise StoreError(f"The import into {self.shown} failed and was rolled back: {exc.__class__.__name__}. "
                             "Nothing was changed.") from exc
        return ds, True

    def count(self, table: str) -> int:
        """The number of rows of ``table`` for a dataset."""
        model = {"datasets": Dataset, "episodes": EpisodeRow, "repairs": RepairRow, "findings": FindingRow,
                 "audit_log": AuditRow}[table]
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

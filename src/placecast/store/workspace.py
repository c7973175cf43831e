"""The web application's tables (migrations 0003 and 0004): council workspaces, users, saved scenarios, background
jobs, commentary written in the page and the archive of quarterly reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from placecast.store.db import Base

TZ = DateTime(timezone=True)


class Council(Base):
    """A council's workspace: its files live in a folder named by the slug."""

    __tablename__ = "councils"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), server_default="")
    created_at: Mapped[datetime] = mapped_column(TZ)


class User(Base):
    """A person who signs in: a local password (Argon2id hash) or an OpenID Connect subject."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), server_default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    role: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(100), server_default="")  # a regional user sees its councils
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZ)


class UserCouncil(Base):
    """A council a user has been given."""

    __tablename__ = "user_councils"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), primary_key=True)


class SavedScenario(Base):
    """A scenario's levers as set in the planner; ``shared`` makes it visible to the council's team."""

    __tablename__ = "saved_scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    levers: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)


class Job(Base):
    """Long work run in the background: its status, progress and (aggregate) result."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("councils.id"), index=True, nullable=True)
    region: Mapped[str] = mapped_column(String(100), server_default="", index=True)  # a region's job: no council
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), server_default="")
    status: Mapped[str] = mapped_column(String(20))  # queued, running, done, failed
    progress: Mapped[str] = mapped_column(String(400), server_default="")
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZ)
    finished_at: Mapped[datetime | None] = mapped_column(TZ, nullable=True)
    error: Mapped[str] = mapped_column(String(2000), server_default="")
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class CommentaryRow(Base):
    """A paragraph of commentary written in the page; the newest per subject is the one in effect."""

    __tablename__ = "commentary"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(80))  # "indicator:<id>" or "section:<id>"
    text: Mapped[str] = mapped_column(String(4000))
    written_by: Mapped[str] = mapped_column(String(200))
    written_at: Mapped[datetime] = mapped_column(TZ)


class ArchivedReport(Base):
    """A quarterly report as generated: its folder and its HTML, PDF and Excel files."""

    __tablename__ = "report_archive"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(20))
    folder: Mapped[str] = mapped_column(String(500))
    files: Mapped[dict] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(String(200))
    made_at: Mapped[datetime] = mapped_column(TZ)

"""The audit trail: one append-only row per sign-in (and failed sign-in), upload, run, export, change and
view of child-level data, with who, when, what, which council and from where. The database refuses to
change or delete a row (migration 0003)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from defusedcsv import csv
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from placecast.store.db import AuditRow


def record(engine: Engine, user: str, action: str, detail: str = "", council: str = "", ip: str = "") -> None:
    """Append one entry. ``detail`` must describe what was done, never a child's data."""
    with Session(engine) as s, s.begin():
        s.add(AuditRow(at=datetime.now(UTC), user=user, action=action, detail=detail[:1000], council=council,
                       ip=ip[:64]))


@dataclass(frozen=True)
class AuditQuery:
    """A search of the trail: any of user, action, council, text in the detail, and a date range."""

    user: str = ""
    action: str = ""
    council: str = ""
    text: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = 500


def search(engine: Engine, q: AuditQuery) -> list[AuditRow]:
    """Entries matching ``q``, newest first."""
    stmt = select(AuditRow).order_by(AuditRow.id.desc())
    if q.user:
        stmt = stmt.where(AuditRow.user == q.user)
    if q.action:
        stmt = stmt.where(AuditRow.action == q.action)
    if q.council:
        stmt = stmt.where(AuditRow.council == q.council)
    if q.text:
        stmt = stmt.where(AuditRow.detail.contains(q.text))
    if q.since:
        stmt = stmt.where(AuditRow.at >= datetime.combine(q.since, datetime.min.time(), UTC))
    if q.until:
        stmt = stmt.where(AuditRow.at < datetime.combine(q.until + timedelta(days=1), datetime.min.time(), UTC))
    with Session(engine) as s:
        return list(s.scalars(stmt.limit(q.limit)))


def to_csv(rows: list[AuditRow]) -> str:
    """The entries as CSV (opens in Excel). A user name typed at sign-in is recorded as typed, so a cell
    may begin with '=': defusedcsv writes such a cell as text, never as a formula Excel would run."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id", "when (UTC)", "user", "action", "council", "from", "detail"])
    for r in rows:
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
        w.writerow([r.id, at.strftime("%Y-%m-%d %H:%M:%S"), r.user, r.action, r.council, r.ip, r.detail])
    return out.getvalue()

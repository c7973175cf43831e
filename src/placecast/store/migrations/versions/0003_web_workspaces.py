"""The web application's tables: council workspaces, users and their councils, saved scenarios, background
jobs, commentary written in the page and the archive of quarterly reports; the audit log gains where a
request came from and which council it touched, and becomes append-only in the database itself.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the workspace tables and protect the audit log."""
    op.create_table(
        "councils",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(60), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(200), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("oidc_subject", sa.String(200), nullable=True, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("region", sa.String(100), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "user_councils",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), primary_key=True),
    )
    op.create_table(
        "saved_scenarios",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("levers", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.String(400), nullable=False, server_default=""),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("error", sa.String(2000), nullable=False, server_default=""),
        sa.Column("result", sa.JSON, nullable=True),
    )
    op.create_table(
        "commentary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("quarter", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("text", sa.String(4000), nullable=False),
        sa.Column("written_by", sa.String(200), nullable=False),
        sa.Column("written_at", TZ, nullable=False),
    )
    op.create_table(
        "report_archive",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("council_id", sa.Integer, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("quarter", sa.String(20), nullable=False),
        sa.Column("folder", sa.String(500), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("made_by", sa.String(200), nullable=False),
        sa.Column("made_at", TZ, nullable=False),
    )
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("council", sa.String(60), nullable=False, server_default=""))
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("ip", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("council", sa.String(60), nullable=False, server_default=""))
    _append_only()


def _append_only() -> None:
    """Refuse UPDATE and DELETE on the audit log, in SQLite and in PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION placecast_audit_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION placecast_audit_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")


def downgrade() -> None:
    """Remove them again."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION placecast_audit_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("council")
        batch.drop_column("ip")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("council")
    for table in ("report_archive", "commentary", "jobs", "saved_scenarios", "user_councils", "users", "councils"):
        op.drop_table(table)

"""The store as first released: datasets, episodes, repairs, findings and the audit log.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the first tables."""
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("years", sa.JSON, nullable=False),
        sa.Column("census_date", sa.String(10), nullable=False),
        sa.Column("episodes", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
    )
    op.create_index("ix_datasets_content_hash", "datasets", ["content_hash"], unique=True)
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("child_id", sa.String(32), nullable=False),
        sa.Column("period_id", sa.String(40), nullable=False),
        sa.Column("dob", sa.String(10)),
        sa.Column("sex", sa.String(2), nullable=False),
        sa.Column("uasc", sa.Integer, nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("end", sa.String(10)),
        sa.Column("place", sa.String(4), nullable=False),
        sa.Column("provider", sa.String(4), nullable=False),
        sa.Column("ls", sa.String(4), nullable=False),
        sa.Column("cin", sa.String(4), nullable=False),
        sa.Column("rne", sa.String(2), nullable=False),
        sa.Column("rec", sa.String(4), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("short_break", sa.Integer, nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("repair", sa.String(80), nullable=False),
    )
    op.create_index("ix_episodes_dataset_id", "episodes", ["dataset_id"])
    op.create_index("ix_episodes_child_id", "episodes", ["child_id"])
    op.create_table(
        "repairs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("child_id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("old", sa.String(40), nullable=False),
        sa.Column("new", sa.String(40), nullable=False),
        sa.Column("why", sa.String(400), nullable=False),
    )
    op.create_index("ix_repairs_dataset_id", "repairs", ["dataset_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("column", sa.String(60), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("message", sa.String(1000), nullable=False),
    )
    op.create_index("ix_findings_dataset_id", "findings", ["dataset_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in ("audit_log", "findings", "repairs", "episodes", "datasets"):
        op.drop_table(table)

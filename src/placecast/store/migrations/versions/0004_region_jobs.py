"""A job may be a region's rather than one council's: the region's forecast in the web application, over
its councils' assembled histories.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Jobs gain the region they are for; a region's job belongs to no one council."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("region", sa.String(100), nullable=False, server_default=""))
        batch.alter_column("council_id", existing_type=sa.Integer, nullable=True)
        batch.create_index("ix_jobs_region", ["region"])


def downgrade() -> None:
    """Remove a region's jobs and the column."""
    op.execute("DELETE FROM jobs WHERE council_id IS NULL")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_region")
        batch.alter_column("council_id", existing_type=sa.Integer, nullable=False)
        batch.drop_column("region")

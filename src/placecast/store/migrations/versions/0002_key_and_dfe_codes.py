"""The store remembers the fingerprint of its pseudonymisation key; findings keep their DfE rule code.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the store's settings table and the findings' DfE code."""
    op.create_table(
        "store_settings",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("dfe_rule", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    """Remove them again."""
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("dfe_rule")
    op.drop_table("store_settings")

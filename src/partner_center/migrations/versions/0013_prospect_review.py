"""the operator's review of pre-registrations that went to review (rules.md §2.1.4): the result,
the reason and when

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        batch.add_column(sa.Column("review_result", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("review_opinion", sa.String(length=512), nullable=True))
        batch.add_column(
            sa.Column(
                "reviewed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("prospects") as batch:
        batch.drop_column("reviewed_at")
        batch.drop_column("review_opinion")
        batch.drop_column("review_result")

"""sign-in throttles: failed password sign-ins per account + user and per client address, and
their locks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("USER", "SOURCE", name="throttlescope", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "last_failure_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "locked_until", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttles")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttles")

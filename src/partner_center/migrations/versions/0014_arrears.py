"""pay-per-use arrears (rules.md §2.3.4, §2.6.9): customers' own grace periods, their
adjustments, and arrears cases (grace → retention → release or settlement)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_arrears_cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column(
            "started_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "grace_until", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "retention_until", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("frozen_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("opening_arrears", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("closed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_arrears_cases")),
    )
    with op.batch_alter_table("usage_arrears_cases", schema=None) as batch_op:
        batch_op.create_index("ix_usage_arrears_cases_state", ["state", "tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_usage_arrears_cases_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "usage_grace_adjustments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("old_days", sa.Integer(), nullable=False),
        sa.Column("new_days", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column(
            "adjusted_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_grace_adjustments")),
    )
    with op.batch_alter_table("usage_grace_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_grace_adjustments_tenant_at", ["tenant_id", "adjusted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_usage_grace_adjustments_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "usage_grace_periods",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_usage_grace_periods")),
    )
    with op.batch_alter_table("usage_grace_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_grace_periods_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_grace_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_grace_periods_tenant_id"))

    op.drop_table("usage_grace_periods")
    with op.batch_alter_table("usage_grace_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_grace_adjustments_tenant_id"))
        batch_op.drop_index("ix_usage_grace_adjustments_tenant_at")

    op.drop_table("usage_grace_adjustments")
    with op.batch_alter_table("usage_arrears_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_arrears_cases_tenant_id"))
        batch_op.drop_index("ix_usage_arrears_cases_state")

    op.drop_table("usage_arrears_cases")

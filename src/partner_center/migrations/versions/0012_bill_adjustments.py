"""bill adjustments (issue 11): operator-entered corrections of customer bills, each an
ADJUSTMENT line of the bill of the cycle it was entered in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bill_adjustments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("owner_partner_id", sa.String(length=32), nullable=False),
        sa.Column("billed_partner_id", sa.String(length=32), nullable=False),
        sa.Column("service_type_code", sa.String(length=64), nullable=False),
        sa.Column("amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column(
            "entered_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_adjustments")),
    )
    with op.batch_alter_table("bill_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bill_adjustments_cycle_owner", ["cycle", "owner_partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bill_adjustments_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("bill_adjustments")

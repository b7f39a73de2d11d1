"""bill run staging (issue 11): a run's one-pass sums of the cycle's orders and fee records,
shared by every batch; on PostgreSQL, n-distinct statistics on the fee records' billing keys so
the planner hash-aggregates them (it otherwise guesses a tenth of the rows as groups and sorts)

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATISTICS = "st_usage_fee_records_bill_keys"


def upgrade() -> None:
    op.create_table(
        "bill_run_staging",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("owner_partner_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_type_code", sa.String(length=64), nullable=False),
        sa.Column("resource_type_code", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("coupon_amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_run_staging")),
    )
    with op.batch_alter_table("bill_run_staging", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bill_run_staging_cycle_owner", ["cycle", "owner_partner_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE STATISTICS IF NOT EXISTS {_STATISTICS} (ndistinct) ON tenant_id, "
            "partner_id, bill_cycle, service_type_code, resource_type_code, region_code "
            "FROM usage_fee_records"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {_STATISTICS}")
    op.drop_table("bill_run_staging")

"""transactions rules (issue 13): an order's enterprise project, paying agent and unsubscription
reason; a resource's enterprise project; the customer a scene-18 verification code is for;
partners' discount permissions, revoked discounts, order price adjustments; verification codes
for critical operations; partners' pre-registrations of prospects

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_orders") as batch:
        batch.add_column(
            sa.Column(
                "enterprise_project_id", sa.String(length=64), server_default="0", nullable=False
            )
        )
        batch.add_column(sa.Column("paying_agent_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("unsubscribe_reason_type", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unsubscribe_reason", sa.String(length=512), nullable=True))
    with op.batch_alter_table("period_resources") as batch:
        batch.add_column(
            sa.Column(
                "enterprise_project_id", sa.String(length=64), server_default="0", nullable=False
            )
        )
    with op.batch_alter_table("verification_codes") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("catalog_discounts") as batch:
        batch.add_column(
            sa.Column(
                "revoked_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "discount_permissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("max_percent_off", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=False),
        sa.Column(
            "granted_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("ended_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "max_percent_off > 0 AND max_percent_off < 10000000000",
            name=op.f("ck_discount_permissions_max_percent_off"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_permissions")),
    )
    with op.batch_alter_table("discount_permissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discount_permissions_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "order_price_adjustments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("official_amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("previous_discount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("discount_amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("adjusted_by", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_price_adjustments")),
    )
    with op.batch_alter_table("order_price_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_price_adjustments_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_price_adjustments_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "critical_operation_protection",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column(
            "updated_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_operation_protection")),
    )
    with op.batch_alter_table("critical_operation_protection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_critical_operation_protection_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "critical_operation_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "consumed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("consumed_by", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_operation_codes")),
    )
    with op.batch_alter_table("critical_operation_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_critical_operation_codes_tenant_id"), ["tenant_id"], unique=False
        )
    op.create_table(
        "prospects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "reserved_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospects")),
    )
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.create_index("ix_prospects_email", ["email", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_prospects_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("prospects")
    op.drop_table("critical_operation_codes")
    op.drop_table("critical_operation_protection")
    op.drop_table("order_price_adjustments")
    op.drop_table("discount_permissions")
    with op.batch_alter_table("catalog_discounts") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("verification_codes") as batch:
        batch.drop_column("customer_id")
    with op.batch_alter_table("period_resources") as batch:
        batch.drop_column("enterprise_project_id")
    with op.batch_alter_table("customer_orders") as batch:
        batch.drop_column("unsubscribe_reason")
        batch.drop_column("unsubscribe_reason_type")
        batch.drop_column("paying_agent_id")
        batch.drop_column("enterprise_project_id")

"""partner cash coupons (issue 11, rules.md §7.8): coupons a partner holds and the bill run
deducts from its bills, and which coupon paid how much of which bill

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    money = partner_center.kernel.db.MoneyAmount
    when = partner_center.kernel.db.UtcDateTime
    op.create_table(
        "partner_cash_coupons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("face_value", money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_time", when(timezone=True), nullable=False),
        sa.Column("expire_time", when(timezone=True), nullable=False),
        sa.Column("ledger_account_id", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=32), nullable=False),
        sa.Column("issue_key", sa.String(length=64), nullable=True),
        sa.Column("remark", sa.String(length=256), nullable=True),
        sa.Column("created_at", when(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "face_value > 0", name=op.f("ck_partner_cash_coupons_face_value_positive")
        ),
        sa.CheckConstraint("valid_time < expire_time", name=op.f("ck_partner_cash_coupons_window")),
        sa.CheckConstraint(
            "source IN ('operator', 'incentive', 'test')",
            name=op.f("ck_partner_cash_coupons_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_cash_coupons")),
        sa.UniqueConstraint(
            "tenant_id", "issue_key", name=op.f("uq_partner_cash_coupons_tenant_id_issue_key")
        ),
    )
    op.create_index(
        "ix_partner_cash_coupons_tenant_expire",
        "partner_cash_coupons",
        ["tenant_id", "expire_time"],
        unique=False,
    )
    op.create_index(
        op.f("ix_partner_cash_coupons_tenant_id"),
        "partner_cash_coupons",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "partner_coupon_uses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("coupon_id", sa.String(length=32), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("balance_after", money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("transfer_id", sa.String(length=128), nullable=False),
        sa.Column("used_at", when(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_partner_coupon_uses_amount_positive")),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["partner_cash_coupons.id"],
            name=op.f("fk_partner_coupon_uses_coupon_id_partner_cash_coupons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_coupon_uses")),
        sa.UniqueConstraint(
            "bill_id", "coupon_id", name=op.f("uq_partner_coupon_uses_bill_id_coupon_id")
        ),
    )
    for name in ("bill_id", "coupon_id", "tenant_id"):
        op.create_index(
            op.f(f"ix_partner_coupon_uses_{name}"), "partner_coupon_uses", [name], unique=False
        )


def downgrade() -> None:
    op.drop_table("partner_coupon_uses")
    op.drop_table("partner_cash_coupons")

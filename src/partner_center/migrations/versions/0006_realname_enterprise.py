"""real-name submissions and face-verification codes; enterprise multi-account: member
details, coupon shares, enterprise-project authority

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 13:39:27.461196
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise_coupon_shares",
        sa.Column("sub_coupon_id", sa.String(length=32), nullable=False),
        sa.Column("member_account_id", sa.String(length=32), nullable=False),
        sa.Column("coupon_id", sa.String(length=32), nullable=False),
        sa.Column("amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "reclaimed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("reclaimed_amount", partner_center.kernel.db.MoneyAmount(), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("sub_coupon_id", name=op.f("pk_enterprise_coupon_shares")),
    )
    with op.batch_alter_table("enterprise_coupon_shares", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enterprise_coupon_shares_member", ["member_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enterprise_coupon_shares_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "realname_qr_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("used_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realname_qr_codes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_realname_qr_codes_token_hash")),
    )
    with op.batch_alter_table("realname_qr_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_realname_qr_codes_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "realname_submissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("identify_type", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("number_cipher", sa.Text(), nullable=False),
        sa.Column("legal_name", sa.String(length=255), nullable=True),
        sa.Column("legal_number_cipher", sa.Text(), nullable=True),
        sa.Column("certifier_role", sa.String(length=32), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("reg_country", sa.String(length=2), nullable=True),
        sa.Column("reg_address", sa.String(length=512), nullable=True),
        sa.Column("change_type", sa.Integer(), nullable=True),
        sa.Column("review_result", sa.Integer(), nullable=False),
        sa.Column("opinion", sa.String(length=512), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=32), nullable=True),
        sa.Column(
            "submitted_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "reviewed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realname_submissions")),
    )
    with op.batch_alter_table("realname_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_realname_submissions_customer", ["customer_id", "submitted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_realname_submissions_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "enterprise_project_auths",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column(
            "enabled_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_enterprise_project_auths_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_enterprise_project_auths")),
    )
    with op.batch_alter_table("enterprise_project_auths", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_project_auths_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("enterprise_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("financial_custody", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("permission_ids", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("mobile", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enterprise_members", schema=None) as batch_op:
        batch_op.drop_column("mobile")
        batch_op.drop_column("permission_ids")
        batch_op.drop_column("financial_custody")

    with op.batch_alter_table("enterprise_project_auths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_project_auths_tenant_id"))

    op.drop_table("enterprise_project_auths")
    with op.batch_alter_table("realname_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_realname_submissions_tenant_id"))
        batch_op.drop_index("ix_realname_submissions_customer")

    op.drop_table("realname_submissions")
    with op.batch_alter_table("realname_qr_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_realname_qr_codes_tenant_id"))

    op.drop_table("realname_qr_codes")
    with op.batch_alter_table("enterprise_coupon_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_coupon_shares_tenant_id"))
        batch_op.drop_index("ix_enterprise_coupon_shares_member")

    op.drop_table("enterprise_coupon_shares")

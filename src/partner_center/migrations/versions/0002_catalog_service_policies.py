"""catalog service policies: incentive policy and whether partner discounts apply, per service
type, effective-dated

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 12:00:00

Service types imported before this revision get the file format's defaults (a non-specific
product that takes partner discounts) from the first imported version on, so the policy of any
month since then can be read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db
from partner_center.kernel.ids import new_id

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    policies = op.create_table(
        "catalog_service_policies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("service_type", sa.String(length=64), nullable=False),
        sa.Column("incentive_policy", sa.Integer(), nullable=False),
        sa.Column("allow_discount", sa.Boolean(), nullable=False),
        sa.Column(
            "effective_from", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "effective_to", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_catalog_service_policies_effective_window"),
        ),
        sa.CheckConstraint(
            "incentive_policy IN (0, 1, 2, 13)",
            name=op.f("ck_catalog_service_policies_incentive_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["service_type"],
            ["catalog_service_types.code"],
            name=op.f("fk_catalog_service_policies_service_type_catalog_service_types"),
        ),
        sa.ForeignKeyConstraint(
            ["version"],
            ["catalog_versions.version"],
            name=op.f("fk_catalog_service_policies_version_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_service_policies")),
    )
    with op.batch_alter_table("catalog_service_policies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_service_policies_service_window",
            ["service_type", "effective_from"],
            unique=False,
        )

    connection = op.get_bind()
    first = connection.execute(
        sa.text("SELECT version, effective_from FROM catalog_versions ORDER BY version LIMIT 1")
    ).first()
    if first is None:
        return
    versions = sa.table(
        "catalog_versions",
        sa.column("version", sa.Integer()),
        sa.column("effective_from", partner_center.kernel.db.UtcDateTime(timezone=True)),
    )
    effective_from = connection.execute(
        sa.select(versions.c.effective_from).where(versions.c.version == first.version)
    ).scalar_one()
    codes = connection.execute(sa.text("SELECT code FROM catalog_service_types")).scalars()
    rows = [
        {
            "id": new_id(),
            "service_type": code,
            "incentive_policy": 0,
            "allow_discount": True,
            "effective_from": effective_from,
            "effective_to": None,
            "version": first.version,
        }
        for code in codes
    ]
    if rows:
        op.bulk_insert(policies, rows)


def downgrade() -> None:
    with op.batch_alter_table("catalog_service_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_service_policies_service_window")
    op.drop_table("catalog_service_policies")

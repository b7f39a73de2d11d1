"""background work (issue 12): long work started from the console — catalogue imports,
account-statement exports, bill runs — with its progress and result file parts; bill lines
indexed by the billed partner and cycle (the dashboard's spend per service and billing mode)

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "background_work",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_msg", sa.String(length=1000), nullable=True),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_work")),
    )
    op.create_index(
        "ix_background_work_tenant_created",
        "background_work",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_background_work_tenant_id"), "background_work", ["tenant_id"], unique=False
    )
    op.create_table(
        "background_work_parts",
        sa.Column("work_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_id"],
            ["background_work.id"],
            name=op.f("fk_background_work_parts_work_id_background_work"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("work_id", "seq", name=op.f("pk_background_work_parts")),
    )
    op.create_index(
        op.f("ix_background_work_parts_tenant_id"),
        "background_work_parts",
        ["tenant_id"],
        unique=False,
    )

    op.create_index(
        "ix_customer_bill_lines_billed_cycle",
        "customer_bill_lines",
        ["billed_partner_id", "cycle"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_customer_bill_lines_billed_cycle", table_name="customer_bill_lines")
    op.drop_index(op.f("ix_background_work_parts_tenant_id"), table_name="background_work_parts")
    op.drop_table("background_work_parts")
    op.drop_index(op.f("ix_background_work_tenant_id"), table_name="background_work")
    op.drop_index("ix_background_work_tenant_created", table_name="background_work")
    op.drop_table("background_work")

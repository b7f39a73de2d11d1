"""transactions rules (issue 13): an order's enterprise project, paying agent and unsubscription
reason; a resource's enterprise project; the customer a scene-18 verification code is for

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
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


def downgrade() -> None:
    with op.batch_alter_table("verification_codes") as batch:
        batch.drop_column("customer_id")
    with op.batch_alter_table("period_resources") as batch:
        batch.drop_column("enterprise_project_id")
    with op.batch_alter_table("customer_orders") as batch:
        batch.drop_column("unsubscribe_reason")
        batch.drop_column("unsubscribe_reason_type")
        batch.drop_column("paying_agent_id")
        batch.drop_column("enterprise_project_id")

"""customers listed by account manager (issue 12): an index of the owner's associated
customers per account manager in the list's order, so the filtered list (and an account
manager's own list) reads only that manager's rows, newest first, without sorting

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customers_tenant_status_manager_associated",
        "customers",
        ["tenant_id", "association_status", "account_manager_id", "associated_on", "account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_tenant_status_manager_associated", table_name="customers")

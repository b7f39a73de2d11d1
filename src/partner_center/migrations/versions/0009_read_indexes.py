"""read indexes: every list's filters and order with its tie-breaker; trigram name search on
PostgreSQL; the shared rate limiter's counters (issue 10)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, old index or None, new index, columns); the old index had the columns but the last,
#: except the customers' one, which had ("tenant_id", "associated_on").
_INDEXES = (
    (
        "customers",
        "ix_customers_tenant_associated",
        "ix_customers_tenant_status_associated",
        [
            "tenant_id",
            "association_status",
            "associated_on",
            "account_id",
            "account_name",
            "customer_name",
        ],
    ),
    (
        "customer_orders",
        "ix_customer_orders_partner_created",
        "ix_customer_orders_partner_created_id",
        ["partner_id", "created_at", "id"],
    ),
    (
        "customer_orders",
        "ix_customer_orders_customer_created",
        "ix_customer_orders_customer_created_id",
        ["tenant_id", "created_at", "id"],
    ),
    (
        "balance_operations",
        "ix_balance_operations_tenant_kind_created",
        "ix_balance_operations_tenant_kind_created_id",
        ["tenant_id", "kind", "created_at", "id"],
    ),
    (
        "balance_entries",
        "ix_balance_entries_tenant_statement_created",
        "ix_balance_entries_tenant_statement_created_seq",
        ["tenant_id", "statement", "created_at", "seq"],
    ),
    (
        "usage_resources",
        None,
        "ix_usage_resources_tenant_effective_id",
        ["tenant_id", "effective_time", "id"],
    ),
    (
        "period_resources",
        None,
        "ix_period_resources_customer_created_id",
        ["tenant_id", "created_at", "id"],
    ),
)
_TRIGRAM = (
    ("ix_customers_account_name_trgm", "account_name"),
    ("ix_customers_customer_name_trgm", "customer_name"),
)


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_windows")),
    )
    for table, old, new, columns in _INDEXES:
        op.create_index(new, table, columns)
        if old is not None:
            op.drop_index(old, table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in _TRIGRAM:
            op.create_index(
                name,
                "customers",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in _TRIGRAM:
            op.drop_index(name, table_name="customers")
    for table, old, new, columns in reversed(_INDEXES):
        if old is not None:
            old_columns = columns[:-1] if table != "customers" else ["tenant_id", "associated_on"]
            op.create_index(old, table, old_columns)
        op.drop_index(new, table_name=table)
    op.drop_table("rate_limit_windows")

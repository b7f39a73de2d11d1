"""The customer list filtered by account manager (migration 0018) reads the index
``ix_customers_tenant_status_manager_associated``: on SQLite and on PostgreSQL the plan of
the list's query — owner, associated, manager, newest first — names it."""

from __future__ import annotations

from sqlalchemy import select, text

from partner_center.domains.customers.models import AssociationStatus, Customer
from partner_center.kernel.db import Database

INDEX = "ix_customers_tenant_status_manager_associated"


async def test_the_manager_filtered_list_uses_its_index(database: Database) -> None:
    stmt = (
        select(Customer.account_id)
        .where(
            Customer.tenant_id == "ix-owner",
            Customer.association_status == AssociationStatus.ASSOCIATED,
            Customer.account_manager_id == "m-1",
        )
        .order_by(Customer.associated_on.desc(), Customer.account_id.desc())
        .limit(20)
    )
    async with database.unit_of_work() as uow:
        session = uow.session
        dialect = session.get_bind().dialect
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            rows = (await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            plan = " ".join(str(r[-1]) for r in rows)
            assert "TEMP B-TREE" not in plan, plan  # read in order, never sorted
            assert INDEX in plan, plan
            return
    try:
        async with database.unit_of_work() as uow:
            # PostgreSQL plans by statistics: 5,000 customers of one owner under 50 managers,
            # analysed, then rolled back.
            session = uow.session
            for statement in POPULATE:
                await session.execute(text(statement))
            rows = (await session.execute(text(f"EXPLAIN {sql}"))).all()
            plan = " ".join(str(r[0]) for r in rows)
            assert "Sort" not in plan, plan
            assert INDEX in plan, plan
            raise _RollBack
    except _RollBack:
        pass


class _RollBack(Exception):
    pass


POPULATE = [
    "INSERT INTO accounts (id, name, kind, status, created_at, tenant_id)"
    " SELECT 'ix-' || g, 'ix-' || g, 'CUSTOMER', 'ACTIVE', now(), 'ix-owner'"
    " FROM generate_series(1, 5000) g",
    "INSERT INTO customers (account_id, created_by, association_type, associated_on,"
    " association_status, xaccount_id, xaccount_type, account_name, customer_type,"
    " verified_status, customer_level, is_close_market_ms, restricted, tenant_id,"
    " account_manager_id)"
    " SELECT 'ix-' || g, 'ix-owner', 'RESELLER', now() - g * interval '1 minute',"
    " 'ASSOCIATED', 'ix-' || g, 'ix', 'ix-' || g, 0, '-1', 'V0', false, false,"
    " 'ix-owner', 'm-' || (g % 50) FROM generate_series(1, 5000) g",
    "ANALYZE customers",
]

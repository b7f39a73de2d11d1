"""Reconciliation of cached totals against the ledger, and the database's append-only triggers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import String, and_, case, cast, event, insert, literal, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert

from partner_center.domains.ledger.models import LedgerAccount, LedgerTransfer
from partner_center.domains.ledger.public import (
    Guard,
    LedgerService,
    format_report,
    reconcile,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database, UtcDateTime
from partner_center.kernel.ids import new_domain_id, new_id

D = Decimal


async def _two_accounts_with_a_transfer(
    database: Database, clock: FixedClock
) -> tuple[str, str, str]:
    tenant = new_domain_id()
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        a = await svc.open_account(tenant_id=tenant, code="a", currency="USD", guard=Guard.NONE)
        b = await svc.open_account(tenant_id=tenant, code="b", currency="USD", guard=Guard.NONE)
        t = await svc.transfer(
            transfer_id=new_id(),
            debit_account_id=a.id,
            credit_account_id=b.id,
            amount=D("7.5"),
            currency="USD",
            code="test",
            tenant_id=tenant,
        )
        await svc.transfer(
            transfer_id=new_id(),
            debit_account_id=a.id,
            credit_account_id=b.id,
            amount=D("2"),
            currency="USD",
            code="test",
            tenant_id=tenant,
            pending=True,
        )
    return a.id, b.id, t.id


async def test_reconcile_is_clean_and_detects_a_tampered_cached_total(
    database: Database, clock: FixedClock
) -> None:
    a, b, _ = await _two_accounts_with_a_transfer(database, clock)
    async with database.unit_of_work() as uow:
        report = await reconcile(uow.session)
    assert [d for d in report.discrepancies if d.account_id in (a, b)] == []
    assert report.accounts_checked >= 2 and report.transfers_checked >= 2

    tampered = update(LedgerAccount).where(LedgerAccount.id == b)
    try:
        async with database.unit_of_work() as uow:
            await uow.session.execute(tampered.values(credits_posted=D("7.50000001")))
        async with database.unit_of_work() as uow:
            report = await reconcile(uow.session)
        mine = [d for d in report.discrepancies if d.account_id in (a, b)]
        assert len(mine) == 1
        assert mine[0].account_id == b
        assert mine[0].field == "credits_posted"
        assert mine[0].cached == D("7.50000001")
        assert mine[0].computed == D("7.5")
        assert not report.ok
        assert any(
            i.currency == "USD" and i.source == "cached" and i.state == "posted"
            for i in report.imbalances
        )
        lines = format_report(report)
        assert "DIFFERENCES FOUND" in lines[0]
        assert any(b in line and "credits_posted" in line for line in lines)
    finally:
        async with database.unit_of_work() as uow:
            await uow.session.execute(tampered.values(credits_posted=D("7.5")))
    async with database.unit_of_work() as uow:
        report = await reconcile(uow.session)
    assert [d for d in report.discrepancies if d.account_id in (a, b)] == []


async def test_reconcile_detects_a_tampered_pending_total(
    database: Database, clock: FixedClock
) -> None:
    a, _, _ = await _two_accounts_with_a_transfer(database, clock)
    tampered = update(LedgerAccount).where(LedgerAccount.id == a)
    try:
        async with database.unit_of_work() as uow:
            await uow.session.execute(tampered.values(debits_pending=D(0)))
        async with database.unit_of_work() as uow:
            report = await reconcile(uow.session)
        mine = [(d.account_id, d.field, d.cached, d.computed) for d in report.discrepancies]
        assert (a, "debits_pending", D(0), D(2)) in mine
    finally:
        async with database.unit_of_work() as uow:
            await uow.session.execute(tampered.values(debits_pending=D(2)))


async def test_database_refuses_to_update_or_delete_a_transfer(
    database: Database, clock: FixedClock
) -> None:
    _, _, transfer_id = await _two_accounts_with_a_transfer(database, clock)
    statements = [
        text("UPDATE ledger_transfers SET memo = 'rewritten' WHERE id = :id"),
        text("UPDATE ledger_transfers SET amount = 1 WHERE id = :id"),
        text("DELETE FROM ledger_transfers WHERE id = :id"),
    ]
    if database.is_postgres:
        statements.append(text("TRUNCATE ledger_transfers CASCADE"))
    for statement in statements:
        # Always rolled back, so even a missing trigger could not damage the shared database.
        async with database.sessions() as session:
            try:
                with pytest.raises(DBAPIError) as exc:
                    await session.execute(statement, {"id": transfer_id})
            finally:
                await session.rollback()
        assert "append-only" in str(exc.value), statement
    async with database.unit_of_work() as uow:
        row = await uow.session.get(LedgerTransfer, transfer_id)
        assert row is not None and row.memo is None and row.amount == D("7.5")


async def test_reconcile_aggregates_100k_transfers_in_sql(
    database: Database, clock: FixedClock
) -> None:
    """100,000 transfers among 100 accounts, generated in SQL; rolled back afterwards."""
    tenant = new_domain_id()
    n, width = 100_000, 100
    expected: dict[int, list[Decimal]] = {k: [D(0)] * 4 for k in range(width)}
    for i in range(n):
        debit, credit = _bulk_pair(i, width)
        offset = 2 if i % 10 == 0 else 0
        amount = D(i % 997 + 1).scaleb(-2)
        expected[debit][offset] += amount
        expected[credit][offset + 1] += amount

    async with database.sessions() as session, session.begin():
        ids = {k: new_id() for k in range(width)}
        await session.execute(
            insert(LedgerAccount),
            [
                {
                    "id": ids[k],
                    "tenant_id": tenant,
                    "code": f"bulk-{k}",
                    "currency": "USD",
                    "guard": Guard.NONE.value,
                    "limit": D(0),
                    "debits_posted": dp,
                    "credits_posted": cp,
                    "debits_pending": dpe,
                    "credits_pending": cpe,
                    "created_at": clock.now(),
                }
                for k, (dp, cp, dpe, cpe) in expected.items()
            ],
        )
        await session.execute(_bulk_transfers(tenant, n, width, clock))
        # One account's cache is off by one unit, to prove the comparison is exact at scale.
        await session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == ids[42])
            .values(debits_posted=expected[42][0] + D("0.00000001"))
        )
        # The work is done by the database: a handful of aggregate statements, whatever the
        # number of transfers (a speed target would belong in bench/, not in a test).
        statements: list[str] = []
        connection = (await session.connection()).sync_connection
        assert connection is not None

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", count)
        try:
            report = await reconcile(session)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        await session.rollback()
    assert report.transfers_checked >= n
    mine = [d for d in report.discrepancies if d.account_id in set(ids.values())]
    assert [(d.account_id, d.field, d.computed) for d in mine] == [
        (ids[42], "debits_posted", expected[42][0])
    ]
    assert 0 < len(statements) <= 10, statements


def _bulk_pair(i: int, width: int) -> tuple[int, int]:
    debit, credit = i % width, (i * 7 + 1) % width
    return debit, (i + 1) % width if credit == debit else credit


def _bulk_transfers(tenant: str, n: int, width: int, clock: FixedClock) -> Insert:
    """``INSERT … SELECT`` over a recursive counter (portable to SQLite and PostgreSQL)."""
    counter = select(literal(0).label("i")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.i + 1).where(counter.c.i < n - 1))
    i = counter.c.i
    raw_credit = (i * 7 + 1) % width
    credit_index = case((raw_credit == i % width, (i + 1) % width), else_=raw_credit)
    debit_acc = LedgerAccount.__table__.alias("d")
    credit_acc = LedgerAccount.__table__.alias("c")
    source = (
        select(
            (literal(f"bulk-{tenant}-") + cast(i, String)).label("id"),
            literal(tenant).label("tenant_id"),
            debit_acc.c.id.label("debit_account_id"),
            credit_acc.c.id.label("credit_account_id"),
            # 0.01 .. 9.97 in 10^-8 storage units
            ((i % 997 + 1) * 1_000_000).label("amount"),
            literal("USD").label("currency"),
            case((i % 10 == 0, "PENDING"), else_="POSTED").label("kind"),
            literal("bulk").label("code"),
            literal(clock.now(), UtcDateTime()).label("created_at"),
        )
        .select_from(counter)
        .join(
            debit_acc,
            and_(
                debit_acc.c.tenant_id == tenant,
                debit_acc.c.code == literal("bulk-") + cast(i % width, String),
            ),
        )
        .join(
            credit_acc,
            and_(
                credit_acc.c.tenant_id == tenant,
                credit_acc.c.code == literal("bulk-") + cast(credit_index, String),
            ),
        )
    )
    columns = [
        "id",
        "tenant_id",
        "debit_account_id",
        "credit_account_id",
        "amount",
        "currency",
        "kind",
        "code",
        "created_at",
    ]
    return insert(LedgerTransfer).from_select(columns, source)

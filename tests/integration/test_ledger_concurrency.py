"""Concurrent writers, each in its own unit of work: guards hold and ids post once."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from partner_center.domains.ledger.public import (
    Guard,
    LedgerService,
    TransferView,
    reconcile,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_domain_id, new_id

D = Decimal
PRICE = D("3.33333333")


async def _funded_wallet(
    database: Database, clock: FixedClock, tenant: str, funds: Decimal
) -> tuple[str, str, str]:
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        source = await svc.open_account(
            tenant_id=tenant, code="source", currency="USD", guard=Guard.NONE
        )
        wallet = await svc.open_account(
            tenant_id=tenant,
            code="wallet",
            currency="USD",
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
        sink = await svc.open_account(
            tenant_id=tenant, code="sink", currency="USD", guard=Guard.NONE
        )
        await svc.transfer(
            transfer_id=new_id(),
            debit_account_id=source.id,
            credit_account_id=wallet.id,
            amount=funds,
            currency="USD",
            code="top_up",
            tenant_id=tenant,
        )
    return source.id, wallet.id, sink.id


async def test_fifty_concurrent_spends_against_funds_for_thirty(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()
    _, wallet, sink = await _funded_wallet(database, clock, tenant, PRICE * 30)

    async def spend() -> TransferView | DomainError:
        try:
            async with database.unit_of_work() as uow:
                return await LedgerService(uow.session, clock).transfer(
                    transfer_id=new_id(),
                    debit_account_id=wallet,
                    credit_account_id=sink,
                    amount=PRICE,
                    currency="USD",
                    code="order_payment",
                    tenant_id=tenant,
                )
        except DomainError as exc:
            return exc

    outcomes = await asyncio.gather(*(spend() for _ in range(50)))
    succeeded = [o for o in outcomes if isinstance(o, TransferView)]
    failed = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(succeeded) == 30
    assert len(failed) == 20
    assert {f.code for f in failed} == {"CBC.99005003"}

    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        balance = await svc.balance(wallet)
        sunk = await svc.balance(sink)
        report = await reconcile(uow.session)
    assert balance.debits_posted == PRICE * 30
    assert balance.credit_balance == 0
    assert balance.available == 0
    assert sunk.credits_posted == PRICE * 30
    assert [d for d in report.discrepancies if d.account_id in (wallet, sink)] == []
    assert [b for b in report.limit_breaches if b.account_id == wallet] == []


async def test_ten_concurrent_submissions_of_one_id_post_once(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()
    _, wallet, sink = await _funded_wallet(database, clock, tenant, D(100))
    transfer_id = new_id()

    async def submit() -> TransferView:
        async with database.unit_of_work() as uow:
            return await LedgerService(uow.session, clock).transfer(
                transfer_id=transfer_id,
                debit_account_id=wallet,
                credit_account_id=sink,
                amount=D(60),
                currency="USD",
                code="order_payment",
                tenant_id=tenant,
            )

    # 60 twice would exceed the 100 funded: a second posting could not hide as a guard error.
    outcomes = await asyncio.gather(*(submit() for _ in range(10)))
    assert {o.id for o in outcomes} == {transfer_id}
    assert len(set(outcomes)) == 1

    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        balance = await svc.balance(wallet)
        report = await reconcile(uow.session)
    assert balance.debits_posted == D(60)
    assert balance.available == D(40)
    assert [d for d in report.discrepancies if d.account_id in (wallet, sink)] == []


async def test_concurrent_open_account_returns_one_account(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()

    async def open_it() -> str:
        async with database.unit_of_work() as uow:
            view = await LedgerService(uow.session, clock).open_account(
                tenant_id=tenant, code="customer_balance", currency="USD", guard=Guard.NONE
            )
            return view.id

    ids = await asyncio.gather(*(open_it() for _ in range(10)))
    assert len(set(ids)) == 1


async def test_concurrent_post_and_void_of_one_hold_resolve_it_once(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()
    _, wallet, sink = await _funded_wallet(database, clock, tenant, D(100))
    hold = new_id()
    async with database.unit_of_work() as uow:
        await LedgerService(uow.session, clock).transfer(
            transfer_id=hold,
            debit_account_id=wallet,
            credit_account_id=sink,
            amount=D(50),
            currency="USD",
            code="reservation",
            pending=True,
            tenant_id=tenant,
        )

    async def resolve(i: int) -> TransferView | DomainError:
        try:
            async with database.unit_of_work() as uow:
                svc = LedgerService(uow.session, clock)
                if i % 2:
                    return await svc.void_pending(transfer_id=new_id(), pending_id=hold)
                return await svc.post_pending(transfer_id=new_id(), pending_id=hold)
        except DomainError as exc:
            return exc

    outcomes = await asyncio.gather(*(resolve(i) for i in range(10)))
    assert len([o for o in outcomes if isinstance(o, TransferView)]) == 1
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert {e.details["reason"] for e in errors} == {"pending_already_resolved"}
    async with database.unit_of_work() as uow:
        balance = await LedgerService(uow.session, clock).balance(wallet)
    assert balance.debits_pending == 0
    assert balance.debits_posted in (D(0), D(50))


class _LateService(LedgerService):
    """Skips the pre-insert checks the first ``blind`` times, as if a concurrent writer had
    committed between the checks and the insert: only the database's unique keys can decide."""

    def __init__(self, *args: Any, blind: int) -> None:
        super().__init__(*args)
        self.blind = blind

    async def _replay(self, intent: Any) -> TransferView | None:
        if self.blind > 0:
            self.blind -= 1
            return None
        return await super()._replay(intent)


async def test_insert_race_on_the_same_id_returns_the_committed_transfer(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()
    _, wallet, sink = await _funded_wallet(database, clock, tenant, D(100))
    kwargs: dict[str, Any] = {
        "transfer_id": new_id(),
        "debit_account_id": wallet,
        "credit_account_id": sink,
        "amount": D(10),
        "currency": "USD",
        "code": "order_payment",
        "tenant_id": tenant,
    }
    async with database.unit_of_work() as uow:
        first = await LedgerService(uow.session, clock).transfer(**kwargs)
    async with database.unit_of_work() as uow:
        svc = _LateService(uow.session, clock, blind=2)
        again = await svc.transfer(**kwargs)
        assert svc.blind == 0
        assert again == first
        # The savepoint kept the transaction usable after the unique-key violation.
        assert (await svc.balance(wallet)).debits_posted == D(10)
    async with database.unit_of_work() as uow:
        svc = _LateService(uow.session, clock, blind=2)
        try:
            await svc.transfer(**{**kwargs, "amount": D(11)})
        except DomainError as exc:
            assert exc.code == "CBC.99007009"
        else:
            raise AssertionError("a different transfer under a used id was accepted")
    async with database.unit_of_work() as uow:
        assert (await LedgerService(uow.session, clock).balance(wallet)).debits_posted == D(10)


async def test_resolution_race_is_decided_by_the_unique_pending_id(
    database: Database, clock: FixedClock
) -> None:
    tenant = new_domain_id()
    _, wallet, sink = await _funded_wallet(database, clock, tenant, D(100))
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        hold = await svc.transfer(
            transfer_id=new_id(),
            debit_account_id=wallet,
            credit_account_id=sink,
            amount=D(50),
            currency="USD",
            code="reservation",
            pending=True,
            tenant_id=tenant,
        )
        posted = await svc.post_pending(transfer_id=new_id(), pending_id=hold.id)

    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        real = svc._repo.resolution_of
        calls = 0

        async def late(pending_id: str) -> Any:
            nonlocal calls
            calls += 1
            return None if calls == 1 else await real(pending_id)

        svc._repo.resolution_of = late  # type: ignore[method-assign]
        try:
            await svc.void_pending(transfer_id=new_id(), pending_id=hold.id)
        except DomainError as exc:
            assert exc.details["reason"] == "pending_already_resolved"
            assert exc.details["resolved_by"] == posted.id
        else:
            raise AssertionError("a hold was resolved twice")
        assert calls == 2

"""Ledger rules on a real database: idempotency, guards, limits, holds, reversals, validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partner_center.domains.ledger.models import LedgerTransfer
from partner_center.domains.ledger.public import (
    Guard,
    LedgerErrorCode,
    LedgerService,
    TransferKind,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_domain_id, new_id

D = Decimal


@dataclass
class Books:
    """A tenant with a funding source, a guarded balance, a guarded quota and a plain sink."""

    tenant: str
    source: str
    """Unguarded: where money comes from (goes negative in credit terms, by design)."""
    wallet: str
    """DEBITS_MUST_NOT_EXCEED_CREDITS, limit 0: a balance that cannot go below zero."""
    quota: str
    """CREDITS_MUST_NOT_EXCEED_DEBITS, limit 100: a budget that can be drawn up to 100."""
    sink: str


@pytest.fixture
async def books(database: Database, clock: FixedClock) -> Books:
    tenant = new_domain_id()
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
        quota = await svc.open_account(
            tenant_id=tenant,
            code="budget:2026-11",
            currency="USD",
            guard=Guard.CREDITS_MUST_NOT_EXCEED_DEBITS,
            limit=D(100),
        )
        sink = await svc.open_account(
            tenant_id=tenant, code="sink", currency="USD", guard=Guard.NONE
        )
    return Books(tenant, source.id, wallet.id, quota.id, sink.id)


async def move(
    database: Database,
    clock: FixedClock,
    books: Books,
    debit: str,
    credit: str,
    amount: Decimal | str,
    *,
    transfer_id: str | None = None,
    pending: bool = False,
    code: str = "test",
) -> str:
    tid = transfer_id or new_id()
    async with database.unit_of_work() as uow:
        await LedgerService(uow.session, clock).transfer(
            transfer_id=tid,
            debit_account_id=debit,
            credit_account_id=credit,
            amount=D(amount),
            currency="USD",
            code=code,
            pending=pending,
            tenant_id=books.tenant,
        )
    return tid


async def totals(database: Database, clock: FixedClock, account_id: str) -> tuple[object, ...]:
    async with database.unit_of_work() as uow:
        b = await LedgerService(uow.session, clock).balance(account_id)
    return (b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending)


async def count_transfers(database: Database, tenant: str) -> int:
    async with database.unit_of_work() as uow:
        stmt = select(func.count()).where(LedgerTransfer.tenant_id == tenant)
        return int((await uow.session.execute(stmt)).scalar_one())


# -- accounts ---------------------------------------------------------------------------------


async def test_open_account_is_idempotent_and_refuses_a_conflicting_guard(
    database: Database, clock: FixedClock, books: Books
) -> None:
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        again = await svc.open_account(
            tenant_id=books.tenant,
            code="wallet",
            currency="USD",
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
        assert again.id == books.wallet
        assert again.created_at == clock.now()
        found = await svc.find_account(books.tenant, "wallet", "USD")
        assert found is not None and found.id == books.wallet
        assert await svc.find_account(books.tenant, "wallet", "EUR") is None
        other_currency = await svc.open_account(
            tenant_id=books.tenant,
            code="wallet",
            currency="EUR",
            guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
        )
        assert other_currency.id != books.wallet
        with pytest.raises(DomainError) as exc:
            await svc.open_account(
                tenant_id=books.tenant, code="wallet", currency="USD", guard=Guard.NONE
            )
        assert exc.value.code == "CBC.0100"
        assert exc.value.details["reason"] == LedgerErrorCode.ACCOUNT_CONFLICT


async def test_open_account_validates(database: Database, clock: FixedClock) -> None:
    tenant = new_domain_id()
    bad: list[dict[str, object]] = [
        {"currency": "usd"},
        {"currency": "US"},
        {"code": ""},
        {"code": "x" * 65},
        {"guard": "SOMETIMES"},
        {"guard": Guard.NONE, "limit": D(5)},
        {"limit": D(-1)},
        {"limit": D("0.000000001")},
    ]
    for override in bad:
        kwargs: dict[str, object] = {
            "tenant_id": tenant,
            "code": "wallet",
            "currency": "USD",
            "guard": Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
            "limit": D(0),
            **override,
        }
        async with database.unit_of_work() as uow:
            with pytest.raises(DomainError) as exc:
                await LedgerService(uow.session, clock).open_account(**kwargs)  # type: ignore[arg-type]
        assert exc.value.code == "CBC.0100", override


async def test_unknown_account(database: Database, clock: FixedClock, books: Books) -> None:
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.get_account("0" * 32)
        assert exc.value.code == "CBC.99000047"
        with pytest.raises(DomainError) as exc:
            await svc.transfer(
                transfer_id=new_id(),
                debit_account_id=books.source,
                credit_account_id="0" * 32,
                amount=D(1),
                currency="USD",
                code="test",
                tenant_id=books.tenant,
            )
        assert exc.value.code == "CBC.99000047"


# -- transfers and idempotency ----------------------------------------------------------------


async def test_transfer_posts_both_sides(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "12.34567891")
    assert await totals(database, clock, books.source) == (D("12.34567891"), 0, 0, 0)
    assert await totals(database, clock, books.wallet) == (0, D("12.34567891"), 0, 0)
    async with database.unit_of_work() as uow:
        wallet = await LedgerService(uow.session, clock).balance(books.wallet)
    assert wallet.credit_balance == D("12.34567891")
    assert wallet.debit_balance == D("-12.34567891")
    assert wallet.available == D("12.34567891")


async def test_idempotent_retry_returns_the_first_transfer_and_posts_nothing(
    database: Database, clock: FixedClock, books: Books
) -> None:
    tid = await move(database, clock, books, books.source, books.wallet, "10")
    first_time = clock.now()
    clock.advance(timedelta(minutes=5))
    async with database.unit_of_work() as uow:
        again = await LedgerService(uow.session, clock).transfer(
            transfer_id=tid,
            debit_account_id=books.source,
            credit_account_id=books.wallet,
            amount=D("10.00"),
            currency="USD",
            code="test",
            tenant_id=books.tenant,
        )
    assert again.id == tid
    assert again.created_at == first_time
    assert again.kind is TransferKind.POSTED
    assert await totals(database, clock, books.wallet) == (0, D(10), 0, 0)
    assert await count_transfers(database, books.tenant) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", D("10.01")),
        ("credit_account_id", "sink"),
        ("code", "other"),
        ("memo", "note"),
        ("pending", True),
    ],
)
async def test_retry_with_different_fields_is_a_duplicate_transaction_id(
    database: Database, clock: FixedClock, books: Books, field: str, value: object
) -> None:
    tid = await move(database, clock, books, books.source, books.wallet, "10")
    kwargs: dict[str, object] = {
        "transfer_id": tid,
        "debit_account_id": books.source,
        "credit_account_id": books.wallet,
        "amount": D(10),
        "currency": "USD",
        "code": "test",
        "tenant_id": books.tenant,
        field: books.sink if value == "sink" else value,
    }
    async with database.unit_of_work() as uow:
        with pytest.raises(DomainError) as exc:
            await LedgerService(uow.session, clock).transfer(**kwargs)  # type: ignore[arg-type]
    assert exc.value.code == "CBC.99007009"
    assert "duplicate transaction id" in exc.value.message
    assert await totals(database, clock, books.wallet) == (0, D(10), 0, 0)
    assert await totals(database, clock, books.sink) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "amount", [D(0), D(-5), D("0.000000001"), D("1.123456789"), 1.5, "10", True]
)
async def test_invalid_amounts_are_refused(
    database: Database, clock: FixedClock, books: Books, amount: object
) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(DomainError) as exc:
            await LedgerService(uow.session, clock).transfer(
                transfer_id=new_id(),
                debit_account_id=books.source,
                credit_account_id=books.sink,
                amount=amount,  # type: ignore[arg-type]
                currency="USD",
                code="test",
                tenant_id=books.tenant,
            )
    assert exc.value.code == "CBC.0100"
    assert exc.value.details["field"] == "amount"
    assert await count_transfers(database, books.tenant) == 0


async def test_eight_decimals_are_kept_exactly(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.sink, "0.00000001")
    await move(database, clock, books, books.source, books.sink, "123.456")
    assert await totals(database, clock, books.sink) == (0, D("123.45600001"), 0, 0)


async def test_currency_must_match_both_accounts(
    database: Database, clock: FixedClock, books: Books
) -> None:
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        eur = await svc.open_account(
            tenant_id=books.tenant, code="eur", currency="EUR", guard=Guard.NONE
        )
    for debit, credit, currency in [
        (books.source, books.sink, "EUR"),
        (books.source, eur.id, "USD"),
        (eur.id, books.sink, "EUR"),
    ]:
        async with database.unit_of_work() as uow:
            with pytest.raises(DomainError) as exc:
                await LedgerService(uow.session, clock).transfer(
                    transfer_id=new_id(),
                    debit_account_id=debit,
                    credit_account_id=credit,
                    amount=D(1),
                    currency=currency,
                    code="test",
                    tenant_id=books.tenant,
                )
        assert exc.value.code == "CBC.0100"
        assert exc.value.details["reason"] == LedgerErrorCode.CURRENCY_MISMATCH
    assert await count_transfers(database, books.tenant) == 0


async def test_debit_and_credit_accounts_must_differ(
    database: Database, clock: FixedClock, books: Books
) -> None:
    with pytest.raises(DomainError) as exc:
        await move(database, clock, books, books.sink, books.sink, "1")
    assert exc.value.code == "CBC.0100"


# -- guards and limits ------------------------------------------------------------------------


async def test_debits_must_not_exceed_credits(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "50")
    await move(database, clock, books, books.wallet, books.sink, "30")
    with pytest.raises(DomainError) as exc:
        await move(database, clock, books, books.wallet, books.sink, "20.00000001")
    assert exc.value.code == "CBC.99005003"
    assert "Insufficient balance" in exc.value.message
    assert exc.value.details["available"] == "20.00000000"
    # Nothing written by the refused transfer.
    assert await totals(database, clock, books.wallet) == (D(30), D(50), 0, 0)
    assert await totals(database, clock, books.sink) == (0, D(30), 0, 0)
    assert await count_transfers(database, books.tenant) == 2
    await move(database, clock, books, books.wallet, books.sink, "20")
    async with database.unit_of_work() as uow:
        assert (await LedgerService(uow.session, clock).balance(books.wallet)).available == 0


async def test_credits_must_not_exceed_debits_up_to_the_limit(
    database: Database, clock: FixedClock, books: Books
) -> None:
    # The quota account may be credited (drawn) up to its limit of 100 beyond its debits.
    await move(database, clock, books, books.sink, books.quota, "99.99")
    with pytest.raises(DomainError) as exc:
        await move(database, clock, books, books.sink, books.quota, "0.02")
    assert exc.value.code == "CBC.99005003"
    await move(database, clock, books, books.sink, books.quota, "0.01")
    # Debiting the quota (giving budget back) is always allowed and frees headroom.
    await move(database, clock, books, books.quota, books.sink, "10")
    async with database.unit_of_work() as uow:
        quota = await LedgerService(uow.session, clock).balance(books.quota)
    assert quota.available == D(10)
    assert quota.debit_balance == D(-90)


async def test_overdraft_limit_and_set_limit(
    database: Database, clock: FixedClock, books: Books
) -> None:
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        view = await svc.set_limit(account_id=books.wallet, limit=D(25))
        assert view.limit == D(25) and view.available == D(25)
    await move(database, clock, books, books.wallet, books.sink, "20")
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.set_limit(account_id=books.wallet, limit=D("19.99"))
        assert exc.value.code == "CBC.0100"
        assert exc.value.details["reason"] == LedgerErrorCode.LIMIT_BELOW_USAGE
        assert exc.value.details["minimum_limit"] == "20.00000000"
        view = await svc.set_limit(account_id=books.wallet, limit=D(20))
        assert view.available == 0
        assert view.credit_balance == D(-20)
    with pytest.raises(DomainError) as exc:
        await move(database, clock, books, books.wallet, books.sink, "0.01")
    assert exc.value.code == "CBC.99005003"
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.set_limit(account_id=books.sink, limit=D(1))
        assert exc.value.code == "CBC.0100"
        assert (await svc.get_account(books.wallet)).limit == D(20)


async def test_pending_holds_count_against_the_guard(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "100")
    await move(database, clock, books, books.wallet, books.sink, "60", pending=True)
    assert await totals(database, clock, books.wallet) == (0, D(100), D(60), 0)
    assert await totals(database, clock, books.sink) == (0, 0, 0, D(60))
    with pytest.raises(DomainError) as exc:
        await move(database, clock, books, books.wallet, books.sink, "40.01")
    assert exc.value.code == "CBC.99005003"
    with pytest.raises(DomainError):
        await move(database, clock, books, books.wallet, books.sink, "41", pending=True)
    # Pending credits do not count in the wallet's favour until posted.
    await move(database, clock, books, books.source, books.wallet, "5", pending=True)
    with pytest.raises(DomainError):
        await move(database, clock, books, books.wallet, books.sink, "41")
    await move(database, clock, books, books.wallet, books.sink, "40")


# -- two-phase transfers ----------------------------------------------------------------------


async def test_post_pending_in_full(database: Database, clock: FixedClock, books: Books) -> None:
    await move(database, clock, books, books.source, books.wallet, "100")
    hold = await move(database, clock, books, books.wallet, books.sink, "60", pending=True)
    async with database.unit_of_work() as uow:
        posted = await LedgerService(uow.session, clock).post_pending(
            transfer_id=new_id(), pending_id=hold
        )
    assert posted.kind is TransferKind.POST_PENDING
    assert posted.amount == D(60) and posted.pending_id == hold
    assert posted.debit_account_id == books.wallet and posted.code == "test"
    assert await totals(database, clock, books.wallet) == (D(60), D(100), 0, 0)
    assert await totals(database, clock, books.sink) == (0, D(60), 0, 0)


async def test_partial_post_releases_the_rest(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "100")
    hold = await move(database, clock, books, books.wallet, books.sink, "60", pending=True)
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.post_pending(transfer_id=new_id(), pending_id=hold, amount=D("60.01"))
        assert exc.value.details["reason"] == LedgerErrorCode.POST_EXCEEDS_PENDING
    post_id = new_id()
    async with database.unit_of_work() as uow:
        posted = await LedgerService(uow.session, clock).post_pending(
            transfer_id=post_id, pending_id=hold, amount=D("12.5"), memo="actual usage"
        )
    assert posted.amount == D("12.5")
    assert await totals(database, clock, books.wallet) == (D("12.5"), D(100), 0, 0)
    assert await totals(database, clock, books.sink) == (0, D("12.5"), 0, 0)
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        # Idempotent retry of the post, then a different resolution of the same hold.
        again = await svc.post_pending(
            transfer_id=post_id, pending_id=hold, amount=D("12.50"), memo="actual usage"
        )
        assert again == posted
        with pytest.raises(DomainError) as exc:
            await svc.post_pending(transfer_id=post_id, pending_id=hold, memo="actual usage")
        assert exc.value.code == "CBC.99007009"
        with pytest.raises(DomainError) as exc:
            await svc.void_pending(transfer_id=new_id(), pending_id=hold)
        assert exc.value.details["reason"] == LedgerErrorCode.PENDING_ALREADY_RESOLVED
        assert exc.value.details["resolved_by"] == post_id
    assert await totals(database, clock, books.wallet) == (D("12.5"), D(100), 0, 0)


async def test_void_releases_the_hold_once(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "100")
    hold = await move(database, clock, books, books.wallet, books.sink, "60", pending=True)
    async with database.unit_of_work() as uow:
        voided = await LedgerService(uow.session, clock).void_pending(
            transfer_id=new_id(), pending_id=hold
        )
    assert voided.kind is TransferKind.VOID_PENDING and voided.amount == D(60)
    assert await totals(database, clock, books.wallet) == (0, D(100), 0, 0)
    assert await totals(database, clock, books.sink) == (0, 0, 0, 0)
    for attempt in ("void", "post"):
        async with database.unit_of_work() as uow:
            svc = LedgerService(uow.session, clock)
            with pytest.raises(DomainError) as exc:
                if attempt == "void":
                    await svc.void_pending(transfer_id=new_id(), pending_id=hold)
                else:
                    await svc.post_pending(transfer_id=new_id(), pending_id=hold)
        assert exc.value.details["reason"] == LedgerErrorCode.PENDING_ALREADY_RESOLVED


async def test_only_pending_transfers_can_be_resolved(
    database: Database, clock: FixedClock, books: Books
) -> None:
    posted = await move(database, clock, books, books.source, books.sink, "5")
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.post_pending(transfer_id=new_id(), pending_id=posted)
        assert exc.value.details["reason"] == LedgerErrorCode.NOT_PENDING
        with pytest.raises(DomainError) as exc:
            await svc.void_pending(transfer_id=new_id(), pending_id="no-such-transfer")
        assert exc.value.details["reason"] == LedgerErrorCode.TRANSFER_NOT_FOUND


# -- reversals --------------------------------------------------------------------------------


async def test_reverse_appends_a_swapped_transfer(
    database: Database, clock: FixedClock, books: Books
) -> None:
    original = await move(database, clock, books, books.source, books.wallet, "40")
    reversal_id = new_id()
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        reversal = await svc.reverse(
            transfer_id=reversal_id, original_id=original, memo="wrong customer"
        )
        assert reversal.kind is TransferKind.POSTED
        assert reversal.reverses_id == original
        assert reversal.debit_account_id == books.wallet
        assert reversal.credit_account_id == books.source
        assert reversal.amount == D(40) and reversal.code == "reversal"
        assert reversal.tenant_id == books.tenant
        untouched = await svc.get_transfer(original)
        assert untouched is not None and untouched.memo is None
        assert untouched.debit_account_id == books.source
        # Retry is idempotent; a second reversal of the same transfer is refused.
        assert (
            await svc.reverse(transfer_id=reversal_id, original_id=original, memo="wrong customer")
            == reversal
        )
        with pytest.raises(DomainError) as exc:
            await svc.reverse(transfer_id=new_id(), original_id=original)
        assert exc.value.details["reason"] == LedgerErrorCode.ALREADY_REVERSED
    assert await totals(database, clock, books.wallet) == (D(40), D(40), 0, 0)
    assert await totals(database, clock, books.source) == (D(40), D(40), 0, 0)
    assert await count_transfers(database, books.tenant) == 2


async def test_reversal_obeys_the_guard_and_pending_cannot_be_reversed(
    database: Database, clock: FixedClock, books: Books
) -> None:
    top_up = await move(database, clock, books, books.source, books.wallet, "40")
    await move(database, clock, books, books.wallet, books.sink, "30")
    hold = await move(database, clock, books, books.wallet, books.sink, "5", pending=True)
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        with pytest.raises(DomainError) as exc:
            await svc.reverse(transfer_id=new_id(), original_id=top_up)
        assert exc.value.code == "CBC.99005003"
        with pytest.raises(DomainError) as exc:
            await svc.reverse(transfer_id=new_id(), original_id=hold)
        assert exc.value.details["reason"] == LedgerErrorCode.NOT_REVERSIBLE
    assert await totals(database, clock, books.wallet) == (D(30), D(40), D(5), 0)


async def test_post_pending_can_be_reversed(
    database: Database, clock: FixedClock, books: Books
) -> None:
    await move(database, clock, books, books.source, books.wallet, "10")
    hold = await move(database, clock, books, books.wallet, books.sink, "10", pending=True)
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        posted = await svc.post_pending(transfer_id=new_id(), pending_id=hold, amount=D(4))
        await svc.reverse(transfer_id=new_id(), original_id=posted.id)
    assert await totals(database, clock, books.wallet) == (D(4), D(14), 0, 0)


async def test_a_failed_transfer_in_a_unit_of_work_rolls_back_everything(
    database: Database, clock: FixedClock, books: Books
) -> None:
    with pytest.raises(DomainError):
        async with database.unit_of_work() as uow:
            svc = LedgerService(uow.session, clock)
            await svc.transfer(
                transfer_id=new_id(),
                debit_account_id=books.source,
                credit_account_id=books.wallet,
                amount=D(5),
                currency="USD",
                code="test",
                tenant_id=books.tenant,
            )
            await svc.transfer(
                transfer_id=new_id(),
                debit_account_id=books.wallet,
                credit_account_id=books.sink,
                amount=D(6),
                currency="USD",
                code="test",
                tenant_id=books.tenant,
            )
    assert await totals(database, clock, books.wallet) == (0, 0, 0, 0)
    assert await count_transfers(database, books.tenant) == 0

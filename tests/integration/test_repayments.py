"""Repayments on a real database (the seed's Repayment page, rules.md §6.10–6.13): online by
card within the amount due and the 40,000 limit, refusals that change nothing, declined cards,
idempotent retries, two concurrent repayments that never pay more than is due, the oldest bill
settled first, the statement's top-up and repayment lines, bank transfers confirmed on their
ticket, the ledger reconciled, and no card number or CVC in any log line."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from partner_center.domains.balances.public import ChargeKind, StatementQuery
from partner_center.domains.ledger.public import reconcile
from partner_center.domains.partners.public import PartnerView
from partner_center.domains.payments.public import CardInput, RepaymentView
from partner_center.domains.tickets.public import BankTransfer, NewTicket, TicketCategory
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import Page
from partner_center.services import Services
from tests.dbutil import create_fresh_database, drop_database
from tests.factories.bills import add_all, fee_row, resource_row
from tests.factories.budgets import BudgetWorld, admin_actor, services

D = Decimal
MARCH_START = datetime(2027, 2, 28, 16, 0, tzinfo=UTC)  # 1 March 00:00 in UTC+8
APRIL_START = datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
AFTER_APRIL_RUN = datetime(2027, 5, 6, 2, 0, tzinfo=UTC)
PAN = "4242424242424242"
DECLINING = "4000000000000002"
CVC = "9731"


def card(number: str = PAN, **kw: Any) -> CardInput:
    fields: dict[str, Any] = {
        "number": number,
        "exp_month": 12,
        "exp_year": 2030,
        "cvc": CVC,
        "holder_name": "Ada Lovelace",
    }
    fields.update(kw)
    return CardInput(**fields)


@dataclass
class Debtor:
    world: BudgetWorld
    partner: PartnerView

    @property
    def id(self) -> str:
        return self.partner.partner_id

    async def run(self, work: Any) -> Any:
        async with self.world.db.unit_of_work() as uow:
            return await work(services(uow.session, self.world.clock))

    async def due(self) -> Decimal:
        async def go(svc: Services) -> Decimal:
            return (await svc.billing.amount_due(self.id)).amount

        result: Decimal = await self.run(go)
        return result

    async def repay(self, amount: object, **kw: Any) -> RepaymentView:
        key = kw.pop("key", None)
        used = kw.pop("card", None) or card()

        async def go(svc: Services) -> RepaymentView:
            return await svc.repayments.repay_online(
                self.id, amount, used, actor_id=self.id, idempotency_key=key
            )

        result: RepaymentView = await self.run(go)
        return result

    async def statement(self) -> list[tuple[str, str, Decimal, Decimal]]:
        async def go(svc: Services) -> list[tuple[str, str, Decimal, Decimal]]:
            actor = await admin_actor(svc, self.id)
            lines, _ = await svc.balances.partner_statement(
                actor,
                credit=False,
                query=StatementQuery(begin=date(2027, 1, 1), end=date(2027, 12, 31)),
                page=Page(0, 100),
            )
            return [
                (line.trade_type, line.trade_detail_type, line.amount, line.balance_after)
                for line in lines
            ]

        result: list[tuple[str, str, Decimal, Decimal]] = await self.run(go)
        return result

    async def bills(self) -> list[tuple[str, Decimal, Decimal]]:
        async def go(svc: Services) -> list[tuple[str, Decimal, Decimal]]:
            return [
                (b.cycle, b.amount_due, b.paid_amount)
                for b in await svc.billing.unpaid_bills(self.id)
            ]

        result: list[tuple[str, Decimal, Decimal]] = await self.run(go)
        return result


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    """A database of its own: a bill run bills a cycle once for everyone in it."""
    url, pg_name = await create_fresh_database()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield db
    finally:
        await db.dispose()
        await drop_database(pg_name)


async def _debtors(database: Database, usage: list[tuple[str, str]]) -> list[Debtor]:
    """CSPs whose customer used (march, april) in March and April 2027, all billed (a cycle is
    billed once for everyone, so the partners are created before the runs)."""
    world = BudgetWorld(database, FixedClock(MARCH_START + timedelta(days=1)))
    march_day = MARCH_START + timedelta(days=3)
    april_day = APRIL_START + timedelta(days=3)
    debtors = []
    for march, april in usage:
        partner = await world.partner()
        customer = await world.customer(partner)
        pid = partner.partner_id
        rid = f"res-{customer[:8]}"
        async with database.unit_of_work() as uow:
            await add_all(
                uow.session,
                resource_row(rid, customer, pid, None, march_day),
                fee_row(
                    rid, customer, pid, march, hour=march_day, rated_at=march_day, cycle="2027-03"
                ),
                fee_row(
                    rid, customer, pid, april, hour=april_day, rated_at=april_day, cycle="2027-04"
                ),
            )
        debtors.append(Debtor(world, partner))
    for cycle, at in (("2027-03", APRIL_START + timedelta(days=5)), ("2027-04", AFTER_APRIL_RUN)):
        async with database.unit_of_work() as uow:
            await services(uow.session, FixedClock(at)).billing.run_cycle(cycle)
    world.clock.set(AFTER_APRIL_RUN)
    return debtors


async def _debtor(database: Database, march: str, april: str) -> Debtor:
    """A CSP whose customer used ``march`` in March and ``april`` in April 2027, both billed."""
    return (await _debtors(database, [(march, april)]))[0]


async def refused(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        await call
    return info.value


async def test_online_repayment_settles_the_oldest_bill_first(database: Database) -> None:
    debtor = await _debtor(database, "100.00", "45000.00")
    assert await debtor.due() == D("45100.00")
    paid = await debtor.repay(D("150.00"))
    assert paid.status.value == "succeeded"
    assert paid.remaining_due == D("44950.00")
    assert paid.card_brand == "visa" and paid.card_last4 == "4242"
    assert await debtor.due() == D("44950.00")
    assert await debtor.bills() == [("2027-04", D("45000.00"), D("50.00"))]
    assert await debtor.statement() == [
        ("DEDEUCT", "SOURCE_OPERATION_REPAYMENT", D("150.00"), D("0")),
        ("RECHARGE", "SOURCE_OPERAIION_RECHARGE", D("150.00"), D("150.00")),
    ]
    async with database.unit_of_work() as uow:
        assert (await reconcile(uow.session)).ok


@pytest.mark.parametrize(
    ("amount", "used", "field"),
    [
        (D("0"), None, "amount"),
        (D("-5"), None, "amount"),
        (D("1.234"), None, "amount"),
        (D("40000.01"), None, "amount"),
        (D("45100.01"), None, "amount"),  # (also over the limit)
        (D("30000.00"), None, "amount"),  # over the amount due of this debtor: 20000
        (1.5, None, "amount"),  # a float is never money
        (D("10"), card(number="4242424242424241"), "card.number"),
        (D("10"), card(exp_year=2027, exp_month=4), "card.exp_year"),
        (D("10"), card(cvc="1"), "card.cvc"),
    ],
)
async def test_refusals_change_nothing(
    database: Database, amount: object, used: CardInput | None, field: str
) -> None:
    debtor = await _debtor(database, "5000.00", "15000.00")
    before = (await debtor.due(), await debtor.statement(), await debtor.bills())
    error = await refused(debtor.repay(amount, card=used))
    assert error.code == "CBC.0100"
    assert error.details["field"] == field
    assert PAN not in error.message and CVC not in error.message
    assert (await debtor.due(), await debtor.statement(), await debtor.bills()) == before


async def test_declined_card_moves_no_money(database: Database) -> None:
    debtor = await _debtor(database, "10.00", "20.00")
    declined = await debtor.repay(D("30.00"), card=card(number=DECLINING))
    assert declined.status.value == "declined"
    assert declined.decline_reason == "card_declined"
    assert declined.remaining_due == D("30.00")
    assert declined.card_last4 == "0002"
    assert await debtor.due() == D("30.00")
    assert await debtor.statement() == []


async def test_idempotent_retry_and_key_reuse(database: Database) -> None:
    debtor = await _debtor(database, "10.00", "20.00")
    first = await debtor.repay(D("12.34"), key="pay-1")
    again = await debtor.repay(D("12.34"), key="pay-1")
    assert again.replayed and again.id == first.id
    assert await debtor.due() == D("17.66")
    assert len(await debtor.statement()) == 2
    reused = await refused(debtor.repay(D("1.00"), key="pay-1"))
    assert reused.code == "CBC.99007009"
    declined = await debtor.repay(D("1.00"), key="pay-2", card=card(number=DECLINING))
    retry = await debtor.repay(D("1.00"), key="pay-2", card=card(number=DECLINING))
    assert retry.replayed and retry.id == declined.id and retry.status.value == "declined"


async def test_two_concurrent_repayments_never_pay_more_than_is_due(database: Database) -> None:
    debtor = await _debtor(database, "40.00", "60.00")
    results = await asyncio.gather(
        *(debtor.repay(D("60.00")) for _ in range(2)), return_exceptions=True
    )
    succeeded = [r for r in results if isinstance(r, RepaymentView)]
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(succeeded) == 1 and len(errors) == 1, results
    assert errors[0].details["field"] == "amount"
    assert await debtor.due() == D("40.00")
    many = await asyncio.gather(
        *(debtor.repay(D("15.00")) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, RepaymentView) for r in many) == 2
    assert await debtor.due() == D("10.00")
    async with database.unit_of_work() as uow:
        assert (await reconcile(uow.session)).ok


async def test_bank_transfer_confirmed_on_its_ticket(database: Database) -> None:
    debtor = await _debtor(database, "100.00", "200.00")

    async def open_ticket(svc: Services) -> str:
        upload = await svc.tickets.upload_attachment(debtor.id, "slip.pdf", b"%PDF-1.7 slip")
        view = await svc.tickets.open_ticket(
            debtor.id,
            NewTicket(
                category=TicketCategory.BANK_TRANSFER,
                title="Transfer",
                description="For March and April",
                attachment_ids=(upload.id,),
                bank_transfer=BankTransfer(D("350.00"), date(2027, 5, 5), "ACME Ltd"),
            ),
            opened_by="admin",
        )
        return view.id

    ticket_id: str = await debtor.run(open_ticket)

    async def confirm(svc: Services) -> RepaymentView:
        return await svc.repayments.confirm_bank_transfer(ticket_id, D("350.00"), actor_id="op")

    confirmed: RepaymentView = await debtor.run(confirm)
    assert confirmed.repaid_amount == D("300.00")
    assert confirmed.remaining_due == D("0.00")
    assert await debtor.due() == D("0")
    again: RepaymentView = await debtor.run(confirm)
    assert again.replayed and again.id == confirmed.id
    assert await debtor.statement() == [
        ("DEDEUCT", "SOURCE_OPERATION_REPAYMENT", D("300.00"), D("50.00")),
        ("RECHARGE", "SOURCE_OPERAIION_RECHARGE", D("350.00"), D("350.00")),
    ]

    async def ticket(svc: Services) -> Any:
        return await svc.tickets.detail(ticket_id, partner_id=debtor.id)

    detail = await debtor.run(ticket)
    assert detail.ticket.status.value == "resolved"
    assert detail.ticket.received_amount == D("350.00")
    assert "50.00 kept as account balance" in detail.messages[-1].body

    async def other_amount(svc: Services) -> RepaymentView:
        return await svc.repayments.confirm_bank_transfer(ticket_id, D("351.00"), actor_id="op")

    assert (await refused(debtor.run(other_amount))).code == "CBC.0100"


async def test_no_card_number_or_cvc_in_any_log(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    debtor = await _debtor(database, "10.00", "20.00")
    caplog.set_level(logging.DEBUG)
    sql = logging.getLogger("sqlalchemy.engine")
    level = sql.level
    sql.setLevel(logging.INFO)  # every SQL statement and its parameters
    try:
        await debtor.repay(D("5.00"))
        await debtor.repay(D("5.00"), card=card(number=DECLINING))
        await refused(debtor.repay(D("5.00"), card=card(number="4242424242424241")))
    finally:
        sql.setLevel(level)
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records)
    assert "INSERT INTO repayments" in text  # the capture saw the SQL
    for secret in (PAN, DECLINING, "4242424242424241", CVC):
        # As a value of its own (a CVC's digits may well occur inside an id or a time).
        assert not re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text), secret


async def test_repaying_a_taxed_bill_never_leaves_a_negative_cash_figure(
    database: Database,
) -> None:
    world = BudgetWorld(database, FixedClock(MARCH_START + timedelta(days=1)))
    partner = await world.partner()
    customer = await world.customer(partner)
    pid, day = partner.partner_id, MARCH_START + timedelta(days=3)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, FixedClock(day))
        await svc.billing.set_tax_rate(pid, D("0.06"), "VAT")
        # The usage as it happens: charged through the ledger to the partner's receivable,
        # and rated into the fee record the bill run reads.
        await svc.balance_engine.charge_customer(
            customer, D("100"), "tax-usage", kind=ChargeKind.USAGE
        )
        await add_all(
            uow.session,
            resource_row("res-tax", customer, pid, None, day),
            fee_row("res-tax", customer, pid, "100", hour=day, rated_at=day, cycle="2027-03"),
        )
    async with database.unit_of_work() as uow:
        await services(uow.session, FixedClock(APRIL_START + timedelta(days=5))).billing.run_cycle(
            "2027-03"
        )
    world.clock.set(APRIL_START + timedelta(days=6))
    debtor = Debtor(world, partner)
    assert await debtor.due() == D("106.00")

    async def figures(svc: Services) -> tuple[Decimal, ...]:
        quota = await svc.balances.partner_quota(pid)
        owed = await svc.balance_books.owed(pid)
        return (quota.amount, quota.due_amount, quota.unbilled_amount, owed)

    # The tax is owed from the bill's issue, beside the consumption.
    assert await debtor.run(figures) == (D(0), D("106.00"), D(0), D("106.00"))
    paid = await debtor.repay(D("106.00"))
    assert (paid.status.value, paid.remaining_due) == ("succeeded", D(0))
    # Repaid in full: nothing owed, no cash figure below zero (before the fix the receivable
    # was left at −6.00, the tax, and the next month's unbilled spend was 6.00 short).
    assert await debtor.run(figures) == (D(0), D(0), D(0), D(0))
    assert all(line[3] >= 0 for line in await debtor.statement())

    async def april_usage(svc: Services) -> None:
        await svc.balance_engine.charge_customer(
            customer, D("50"), "tax-usage-april", kind=ChargeKind.USAGE
        )

    await debtor.run(april_usage)
    assert await debtor.run(figures) == (D(0), D(0), D("50"), D("50"))
    async with database.unit_of_work() as uow:
        assert (await reconcile(uow.session)).ok

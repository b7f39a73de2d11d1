"""BalanceService on a real database, with a movable business clock: charges from allocated
balances and from the partner's postpaid consumption (holds, captures, releases, refunds,
arrears), the consumption-quota restriction, disassociation returns, statement days in the
billing time zone, member permissions, and the proof of statements against the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.models import BalanceEntry
from partner_center.domains.balances.public import (
    BalanceService,
    ChargeFunding,
    ChargeKind,
    ChargeStatus,
    Statement,
    StatementQuery,
    TopUpChannel,
)
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationStatus
from partner_center.domains.identity.public import Role
from partner_center.domains.ledger.public import reconcile
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page
from tests.factories.budgets import (
    BudgetWorld,
    admin_actor,
    member_actor,
    services,
)
from tests.wiring import Balances

D = Decimal
T = TypeVar("T")
ALL = Page(0, 100)


@dataclass
class World:
    base: BudgetWorld

    @property
    def clock(self) -> FixedClock:
        return self.base.clock

    async def run(self, work: Callable[[BalanceService, AsyncSession], Awaitable[T]]) -> T:
        """One unit of work with a BalanceService, as a request or a job would."""
        async with self.base.db.unit_of_work() as uow:
            balances = Balances(services(uow.session, self.clock))
            return await work(balances, uow.session)

    async def partner(
        self, kind: PartnerType = PartnerType.CSP, distributor: PartnerView | None = None
    ) -> PartnerView:
        return await self.base.partner(kind, distributor)

    async def customer(self, partner: PartnerView, **kw: Any) -> str:
        return await self.base.customer(partner, **kw)

    async def fund(self, partner: PartnerView, amount: str) -> None:
        await self.run(
            lambda b, _s: b.top_up(
                partner.partner_id,
                D(amount),
                channel=TopUpChannel.BANK_TRANSFER,
                actor_id="operator",
            )
        )

    async def allocate(self, partner: PartnerView, customer_id: str, amount: str) -> str:
        async def work(b: BalanceService, session: AsyncSession) -> str:
            svc = services(session, self.clock)
            actor = await admin_actor(svc, partner.partner_id)
            moved = await b.allocate_to_customer(actor, customer_id=customer_id, amount=D(amount))
            return moved.id

        return await self.run(work)

    async def reclaim(self, partner: PartnerView, customer_id: str, amount: Decimal) -> str:
        async def work(b: BalanceService, session: AsyncSession) -> str:
            actor = await admin_actor(services(session, self.clock), partner.partner_id)
            moved = await b.reclaim_from_customer(actor, customer_id=customer_id, amount=amount)
            return moved.id

        return await self.run(work)

    async def balance(self, partner: PartnerView, customer_id: str) -> tuple[Decimal, Decimal]:
        """(free balance, debt) of a customer."""

        async def work(b: BalanceService, session: AsyncSession) -> tuple[Decimal, Decimal]:
            actor = await admin_actor(services(session, self.clock), partner.partner_id)
            (row,) = await b.customer_balances(actor, [customer_id])
            return row.amount, row.debt_amount

        return await self.run(work)

    async def cash(self, partner: PartnerView) -> Decimal:
        async def work(b: BalanceService, session: AsyncSession) -> Decimal:
            actor = await admin_actor(services(session, self.clock), partner.partner_id)
            return (await b.partner_balances(actor))[0].amount

        return await self.run(work)

    async def charge(self, customer_id: str, amount: str, charge_id: str, **kw: Any) -> Any:
        return await self.run(
            lambda b, _s: b.charge_customer(customer_id, D(amount), charge_id, **kw)
        )

    async def refused(self, work: Callable[[BalanceService, AsyncSession], Awaitable[Any]]) -> str:
        with pytest.raises(DomainError) as info:
            await self.run(work)
        return info.value.code

    async def proof(self, *owners: str) -> list[str]:
        """Statement problems of these owners, and ledger differences of any account."""
        problems = await self.run(lambda b, _s: b.verify_statements())
        async with self.base.db.unit_of_work() as uow:
            report = await reconcile(uow.session)
        return [f"{p.owner_id}: {p.problem}" for p in problems if p.owner_id in owners] + [
            f"{d.account_id} {d.field}" for d in report.discrepancies
        ]


@pytest.fixture
def world(database: Database) -> World:
    return World(BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))))


async def test_purchases_from_an_allocated_balance(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "100.00")
    await world.allocate(csp, customer, "100.00")

    paid = await world.charge(customer, "30.12345678", new_id())
    assert (paid.funding, paid.status, paid.captured_amount) == (
        ChargeFunding.BALANCE,
        ChargeStatus.CAPTURED,
        D("30.12345678"),
    )
    assert await world.balance(csp, customer) == (D("69.87654322"), D(0))
    too_much = new_id()
    code = await world.refused(lambda b, _s: b.charge_customer(customer, D(70), too_much))
    assert code == "CBC.99005003"
    # Nothing was stored for the refused charge: the id is still free.
    assert (await world.charge(customer, "1", too_much)).amount == D(1)

    held_id = new_id()
    held = await world.charge(customer, "50", held_id, hold=True)
    assert held.status is ChargeStatus.HELD
    assert await world.balance(csp, customer) == (D("18.87654322"), D(0))
    # The hold counts: the customer cannot spend or be reclaimed past it.
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D(19), new_id())) == (
        "CBC.99005003"
    )
    captured = await world.run(lambda b, _s: b.capture_charge(held_id, amount=D("40.5")))
    assert (captured.status, captured.captured_amount) == (ChargeStatus.CAPTURED, D("40.5"))
    assert await world.balance(csp, customer) == (D("28.37654322"), D(0))
    # Capturing again with the same amount is a replay; releasing a captured charge is not.
    assert (await world.run(lambda b, _s: b.capture_charge(held_id))).captured_amount == D("40.5")
    assert await world.refused(lambda b, _s: b.capture_charge(held_id, amount=D(1))) == "CBC.0100"
    assert await world.refused(lambda b, _s: b.release_charge(held_id)) == "CBC.0100"

    released_id = new_id()
    await world.charge(customer, "20", released_id, hold=True)
    released = await world.run(lambda b, _s: b.release_charge(released_id))
    assert released.status is ChargeStatus.RELEASED
    assert (await world.run(lambda b, _s: b.release_charge(released_id))).status is (
        ChargeStatus.RELEASED
    )
    assert await world.balance(csp, customer) == (D("28.37654322"), D(0))

    # Retrying a charge returns it; the same id for something else is refused.
    again = await world.charge(customer, "50", held_id, hold=True)
    assert again.captured_amount == D("40.5")
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D(5), held_id)) == (
        "CBC.99007009"
    )
    assert await world.refused(
        lambda b, _s: b.charge_customer(customer, D(1), new_id(), kind=ChargeKind.USAGE, hold=True)
    ) == ("CBC.0100")
    assert await world.refused(
        lambda b, _s: b.charge_customer(customer, D("0.000000001"), new_id())
    ) == ("CBC.0100")
    assert await world.proof(customer, csp.partner_id) == []


async def test_refunds_go_back_where_the_money_came_from(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "100.00")
    await world.allocate(csp, customer, "60.00")
    order = new_id()
    await world.charge(customer, "50", order)

    refund_id = new_id()
    refund = await world.run(
        lambda b, _s: b.refund_customer(customer, D("20"), refund_id, charge_id=order)
    )
    assert refund.amount == D(20)
    assert await world.balance(csp, customer) == (D(30), D(0))
    # The same refund again is a replay; more than is left, or another customer, is refused.
    assert (
        await world.run(
            lambda b, _s: b.refund_customer(customer, D(20), refund_id, charge_id=order)
        )
    ).id == refund.id
    assert await world.balance(csp, customer) == (D(30), D(0))
    assert (
        await world.refused(
            lambda b, _s: b.refund_customer(customer, D("30.01"), new_id(), charge_id=order)
        )
        == "CBC.0100"
    )
    other = await world.customer(csp)
    assert (
        await world.refused(lambda b, _s: b.refund_customer(other, D(1), new_id(), charge_id=order))
        == "CBC.0100"
    )
    assert (
        await world.refused(
            lambda b, _s: b.refund_customer(customer, D(1), refund_id, charge_id=order)
        )
        == "CBC.99007009"
    )

    # After the customer has left the partner, refunds go to the partner (rules.md §2.6.10).
    returned = await world.run(lambda b, _s: b.return_remaining_on_disassociation(customer))
    assert returned is not None and returned.amount == D(30)

    async def leave(_b: BalanceService, session: AsyncSession) -> None:
        await session.execute(
            update(Customer)
            .where(Customer.account_id == customer)
            .values(association_status=AssociationStatus.DISASSOCIATED)
        )

    await world.run(leave)
    replay = await world.run(lambda b, _s: b.return_remaining_on_disassociation(customer))
    assert replay is not None and (replay.id, replay.replayed) == (returned.id, True)
    cash_before = await world.cash(csp)
    await world.run(lambda b, _s: b.refund_customer(customer, D(10), new_id(), charge_id=order))
    assert await world.cash(csp) == cash_before + 10
    assert await world.proof(customer, csp.partner_id) == []


async def test_usage_beyond_the_balance_becomes_arrears_paid_by_the_next_allocation(
    world: World,
) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "100.00")
    await world.allocate(csp, customer, "10.00")
    usage = await world.charge(customer, "14.5", new_id(), kind=ChargeKind.USAGE)
    assert (usage.captured_amount, usage.arrears_amount) == (D("14.5"), D("4.5"))
    assert await world.balance(csp, customer) == (D(0), D("4.5"))
    # A purchase is refused at a zero balance; usage keeps accruing debt.
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D(1), new_id())) == (
        "CBC.99005003"
    )
    await world.allocate(csp, customer, "3.00")
    assert await world.balance(csp, customer) == (D(0), D("1.5"))
    await world.allocate(csp, customer, "5.00")
    assert await world.balance(csp, customer) == (D("3.5"), D(0))

    async def lines(b: BalanceService, _s: AsyncSession) -> list[tuple[str, Decimal, Decimal]]:
        query = StatementQuery(begin=date(2026, 1, 1), end=date(2026, 12, 31))
        rows, _ = await b._statement_page(customer, Statement.CUSTOMER_DEBIT, query, ALL)
        return [(r.trade_detail_type, r.amount, r.balance_after) for r in rows]

    assert await world.run(lines) == [
        ("SOURCE_OPERAIION_WRITEOFF", D("1.5"), D("3.5")),
        ("SOURCE_OPERATION_BEADJUST", D(5), D(5)),
        ("SOURCE_OPERAIION_WRITEOFF", D(3), D(0)),
        ("SOURCE_OPERATION_BEADJUST", D(3), D(3)),
        ("SOURCE_OPERAIION_USAGE", D(10), D(0)),
        ("SOURCE_OPERATION_BEADJUST", D(10), D(10)),
    ]
    assert await world.proof(customer, csp.partner_id) == []


async def test_postpaid_holds_count_against_the_consumption_quota(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.run(lambda b, _s: b.set_consumption_quota(csp.partner_id, D(100), actor_id="op"))
    held_id = new_id()
    held = await world.charge(customer, "70", held_id, hold=True)
    assert (held.funding, held.status) == (ChargeFunding.POSTPAID, ChargeStatus.HELD)
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D(31), new_id())) == (
        "CBC.99005003"
    )
    await world.run(lambda b, _s: b.release_charge(held_id))
    assert (await world.charge(customer, "100", new_id())).captured_amount == D(100)

    # Lowering the quota under what is used restricts at once; raising it lifts.
    lowered = await world.run(
        lambda b, _s: b.set_consumption_quota(csp.partner_id, D(99), actor_id="op")
    )
    assert lowered.restricted and lowered.used_consumption_quota == D(100)
    assert await world.refused(lambda b, _s: b.ensure_purchase_allowed(customer)) == "CBC.99003656"
    raised = await world.run(
        lambda b, _s: b.set_consumption_quota(csp.partner_id, D(150), actor_id="op")
    )
    assert not raised.restricted
    await world.run(lambda b, _s: b.ensure_purchase_allowed(customer))
    # A refund of postpaid consumption reduces what is owed.
    order = new_id()
    await world.charge(customer, "50", order)
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D("0.01"), new_id())) == (
        "CBC.99005003"
    )
    await world.run(lambda b, _s: b.refund_customer(customer, D(50), new_id(), charge_id=order))
    view = await world.run(lambda b, _s: b.partner_quota(csp.partner_id))
    assert (view.unbilled_amount, view.used_consumption_quota) == (D(100), D(100))

    # A referral customer pays for itself; a customer who left cannot be charged.
    referral = await world.customer(csp, referral=True)
    assert await world.refused(lambda b, _s: b.charge_customer(referral, D(1), new_id())) == (
        "CBC.99005003"
    )

    async def leave(_b: BalanceService, session: AsyncSession) -> None:
        row = await session.get(Customer, customer)
        assert row is not None
        row.association_status = AssociationStatus.DISASSOCIATED

    await world.run(leave)
    assert await world.refused(lambda b, _s: b.charge_customer(customer, D(1), new_id())) == (
        "CBC.99000035"
    )
    assert await world.proof(csp.partner_id) == []


async def test_statement_days_are_billing_zone_days(world: World) -> None:
    csp = await world.partner()
    # 23:30 UTC on 31 March is 07:30 on 1 April in UTC+8.
    world.clock.set(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    await world.fund(csp, "1.00")
    world.clock.set(datetime(2026, 3, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 March, UTC+8
    await world.fund(csp, "2.00")

    async def days(begin: date, end: date) -> list[str]:
        async def work(b: BalanceService, session: AsyncSession) -> list[str]:
            actor = await admin_actor(services(session, world.clock), csp.partner_id)
            rows, _ = await b.partner_statement(
                actor, credit=False, query=StatementQuery(begin=begin, end=end), page=ALL
            )
            return [format(r.amount, "f") for r in rows]

        return await world.run(work)

    march_31, april_1 = date(2026, 3, 31), date(2026, 4, 1)
    assert await days(april_1, april_1) == ["1.00000000"]
    assert await days(march_31, march_31) == ["2.00000000"]
    assert await days(march_31, april_1) == ["1.00000000", "2.00000000"]
    assert await days(april_1 + timedelta(days=1), date(2026, 12, 1)) == []


async def test_members_need_the_permission_items(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "10.00")

    async def as_member(roles: list[str], action: str) -> Any:
        async def work(b: BalanceService, session: AsyncSession) -> Any:
            actor = await member_actor(services(session, world.clock), csp.partner_id, roles)
            if action == "allocate":
                return await b.allocate_to_customer(actor, customer_id=customer, amount=D(1))
            if action == "reclaim":
                return await b.reclaim_from_customer(actor, customer_id=customer, amount=D(1))
            return await b.consumption_quota(actor)

        return await world.run(work)

    for action in ("allocate", "reclaim", "quota"):
        with pytest.raises(DomainError) as info:
            await as_member([Role.ACCOUNT_MANAGER.value], action)
        assert info.value.code == "CBC.0151"
    await as_member([Role.FINANCE.value], "allocate")
    await as_member([Role.FINANCE.value], "reclaim")
    assert (await as_member([Role.FINANCE.value], "quota")).amount == D(10)


async def test_verification_finds_a_tampered_statement(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "10.00")
    await world.allocate(csp, customer, "4.00")
    assert await world.proof(csp.partner_id, customer) == []

    async def tamper(delta: Decimal) -> None:
        async def work(_b: BalanceService, session: AsyncSession) -> None:
            entry = (
                await session.execute(
                    select(BalanceEntry).where(
                        BalanceEntry.tenant_id == customer,
                        BalanceEntry.statement == Statement.CUSTOMER_DEBIT,
                    )
                )
            ).scalar_one()
            entry.balance_after += delta

        await world.run(work)

    await tamper(D("0.01"))
    problems = await world.proof(csp.partner_id, customer)
    assert len(problems) == 2 and all(p.startswith(customer) for p in problems)
    await tamper(D("-0.01"))
    assert await world.proof(csp.partner_id, customer) == []


async def test_referral_and_disassociated_customers_have_no_expenditure_quota(
    world: World,
) -> None:
    csp = await world.partner()
    referral = await world.customer(csp, referral=True)
    assert await world.refused(lambda b, _s: b.expenditure_quota(referral)) == "CBC.5024"
    customer = await world.customer(csp)
    await world.base.set_budget(csp, customer, "80.00")
    view = await world.run(lambda b, _s: b.expenditure_quota(customer))
    assert (view.granting_amount, view.granting_amount_used) == (D(80), D(0))


async def test_a_new_association_starts_without_the_old_balance_funding(world: World) -> None:
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.fund(csp, "10.00")
    await world.allocate(csp, customer, "10.00")
    assert (await world.charge(customer, "1", new_id())).funding is ChargeFunding.BALANCE

    async def leave_and_rejoin(b: BalanceService, session: AsyncSession) -> None:
        assert (await b.return_remaining_on_disassociation(customer)) is not None
        row = await session.get(Customer, customer)
        assert row is not None
        row.association_status = AssociationStatus.DISASSOCIATED
        await session.flush()
        row.association_status = AssociationStatus.ASSOCIATED
        row.associated_on = world.clock.now() + timedelta(days=1)

    await world.run(leave_and_rejoin)
    assert await world.cash(csp) == D(9)
    # In the new association the partner has not funded it: its spend is postpaid again.
    await world.run(lambda b, _s: b.set_consumption_quota(csp.partner_id, D(50), actor_id="op"))
    assert (await world.charge(customer, "1", new_id())).funding is ChargeFunding.POSTPAID
    assert await world.proof(customer, csp.partner_id) == []

"""Concurrent purchases against one budget, each in its own unit of work: the budget's ledger
guard (under the customer and budget row locks) lets exactly as many through as fit, and a
retried purchase id reserves once. The key proof runs on PostgreSQL, where the units of work
really overlap; on SQLite they queue behind BEGIN IMMEDIATE."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from partner_center.domains.budgets.public import (
    BatchOutcome,
    BudgetType,
    BudgetView,
    Reservation,
)
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from tests.factories.budgets import BudgetWorld, admin_actor, services, unique_name
from tests.integration.test_budget_service import breaches

D = Decimal
PRICE = D("7.77")


async def test_twenty_concurrent_purchases_against_a_budget_for_ten(database: Database) -> None:
    world = BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC)))
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.set_budget(csp, customer, PRICE * 10, lift=True)

    async def purchase(n: int) -> Reservation | DomainError:
        try:
            async with database.unit_of_work() as uow:
                budgets = services(uow.session, world.clock).budgets
                reservation = await budgets.reserve(customer, PRICE, f"order-{n}")
                return await budgets.commit(reservation.id)
        except DomainError as exc:
            return exc

    outcomes = await asyncio.gather(*(purchase(n) for n in range(20)))
    charged = [o for o in outcomes if isinstance(o, Reservation)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(charged) == 10
    assert {e.code for e in refused} == {"CBC.99003198"}
    assert len(refused) == 10

    view = await world.budget(customer)
    assert view.used_amount == sum((r.committed_amount or D(0) for r in charged), D(0))
    assert view.used_amount == PRICE * 10
    assert view.reserved_amount == 0
    assert await breaches(world, customer) == []


async def test_a_retried_purchase_reserves_once(database: Database) -> None:
    world = BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC)))
    csp = await world.partner()
    customer = await world.customer(csp)
    await world.set_budget(csp, customer, "100", lift=True)
    purchase_id = unique_name("order")

    async def submit() -> Reservation:
        async with database.unit_of_work() as uow:
            budgets = services(uow.session, world.clock).budgets
            return await budgets.reserve(customer, D(60), purchase_id)

    # 60 twice would not fit in 100: a second hold could not hide behind a budget error.
    reservations = await asyncio.gather(*(submit() for _ in range(8)))
    assert len({r.id for r in reservations}) == 1
    assert (await world.budget(customer)).reserved_amount == 60

    async def charge() -> Reservation:
        async with database.unit_of_work() as uow:
            return await services(uow.session, world.clock).budgets.commit(reservations[0].id)

    commits = await asyncio.gather(*(charge() for _ in range(5)))
    assert {c.committed_amount for c in commits} == {D(60)}
    view = await world.budget(customer)
    assert (view.used_amount, view.reserved_amount) == (60, 0)
    assert await breaches(world, customer) == []


async def test_concurrent_settings_never_exceed_the_resellers_quota(database: Database) -> None:
    world = BudgetWorld(database, FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC)))
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor)
    await world.grant(distributor, reseller, monthly_quota=D(100), package_quota=D(100))
    customers = [await world.customer(distributor, reseller=reseller) for _ in range(8)]

    async def setting(customer_id: str) -> BudgetView | DomainError:
        try:
            return await world.set_budget(distributor, customer_id, "30", indirect=reseller)
        except DomainError as exc:
            return exc

    outcomes = await asyncio.gather(*(setting(c) for c in customers))
    assert sum(isinstance(o, BudgetView) for o in outcomes) == 3
    assert {o.details["reason"] for o in outcomes if isinstance(o, DomainError)} == {
        "quota_exceeded"
    }

    # Overlapping batches in opposite orders, and type changes in both directions, all at
    # once: they queue (no deadlock) and the quotas still hold.
    async def batch(ids: list[str], budget_type: BudgetType) -> BatchOutcome:
        async with database.unit_of_work() as uow:
            svc = services(uow.session, world.clock)
            return await svc.budgets.set_budgets(
                await admin_actor(svc, distributor.partner_id),
                ids,
                amount=D(20),
                budget_type=budget_type,
                indirect_partner_id=reseller.partner_id,
            )

    results = await asyncio.gather(
        batch(customers, BudgetType.PACKAGE),
        batch(customers[::-1], BudgetType.MONTHLY),
        batch(customers[2:6], BudgetType.PACKAGE),
    )
    assert all(
        len(r.succeeded) + len(r.failed) == len(set(ids))
        for r, ids in zip(results, (customers, customers, customers[2:6]), strict=True)
    )
    totals = {BudgetType.MONTHLY: D(0), BudgetType.PACKAGE: D(0)}
    for customer_id in customers:
        view = await world.budget(customer_id)
        if view.is_set:
            totals[view.budget_type] += view.budget_amount
    assert totals[BudgetType.MONTHLY] <= 100
    assert totals[BudgetType.PACKAGE] <= 100
    assert await breaches(world, reseller.partner_id, *customers) == []

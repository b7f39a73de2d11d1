"""The dashboard's figures, computed by the database, agree with the per-customer reads they
summarise: budget use of all customers (threshold counts, top users), customers per
association type, state and account manager, a partner's overdue bills, and the spend on its
bills per cloud service and billing mode."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from partner_center.domains.billing.models import CustomerBillLine
from partner_center.domains.billing.public import LineKind
from partner_center.domains.customers.public import AssociationType, CustomerFilter
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.pagination import Page
from tests.factories.budgets import BudgetWorld, admin_actor, services
from tests.integration.test_bill_run import RUN_MARCH, Shop, _world, run
from tests.wiring import services_for

D = Decimal


async def test_budget_use_and_customer_spread(database: Database) -> None:
    world = BudgetWorld(database, FixedClock(datetime(2026, 11, 10, 8, 0, tzinfo=UTC)))
    distributor = await world.partner(PartnerType.DISTRIBUTOR)
    reseller = await world.partner(PartnerType.RESELLER, distributor=distributor)
    own = [await world.customer(distributor) for _ in range(3)]
    theirs = await world.customer(distributor, reseller=reseller)
    referral = await world.customer(distributor, referral=True)
    await world.grant(distributor, reseller, monthly_quota=D("1000"))
    for customer in own:
        await world.set_budget(distributor, customer, "100", lift=True)
    await world.set_budget(distributor, theirs, "200", lift=True, indirect=reseller)
    await world.purchase(own[0], "80")  # 80 %
    await world.purchase(own[1], "100")  # used up
    await world.purchase(theirs, "190")  # 95 %

    async with database.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        actor = await admin_actor(svc, distributor.partner_id)
        summary = await svc.budgets.usage_summary(actor)
        views = await svc.budget_engine.views([*own, theirs], currency="USD")
        spread = await svc.customers.distribution(actor)
        listed, _total = await svc.customers.list_sub_customers(
            actor, CustomerFilter(), Page(0, 100)
        )
    assert summary.budgets == 4
    assert summary.budget_amount == sum(v.budget_amount for v in views) == D(500)
    assert summary.used_amount == sum(v.used_amount for v in views) == D(370)
    assert (summary.reached_75, summary.reached_90, summary.exhausted) == (3, 2, 1)
    assert [c for c, _b, _u in summary.top[:3]] == [theirs, own[1], own[0]]
    assert summary.top[0][1:] == (D(200), D(190))

    assert spread.by_association_type == {AssociationType.RESELLER: 3, AssociationType.REFERRAL: 1}
    assert sum(n for _m, n in spread.by_account_manager) == len(listed) == 4
    assert spread.by_account_manager == [(None, 4)]
    assert spread.restricted == sum(1 for c in listed if c.restricted and not c.is_frozen)
    assert referral in {c.customer_id for c in listed}


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async for value in _world():
        yield value


async def test_overdue_bills_and_spend_per_service_and_mode(shop: Shop) -> None:
    await run(shop, "2027-03", RUN_MARCH)
    for partner in (shop.csp, shop.distributor):
        async with shop.world.db.unit_of_work() as uow:
            billing = services_for(uow.session, FixedClock(RUN_MARCH)).billing
            spend = await billing.expenditure_distribution(
                partner.partner_id, first="2027-01", last="2027-03"
            )
            due = await billing.amount_due_view(partner.partner_id)
            lines = (
                await uow.session.scalars(
                    select(CustomerBillLine).where(
                        CustomerBillLine.billed_partner_id == partner.partner_id
                    )
                )
            ).all()
        per_service: dict[str, Decimal] = defaultdict(Decimal)
        per_kind: dict[LineKind, Decimal] = defaultdict(Decimal)
        for line in lines:
            per_service[line.service_type_code] += line.amount
            per_kind[LineKind(line.kind)] += line.amount
        assert lines and dict(spend.by_service) == per_service
        assert dict(spend.by_kind) == per_kind
        assert [a for _c, a in spend.by_service] == sorted(per_service.values(), reverse=True)

        bill = due.unpaid_bills[0]
        for at, count in (
            (bill.due_at - timedelta(hours=1), 0),
            (bill.due_at + timedelta(hours=1), 1),
        ):
            async with shop.world.db.unit_of_work() as uow:
                overdue = await services_for(uow.session, FixedClock(at)).billing.overdue_summary(
                    partner.partner_id
                )
            assert overdue.bills == count
            assert overdue.amount == (due.total_amount_due.amount if count else D(0))
            assert overdue.oldest_due_at == (bill.due_at if count else None)


async def test_used_in_all_is_the_sum_of_the_rows_as_shown(database: Database) -> None:
    world = BudgetWorld(database, FixedClock(datetime(2026, 11, 10, 8, 0, tzinfo=UTC)))
    partner = await world.partner()
    customers = [await world.customer(partner) for _ in range(3)]
    for customer in customers:
        await world.set_budget(partner, customer, "100", lift=True)
    for customer, amount in zip(customers, ("0.005", "0.005", "0.004"), strict=True):
        await world.purchase(customer, amount)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, world.clock)
        summary = await svc.budgets.usage_summary(await admin_actor(svc, partner.partner_id))
        views = await svc.budget_engine.views(customers, currency="USD")
    assert sum(v.used_amount for v in views) == D("0.014")  # shown once rounded: 0.01
    assert sorted(used for _c, _b, used in summary.top) == [D("0.00"), D("0.01"), D("0.01")]
    assert summary.used_amount == sum(used for _c, _b, used in summary.top) == D("0.02")

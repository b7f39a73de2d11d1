"""The monthly bill run on a real database: hand-computed totals to the cent, the rounding
residue, the reseller breakdown, referral customers not payable, tax, late usage adjusted in
the next cycle, re-runs and a run stopped half-way, and repayments of the amount due."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partner_center.domains.billing.models import BillRunStaging, CustomerBill, PartnerBill
from partner_center.domains.billing.public import BillStatus, bill_id
from partner_center.domains.orders.models import OrderStatus
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.domains.usage.models import ChargeState
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.money import Money
from tests.dbutil import create_fresh_database, drop_database
from tests.factories.bills import add_all, fee_row, order_rows, resource_row
from tests.factories.budgets import BudgetWorld
from tests.wiring import services_for

D = Decimal
MARCH_START = datetime(2027, 2, 28, 16, 0, tzinfo=UTC)  # 1 March 00:00 in UTC+8
APRIL_START = datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
RUN_MARCH = datetime(2027, 4, 4, 18, 0, tzinfo=UTC)  # 5 April 02:00 UTC+8
RUN_APRIL = datetime(2027, 5, 4, 18, 0, tzinfo=UTC)


@dataclass
class Shop:
    world: BudgetWorld
    distributor: PartnerView
    reseller: PartnerView
    csp: PartnerView
    c1: str
    c2: str
    c3: str
    c4: str
    c5: str


async def _world(batch_size: int = 100) -> AsyncIterator[Shop]:
    url, pg_name = await create_fresh_database()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        world = BudgetWorld(db, FixedClock(MARCH_START - timedelta(days=1)))
        distributor = await world.partner(PartnerType.DISTRIBUTOR)
        reseller = await world.partner(PartnerType.RESELLER, distributor=distributor)
        csp = await world.partner()
        c1 = await world.customer(distributor, reseller=reseller)
        c2 = await world.customer(distributor, reseller=reseller)
        c3 = await world.customer(distributor)
        c4 = await world.customer(csp)
        c5 = await world.customer(csp, referral=True)
        shop = Shop(world, distributor, reseller, csp, c1, c2, c3, c4, c5)
        await _march(shop)
        yield shop
    finally:
        await db.dispose()
        await drop_database(pg_name)


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async for value in _world():
        yield value


async def _march(shop: Shop) -> None:
    d, r, p = shop.distributor.partner_id, shop.reseller.partner_id, shop.csp.partner_id
    day = MARCH_START + timedelta(days=3)
    rated = day + timedelta(hours=1)
    async with shop.world.db.unit_of_work() as uow:
        s = uow.session
        rows: list[object] = []
        r1, r2, r3, r4 = "res-c1", "res-c2", "res-c3", "res-c4"
        rows += [
            resource_row(r1, shop.c1, r, d, day),
            resource_row(r2, shop.c2, r, d, day),
            resource_row(r3, shop.c3, d, None, day),
            resource_row(r4, shop.c4, p, None, day),
        ]
        for i in range(3):
            rows.append(
                fee_row(
                    r1,
                    shop.c1,
                    r,
                    "0.33333333",
                    hour=day,
                    rated_at=rated + timedelta(hours=i),
                    cycle="2027-03",
                )
            )
        rows.append(fee_row(r2, shop.c2, r, "0.005", hour=day, rated_at=rated, cycle="2027-03"))
        rows.append(
            fee_row(r3, shop.c3, d, "1.23456789", hour=day, rated_at=rated, cycle="2027-03")
        )
        rows.append(
            fee_row(r4, shop.c4, p, "0.00499999", hour=day, rated_at=rated, cycle="2027-03")
        )
        # Not charged: never billed.
        rows.append(
            fee_row(
                r4,
                shop.c4,
                p,
                "7",
                hour=day + timedelta(hours=1),
                rated_at=rated,
                cycle="2027-03",
                state=ChargeState.FREE,
            )
        )
        # March usage rated after the March run: April's adjustment.
        rows.append(
            fee_row(
                r1,
                shop.c1,
                r,
                "0.5",
                hour=APRIL_START - timedelta(hours=1),
                rated_at=RUN_MARCH + timedelta(hours=1),
                cycle="2027-03",
            )
        )
        # April usage rated before the March run: April's own usage.
        rows.append(
            fee_row(
                r1,
                shop.c1,
                r,
                "0.25",
                hour=APRIL_START + timedelta(hours=2),
                rated_at=APRIL_START + timedelta(hours=3),
                cycle="2027-04",
            )
        )
        rows += order_rows(shop.c1, r, d, "10.00", coupon="2.00", paid_at=day)
        rows += order_rows(shop.c2, r, d, "3.00", refund=True, paid_at=day)
        rows += order_rows(shop.c4, p, None, "100.00", paid_at=day)
        rows += order_rows(shop.c5, p, None, "50.00", paid_at=day)
        rows += order_rows(
            shop.c4, p, None, "40.00", paid_at=day, status=OrderStatus.PENDING_PAYMENT
        )
        # Paid in April: April's.
        rows += order_rows(shop.c3, d, None, "20.00", paid_at=APRIL_START + timedelta(minutes=1))
        await add_all(s, *rows)
        await services_for(s, FixedClock(day)).billing.set_tax_rate(p, D("0.1"), "VAT")


async def run(shop: Shop, cycle: str, at: datetime, **settings: object) -> None:
    async with shop.world.db.unit_of_work() as uow:
        await services_for(uow.session, FixedClock(at), **settings).billing.run_cycle(cycle)


async def snapshot(shop: Shop) -> list[tuple[object, ...]]:
    async with shop.world.db.unit_of_work() as uow:
        s = uow.session
        customers = (
            await s.execute(
                select(
                    CustomerBill.tenant_id,
                    CustomerBill.cycle,
                    CustomerBill.total_amount,
                    CustomerBill.reseller_model,
                ).order_by(CustomerBill.cycle, CustomerBill.tenant_id)
            )
        ).all()
        partners = (
            await s.execute(
                select(PartnerBill.id, PartnerBill.total_amount, PartnerBill.amount_due).order_by(
                    PartnerBill.id
                )
            )
        ).all()
        return [tuple(row) for row in [*customers, *partners]]


async def test_march_bills_equal_hand_computed_figures(shop: Shop) -> None:
    await run(shop, "2027-03", RUN_MARCH)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_MARCH)).billing
        d = await billing.partner_bill(shop.distributor.partner_id, "2027-03")
        p = await billing.partner_bill(shop.csp.partner_id, "2027-03")
        customers = {
            b.customer_id: b
            for b in (await billing.customer_bills(shop.csp.partner_id, "2027-03", page_all()))[0]
            + (await billing.customer_bills(shop.distributor.partner_id, "2027-03", page_all()))[0]
        }
    # c1: 3 × 0.33333333 + 10.00 − 2.00 coupon = 8.99999999 → 9.00
    assert customers[shop.c1].total_amount == D("9.00")
    assert customers[shop.c1].consumption_amount == D("10.99999999")
    # c2: 0.005 − 3.00 refund = −2.995 → −3.00 (half away from zero)
    assert customers[shop.c2].total_amount == D("-3.00")
    assert customers[shop.c3].total_amount == D("1.23")
    assert customers[shop.c4].total_amount == D("100.00")
    assert customers[shop.c5].total_amount == D("50.00")
    assert not customers[shop.c5].reseller_model
    # Distributor: 8.99999999 − 2.995 + 1.23456789 = 7.23956788 → 7.24; parts 9.00 − 3.00 + 1.23
    assert d.bill.total_amount == D("7.24")
    assert d.bill.consumption_amount == D("12.24")
    assert d.bill.refund_amount == D("-3.00")
    assert d.bill.coupon_amount == D("2.00")
    assert d.bill.amount_due == D("7.24")
    assert d.residue == {"CUSTOMERS": D("0.01"), "RESELLERS": D("0.01")}
    assert [(r.reseller_id, r.customer_count, r.total_amount) for r in d.resellers] == [
        (shop.reseller.partner_id, 2, D("6.00"))
    ]
    # CSP: the referral customer's 50.00 is not on its bill; 10 % tax.
    assert (p.bill.total_amount, p.bill.tax_amount, p.bill.amount_due) == (
        D("100.00"),
        D("10.00"),
        D("110.00"),
    )
    assert p.bill.customer_count == 1
    assert p.bill.status is BillStatus.UNPAID
    assert p.residue == {"CUSTOMERS": D("0.00")}


def page_all() -> object:
    from partner_center.kernel.pagination import Page

    return Page(offset=0, limit=100)


async def test_rerun_changes_nothing_and_late_usage_lands_in_april(shop: Shop) -> None:
    await run(shop, "2027-03", RUN_MARCH)
    first = await snapshot(shop)
    await run(shop, "2027-03", RUN_MARCH + timedelta(days=3))
    assert await snapshot(shop) == first
    await run(shop, "2027-04", RUN_APRIL)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_APRIL)).billing
        april = await billing.partner_bill(shop.distributor.partner_id, "2027-04")
        lines = (await billing.customer_bills(shop.distributor.partner_id, "2027-04", page_all()))[
            0
        ]
    by_customer = {b.customer_id: b for b in lines}
    assert by_customer[shop.c1].adjustment_amount == D("0.5")
    assert by_customer[shop.c1].consumption_amount == D("0.25")
    assert by_customer[shop.c3].consumption_amount == D("20")
    assert april.bill.total_amount == D("20.75")
    assert april.bill.adjustment_amount == D("0.50")


async def test_usage_rated_at_the_cutoff_instant_is_billed_once_in_its_month(shop: Shop) -> None:
    # At 02:00 on the 5th the hour's rating runs just before the bill run; with the sandbox
    # clock frozen at 02:00 both carry the same instant. Such a record is March's, not an
    # adjustment of April's bill, and is never counted twice.
    async with shop.world.db.unit_of_work() as uow:
        await add_all(
            uow.session,
            fee_row(
                "res-c3",
                shop.c3,
                shop.distributor.partner_id,
                "0.01",
                hour=APRIL_START - timedelta(hours=2),
                rated_at=RUN_MARCH,
                cycle="2027-03",
            ),
        )
    await run(shop, "2027-03", RUN_MARCH)
    await run(shop, "2027-04", RUN_APRIL)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_APRIL)).billing
        march = {
            b.customer_id: b
            for b in (
                await billing.customer_bills(shop.distributor.partner_id, "2027-03", page_all())
            )[0]
        }
        april = {
            b.customer_id: b
            for b in (
                await billing.customer_bills(shop.distributor.partner_id, "2027-04", page_all())
            )[0]
        }
    # c3: 1.23456789 + 0.01 = 1.24456789 → 1.24 in March; April has only its 20.00 order.
    assert march[shop.c3].consumption_amount == D("1.24456789")
    assert march[shop.c3].total_amount == D("1.24")
    assert (april[shop.c3].adjustment_amount, april[shop.c3].total_amount) == (D("0"), D("20.00"))


async def test_a_run_stopped_half_way_is_completed_by_the_next(shop: Shop) -> None:
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(RUN_MARCH), bill_batch_size=1)
        await svc.bill_runner.plan("2027-03")
        pending = await svc.bill_runner.pending_batches("2027-03")
        assert len(pending) == 2
        await svc.bill_runner.bill_batch("2027-03", pending[0])
    with pytest.raises(RuntimeError):
        async with shop.world.db.unit_of_work() as uow:
            svc = services_for(uow.session, FixedClock(RUN_MARCH), bill_batch_size=1)
            await svc.bill_runner.bill_batch("2027-03", pending[1])
            raise RuntimeError("killed")
    async with shop.world.db.unit_of_work() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(PartnerBill))
        staged = await uow.session.scalar(select(func.count()).select_from(BillRunStaging))
    # The staging sums of the plan stay until the run completes.
    assert (count, staged) == (1, 8)
    await run(shop, "2027-04", RUN_APRIL, bill_batch_size=1)
    async with shop.world.db.unit_of_work() as uow:
        staged = await uow.session.scalar(select(func.count()).select_from(BillRunStaging))
    assert staged == 0
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_APRIL)).billing
        d = await billing.partner_bill(shop.distributor.partner_id, "2027-03")
        p = await billing.partner_bill(shop.csp.partner_id, "2027-03")
    assert (d.bill.total_amount, p.bill.amount_due) == (D("7.24"), D("110.00"))


async def test_repayments_settle_the_oldest_bill_first(shop: Shop) -> None:
    await run(shop, "2027-03", RUN_MARCH)
    await run(shop, "2027-04", RUN_APRIL)
    pid = shop.distributor.partner_id
    at = RUN_APRIL + timedelta(hours=1)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(at)).billing
        assert await billing.amount_due(pid) == Money(D("27.99"), "USD")
        with pytest.raises(DomainError) as over:
            await billing.apply_repayment(pid, Money(D("28.00"), "USD"), payment_ref="x")
        assert over.value.code == "CBC.0100"
        with pytest.raises(DomainError):
            await billing.apply_repayment(pid, Money(D("1.001"), "USD"), payment_ref="x")
        left = await billing.apply_repayment(pid, Money(D("10.00"), "USD"), payment_ref="rp-1")
        assert left == Money(D("17.99"), "USD")
        again = await billing.apply_repayment(pid, Money(D("10.00"), "USD"), payment_ref="rp-1")
        assert again == left
        bills = await billing.unpaid_bills(pid)
    assert [(b.cycle, b.remaining_amount, b.status) for b in bills] == [
        ("2027-04", D("17.99"), BillStatus.PARTIALLY_PAID)
    ]
    late = at + timedelta(days=40)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(late)).billing
        assert (await billing.unpaid_bills(pid))[0].status is BillStatus.OVERDUE
        assert await billing.has_overdue(pid)
        march = await billing.partner_bill(pid, "2027-03")
        assert march.bill.status is BillStatus.PAID
        assert bill_id("2027-03", pid) == march.bill.bill_id


async def test_a_scheduled_run_fans_out_one_procrastinate_task_per_batch(shop: Shop) -> None:
    from procrastinate.testing import InMemoryConnector

    from partner_center.cli import bill_batch
    from partner_center.domains.billing.models import BillRun
    from partner_center.runtime import build_state
    from partner_center.settings import Settings
    from partner_center.worker.procrastinate_app import (
        ProcrastinateBillDispatcher,
        build_procrastinate_app,
    )
    from partner_center.worker.runner import DueJobRunner
    from tests.wiring import TEST_SECRET_KEY

    settings = Settings(
        database_url=shop.world.db.url, secret_key=TEST_SECRET_KEY, bill_batch_size=1
    )
    state = build_state(settings, db=shop.world.db, clock=FixedClock(RUN_MARCH))
    runner = DueJobRunner(state.db, state.jobs, clock=state.clock, zone=settings.zone)
    connector = InMemoryConnector()
    app = build_procrastinate_app(
        "postgresql://unused/unused",
        runner=runner,
        bill_batch=lambda cycle, batch_no: bill_batch(state, cycle, batch_no),
        connector=connector,
    )
    state.wiring.bill_fanout.dispatcher = ProcrastinateBillDispatcher(app)
    async with app.open_async():
        async with state.work() as services:
            report = await services.billing.run_cycle("2027-03", fan_out=True)
        assert (report.batches, report.batches_billed, report.completed) == (2, 0, False)
        assert len(connector.jobs) == 2
        await app.run_worker_async(wait=False, install_signal_handlers=False)
    async with shop.world.db.unit_of_work() as uow:
        run_row = await uow.session.get(BillRun, "2027-03")
        count = await uow.session.scalar(select(func.count()).select_from(PartnerBill))
    assert run_row is not None and run_row.completed_at is not None
    assert count == 2


async def test_overdue_bills_freeze_benefits_then_restrict_purchases_until_repaid(
    shop: Shop,
) -> None:
    from partner_center.domains.notifications.public import PARTNER_BILLING

    pid = shop.csp.partner_id
    async with shop.world.db.unit_of_work() as uow:
        await services_for(uow.session, FixedClock(RUN_MARCH)).balances.set_consumption_quota(
            pid, D("1000.00"), actor_id="operator"
        )
    await run(shop, "2027-03", RUN_MARCH)
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(RUN_MARCH))
        await svc.notifications.add_recipient(
            tenant_id=pid, topic=PARTNER_BILLING, name="Finance", email="fin@example.com"
        )
        await svc.billing.set_quota_threshold(pid, D("100.00"))
        assert not await svc.billing.benefits_frozen(pid)
        # Used quota 110.00 (the bill) ≥ 100: notified once.
        assert await svc.billing.check_credit() == 1
        assert await svc.billing.check_credit() == 0

    overdue = RUN_MARCH + timedelta(days=16)  # due after 15 days
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(overdue))
        assert await svc.billing.benefits_frozen(pid)
        await svc.balance_engine.ensure_purchase_allowed(shop.c4)  # not restricted yet
        assert await svc.billing.check_credit() == 1  # the overdue bill, once
        assert await svc.billing.check_credit() == 0

    late = RUN_MARCH + timedelta(days=31)  # 15 more days overdue
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(late))
        with pytest.raises(DomainError) as refused:
            await svc.balance_engine.ensure_purchase_allowed(shop.c4)
        assert refused.value.code == "CBC.99003656"
        assert refused.value.details["reason"] == "overdue_bills"
        await svc.balance_engine.ensure_purchase_allowed(shop.c5)  # referral: not concerned
        await svc.billing.apply_repayment(pid, Money(D("110.00"), "USD"), payment_ref="all")
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(late))
        await svc.balance_engine.ensure_purchase_allowed(shop.c4)
        assert not await svc.billing.benefits_frozen(pid)
        assert await svc.billing.amount_due(pid) == Money(D("0"), "USD")


async def test_the_open_month_is_estimated_before_tax_and_coupons(shop: Shop) -> None:
    mid_march = MARCH_START + timedelta(days=10)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(mid_march)).billing
        d = await billing.amount_due_view(shop.distributor.partner_id)
        p = await billing.amount_due_view(shop.csp.partner_id)
        r = await billing.amount_due_view(shop.reseller.partner_id)
    # 8.99999999 − 2.995 + 1.23456789, unrounded; the CSP's referral customer is not counted,
    # nor its 10 % tax.
    assert (d.current_cycle, d.current_estimate.amount) == ("2027-03", D("7.23956788"))
    assert p.current_estimate.amount == D("100.00499999")
    assert r.current_estimate.amount == D("0")
    assert d.total_amount_due.amount == D("0")


@pytest.mark.parametrize(
    ("stop_in", "at_call"),
    [
        ("_stage", 1),  # the planning (staging) transaction
        ("_insert_lines", 2),  # the second batch's steps
        ("_insert_customer_bills", 2),
        ("_insert_partner_bills", 2),
        ("complete", 2),  # the completion's second step
    ],
)
async def test_a_run_killed_at_any_point_then_rerun_gives_the_same_bills(
    shop: Shop, stop_in: str, at_call: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partner_center.domains.billing.run import BillRunner

    original = getattr(BillRunner, stop_in)
    calls = {"n": 0}

    async def dying(self: BillRunner, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == at_call:
            raise RuntimeError("killed")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(BillRunner, stop_in, dying)
    for batch in (0, 1):
        try:
            async with shop.world.db.unit_of_work() as uow:
                runner = services_for(uow.session, FixedClock(RUN_MARCH), bill_batch_size=1)
                await runner.bill_runner.plan("2027-03")
                await runner.bill_runner.bill_batch("2027-03", batch)
                await runner.bill_runner.complete("2027-03")
                await runner.bill_runner.complete("2027-03")
        except RuntimeError:
            pass
    monkeypatch.setattr(BillRunner, stop_in, original)
    await run(shop, "2027-03", RUN_MARCH + timedelta(hours=5), bill_batch_size=1)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_APRIL)).billing
        d = await billing.partner_bill(shop.distributor.partner_id, "2027-03")
        p = await billing.partner_bill(shop.csp.partner_id, "2027-03")
        count = await uow.session.scalar(select(func.count()).select_from(CustomerBill))
    assert (d.bill.total_amount, d.residue["CUSTOMERS"], p.bill.amount_due) == (
        D("7.24"),
        D("0.01"),
        D("110.00"),
    )
    assert count == 5

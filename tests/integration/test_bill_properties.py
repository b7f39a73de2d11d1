"""Property "bills always sum": for random 8-decimal usage, orders, coupons and refunds of a
distributor's (reseller and direct) customers and a CSP's, every customer bill is its lines'
unrounded net rounded once, and at every level the parts' rounded totals plus the rounding
residue equal the bill's total exactly; a re-run changes nothing."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from partner_center.domains.billing.models import CustomerBill
from partner_center.domains.billing.public import cycle_bounds
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import Page
from tests.factories.bills import add_all, fee_row, order_rows, resource_row
from tests.integration.test_bill_run import RUN_APRIL, RUN_MARCH, Shop, _world, run
from tests.wiring import services_for

D = Decimal
ZONE_NAME = "Asia/Shanghai"
_cycles = itertools.count()

fee = st.integers(0, 500_000_000).map(lambda n: D(n).scaleb(-8))
cents = st.integers(0, 20_000).map(lambda n: D(n).scaleb(-2))
activity = st.tuples(
    st.lists(fee, max_size=6),  # fee records
    st.lists(st.tuples(cents, st.integers(0, 100)), max_size=2),  # orders (amount, coupon %)
    st.lists(cents, max_size=1),  # refunds
)


@pytest.fixture(scope="module")
async def shop() -> AsyncIterator[Shop]:
    """The bill run tests' world with its own months billed first (so no earlier activity is
    left to land in the examples' cycles as late usage)."""
    async for value in _world():
        await run(value, "2027-03", RUN_MARCH)
        await run(value, "2027-04", RUN_APRIL)
        yield value


def _next_cycle() -> str:
    index = 2031 * 12 + next(_cycles)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.lists(activity, min_size=4, max_size=4))
async def test_bills_always_sum(shop: Shop, data: list[tuple]) -> None:  # type: ignore[type-arg]
    from zoneinfo import ZoneInfo

    cycle = _next_cycle()
    start, end = cycle_bounds(cycle, ZoneInfo(ZONE_NAME))
    d, r, p = shop.distributor.partner_id, shop.reseller.partner_id, shop.csp.partner_id
    owners = [(shop.c1, r, d), (shop.c2, r, d), (shop.c3, d, None), (shop.c4, p, None)]
    expected: dict[str, Decimal] = {}
    rows: list[object] = []
    for (customer, owner, distributor), (fees, orders, refunds) in zip(owners, data, strict=True):
        rid = f"prop-{customer[:8]}-{cycle}"
        rows.append(resource_row(rid, customer, owner, distributor, start))
        net = D(0)
        for i, amount in enumerate(fees):
            hour = start + timedelta(hours=i)
            rows.append(
                fee_row(rid, customer, owner, str(amount), hour=hour, rated_at=hour, cycle=cycle)
            )
            net += amount
        for amount, percent in orders:
            coupon = to_cents(amount * percent / 100)
            rows += order_rows(
                customer, owner, distributor, str(amount), coupon=str(coupon), paid_at=start
            )
            net += amount - coupon
        for amount in refunds:
            rows += order_rows(
                customer, owner, distributor, str(amount), refund=True, paid_at=start
            )
            net -= amount
        expected[customer] = net
    at = end + timedelta(days=4)
    async with shop.world.db.unit_of_work() as uow:
        await add_all(uow.session, *rows)
    for _ in range(2):  # a re-run changes nothing
        async with shop.world.db.unit_of_work() as uow:
            await services_for(uow.session, FixedClock(at)).billing.run_cycle(cycle)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(at)).billing
        bills = {
            b.tenant_id: b
            for b in (
                await uow.session.scalars(select(CustomerBill).where(CustomerBill.cycle == cycle))
            )
        }
        active = {c for c, (f, o, rf) in zip(expected, data, strict=True) if f or o or rf}
        assert set(bills) == active
        for customer in active:
            assert bills[customer].total_amount == to_cents(expected[customer])
        for partner_id, members in ((d, [shop.c1, shop.c2, shop.c3]), (p, [shop.c4])):
            billed = [c for c in members if c in active]
            listed, _ = await billing.list_partner_bills(partner_id, Page(0, 100))
            if not billed:
                assert cycle not in {b.cycle for b in listed}
                continue
            detail = await billing.partner_bill(partner_id, cycle)
            total = detail.bill.total_amount
            assert total == to_cents(sum((expected[c] for c in billed), D(0)))
            parts = sum((bills[c].total_amount for c in billed), D(0))
            assert parts + detail.residue["CUSTOMERS"] == total
            tax = to_cents(max(D(0), total) * detail.bill.tax_rate)
            assert detail.bill.tax_amount == tax
            assert detail.bill.amount_due == max(D(0), total + tax)
            if "RESELLERS" in detail.residue:
                resellers = sum((x.total_amount for x in detail.resellers), D(0))
                direct = bills[shop.c3].total_amount if shop.c3 in billed else D(0)
                assert resellers + direct + detail.residue["RESELLERS"] == total
    assert at.tzinfo is UTC

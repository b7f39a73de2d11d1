"""Partner cash coupons on a real database (rules.md §7.8): the bill run deducts them in order
(customer-tied first, then expiring first), a partly used coupon keeps its balance, every use is
a ledger transfer posted once, a re-run, a killed run and two concurrent runs use nothing
twice, and ``show_partner_consumption_quota``'s figures follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partner_center.domains.billing.public import BillStatus, bill_id
from partner_center.domains.coupons.models import PartnerCouponUse
from partner_center.domains.coupons.public import PartnerCouponSource
from partner_center.domains.ledger.public import reconcile
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import Page
from tests.integration.test_bill_run import MARCH_START, RUN_MARCH, Shop, _world, run
from tests.wiring import services_for

D = Decimal
ISSUED = MARCH_START + timedelta(days=1)
JUNE = datetime(2027, 6, 30, tzinfo=UTC)
DECEMBER = datetime(2027, 12, 31, tzinfo=UTC)


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async for value in _world():
        yield value


async def issue(
    shop: Shop,
    partner_id: str,
    amount: str,
    expire: datetime,
    *,
    customer_id: str | None = None,
    valid: datetime | None = None,
    key: str | None = None,
) -> str:
    async with shop.world.db.unit_of_work() as uow:
        view = await services_for(uow.session, FixedClock(ISSUED)).partner_coupons.issue(
            operator_id="operator",
            partner_id=partner_id,
            amount=D(amount),
            currency="USD",
            expire_time=expire,
            valid_time=valid,
            customer_id=customer_id,
            source=PartnerCouponSource.INCENTIVE,
            issue_key=key,
        )
        return view.coupon_id


async def coupons(shop: Shop) -> dict[str, str]:
    """The coupons of the scenario by name (see the March figures in test_bill_run)."""
    d, p = shop.distributor.partner_id, shop.csp.partner_id
    return {
        # c2's March total is −3.00: a coupon tied to it pays nothing.
        "c2": await issue(shop, d, "5.00", DECEMBER, customer_id=shop.c2),
        "c1": await issue(shop, d, "4.00", DECEMBER, customer_id=shop.c1),
        "late": await issue(shop, d, "10.00", DECEMBER),
        "early": await issue(shop, d, "2.00", JUNE),
        "expired": await issue(shop, d, "50.00", RUN_MARCH - timedelta(hours=1)),
        "future": await issue(shop, d, "50.00", DECEMBER, valid=RUN_MARCH + timedelta(days=1)),
        "csp": await issue(shop, p, "30.00", DECEMBER),
    }


async def state(shop: Shop) -> tuple[object, ...]:
    """Bills, coupon uses and coupon balances: what a re-run must leave unchanged."""
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(RUN_MARCH + timedelta(days=2)))
        bills = []
        for partner in (shop.distributor, shop.csp):
            bill = (await svc.billing.partner_bill(partner.partner_id, "2027-03")).bill
            bills.append((bill.partner_coupon_amount, bill.tax_amount, bill.amount_due))
        uses = (
            await uow.session.execute(
                select(PartnerCouponUse.coupon_id, PartnerCouponUse.amount).order_by(
                    PartnerCouponUse.bill_id, PartnerCouponUse.coupon_id
                )
            )
        ).all()
        balances = []
        for partner in (shop.distributor, shop.csp):
            views, _ = await svc.partner_coupons.list_coupons(partner.partner_id, Page(0, 100))
            balances += sorted((v.coupon_id, v.balance) for v in views)
        return tuple(bills), tuple(map(tuple, uses)), tuple(balances)


async def test_bills_use_tied_coupons_first_then_the_earliest_expiring(shop: Shop) -> None:
    ids = await coupons(shop)
    await run(shop, "2027-03", RUN_MARCH)
    d, p = shop.distributor.partner_id, shop.csp.partner_id
    after = RUN_MARCH + timedelta(days=2)
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(after))
        dist = (await svc.billing.partner_bill(d, "2027-03")).bill
        csp = (await svc.billing.partner_bill(p, "2027-03")).bill
        uses = await svc.partner_coupons.uses_of_bill(bill_id("2027-03", d))
        listed, _ = await svc.partner_coupons.list_coupons(d, Page(0, 100))
        d_quota = await svc.balance_engine.quota_view(d, None)
        p_quota = await svc.balance_engine.quota_view(p, None)
        assert (await reconcile(uow.session)).ok
    # Distributor: total 7.24 = c1's tied 4.00 (capped at c1's 9.00), then June's 2.00, then
    # 1.24 of December's 10.00; nothing due, so nothing taxed and the bill is paid at issue.
    assert [(u.coupon_id, u.amount, u.balance_after) for u in uses] == [
        (ids["c1"], D("4.00"), D("0")),
        (ids["early"], D("2.00"), D("0")),
        (ids["late"], D("1.24"), D("8.76")),
    ]
    assert (dist.total_amount, dist.partner_coupon_amount, dist.amount_due) == (
        D("7.24"),
        D("7.24"),
        D("0"),
    )
    assert dist.status is BillStatus.PAID
    balances = {v.coupon_id: v.balance for v in listed}
    assert balances == {
        ids["c2"]: D("5.00"),
        ids["c1"]: D("0"),
        ids["late"]: D("8.76"),
        ids["early"]: D("0"),
        ids["expired"]: D("50.00"),
        ids["future"]: D("50.00"),
    }
    # CSP: 100.00 − 30.00 coupon = 70.00 taxable at 10 %: 7.00 tax, 77.00 due.
    assert (csp.partner_coupon_amount, csp.tax_amount, csp.amount_due) == (
        D("30.00"),
        D("7.00"),
        D("77.00"),
    )
    # The quota's coupon_amount: what valid coupons have left (c2 5.00 + 8.76 + the coupon valid
    # since the run 50.00; not the expired one); the receivable dropped by what coupons paid, so
    # nothing shows as unbilled (100.00499999 + 7.00 tax − 30.00 − 77.00 due < 1 cent).
    assert d_quota.coupon_amount == D("63.76")
    assert (p_quota.coupon_amount, p_quota.due_amount) == (D("0"), D("77.00"))
    assert p_quota.unbilled_amount < D("0.01")


async def test_a_rerun_and_a_killed_run_use_no_coupon_twice(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    await coupons(shop)
    from partner_center.domains.balances.engine import BalanceEngine

    original = BalanceEngine.post_bill_coupons

    async def dying(self: BalanceEngine, *args: object) -> None:
        raise RuntimeError("killed after the coupons were applied")

    monkeypatch.setattr(BalanceEngine, "post_bill_coupons", dying)
    with pytest.raises(RuntimeError):
        await run(shop, "2027-03", RUN_MARCH)
    monkeypatch.setattr(BalanceEngine, "post_bill_coupons", original)
    async with shop.world.db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(PartnerCouponUse)) == 0
    await run(shop, "2027-03", RUN_MARCH + timedelta(minutes=1))
    first = await state(shop)
    await run(shop, "2027-03", RUN_MARCH + timedelta(days=1))
    assert await state(shop) == first
    assert first[0] == ((D("7.24"), D("0"), D("0")), (D("30.00"), D("7.00"), D("77.00")))


async def bill_batch(shop: Shop, batch_no: int) -> int:
    async with shop.world.db.unit_of_work() as uow:
        runner = services_for(uow.session, FixedClock(RUN_MARCH)).bill_runner
        return await runner.bill_batch("2027-03", batch_no)


@pytest.mark.parametrize("level", ["run", "batch"])
async def test_two_concurrent_runs_use_each_coupon_once(shop: Shop, level: str) -> None:
    await coupons(shop)
    if level == "run":
        results = await asyncio.gather(
            run(shop, "2027-03", RUN_MARCH),
            run(shop, "2027-03", RUN_MARCH),
            return_exceptions=True,
        )
        assert any(r is None for r in results), results
    else:
        # Two workers given the same planned batch: one bills it, the other waits on the
        # batch's lock and then finds it done (or, on SQLite, loses the write lock).
        async with shop.world.db.unit_of_work() as uow:
            await services_for(uow.session, FixedClock(RUN_MARCH)).bill_runner.plan("2027-03")
        results = await asyncio.gather(
            bill_batch(shop, 0), bill_batch(shop, 0), return_exceptions=True
        )
        assert sorted(r for r in results if isinstance(r, int))[-1:] == [2], results
    await run(shop, "2027-03", RUN_MARCH + timedelta(minutes=1))  # finishes a loser's leftovers
    bills, uses, _ = await state(shop)
    assert bills == ((D("7.24"), D("0"), D("0")), (D("30.00"), D("7.00"), D("77.00")))
    assert sum((amount for _, amount in uses), D(0)) == D("37.24")
    async with shop.world.db.unit_of_work() as uow:
        assert (await reconcile(uow.session)).ok


async def test_issuing_checks_the_partner_the_customer_and_the_window(shop: Shop) -> None:
    d, r = shop.distributor.partner_id, shop.reseller.partner_id
    first = await issue(shop, d, "1.00", DECEMBER, key="k-1")
    assert await issue(shop, d, "9.00", DECEMBER, key="k-1") == first  # replay: the first coupon
    cases = [
        (dict(partner_id=r, amount=D("1")), "partner_id"),  # a reseller: no bills of its own
        (dict(partner_id="nobody", amount=D("1")), "partner_id"),
        (dict(partner_id=d, amount=D("1.001")), "amount"),
        (dict(partner_id=d, amount=D("0")), "amount"),
        (dict(partner_id=d, amount=D("1"), customer_id=shop.c4), "customer_id"),  # CSP's
        (dict(partner_id=shop.csp.partner_id, amount=D("1"), customer_id=shop.c5), "customer_id"),
        (dict(partner_id=d, amount=D("1"), expire_time=ISSUED), "expire_time"),
    ]
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(ISSUED)).partner_coupons
        for kwargs, field in cases:
            args: dict[str, object] = {
                "operator_id": "operator",
                "currency": "USD",
                "expire_time": DECEMBER,
                **kwargs,
            }
            with pytest.raises(DomainError) as refused:
                await svc.issue(**args)  # type: ignore[arg-type]
            assert (refused.value.code, refused.value.details["field"]) == ("CBC.0100", field)


async def test_a_bill_after_the_coupons_are_used_up_deducts_nothing(shop: Shop) -> None:
    from tests.integration.test_bill_run import RUN_APRIL

    d = shop.distributor.partner_id
    await issue(shop, d, "7.24", DECEMBER)
    await run(shop, "2027-03", RUN_MARCH)
    await run(shop, "2027-04", RUN_APRIL)
    async with shop.world.db.unit_of_work() as uow:
        billing = services_for(uow.session, FixedClock(RUN_APRIL)).billing
        march = (await billing.partner_bill(d, "2027-03")).bill
        april = (await billing.partner_bill(d, "2027-04")).bill
    assert (march.partner_coupon_amount, march.amount_due) == (D("7.24"), D("0"))
    # April (20.75, see test_bill_run): the used-up coupon is still valid but has nothing left.
    assert (april.partner_coupon_amount, april.amount_due) == (D("0"), D("20.75"))

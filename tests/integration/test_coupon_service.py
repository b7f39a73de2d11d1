"""The coupons domain on a real database: paying orders with coupons (hold, capture, release,
refund), reclaims on disassociation, the first-association rule, and concurrency — one coupon
per order, and a busy quota refused with ``CBC.50000045`` (PostgreSQL row locks)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.models import Coupon
from partner_center.domains.coupons.public import (
    CouponFilter,
    CouponOperation,
    CouponRecordFilter,
    CouponService,
    CouponStatus,
    IssueRequest,
    OrderContext,
    OrderLine,
    QuotaType,
    RefundCase,
    Restrictions,
    SubscribeType,
)
from partner_center.domains.customers.public import (
    CustomerAssociations,
    CustomerService,
    NewCustomer,
    PartnerActor,
    VerificationCodes,
)
from partner_center.domains.identity.public import (
    IdentityService,
    SecretCipher,
    SignInGuard,
    SignInPolicy,
)
from partner_center.domains.ledger.public import reconcile
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_domain_id
from partner_center.kernel.jobs import ScheduledJob
from partner_center.kernel.pagination import Page
from tests.dbutil import is_postgres
from tests.wiring import services_for

D = Decimal
CIPHER = SecretCipher(Fernet.generate_key())
EBS = "hws.service.type.ebs"
OPERATOR = new_domain_id()


@dataclass
class Services:
    identity: IdentityService
    partners: PartnerService
    customers: CustomerService
    coupons: CouponService


def services(session: AsyncSession, clock: FixedClock) -> Services:
    identity = IdentityService(
        session,
        clock=clock,
        wall=clock,
        cipher=CIPHER,
        sign_in_guard=SignInGuard(session, wall=clock, policy=SignInPolicy()),
    )
    partners = PartnerService(session, clock=clock, identity=identity)
    customers = CustomerService(
        session,
        clock=clock,
        wall=clock,
        identity=identity,
        partners=partners,
        notifications=NotificationService(session, clock=clock),
        codes=VerificationCodes(
            session,
            wall=clock,
            notifications=NotificationService(session, clock=clock),
            site="intl",
        ),
        site="intl",
    )
    return Services(identity, partners, customers, services_for(session, clock).coupons)


def name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:14]}"


async def actor_of(svc: Services, partner_id: str) -> PartnerActor:
    partner = await svc.partners.get(partner_id)
    assert partner is not None
    admin = await svc.identity.admin_member(partner_id)
    caller = await svc.identity.caller_for(partner_id, admin.id, method="test")
    return PartnerActor(caller=caller, partner=partner)


@dataclass
class World:
    partner: PartnerView
    quota_id: str
    customers: list[str]


async def world(
    database: Database,
    clock: FixedClock,
    *,
    value: str = "1000.00",
    customers: int = 2,
    restrictions: Restrictions | None = None,
    kind: PartnerType = PartnerType.CSP,
) -> World:
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        partner = await svc.partners.create_partner(name=name("p"), partner_type=kind)
        actor = await actor_of(svc, partner.partner_id)
        ids = []
        for _ in range(customers):
            created = await svc.customers.create_sub_customer(
                actor,
                NewCustomer(
                    xaccount_id=name("x"), xaccount_type=partner.xaccount_type, domain_area="US"
                ),
            )
            ids.append(created.domain_id)
        quota = await svc.coupons.quotas.grant(
            operator_id=OPERATOR,
            partner_id=partner.partner_id,
            quota_type=QuotaType.CASH,
            quota_value=D(value),
            currency="USD",
            effective_time=clock.now() - timedelta(days=1),
            expire_time=clock.now() + timedelta(days=30),
            restrictions=restrictions or Restrictions(),
        )
    return World(partner, quota.quota_id, ids)


async def issue(
    database: Database, clock: FixedClock, w: World, customers: list[str], face: str
) -> list[str]:
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        result = await svc.coupons.issue(
            await actor_of(svc, w.partner.partner_id),
            IssueRequest(quota_id=w.quota_id, customer_ids=tuple(customers), face_value=D(face)),
        )
    assert result.errors == ()
    return [coupon_id for _, coupon_id in result.coupons]


def order(customer: str, order_id: str, list_amount: str, discount: str = "0") -> OrderContext:
    return OrderContext(
        customer_id=customer,
        order_id=order_id,
        subscribe_type=SubscribeType.NEW,
        lines=(OrderLine(EBS, D(list_amount), D(discount)),),
    )


async def balance(database: Database, clock: FixedClock, coupon_id: str) -> tuple[D, D]:
    """(posted balance, held) of a coupon."""
    async with database.unit_of_work() as uow:
        svc = services_for(uow.session, clock).coupons
        row = await uow.session.get(Coupon, coupon_id)
        assert row is not None
        view = await svc.redemptions.coupon_view(row)
    return view.balance, view.held


async def quota_balance(database: Database, clock: FixedClock, w: World) -> D:
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        views, _ = await svc.coupons.quotas.list_all(
            partner_id=w.partner.partner_id, page=Page(0, 10)
        )
    return next(v.balance for v in views if v.quota_id == w.quota_id)


async def ledger_ok(database: Database) -> bool:
    async with database.unit_of_work() as uow:
        return (await reconcile(uow.session)).ok


async def in_uow(database: Database, clock: FixedClock, work: object) -> object:
    async with database.unit_of_work() as uow:
        return await work(services_for(uow.session, clock).coupons)  # type: ignore[operator]


async def test_paying_an_order_holds_captures_and_refunds(
    database: Database, clock: FixedClock
) -> None:
    w = await world(database, clock)
    customer = w.customers[0]
    coupon_id = (await issue(database, clock, w, [customer], "50.00"))[0]
    other_coupon = (await issue(database, clock, w, [customer], "50.00"))[0]
    first = order(customer, name("o"), "40.00", "10.00")

    async def redeem(service: CouponService) -> object:
        return await service.redemptions.redeem(
            order=first, coupon_id=coupon_id, redemption_id="r-" + first.order_id
        )

    held = await in_uow(database, clock, redeem)
    assert held.amount == D("30.00")  # type: ignore[attr-defined]
    again = await in_uow(database, clock, redeem)
    assert again == held
    assert await balance(database, clock, coupon_id) == (D("50.00"), D("30.00"))

    async def second_coupon(service: CouponService) -> object:
        return await service.redemptions.redeem(
            order=first, coupon_id=other_coupon, redemption_id=name("r")
        )

    with pytest.raises(DomainError) as one_per_order:
        await in_uow(database, clock, second_coupon)
    assert one_per_order.value.code == "CBC.0100"

    async def other_order(service: CouponService) -> object:
        return await service.redemptions.redeem(
            order=order(customer, name("o"), "5.00"), coupon_id=coupon_id, redemption_id=name("r")
        )

    with pytest.raises(DomainError) as locked:
        await in_uow(database, clock, other_order)
    assert locked.value.code == "CBC.99003112"

    async def capture(service: CouponService) -> object:
        return await service.redemptions.capture(order_id=first.order_id)

    captured = await in_uow(database, clock, capture)
    assert captured.status == "CAPTURED"  # type: ignore[attr-defined]
    await in_uow(database, clock, capture)
    assert await balance(database, clock, coupon_id) == (D("20.00"), D("0"))

    async def refund(case: RefundCase, refund_id: str, amount: str | None) -> object:
        async def go(service: CouponService) -> object:
            return await service.redemptions.refund(
                order_id=first.order_id,
                case=case,
                refund_id=refund_id,
                amount=None if amount is None else D(amount),
            )

        return await in_uow(database, clock, go)

    assert (await refund(RefundCase.UNSUBSCRIBE, "x1", None)).refunded == D(0)  # type: ignore[attr-defined]
    assert (await refund(RefundCase.DOWNGRADE, "x2", None)).refunded == D(0)  # type: ignore[attr-defined]
    assert await balance(database, clock, coupon_id) == (D("20.00"), D("0"))
    partial = await refund(RefundCase.NOT_EFFECTIVE, "x3", "10.00")
    assert partial.refunded == D("10.00")  # type: ignore[attr-defined]
    replay = await refund(RefundCase.NOT_EFFECTIVE, "x3", "10.00")
    assert replay.refunded == D("10.00")  # type: ignore[attr-defined]
    assert await balance(database, clock, coupon_id) == (D("30.00"), D("0"))
    with pytest.raises(DomainError) as too_much:
        await refund(RefundCase.ORDER_EXCEPTION, "x4", "20.01")
    assert too_much.value.code == "CBC.0100"
    await refund(RefundCase.ORDER_EXCEPTION, "x5", None)
    assert await balance(database, clock, coupon_id) == (D("50.00"), D("0"))
    assert await ledger_ok(database)


async def test_release_frees_the_coupon_and_applicable_lists_the_rest(
    database: Database, clock: FixedClock
) -> None:
    w = await world(database, clock, restrictions=Restrictions(usage_times=1))
    customer = w.customers[0]
    coupon_id = (await issue(database, clock, w, [customer], "25.00"))[0]
    pending = order(customer, name("o"), "100.00")

    async def applicable(service: CouponService) -> object:
        return await service.redemptions.applicable(customer, pending)

    found = await in_uow(database, clock, applicable)
    assert [(a.coupon.coupon_id, a.coupon_amount, a.payable) for a in found] == [  # type: ignore[attr-defined]
        (coupon_id, D("25.00"), D("75.00"))
    ]

    async def hold(service: CouponService) -> object:
        return await service.redemptions.redeem(
            order=pending, coupon_id=coupon_id, redemption_id=name("r"), amount=D("5.00")
        )

    await in_uow(database, clock, hold)
    elsewhere = order(customer, name("o"), "10.00")

    async def applicable_elsewhere(service: CouponService) -> object:
        return await service.redemptions.applicable(customer, elsewhere)

    assert await in_uow(database, clock, applicable_elsewhere) == []

    async def release(service: CouponService) -> object:
        return await service.redemptions.release(order_id=pending.order_id)

    released = await in_uow(database, clock, release)
    assert released.status == "RELEASED"  # type: ignore[attr-defined]
    assert await in_uow(database, clock, release) is None
    assert await balance(database, clock, coupon_id) == (D("25.00"), D("0"))
    assert len(await in_uow(database, clock, applicable_elsewhere)) == 1  # type: ignore[arg-type]

    # usageTimes 1: after paying one order the coupon pays no other.
    async def pay(service: CouponService) -> object:
        await service.redemptions.redeem(
            order=elsewhere, coupon_id=coupon_id, redemption_id=name("r")
        )
        return await service.redemptions.capture(order_id=elsewhere.order_id)

    await in_uow(database, clock, pay)
    assert await balance(database, clock, coupon_id) == (D("15.00"), D("0"))

    async def third(service: CouponService) -> object:
        return await service.redemptions.quote(order(customer, name("o"), "1.00"), coupon_id)

    with pytest.raises(DomainError) as spent:
        await in_uow(database, clock, third)
    assert spent.value.code == "CBC.99003112"


async def test_refund_after_expiry_passes_on_to_the_quota(
    database: Database, clock: FixedClock
) -> None:
    w = await world(database, clock, value="100.00")
    customer = w.customers[0]
    coupon_id = (await issue(database, clock, w, [customer], "40.00"))[0]
    paid = order(customer, name("o"), "15.00")

    async def pay(service: CouponService) -> object:
        await service.redemptions.redeem(order=paid, coupon_id=coupon_id, redemption_id=name("r"))
        return await service.redemptions.capture(order_id=paid.order_id)

    await in_uow(database, clock, pay)
    later = FixedClock(clock.now() + timedelta(days=31))

    async def expire(service: CouponService) -> object:
        return await service.expire(coupon_id)

    assert await in_uow(database, later, expire) == D("25.00")
    assert await in_uow(database, later, expire) == D(0)
    assert await quota_balance(database, later, w) == D("85.00")

    async def refund(service: CouponService) -> object:
        return await service.redemptions.refund(
            order_id=paid.order_id, case=RefundCase.NOT_EFFECTIVE, refund_id=name("f")
        )

    outcome = await in_uow(database, later, refund)
    assert (outcome.refunded, outcome.returned_to_quota) == (D("15.00"), D("15.00"))  # type: ignore[attr-defined]
    assert await quota_balance(database, later, w) == D("100.00")
    assert await balance(database, later, coupon_id) == (D("0"), D("0"))
    assert await ledger_ok(database)


async def test_disassociation_reclaims_every_coupon_the_customer_holds(
    database: Database, clock: FixedClock
) -> None:
    w = await world(database, clock, value="100.00")
    customer, other = w.customers
    mine = await issue(database, clock, w, [customer], "10.00")
    mine += await issue(database, clock, w, [customer], "10.00")
    theirs = await issue(database, clock, w, [other], "10.00")
    held = order(customer, name("o"), "4.00")

    async def hold(service: CouponService) -> object:
        return await service.redemptions.redeem(
            order=held, coupon_id=mine[0], redemption_id=name("r")
        )

    await in_uow(database, clock, hold)
    async with database.unit_of_work() as uow:
        await CustomerAssociations(uow.session, clock=clock).end(
            customer, partner_id=w.partner.partner_id
        )
        done = await services_for(uow.session, clock).coupons.reclaim_on_disassociation(customer)
    assert sorted((r.coupon_id, r.amount) for r in done) == sorted(
        [(mine[0], D("10.00")), (mine[1], D("10.00"))]
    )
    assert await quota_balance(database, clock, w) == D("90.00")
    assert await balance(database, clock, theirs[0]) == (D("10.00"), D("0"))
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        actor = await actor_of(svc, w.partner.partner_id)
        listed, _ = await svc.coupons.list_records(
            actor,
            CouponRecordFilter(operation_types=frozenset({CouponOperation.DISASSOCIATION_RECLAIM})),
            Page(0, 10),
            indirect_partner_id=None,
        )
        issued, _ = await svc.coupons.list_issued(
            actor,
            CouponFilter(customer_id=customer),
            Page(0, 10),
            indirect_partner_id=None,
        )
    assert {r.coupon_id for r in listed} == set(mine)
    assert {c.status for c in issued} == {CouponStatus.RECLAIMED}
    assert await ledger_ok(database)


async def test_first_association_only_quotas(database: Database, clock: FixedClock) -> None:
    w = await world(
        database, clock, customers=1, restrictions=Restrictions(first_association_only=True)
    )
    # Associated at the clock's "now", after the quota took effect a day earlier.
    fresh = w.customers[0]
    assert len(await issue(database, clock, w, [fresh], "5.00")) == 1

    # Re-associated after an earlier association ended: no longer a first association.
    async with database.unit_of_work() as uow:
        await CustomerAssociations(uow.session, clock=clock).end(
            fresh, partner_id=w.partner.partner_id
        )
        await services_for(uow.session, clock).coupons.reclaim_on_disassociation(fresh)
        row = await CustomerAssociations(uow.session, clock=clock).current(fresh)
        assert row is not None
        await CustomerAssociations(uow.session, clock=clock).associate(
            customer_id=fresh,
            account_name=row.account_name,
            email=None,
            mobile=None,
            partner_id=w.partner.partner_id,
            distributor_id=None,
            xaccount_type=w.partner.xaccount_type,
            association_type=row.association_type,
            account_manager_id=None,
        )
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        result = await svc.coupons.issue(
            await actor_of(svc, w.partner.partner_id),
            IssueRequest(quota_id=w.quota_id, customer_ids=(fresh,), face_value=D("5.00")),
        )
    assert [(e.id, e.code) for e in result.errors] == [(fresh, "CBC.99000022")]

    # Associated before the quota took effect: not eligible either.
    early = FixedClock(clock.now() - timedelta(days=5))
    old = await world(database, early, customers=1)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        quota = await svc.coupons.quotas.grant(
            operator_id=OPERATOR,
            partner_id=old.partner.partner_id,
            quota_type=QuotaType.CASH,
            quota_value=D("10.00"),
            currency="USD",
            effective_time=clock.now() - timedelta(hours=1),
            expire_time=clock.now() + timedelta(days=1),
            restrictions=Restrictions(first_association_only=True),
        )
        result = await svc.coupons.issue(
            await actor_of(svc, old.partner.partner_id),
            IssueRequest(
                quota_id=quota.quota_id, customer_ids=tuple(old.customers), face_value=D("1.00")
            ),
        )
    assert [e.code for e in result.errors] == ["CBC.99000022"]


async def test_issuing_schedules_the_expiry_job(database: Database, clock: FixedClock) -> None:
    w = await world(database, clock, customers=1)
    coupon_id = (await issue(database, clock, w, w.customers, "1.00"))[0]
    async with database.unit_of_work() as uow:
        job = (
            await uow.session.execute(
                select(ScheduledJob).where(ScheduledJob.dedupe_key == f"coupon-expire:{coupon_id}")
            )
        ).scalar_one()
    assert job.name == "coupons.expire"
    assert job.payload == {"coupon_id": coupon_id}
    assert job.due_at == clock.now() + timedelta(days=30)


async def test_two_coupons_racing_for_one_order(database: Database, clock: FixedClock) -> None:
    w = await world(database, clock, customers=1)
    customer = w.customers[0]
    coupons = await issue(database, clock, w, [customer], "10.00")
    coupons += await issue(database, clock, w, [customer], "10.00")
    race = order(customer, name("o"), "8.00")

    async def redeem(coupon_id: str) -> str:
        try:
            async with database.unit_of_work() as uow:
                await services_for(uow.session, clock).coupons.redemptions.redeem(
                    order=race, coupon_id=coupon_id, redemption_id=name("r")
                )
            return "ok"
        except DomainError as exc:
            return exc.code

    outcomes = await asyncio.gather(*(redeem(c) for c in coupons))
    assert sorted(outcomes) == ["CBC.0100", "ok"]
    held = [await balance(database, clock, c) for c in coupons]
    assert sorted(h for _, h in held) == [D("0"), D("8.00")]


@pytest.mark.skipif(not is_postgres(), reason="row locks with NOWAIT need PostgreSQL")
async def test_a_busy_quota_is_refused_not_waited_for(
    database: Database, clock: FixedClock
) -> None:
    w = await world(database, clock, kind=PartnerType.DISTRIBUTOR, customers=0)
    async with database.unit_of_work() as uow:
        svc = services(uow.session, clock)
        reseller = await svc.partners.create_partner(
            name=name("r"), partner_type=PartnerType.RESELLER, distributor_id=w.partner.partner_id
        )
        issued, _ = await svc.coupons.quotas.issue_to_resellers(
            await actor_of(svc, w.partner.partner_id),
            quota_id=w.quota_id,
            reseller_ids=[reseller.partner_id],
            amount=D("10.00"),
        )
    child = issued[0][1]

    locked = asyncio.Event()
    finish = asyncio.Event()

    async def hold_lock() -> None:
        async with database.unit_of_work() as uow:
            svc = services(uow.session, clock)
            await svc.coupons.quotas.lock(w.quota_id)
            await svc.coupons.quotas.lock(child)
            locked.set()
            await finish.wait()

    holder = asyncio.create_task(hold_lock())
    await locked.wait()
    try:
        async with database.unit_of_work() as uow:
            svc = services(uow.session, clock)
            with pytest.raises(DomainError) as busy:
                await svc.coupons.quotas.issue_to_resellers(
                    await actor_of(svc, w.partner.partner_id),
                    quota_id=w.quota_id,
                    reseller_ids=[reseller.partner_id],
                    amount=D("10.00"),
                )
        assert busy.value.code == "CBC.50000045"
        async with database.unit_of_work() as uow:
            svc = services(uow.session, clock)
            done, errors = await svc.coupons.quotas.reclaim_from_resellers(
                await actor_of(svc, w.partner.partner_id), quota_ids=[child], remark=None
            )
        assert done == []
        assert [(e.id, e.code) for e in errors] == [(child, "CBC.50000045")]
    finally:
        finish.set()
        await holder
    assert await quota_balance(database, clock, w) == D("990.00")

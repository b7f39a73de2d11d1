"""Pay-per-use on a real database with a movable business clock: ingest rules (late window,
idempotency), hourly rating (re-running changes nothing, late records appended, conversions,
linear products), free quotas per cycle, restricted and frozen customers, and the hand-over
of a yearly/monthly resource to pay-per-use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from partner_center.domains.budgets.public import ExhaustionAction
from partner_center.domains.customers.public import CustomerControl, FreezeType
from partner_center.domains.partners.public import PartnerView
from partner_center.domains.resources.public import NewResource, ResourceService
from partner_center.domains.usage.models import FeeRecord, FreeResourcePackage, UsageRecord
from partner_center.domains.usage.packages import cycle_window
from partner_center.domains.usage.public import (
    ChargeState,
    FreeQuota,
    PackageGrant,
    PackageQuery,
    PackageStatus,
    QuotaReuseMode,
    RatingSummary,
    RejectReason,
    ResourceSpec,
    ResourceStatus,
    ReuseCycle,
    UsageQueries,
    UsageStatus,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page
from tests.factories.budgets import ZONE, BudgetWorld, catalog_world
from tests.wiring import services_for

D = Decimal
T0 = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # 08:00 on 1 March in UTC+8
HK = "ap-southeast-1"
ECS, EVS, VM, VOLUME = (
    "hws.service.type.ec2",
    "hws.service.type.ebs",
    "hws.resource.type.vm",
    "hws.resource.type.volume",
)
HOUR, MINUTE = 4, 5


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[BudgetWorld]:
    async with catalog_world(T0) as world:
        yield world


async def customer(world: BudgetWorld, budget: str = "1000", **kw: Any) -> tuple[PartnerView, str]:
    partner = await world.partner()
    cid = await world.customer(partner)
    await world.set_budget(partner, cid, budget, lift=True, **kw)
    return partner, cid


async def resource(world: BudgetWorld, cid: str, spec: str = "s6.small.1.linux", **kw: Any) -> str:
    async with world.db.unit_of_work() as uow:
        view = await services_for(uow.session, world.clock).usage.start_on_demand(
            cid,
            ResourceSpec(
                region_code=HK,
                service_type_code=kw.pop("service", ECS),
                resource_type_code=kw.pop("resource_type", VM),
                resource_spec_code=spec,
                resource_name="r",
                **kw,
            ),
        )
    return view.resource_id


def record(
    rid: str, hour: datetime, quantity: str = "1", measure: int = HOUR, **kw: Any
) -> dict[str, Any]:
    return {
        "record_id": kw.pop("record_id", new_id()),
        "resource_id": rid,
        "usage_type": kw.pop("usage_type", "Duration"),
        "usage_hour": hour.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quantity": quantity,
        "measure_id": measure,
    }


async def ingest(world: BudgetWorld, records: list[dict[str, Any]], **kw: Any) -> Any:
    async with world.db.unit_of_work() as uow:
        ingest = services_for(uow.session, world.clock).usage_ingest
        for name, value in kw.items():
            setattr(ingest, name, value)
        return await ingest.ingest(records)


async def rate(world: BudgetWorld, as_of: datetime) -> RatingSummary:
    async with world.db.unit_of_work() as uow:
        rating = services_for(uow.session, FixedClock(as_of)).usage_rating
        return await rating.rate_due(as_of)


async def fees(world: BudgetWorld, cid: str) -> list[Any]:
    async with world.db.unit_of_work() as uow:
        return await UsageQueries(uow.session, zone=ZONE).fee_records(cid)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


async def test_rating_again_changes_nothing(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    _, cid = await customer(world)
    rid = await resource(world, cid)
    world.clock.set(at(2))
    assert (
        await ingest(world, [record(rid, at(0)), record(rid, at(1), "30", MINUTE)])
    ).accepted == 2
    first = await rate(world, at(2))
    assert (first.records, first.fee_records, first.charged_amount) == (2, 2, D("0.01905"))
    assert await rate(world, at(2)) == RatingSummary(0, 0, 0, D(0))
    assert (await rate(world, at(3))).fee_records == 0
    rated = await fees(world, cid)
    assert [(f.quantity, f.official_amount) for f in rated] == [
        (D(1), D("0.0127")),
        (D("0.5"), D("0.00635")),  # 30 minutes
    ]
    assert {f.charge_state for f in rated} == {ChargeState.CHARGED}
    # The unique index: a run can never rate the same hour of a resource twice.
    with pytest.raises(IntegrityError):
        async with world.db.unit_of_work() as uow:
            row = await uow.session.get(FeeRecord, rated[0].fee_record_id)
            assert row is not None
            uow.session.add(
                FeeRecord(
                    **{
                        c.key: getattr(row, c.key)
                        for c in FeeRecord.__table__.columns
                        if c.key != "id"
                    },
                    id=new_id(),
                )
            )
            await uow.session.flush()
    async with world.db.unit_of_work() as uow:
        statuses = (
            await uow.session.execute(
                select(UsageRecord.status, func.count())
                .where(UsageRecord.tenant_id == cid)
                .group_by(UsageRecord.status)
            )
        ).all()
    assert statuses == [(UsageStatus.RATED, 2)]


async def test_late_records_are_appended_and_the_window_is_configurable(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    _, cid = await customer(world)
    rid = await resource(world, cid)
    world.clock.set(at(1))
    await ingest(world, [record(rid, at(0))])
    await rate(world, at(1))
    # A record for hour 0 arriving late: the next run rates it into a fee record of its own.
    world.clock.set(at(5))
    assert (await ingest(world, [record(rid, at(0), "0.5")])).accepted == 1
    await rate(world, at(6))
    rated = await fees(world, cid)
    assert [(f.usage_hour, f.rated_at, f.official_amount) for f in rated] == [
        (at(0), at(1), D("0.0127")),
        (at(0), at(6), D("0.00635")),
    ]
    # Default window 72 h after the end of the hour.
    world.clock.set(at(1 + 72))
    assert (await ingest(world, [record(rid, at(0))])).accepted == 1
    world.clock.set(at(1 + 72) + timedelta(seconds=1))
    report = await ingest(world, [record(rid, at(0))])
    assert [r.reason for r in report.rejections] == [RejectReason.TOO_LATE]
    # A shorter configured window.
    world.clock.set(at(10))
    short = await ingest(world, [record(rid, at(7))], late_window=timedelta(hours=1))
    assert [r.reason for r in short.rejections] == [RejectReason.TOO_LATE]
    assert (await ingest(world, [record(rid, at(8))], late_window=timedelta(hours=1))).accepted == 1


async def test_linear_products_are_rated_by_size(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    _, cid = await customer(world)
    disk = await resource(
        world,
        cid,
        "SATA",
        service=EVS,
        resource_type=VOLUME,
        resource_size=40,
        size_measure_id=17,
    )
    world.clock.set(at(3))
    await ingest(world, [record(disk, at(h)) for h in range(3)])
    await rate(world, at(3))
    assert [f.official_amount for f in await fees(world, cid)] == [D("0.00308")] * 3  # 40 GB


async def test_restricted_customers_keep_paying_frozen_ones_stop(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    partner, cid = await customer(world, "0.03", action=ExhaustionAction.RESTRICT)
    rid = await resource(world, cid, "m7.large.8.linux")  # 0.104 / hour
    world.clock.set(at(1))
    await ingest(world, [record(rid, at(0))])
    await rate(world, at(1))
    assert (await world.state(cid)).restricted  # the budget ran out
    assert (await world.budget(cid)).used_amount == D("0.03")
    # Restricted: existing pay-per-use keeps running and is charged (not the budget).
    world.clock.set(at(2))
    await ingest(world, [record(rid, at(1))])
    await rate(world, at(2))
    assert [f.charge_state for f in await fees(world, cid)] == [ChargeState.CHARGED] * 2
    # Frozen with resources: usage from the freeze on is not charged.
    world.clock.set(
        at(
            2,
        )
        + timedelta(minutes=30)
    )
    async with world.db.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=world.clock).freeze(
            cid, freeze_type=FreezeType.ACCOUNT_AND_RESOURCE, by=partner.partner_id, reason="x"
        )
    world.clock.set(at(4))
    await ingest(world, [record(rid, at(2)), record(rid, at(3))])
    summary = await rate(world, at(4))
    assert (summary.fee_records, summary.not_charged) == (1, 1)  # hour 2 began before the freeze
    assert len(await fees(world, cid)) == 3
    async with world.db.unit_of_work() as uow:
        statuses = dict(
            (
                await uow.session.execute(
                    select(UsageRecord.usage_hour, UsageRecord.status).where(
                        UsageRecord.resource_id == rid
                    )
                )
            ).all()
        )
    assert statuses[at(3)] == UsageStatus.NOT_CHARGED
    assert statuses[at(2)] == UsageStatus.RATED


async def test_the_hand_over_of_a_yearly_monthly_resource(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    partner = await world.partner()
    cid = await world.customer(partner)  # restricted: no budget yet
    spec = ResourceSpec(
        region_code=HK,
        service_type_code=ECS,
        resource_type_code=VM,
        resource_spec_code="s6.small.1.linux",
        resource_name="was yearly",
    )
    async with world.db.unit_of_work() as uow:
        usage = services_for(uow.session, world.clock).usage
        with pytest.raises(DomainError) as refused:
            await usage.start_on_demand(cid, spec)  # a purchase: refused while restricted
        assert refused.value.code == "CBC.99003656"
    async with world.db.unit_of_work() as uow:
        usage = services_for(uow.session, world.clock).usage
        handed = await usage.start_on_demand(cid, spec, since=at(-1), source_id="period-1")
        again = await usage.start_on_demand(cid, spec, since=at(-1), source_id="period-1")
    assert handed.resource_id == again.resource_id
    assert (handed.effective_time, handed.status) == (at(-1), ResourceStatus.NORMAL)
    async with world.db.unit_of_work() as uow:
        await CustomerControl(uow.session, clock=world.clock).freeze(
            cid, freeze_type=FreezeType.ACCOUNT_AND_RESOURCE, by=partner.partner_id, reason="x"
        )
    async with world.db.unit_of_work() as uow:
        with pytest.raises(DomainError) as frozen:
            await services_for(uow.session, world.clock).usage.start_on_demand(
                cid, spec, source_id="period-2"
            )
    assert frozen.value.code == "CBC.99003656"


def test_quota_cycles_are_calendar_cycles_in_the_billing_zone() -> None:
    package = FreeResourcePackage(
        effective_time=datetime(2027, 1, 10, tzinfo=UTC),
        expire_time=datetime(2028, 1, 10, tzinfo=UTC),
        quota_reuse_mode=QuotaReuseMode.RESETTABLE,
    )
    instant = datetime(2027, 3, 31, 17, 30, tzinfo=UTC)  # 1 April 01:30 in UTC+8 (a Thursday)
    expected = {
        ReuseCycle.HOUR: (
            datetime(2027, 3, 31, 17, tzinfo=UTC),
            datetime(2027, 3, 31, 18, tzinfo=UTC),
        ),
        ReuseCycle.DAY: (
            datetime(2027, 3, 31, 16, tzinfo=UTC),
            datetime(2027, 4, 1, 16, tzinfo=UTC),
        ),
        ReuseCycle.WEEK: (
            datetime(2027, 3, 28, 16, tzinfo=UTC),
            datetime(2027, 4, 4, 16, tzinfo=UTC),
        ),
        ReuseCycle.MONTH: (
            datetime(2027, 3, 31, 16, tzinfo=UTC),
            datetime(2027, 4, 30, 16, tzinfo=UTC),
        ),
        # The year's cycle is clipped to the package's lifetime.
        ReuseCycle.YEAR: (
            datetime(2027, 1, 10, tzinfo=UTC),
            datetime(2027, 12, 31, 16, tzinfo=UTC),
        ),
    }
    for cycle, window in expected.items():
        package.quota_reuse_cycle = cycle
        assert cycle_window(package, instant, ZONE) == window, cycle
    package.quota_reuse_mode = QuotaReuseMode.NOT_RESETTABLE
    assert cycle_window(package, instant, ZONE) == (package.effective_time, package.expire_time)


async def test_a_resettable_quota_comes_back_each_cycle(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    _, cid = await customer(world)
    rid = await resource(world, cid)
    async with world.db.unit_of_work() as uow:
        packages = services_for(uow.session, world.clock).packages
        daily = await packages.grant(
            cid,
            PackageGrant(
                product_name="2 hours a day",
                service_type_code=ECS,
                region_code=HK,
                quotas=(FreeQuota(VM, "Duration", D(2), HOUR),),
                effective_time=at(0),
                expire_time=at(24 * 30),
                quota_reuse_mode=QuotaReuseMode.RESETTABLE,
                quota_reuse_cycle=ReuseCycle.DAY,
            ),
        )
    # Day 1 (from 08:00 local): 3 hours, 2 free. The local day ends at 16:00 UTC.
    world.clock.set(at(3))
    await ingest(world, [record(rid, at(h)) for h in range(3)])
    await rate(world, at(3))
    assert [f.free_quantity for f in await fees(world, cid)] == [D(1), D(1), D(0)]
    # After midnight in UTC+8 the quota is back.
    world.clock.set(at(18))
    await ingest(world, [record(rid, at(16)), record(rid, at(17))])
    await rate(world, at(18))
    assert [f.free_quantity for f in await fees(world, cid)][3:] == [D(1), D(1)]
    async with world.db.unit_of_work() as uow:
        packages = services_for(uow.session, world.clock).packages
        (view,), _ = await packages.list_packages(cid, PackageQuery(), Page(0, 10))
        assert view.status == PackageStatus.USED_UP  # for today
        unsubscribed = await packages.unsubscribe(cid, daily.package_id)
    assert unsubscribed.status == PackageStatus.UNSUBSCRIBED
    # Unsubscribed: the next day nothing is deducted.
    world.clock.set(at(42))
    await ingest(world, [record(rid, at(41))])
    await rate(world, at(42))
    assert (await fees(world, cid))[-1].free_quantity == 0


async def test_resources_switched_to_pay_per_use_are_taken_over(world: BudgetWorld) -> None:
    world.clock.set(at(0))
    partner, cid = await customer(world)
    async with world.db.unit_of_work() as uow:
        periods = ResourceService(uow.session, clock=world.clock, zone=ZONE)
        view = await periods.provision(
            NewResource(
                customer_id=cid,
                partner_id=partner.partner_id,
                distributor_id=None,
                order_id=new_id(),
                enterprise_project_id="0",
                line_id=new_id(),
                region_code=HK,
                service_type_code=EVS,
                service_type_name="Elastic Volume Service",
                resource_type_code=VOLUME,
                resource_type_name="Disk",
                resource_spec_code="SATA",
                product_id="p",
                product_spec_desc="SATA",
                project_id="0",
                spec_size=40,
                spec_size_measure_id=17,
                period_type=2,
                period_num=1,
                effective_time=at(-24 * 30),
                expire_time=at(0),
                list_amount=D("2.2"),
                paid_amount=D("2.2"),
                coupon_amount=D(0),
                charge_id=None,
            )
        )
        rows = await periods.lock([view.id])
        await periods.switch_now(rows, order_id=new_id())
    world.clock.set(at(1))
    async with world.db.unit_of_work() as uow:
        assert await services_for(uow.session, world.clock).usage_handoffs.take_over() == 1
    async with world.db.unit_of_work() as uow:
        assert await services_for(uow.session, world.clock).usage_handoffs.take_over() == 0
        assert (
            await ResourceService(uow.session, clock=world.clock, zone=ZONE).pending_handoffs()
            == []
        )
    # The disk is metered from the switch on, with its size.
    world.clock.set(at(2))
    assert (
        await ingest(world, [record(view.resource_id, at(0)), record(view.resource_id, at(1))])
    ).accepted == 2
    await rate(world, at(2))
    assert [f.official_amount for f in await fees(world, cid)] == [D("0.00308")] * 2

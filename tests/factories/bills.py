"""Rows of billable activity written straight into the orders and pay-per-use tables, so bill
run tests control every amount to the 8th decimal (the rating and ordering flows have their
own tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.orders.models import (
    CustomerOrder,
    OrderLine,
    OrderStatus,
    OrderType,
    SourceType,
)
from partner_center.domains.usage.models import ChargeState, FeeRecord, OnDemandResource
from partner_center.kernel.ids import new_id
from partner_center.state import AppState

ZERO = Decimal(0)
ECS = "hws.service.type.ec2"
VM = "hws.resource.type.vm"
HK = "ap-southeast-1"
EVS = "hws.service.type.ebs"
VOLUME = "hws.resource.type.volume"


def resource_row(
    rid: str, customer_id: str, partner_id: str, distributor_id: str | None, at: datetime
) -> OnDemandResource:
    return OnDemandResource(
        id=rid,
        tenant_id=customer_id,
        partner_id=partner_id,
        distributor_id=distributor_id,
        region_code=HK,
        availability_zone_code=None,
        service_type_code=ECS,
        resource_type_code=VM,
        resource_spec_code="s6.small.1.linux",
        resource_name="vm",
        resource_size=None,
        size_measure_id=None,
        status=1,
        effective_time=at,
        expire_time=None,
        source_id=None,
        created_at=at,
    )


def fee_row(
    rid: str,
    customer_id: str,
    partner_id: str,
    amount: str,
    *,
    hour: datetime,
    rated_at: datetime,
    cycle: str,
    state: ChargeState = ChargeState.CHARGED,
) -> FeeRecord:
    return FeeRecord(
        id=new_id(),
        tenant_id=customer_id,
        resource_id=rid,
        partner_id=partner_id,
        service_type_code=ECS,
        resource_type_code=VM,
        resource_spec_code="s6.small.1.linux",
        region_code=HK,
        usage_type="Duration",
        usage_hour=hour,
        rated_at=rated_at,
        bill_cycle=cycle,
        usage_measure_id=4,
        quantity=Decimal(1),
        free_quantity=ZERO,
        charged_quantity=Decimal(1),
        official_amount=Decimal(amount),
        currency="USD",
        charge_state=state.value,
        charge_id=None,
    )


def order_rows(
    customer_id: str,
    partner_id: str,
    distributor_id: str | None,
    amount: str,
    *,
    paid_at: datetime,
    coupon: str = "0",
    refund: bool = False,
    status: OrderStatus = OrderStatus.COMPLETED,
    enterprise_project_id: str = "0",
    expire_at: datetime | None = None,
) -> tuple[CustomerOrder, OrderLine]:
    """A one-line order (an unsubscription with ``refund``: ``amount`` is what was refunded);
    ``expire_at``: its period runs from ``paid_at`` to then (else it has none)."""
    value, coupon_value = Decimal(amount), Decimal(coupon)
    order = CustomerOrder(
        id=f"CS{new_id()}",
        tenant_id=customer_id,
        partner_id=partner_id,
        distributor_id=distributor_id,
        order_type=int(OrderType.UNSUBSCRIBE if refund else OrderType.NEW),
        source_type=int(SourceType.AGENT),
        status=int(status),
        service_type_code=ECS,
        service_type_name="ECS",
        currency="USD",
        official_amount=value,
        discount_amount=ZERO,
        amount_after_discount=value,
        coupon_amount=coupon_value,
        consumed_amount=ZERO,
        discount_offered=ZERO,
        created_by="test",
        created_at=paid_at,
        paid_at=paid_at if status == OrderStatus.COMPLETED else None,
        enterprise_project_id=enterprise_project_id,
    )
    line = OrderLine(
        id=new_id(),
        tenant_id=customer_id,
        order_id=order.id,
        position=0,
        parent_line_id=None,
        resource_ref=None,
        service_type_code=ECS,
        service_type_name="ECS",
        resource_type_code=VM,
        resource_type_name="VM",
        resource_spec_code="s6.small.1.linux",
        region_code=HK,
        product_id="p",
        product_spec_desc="d",
        spec_size=None,
        spec_size_measure_id=None,
        period_type=2,
        period_num=1,
        subscription_num=1,
        official_amount=value,
        discount_offered=ZERO,
        discount_amount=ZERO,
        amount_after_discount=value,
        coupon_amount=coupon_value,
        effective_time=paid_at,
        expire_time=expire_at,
    )
    return order, line


async def add_all(session: AsyncSession, *rows: object) -> None:
    session.add_all(list(rows))
    await session.flush()


async def add_rows(state: AppState, *, rows: list[object]) -> None:
    """Write ``rows`` (``LiveServer._call(add_rows, ...)``)."""
    async with state.work() as services:
        await add_all(services.session, *rows)


async def bill_rows(state: AppState, *, rows: list[object], cycle: str) -> None:
    """Write ``rows`` and run the bill run of ``cycle`` (``LiveServer._call(bill_rows, ...)``)."""
    async with state.work() as services:
        await add_all(services.session, *rows)
        await services.billing.run_cycle(cycle)


async def billed_usage(
    state: AppState, *, customer_id: str, partner_id: str, amount: str, cycle: str
) -> None:
    """Bill ``cycle`` with one pay-per-use charge of the customer: a VM rated ``amount`` for an
    hour on the 10th (``LiveServer._call(billed_usage, ...)``)."""
    year, month = (int(part) for part in cycle.split("-"))
    at = datetime(year, month, 10, tzinfo=UTC)
    rid = f"res-{customer_id[:8]}"
    fee = fee_row(rid, customer_id, partner_id, amount, hour=at, rated_at=at, cycle=cycle)
    await bill_rows(
        state, rows=[resource_row(rid, customer_id, partner_id, None, at), fee], cycle=cycle
    )


def volume_fee(
    rid: str, customer_id: str, partner_id: str, amount: str, *, at: datetime, cycle: str
) -> FeeRecord:
    """A pay-per-use fee record of an EVS volume (another product than ``fee_row``'s VM)."""
    row = fee_row(rid, customer_id, partner_id, amount, hour=at, rated_at=at, cycle=cycle)
    row.service_type_code, row.resource_type_code = EVS, VOLUME
    return row


VPC, BANDWIDTH = "hws.service.type.vpc", "hws.resource.type.bandwidth"


def bandwidth_fee(
    rid: str, customer_id: str, partner_id: str, mbps: str, *, hour: datetime, cycle: str
) -> FeeRecord:
    """A rated hour of a VPC bandwidth's 95th-percentile usage (``mbps`` Mbit/s, measure 15)."""
    row = fee_row(rid, customer_id, partner_id, "0", hour=hour, rated_at=hour, cycle=cycle)
    row.service_type_code, row.resource_type_code, row.usage_type = VPC, BANDWIDTH, "95Peak"
    row.usage_measure_id, row.quantity, row.charged_quantity = 15, Decimal(mbps), Decimal(mbps)
    return row

"""What the monthly bill run reads from yearly/monthly orders, as a set-based select.

``order_lines`` aggregates the lines of orders completed (paid) in a cycle per customer and
product: purchases, renewals and changes as ``ORDER`` (after discounts; their coupon part
apart), unsubscriptions as ``REFUND`` (negative). Orders are paid at business time, so an order
can never arrive after its cycle's bill run. Sums are raw 10⁻⁸ units (nothing rounded).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    case,
    func,
    literal,
    select,
    type_coerce,
)

from partner_center.domains.orders.models import CustomerOrder, OrderLine, OrderStatus, OrderType
from partner_center.domains.resources.public import order_line_resource_name

ORDER_KIND = "ORDER"
REFUND_KIND = "REFUND"


def order_lines(
    *,
    start: datetime,
    end: datetime,
    owner_partner_ids: Collection[str] | None = None,
) -> Select[tuple[str, str, str, str, str, str, int, int]]:
    """Per (customer, owner partner, kind, service type, resource type, region):
    the raw sums of the amount (refunds negative) and of the coupon part (10⁻⁸ units), for
    orders paid in ``[start, end)`` (UTC).

    Args:
        owner_partner_ids: only customers owned by these partners (a batch); None = all.
    """
    refund = CustomerOrder.order_type == int(OrderType.UNSUBSCRIBE)
    amount = type_coerce(OrderLine.amount_after_discount, BigInteger)
    coupon = type_coerce(OrderLine.coupon_amount, BigInteger)
    kind = case((refund, literal(REFUND_KIND)), else_=literal(ORDER_KIND))
    query = (
        select(
            CustomerOrder.tenant_id.label("customer_id"),
            CustomerOrder.partner_id.label("owner_partner_id"),
            kind.label("kind"),
            OrderLine.service_type_code.label("service_type_code"),
            OrderLine.resource_type_code.label("resource_type_code"),
            OrderLine.region_code.label("region_code"),
            func.sum(case((refund, -amount), else_=amount)).label("amount"),
            func.sum(case((refund, literal(0)), else_=coupon)).label("coupon_amount"),
        )
        .join(OrderLine, OrderLine.order_id == CustomerOrder.id)
        .where(
            CustomerOrder.status == int(OrderStatus.COMPLETED),
            CustomerOrder.paid_at >= start,
            CustomerOrder.paid_at < end,
        )
        .group_by(
            CustomerOrder.tenant_id,
            CustomerOrder.partner_id,
            kind,
            OrderLine.service_type_code,
            OrderLine.resource_type_code,
            OrderLine.region_code,
        )
    )
    if owner_partner_ids is not None:
        query = query.where(CustomerOrder.partner_id.in_(list(owner_partner_ids)))
    return query


def order_records(customer_id: str, *, start: datetime, end: datetime) -> Select[*tuple[Any, ...]]:
    """One customer's order lines paid in ``[start, end)`` (UTC), one row per line: see
    ``_paid_lines``."""
    return _paid_lines(customer_id).where(
        CustomerOrder.paid_at >= start, CustomerOrder.paid_at < end
    )


def _paid_lines(customer_id: str) -> Select[*tuple[Any, ...]]:
    """One customer's paid order lines, one row per line, in the
    columns of ``usage.public.fee_records`` (``partner_id``: the customer's partner when it was
    paid): ``bill_type`` 1 purchase, 2 renewal, 3 change,
    4 refund (amount negative, no coupon part); amounts raw 10⁻⁸ units; the order's
    ``enterprise_project_id``; ``resource_name`` the resource's (``order_line_resource_name``)."""
    order_type = CustomerOrder.order_type
    refund = order_type == int(OrderType.UNSUBSCRIBE)
    amount = type_coerce(OrderLine.amount_after_discount, BigInteger)
    official = type_coerce(OrderLine.official_amount, BigInteger)
    return (
        select(
            OrderLine.id.label("id"),
            CustomerOrder.id.label("trade_id"),
            CustomerOrder.partner_id.label("partner_id"),
            case((order_type.in_([2, 3, 4]), order_type), else_=1).label("bill_type"),
            literal("1").label("charge_mode"),
            OrderLine.service_type_code.label("service_type_code"),
            OrderLine.resource_type_code.label("resource_type_code"),
            OrderLine.region_code.label("region_code"),
            func.coalesce(OrderLine.resource_ref, "").label("resource_id"),
            CustomerOrder.paid_at.label("trade_time"),
            literal(0, BigInteger).label("usage"),
            case((refund, -official), else_=official).label("official_amount"),
            case((refund, -amount), else_=amount).label("amount"),
            case(
                (refund, literal(0)), else_=type_coerce(OrderLine.coupon_amount, BigInteger)
            ).label("coupon_amount"),
            CustomerOrder.enterprise_project_id.label("enterprise_project_id"),
            order_line_resource_name(
                customer_id=CustomerOrder.tenant_id,
                resource_ref=OrderLine.resource_ref,
                order_id=CustomerOrder.id,
                product_id=OrderLine.product_id,
            ).label("resource_name"),
        )
        .join(OrderLine, OrderLine.order_id == CustomerOrder.id)
        .where(
            CustomerOrder.tenant_id == customer_id,
            CustomerOrder.status == int(OrderStatus.COMPLETED),
        )
    )


def order_periods(customer_id: str, *, start: datetime, end: datetime) -> Select[*tuple[Any, ...]]:
    """One customer's paid order lines whose subscription period meets ``[start, end)`` (UTC),
    whenever they were paid: the columns of ``order_records`` plus ``effective_time`` and
    ``expire_time`` (the period; a line without one counts as its paid instant), for amortizing
    a yearly/monthly fee over its period."""
    effective = func.coalesce(OrderLine.effective_time, CustomerOrder.paid_at)
    expire = func.coalesce(OrderLine.expire_time, CustomerOrder.paid_at)
    return (
        _paid_lines(customer_id)
        .add_columns(
            OrderLine.effective_time.label("effective_time"),
            OrderLine.expire_time.label("expire_time"),
        )
        .where(effective < end, expire >= start)
    )

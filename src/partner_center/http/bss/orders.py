"""Yearly/monthly orders of the partner API (api-semantics.md §3.7): list and show orders
(partner or customer), the customer's payment, cancellation, usable discounts and coupons, and
refund details of unsubscription orders.

Amounts are JSON numbers with their exact cents; ``order_type`` is a string in the query and an
integer in responses, as the SDK models declare them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.coupons.public import CouponType
from partner_center.domains.orders.public import (
    FILTERABLE_STATUSES,
    OrderFilter,
    OrderType,
    Payment,
    wire_discount_type,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.coupons import ICouponUseLimitInfoV2
from partner_center.http.bss.order_wire import (
    MEASURE_ID,
    CustomerOrderV3,
    line_wire,
    order_wire,
)
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc, parse_time
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["orders"])
_ORDERS = "/v2/orders/customer-orders"

#: ``list_customer_orders``: a create or payment time window spans at most one year.
MAX_WINDOW = timedelta(days=366)
_COUPON_TYPES = {301: CouponType.CASH, 302: CouponType.FLEXI}
_DISCOUNT_TYPES = (0, 2, 3, 609)


# ---------------------------------------------------------------------------------------------
# Wire models (field for field as the SDK's, ../shared/spec/api-surface.json)
# ---------------------------------------------------------------------------------------------


class ListCustomerOrdersQuery(QueryModel):
    openapi_style = "schema"

    order_id: str | None = None
    customer_id: str | None = None
    create_time_begin: str | None = None
    create_time_end: str | None = None
    service_type_code: str | None = None
    status: int | None = None
    order_type: str | None = None
    limit: int | None = None
    offset: int | None = None
    order_by: str | None = Field(default=None, description="createTime or -createTime (default)")
    payment_time_begin: str | None = None
    payment_time_end: str | None = None
    indirect_partner_id: str | None = None
    method: str | None = Field(default=None, description="oneself (default) or sub_customer")


@sdk_model(required="*")
class ListCustomerOrdersResponse(WireModel):
    pass


class DetailsQuery(QueryModel):
    openapi_style = "schema"

    limit: int | None = None
    offset: int | None = None
    indirect_partner_id: str | None = None


@sdk_model(required="*")
class ShowCustomerOrderDetailsResponse(WireModel):
    pass


class OrderIdQuery(QueryModel):
    openapi_style = "schema"

    order_id: str | None = None


@sdk_model(required="*")
class OrderLineItemV3(WireModel):
    pass


@sdk_model(required="*")
class OrderV3(WireModel):
    pass


@sdk_model(required="discount_id discount_type orders")
class DiscountInfoV3(WireModel):
    pass


@sdk_model(required="*")
class ListOrderDiscountsResponse(WireModel):
    pass


@sdk_model(
    required=(
        "coupon_id status coupon_type measure_id face_value effective_time expire_time "
        "create_time coupon_version balance coupon_group"
    )
)
class CouponInfoV2(WireModel):
    use_limits: list[ICouponUseLimitInfoV2]


@sdk_model(required="*")
class CouponMaxUseQuantity(WireModel):
    pass


@sdk_model(required="*")
class ListOrderCouponsByOrderIdResponse(WireModel):
    pass


class CouponSimpleInfoOrderPayV3(WireModel):
    id: str = Field(max_length=64)
    type: int


class DiscountSimpleInfoV3(WireModel):
    id: str = Field(max_length=64)
    type: int


class PayCustomerOrderV3Req(WireModel):
    order_id: str = Field(min_length=1, max_length=64)
    use_coupon: str = Field(description="YES or NO")
    use_discount: str = Field(description="YES or NO")
    coupon_infos: list[CouponSimpleInfoOrderPayV3] | None = None
    discount_infos: list[DiscountSimpleInfoV3] | None = None


class CancelCustomerOrderReq(WireModel):
    order_id: str = Field(min_length=1, max_length=64)


class RefundQuery(QueryModel):
    openapi_style = "schema"

    order_id: str | None = None
    customer_id: str | None = None
    indirect_partner_id: str | None = None


@sdk_model(required="*")
class OrderRefundInfoV2(WireModel):
    pass


@sdk_model(required="*")
class ShowRefundOrderDetailsResponse(WireModel):
    pass


# ---------------------------------------------------------------------------------------------
# Mapping
# ---------------------------------------------------------------------------------------------


def _window(begin: str | None, end: str | None, name: str) -> tuple[Any, Any]:
    start = parse_time(begin, f"{name}_begin")
    stop = parse_time(end, f"{name}_end")
    if start is not None and stop is not None:
        if stop < start:
            raise invalid_parameter(f"{name}_end", f"Must not be before {name}_begin.")
        if stop - start > MAX_WINDOW:
            raise invalid_parameter(f"{name}_end", "A time window spans at most one year.")
    return start, stop


def _yes_no(value: str, field: str) -> bool:
    if value not in ("YES", "NO"):
        raise invalid_parameter(field, "Use YES or NO.")
    return value == "YES"


def payment_of(body: PayCustomerOrderV3Req) -> Payment:
    """The ``pay_orders`` body checked against its rules (api-semantics.md §3.7)."""
    use_coupon = _yes_no(body.use_coupon, "use_coupon")
    use_discount = _yes_no(body.use_discount, "use_discount")
    coupons = body.coupon_infos or []
    discounts = body.discount_infos or []
    if use_coupon != bool(coupons):
        raise invalid_parameter(
            "coupon_infos", "Required when use_coupon is YES and forbidden when it is NO."
        )
    if use_discount != bool(discounts):
        raise invalid_parameter(
            "discount_infos", "Required when use_discount is YES and forbidden when it is NO."
        )
    if len(coupons) > 3:
        raise invalid_parameter("coupon_infos", "At most 3 items.")
    if len(discounts) > 1:
        raise invalid_parameter("discount_infos", "At most 1 item.")
    for coupon in coupons:
        if coupon.type not in (300, 301, 302, 303):
            raise invalid_parameter("coupon_infos.type", "Use 300, 301, 302 or 303.")
        if coupon.type not in _COUPON_TYPES:
            raise DomainError(
                "CBC.99003108",
                f"The coupon {coupon.id} of type {coupon.type} does not apply to this order.",
            )
    if len(coupons) > 1:
        raise invalid_parameter("coupon_infos", "One coupon per order.")
    for discount in discounts:
        if discount.type not in _DISCOUNT_TYPES:
            raise invalid_parameter("discount_infos.type", "Use 0, 2, 3 or 609.")
    return Payment(
        order_id=body.order_id,
        use_discount=use_discount,
        discount_id=discounts[0].id if discounts else None,
        discount_type=discounts[0].type if discounts else None,
        coupon_id=coupons[0].id if coupons else None,
    )


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


@operation(router, "GET", _ORDERS, kind=CallerKind.PARTNER_OR_CUSTOMER, transaction="read_only")
async def list_customer_orders(
    ctx: OperationContext, query: ListCustomerOrdersQuery
) -> ListCustomerOrdersResponse:
    """Orders of the caller (a customer) or of the partner's customers"""
    actor = ctx.partner_actor
    if query.status is not None and query.status not in FILTERABLE_STATUSES:
        raise invalid_parameter("status", "Use 1, 3, 4, 5, 6 or 9.")
    order_type = None
    if query.order_type:
        try:
            order_type = int(OrderType(int(query.order_type)))
        except ValueError:
            raise invalid_parameter("order_type", "Not an order type.") from None
    if query.order_by not in (None, "createTime", "-createTime"):
        raise invalid_parameter("order_by", "Use createTime or -createTime.")
    if query.method not in (None, "oneself", "sub_customer"):
        raise invalid_parameter("method", "Use oneself or sub_customer.")
    if query.method == "sub_customer" and not query.customer_id:
        raise invalid_parameter("customer_id", "Required with method sub_customer.")
    created = _window(query.create_time_begin, query.create_time_end, "create_time")
    paid = _window(query.payment_time_begin, query.payment_time_end, "payment_time")
    window = page(query.offset, query.limit)
    member_id = None
    if query.method == "sub_customer":
        member_id = await _enterprise_member(ctx, query.customer_id or "")
    views, total = await ctx.services.orders.list_orders(
        ctx.caller,
        actor,
        OrderFilter(
            order_id=query.order_id or None,
            customer_id=query.customer_id or None,
            created_after=created[0],
            created_before=created[1],
            paid_after=paid[0],
            paid_before=paid[1],
            service_type_code=query.service_type_code or None,
            status=query.status,
            order_type=order_type,
            newest_first=query.order_by != "createTime",
            indirect_partner_id=(query.indirect_partner_id or None) if actor else None,
            enterprise_member_id=member_id,
        ),
        window,
    )
    return ListCustomerOrdersResponse(total_count=total, order_infos=[order_wire(v) for v in views])


async def _enterprise_member(ctx: OperationContext, customer_id: str) -> str:
    """``method=sub_customer``: the caller must be a customer, the enterprise master of
    ``customer_id`` (``CBC.0100`` for a partner, ``CBC.99000035`` for anyone else's member)."""
    if ctx.partner_actor is not None:
        raise invalid_parameter("method", "sub_customer is for an enterprise master account.")
    if await ctx.services.enterprises.master_of(customer_id) != ctx.caller.account_id:
        raise DomainError(
            "CBC.99000035", f"{customer_id} is not a member account of this enterprise."
        )
    return customer_id


@operation(router, "GET", _ORDERS + "/details/{order_id}", kind=CallerKind.PARTNER_OR_CUSTOMER)
async def show_customer_order_details(
    ctx: OperationContext, order_id: str, query: DetailsQuery
) -> ShowCustomerOrderDetailsResponse:
    """One order with its line items (paged)"""
    actor = ctx.partner_actor
    window = page(query.offset, query.limit)
    view = await ctx.services.orders.visible_order(
        ctx.caller,
        actor,
        order_id,
        indirect_partner_id=(query.indirect_partner_id or None) if actor else None,
    )
    lines = view.lines[window.offset : window.offset + window.limit]
    return ShowCustomerOrderDetailsResponse(
        total_count=len(view.lines),
        order_info=order_wire(view, CustomerOrderV3),
        order_line_items=[line_wire(x, view) for x in lines],
    )


def _required_order_id(order_id: str | None) -> str:
    if not order_id or len(order_id) > 64:
        raise invalid_parameter("order_id", "Required, 1 to 64 characters.")
    return order_id


@operation(router, "GET", f"{_ORDERS}/order-discounts", kind=CallerKind.CUSTOMER)
async def list_order_discounts(
    ctx: OperationContext, query: OrderIdQuery
) -> ListOrderDiscountsResponse:
    """Discounts the customer may use for its order"""
    view = await ctx.services.orders.own_order(
        ctx.caller.account_id, _required_order_id(query.order_id)
    )
    if view.discount_id is None or view.discount_type is None:
        return ListOrderDiscountsResponse(discounts=[])
    percent = view.discount_percent or Decimal(0)
    ratio = (Decimal(100) - percent) / Decimal(100)
    return ListOrderDiscountsResponse(
        discounts=[
            DiscountInfoV3(
                discount_id=view.discount_id,
                discount_value=f"{ratio.normalize():f}",
                discount_type=wire_discount_type(view.discount_type) or 3,
                orders=[
                    OrderV3(
                        order_id=view.order_id,
                        order_line_items=[
                            OrderLineItemV3(
                                order_line_item_ids=[x.line_id],
                                discount_mode=0,
                                discount_amount=to_cents(x.discount_offered),
                                discount_ratio=ratio,
                            )
                            for x in view.lines
                            if x.discount_offered > 0
                        ],
                    )
                ],
            )
        ]
    )


@operation(router, "GET", f"{_ORDERS}/order-coupons", kind=CallerKind.CUSTOMER)
async def list_order_coupons_by_order_id(
    ctx: OperationContext, query: OrderIdQuery
) -> ListOrderCouponsByOrderIdResponse:
    """The customer's coupons usable for its pending order"""
    service = ctx.services.orders
    view = await service.own_order(ctx.caller.account_id, _required_order_id(query.order_id))
    found = []
    if view.status == 6:
        found = await service.coupons.redemptions.applicable(
            ctx.caller.account_id, service.coupon_context(view)
        )
    coupons = []
    for item in found:
        coupon = item.coupon
        coupons.append(
            CouponInfoV2(
                coupon_id=coupon.coupon_id,
                **same_named(coupon, "status coupon_type", via=int),
                measure_id=MEASURE_ID,
                **same_named(coupon, "face_value balance", via=to_cents),
                effective_time=format_utc(coupon.valid_time),
                expire_time=format_utc(coupon.expire_time),
                use_limits=[],
                active_time=format_utc(coupon.created_at),
                last_used_time=optional_utc(coupon.last_used_at),
                create_time=format_utc(coupon.created_at),
                coupon_version=2,
                used_by_order_id=coupon.lock_order_id,
                coupon_group=0,
            )
        )
    return ListOrderCouponsByOrderIdResponse(
        count=len(coupons),
        user_coupons=coupons,
        coupon_max_use_quantity=[
            CouponMaxUseQuantity(coupon_type=1, coupon_group=0, use_quantity_value=1)
        ],
    )


@operation(router, "POST", "/v3/orders/customer-orders/pay", kind=CallerKind.CUSTOMER)
async def pay_orders(ctx: OperationContext, body: PayCustomerOrderV3Req) -> None:
    """The customer pays its pending order (discount first, then one coupon)"""
    await ctx.services.orders.pay(ctx.caller.account_id, payment_of(body))


@operation(router, "PUT", f"{_ORDERS}/cancel", kind=CallerKind.CUSTOMER)
async def cancel_customer_order(ctx: OperationContext, body: CancelCustomerOrderReq) -> None:
    """Cancel a pending-payment order"""
    await ctx.services.orders.cancel(ctx.caller.account_id, body.order_id)


@operation(router, "GET", f"{_ORDERS}/refund-orders", kind=CallerKind.PARTNER_OR_CUSTOMER)
async def show_refund_order_details(
    ctx: OperationContext, query: RefundQuery
) -> ShowRefundOrderDetailsResponse:
    """Refund lines of an unsubscription order"""
    actor = ctx.partner_actor
    lines = await ctx.services.orders.refund_lines(
        ctx.caller,
        actor,
        _required_order_id(query.order_id),
        customer_id=query.customer_id or None,
        indirect_partner_id=(query.indirect_partner_id or None) if actor else None,
    )
    return ShowRefundOrderDetailsResponse(
        total_count=len(lines),
        refund_infos=[
            OrderRefundInfoV2(
                **same_named(
                    x,
                    "id customer_id resource_type_code service_type_code resource_type_name"
                    " service_type_name region_code base_order_id",
                ),
                amount=to_cents(x.amount),
                measure_id=str(MEASURE_ID),
            )
            for x in lines
        ],
    )

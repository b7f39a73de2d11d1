"""Extension endpoints (ours, not the reference API) for partner discounts and order price
adjustment (rules.md §7.16–7.19, §12.5): the operator's permission with its maximum discount, a
partner granting, revoking and listing discounts (history included), and adjusting the price of
a pending order with its history; and the verification codes that protect critical operations
(§12.4). Every call is signed like the SDK's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.catalog.public import DiscountState, GrantedDiscount, PermissionView
from partner_center.domains.orders.public import AdjustmentView, OrderView
from partner_center.http.auth import CallerKind
from partner_center.http.bss.order_wire import caller_name
from partner_center.http.ext import PREFIX
from partner_center.http.formats import optional_utc, parse_time
from partner_center.http.headers import VerificationCodeHeader
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import UNDOCUMENTED, Doc, PageQuery
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["discounts (extension)"])


class PermissionReq(WireModel):
    max_percent_off: Decimal | None = Field(
        description="The deepest discount the partner may grant, 0 < x < 100, 2 decimals; "
        "null withdraws the permission"
    )


class Permission(WireModel):
    partner_id: str
    max_percent_off: Decimal | None = None
    granted_at: str | None = None


class GrantDiscountReq(WireModel):
    customer_id: str = Field(min_length=1, max_length=32)
    percent_off: Decimal = Field(description="0 < x < 100, 2 decimals, within the permission")
    name: str = Field(min_length=1, max_length=128)
    effective_from: str | None = Field(default=None, description="UTC; default now")
    effective_to: str = Field(description="UTC: the end of the validity period")
    service_type: str | None = Field(default=None, max_length=64, description="default: all")


class Discount(WireModel):
    discount_id: str
    discount_type: int = Field(description="607 partner-set, 606 distributor-granted")
    customer_id: str
    name: str
    service_type: str | None = None
    percent_off: Decimal
    effective_from: str
    effective_to: str | None = None
    state: str = Field(description="IN_FORCE, NOT_STARTED, EXPIRED or REVOKED")


class DiscountList(WireModel):
    total_count: int
    discounts: list[Discount]


class DiscountsQuery(PageQuery):
    customer_id: Annotated[str | None, Doc("one customer's discounts")] = None


class AdjustPriceReq(WireModel):
    discount_amount: Decimal = Field(
        description="Taken off the order's list price, 2 decimals, within the maximum discount"
    )


class AdjustedOrder(WireModel):
    order_id: str
    official_amount: Decimal
    discount_amount: Decimal
    amount_after_discount: Decimal
    discount_id: str | None = None


class Adjustment(WireModel):
    adjustment_id: str
    official_amount: Decimal
    previous_discount: Decimal
    discount_amount: Decimal
    adjusted_by: str
    created_at: str


class AdjustmentList(WireModel):
    adjustments: list[Adjustment]


def _permission(partner_id: str, view: PermissionView | None) -> Permission:
    if view is None:
        return Permission(partner_id=partner_id)
    return Permission(
        partner_id=partner_id,
        max_percent_off=view.max_percent_off,
        granted_at=format_utc(view.granted_at),
    )


def _discount(granted: GrantedDiscount) -> Discount:
    d = granted.discount
    return Discount(
        **same_named(d, "discount_id customer_id name service_type percent_off"),
        discount_type=int(d.discount_type),
        effective_from=format_utc(d.effective_from),
        effective_to=optional_utc(d.effective_to),
        state=granted.state.value,
    )


def _adjusted(view: OrderView) -> AdjustedOrder:
    return AdjustedOrder(
        **same_named(view, "order_id discount_id"),
        **same_named(view, "official_amount discount_amount amount_after_discount", via=to_cents),
    )


def _adjustment(view: AdjustmentView) -> Adjustment:
    return Adjustment(
        **same_named(view, "adjustment_id adjusted_by"),
        **same_named(view, "official_amount previous_discount discount_amount", via=to_cents),
        created_at=format_utc(view.created_at),
    )


@operation(router, "PUT", "/operator/partners/{partner_id}/discount-permission")
async def set_discount_permission(
    ctx: OperationContext, partner_id: Annotated[str, UNDOCUMENTED], body: PermissionReq
) -> Permission:
    """Give a partner the permission to grant discounts (operator)

    Partner discounts and order price adjustment need this permission from the operations
    manager (rules.md §7.16, §7.19); max_percent_off caps every discount and adjustment the
    partner makes. null withdraws it; the earlier permissions are kept as history.
    """
    partner = await ctx.services.partners.get(partner_id)
    if partner is None:
        raise invalid_parameter("partner_id", "No such partner.")
    view = await ctx.services.partner_discounts.set_permission(
        partner_id, max_percent_off=body.max_percent_off, operator_id=ctx.caller.account_id
    )
    return _permission(partner_id, view)


@operation(router, "GET", "/discount-permission", kind=CallerKind.PARTNER)
async def show_discount_permission(ctx: OperationContext) -> Permission:
    """The partner's permission to grant discounts

    max_percent_off is absent when the partner has no permission.
    """
    partner_id = ctx.caller.account_id
    return _permission(partner_id, await ctx.services.partner_discounts.permission(partner_id))


@operation(router, "POST", "/discounts", kind=CallerKind.PARTNER, status=201)
async def grant_discount(
    ctx: OperationContext, body: GrantDiscountReq, verification_code: VerificationCodeHeader
) -> Discount:
    """Grant a discount to a customer

    A percentage off the list price for a validity period, to the partner's own customer (607)
    or a distributor's reseller's customer (606), never to a reseller-model customer; at most the
    partner's maximum discount (CBC.5024). It replaces the partner's discount still in force for
    that customer. The customer is e-mailed now; partner and customer are e-mailed when it
    expires.
    """
    await ctx.services.critical_operations.check(
        ctx.caller.account_id, verification_code, operation="grant_discount"
    )
    end = parse_time(body.effective_to, "effective_to")
    if end is None:
        raise invalid_parameter("effective_to", "Required: the end of the validity period.")
    granted = await ctx.services.partner_discounts.grant(
        partner_id=ctx.caller.account_id,
        customer_id=body.customer_id,
        percent_off=body.percent_off,
        name=body.name,
        effective_from=parse_time(body.effective_from, "effective_from"),
        effective_to=end,
        service_type=body.service_type or None,
    )
    return _discount(GrantedDiscount(granted, ctx.services.partner_discounts.state_of(granted)))


@operation(router, "GET", "/discounts", kind=CallerKind.PARTNER)
async def list_granted_discounts(ctx: OperationContext, query: DiscountsQuery) -> DiscountList:
    """The discounts the partner granted, newest first

    In force, not started, expired or revoked: the history of the partner's discounts.
    """
    rows, total = await ctx.services.partner_discounts.history(
        ctx.caller.account_id,
        customer_id=query.customer_id or None,
        window=page(query.offset, query.limit),
    )
    return DiscountList(total_count=total, discounts=[_discount(r) for r in rows])


@operation(router, "POST", "/discounts/{discount_id}/revoke", kind=CallerKind.PARTNER)
async def revoke_discount(
    ctx: OperationContext,
    discount_id: Annotated[str, UNDOCUMENTED],
    verification_code: VerificationCodeHeader,
) -> Discount:
    """End a discount the partner granted, now

    Ratings of earlier instants keep it; no expiry e-mail follows.
    """
    await ctx.services.critical_operations.check(
        ctx.caller.account_id, verification_code, operation="revoke_discount"
    )
    revoked = await ctx.services.partner_discounts.revoke(
        discount_id, partner_id=ctx.caller.account_id
    )
    return _discount(GrantedDiscount(revoked, DiscountState.REVOKED))


@operation(router, "POST", "/orders/{order_id}/price-adjustments", kind=CallerKind.PARTNER)
async def adjust_order_price(
    ctx: OperationContext,
    order_id: Annotated[str, UNDOCUMENTED],
    body: AdjustPriceReq,
    verification_code: VerificationCodeHeader,
) -> AdjustedOrder:
    """Adjust the price of a customer's pending order

    Only with the discount permission and within its maximum, only for a customer that is not
    reseller-model, only on a pending-payment order, never an automatic renewal (rules.md
    §7.19). The amount is taken off the list price, replaces the discount the order offered (no
    stacking) and is shared by the lines in proportion to their list price; the customer pays
    the adjusted price and is e-mailed.
    """
    await ctx.services.critical_operations.check(
        ctx.caller.account_id, verification_code, operation="adjust_order_price"
    )
    view = await ctx.services.price_adjustments.adjust(
        ctx.actor,
        order_id,
        discount_amount=body.discount_amount,
        adjusted_by=caller_name(ctx),
    )
    return _adjusted(view)


@operation(router, "GET", "/orders/{order_id}/price-adjustments", kind=CallerKind.PARTNER)
async def list_order_price_adjustments(
    ctx: OperationContext, order_id: Annotated[str, UNDOCUMENTED]
) -> AdjustmentList:
    """The price adjustments of one of the partner's orders, oldest first

    Each with the order's list price, the discount it replaced and the amount taken off: the
    history rules.md §7.19 asks to keep.
    """
    rows = await ctx.services.price_adjustments.history(ctx.actor, order_id)
    return AdjustmentList(adjustments=[_adjustment(r) for r in rows])


class ProtectionReq(WireModel):
    enabled: bool


class Protection(WireModel):
    enabled: bool


class CodeSent(WireModel):
    sent_to: str = Field(description="The partner's registered e-mail address, masked")


def _masked(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


@operation(router, "GET", "/security/critical-operation-protection", kind=CallerKind.PARTNER)
async def show_critical_operation_protection(ctx: OperationContext) -> Protection:
    """Whether critical operations demand a verification code

    Off by default (rules.md §12.4).
    """
    return Protection(enabled=await ctx.services.critical_operations.enabled(ctx.caller.account_id))


@operation(router, "PUT", "/security/critical-operation-protection", kind=CallerKind.PARTNER)
async def set_critical_operation_protection(
    ctx: OperationContext, body: ProtectionReq
) -> Protection:
    """Turn verification codes for critical operations on or off (administrator)

    While on, freezing and unfreezing customers, setting budgets, granting and revoking discounts
    and adjusting order prices need X-Verification-Code: a code from
    POST /v1/partner-center/security/verification-codes (rules.md §12.4).
    """
    await ctx.services.critical_operations.set_enabled(ctx.caller, enabled=body.enabled)
    return Protection(enabled=body.enabled)


@operation(
    router,
    "POST",
    "/security/verification-codes",
    kind=CallerKind.PARTNER,
    status=201,
    body_required=False,
)
async def send_critical_operation_code(ctx: OperationContext) -> CodeSent:
    """Send a verification code for one critical operation

    A 6-digit code to the partner's registered e-mail address, valid 10 minutes, good for one
    critical operation; at most 5 an hour (CBC.99004015).
    """
    sent_to = await ctx.services.critical_operations.send_code(ctx.caller.account_id)
    return CodeSent(sent_to=_masked(sent_to))

"""What a coupon pays of an order — pure functions, no database (rules.md §7.5–7.7, §7.10,
§2.3.5; api-semantics.md §3.7 ``pay_orders``).

The order of operations is the reference's: discounts first, then the coupon::

    net     = Σ (list price − discount) of the order's lines
    payable = net − min(coupon's available balance, what the coupon may pay)

What the coupon may pay is the net amount of the lines in its scope (service type, region,
product) that are not discounted below its minimum discount ratio, capped for yearly/monthly orders
by its maximum deduction ratio, truncated to the cent (a coupon never pays a fraction of a cent
more than is owed). One coupon per order.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from partner_center.domains.coupons.errors import CouponErrorCode, coupon_error
from partner_center.domains.coupons.limits import Restrictions, SubscribeType
from partner_center.domains.coupons.states import CouponStatus, CouponType
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import truncate

ZERO = Decimal(0)


class CouponGroup(enum.IntEnum):
    """``coupon_group`` of the reference: which coupons may not be combined."""

    NORMAL = 0
    MARKETPLACE = 1
    DEDICATED = 2
    HARDWARE = 3


class RefundCase(enum.StrEnum):
    """Why money of a coupon-paid order goes back (rules.md §7.7)."""

    NOT_EFFECTIVE = "NOT_EFFECTIVE"
    """The order never took effect, or provisioning failed."""
    ORDER_EXCEPTION = "ORDER_EXCEPTION"
    """The order ended in an exception."""
    UNSTARTED_RENEWAL = "UNSTARTED_RENEWAL"
    """A renewal period that had not started yet was unsubscribed."""
    UNSUBSCRIBE = "UNSUBSCRIBE"
    """An ordinary unsubscription."""
    DOWNGRADE = "DOWNGRADE"
    """A specification downgrade."""


#: The cases in which the coupon amount goes back to the coupon (all others: it does not).
REFUNDABLE_CASES = frozenset(
    {RefundCase.NOT_EFFECTIVE, RefundCase.ORDER_EXCEPTION, RefundCase.UNSTARTED_RENEWAL}
)


def coupon_refundable(case: RefundCase) -> bool:
    """Whether the coupon part of a refund goes back to the coupon (rules.md §7.7): coupons are
    not refunded on unsubscription or downgrade, except when the order never took effect (or
    provisioning failed), ended in an exception, or a renewal period not yet started is
    unsubscribed."""
    return case in REFUNDABLE_CASES


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order, amounts in the order's currency."""

    cloud_service_type: str
    list_amount: Decimal
    """The list (official) price of the line, >= 0."""
    discount_amount: Decimal = ZERO
    """Discounts applied to the line (promotion, contract, partner-granted …), 0..list."""
    region_code: str | None = None
    product_id: str | None = None

    @property
    def net_amount(self) -> Decimal:
        return self.list_amount - self.discount_amount


@dataclass(frozen=True, slots=True)
class OrderContext:
    """What the coupon rules need to know about an order."""

    customer_id: str
    order_id: str
    subscribe_type: SubscribeType
    lines: tuple[OrderLine, ...]
    pay_per_use: bool = False
    """Pay-per-use spend is exempt from the maximum deduction ratio (rules.md §7.10)."""
    incurred_at: datetime | None = None
    """When the spend was incurred, if not now (coupons held before the customer's current
    association pay only spend from before it, rules.md §2.3.5)."""

    @property
    def list_amount(self) -> Decimal:
        return sum((line.list_amount for line in self.lines), ZERO)

    @property
    def discount_amount(self) -> Decimal:
        return sum((line.discount_amount for line in self.lines), ZERO)

    @property
    def net_amount(self) -> Decimal:
        return self.list_amount - self.discount_amount


@dataclass(frozen=True, slots=True)
class CouponTerms:
    """A coupon as the pricing rules see it."""

    coupon_id: str
    coupon_type: CouponType
    status: CouponStatus
    available: Decimal
    """Balance not held by other orders (what this order could use)."""
    restrictions: Restrictions = field(default_factory=Restrictions)
    times_used: int = 0
    locked_by_order_id: str | None = None
    issued_at: datetime | None = None
    group: CouponGroup = CouponGroup.NORMAL


@dataclass(frozen=True, slots=True)
class CouponQuote:
    """The amounts of an order paid with (at most) one coupon."""

    list_amount: Decimal
    discount_amount: Decimal
    net_amount: Decimal
    """List minus discounts: what is owed before the coupon."""
    coupon_amount: Decimal
    """What the coupon pays (2 decimals)."""
    payable: Decimal
    """What is left to pay from the balance: ``net_amount − coupon_amount``."""
    coupon_id: str | None = None
    eligible_amount: Decimal = ZERO
    """What the coupon could pay if its balance were unlimited."""


def check_order(order: OrderContext) -> None:
    """``CBC.0100`` for an order the rules cannot price."""
    if not order.lines:
        raise invalid_parameter("lines", "An order has at least one line.")
    for line in order.lines:
        if line.list_amount < 0:
            raise invalid_parameter("list_amount", "Must not be negative.")
        if line.discount_amount < 0 or line.discount_amount > line.list_amount:
            raise invalid_parameter("discount_amount", "Must be between 0 and the list amount.")


def in_scope(restrictions: Restrictions, line: OrderLine) -> bool:
    """Whether the coupon's service type / region / product scope covers the line."""
    return (
        (
            restrictions.cloud_service_types is None
            or line.cloud_service_type in restrictions.cloud_service_types
        )
        and (
            restrictions.regions is None
            or (line.region_code is not None and line.region_code in restrictions.regions)
        )
        and (
            restrictions.product_ids is None
            or (line.product_id is not None and line.product_id in restrictions.product_ids)
        )
    )


def _check_combination(coupons: Sequence[CouponTerms]) -> None:
    kinds = {c.coupon_type for c in coupons}
    if CouponType.DISCOUNT in kinds and kinds & {CouponType.CASH, CouponType.FLEXI}:
        raise coupon_error(
            CouponErrorCode.CASH_AND_DISCOUNT_COUPON,
            "A cash coupon and a discount coupon cannot be combined.",
        )
    groups = {c.group for c in coupons}
    if {CouponGroup.MARKETPLACE, CouponGroup.DEDICATED} <= groups:
        raise coupon_error(
            CouponErrorCode.MARKETPLACE_AND_DEDICATED_COUPON,
            "A marketplace coupon and a dedicated coupon cannot be combined.",
        )
    raise coupon_error(
        CouponErrorCode.INVALID_PARAMETER, "Invalid parameter: coupon_infos. One coupon per order."
    )


def _check_usable(coupon: CouponTerms, order: OrderContext, associated_on: datetime | None) -> None:
    if coupon.status is CouponStatus.USED:
        raise coupon_error(
            CouponErrorCode.COUPON_USED, f"The coupon {coupon.coupon_id} is used up."
        )
    if coupon.status is not CouponStatus.AVAILABLE:
        raise coupon_error(
            CouponErrorCode.COUPON_NOT_APPLICABLE,
            f"The coupon {coupon.coupon_id} is {coupon.status.name.lower().replace('_', ' ')}.",
        )
    if coupon.locked_by_order_id is not None and coupon.locked_by_order_id != order.order_id:
        raise coupon_error(
            CouponErrorCode.COUPON_USED,
            f"The coupon {coupon.coupon_id} is held by the unpaid order "
            f"{coupon.locked_by_order_id}.",
        )
    limit = coupon.restrictions.usage_times
    if limit and coupon.times_used >= limit:
        raise coupon_error(
            CouponErrorCode.COUPON_USED,
            f"The coupon {coupon.coupon_id} has paid its {limit} orders already.",
        )
    if (
        associated_on is not None
        and coupon.issued_at is not None
        and coupon.issued_at < associated_on
        and (order.incurred_at is None or order.incurred_at >= associated_on)
    ):
        raise coupon_error(
            CouponErrorCode.COUPON_NOT_APPLICABLE,
            f"The coupon {coupon.coupon_id} was held before the customer's association with its "
            "partner; it pays only spend incurred before the association.",
        )
    allowed = coupon.restrictions.subscribe_types
    if allowed is not None and order.subscribe_type not in allowed:
        raise coupon_error(
            CouponErrorCode.COUPON_NOT_APPLICABLE,
            f"The coupon {coupon.coupon_id} does not apply to this kind of order.",
        )


def quote(
    order: OrderContext,
    coupons: Sequence[CouponTerms] = (),
    *,
    associated_on: datetime | None = None,
) -> CouponQuote:
    """What ``order`` costs with ``coupons`` (at most one is accepted).

    Args:
        associated_on: start of the customer's current association with its partner.

    Raises:
        DomainError: ``CBC.0100`` bad order or more than one coupon; ``CBC.99003147`` cash and
            discount coupon together; ``CBC.99003156`` marketplace and dedicated coupon together;
            ``CBC.99003112`` coupon used up, held by another order or its usage count spent;
            ``CBC.99003108`` coupon not usable for this order (not active, expired, reclaimed, out
            of scope, held before the association); ``CBC.99003116`` coupon not combinable with
            the order's discounts; ``CBC.99003117`` every in-scope line discounted below the
            coupon's minimum ratio.
    """
    check_order(order)
    net = order.net_amount
    if not coupons:
        return CouponQuote(order.list_amount, order.discount_amount, net, ZERO, net)
    if len(coupons) > 1:
        _check_combination(coupons)
    coupon = coupons[0]
    _check_usable(coupon, order, associated_on)
    rules = coupon.restrictions
    scoped = [line for line in order.lines if in_scope(rules, line)]
    if not scoped:
        raise coupon_error(
            CouponErrorCode.COUPON_NOT_APPLICABLE,
            f"The coupon {coupon.coupon_id} does not cover any product of this order.",
        )
    if not rules.combinable_with_discount and any(line.discount_amount > 0 for line in scoped):
        raise coupon_error(
            CouponErrorCode.NOT_COMBINABLE_WITH_DISCOUNT,
            f"The coupon {coupon.coupon_id} cannot be combined with the order's discount.",
        )
    if rules.min_discount_ratio is not None:
        minimum = rules.min_discount_ratio
        scoped = [
            line
            for line in scoped
            if line.list_amount == 0 or line.net_amount / line.list_amount >= minimum
        ]
        if not scoped:
            raise coupon_error(
                CouponErrorCode.DISCOUNT_BELOW_COUPON_MINIMUM,
                f"The order is discounted below the coupon's minimum discount ratio {minimum:f}.",
            )
    eligible = sum((line.net_amount for line in scoped), ZERO)
    if rules.max_deduction_ratio is not None and not order.pay_per_use:
        eligible = min(eligible, net * rules.max_deduction_ratio)
    eligible = truncate(eligible, 2)
    used = min(max(coupon.available, ZERO), eligible)
    return CouponQuote(
        list_amount=order.list_amount,
        discount_amount=order.discount_amount,
        net_amount=net,
        coupon_amount=used,
        payable=net - used,
        coupon_id=coupon.coupon_id,
        eligible_amount=eligible,
    )

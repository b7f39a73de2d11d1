"""Values the coupons domain hands to callers (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from partner_center.domains.coupons.limits import Restrictions
from partner_center.domains.coupons.quotas import ItemError
from partner_center.domains.coupons.states import CouponOperation, CouponStatus, CouponType


@dataclass(frozen=True, slots=True)
class CouponView:
    coupon_id: str
    customer_id: str
    issuer_id: str
    """The partner that issued it (``source_id``)."""
    quota_id: str
    coupon_type: CouponType
    status: CouponStatus
    face_value: Decimal
    balance: Decimal
    """Posted balance, in ``currency``."""
    held: Decimal
    """Part of the balance held by an unpaid order."""
    currency: str
    valid_time: datetime
    expire_time: datetime
    restrictions: Restrictions
    memo: str | None
    lock_order_id: str | None
    times_used: int
    last_used_at: datetime | None
    created_at: datetime
    frozen: bool = False
    """The holder's account is frozen, so the coupon cannot be used now."""
    order_id: str | None = None
    """The latest order it paid or holds."""

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """``create_partner_coupons``: one coupon of ``face_value`` per customer."""

    quota_id: str
    customer_ids: tuple[str, ...]
    face_value: Decimal
    valid_time: datetime | None = None
    expire_time: datetime | None = None
    cloud_service_types: tuple[str, ...] | None = None
    product_ids: tuple[str, ...] | None = None
    subscribe_types: tuple[str, ...] | None = None
    """An extension of ours (the SDK has no field for it); narrows the quota's subscribe types."""
    memo: str | None = None
    indirect_partner_id: str | None = None

    def fingerprint(self) -> dict[str, Any]:
        """The request as plain data, for idempotency comparison."""
        return {
            "quota_id": self.quota_id,
            "customer_ids": list(self.customer_ids),
            "face_value": self.face_value,
            "valid_time": self.valid_time.isoformat() if self.valid_time else None,
            "expire_time": self.expire_time.isoformat() if self.expire_time else None,
            "cloud_service_types": list(self.cloud_service_types or ()),
            "product_ids": list(self.product_ids or ()),
            "subscribe_types": list(self.subscribe_types or ()),
            "memo": self.memo,
            "indirect_partner_id": self.indirect_partner_id,
        }


@dataclass(frozen=True, slots=True)
class IssueResult:
    coupons: tuple[tuple[str, str], ...]
    """``(customer id, coupon id)`` per coupon issued."""
    errors: tuple[ItemError, ...]
    replayed: bool = False
    """The answer of an earlier request with the same idempotency key; nothing was issued."""

    def to_json(self) -> dict[str, Any]:
        return {
            "coupons": [list(pair) for pair in self.coupons],
            "errors": [[e.id, e.code, e.message] for e in self.errors],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool) -> IssueResult:
        return cls(
            coupons=tuple((str(a), str(b)) for a, b in data.get("coupons", [])),
            errors=tuple(ItemError(str(i), str(c), str(m)) for i, c, m in data.get("errors", [])),
            replayed=replayed,
        )


@dataclass(frozen=True, slots=True)
class CouponFilter:
    """Filters of the coupon lists; None = not a filter. Time ranges exclude their bounds."""

    coupon_id: str | None = None
    customer_id: str | None = None
    order_id: str | None = None
    coupon_type: CouponType | None = None
    status: CouponStatus | None = None
    source_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    expire_after: datetime | None = None
    expire_before: datetime | None = None
    quota_id: str | None = None
    """``promotion_plan_id``: a partner coupon's promotion plan is the quota it was issued from."""


@dataclass(frozen=True, slots=True)
class CouponRecordFilter:
    operation_types: frozenset[CouponOperation] | None = None
    """None: any; an empty set matches nothing (as the reference treats an empty list)."""
    quota_id: str | None = None
    quota_type: int | None = None
    coupon_ids: tuple[str, ...] | None = None
    customer_id: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    result: str | None = None


@dataclass(frozen=True, slots=True)
class CouponRecordView:
    id: str
    operation_type: CouponOperation
    quota_id: str
    quota_type: int
    coupon_id: str | None
    customer_id: str
    operation_amount: Decimal
    currency: str
    operation_time: datetime
    result: str
    remark: str | None


@dataclass(frozen=True, slots=True)
class CouponChangeFilter:
    from_time: datetime
    to_time: datetime
    """Exclusive end."""
    revenue_expense_type: str | None = None
    trade_type: str | None = None
    trade_id: str | None = None
    coupon_id: str | None = None


@dataclass(frozen=True, slots=True)
class CouponChangeView:
    coupon_id: str
    trade_type: str
    trade_detail_type: str
    revenue_expense_type: str
    change_amount: Decimal
    balance_after: Decimal
    currency: str
    trade_id: str
    trade_time: datetime
    cloud_service_type_name: str | None
    resource_type_name: str | None


@dataclass(frozen=True, slots=True)
class ReclaimedCoupon:
    coupon_id: str
    amount: Decimal
    """What went back to the quota, in the coupon's currency."""


@dataclass(frozen=True, slots=True)
class RedemptionView:
    redemption_id: str
    coupon_id: str
    order_id: str
    amount: Decimal
    """Held amount."""
    captured_amount: Decimal
    refunded_amount: Decimal
    currency: str
    status: str
    """HELD, CAPTURED or RELEASED."""


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    refunded: Decimal
    """What went back to the coupon (0 when the case does not refund coupons)."""
    reason: str
    returned_to_quota: Decimal = Decimal(0)
    """Part of it passed on to the quota because the coupon had expired or was reclaimed."""


@dataclass(frozen=True, slots=True)
class OrderLineNames:
    """Display names the holder's change record shows for a payment."""

    cloud_service_type_name: str | None = None
    resource_type_name: str | None = None


@dataclass(frozen=True, slots=True)
class ApplicableCoupon:
    coupon: CouponView
    coupon_amount: Decimal
    """What it would pay of the order."""
    payable: Decimal
    """What would be left to pay."""

"""The coupons domain's public surface: the only module other domains import.

For the orders domain: build ``CouponService(session, clock=clock)`` and use
``service.redemptions`` — ``applicable``, ``quote``, ``redeem``, ``capture``, ``release``,
``refund`` — with an ``OrderContext``; ``pricing.quote`` is the pure price computation and
``coupon_refundable`` the refund rule. For the associations domain:
``reclaim_coupons_on_disassociation`` (operation type 3) and ``CouponService.reclaim_on_mode_switch``.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.limits import LimitInfo, LimitKey, Restrictions, SubscribeType
from partner_center.domains.coupons.pricing import (
    REFUNDABLE_CASES,
    CouponGroup,
    CouponQuote,
    CouponTerms,
    OrderContext,
    OrderLine,
    RefundCase,
    coupon_refundable,
    in_scope,
    quote,
)
from partner_center.domains.coupons.quotas import (
    MAX_QUOTAS_PER_RECLAIM,
    MAX_RESELLERS_PER_CALL,
    ItemError,
    QuotaFilter,
    QuotaRecordFilter,
    QuotaRecordView,
    QuotaService,
    QuotaView,
)
from partner_center.domains.coupons.redemptions import CouponRedemptions
from partner_center.domains.coupons.service import (
    EXPIRE_JOB,
    MAX_CUSTOMERS_PER_ISSUE,
    CouponService,
)
from partner_center.domains.coupons.states import (
    CouponOperation,
    CouponStatus,
    CouponType,
    QuotaOperation,
    QuotaStatus,
    QuotaType,
)
from partner_center.domains.coupons.views import (
    ApplicableCoupon,
    CouponChangeFilter,
    CouponChangeView,
    CouponFilter,
    CouponRecordFilter,
    CouponRecordView,
    CouponView,
    IssueRequest,
    IssueResult,
    OrderLineNames,
    ReclaimedCoupon,
    RedemptionView,
    RefundOutcome,
)
from partner_center.kernel.clock import FixedClock


async def reclaim_coupons_on_disassociation(
    session: AsyncSession, *, customer_id: str, at: datetime
) -> list[ReclaimedCoupon]:
    """Reclaim the partner coupons of a customer whose association ended at ``at`` (rules.md
    §2.6.12), inside the caller's transaction. Fits an on-disassociation hook."""
    service = CouponService(session, clock=FixedClock(at))
    return await service.reclaim_on_disassociation(customer_id)


__all__ = [
    "EXPIRE_JOB",
    "MAX_CUSTOMERS_PER_ISSUE",
    "MAX_QUOTAS_PER_RECLAIM",
    "MAX_RESELLERS_PER_CALL",
    "REFUNDABLE_CASES",
    "ApplicableCoupon",
    "CouponChangeFilter",
    "CouponChangeView",
    "CouponFilter",
    "CouponGroup",
    "CouponOperation",
    "CouponQuote",
    "CouponRecordFilter",
    "CouponRecordView",
    "CouponRedemptions",
    "CouponService",
    "CouponStatus",
    "CouponTerms",
    "CouponType",
    "CouponView",
    "IssueRequest",
    "IssueResult",
    "ItemError",
    "LimitInfo",
    "LimitKey",
    "OrderContext",
    "OrderLine",
    "OrderLineNames",
    "QuotaFilter",
    "QuotaOperation",
    "QuotaRecordFilter",
    "QuotaRecordView",
    "QuotaService",
    "QuotaStatus",
    "QuotaType",
    "QuotaView",
    "ReclaimedCoupon",
    "RedemptionView",
    "RefundCase",
    "RefundOutcome",
    "Restrictions",
    "SubscribeType",
    "coupon_refundable",
    "in_scope",
    "quote",
    "reclaim_coupons_on_disassociation",
]

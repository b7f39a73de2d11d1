"""The coupons domain's public surface: the only module other domains import.

For the orders domain: build ``CouponService(session, clock=clock)`` and use
``service.redemptions`` — ``applicable``, ``quote``, ``redeem``, ``capture``, ``release``,
``refund`` — with an ``OrderContext``; ``pricing.quote`` is the pure price computation and
``coupon_refundable`` the refund rule. For the associations domain:
``CouponService.reclaim_on_disassociation`` (operation type 3, run by the container's
disassociation hook) and ``CouponService.reclaim_on_mode_switch``.
"""

from partner_center.domains.coupons.book import CouponBook
from partner_center.domains.coupons.idempotency import IdempotencyKeys
from partner_center.domains.coupons.limits import LimitInfo, LimitKey, Restrictions, SubscribeType
from partner_center.domains.coupons.members import MemberCoupons, SharedCoupon
from partner_center.domains.coupons.partner_coupons import (
    CustomerTotals,
    PartnerCoupons,
    PartnerCouponSource,
    PartnerCouponUseView,
    PartnerCouponView,
)
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

__all__ = [
    "EXPIRE_JOB",
    "MAX_CUSTOMERS_PER_ISSUE",
    "MAX_QUOTAS_PER_RECLAIM",
    "MAX_RESELLERS_PER_CALL",
    "REFUNDABLE_CASES",
    "ApplicableCoupon",
    "CouponBook",
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
    "CustomerTotals",
    "IdempotencyKeys",
    "IssueRequest",
    "IssueResult",
    "ItemError",
    "LimitInfo",
    "LimitKey",
    "MemberCoupons",
    "OrderContext",
    "OrderLine",
    "OrderLineNames",
    "PartnerCouponSource",
    "PartnerCouponUseView",
    "PartnerCouponView",
    "PartnerCoupons",
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
    "SharedCoupon",
    "SubscribeType",
    "coupon_refundable",
    "in_scope",
    "quote",
]

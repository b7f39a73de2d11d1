"""The orders domain's public surface (the only module other domains import).

``OrderService`` creates (for a partner, on behalf of an authorized customer), pays, cancels and
lists yearly/monthly orders; ``SubscriptionService`` wraps it for what customers do with their
resources (renew, unsubscribe, auto-renew, renewal settings, switch to pay-per-use).
"""

from partner_center.domains.orders.adjustments import AdjustmentView, PriceAdjustments
from partner_center.domains.orders.billing_feed import order_lines, order_periods, order_records
from partner_center.domains.orders.errors import OrderErrorCode, order_error
from partner_center.domains.orders.models import (
    FILTERABLE_STATUSES,
    OrderStatus,
    OrderType,
    SourceType,
)
from partner_center.domains.orders.packages import OrderedPackages
from partner_center.domains.orders.service import (
    EXPIRE_UNPAID_JOB,
    MAX_PRODUCTS,
    PERIOD_LIMITS,
    SYSTEM_USER,
    OrderPolicy,
    OrderService,
    check_period,
    split,
    wire_discount_type,
)
from partner_center.domains.orders.subscriptions import (
    AUTO_RENEW_PERIODS,
    DEDUCTION_DATE,
    EXPIRE_DATE,
    MAX_INSTANT,
    MAX_RENEW,
    MAX_TO_ON_DEMAND,
    MAX_UNSUBSCRIBE,
    RenewalLines,
    RenewalQuote,
    SubscriptionService,
    TermRefund,
    UnsubscribeReason,
    check_status_filter,
    term_refund,
)
from partner_center.domains.orders.views import (
    BatchResult,
    InstantSwitch,
    ItemFailure,
    LineView,
    NewOrder,
    OrderFilter,
    OrderView,
    Payment,
    ProductRequest,
    RefundLineView,
)

__all__ = [
    "AUTO_RENEW_PERIODS",
    "DEDUCTION_DATE",
    "EXPIRE_DATE",
    "EXPIRE_UNPAID_JOB",
    "FILTERABLE_STATUSES",
    "MAX_INSTANT",
    "MAX_PRODUCTS",
    "MAX_RENEW",
    "MAX_TO_ON_DEMAND",
    "MAX_UNSUBSCRIBE",
    "PERIOD_LIMITS",
    "SYSTEM_USER",
    "AdjustmentView",
    "BatchResult",
    "InstantSwitch",
    "ItemFailure",
    "LineView",
    "NewOrder",
    "OrderErrorCode",
    "OrderFilter",
    "OrderPolicy",
    "OrderService",
    "OrderStatus",
    "OrderType",
    "OrderView",
    "OrderedPackages",
    "Payment",
    "PriceAdjustments",
    "ProductRequest",
    "RefundLineView",
    "RenewalLines",
    "RenewalQuote",
    "SourceType",
    "SubscriptionService",
    "TermRefund",
    "UnsubscribeReason",
    "check_period",
    "check_status_filter",
    "order_error",
    "order_lines",
    "order_periods",
    "order_records",
    "split",
    "term_refund",
    "wire_discount_type",
]

"""What the orders domain hands out and takes in (no database rows leave the domain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from partner_center.domains.orders.models import OrderStatus, OrderType, SourceType


@dataclass(frozen=True, slots=True)
class ProductRequest:
    """One product of a new order. ``parent_id`` names the primary product (by ``id``) an
    attached product belongs to; it must have the same ``subscription_num``."""

    id: str
    service_type: str
    resource_type: str
    resource_spec: str
    region: str
    subscription_num: int = 1
    resource_size: int | None = None
    size_measure_id: int | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewOrder:
    customer_id: str
    period_type: int
    period_num: int
    products: tuple[ProductRequest, ...]
    auto_renew: bool = False
    indirect_partner_id: str | None = None
    enterprise_project_id: str = "0"
    """The customer's enterprise project ("0": the default one)."""


@dataclass(frozen=True, slots=True)
class LineView:
    line_id: str
    order_id: str
    position: int
    parent_line_id: str | None
    resource_ref: str | None
    service_type_code: str
    service_type_name: str
    resource_type_code: str
    resource_type_name: str
    resource_spec_code: str
    region_code: str
    product_id: str
    product_spec_desc: str
    period_type: int
    period_num: int | None
    subscription_num: int
    official_amount: Decimal
    discount_offered: Decimal
    discount_amount: Decimal
    amount_after_discount: Decimal
    coupon_amount: Decimal
    effective_time: datetime | None
    expire_time: datetime | None


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: str
    customer_id: str
    partner_id: str
    order_type: OrderType
    source_type: SourceType
    status: OrderStatus
    service_type_code: str
    service_type_name: str
    currency: str
    official_amount: Decimal
    discount_amount: Decimal
    amount_after_discount: Decimal
    coupon_amount: Decimal
    consumed_amount: Decimal
    discount_id: str | None
    discount_type: int | None
    discount_percent: Decimal | None
    discount_offered: Decimal
    coupon_id: str | None
    base_order_id: str | None
    created_by: str
    created_at: datetime
    payment_deadline: datetime | None
    paid_at: datetime | None
    enterprise_project_id: str = "0"
    paying_agent_id: str | None = None
    unsubscribe_reason_type: int | None = None
    unsubscribe_reason: str | None = None
    lines: tuple[LineView, ...] = ()

    @property
    def payable(self) -> Decimal:
        """What was (or is) paid from money: after the discount and the coupon."""
        return self.amount_after_discount - self.coupon_amount


@dataclass(frozen=True, slots=True)
class OrderFilter:
    order_id: str | None = None
    customer_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    paid_after: datetime | None = None
    paid_before: datetime | None = None
    service_type_code: str | None = None
    status: int | None = None
    order_type: int | None = None
    newest_first: bool = True
    indirect_partner_id: str | None = None
    enterprise_member_id: str | None = None
    """A customer caller lists this member's orders instead of its own (``method`` =
    ``sub_customer``); set only once the caller is known to be the member's enterprise master."""


@dataclass(frozen=True, slots=True)
class RefundLineView:
    id: str
    amount: Decimal
    customer_id: str
    resource_type_code: str
    resource_type_name: str
    service_type_code: str
    service_type_name: str
    region_code: str
    base_order_id: str


@dataclass(frozen=True, slots=True)
class Payment:
    """How a customer pays an order (``pay_orders``)."""

    order_id: str
    use_discount: bool
    discount_id: str | None = None
    discount_type: int | None = None
    coupon_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemFailure:
    id: str
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    order_ids: list[str] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InstantSwitch:
    resource_id: str
    result: str
    """SUCCESS or FAIL."""
    order_id: str | None = None
    error_code: str | None = None
    error_msg: str | None = None

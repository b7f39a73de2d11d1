"""Customer orders (yearly/monthly), their lines, and the refund lines of unsubscription orders
(api-semantics.md §3.7).

Amounts are exact Decimals in the main currency unit (``MoneyAmount``), 2 decimals, never
negative except ``OrderRefundLine.amount`` (negative = refunded, positive = consumed), as the
reference shows them. Times are aware UTC business times.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class OrderStatus(enum.IntEnum):
    """``CustomerOrderV2.status``."""

    PENDING_APPROVAL = 1
    PENDING_REFUND = 2
    PROCESSING = 3
    CANCELLED = 4
    COMPLETED = 5
    PENDING_PAYMENT = 6
    PENDING_CONFIRMATION = 9
    PENDING_SHIPMENT = 10
    PENDING_RECEIPT = 11
    PENDING_PICKUP = 12
    BEING_EXCHANGED = 13


#: ``status`` values ``list_customer_orders`` filters on.
FILTERABLE_STATUSES = frozenset({1, 3, 4, 5, 6, 9})


class OrderType(enum.IntEnum):
    """``CustomerOrderV2.order_type``."""

    NEW = 1
    RENEW = 2
    CHANGE = 3
    UNSUBSCRIBE = 4
    TO_ON_DEMAND = 10
    TO_PERIOD = 11
    TRIAL = 13
    TRIAL_TO_COMMERCIAL = 14
    FEE_ADJUSTMENT = 15


class SourceType(enum.IntEnum):
    """``CustomerOrderV2.source_type``."""

    CUSTOMER = 1
    AGENT = 2
    CONTRACT = 3
    DISTRIBUTOR = 4
    CONSOLE_DELETION = 5
    BACKFILLED = 6
    COMPENSATION = 7
    SYSTEM = 8


class CustomerOrder(TenantOwned, Base):
    """An order of a customer. ``tenant_id`` is the customer; ``partner_id`` the partner that
    owns the customer (a reseller for a reseller's customer) and ``distributor_id`` its
    distributor, so partner queries filter without a join."""

    __tablename__ = "customer_orders"
    __table_args__ = (
        CheckConstraint("status IN (1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13)", name="status"),
        CheckConstraint(
            "official_amount >= 0 AND amount_after_discount >= 0 AND coupon_amount >= 0",
            name="amounts",
        ),
        # The order lists: newest (or oldest) first with the id as tie-breaker.
        Index("ix_customer_orders_partner_created_id", "partner_id", "created_at", "id"),
        Index("ix_customer_orders_customer_created_id", "tenant_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(32))
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    order_type: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(Integer)
    service_type_code: Mapped[str] = mapped_column(String(64))
    service_type_name: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    official_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """List price (2 decimals); for an unsubscription order, the refunded amount."""
    discount_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What the order's discount takes off (0 when it has none or it was not used)."""
    amount_after_discount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Official minus discount, before coupons."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Paid by a coupon (set at payment)."""
    consumed_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Unsubscription orders: what the used time cost (not refunded)."""
    discount_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The discount in force when the order was created (the best offer), if any."""
    discount_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Its catalog type (605, 606, 607)."""
    discount_percent: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    discount_offered: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What that discount would take off if used."""
    coupon_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    period_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_num: Mapped[int | None] = mapped_column(Integer, nullable=True)
    auto_renew: Mapped[bool] = mapped_column(default=False)
    """Provision the resources with auto-renew on."""
    base_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Unsubscription orders: the (first) order whose money was refunded."""
    created_by: Mapped[str] = mapped_column(String(128))
    """``user_name``: the login that created it, or "system"."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payment_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Pending-payment orders cannot be paid from this time on (``CBC.99003110``)."""
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Cancelled (or completed for orders that need no payment)."""
    enterprise_project_id: Mapped[str] = mapped_column(String(64), default="0", server_default="0")
    """The customer's enterprise project the order is for; "0" is the default project."""
    paying_agent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The partner that pays for the order (``agent_pay_info``): the billed partner of a
    reseller-model customer when the order was created; NULL when the customer pays itself."""
    unsubscribe_reason_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Unsubscription orders: 1 hard to use … 5 other, as the customer gave it."""
    unsubscribe_reason: Mapped[str | None] = mapped_column(String(512), nullable=True)
    """Unsubscription orders: the customer's free-text reason."""


class OrderLine(TenantOwned, Base):
    """One product of an order. ``tenant_id`` is the customer. A new-purchase line provisions
    ``subscription_num`` resources; renewal and unsubscription lines name one ``resource_ref``."""

    __tablename__ = "customer_order_lines"
    __table_args__ = (CheckConstraint("subscription_num >= 1", name="subscription_num"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer)
    parent_line_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The primary line an attached product belongs to (an EVS disk of an ECS)."""
    resource_ref: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    service_type_code: Mapped[str] = mapped_column(String(64))
    service_type_name: Mapped[str] = mapped_column(String(128))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_name: Mapped[str] = mapped_column(String(128))
    resource_spec_code: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64))
    product_spec_desc: Mapped[str] = mapped_column(String(256))
    spec_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spec_size_measure_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period_type: Mapped[int] = mapped_column(Integer)
    period_num: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subscription_num: Mapped[int] = mapped_column(Integer)
    official_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    discount_offered: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What the order's discount would take off this line."""
    discount_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    amount_after_discount: Mapped[Decimal] = mapped_column(MoneyAmount())
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    effective_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    expire_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class OrderRefundLine(TenantOwned, Base):
    """A refund line of an unsubscription order (``show_refund_order_details``). ``tenant_id``
    is the customer."""

    __tablename__ = "customer_order_refund_lines"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Negative: refunded to the customer; positive: consumed (kept)."""
    resource_ref: Mapped[str] = mapped_column(String(32))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_name: Mapped[str] = mapped_column(String(128))
    service_type_code: Mapped[str] = mapped_column(String(64))
    service_type_name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(64))
    base_order_id: Mapped[str] = mapped_column(String(64))


class OrderPriceAdjustment(TenantOwned, Base):
    """A partner's price adjustment of a pending order (rules.md §7.19): the history of every
    adjustment, never updated. ``tenant_id`` is the customer."""

    __tablename__ = "order_price_adjustments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    partner_id: Mapped[str] = mapped_column(String(32))
    official_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """The order's list price (2 decimals)."""
    previous_discount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What the order's discount took off before this adjustment (2 decimals, ≥ 0)."""
    discount_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """What this adjustment takes off the list price (2 decimals, > 0); the order's lines share
    it in proportion to their list price."""
    adjusted_by: Mapped[str] = mapped_column(String(128))
    """The partner login that adjusted it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

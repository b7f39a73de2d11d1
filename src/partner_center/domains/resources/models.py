"""Yearly/monthly resources, the paid terms that make up their lifetime, the customer's renewal
settings and the hand-over events to pay-per-use (api-semantics.md §3.8).

Amounts are exact Decimals in the main currency unit (``MoneyAmount``: 10⁻⁸ units in a BIGINT),
never negative; times are aware UTC business times.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class ResourceStatus(enum.IntEnum):
    """``OrderInstanceV2.status``."""

    IN_USE = 2
    CLOSED = 3
    """Released (or handed to pay-per-use); not shown in the console."""
    FROZEN = 4
    """In the retention period: unusable, data kept."""
    EXPIRED = 5
    """In the grace period: still usable, must be renewed."""


class ExpirePolicy(enum.IntEnum):
    """``OrderInstanceV2.expire_policy``: what happens at expiry."""

    GRACE = 0
    TO_ON_DEMAND = 1
    DELETE = 2
    AUTO_RENEW = 3
    FREEZE = 4
    DELETE_AFTER_RETENTION = 5


class TermKind(enum.StrEnum):
    NEW = "NEW"
    RENEW = "RENEW"


class PeriodResource(TenantOwned, Base):
    """One provisioned yearly/monthly resource. ``tenant_id`` is the customer that owns it;
    ``partner_id`` the partner it was bought through (the reseller for a reseller's customer)."""

    __tablename__ = "period_resources"
    __table_args__ = (
        CheckConstraint("status IN (2, 3, 4, 5)", name="status"),
        CheckConstraint("expire_policy BETWEEN 0 AND 5", name="expire_policy"),
        Index("ix_period_resources_customer_expire", "tenant_id", "expire_time"),
        # The customer's resources list: by creation, tie-broken by id.
        Index("ix_period_resources_customer_created_id", "tenant_id", "created_at", "id"),
        UniqueConstraint("resource_id", name="uq_period_resources_resource_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Internal provisioning id (``OrderInstanceV2.id``)."""
    resource_id: Mapped[str] = mapped_column(String(64))
    """The cloud service's id (an ECS server id …)."""
    partner_id: Mapped[str] = mapped_column(String(32), index=True)
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resource_name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(64))
    service_type_code: Mapped[str] = mapped_column(String(64))
    service_type_name: Mapped[str] = mapped_column(String(128))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_name: Mapped[str] = mapped_column(String(128))
    resource_spec_code: Mapped[str] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64))
    product_spec_desc: Mapped[str] = mapped_column(String(256))
    project_id: Mapped[str] = mapped_column(String(64))
    spec_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spec_size_measure_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """Internal id of the primary resource an attached resource follows; NULL for a primary."""
    is_main: Mapped[bool]
    status: Mapped[int] = mapped_column(Integer)
    expire_policy: Mapped[int] = mapped_column(Integer, default=0)
    auto_renew_times: Mapped[int] = mapped_column(Integer, default=0)
    """Renewals auto-renew may still make (0 = unlimited) while ``expire_policy`` is 3."""
    auto_renew_period_type: Mapped[int] = mapped_column(Integer, default=2)
    """2 month or 3 year: the period one automatic renewal buys."""
    period_type: Mapped[int] = mapped_column(Integer)
    """Period type (2 month, 3 year) of the resource's last order."""
    period_num: Mapped[int] = mapped_column(Integer)
    effective_time: Mapped[datetime] = mapped_column(UtcDateTime())
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime())
    """End of the last paid term (UTC)."""
    grace_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    retention_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    grace_days: Mapped[int] = mapped_column(Integer)
    """Grace period at provisioning, days (settings ``PERIOD_GRACE_DAYS``)."""
    retention_days: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    """The new-purchase order that provisioned it."""
    enterprise_project_id: Mapped[str] = mapped_column(String(64), default="0", server_default="0")
    """The enterprise project of the order that provisioned it; "0" is the default project."""
    busy_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """An unpaid order (renewal) that includes the resource; NULL when none."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    update_time: Mapped[datetime] = mapped_column(UtcDateTime())


class ResourceTerm(TenantOwned, Base):
    """One paid period of a resource: what it cost and how it was paid, for refunds.
    ``tenant_id`` is the customer."""

    __tablename__ = "period_resource_terms"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="window"),
        CheckConstraint("paid_amount >= 0 AND coupon_amount >= 0", name="amounts"),
        UniqueConstraint("resource_ref", "order_id", name="uq_period_resource_terms_order"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_ref: Mapped[str] = mapped_column(String(32), index=True)
    """``PeriodResource.id``."""
    order_id: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    list_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """List price of the term (2 decimals)."""
    paid_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Paid from the customer's money (balance or partner postpaid), 2 decimals."""
    coupon_amount: Mapped[Decimal] = mapped_column(MoneyAmount())
    """Paid by the coupon, 2 decimals."""
    charge_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The balances charge that paid ``paid_amount`` (NULL when nothing was charged)."""
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    refund_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RenewConfig(TenantOwned, Base):
    """A customer's renewal settings (``set_resources_renew_config``); ``tenant_id`` is the
    customer, one row each."""

    __tablename__ = "period_renew_configs"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_period_renew_configs_tenant"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deduction_days: Mapped[int] = mapped_column(Integer, default=7)
    """Auto-renewal charges start this many days before expiry (2..7)."""
    expire_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Day of month renewed resources are aligned to (1..28, -1 = last day); NULL = none."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HandoffStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"


class OnDemandHandoff(TenantOwned, Base):
    """A resource that switched from yearly/monthly to pay-per-use at ``switch_at``: the outbox the
    pay-per-use domain reads (``ResourceService.pending_handoffs``) and acknowledges. ``tenant_id``
    is the customer."""

    __tablename__ = "period_on_demand_handoffs"
    __table_args__ = (UniqueConstraint("resource_ref", name="uq_period_handoffs_resource"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_ref: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    switch_at: Mapped[datetime] = mapped_column(UtcDateTime())
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The type-10 order of an instant switch; NULL for a switch at expiry."""
    status: Mapped[str] = mapped_column(String(16), default=HandoffStatus.PENDING)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

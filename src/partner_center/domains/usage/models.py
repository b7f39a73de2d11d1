"""Tables of pay-per-use: resources, usage records, fee records and free resource packages.

Every row is owned by the customer (``tenant_id`` = the customer's account id). Quantities and
amounts are exact Decimals stored as BIGINT 10⁻⁸ units (``MoneyAmount``); times are UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime, unindexed_tenant


class ResourceStatus(enum.IntEnum):
    """``status`` of an on-demand resource (api-semantics.md §3.9)."""

    NORMAL = 1
    GRACE_PERIOD = 2
    FROZEN = 3
    CHANGING = 4
    CLOSING = 5
    CLOSED = 6


class UsageStatus(enum.IntEnum):
    """Where a usage record stands in rating."""

    PENDING = 0
    """Not rated yet: the next hourly run rates it."""
    RATED = 1
    """Rated into a fee record."""
    NOT_CHARGED = 2
    """Used while the customer's resources were frozen: metering stopped, nothing charged."""


class ChargeState(enum.StrEnum):
    """How a fee record was settled."""

    CHARGED = "CHARGED"
    """Charged to the customer (balance or the partner's postpaid consumption)."""
    FREE = "FREE"
    """Fully covered by free resource packages: nothing to charge."""
    UNCHARGED = "UNCHARGED"
    """The customer was no longer associated when the usage was rated: kept for the record."""


class PackageStatus(enum.IntEnum):
    """``status`` of a free resource package (api-semantics.md §3.10), computed at read time
    except ``UNSUBSCRIBED``, which is stored."""

    NOT_EFFECTIVE = 0
    EFFECTIVE = 1
    USED_UP = 2
    EXPIRED = 3
    UNSUBSCRIBED = 4


class QuotaReuseMode(enum.IntEnum):
    RESETTABLE = 1
    """The quota is restored at the start of each cycle (``quota_reuse_cycle``)."""
    NOT_RESETTABLE = 2
    """One quota for the package's lifetime."""


class ReuseCycle(enum.IntEnum):
    """``quota_reuse_cycle``: the calendar cycle of a resettable quota (billing time zone)."""

    HOUR = 1
    DAY = 2
    WEEK = 3
    MONTH = 4
    YEAR = 5


class OnDemandResource(TenantOwned, Base):
    """A pay-per-use resource of a customer; its usage is metered and rated hourly."""

    __tablename__ = "usage_resources"
    __table_args__ = (
        Index("ix_usage_resources_partner_customer", "partner_id", "tenant_id"),
        # The customer's resources query: by effective time, tie-broken by id.
        Index("ix_usage_resources_tenant_effective_id", "tenant_id", "effective_time", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(32))
    """The partner the customer is associated with when the resource was created."""
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    region_code: Mapped[str] = mapped_column(String(64))
    availability_zone_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_spec_code: Mapped[str] = mapped_column(String(128))
    resource_name: Mapped[str] = mapped_column(String(128))
    resource_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Size of a linear product (GB of disk, Mbit/s), in ``size_measure_id``; else None."""
    size_measure_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[int] = mapped_column(SmallInteger, default=ResourceStatus.NORMAL)
    """Stored status; a customer whose resources are frozen reads as FROZEN (3)."""
    effective_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """Metering starts here (UTC)."""
    expire_time: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Metering ends here (UTC) once the resource is closed; None while it runs."""
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    """The yearly/monthly resource this one continues, when one was handed over at expiry."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UsageRecord(TenantOwned, Base):
    """One metered quantity of one resource's usage type in one hour. Immutable once stored;
    the ``record_id`` chosen by the metering source makes re-imports change nothing."""

    __tablename__ = "usage_records"
    # The rating run's only access path (pending records of ended hours); no other index, so
    # bulk ingest maintains as few as possible.
    __table_args__ = (Index("ix_usage_records_status_hour", "status", "usage_hour"),)

    tenant_id: Mapped[str] = mapped_column(String(32))
    """The customer; carried for ownership, never a filter (tenant reads go through fees)."""

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    usage_type: Mapped[str] = mapped_column(String(64))
    usage_hour: Mapped[datetime] = mapped_column(UtcDateTime)
    """Start of the (UTC) hour the usage belongs to."""
    quantity: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Used quantity in ``measure_id``, >= 0, at most 8 decimals."""
    measure_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[int] = mapped_column(SmallInteger, default=UsageStatus.PENDING)
    fee_record_id: Mapped[str | None] = mapped_column(String(32), nullable=True)


unindexed_tenant(
    "usage_records",
    "append-only bulk ingest; read only by (status, usage_hour) and the record id, never by "
    "tenant, so a tenant index would only slow every import",
)


class FeeRecord(TenantOwned, Base):
    """What one resource's usage type cost in one hour, rated at list price. Immutable: usage
    arriving late for an hour already rated is rated by a later run into its own fee record."""

    __tablename__ = "usage_fee_records"
    __table_args__ = (
        # Lago's habit: a rating run can never rate the same hour of a resource twice.
        UniqueConstraint("resource_id", "usage_type", "usage_hour", "rated_at"),
        Index("ix_usage_fee_records_tenant_cycle", "tenant_id", "bill_cycle"),
        # The bill run reads a batch of partners' records of a cycle.
        Index("ix_usage_fee_records_partner_cycle", "partner_id", "bill_cycle"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[str] = mapped_column(String(32))
    service_type_code: Mapped[str] = mapped_column(String(64))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_spec_code: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(64))
    usage_type: Mapped[str] = mapped_column(String(64))
    usage_hour: Mapped[datetime] = mapped_column(UtcDateTime)
    """Start of the UTC hour rated."""
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The hourly run that rated it (its due time, UTC)."""
    bill_cycle: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM`` of ``usage_hour`` in the billing time zone: the tier window."""
    usage_measure_id: Mapped[int] = mapped_column(Integer)
    """The price's usage unit, in which the quantities below are."""
    quantity: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Usage rated, in ``usage_measure_id`` (8 decimals)."""
    free_quantity: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Part of ``quantity`` covered by free resource packages."""
    charged_quantity: Mapped[Decimal] = mapped_column(MoneyAmount)
    """``quantity`` − ``free_quantity``: what the price applied to."""
    official_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """List price of ``charged_quantity``, 8 decimals ROUND_HALF_UP (``to_rating``)."""
    currency: Mapped[str] = mapped_column(String(3))
    charge_state: Mapped[str] = mapped_column(String(16))
    charge_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    """The balances charge (``usage:<id>``) when something was charged."""


class FreeResourcePackage(TenantOwned, Base):
    """A resource package of a customer: one or more free quotas."""

    __tablename__ = "usage_free_packages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``order_instance_id``."""
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The order that bought it; None for a gift."""
    product_id: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(128))
    service_type_code: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(64))
    source_type: Mapped[int] = mapped_column(SmallInteger)
    """0 bought through an order, 1 given (gift)."""
    bundle_type: Mapped[str] = mapped_column(String(16))
    quota_reuse_mode: Mapped[int] = mapped_column(SmallInteger)
    quota_reuse_cycle: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    """A ``ReuseCycle`` for resettable packages; None otherwise."""
    effective_time: Mapped[datetime] = mapped_column(UtcDateTime)
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FreeResource(TenantOwned, Base):
    """One free quota of a package: ``original_amount`` of a usage type, per cycle or for the
    package's lifetime."""

    __tablename__ = "usage_free_resources"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    package_id: Mapped[str] = mapped_column(String(32), index=True)
    resource_type_code: Mapped[str] = mapped_column(String(64))
    resource_spec_code: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """Only usage of this specification is covered; None covers every specification."""
    usage_type: Mapped[str] = mapped_column(String(64))
    usage_type_name: Mapped[str] = mapped_column(String(128))
    original_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Quota per cycle (or for the lifetime), in ``measure_id``."""
    measure_id: Mapped[int] = mapped_column(Integer)


class FreeResourceDeduction(TenantOwned, Base):
    """One deduction from a free quota by one fee record (deduction records)."""

    __tablename__ = "usage_free_deductions"
    __table_args__ = (
        UniqueConstraint("free_resource_id", "fee_record_id"),
        Index("ix_usage_free_deductions_cycle", "free_resource_id", "cycle_start"),
        Index("ix_usage_free_deductions_tenant_time", "tenant_id", "deduct_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    free_resource_id: Mapped[str] = mapped_column(String(32))
    package_id: Mapped[str] = mapped_column(String(32))
    fee_record_id: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    resource_type_code: Mapped[str] = mapped_column(String(64))
    usage_type: Mapped[str] = mapped_column(String(64))
    cycle_start: Mapped[datetime] = mapped_column(UtcDateTime)
    """Start of the quota cycle deducted from (the package's effective time if not resettable)."""
    deduct_time: Mapped[datetime] = mapped_column(UtcDateTime)
    available_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Quota left before the deduction, in the free resource's ``measure_id``."""
    used_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    remaining_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    measure_id: Mapped[int] = mapped_column(Integer)


class ArrearsState(enum.StrEnum):
    """Where a customer's arrears case stands (rules.md: grace → retention → release)."""

    GRACE = "GRACE"
    """In arrears, resources still running (status 2) until ``grace_until``."""
    FROZEN = "FROZEN"
    """Retention period: resources frozen (status 3), not metered, data kept."""
    RELEASED = "RELEASED"
    """Retention ended unpaid: the resources were released (status 6). Closed."""
    SETTLED = "SETTLED"
    """The arrears were paid (a top-up or allocation paid them first). Closed."""


class GraceReason(enum.StrEnum):
    """Why a customer's pay-per-use grace period changed."""

    OPERATOR = "OPERATOR"
    ASSOCIATION = "ASSOCIATION"
    """Reseller-model association: raised to at least 1 day (rules.md §2.3.4)."""
    DISASSOCIATION = "DISASSOCIATION"
    """Left the reseller model: raised to at least 15 days (rules.md §2.6.9)."""


class GracePeriod(TenantOwned, Base):
    """A customer's own pay-per-use grace period (default: the deployment's setting). One row per
    customer (``tenant_id`` = ``customer_id``)."""

    __tablename__ = "usage_grace_periods"

    customer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grace_days: Mapped[int] = mapped_column(Integer)
    """Days from the start of arrears that resources keep running; 0 freezes at once."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class GraceAdjustment(TenantOwned, Base):
    """One change of a customer's grace period, for the record (never updated)."""

    __tablename__ = "usage_grace_adjustments"
    __table_args__ = (Index("ix_usage_grace_adjustments_tenant_at", "tenant_id", "adjusted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    """A ``GraceReason``."""
    old_days: Mapped[int] = mapped_column(Integer)
    new_days: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The operator, or the partner of the association that changed."""
    adjusted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ArrearsCase(TenantOwned, Base):
    """One spell of pay-per-use arrears of a customer, from the rating run that first left it
    owing to settlement or release. At most one open (GRACE or FROZEN) case per customer: the
    rating opens one only when none is open, under the customer's balance lock."""

    __tablename__ = "usage_arrears_cases"
    __table_args__ = (Index("ix_usage_arrears_cases_state", "state", "tenant_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(32))
    """The partner the customer was associated with when the case opened."""
    state: Mapped[str] = mapped_column(String(16))
    """An ``ArrearsState``."""
    grace_days: Mapped[int] = mapped_column(Integer)
    """The customer's grace period when opened, or as raised while in grace."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time (UTC) of the rating run that left the customer owing."""
    grace_until: Mapped[datetime] = mapped_column(UtcDateTime)
    """``started_at`` + ``grace_days``: resources freeze here (UTC)."""
    retention_until: Mapped[datetime] = mapped_column(UtcDateTime)
    """``grace_until`` + the retention days: resources are released here (UTC)."""
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When the resources froze (= ``grace_until``); None if never. Usage from here until
    ``closed_at`` is not metered, whenever it arrives."""
    opening_arrears: Mapped[Decimal] = mapped_column(MoneyAmount)
    """What the customer owed when the case opened, site currency, 10⁻⁸ units, > 0."""
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """When it was settled or its resources released (UTC); None while open."""

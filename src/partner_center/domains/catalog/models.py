"""Catalogue tables: the operator's public price list, imported from a versioned data file.

The catalogue is **global**: one price list for the whole platform, read by every authenticated
account (partners, customers, the operator) and written only by the operator's ``catalog import``.
No row belongs to a tenant and no read filters by one, so a ``tenant_id`` column would only
pretend; the tables are declared with :func:`~partner_center.kernel.db.global_table`.
The one tenant-owned table is ``catalog_discounts``: a discount concerns one customer.

Prices are effective-dated and never edited: a new catalogue version closes a changed price
(``effective_to``) at the version's ``effective_from`` and inserts the new price from then on, so
rating at a past instant finds the price that was in force then.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime, global_table
from partner_center.kernel.ids import new_id

_PUBLIC = "the operator's public catalogue, read by every account and written only by import"


class CatalogVersion(Base):
    """One imported version of the catalogue data file."""

    __tablename__ = "catalog_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    """When the version's prices start to apply (UTC)."""
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the import (UTC)."""
    checksum: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the file's canonical JSON: the same version imported again must match it."""
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(255))


class CatalogRegion(Base):
    __tablename__ = "catalog_regions"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))


class CatalogMeasureUnit(Base):
    """A unit of measure (``measure_id``): currency, duration, traffic, capacity, count ..."""

    __tablename__ = "catalog_measure_units"

    measure_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    measure_type: Mapped[int] = mapped_column(Integer)
    """Reference ``measure_type``: 1 currency, 2 duration, 3 traffic, 7 capacity, 12 count,
    16 bandwidth rate, 17 capacity × duration ..."""
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))
    abbreviation: Mapped[str] = mapped_column(String(64))


class CatalogConversion(Base):
    """``1 measure_id = conversion_ratio × ref_measure_id`` (1 GB = 1024 MB)."""

    __tablename__ = "catalog_conversions"

    measure_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_measure_units.measure_id"), primary_key=True
    )
    ref_measure_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_measure_units.measure_id"), primary_key=True
    )
    conversion_ratio: Mapped[int] = mapped_column(BigInteger)
    measure_type: Mapped[int] = mapped_column(Integer)


class CatalogServiceType(Base):
    """A cloud service type, ``hws.service.type.<svc>``."""

    __tablename__ = "catalog_service_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    abbreviation: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))


class CatalogResourceType(Base):
    """A resource type, ``hws.resource.type.<res>``, owned by one service type."""

    __tablename__ = "catalog_resource_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_service_type: Mapped[str] = mapped_column(ForeignKey("catalog_service_types.code"))
    """The service that sells the resource (``product_owner_service``)."""
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))
    description_en: Mapped[str] = mapped_column(String(512))
    description_zh: Mapped[str] = mapped_column(String(512))


class CatalogServiceResource(Base):
    """A service type is made of resource types, some owned by other services (an ECS server
    comes with EVS disks)."""

    __tablename__ = "catalog_service_resources"

    service_type: Mapped[str] = mapped_column(
        ForeignKey("catalog_service_types.code"), primary_key=True
    )
    resource_type: Mapped[str] = mapped_column(
        ForeignKey("catalog_resource_types.code"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    """Display order within the service type."""


class CatalogUsageType(Base):
    """A usage factor of a resource type (``Duration``, ``upflow``, ``reqNumber`` ...)."""

    __tablename__ = "catalog_usage_types"

    resource_type: Mapped[str] = mapped_column(
        ForeignKey("catalog_resource_types.code"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))
    measure_id: Mapped[int] = mapped_column(ForeignKey("catalog_measure_units.measure_id"))
    """The unit usage of this factor is reported in."""


class CatalogSpec(Base):
    """A resource specification (``s6.large.2.linux``, ``SSD``, ``5_bgp`` ...).

    Linear specifications are bought by size (GB of disk, Mbit/s of bandwidth): they carry the
    size's measure and its allowed range; their prices are per size unit.
    """

    __tablename__ = "catalog_specs"
    __table_args__ = (
        UniqueConstraint("service_type", "resource_type", "spec_code"),
        CheckConstraint(
            "(size_measure_id IS NULL AND size_min IS NULL AND size_max IS NULL"
            " AND size_step IS NULL) OR (size_measure_id IS NOT NULL AND size_min >= 1"
            " AND size_max >= size_min AND size_step >= 1)",
            name="linear_range",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    service_type: Mapped[str] = mapped_column(ForeignKey("catalog_service_types.code"))
    resource_type: Mapped[str] = mapped_column(ForeignKey("catalog_resource_types.code"))
    spec_code: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256))
    name_zh: Mapped[str] = mapped_column(String(256))
    size_measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_measure_units.measure_id"), nullable=True
    )
    """Measure of a linear spec's size (17 GB, 15 Mbit/s); NULL for other specs."""
    size_min: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    size_max: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    size_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Descriptive attributes ``[{code, name_en, name_zh, value, unit}]`` (vCPUs, memory ...)."""


class CatalogPrice(Base):
    """A list price of one offering (spec × region × charging mode × period type or usage
    factor), in force from ``effective_from`` until ``effective_to`` (exclusive; NULL = open).

    Rows are never updated except to close them; the bands are in ``catalog_price_tiers``.
    """

    __tablename__ = "catalog_prices"
    __table_args__ = (
        CheckConstraint("charging_mode IN ('PERIOD', 'ON_DEMAND')", name="charging_mode"),
        CheckConstraint(
            "(charging_mode = 'PERIOD' AND period_type IS NOT NULL AND usage_factor IS NULL)"
            " OR (charging_mode = 'ON_DEMAND' AND usage_factor IS NOT NULL"
            " AND usage_measure_id IS NOT NULL AND period_type IS NULL)",
            name="mode_fields",
        ),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_window"
        ),
        Index("ix_catalog_prices_offering_window", "offering_id", "effective_from"),
        Index("ix_catalog_prices_spec_region", "spec_id", "region", "charging_mode"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    offering_id: Mapped[str] = mapped_column(String(32))
    """Stable id of the offering across versions (the reference's ``offering_id``/``product_id``)."""
    spec_id: Mapped[str] = mapped_column(ForeignKey("catalog_specs.id"))
    region: Mapped[str] = mapped_column(ForeignKey("catalog_regions.code"))
    charging_mode: Mapped[str] = mapped_column(String(16))
    """PERIOD (yearly/monthly) or ON_DEMAND (pay-per-use)."""
    period_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """PERIOD prices: 0 day, 2 month, 3 year, 4 hour — the price is for one such period."""
    period_nums: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    """PERIOD prices: the numbers of periods on sale (months 1–9, years 1–3 ...)."""
    usage_factor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """ON_DEMAND prices: the usage factor priced (``Duration``, ``upflow`` ...)."""
    usage_measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_measure_units.measure_id"), nullable=True
    )
    """ON_DEMAND prices: the price is per one unit of this measure (per hour, per GB ...)."""
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    """First instant the price applies (UTC, inclusive)."""
    effective_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """First instant the price no longer applies (UTC, exclusive); NULL while in force."""
    version: Mapped[int] = mapped_column(ForeignKey("catalog_versions.version"))
    """The catalogue version that introduced the price."""


class CatalogPriceTier(Base):
    """One band of a price. Linear prices band the size, pay-per-use prices of other products
    band the usage; a flat price is one open band."""

    __tablename__ = "catalog_price_tiers"
    __table_args__ = (CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),)

    price_id: Mapped[str] = mapped_column(ForeignKey("catalog_prices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    up_to: Mapped[Decimal | None] = mapped_column(MoneyAmount, nullable=True)
    """Upper bound of the band in the priced quantity's unit (exclusive of the next band);
    exact Decimal as BIGINT of 10⁻⁸ units; NULL for the last, open band."""
    unit_price: Mapped[Decimal] = mapped_column(MoneyAmount)
    """List price per unit in the price's currency: exact Decimal stored as BIGINT of 10⁻⁸
    units, >= 0 (per period for PERIOD prices; per usage unit for ON_DEMAND; × size for linear
    specs)."""


class IncentivePolicy(enum.IntEnum):
    """How a service type's sales count for partner incentives (``incentive_policy``)."""

    NON_SPECIFIC = 0
    """A non-specific product."""
    SPECIFIC = 1
    """A specific product."""
    NO_PERFORMANCE_NO_REBATE = 2
    """Counts neither for performance nor for rebates."""
    PERFORMANCE_NO_REBATE = 13
    """Counts for performance, earns no rebate."""


class CatalogServicePolicy(Base):
    """The incentive and discount policy of a service type, in force from ``effective_from``
    until ``effective_to`` (exclusive; NULL = open), imported with the catalogue and
    effective-dated like prices: a version that changes it closes the old row and opens a new
    one, so the policy of any past month can still be read."""

    __tablename__ = "catalog_service_policies"
    __table_args__ = (
        CheckConstraint("incentive_policy IN (0, 1, 2, 13)", name="incentive_policy"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_window"
        ),
        Index("ix_catalog_service_policies_service_window", "service_type", "effective_from"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    service_type: Mapped[str] = mapped_column(ForeignKey("catalog_service_types.code"))
    incentive_policy: Mapped[int] = mapped_column(Integer)
    """An ``IncentivePolicy``."""
    allow_discount: Mapped[bool] = mapped_column(Boolean)
    """Whether partner-granted discounts (606, 607) may apply to the service's products; the
    operator's business discounts (605) always may."""
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(ForeignKey("catalog_versions.version"))
    """The catalogue version that set it."""


class CatalogDiscount(TenantOwned, Base):
    """A discount on a customer's list prices: a business (contract) discount the operator
    grants (605), a distributor-granted discount (606) or a partner-set discount (607).

    ``tenant_id`` is the **customer** the discount applies to: every read is the customer's own
    (ratings) or its partner's. Discounts never apply to reseller-model customers (rules.md §7.16).
    """

    __tablename__ = "catalog_discounts"
    __table_args__ = (
        CheckConstraint("discount_type IN (605, 606, 607)", name="discount_type"),
        # percent_off is stored in 10⁻⁸ units: 100 % is 10¹⁰.
        CheckConstraint("percent_off > 0 AND percent_off < 10000000000", name="percent_off"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_window"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    discount_type: Mapped[int] = mapped_column(Integer)
    granted_by: Mapped[str] = mapped_column(String(32))
    """Account that granted it: the operator (605), a distributor (606) or the partner (607)."""
    name: Mapped[str] = mapped_column(String(128))
    service_type: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_service_types.code"), nullable=True
    )
    """Only products of this service type; NULL = every product."""
    percent_off: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Percentage taken off the list price, 0 < x < 100, at most 2 decimals (exact, as BIGINT of
    10⁻⁸ units)."""
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    effective_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Exclusive end (UTC); NULL = until revoked. Revoking closes the window, never deletes."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When its grantor revoked it or a new discount replaced it (UTC); NULL otherwise."""


class DiscountPermission(TenantOwned, Base):
    """The operator's permission for a partner to grant discounts and adjust order prices
    (rules.md §7.16, §7.19), up to ``max_percent_off``. ``tenant_id`` is the partner. A new
    permission ends the one before (``ended_at``); rows are never deleted: they are the
    permission's history."""

    __tablename__ = "discount_permissions"
    __table_args__ = (
        CheckConstraint(
            "max_percent_off > 0 AND max_percent_off < 10000000000", name="max_percent_off"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    max_percent_off: Mapped[Decimal] = mapped_column(MoneyAmount)
    """The deepest discount the partner may grant, percent of the list price, 0 < x < 100
    (exact, BIGINT of 10⁻⁸ units)."""
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When it was withdrawn or replaced (UTC); NULL while in force."""


for _table in (
    "catalog_versions",
    "catalog_regions",
    "catalog_measure_units",
    "catalog_conversions",
    "catalog_service_types",
    "catalog_resource_types",
    "catalog_service_resources",
    "catalog_usage_types",
    "catalog_specs",
    "catalog_prices",
    "catalog_price_tiers",
    "catalog_service_policies",
):
    global_table(_table, _PUBLIC)

"""Customers associated with partners, and the verification codes used to create them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


class AssociationType(enum.StrEnum):
    REFERRAL = "REFERRAL"
    RESELLER = "RESELLER"


class AssociationStatus(enum.StrEnum):
    ASSOCIATED = "ASSOCIATED"
    DISASSOCIATED = "DISASSOCIATED"


class FreezeType(enum.StrEnum):
    ACCOUNT = "ACCOUNT"
    ACCOUNT_AND_RESOURCE = "ACCOUNT_AND_RESOURCE"


def _trigram(column: str) -> Index:
    """A trigram index for ``ILIKE '%…%'`` searches of ``column``; PostgreSQL only."""
    return Index(
        f"ix_customers_{column}_trgm",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


class Customer(TenantOwned, Base):
    """A customer account's association with a partner.

    ``tenant_id`` is the partner that owns the customer: the reseller for a reseller's customer
    (whose distributor is ``distributor_id``), otherwise the CSP or distributor itself.
    """

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("xaccount_type", "xaccount_id"),
        # list_sub_customers: the owner's associated customers, newest first, tie-broken by id;
        # the names make it covering, so counting a name search reads no table row (SQLite:
        # 10,000 customers counted in 10 ms instead of 50-75).
        Index(
            "ix_customers_tenant_status_associated",
            "tenant_id",
            "association_status",
            "associated_on",
            "account_id",
            "account_name",
            "customer_name",
        ),
        # The list filtered by account manager (and an account manager's own list): the
        # manager's customers of the owner, already in the list's order (newest first).
        Index(
            "ix_customers_tenant_status_manager_associated",
            "tenant_id",
            "association_status",
            "account_manager_id",
            "associated_on",
            "account_id",
        ),
        # Name searches (``ILIKE '%…%'``) by trigram on PostgreSQL; SQLite has no such index.
        *(_trigram(column) for column in ("account_name", "customer_name")),
    )

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """Distributor above the owning reseller; NULL for direct customers."""
    created_by: Mapped[str] = mapped_column(String(32))
    """The partner whose platform created the customer (a distributor for its reseller's)."""
    association_type: Mapped[AssociationType] = mapped_column(
        Enum(AssociationType, native_enum=False, length=16)
    )
    associated_on: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of association (UTC)."""
    association_status: Mapped[AssociationStatus] = mapped_column(
        Enum(AssociationStatus, native_enum=False, length=16), default=AssociationStatus.ASSOCIATED
    )
    """DISASSOCIATED rows stay for history (consumption stays queryable) but leave every list."""
    disassociated_on: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the association ended (UTC); NULL while associated."""
    xaccount_id: Mapped[str] = mapped_column(String(128))
    xaccount_type: Mapped[str] = mapped_column(String(64))
    account_name: Mapped[str] = mapped_column(String(64), index=True)
    """Copy of the account's login name, for fuzzy search without a join."""
    customer_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """Real-name (verified) name; NULL until verified."""
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    domain_area: Mapped[str | None] = mapped_column(String(2), nullable=True)
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    country_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    customer_type: Mapped[int] = mapped_column(Integer, default=-1)
    verified_status: Mapped[str] = mapped_column(String(4), default="-1")
    customer_level: Mapped[str] = mapped_column(String(4), default="V0")
    is_close_market_ms: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=True)
    """Purchase restricted: reseller-model customers start restricted until the partner lifts it."""
    freeze_type: Mapped[FreezeType | None] = mapped_column(
        Enum(FreezeType, native_enum=False, length=32), nullable=True
    )
    """NULL when not frozen."""
    freeze_reason: Mapped[str | None] = mapped_column(String(256), nullable=True)
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the current freeze (UTC)."""
    frozen_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Account that froze it, or NULL when the system froze it (budget exhaustion)."""
    account_manager_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """Member (account manager) the customer is assigned to."""


class ControlAction(enum.StrEnum):
    RESTRICT = "RESTRICT"
    LIFT_RESTRICTION = "LIFT_RESTRICTION"
    FREEZE = "FREEZE"
    UNFREEZE = "UNFREEZE"


class CustomerControlEvent(TenantOwned, Base):
    """One change of a customer's restriction or freeze state, with its reason; appended by
    ``CustomerControl`` and never changed. ``tenant_id`` is the partner owning the customer."""

    __tablename__ = "customer_control_events"
    __table_args__ = (
        Index("ix_customer_control_events_customer_at", "customer_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[ControlAction] = mapped_column(Enum(ControlAction, native_enum=False, length=32))
    freeze_type: Mapped[FreezeType | None] = mapped_column(
        Enum(FreezeType, native_enum=False, length=32), nullable=True
    )
    """The freeze or unfreeze type; NULL for restrictions."""
    reason: Mapped[str | None] = mapped_column(String(256), nullable=True)
    responsible_partner_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Partner answering for the change (a reseller acting through its grant, its distributor,
    a CSP); NULL when the system acted (budget exhaustion)."""
    performed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Member (or account, for an administrator's AK/SK) that made the call; NULL for the system."""
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the change (UTC)."""


class VerificationCode(TenantOwned, Base):
    """A one-time code sent to an e-mail address or mobile number. ``tenant_id`` is the partner
    that requested it; only that partner can consume it."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_receiver", "receiver", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    receiver: Mapped[str] = mapped_column(String(255))
    scene: Mapped[int] = mapped_column(Integer, default=29)
    customer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Scene 18 (bank-card real-name): the partner's customer the code is for."""
    code_hash: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock time sent (UTC); send limits count these."""
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock expiry (UTC)."""
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


@event.listens_for(Customer.__table__, "before_create")
def _trigram_extension(_table: Any, connection: Any, **_kw: Any) -> None:
    """``metadata.create_all`` (tests) creates what the trigram indexes need, as migration 0009
    does."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")

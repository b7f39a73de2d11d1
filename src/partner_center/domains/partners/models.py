"""Partners: cloud solution providers, distributors (tier 1) and resellers (tier 2)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class PartnerType(enum.StrEnum):
    CSP = "CSP"
    DISTRIBUTOR = "DISTRIBUTOR"
    RESELLER = "RESELLER"


class PartnerStatus(enum.StrEnum):
    NORMAL = "NORMAL"
    RESTRICTED = "RESTRICTED"
    EXITED = "EXITED"


class Partner(TenantOwned, Base):
    """A partner's business profile. ``tenant_id`` is the partner's own account id; a reseller's
    distributor reaches it through ``distributor_id``."""

    __tablename__ = "partners"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    partner_type: Mapped[PartnerType] = mapped_column(
        Enum(PartnerType, native_enum=False, length=16)
    )
    distributor_id: Mapped[str | None] = mapped_column(
        ForeignKey("partners.account_id"), nullable=True, index=True
    )
    """The distributor of a reseller; NULL for CSPs and distributors."""
    company_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[PartnerStatus] = mapped_column(
        Enum(PartnerStatus, native_enum=False, length=16), default=PartnerStatus.NORMAL
    )
    xaccount_type: Mapped[str] = mapped_column(String(64), unique=True)
    """The platform identifier issued to the partner for its sales platform (agency name)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the partner joined (UTC); for a reseller, when it was linked to its
    distributor."""
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    """The partner's own account is frozen (a frozen reseller cannot unfreeze customers)."""
    frozen_reason: Mapped[str | None] = mapped_column(String(256), nullable=True)
    """Why the account is frozen; NULL while not frozen."""
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the current freeze (UTC); NULL while not frozen."""
    frozen_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Account (the operator or the reseller's distributor) that froze it; only that account or
    the operator may unfreeze it."""
    account_manager_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """For a reseller: the distributor's member managing it."""


class ResellerGrant(TenantOwned, Base):
    """What a distributor lets one of its resellers do for the reseller's customers (rules.md
    §1.9–1.13). ``tenant_id`` is the distributor; one row per reseller.

    Quotas cap the *total* of the reseller's customer budgets of each type; NULL means the
    reseller has no quota of that type (and so cannot set budgets of that type).
    """

    __tablename__ = "reseller_grants"

    reseller_id: Mapped[str] = mapped_column(ForeignKey("partners.account_id"), primary_key=True)
    can_set_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    can_restrict: Mapped[bool] = mapped_column(Boolean, default=False)
    """Restrict purchases / lift the restriction (freeze type ACCOUNT)."""
    can_freeze_resources: Mapped[bool] = mapped_column(Boolean, default=False)
    """Restrict purchases and freeze resources / unfreeze (freeze type ACCOUNT_AND_RESOURCE)."""
    monthly_quota: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """Cap on the sum of the reseller's customers' MONTHLY budgets, site currency, 2 decimals."""
    package_quota: Mapped[Decimal | None] = mapped_column(MoneyAmount(), nullable=True)
    """Cap on the sum of the reseller's customers' PACKAGE (one-time) budgets, site currency."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the last change (UTC)."""


class PartnerAccountAction(enum.StrEnum):
    FREEZE = "FREEZE"
    UNFREEZE = "UNFREEZE"


class PartnerAccountEvent(TenantOwned, Base):
    """One freeze or unfreeze of a partner's own account, kept with its reason. ``tenant_id`` is
    the partner whose account changed."""

    __tablename__ = "partner_account_events"
    __table_args__ = (Index("ix_partner_account_events_partner_at", "tenant_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[PartnerAccountAction] = mapped_column(
        Enum(PartnerAccountAction, native_enum=False, length=16)
    )
    reason: Mapped[str] = mapped_column(String(256))
    by_account_id: Mapped[str] = mapped_column(String(32))
    """The operator or distributor account that acted."""
    by_member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The member of that account who acted; NULL for the CLI or an administrator's AK/SK."""
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the change (UTC)."""


class ResellerManagerAssignment(TenantOwned, Base):
    """One period during which a distributor's member managed a reseller (rules.md §1.15).
    ``tenant_id`` is the distributor. The member's name is copied so the history still reads
    after the member is renamed or removed."""

    __tablename__ = "reseller_manager_assignments"
    __table_args__ = (
        Index("ix_reseller_manager_assignments_reseller", "reseller_id", "assigned_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reseller_id: Mapped[str] = mapped_column(ForeignKey("partners.account_id"))
    member_id: Mapped[str] = mapped_column(String(32))
    member_name: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the assignment (UTC)."""
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the member stopped managing the reseller (UTC); NULL while current."""


class CriticalOperationProtection(TenantOwned, Base):
    """Whether a partner demands a verification code for its critical operations (rules.md
    §12.4); off when the partner has no row. ``tenant_id`` is the partner (one row)."""

    __tablename__ = "critical_operation_protection"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CriticalOperationCode(TenantOwned, Base):
    """A one-time code sent to the partner's registered e-mail for a critical operation.
    ``tenant_id`` is the partner; only its own critical operations consume it."""

    __tablename__ = "critical_operation_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock time sent (UTC)."""
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock expiry (UTC)."""
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    consumed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The critical operation that used it."""

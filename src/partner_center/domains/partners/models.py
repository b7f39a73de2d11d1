"""Partners: cloud solution providers, distributors (tier 1) and resellers (tier 2)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


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
    """Business time the partner joined (UTC)."""

"""Enterprise multi-account: the member accounts an enterprise master customer created
(api-semantics.md §3.13)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


class MemberStatus(enum.IntEnum):
    """The reference's member account status codes."""

    NORMAL = 1
    CREATING = 2
    CLOSING = 3
    CLOSED = 4


class EnterpriseMember(TenantOwned, Base):
    """One member account of an enterprise. ``tenant_id`` is the master customer's account id."""

    __tablename__ = "enterprise_members"
    __table_args__ = (Index("ix_enterprise_members_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.id"), unique=True
    )
    """The member's own identity account (kind CUSTOMER); it belongs to exactly one master."""
    display_name: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    """The organization unit the member sits in; the master's root unit unless chosen."""
    status: Mapped[int] = mapped_column(Integer, default=MemberStatus.NORMAL)
    """A ``MemberStatus`` code."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the member account was created (UTC)."""

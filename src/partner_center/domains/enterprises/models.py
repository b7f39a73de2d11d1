"""Enterprise multi-account: the member accounts an enterprise master customer created
(api-semantics.md §3.13)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


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
    financial_custody: Mapped[int] = mapped_column(Integer, default=0)
    """1 when the master pays for the member (unified accounting), else 0."""
    permission_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Permission ids the master granted the member at creation."""
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The member's verified mobile number (``0086-…``); NULL when none was given."""


class EnterpriseProjectAuth(TenantOwned, Base):
    """A customer (``tenant_id``) that enabled enterprise projects (once; never undone)."""

    __tablename__ = "enterprise_project_auths"

    account_id: Mapped[str] = mapped_column(String(32), ForeignKey("accounts.id"), primary_key=True)
    enabled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time it was enabled (UTC)."""


class CouponShare(TenantOwned, Base):
    """Part of a master's (``tenant_id``) coupon given to a member as a sub-coupon, whose id
    this row carries. The sub-coupon's balance lives in the coupons domain's ledger account."""

    __tablename__ = "enterprise_coupon_shares"
    __table_args__ = (Index("ix_enterprise_coupon_shares_member", "member_account_id"),)

    sub_coupon_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_account_id: Mapped[str] = mapped_column(String(32))
    coupon_id: Mapped[str] = mapped_column(String(32))
    """The master's coupon it came from (and returns to)."""
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Amount given, in the coupon's currency (2 decimals, > 0)."""
    request_hash: Mapped[str] = mapped_column(String(64))
    """Fingerprint of the request, so a retry with the same transaction id is recognised."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the share (UTC)."""
    reclaimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the master took it back (UTC); NULL while the member holds it."""
    reclaimed_amount: Mapped[Decimal | None] = mapped_column(MoneyAmount, nullable=True)
    """What the take-back returned to the master's coupon (2 decimals)."""

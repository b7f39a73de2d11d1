"""Coupon quotas, the coupons issued from them, and their histories (rules.md §7).

Balances are never stored here: every quota and every coupon has its own guarded ledger account
(``ledger_account_id``) and its balance is that account's. The rows keep what the ledger cannot:
validity windows, restrictions, administrative status and the reference's operation records.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, MoneyAmount, TenantOwned, UtcDateTime


class CouponQuota(TenantOwned, Base):
    """A coupon quota: how much coupon value a partner may issue. ``tenant_id`` is the partner
    that issues from it — a CSP or distributor granted it by the operator, or a reseller whose
    distributor split it from one of its own quotas (``parent_id``)."""

    __tablename__ = "coupon_quotas"
    __table_args__ = (
        CheckConstraint("quota_type IN (0, 1)", name="quota_type"),
        CheckConstraint("status IN (0, 3, 4, 5, 6)", name="status"),
        CheckConstraint("quota_value > 0", name="value_positive"),
        CheckConstraint("effective_time < expire_time", name="window"),
        Index("ix_coupon_quotas_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("coupon_quotas.id"), nullable=True, index=True
    )
    """The distributor quota a reseller's quota was split from; NULL for operator grants."""
    granted_by: Mapped[str] = mapped_column(String(32))
    """The operator (top-level quotas) or the distributor (reseller quotas) that granted it."""
    quota_type: Mapped[int] = mapped_column(Integer)
    """0 cash-coupon quota, 1 flexi-purchase quota."""
    quota_value: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Amount granted, in ``currency``; 2 decimals, > 0. Never changes after the grant."""
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[int] = mapped_column(Integer, default=0)
    """Administrative status: 0 normal, 3 disabled, 4 being adjusted, 5 frozen, 6 reclaimed.
    Expiry is not stored: a normal quota past ``expire_time`` reads as 3 (invalid)."""
    effective_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when coupons can be issued (UTC)."""
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when the quota is invalid (UTC)."""
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The restrictions (``limit_infos``) as ``Restrictions.to_json``; inherited by its coupons."""
    ledger_account_id: Mapped[str] = mapped_column(String(32))
    """The quota's guarded ledger account: its balance is what is left to issue."""
    coupons_issued: Mapped[int] = mapped_column(Integer, default=0)
    """How many coupons were issued from it (checked against ``maxCouponCount``)."""
    remark: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the grant (UTC)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the latest change of balance or status (UTC)."""
    reclaimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time the distributor reclaimed this reseller quota (UTC); NULL otherwise."""


class Coupon(TenantOwned, Base):
    """A coupon issued to a customer. ``tenant_id`` is the issuing partner (the quota's owner,
    the reference's ``source_id``); ``customer_id`` holds it."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("coupon_type IN (1, 4)", name="coupon_type"),
        CheckConstraint("face_value > 0", name="face_value_positive"),
        CheckConstraint("valid_time < expire_time", name="window"),
        Index("ix_coupons_tenant_created", "tenant_id", "created_at"),
        Index("ix_coupons_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    quota_id: Mapped[str] = mapped_column(ForeignKey("coupon_quotas.id"), index=True)
    coupon_type: Mapped[int] = mapped_column(Integer)
    """1 cash coupon (from a type-0 quota), 4 flexi-purchase coupon (type-1 quota)."""
    face_value: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Value at issue, in ``currency``; 2 decimals, > 0."""
    currency: Mapped[str] = mapped_column(String(3))
    valid_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when it can be used (UTC); before that it reads "not activated"."""
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when it is expired (UTC); the expiry job returns what is left to the quota."""
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Use restrictions (``use_limits``) as ``Restrictions.to_json``."""
    memo: Mapped[str | None] = mapped_column(String(256), nullable=True)
    ledger_account_id: Mapped[str] = mapped_column(String(32))
    """The coupon's guarded ledger account: its balance is the coupon balance."""
    issued_by: Mapped[str] = mapped_column(String(64))
    """Login name of the member (or account) that issued it."""
    lock_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The unpaid order holding part of the balance; NULL when no order holds it."""
    times_used: Mapped[int] = mapped_column(Integer, default=0)
    """Orders paid with it (checked against ``usageTimes``)."""
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time of the latest payment with it (UTC)."""
    used_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time its balance reached 0 by payments (UTC); cleared by a refund."""
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time the expiry job returned its remaining balance to the quota (UTC)."""
    reclaimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time it was reclaimed (manually, on disassociation or a mode switch) (UTC)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of issue (UTC); also its activation time."""


class CouponRecord(TenantOwned, Base):
    """One issue or reclaim of a coupon as the issuing partner sees it
    (``list_partner_coupons_record``). ``tenant_id`` is the issuing partner. Failed issues are
    kept too (``result`` -1)."""

    __tablename__ = "coupon_records"
    __table_args__ = (Index("ix_coupon_records_tenant_time", "tenant_id", "operation_time"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    operation_type: Mapped[int] = mapped_column(Integer)
    """1 issue, 2 manual reclaim, 3 reclaim on disassociation, 4 expiry, 5 reclaim on
    unsubscription, 7 reclaim on association, 8 reclaim on association-mode switch."""
    quota_id: Mapped[str] = mapped_column(String(32))
    quota_type: Mapped[int] = mapped_column(Integer)
    coupon_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """NULL for a failed issue (no coupon was made)."""
    customer_id: Mapped[str] = mapped_column(String(64))
    operation_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Face value for an issue, amount returned to the quota for a reclaim; ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))
    operation_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time (UTC)."""
    result: Mapped[str] = mapped_column(String(2))
    """"0" success, "-1" failure."""
    remark: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class CouponQuotaRecord(TenantOwned, Base):
    """One quota issued to or reclaimed from a reseller (``list_coupon_quotas_records``).
    ``tenant_id`` is the distributor. Reseller names are copied so history reads after renames."""

    __tablename__ = "coupon_quota_records"
    __table_args__ = (Index("ix_coupon_quota_records_tenant_time", "tenant_id", "operation_time"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    operator: Mapped[str] = mapped_column(String(64))
    """Login name of the distributor's member (or account) that acted."""
    operation_type: Mapped[int] = mapped_column(Integer)
    """10 quota issued to the reseller, 11 quota reclaimed from it."""
    quota_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The reseller's quota; NULL when issuing failed before one was made."""
    parent_quota_id: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Amount issued or reclaimed, in ``currency``; 2 decimals."""
    currency: Mapped[str] = mapped_column(String(3))
    operation_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time (UTC)."""
    result: Mapped[str] = mapped_column(String(2))
    """"0" success, "-1" failure."""
    indirect_partner_id: Mapped[str] = mapped_column(String(64))
    indirect_partner_account_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    indirect_partner_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remark: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class CouponChange(TenantOwned, Base):
    """One change of a coupon's balance as its holder sees it
    (``list_customer_coupon_change_records``). ``tenant_id`` is the customer."""

    __tablename__ = "coupon_changes"
    __table_args__ = (Index("ix_coupon_changes_tenant_time", "tenant_id", "trade_time"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    coupon_id: Mapped[str] = mapped_column(String(32), index=True)
    trade_type: Mapped[str] = mapped_column(String(16))
    """ADJUST (issued), DEDEUCT (paid an order), REFUND, EXPIRED, COUPONCANCEL (reclaimed)."""
    trade_detail_type: Mapped[str] = mapped_column(String(64))
    revenue_expense_type: Mapped[str] = mapped_column(String(8))
    """REVENUE (balance went up) or EXPENSE."""
    change_amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Size of the change, >= 0, in ``currency``."""
    balance_after: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Coupon balance after the change, in ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))
    trade_id: Mapped[str] = mapped_column(String(128))
    """The order for payments and refunds; otherwise the operation's own id."""
    transfer_id: Mapped[str] = mapped_column(String(128))
    """The ledger transfer that made the change."""
    trade_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time (UTC)."""
    cloud_service_type_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resource_type_name: Mapped[str | None] = mapped_column(String(200), nullable=True)


class CouponRedemption(TenantOwned, Base):
    """A coupon paying (part of) one order: held while the order is unpaid, captured on payment,
    released if it is not paid. ``tenant_id`` is the customer; ``id`` is chosen by the orders
    domain, so a retried redemption holds once."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        CheckConstraint("status IN ('HELD', 'CAPTURED', 'RELEASED')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("active_order_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    active_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """``order_id`` while the redemption is held or captured, else NULL: the unique key makes
    "one coupon per order" hold under concurrency."""
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Amount held, in ``currency``; 2 decimals."""
    captured_amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Amount actually deducted at payment (<= ``amount``)."""
    refunded_amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    """Amount given back to the coupon by refunds (<= ``captured_amount``)."""
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    hold_transfer_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the hold (UTC)."""
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    """Business time of the capture or release (UTC)."""


class CouponIdempotencyKey(TenantOwned, Base):
    """An ``X-Idempotency-Key`` a partner sent with a batch write, and the answer it got: a
    replay returns the stored answer and changes nothing. ``tenant_id`` is the caller."""

    __tablename__ = "coupon_idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "operation", "key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical request; the same key with another request is refused."""
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the first request (UTC)."""


class PartnerCashCoupon(TenantOwned, Base):
    """A cash coupon the partner itself holds (rules.md §7.8): deducted from its bills at bill
    generation, not spent by customers' orders. ``tenant_id`` is the holding partner (a CSP or
    distributor: the partners that receive bills). The balance is the ledger account's."""

    __tablename__ = "partner_cash_coupons"
    __table_args__ = (
        CheckConstraint("face_value > 0", name="face_value_positive"),
        CheckConstraint("valid_time < expire_time", name="window"),
        CheckConstraint("source IN ('operator', 'incentive', 'test')", name="source"),
        UniqueConstraint("tenant_id", "issue_key"),
        Index("ix_partner_cash_coupons_tenant_expire", "tenant_id", "expire_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Tied to this reseller-model customer: only its spend on the bill is paid with it, and
    such coupons are used before the partner's general ones (7.8, 7.9). NULL: any customer."""
    source: Mapped[str] = mapped_column(String(16))
    """Where it came from: ``operator`` (issued by the operator), ``incentive`` (an incentive
    payout, 10.10) or ``test`` (a PoC test coupon, 7.12)."""
    face_value: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Value at issue, in ``currency``; 2 decimals, > 0. Never changes."""
    currency: Mapped[str] = mapped_column(String(3))
    valid_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when a bill may use it (UTC): bills issued before it do not."""
    expire_time: Mapped[datetime] = mapped_column(UtcDateTime)
    """From when it is expired (UTC): bills issued at or after it do not use it."""
    ledger_account_id: Mapped[str] = mapped_column(String(32))
    """The coupon's guarded ledger account: its balance is the coupon balance."""
    issued_by: Mapped[str] = mapped_column(String(32))
    """The operator account that issued it."""
    issue_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The issuer's idempotency key: issuing again with it returns this coupon."""
    remark: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of issue (UTC)."""


class PartnerCouponUse(TenantOwned, Base):
    """One partner cash coupon paying part of one partner bill. ``tenant_id`` is the partner.
    At most one row per (bill, coupon): the key and the ledger transfer id both derive from it,
    so a re-run of the bill cannot use a coupon twice."""

    __tablename__ = "partner_coupon_uses"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("bill_id", "coupon_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bill_id: Mapped[str] = mapped_column(String(64), index=True)
    cycle: Mapped[str] = mapped_column(String(7))
    """The bill's cycle, YYYY-MM (billing time zone)."""
    coupon_id: Mapped[str] = mapped_column(ForeignKey("partner_cash_coupons.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    """Deducted from the bill, in ``currency``; 2 decimals, > 0."""
    balance_after: Mapped[Decimal] = mapped_column(MoneyAmount)
    """The coupon's balance after this use, in ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))
    transfer_id: Mapped[str] = mapped_column(String(128))
    """The ledger transfer (coupon → the partner's coupon clearing account)."""
    used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """Business time of the bill's issue (UTC)."""

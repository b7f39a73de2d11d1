"""Statuses and operation codes of quotas and coupons, and how the clock decides them.

Time-driven states are computed, not stored: a coupon is "not activated" before ``valid_time`` and
"expired" from ``expire_time`` on whatever the jobs did, so a list never shows a stale status. What
only an event can cause (used up, expiry reclaim done, reclaimed) is stored as a timestamp.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, case

from partner_center.domains.coupons.models import Coupon, CouponQuota


class QuotaType(enum.IntEnum):
    CASH = 0
    """Cash-coupon quota (代金券额度): issues ``coupon_type`` 1."""
    FLEXI = 1
    """Flexi-purchase quota (现金券额度): issues ``coupon_type`` 4."""

    @property
    def coupon_type(self) -> CouponType:
        return CouponType.CASH if self is QuotaType.CASH else CouponType.FLEXI


class CouponType(enum.IntEnum):
    CASH = 1
    DISCOUNT = 2
    PRODUCT = 3
    FLEXI = 4


class QuotaStatus(enum.IntEnum):
    NORMAL = 0
    INVALID = 3
    """Expired, or disabled by the operator."""
    ADJUSTING = 4
    """Visible but not usable while the operator adjusts it."""
    FROZEN = 5
    RECLAIMED = 6
    """A reseller quota its distributor took back."""


class CouponStatus(enum.IntEnum):
    NOT_ACTIVATED = 1
    AVAILABLE = 2
    USED = 3
    EXPIRED = 4
    RECLAIMED = 5


class CouponOperation(enum.IntEnum):
    """``operation_type`` of partner coupon records."""

    ISSUE = 1
    MANUAL_RECLAIM = 2
    DISASSOCIATION_RECLAIM = 3
    EXPIRY_RECLAIM = 4
    UNSUBSCRIPTION_RECLAIM = 5
    REFUND_REVOCATION = 6
    ASSOCIATION_RECLAIM = 7
    MODE_SWITCH_RECLAIM = 8
    RESELLER_TRANSFER = 9


class QuotaOperation(enum.IntEnum):
    """``operation_type`` of distributor quota records."""

    ISSUE = 10
    RECLAIM = 11


def quota_status(row: CouponQuota, now: datetime) -> QuotaStatus:
    if row.status != QuotaStatus.NORMAL:
        return QuotaStatus(row.status)
    if now >= row.expire_time:
        return QuotaStatus.INVALID
    return QuotaStatus.NORMAL


def quota_status_sql(now: datetime) -> ColumnElement[int]:
    """The same decision as :func:`quota_status`, as SQL (for filters)."""
    return case(
        (CouponQuota.status != int(QuotaStatus.NORMAL), CouponQuota.status),
        (CouponQuota.expire_time <= now, int(QuotaStatus.INVALID)),
        else_=int(QuotaStatus.NORMAL),
    )


def coupon_status(row: Coupon, now: datetime) -> CouponStatus:
    if row.reclaimed_at is not None:
        return CouponStatus.RECLAIMED
    if row.expired_at is not None:
        return CouponStatus.EXPIRED
    if row.used_up_at is not None:
        return CouponStatus.USED
    if now >= row.expire_time:
        return CouponStatus.EXPIRED
    if now < row.valid_time:
        return CouponStatus.NOT_ACTIVATED
    return CouponStatus.AVAILABLE


def coupon_status_sql(now: datetime) -> ColumnElement[int]:
    """The same decision as :func:`coupon_status`, as SQL (for filters)."""
    return case(
        (Coupon.reclaimed_at.is_not(None), int(CouponStatus.RECLAIMED)),
        (Coupon.expired_at.is_not(None), int(CouponStatus.EXPIRED)),
        (Coupon.used_up_at.is_not(None), int(CouponStatus.USED)),
        (Coupon.expire_time <= now, int(CouponStatus.EXPIRED)),
        (Coupon.valid_time > now, int(CouponStatus.NOT_ACTIVATED)),
        else_=int(CouponStatus.AVAILABLE),
    )

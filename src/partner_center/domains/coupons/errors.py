"""The reference error codes of coupons and coupon quotas (api-semantics.md §5.2), one place.

All are reported with HTTP 400 (the kernel's default for codes it does not list), or inside a
200 answer's ``error_details`` for per-item failures of a batch.
"""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class CouponErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    QUOTA_INVALID = "CBC.99000012"
    """Quota missing, not the caller's, or in a state the operation does not accept."""
    QUOTA_INSUFFICIENT = "CBC.99000013"
    COOPERATION_TYPE = "CBC.99000014"
    """Coupons go only to reseller-model (resale) customers."""
    QUOTA_STATUS = "CBC.99000015"
    QUOTA_NOT_EFFECTIVE = "CBC.99000017"
    FACE_VALUE_BELOW_MIN = "CBC.99000018"
    FACE_VALUE_ABOVE_MAX = "CBC.99000019"
    TOO_MANY_COUPONS = "CBC.99000020"
    FIRST_ASSOCIATION_ONLY = "CBC.99000022"
    SCOPE_WIDER_THAN_QUOTA = "CBC.99000023"
    SUBSCRIBE_TYPE_WIDER_THAN_QUOTA = "CBC.99000024"
    ISSUE_TO_SELF = "CBC.99000025"
    NOT_SUB_CUSTOMER = "CBC.99000035"
    NOT_YOUR_RESELLER = "CBC.99000037"
    QUOTA_BUSY = "CBC.50000045"
    RESELLER_EXITING = "CBC.50010105"
    COUPON_NOT_APPLICABLE = "CBC.99003108"
    """The coupon cannot pay this order: outside its scope, not yet valid, expired or reclaimed."""
    COUPON_INSUFFICIENT = "CBC.99005003"
    """A coupon's available balance is less than the amount asked for."""
    BUSINESS_CHECK_FAILED = "CBC.99007004"
    COUPON_USED = "CBC.99003112"
    """Used up, held by another order, or its usage count is exhausted."""
    NOT_COMBINABLE_WITH_DISCOUNT = "CBC.99003116"
    DISCOUNT_BELOW_COUPON_MINIMUM = "CBC.99003117"
    CASH_AND_DISCOUNT_COUPON = "CBC.99003147"
    MARKETPLACE_AND_DEDICATED_COUPON = "CBC.99003156"
    COUPON_LOOKUP_FAILED = "CBC.99006016"
    DUPLICATE_REQUEST = "CBC.99007009"
    """An idempotency key reused for a different request."""
    INVALID_PARAMETER = "CBC.0100"


def coupon_error(code: str, message: str, **details: object) -> DomainError:
    return DomainError(code, message, dict(details))


def quota_invalid(quota_id: str) -> DomainError:
    return DomainError(
        CouponErrorCode.QUOTA_INVALID,
        f"The coupon quota {quota_id} does not exist, is not yours, or is in a state that does "
        "not allow this operation.",
        {"quota_id": quota_id},
    )


def not_sub_customer(customer_id: str) -> DomainError:
    return DomainError(
        CouponErrorCode.NOT_SUB_CUSTOMER,
        f"The customer {customer_id} is not a sub-customer of this partner.",
        {"customer_id": customer_id},
    )

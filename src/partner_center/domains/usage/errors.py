"""Refusals of the pay-per-use domain, with the reference codes (api-semantics.md §5)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from partner_center.kernel.errors import DomainError, invalid_parameter


class UsageErrorCode(StrEnum):
    """The reference error codes of this domain."""

    NOT_YOUR_CUSTOMER = "CBC.99000035"
    RESELLER_MODEL_ONLY = "CBC.5024"
    RESOURCE_EXISTS = "CBC.99007009"
    INSUFFICIENT_BALANCE = "CBC.99005003"
    FROZEN = "CBC.0151"


class RejectReason(StrEnum):
    """Why one usage record of a batch was not accepted (reported per record, never a 500)."""

    MALFORMED = "malformed"
    UNKNOWN_RESOURCE = "unknown_resource"
    UNKNOWN_USAGE_TYPE = "unknown_usage_type"
    WRONG_MEASURE = "wrong_measure"
    TOO_LATE = "too_late"
    IN_THE_FUTURE = "in_the_future"
    OUTSIDE_RESOURCE_LIFETIME = "outside_resource_lifetime"


def invalid(field: str, message: str) -> DomainError:
    return invalid_parameter(field, message)


def not_your_customer() -> DomainError:
    return DomainError(
        UsageErrorCode.NOT_YOUR_CUSTOMER, "The customer is not a sub-customer of this partner."
    )


def not_reseller_model() -> DomainError:
    return DomainError(
        UsageErrorCode.RESELLER_MODEL_ONLY,
        "This API applies only to reseller-model customers; a referral customer manages its own "
        "resources.",
    )


def resource_exists(resource_id: str) -> DomainError:
    return DomainError(
        UsageErrorCode.RESOURCE_EXISTS,
        f"Resource {resource_id} already exists with other attributes.",
    )


def in_arrears(owed: Decimal, currency: str) -> DomainError:
    return DomainError(
        UsageErrorCode.INSUFFICIENT_BALANCE,
        f"Insufficient balance: the account owes {owed:f} {currency} of pay-per-use arrears; "
        "top up first.",
        {"arrears": f"{owed:f}"},
    )


def frozen_for_arrears(resource_id: str) -> DomainError:
    return DomainError(
        UsageErrorCode.FROZEN,
        f"Resource {resource_id} is frozen for arrears: pay the arrears to use or close it.",
    )

"""Why a billing operation was refused, and the reference code of each reason."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from partner_center.kernel.errors import DomainError


class BillingErrorCode(StrEnum):
    INVALID_PARAMETER = "invalid_parameter"
    CYCLE_NOT_CLOSED = "cycle_not_closed"
    BILL_NOT_FOUND = "bill_not_found"
    OVER_AMOUNT_DUE = "over_amount_due"
    NOTHING_DUE = "nothing_due"
    PAYMENT_REF_REUSED = "payment_ref_reused"
    OVERDUE_RESTRICTED = "overdue_restricted"


REFERENCE_CODES: dict[BillingErrorCode, str] = {
    BillingErrorCode.INVALID_PARAMETER: "CBC.0100",
    BillingErrorCode.CYCLE_NOT_CLOSED: "CBC.0100",
    BillingErrorCode.BILL_NOT_FOUND: "CBC.0100",
    BillingErrorCode.OVER_AMOUNT_DUE: "CBC.0100",
    BillingErrorCode.NOTHING_DUE: "CBC.0100",
    BillingErrorCode.PAYMENT_REF_REUSED: "CBC.0100",
    BillingErrorCode.OVERDUE_RESTRICTED: "CBC.99003656",
}


def billing_error(reason: BillingErrorCode, message: str, **details: Any) -> DomainError:
    """A ``DomainError`` with the reference code for ``reason`` and the reason in its details."""
    return DomainError(REFERENCE_CODES[reason], message, {"reason": reason.value, **details})


def invalid(field: str, reason: str) -> DomainError:
    return billing_error(
        BillingErrorCode.INVALID_PARAMETER, f"Invalid parameter: {field}. {reason}", field=field
    )

"""Ledger error reasons and the reference (``CBC.*``) code each one is reported with.

Every :class:`~partner_center.kernel.errors.DomainError` raised by the ledger carries the reason in
``details["reason"]`` so callers can tell, for example, an unknown account from a bad amount
without parsing messages.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from partner_center.kernel.errors import DomainError


class LedgerErrorCode(StrEnum):
    """Why a ledger operation was refused."""

    INVALID_PARAMETER = "invalid_parameter"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_CONFLICT = "account_conflict"
    CURRENCY_MISMATCH = "currency_mismatch"
    SAME_ACCOUNT = "same_account"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    LIMIT_BELOW_USAGE = "limit_below_usage"
    DUPLICATE_TRANSFER_ID = "duplicate_transfer_id"
    TRANSFER_NOT_FOUND = "transfer_not_found"
    NOT_PENDING = "not_pending"
    PENDING_ALREADY_RESOLVED = "pending_already_resolved"
    POST_EXCEEDS_PENDING = "post_exceeds_pending"
    NOT_REVERSIBLE = "not_reversible"
    ALREADY_REVERSED = "already_reversed"


#: Reason -> reference error code (../shared/spec/api-semantics.md §5.2).
REFERENCE_CODES: dict[LedgerErrorCode, str] = {
    LedgerErrorCode.INVALID_PARAMETER: "CBC.0100",
    LedgerErrorCode.ACCOUNT_NOT_FOUND: "CBC.99000047",
    LedgerErrorCode.ACCOUNT_CONFLICT: "CBC.0100",
    LedgerErrorCode.CURRENCY_MISMATCH: "CBC.0100",
    LedgerErrorCode.SAME_ACCOUNT: "CBC.0100",
    LedgerErrorCode.INSUFFICIENT_BALANCE: "CBC.99005003",
    LedgerErrorCode.LIMIT_BELOW_USAGE: "CBC.0100",
    LedgerErrorCode.DUPLICATE_TRANSFER_ID: "CBC.99007009",
    LedgerErrorCode.TRANSFER_NOT_FOUND: "CBC.0100",
    LedgerErrorCode.NOT_PENDING: "CBC.0100",
    LedgerErrorCode.PENDING_ALREADY_RESOLVED: "CBC.0100",
    LedgerErrorCode.POST_EXCEEDS_PENDING: "CBC.0100",
    LedgerErrorCode.NOT_REVERSIBLE: "CBC.0100",
    LedgerErrorCode.ALREADY_REVERSED: "CBC.0100",
}

INVALID_PARAMETER = REFERENCE_CODES[LedgerErrorCode.INVALID_PARAMETER]
INSUFFICIENT_BALANCE = REFERENCE_CODES[LedgerErrorCode.INSUFFICIENT_BALANCE]
DUPLICATE_TRANSACTION_ID = REFERENCE_CODES[LedgerErrorCode.DUPLICATE_TRANSFER_ID]
ACCOUNT_DOES_NOT_EXIST = REFERENCE_CODES[LedgerErrorCode.ACCOUNT_NOT_FOUND]


def ledger_error(reason: LedgerErrorCode, message: str, **details: Any) -> DomainError:
    """A ``DomainError`` with the reference code for ``reason`` and the reason in its details."""
    return DomainError(REFERENCE_CODES[reason], message, {"reason": reason.value, **details})


def invalid(field: str, reason: str) -> DomainError:
    """``CBC.0100`` naming the field at fault."""
    return ledger_error(
        LedgerErrorCode.INVALID_PARAMETER, f"Invalid parameter: {field}. {reason}", field=field
    )

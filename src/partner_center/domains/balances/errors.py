"""Reference error codes of partner and customer money (api-semantics.md §2, §3.5, §5.2)."""

from __future__ import annotations

import enum
from decimal import Decimal

from partner_center.kernel.errors import DomainError


class BalanceErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    INSUFFICIENT_BALANCE = "CBC.99005003"
    NOT_YOUR_CUSTOMER = "CBC.99000035"
    NO_PERMISSION_ON_CUSTOMER = "CBC.99000000"
    NOT_YOUR_RESELLER = "CBC.99000037"
    NO_ACCOUNT_BALANCE = "CBC.99000049"
    RECORDS_NOT_FOR_RESALE_CUSTOMERS = "CBC.99000084"
    ASSOCIATION_TYPE_NOT_ALLOWED = "CBC.5024"
    PURCHASE_RESTRICTED = "CBC.99003656"
    ACCOUNT_DOES_NOT_EXIST = "CBC.99000047"


def insufficient(what: str, available: Decimal, currency: str) -> DomainError:
    return DomainError(
        BalanceErrorCode.INSUFFICIENT_BALANCE,
        f"Insufficient balance: {what} has {available:f} {currency} available.",
        {"available": f"{available:f}"},
    )


def not_your_customer() -> DomainError:
    return DomainError(
        BalanceErrorCode.NOT_YOUR_CUSTOMER, "The customer is not a sub-customer of this partner."
    )

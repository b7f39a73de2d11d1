"""The reference error codes of the payments domain (api-semantics.md §5), one place."""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class PaymentErrorCode(enum.StrEnum):
    INVALID_PARAMETER = "CBC.0100"
    ACCOUNT_DOES_NOT_EXIST = "CBC.99000047"


def no_top_up_account() -> DomainError:
    return DomainError(
        PaymentErrorCode.ACCOUNT_DOES_NOT_EXIST,
        "No standard top-up account has been published yet; contact the operator.",
    )


def over_amount_due(amount_due: str) -> DomainError:
    return DomainError(
        PaymentErrorCode.INVALID_PARAMETER,
        f"Invalid parameter: amount. The repayment amount cannot be greater than the amount "
        f"due ({amount_due}).",
        {"field": "amount", "amount_due": amount_due},
    )

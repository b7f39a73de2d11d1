"""Why a budget operation was refused, and the reference code each reason is reported with.

The reference documents only generic codes for the budget APIs (api-semantics.md §5.2); where it
has none, the closest documented code is used and the reason travels in ``details["reason"]``
so callers (orders, pay-per-use, the console) can tell the cases apart without parsing text.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from partner_center.kernel.errors import DomainError
from partner_center.kernel.money import decimal_places


class BudgetErrorCode(StrEnum):
    INVALID_PARAMETER = "invalid_parameter"
    NOT_YOUR_CUSTOMER = "not_your_customer"
    NOT_YOUR_RESELLER = "not_your_reseller"
    ACCESS_DENIED = "access_denied"
    NO_BUDGET = "no_budget"
    BUDGET_INSUFFICIENT = "budget_insufficient"
    NOT_RESELLER_MODEL = "not_reseller_model"
    QUOTA_MISSING = "quota_missing"
    QUOTA_EXCEEDED = "quota_exceeded"
    DUPLICATE_PURCHASE = "duplicate_purchase"
    RESERVATION_NOT_FOUND = "reservation_not_found"
    RESERVATION_RESOLVED = "reservation_resolved"
    PARTNER_FROZEN = "partner_frozen"


#: Reason -> reference code. ``CBC.99003198`` is the reference's "budget insufficient" payment
#: error; a customer without a budget has a budget of 0, which blocks purchases the same way
#: (rules.md §3.8–3.9).
REFERENCE_CODES: dict[BudgetErrorCode, str] = {
    BudgetErrorCode.INVALID_PARAMETER: "CBC.0100",
    BudgetErrorCode.NOT_YOUR_CUSTOMER: "CBC.99000035",
    BudgetErrorCode.NOT_YOUR_RESELLER: "CBC.99000037",
    BudgetErrorCode.ACCESS_DENIED: "CBC.0151",
    BudgetErrorCode.NO_BUDGET: "CBC.99003198",
    BudgetErrorCode.BUDGET_INSUFFICIENT: "CBC.99003198",
    BudgetErrorCode.NOT_RESELLER_MODEL: "CBC.5024",
    BudgetErrorCode.QUOTA_MISSING: "CBC.0100",
    BudgetErrorCode.QUOTA_EXCEEDED: "CBC.0100",
    BudgetErrorCode.DUPLICATE_PURCHASE: "CBC.99007009",
    BudgetErrorCode.RESERVATION_NOT_FOUND: "CBC.0100",
    BudgetErrorCode.RESERVATION_RESOLVED: "CBC.0100",
    BudgetErrorCode.PARTNER_FROZEN: "CBC.0150",
}

BUDGET_INSUFFICIENT = REFERENCE_CODES[BudgetErrorCode.BUDGET_INSUFFICIENT]


def budget_error(reason: BudgetErrorCode, message: str, **details: Any) -> DomainError:
    """A ``DomainError`` with the reference code for ``reason`` and the reason in its details."""
    return DomainError(REFERENCE_CODES[reason], message, {"reason": reason.value, **details})


def invalid(field: str, reason: str) -> DomainError:
    """``CBC.0100`` naming the field at fault."""
    return budget_error(
        BudgetErrorCode.INVALID_PARAMETER, f"Invalid parameter: {field}. {reason}", field=field
    )


def not_your_customer() -> DomainError:
    return budget_error(
        BudgetErrorCode.NOT_YOUR_CUSTOMER,
        "The customer is not a reseller-model sub-customer of this partner.",
    )


def no_budget(customer_id: str) -> DomainError:
    return budget_error(
        BudgetErrorCode.NO_BUDGET,
        "The customer has no budget yet: the partner must set one before the customer can buy.",
        customer_id=customer_id,
    )


def amount_text(value: Decimal) -> str:
    """An amount for people: at least 2 decimals, no trailing zeros beyond them."""
    places = max(2, decimal_places(value))
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def budget_insufficient(customer_id: str, available: Decimal, requested: Decimal) -> DomainError:
    left = amount_text(max(available, Decimal(0)))
    return budget_error(
        BudgetErrorCode.BUDGET_INSUFFICIENT,
        f"The customer's budget is insufficient: {left} left, {amount_text(requested)} needed. "
        "Ask the partner to raise the budget.",
        customer_id=customer_id,
        available=left,
        requested=amount_text(requested),
    )

"""What the balance engine and service share: amount checks and the facts about a customer's
funding (the consumption-quota rules are in ``engine.py``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from partner_center.domains.balances.models import (
    CustomerFunds,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    CustomerRecord,
)
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import MoneyError, decimal_places, to_decimal

ZERO = Decimal(0)
#: Largest single amount accepted (allocations, top-ups, quotas, charges), site currency.
MAX_AMOUNT = Decimal("9999999999.99")


def check_amount(
    value: object, field: str, *, places: int = 2, allow_zero: bool = False
) -> Decimal:
    """An exact amount: a Decimal or int (never a float), > 0 (or >= 0), at most ``places``
    decimals and at most ``MAX_AMOUNT``; ``CBC.0100`` naming ``field`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise invalid_parameter(field, "Must be a number.")
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise invalid_parameter(field, str(exc)) from exc
    if amount < 0 or (amount == 0 and not allow_zero):
        raise invalid_parameter(
            field, "Must not be negative." if allow_zero else "Must be greater than 0."
        )
    if decimal_places(amount) > places:
        raise invalid_parameter(field, f"At most {places} decimal places are allowed.")
    if amount > MAX_AMOUNT:
        raise invalid_parameter(field, f"Must not exceed {MAX_AMOUNT:f}.")
    return amount


def display_name(customer: CustomerRecord) -> str:
    return customer.customer_name or customer.account_name


def balance_funded(funds: CustomerFunds | None, customer: CustomerRecord) -> bool:
    """Whether the customer's current association is paid from an allocated balance."""
    return (
        funds is not None
        and funds.funded_association_at is not None
        and customer.association_status == AssociationStatus.ASSOCIATED
        and funds.funded_association_at == customer.associated_on
    )


def left_association(customer: CustomerRecord, associated_on: datetime) -> bool:
    """The customer is no longer in the association that began at ``associated_on``."""
    return (
        customer.association_status != AssociationStatus.ASSOCIATED
        or customer.associated_on != associated_on
    )

"""What every balances operation shares: parameter checks, whose money a call may touch,
idempotent operation records, and the consumption-quota state (rules.md §6.9).

Consumption quota. ``used = due + unbilled − amount − coupon`` (api-semantics.md §3.5): the cash
a partner holds offsets what it owes. A postpaid *purchase* that would take ``used`` (plus open
holds) over the quota is refused and changes nothing. *Usage* (pay-per-use that already ran)
is always recorded; when it takes ``used`` over the quota the partner is marked restricted
(``PartnerFunds.quota_restricted_at``): from then on no postpaid reseller-model customer billed
to it can buy (``charge_customer`` and ``ensure_purchase_allowed`` refuse with the restricted
code) until a top-up, a higher quota, a refund or a repayment brings ``used`` back within the
quota — every one of those re-evaluates the state, and ``recheck_consumption_quota`` does it on
demand. The state is kept here, not on customer rows, so lifting it never races a partner's own
restriction of a customer and never needs locks on every customer of the partner.
"""

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

"""Operator-entered bill adjustments: a correction of a customer's bill, appended, never an
edit of an issued bill (Kill Bill's habit).

An adjustment is entered for a reseller-model customer (whose spend is on its partner's bill)
with a signed amount of at most 2 decimals: > 0 charges more, < 0 credits back (a reversing
entry). It is an ``ADJUSTMENT`` line of the customer's bill of the cycle it is entered in —
the next bill to be issued, since the bill of a cycle is issued after the cycle ends — and so
of its partner's bill, and it is posted to what the billed partner owes through the ledger at
once (``BalanceEngine.post_bill_adjustment``, transfer ``adj:<id>``). The operator chooses the
id: entering the same adjustment again answers the first and changes nothing; the same id
with other fields is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.billing.cycles import cycle_of
from partner_center.domains.billing.errors import BillingErrorCode, billing_error, invalid
from partner_center.domains.billing.models import BillAdjustment
from partner_center.domains.customers.public import AssociationType, CustomerRecords
from partner_center.kernel.clock import Clock
from partner_center.kernel.money import MAX_STORABLE, decimal_places

#: Post an adjustment to what the billed partner owes: (partner, adjustment id, amount, memo).
PostAdjustment = Callable[[str, str, Decimal, str], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class AdjustmentView:
    id: str
    customer_id: str
    cycle: str
    """The bill it appears on."""
    billed_partner_id: str
    service_type_code: str
    amount: Decimal
    reason: str
    entered_by: str
    entered_at: datetime
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class NewAdjustment:
    adjustment_id: str
    customer_id: str
    amount: Decimal
    reason: str
    service_type_code: str = ""


def _view(row: BillAdjustment, *, replayed: bool = False) -> AdjustmentView:
    return AdjustmentView(
        id=row.id,
        customer_id=row.tenant_id,
        cycle=row.cycle,
        billed_partner_id=row.billed_partner_id,
        service_type_code=row.service_type_code,
        amount=row.amount,
        reason=row.reason,
        entered_by=row.entered_by,
        entered_at=row.entered_at,
        replayed=replayed,
    )


def _checked(new: NewAdjustment) -> NewAdjustment:
    if not new.adjustment_id or len(new.adjustment_id) > 64:
        raise invalid("adjustment_id", "1 to 64 characters.")
    amount = new.amount
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise invalid("amount", "An exact amount.")
    if amount == 0 or decimal_places(amount) > 2 or abs(amount) > MAX_STORABLE:
        raise invalid("amount", "Non-zero, at most 2 decimals.")
    reason = new.reason.strip()
    if not reason or len(reason) > 256:
        raise invalid("reason", "1 to 256 characters.")
    if len(new.service_type_code) > 64:
        raise invalid("service_type_code", "At most 64 characters.")
    return NewAdjustment(new.adjustment_id, new.customer_id, amount, reason, new.service_type_code)


async def enter_adjustment(
    session: AsyncSession,
    new: NewAdjustment,
    *,
    clock: Clock,
    zone: ZoneInfo,
    customers: CustomerRecords,
    post: PostAdjustment | None,
    actor_id: str,
) -> AdjustmentView:
    """Enter (or replay) an adjustment.

    Raises:
        DomainError: ``CBC.0100`` for a bad field, a customer that is not a reseller-model
            customer, or an id already used for another adjustment.
    """
    new = _checked(new)
    existing = await session.get(BillAdjustment, new.adjustment_id)
    if existing is not None:
        same = (
            existing.tenant_id == new.customer_id
            and existing.amount == new.amount
            and existing.reason == new.reason
            and existing.service_type_code == new.service_type_code
        )
        if not same:
            raise billing_error(
                BillingErrorCode.PAYMENT_REF_REUSED,
                f"The adjustment id {new.adjustment_id} was used for another adjustment.",
                field="adjustment_id",
            )
        return _view(existing, replayed=True)
    customer = await customers.get(new.customer_id)
    if customer is None or customer.association_type != AssociationType.RESELLER:
        raise invalid("customer_id", "Not a reseller-model customer: its bill is not a partner's.")
    now = clock.now()
    row = BillAdjustment(
        id=new.adjustment_id,
        tenant_id=new.customer_id,
        cycle=cycle_of(now, zone),
        owner_partner_id=customer.tenant_id,
        billed_partner_id=customer.billed_partner_id,
        service_type_code=new.service_type_code,
        amount=new.amount,
        reason=new.reason,
        entered_by=actor_id,
        entered_at=now,
    )
    session.add(row)
    await session.flush()
    if post is not None:
        memo = f"Bill adjustment {row.id} of {row.tenant_id}: {row.reason}"
        await post(row.billed_partner_id, row.id, row.amount, memo)
    return _view(row)
